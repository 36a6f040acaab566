"""Pooling and normalization: float64 gradient checks and parity dlkit.np = dlkit.tf = keras."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import keras  # noqa: E402

import dlkit.np.layers as nl  # noqa: E402
import dlkit.tf.layers as tl  # noqa: E402
from dlkit.gradcheck import check_layer  # noqa: E402
from parity import compare_np_tf_keras as _compare  # noqa: E402
from dlkit.np.functional import normalization as NF  # noqa: E402

POOLS = [  # (H, W, pool_size, strides, padding)
    (6, 6, 2, None, "valid"), (7, 7, 2, None, "valid"), (7, 6, 3, 2, "valid"), (7, 7, 2, None, "same"),
    (6, 5, 3, 2, "same"), (5, 5, 3, 1, "same"), (6, 6, (2, 3), (1, 2), "valid"),
]


@pytest.mark.parametrize("cfg", POOLS)
@pytest.mark.parametrize("name", ["MaxPooling2D", "AveragePooling2D"])
def test_pooling_gradcheck_and_parity(name, cfg):
    H, W, pool, strides, pad = cfg
    # well-separated values: pooling is linear within +-h, so central differences are exact up to rounding
    n = 2 * H * W * 3
    x = (np.random.default_rng(0).permutation(n) - n / 2).reshape(2, H, W, 3) / 10
    kwargs = dict(pool_size=pool, strides=strides, padding=pad, dtype="float64")
    errors = check_layer(getattr(nl, name)(**kwargs), x, h=1e-3)
    assert errors["x"] < 1e-7
    _compare(getattr(nl, name)(**kwargs), getattr(tl, name)(**kwargs),
             getattr(keras.layers, name)(**kwargs), x)


def test_global_average_pooling():
    x = np.random.default_rng(1).standard_normal((3, 5, 4, 2))
    layer = nl.GlobalAveragePooling2D(dtype="float64")
    assert check_layer(layer, x)["x"] < 1e-8
    _compare(nl.GlobalAveragePooling2D(dtype="float64"), tl.GlobalAveragePooling2D(dtype="float64"),
             keras.layers.GlobalAveragePooling2D(dtype="float64"), x)
    assert layer(x).shape == (3, 2)


def test_maxpool_routes_gradient_to_the_maximum():
    x = np.array([[1.0, 5.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    layer = nl.MaxPooling2D()
    assert layer(x).item() == 5.0
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, :, :, 0], [[0, 1], [0, 0]])


def _random_weights(layer, rng):
    ws = layer.get_weights()
    ws[:2] = [rng.standard_normal(w.shape) for w in ws[:2]]
    if len(ws) == 4:  # moving statistics: positive variance
        ws[2], ws[3] = rng.standard_normal(ws[2].shape), rng.uniform(0.5, 2, ws[3].shape)
    layer.set_weights(ws)


@pytest.mark.parametrize("name", ["BatchNormalization", "LayerNormalization"])
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_norm_gradcheck(name, shape, training):
    rng = np.random.default_rng(2)
    x = 2 * rng.standard_normal(shape) + 1
    layer = getattr(nl, name)(dtype="float64")
    layer(x)
    _random_weights(layer, rng)
    errors = check_layer(layer, x, h=1e-5, training=training)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-6, errors


def test_layernorm_functional_matches_definition():
    x = np.random.default_rng(3).standard_normal((4, 3, 6))
    g, b = np.arange(6.0), np.ones(6)
    out, _ = NF.layernorm_forward(x, g, b, 1e-3)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * g + b
    np.testing.assert_allclose(out, ref, atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 6), (4, 5, 5, 3)])
def test_layernorm_parity(shape):
    rng = np.random.default_rng(4)
    x = 3 * rng.standard_normal(shape) - 1
    np_layer = nl.LayerNormalization(dtype="float64")
    np_layer(x)
    _random_weights(np_layer, rng)
    _compare(np_layer, tl.LayerNormalization(dtype="float64"),
             keras.layers.LayerNormalization(dtype="float64"), x)


@pytest.mark.parametrize("shape", [(16, 5), (4, 5, 5, 3)])
def test_batchnorm_parity_training_then_inference(shape):
    rng = np.random.default_rng(6)
    x = 3 * rng.standard_normal(shape) + 2
    kw = dict(momentum=0.9, dtype="float64")
    np_layer, tf_layer, k_layer = nl.BatchNormalization(**kw), tl.BatchNormalization(**kw), \
        keras.layers.BatchNormalization(**kw)
    np_layer(x)
    _random_weights(np_layer, rng)
    # a few training steps: batch statistics, and the moving statistics must move identically
    _compare(np_layer, tf_layer, k_layer, x, training=True, steps=3)
    assert not np.allclose(np_layer.params["moving_mean"], 0)
    _compare(np_layer, tf_layer, k_layer, x + 1, training=False)
    assert [w.path.split("/")[-1] for w in tf_layer.weights] == list(np_layer.params) == \
        ["gamma", "beta", "moving_mean", "moving_variance"]
    assert np_layer.trainable_names == ["gamma", "beta"]


def test_batchnorm_defaults_and_update_formula():
    layer = nl.BatchNormalization()
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    assert nl.LayerNormalization().epsilon == 1e-3
    x = np.random.default_rng(7).standard_normal((10, 3)).astype("float32")
    layer(x, training=True)
    np.testing.assert_allclose(layer.params["moving_mean"], 0.01 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.params["moving_variance"], 0.99 + 0.01 * x.var(0), rtol=1e-5)
    y_inf = layer(x)  # inference uses the moving statistics: nearly the identity here
    assert np.abs(y_inf - x).max() < 0.1


@pytest.mark.parametrize("mod", [nl, tl])
def test_pool_and_norm_bad_input(mod):
    pool = mod.MaxPooling2D(3)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        pool(np.zeros((2, 6, 6), "float32"))
    with pytest.raises(ValueError, match="larger than"):
        pool(np.zeros((2, 2, 6, 1), "float32"))
    pool(np.zeros((2, 6, 6, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\)"):
        pool(np.zeros((2, 6, 6, 4), "float32"))
    norm = mod.BatchNormalization()
    norm(np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, \.\.\., 5\)"):
        norm(np.zeros((4, 6), "float32"))
