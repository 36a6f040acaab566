"""Merge layers: hand-written backward (gradient check), broadcasting, errors, and parity with Keras / dlkit.tf."""
import numpy as np
import pytest

from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.np.layers import Add, Concatenate, Multiply, Reshape, Subtract

rng = np.random.default_rng(0)


def _check(layer, xs, dy):
    y = layer(xs, training=True)
    dxs = layer.backward(dy)
    for i, x in enumerate(xs if isinstance(xs, list) else [xs]):
        num = eval_numerical_gradient(lambda _: float(np.sum(layer(xs) * dy)), x)
        got = dxs[i] if isinstance(xs, list) else dxs
        assert scaled_rel_error(got, num) < 1e-7, (type(layer).__name__, i)
    return y


@pytest.mark.parametrize("layer, shapes", [
    (Add, [(3, 4), (3, 4), (3, 4)]), (Add, [(3, 2, 4), (3, 1, 4)]), (Subtract, [(3, 4), (3, 4)]),
    (Multiply, [(3, 4), (3, 4), (3, 4)]), (Multiply, [(3, 5, 4), (3, 5, 1)]),
])
def test_merge_backward_is_the_gradient(layer, shapes):
    xs = [rng.standard_normal(s) for s in shapes]
    out_shape = np.broadcast_shapes(*shapes)
    y = _check(layer(dtype="float64"), xs, rng.standard_normal(out_shape))
    assert y.shape == out_shape


def test_concatenate_and_reshape_backward():
    xs = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 1))]
    assert _check(Concatenate(dtype="float64"), xs, rng.standard_normal((2, 3, 5))).shape == (2, 3, 5)
    xs = [rng.standard_normal((2, 1, 4)), rng.standard_normal((2, 2, 4))]
    assert _check(Concatenate(axis=1, dtype="float64"), xs, rng.standard_normal((2, 3, 4))).shape == (2, 3, 4)
    assert _check(Reshape((3, -1), dtype="float64"), rng.standard_normal((2, 6)),
                  rng.standard_normal((2, 3, 2))).shape == (2, 3, 2)


def test_merge_errors_name_the_layer_and_the_problem():
    with pytest.raises(ValueError, match="expected a list of at least 2 arrays"):
        Add()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="equal shapes except along axis -1"):
        Concatenate()([np.ones((2, 3, 4)), np.ones((2, 2, 4))])
    with pytest.raises(ValueError, match="axis must be a non-batch axis"):
        Concatenate(axis=0)
    with pytest.raises(ValueError, match="cannot reshape examples of shape \\(6,\\)"):
        Reshape((4,))(np.ones((2, 6)))


@pytest.mark.parametrize("name, make", [("Add", lambda m: m.Add()), ("Subtract", lambda m: m.Subtract()),
                                        ("Multiply", lambda m: m.Multiply()),
                                        ("Concatenate", lambda m: m.Concatenate(axis=-1))])
def test_merge_layers_equal_keras_and_the_tf_mirror(name, make):
    tf = pytest.importorskip("tensorflow")
    import keras

    import dlkit.np.layers as npl
    import dlkit.tf.layers as tfl
    xs = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    dy_shape = (3, 8) if name == "Concatenate" else (3, 4)
    dy = rng.standard_normal(dy_shape)
    np_layer = make(npl)
    y = np_layer([x.astype("float32") for x in xs], training=True)
    dxs = np_layer.backward(dy.astype("float32"))
    for layer in (make(keras.layers), make(tfl)):
        ts = [tf.constant(x, tf.float32) for x in xs]
        with tf.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            out = layer(ts)
            loss = tf.reduce_sum(out * dy.astype("float32"))
        np.testing.assert_allclose(out.numpy(), y, atol=1e-6)
        for g, d in zip(tape.gradient(loss, ts), dxs):
            np.testing.assert_allclose(g.numpy(), d, atol=1e-5)
