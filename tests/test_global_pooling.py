"""Global pooling (1-D with masks, 2-D, keepdims): float64 gradient checks, parity with Keras and dlkit.tf."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from dlkit.gradcheck import check_layer, eval_numerical_gradient, scaled_rel_error  # noqa: E402
from dlkit.np.layers import pooling as npp  # noqa: E402
from dlkit.tf.layers import pooling as tfp  # noqa: E402

NAMES_1D = ["GlobalAveragePooling1D", "GlobalMaxPooling1D"]
NAMES_2D = ["GlobalAveragePooling2D", "GlobalMaxPooling2D"]
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 0, 1, 1], [1, 1, 1, 1, 1]], bool)


def _x(shape, seed=0):
    # distinct, well-separated values: max pooling is linear within +-h, central differences are exact
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) - n / 2).reshape(shape) / 10


def _keras_grads(layer, x, dy, mask=None):
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xv) if mask is None else layer(xv, mask=tf.constant(mask))
        loss = tf.reduce_sum(y * dy)
    return y.numpy(), tape.gradient(loss, xv).numpy()


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", NAMES_1D + NAMES_2D)
def test_gradcheck_and_parity(name, keepdims):
    shape = (3, 5, 4) if name.endswith("1D") else (3, 4, 3, 2)
    x = _x(shape)
    layer = getattr(npp, name)(keepdims=keepdims, dtype="float64")
    assert check_layer(layer, x, h=1e-3)["x"] < 1e-8
    y = layer(x)
    expect = (3,) + (1,) * ((len(shape) - 2) * keepdims) + (shape[-1],)
    assert y.shape == expect == layer.compute_output_shape(shape)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    dx = layer.backward(dy)
    for other in (getattr(tfp, name)(keepdims=keepdims, dtype="float64"),
                  getattr(keras.layers, name)(keepdims=keepdims, dtype="float64")):
        y_ref, dx_ref = _keras_grads(other, x, dy)
        np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES_1D)
def test_masked_1d(name):
    x = _x((3, 5, 4), seed=2)
    layer = getattr(npp, name)(dtype="float64")
    y = layer(x, mask=MASK)
    for i in range(3):     # pooling over the real steps only
        real = x[i, MASK[i]]
        np.testing.assert_allclose(y[i], real.mean(0) if "Average" in name else real.max(0), atol=1e-14)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    dx = layer.backward(dy)
    assert np.all(dx[~MASK] == 0)
    num = eval_numerical_gradient(lambda _: np.sum(layer(x, mask=MASK) * dy), x, h=1e-3)
    assert scaled_rel_error(dx, num) < 1e-8
    y_tf, dx_tf = _keras_grads(getattr(tfp, name)(dtype="float64"), x, dy, MASK)
    np.testing.assert_allclose(y, y_tf, atol=1e-12)
    np.testing.assert_allclose(dx, dx_tf, atol=1e-12)
    if "Average" in name:  # Keras' GlobalMaxPooling1D ignores masks; its average uses the same formula
        y_k, dx_k = _keras_grads(keras.layers.GlobalAveragePooling1D(dtype="float64"), x, dy, MASK)
        np.testing.assert_allclose(y, y_k, atol=1e-12)
        np.testing.assert_allclose(dx, dx_k, atol=1e-12)


@pytest.mark.parametrize("name", NAMES_1D)
def test_fully_masked_row_gives_zeros(name):
    x = _x((2, 3, 2))
    mask = np.array([[0, 0, 0], [1, 1, 0]], bool)
    layer = getattr(npp, name)(dtype="float64")
    y = layer(x, mask=mask)
    assert np.all(y[0] == 0) and np.all(np.isfinite(y))
    assert np.all(layer.backward(np.ones_like(y))[0] == 0)


def test_max_ties_go_to_first_argmax():
    x = np.array([[[1.0, 2.0], [3.0, 2.0], [3.0, 0.0]]])
    layer = npp.GlobalMaxPooling1D(dtype="float64")
    np.testing.assert_array_equal(layer(x), [[3.0, 2.0]])
    np.testing.assert_array_equal(layer.backward(np.array([[1.0, 5.0]])),
                                  [[[0, 5.0], [1.0, 0], [0, 0]]])
    x2 = np.zeros((1, 2, 2, 1))
    layer2 = npp.GlobalMaxPooling2D(dtype="float64")
    layer2(x2)
    np.testing.assert_array_equal(layer2.backward(np.array([[1.0]]))[0, :, :, 0], [[1, 0], [0, 0]])


def test_errors():
    with pytest.raises(ValueError, match="channels_last"):
        npp.GlobalAveragePooling1D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"\(batch, steps, features\)"):
        npp.GlobalMaxPooling1D()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="mask must have shape"):
        npp.GlobalAveragePooling1D()(np.zeros((2, 3, 4)), mask=np.ones((2, 4), bool))
    layer = npp.GlobalMaxPooling2D()
    with pytest.raises(ValueError):
        layer(np.zeros((2, 3, 4)))
    layer(np.zeros((2, 3, 3, 4)))
    with pytest.raises(ValueError, match="backward expected"):
        layer.backward(np.zeros((2, 5)))
