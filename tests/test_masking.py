"""Masking (Keras semantics) in dlkit.np: Embedding(mask_zero=True) -> RNNs / Bidirectional / pooling /
transformer. A padded row must give exactly (1e-12, float64) the output and weight gradients of the
unpadded row; masked RNNs match Keras (outputs, states, gradients; 1e-10) for post-padded and general
masks, initial states, go_backwards and zero_output_for_mask."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dlkit.np as dnp  # noqa: E402
import dlkit.np.layers as nl  # noqa: E402
from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error  # noqa: E402
from dlkit.np.layers.bidirectional import Bidirectional  # noqa: E402
from dlkit.np.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D  # noqa: E402

F64 = dict(dtype="float64")
PADDED = np.array([[3, 5, 7, 0, 0], [4, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
ROWS = [[3, 5, 7], [4], [1, 2, 3, 4, 5]]


def _heads():
    """name -> factory of the layers after the embedding (each ends in a (batch, features) output)."""
    return {
        "LSTM": lambda: [nl.LSTM(6, **F64)],
        "GRU": lambda: [nl.GRU(6, **F64)],
        "GRU_reset_before": lambda: [nl.GRU(6, reset_after=False, **F64)],
        "SimpleRNN": lambda: [nl.SimpleRNN(6, **F64)],
        "LSTM_seq_GAP": lambda: [nl.LSTM(6, return_sequences=True, **F64), GlobalAveragePooling1D(**F64)],
        "GRU_seq_GMP": lambda: [nl.GRU(6, return_sequences=True, **F64), GlobalMaxPooling1D(**F64)],
        "BiLSTM": lambda: [Bidirectional(nl.LSTM(4, **F64))],
        "BiGRU_seq_GAP": lambda: [Bidirectional(nl.GRU(4, return_sequences=True, **F64), merge_mode="sum"),
                                  GlobalAveragePooling1D(**F64)],
        "GAP": lambda: [GlobalAveragePooling1D(**F64)],
        "GMP": lambda: [GlobalMaxPooling1D(**F64)],
        "Transformer_GAP": lambda: [nl.TransformerEncoderBlock(2, 16, **F64), GlobalAveragePooling1D(**F64)],
    }


def _sequential(head):
    return dnp.Sequential([nl.Embedding(20, 8, mask_zero=True, **F64)] + _heads()[head]())


def _functional(head):
    inp = dnp.Input(shape=(None,), dtype="int64")
    h = nl.Embedding(20, 8, mask_zero=True, **F64)(inp)
    for layer in _heads()[head]():
        h = layer(h)
    return dnp.Model(inp, h)


def _run(model, ids, dy):
    y = model(ids, training=True)
    model.backward(dy)
    return y, [g.copy() for g in model.grads.values()]


@pytest.mark.parametrize("build", [_sequential, _functional], ids=["Sequential", "Model"])
@pytest.mark.parametrize("head", list(_heads()))
def test_padded_equals_unpadded(head, build):
    padded = build(head)
    y = padded(PADDED)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    y_pad, g_pad = _run(padded, PADDED, dy)
    for i, row in enumerate(ROWS):
        single = build(head)
        single(np.array([row]))
        single.set_weights(padded.get_weights())
        y1, g1 = _run(single, np.array([row]), dy[i:i + 1])
        np.testing.assert_allclose(y_pad[i:i + 1], y1, rtol=0, atol=1e-12)
        # gradients of the padded batch restricted to row i: rerun the batch with dy only on row i
        dyi = np.zeros_like(dy)
        dyi[i] = dy[i]
        _, gi = _run(padded, PADDED, dyi)
        for a, b in zip(gi, g1):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_embedding_compute_mask():
    emb = nl.Embedding(10, 3, mask_zero=True)
    ids = np.array([[1, 2, 0], [0, 4, 5]])
    emb(ids)
    np.testing.assert_array_equal(emb.compute_mask(ids), ids != 0)
    assert nl.Embedding(10, 3).compute_mask(ids) is None
    model = dnp.Sequential([nl.Embedding(10, 3, mask_zero=True), nl.LSTM(2, return_sequences=True)])
    model(ids)
    np.testing.assert_array_equal(model.compute_mask(ids), ids != 0)
    model = dnp.Sequential([nl.Embedding(10, 3, mask_zero=True), nl.LSTM(2)])
    model(ids)
    assert model.compute_mask(ids) is None


def test_rnn_mask_errors():
    layer = nl.LSTM(3)
    x = np.zeros((2, 4, 5))
    with pytest.raises(ValueError, match="mask must have shape"):
        layer(x, mask=np.ones((2, 5), bool))
    with pytest.raises(TypeError, match="mask must be a boolean"):
        layer(x, mask=np.array([["a"] * 4] * 2))


MASKS = {"post": np.array([[1] * 6, [1] * 4 + [0] * 2, [1] + [0] * 5, [0] * 6], bool),
         "general": np.array([[0, 1, 1, 0, 1, 0], [1, 0, 0, 1, 1, 1], [0] * 6, [1] * 6], bool)}
KERAS_CASES = [(c, rs, gb, zo) for c in ("SimpleRNN", "LSTM", "GRU") for rs, gb, zo in
               [(False, False, False), (True, False, False), (True, True, False), (True, False, True),
                (False, True, True)]]


@pytest.mark.parametrize("mask_kind", list(MASKS))
@pytest.mark.parametrize("cls,return_sequences,go_backwards,zero_output", KERAS_CASES)
def test_masked_rnn_keras_parity(cls, return_sequences, go_backwards, zero_output, mask_kind):
    import keras
    import tensorflow as tf
    rng = np.random.default_rng(1)
    x, m = rng.standard_normal((4, 6, 3)), MASKS[mask_kind]
    kw = dict(return_sequences=return_sequences, return_state=True, go_backwards=go_backwards,
              zero_output_for_mask=zero_output, dtype="float64")
    layer = getattr(nl, cls)(5, **kw)
    layer(x)
    layer.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    h0 = [rng.standard_normal((4, 5)) for _ in range(layer._n_states)]
    outs = layer(x, mask=m, initial_state=h0, training=True)
    dys = [rng.standard_normal(o.shape) for o in outs]        # gradients for the output and every state
    dx = layer.backward(dys)
    ours = [dx] + [layer.grads[k] for k in layer.params] + layer.initial_state_grads

    ref = getattr(keras.layers, cls)(5, **kw)
    ref.build((None, 6, 3))
    ref.set_weights(layer.get_weights())
    xv, hv = tf.Variable(x), [tf.Variable(h) for h in h0]
    with tf.GradientTape() as tape:
        ref_outs = ref(xv, mask=tf.constant(m), initial_state=hv)
        loss = tf.add_n([tf.reduce_sum(o * d) for o, d in zip(ref_outs, dys)])
    theirs = tape.gradient(loss, [xv] + ref.trainable_weights + hv)
    for a, b in zip(outs, ref_outs):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=1e-10)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_masked_rnn_gradcheck(cls):
    """Central differences through a general mask, all outputs and both LSTM states."""
    rng = np.random.default_rng(2)
    x, m = rng.standard_normal((4, 6, 3)), MASKS["general"]
    layer = getattr(nl, cls)(3, return_sequences=True, return_state=True, dtype="float64")
    outs = layer(x, mask=m)
    dys = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(dys)
    grads = {k: g.copy() for k, g in layer.grads.items()}

    def loss(_):
        return sum(np.sum(o * d) for o, d in zip(layer(x, mask=m), dys))
    assert scaled_rel_error(dx, eval_numerical_gradient(loss, x)) < 1e-7
    for k, g in grads.items():
        assert scaled_rel_error(g, eval_numerical_gradient(loss, layer.params[k])) < 1e-7, k


def test_all_true_mask_is_no_mask():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3))
    layer = nl.GRU(3, return_sequences=True, dtype="float64")
    np.testing.assert_array_equal(layer(x), layer(x, mask=np.ones((2, 4), bool)))


def test_masked_lstm_trains_in_fit():
    rng = np.random.default_rng(4)
    n, T = 64, 7
    lengths = rng.integers(1, T + 1, n)
    ids = rng.integers(1, 10, (n, T)) * (np.arange(T) < lengths[:, None])
    y = (lengths > 4).astype(float)          # the label depends on the number of real tokens only
    model = dnp.Sequential([nl.Embedding(10, 4, mask_zero=True), nl.LSTM(8), nl.Dense(1, activation="sigmoid")])
    model.compile(optimizer=dnp.optimizers.Adam(0.03), loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(ids, y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9


def test_transformer_block_real_positions_equal_unpadded():
    """Post-norm encoder block (MultiHeadAttention with the padding mask): real positions of a padded
    row equal the unpadded run."""
    padded = dnp.Sequential([nl.Embedding(20, 8, mask_zero=True, **F64), nl.TransformerEncoderBlock(2, 16, **F64)])
    y = padded(PADDED)
    for i, row in enumerate(ROWS):
        single = dnp.Sequential([nl.Embedding(20, 8, mask_zero=True, **F64),
                                 nl.TransformerEncoderBlock(2, 16, **F64)])
        single(np.array([row]))
        single.set_weights(padded.get_weights())
        np.testing.assert_allclose(y[i, :len(row)], single(np.array([row]))[0], rtol=0, atol=1e-12)
