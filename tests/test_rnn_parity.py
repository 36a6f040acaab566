"""Parity of dlkit.np = dlkit.tf = stock Keras for Embedding, SimpleRNN, LSTM, GRU (float64, atol 1e-6):
forward outputs, final states, and gradients w.r.t. the input and every weight."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit.np.layers as npl  # noqa: E402
import dlkit.tf.layers as tfl  # noqa: E402

ATOL = 1e-6
CASES = [("SimpleRNN", {}), ("SimpleRNN", {"activation": "relu"}), ("LSTM", {}), ("GRU", {}),
         ("GRU", {"reset_after": False})]


def _tf_grads(layer, x, dy, dstates=None):
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        outs = layer(xv)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        loss = tf.reduce_sum(outs[0] * dy)
        for o, d in zip(outs[1:], dstates or []):
            loss += tf.reduce_sum(o * d)
    grads = tape.gradient(loss, [xv] + layer.trainable_weights)
    return [o.numpy() for o in outs], [g.numpy() for g in grads]


@pytest.mark.parametrize("cls,kw", CASES)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_rnn_parity(cls, kw, return_sequences):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 7, 3))
    n_states = 2 if cls == "LSTM" else 1
    args = dict(return_sequences=return_sequences, return_state=True, **kw)
    np_layer = getattr(npl, cls)(5, dtype="float64", **args)
    outs = np_layer(x)
    # perturb the weights so that biases are non-trivial
    np_layer.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in np_layer.get_weights()])
    outs = np_layer(x, training=True)
    dy = rng.standard_normal(outs[0].shape)
    dstates = [rng.standard_normal(o.shape) for o in outs[1:]]
    dx = np_layer.backward([dy] + dstates)
    np_grads = [dx] + [np_layer.grads[k] for k in np_layer.params]
    assert len(outs) == 1 + n_states
    for other in (getattr(tfl, cls)(5, dtype="float64", **args),
                  getattr(keras.layers, cls)(5, dtype="float64", **args)):
        other.build((None,) + x.shape[1:])
        assert [w.shape for w in other.get_weights()] == [w.shape for w in np_layer.get_weights()]
        other.set_weights(np_layer.get_weights())
        t_outs, t_grads = _tf_grads(other, x, dy, dstates)
        for a, b in zip(outs, t_outs):
            np.testing.assert_allclose(a, b, atol=ATOL)
        for a, b in zip(np_grads, t_grads):
            np.testing.assert_allclose(a, b, atol=ATOL)


def test_lstm_initial_state_parity():
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.standard_normal((3, 6, 4)), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    np_layer = npl.LSTM(5, return_sequences=True, dtype="float64")
    y = np_layer(x, initial_state=[h0, c0])
    for other in (tfl.LSTM(5, return_sequences=True, dtype="float64"),
                  keras.layers.LSTM(5, return_sequences=True, dtype="float64")):
        other.build((None, 6, 4))
        other.set_weights(np_layer.get_weights())
        np.testing.assert_allclose(y, other(x, initial_state=[h0, c0]).numpy(), atol=ATOL)


def test_embedding_parity():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 6, size=(4, 9))          # repeated ids: the backward must scatter-add
    np_layer = npl.Embedding(6, 3, dtype="float64")
    y = np_layer(ids)
    dy = rng.standard_normal(y.shape)
    np_layer.backward(dy)
    for other in (tfl.Embedding(6, 3, dtype="float64"), keras.layers.Embedding(6, 3, dtype="float64")):
        other.build(ids.shape)
        other.set_weights(np_layer.get_weights())
        with tf.GradientTape() as tape:
            out = other(ids)
            loss = tf.reduce_sum(out * dy)
        g = tape.gradient(loss, other.trainable_weights[0])
        np.testing.assert_allclose(y, out.numpy(), atol=ATOL)
        np.testing.assert_allclose(np_layer.grads["embeddings"], tf.convert_to_tensor(g).numpy(),
                                   atol=ATOL)


def test_default_initialisation_matches_keras_layout():
    np_layer, k_layer = npl.LSTM(4), keras.layers.LSTM(4)
    np_layer(np.zeros((1, 2, 3)))
    k_layer.build((None, 2, 3))
    np.testing.assert_array_equal(np_layer.params["bias"], k_layer.get_weights()[2])   # forget bias 1
    wh = np_layer.params["recurrent_kernel"].astype(np.float64)
    np.testing.assert_allclose(wh @ wh.T, np.eye(4), atol=1e-5)                        # orthogonal
