"""Bidirectional: Keras parity in float64 (outputs, states, input and weight gradients; 1e-10) with and
without masks, every merge mode; central-difference gradient check; training in Sequential.fit;
dlkit.tf mirror equal to dlkit.np."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit.np as dnp  # noqa: E402
import dlkit.np.layers as nl  # noqa: E402
import dlkit.tf.layers as tl  # noqa: E402
from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error  # noqa: E402
from dlkit.np.layers.bidirectional import Bidirectional  # noqa: E402
from dlkit.tf.layers.bidirectional import Bidirectional as TFBidirectional  # noqa: E402

MASKS = {"none": None,
         "post": np.array([[1] * 6, [1] * 4 + [0] * 2, [1] + [0] * 5, [0] * 6], bool),
         "general": np.array([[0, 1, 1, 0, 1, 0], [1, 0, 0, 1, 1, 1], [0] * 6, [1] * 6], bool)}
CASES = [("LSTM", True, "concat", True), ("LSTM", False, "concat", False), ("GRU", True, "sum", False),
         ("GRU", False, "mul", True), ("SimpleRNN", True, "ave", False), ("SimpleRNN", True, None, True),
         ("LSTM", True, None, False), ("GRU", False, "concat", False)]


def _setup(cls, return_sequences, merge_mode, return_state, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 6, 3))
    kw = dict(return_sequences=return_sequences, return_state=return_state, dtype="float64")
    layer = Bidirectional(getattr(nl, cls)(5, **kw), merge_mode=merge_mode)
    layer(x)
    layer.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in layer.get_weights()])
    return rng, x, kw, layer


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _tape(layer, x, mask, dys):
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        outs = _as_list(layer(xv) if mask is None else layer(xv, mask=tf.constant(mask)))
        loss = tf.add_n([tf.reduce_sum(o * d) for o, d in zip(outs, dys)])
    return [o.numpy() for o in outs], [g.numpy() for g in tape.gradient(loss, [xv] + layer.trainable_weights)]


@pytest.mark.parametrize("mask_kind", list(MASKS))
@pytest.mark.parametrize("cls,return_sequences,merge_mode,return_state", CASES)
def test_keras_and_tf_parity(cls, return_sequences, merge_mode, return_state, mask_kind):
    rng, x, kw, layer = _setup(cls, return_sequences, merge_mode, return_state)
    mask = MASKS[mask_kind]
    outs = _as_list(layer(x, mask=mask, training=True))
    dys = [rng.standard_normal(o.shape) for o in outs]
    dx = layer.backward(dys if len(dys) > 1 else dys[0])
    ours = [dx] + [layer.grads[k] for k in layer.params]
    for ref in (keras.layers.Bidirectional(getattr(keras.layers, cls)(5, **kw), merge_mode=merge_mode,
                                           dtype="float64"),
                TFBidirectional(getattr(tl, cls)(5, **kw), merge_mode=merge_mode)):
        ref.build((None, 6, 3))
        ref.set_weights(layer.get_weights())
        ref_outs, theirs = _tape(ref, x, mask, dys)
        assert len(ref_outs) == len(outs)
        for a, b in zip(outs, ref_outs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_weight_names_and_order():
    layer = Bidirectional(nl.LSTM(3, name="enc"))
    layer(np.zeros((1, 2, 4)))
    assert list(layer.params) == ["forward_enc/kernel", "forward_enc/recurrent_kernel", "forward_enc/bias",
                                  "backward_enc/kernel", "backward_enc/recurrent_kernel", "backward_enc/bias"]
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.dtype == np.float32 and layer.compute_output_shape((None, 2, 4)) == (None, 6)


def test_dtype_follows_wrapper():
    layer = Bidirectional(nl.GRU(3), dtype="float64")
    y = layer(np.zeros((1, 2, 4)))
    assert y.dtype == np.float64 and layer.forward_layer.dtype == np.float64


@pytest.mark.parametrize("merge_mode", ["concat", "mul"])
def test_gradcheck_with_mask(merge_mode):
    rng, x, kw, layer = _setup("LSTM", True, merge_mode, False, seed=3)
    layer = Bidirectional(nl.LSTM(3, return_sequences=True, dtype="float64"), merge_mode=merge_mode)
    mask = MASKS["general"]
    y = layer(x, mask=mask)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    grads = {k: g.copy() for k, g in layer.grads.items()}

    def loss(_):
        return np.sum(layer(x, mask=mask) * dy)
    assert scaled_rel_error(dx, eval_numerical_gradient(loss, x)) < 1e-7
    for k, g in grads.items():
        assert scaled_rel_error(g, eval_numerical_gradient(loss, layer.params[k])) < 1e-7, k


def test_errors():
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(nl.LSTM(2), merge_mode="max")
    with pytest.raises(TypeError, match="recurrent layer"):
        Bidirectional(nl.Dense(2))
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(nl.LSTM(2), backward_layer=nl.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(nl.LSTM(2), backward_layer=nl.LSTM(2, go_backwards=True, return_sequences=True))


def test_trains_in_sequential_fit():
    rng = np.random.default_rng(5)
    n, T = 64, 6
    ids = rng.integers(1, 8, (n, T))
    ids[rng.random((n, T)) < 0.3] = 0
    ids[:, -2:] = 0
    y = (ids[:, 0] > ids[:, 3]).astype(float)    # needs both ends of the real part
    model = dnp.Sequential([nl.Embedding(8, 4, mask_zero=True), Bidirectional(nl.GRU(6)),
                            nl.Dense(1, activation="sigmoid")])
    model.compile(optimizer=dnp.optimizers.Adam(0.03), loss="binary_crossentropy")
    hist = model.fit(ids, y, epochs=20, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]


def test_tf_embedding_mask_zero_matches_np():
    ids = np.array([[3, 5, 7, 0, 0], [1, 2, 3, 4, 5]])
    from dlkit.np.layers.pooling import GlobalAveragePooling1D
    np_model = dnp.Sequential([nl.Embedding(10, 4, mask_zero=True, dtype="float64"),
                               Bidirectional(nl.LSTM(3, return_sequences=True, dtype="float64")),
                               GlobalAveragePooling1D(dtype="float64")])
    from dlkit.tf.layers.pooling import GlobalAveragePooling1D as TFGAP
    y = np_model(ids)
    tf_model = keras.Sequential([tl.Embedding(10, 4, mask_zero=True, dtype="float64"),
                                 TFBidirectional(tl.LSTM(3, return_sequences=True, dtype="float64")),
                                 TFGAP(dtype="float64")])
    tf_model(ids)
    tf_model.set_weights(np_model.get_weights())
    np.testing.assert_allclose(tf_model(ids).numpy(), y, rtol=0, atol=1e-12)
    emb = tl.Embedding(10, 4, mask_zero=True)
    np.testing.assert_array_equal(emb.compute_mask(tf.constant(ids)).numpy(), ids != 0)
