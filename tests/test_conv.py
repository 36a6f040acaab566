"""Conv2D: naive vs im2col, float64 gradient checks, parity dlkit.np = dlkit.tf = keras, bad input."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import dlkit.np.layers as nl  # noqa: E402
import dlkit.tf.layers as tl  # noqa: E402
from parity import compare_np_tf_keras  # noqa: E402
from dlkit.gradcheck import check_layer, eval_numerical_gradient_array, rel_error  # noqa: E402
from dlkit.np.functional.conv import (conv2d_backward, conv2d_forward, conv2d_naive,  # noqa: E402
                                      same_pads)

# (H, W, kh, kw, strides, padding): strides 1 and 2, both paddings, even and odd sizes and kernels
CONFIGS = [
    (5, 5, 3, 3, 1, "same"), (6, 6, 3, 3, 1, "same"), (6, 7, 3, 3, 2, "same"), (7, 7, 3, 3, 2, "same"),
    (6, 6, 2, 2, 2, "same"), (5, 6, 4, 4, 1, "same"), (6, 6, 3, 3, 1, "valid"), (7, 6, 3, 3, 2, "valid"),
    (6, 7, 2, 2, 2, "valid"), (8, 8, 4, 3, (2, 1), "valid"), (5, 5, 5, 5, 1, "valid"),
]


def _data(cfg, seed=0, n=2, c=3, f=4):
    H, W, kh, kw, s, pad = cfg
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, H, W, c)), rng.standard_normal((kh, kw, c, f)),
            rng.standard_normal(f), s, pad)


@pytest.mark.parametrize("size,k,s,expected", [(5, 3, 1, (1, 1)), (6, 3, 2, (0, 1)), (7, 3, 2, (1, 1)),
                                               (6, 2, 1, (0, 1)), (6, 4, 1, (1, 2)), (5, 1, 2, (0, 0)),
                                               (4, 5, 3, (2, 2)), (7, 4, 2, (1, 2))])
def test_same_pads_match_tensorflow_rule(size, k, s, expected):
    assert same_pads(size, k, s) == expected
    # TF pads asymmetrically: a ones column convolved with a ones kernel counts the real pixels
    col = tf.nn.conv2d(np.ones((1, size, 1, 1)), np.ones((k, 1, 1, 1)), (s, 1), "SAME").numpy()
    xp = np.pad(np.ones(size), expected)
    n_out = -(-size // s)
    np.testing.assert_allclose(col[0, :, 0, 0], [xp[i * s:i * s + k].sum() for i in range(n_out)])


@pytest.mark.parametrize("cfg", CONFIGS)
def test_im2col_equals_naive(cfg):
    x, w, b, s, pad = _data(cfg)
    out, _ = conv2d_forward(x, w, b, s, pad)
    np.testing.assert_allclose(out, conv2d_naive(x, w, b, s, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_conv_backward_gradcheck(cfg):
    x, w, b, s, pad = _data(cfg, seed=1)
    out, cache = conv2d_forward(x, w, b, s, pad)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    # the convolution is linear in x, w and b, so central differences are exact up to rounding
    h = 1e-3
    num_dx = eval_numerical_gradient_array(lambda v: conv2d_forward(v, w, b, s, pad)[0], x, dout, h=h)
    num_dw = eval_numerical_gradient_array(lambda v: conv2d_forward(x, v, b, s, pad)[0], w, dout, h=h)
    num_db = eval_numerical_gradient_array(lambda v: conv2d_forward(x, w, v, s, pad)[0], b, dout, h=h)
    assert rel_error(dx, num_dx) < 1e-8
    assert rel_error(dw, num_dw) < 1e-8
    assert rel_error(db, num_db) < 1e-8


def test_workspace_reuse_across_batch_sizes():
    layer = nl.Conv2D(4, 3, padding="same", dtype="float64")
    rng = np.random.default_rng(3)
    for n in (3, 5, 3):
        x = rng.standard_normal((n, 6, 6, 2))
        y = layer(x, training=True)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        k = layer.params["kernel"]
        np.testing.assert_allclose(y, conv2d_naive(x, k, layer.params["bias"], 1, "same"), atol=1e-12)
        ref = np.array(eval_numerical_gradient_array(
            lambda v: conv2d_forward(v, k, None, 1, "same")[0], x.copy(), dy, h=1e-3))
        np.testing.assert_allclose(dx, ref, atol=1e-8)


def test_layer_gradcheck_with_activation():
    layer = nl.Conv2D(3, (3, 2), strides=2, padding="same", activation="tanh", dtype="float64")
    x = np.random.default_rng(4).standard_normal((2, 5, 6, 2))
    errors = check_layer(layer, x, h=1e-5)
    assert set(errors) == {"x", "kernel", "bias"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cfg", CONFIGS[::2] + [CONFIGS[3], CONFIGS[9]])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_conv_parity_np_tf_keras(cfg, activation):
    H, W, kh, kw, s, pad = cfg
    x = np.random.default_rng(6).standard_normal((3, H, W, 2))
    kwargs = dict(filters=5, kernel_size=(kh, kw), strides=s, padding=pad, activation=activation,
                  dtype="float64")
    np_layer = nl.Conv2D(**kwargs)
    np_layer(x)
    np_layer.params["bias"][...] = np.random.default_rng(7).standard_normal(5)
    compare_np_tf_keras(np_layer, tl.Conv2D(**kwargs), keras.layers.Conv2D(**kwargs), x)


def test_kernel_regularizer_gradient_and_loss():
    x = np.random.default_rng(8).standard_normal((2, 5, 5, 3))
    plain = nl.Conv2D(4, 3, dtype="float64")
    reg = nl.Conv2D(4, 3, kernel_regularizer="l2", dtype="float64")
    plain(x), reg(x)
    reg.set_weights(plain.get_weights())
    dy = np.ones(plain(x).shape)
    reg(x), plain.backward(dy), reg.backward(dy)
    k = plain.params["kernel"]
    np.testing.assert_allclose(reg.grads["kernel"] - plain.grads["kernel"], 2 * 0.01 * k, atol=1e-12)
    keras_reg = keras.layers.Conv2D(4, 3, kernel_regularizer="l2", dtype="float64")
    keras_reg(x)
    keras_reg.set_weights(plain.get_weights())
    np.testing.assert_allclose(reg.losses[0], float(keras_reg.losses[0]), rtol=1e-6)
    tf_reg = tl.Conv2D(4, 3, kernel_regularizer="l2", dtype="float64")
    tf_reg(x)
    tf_reg.set_weights(plain.get_weights())
    np.testing.assert_allclose(reg.losses[0], float(tf_reg.losses[0]), rtol=1e-6)
    assert plain.losses == []


def test_float32_throughout():
    layer = nl.Conv2D(8, 3, padding="same")
    x = np.random.default_rng(9).standard_normal((2, 6, 6, 3))
    y = layer(x, training=True)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.grads["kernel"].dtype == layer.grads["bias"].dtype == np.float32
    assert layer.params["kernel"].shape == (3, 3, 3, 8)
    assert layer.compute_output_shape((None, 6, 6, 3)) == (None, 6, 6, 8)


@pytest.mark.parametrize("mod", [nl, tl])
def test_bad_input_errors(mod):
    layer = mod.Conv2D(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\).*missing channel"):
        layer(np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match="larger than"):
        mod.Conv2D(4, 5)(np.zeros((2, 4, 4, 1), "float32"))
    layer(np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, height, width, 3\).*NCHW"):
        layer(np.zeros((2, 3, 8, 8), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\), got \(2, 8, 8, 5\)"):
        layer(np.zeros((2, 8, 8, 5), "float32"))


def test_backward_before_forward_and_bad_args():
    with pytest.raises(RuntimeError, match="before forward"):
        nl.Conv2D(2, 3).backward(np.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match="padding"):
        nl.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="filters"):
        nl.Conv2D(0, 3)
