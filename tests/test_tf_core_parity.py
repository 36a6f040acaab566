"""dlkit.np vs dlkit.tf vs stock Keras: core layers, activations and losses (float64, atol 1e-6)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit.np as dnp  # noqa: E402
import dlkit.tf as dtf  # noqa: E402

ATOL = 1e-6
ACTS = [None, "relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus", "silu", "softmax"]


def tf_forward_and_grads(layer, x, dy, training=False):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=training)
        loss = tf.reduce_sum(y * dy)
    grads = tape.gradient(loss, [xt] + list(layer.trainable_weights))
    return y.numpy(), [g.numpy() for g in grads]


def np_forward_and_grads(layer, x, dy, training=False):
    y = layer(x, training=training)
    dx = layer.backward(dy)
    return y, [dx] + [layer.grads[k] for k in layer.trainable_names]


def assert_triple(np_layer, tf_layer, keras_layer, x, seed):
    y_np = np_layer(x)
    for other in (tf_layer, keras_layer):
        other(tf.constant(x))
        if np_layer.params:
            other.set_weights(np_layer.get_weights())
            assert [w.name.split("/")[-1] for w in other.weights] == list(np_layer.params)
    dy = np.random.default_rng(seed + 100).standard_normal(y_np.shape)
    y_np, g_np = np_forward_and_grads(np_layer, x, dy)
    for other in (tf_layer, keras_layer):
        y_o, g_o = tf_forward_and_grads(other, x, dy)
        np.testing.assert_allclose(y_np, y_o, atol=ATOL)
        assert len(g_np) == len(g_o)
        for a, b in zip(g_np, g_o):
            np.testing.assert_allclose(a, b, atol=ATOL)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_dense_parity(activation, seed):
    rng = np.random.default_rng(seed)
    units, d = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    shape = (int(rng.integers(1, 5)), d) if seed == 0 else (2, int(rng.integers(1, 4)), d)
    use_bias = seed == 0 or activation != "relu"
    x = rng.standard_normal(shape)
    kw = dict(activation=activation, use_bias=use_bias, dtype="float64")
    assert_triple(dnp.layers.Dense(units, **kw), dtf.layers.Dense(units, **kw),
                  keras.layers.Dense(units, **kw), x, seed)


@pytest.mark.parametrize("activation", ACTS[1:])
def test_activation_layer_parity(activation):
    x = np.random.default_rng(3).standard_normal((3, 4, 5))
    assert_triple(dnp.layers.Activation(activation, dtype="float64"),
                  dtf.layers.Activation(activation, dtype="float64"),
                  keras.layers.Activation(activation, dtype="float64"), x, 3)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (3, 2, 2, 5)])
def test_flatten_and_dropout_inference_parity(shape):
    x = np.random.default_rng(4).standard_normal(shape)
    assert_triple(dnp.layers.Flatten(dtype="float64"), dtf.layers.Flatten(dtype="float64"),
                  keras.layers.Flatten(dtype="float64"), x, 4)
    assert_triple(dnp.layers.Dropout(0.5, dtype="float64"), dtf.layers.Dropout(0.5, dtype="float64"),
                  keras.layers.Dropout(0.5, dtype="float64"), x, 4)
    for layer in (dnp.layers.Flatten(), dtf.layers.Flatten()):
        assert tuple(layer.compute_output_shape((None,) + shape[1:])) == \
            tuple(keras.layers.Flatten().compute_output_shape((None,) + shape[1:]))


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training(rate):
    x = np.random.default_rng(5).uniform(0.5, 1.5, size=(400, 50))
    tf_layer = dtf.layers.Dropout(rate, seed=7, dtype="float64")
    y_tf, (dx_tf,) = tf_forward_and_grads(tf_layer, x, np.ones_like(x), training=True)
    np_layer = dnp.layers.Dropout(rate, seed=7, dtype="float64")
    y_np = np_layer(x, training=True)
    dy = np.random.default_rng(6).standard_normal(x.shape)
    dx_np = np_layer.backward(dy)
    for y in (y_tf, y_np):
        kept = y != 0
        assert abs((1 - kept.mean()) - rate) < 0.01  # 20000 draws: std of the rate ~0.0035
        np.testing.assert_allclose(y[kept], x[kept] / (1 - rate))
    np.testing.assert_allclose(dx_tf, (y_tf != 0) / (1 - rate))
    np.testing.assert_allclose(dx_np, dy * (y_np != 0) / (1 - rate))
    y2 = tf_layer(tf.constant(x), training=True).numpy()
    assert not np.array_equal(y2, y_tf)  # a fresh mask each call


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus",
                                  "silu", "softmax", "linear"])
def test_activations_vs_keras(name):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 6)) * 3
    x = np.where(np.abs(x) < 1e-3, 0.5, x)
    dy = rng.standard_normal(x.shape)
    act = dnp.activations.get(name)
    y_np, cache = act.forward(x)
    dx_np = act.backward(dy, cache)
    for fn in (keras.activations.get(name), dtf.activations.get(name)):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
            loss = tf.reduce_sum(y * dy)
        np.testing.assert_allclose(y_np, y.numpy(), atol=ATOL)
        np.testing.assert_allclose(dx_np, tape.gradient(loss, xt).numpy(), atol=ATOL)
    if name != "softmax":
        np.testing.assert_allclose(dx_np, dy * getattr(dnp.activations, name + "_grad")(x), atol=1e-12)



@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_float64_to_machine_precision(approximate):
    """dlkit.tf's GELU keeps float64 constants in float64 (a float32 sqrt(2) was off by ~5e-9)."""
    x = np.linspace(-6, 6, 241)
    want = dnp.activations.gelu(x, approximate=approximate)
    got = dtf.activations.gelu(tf.constant(x), approximate=approximate).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)

def _loss_data(name, logits, rng):
    shape = (int(rng.integers(2, 7)), int(rng.integers(2, 5)))
    if logits:
        p = rng.standard_normal(shape) * 2
    elif name == "categorical_crossentropy":
        p = rng.uniform(0.05, 1, shape)  # unnormalised on purpose: Keras renormalises
    elif name == "sparse_categorical_crossentropy":
        p = dnp.activations.softmax(rng.standard_normal(shape))
    else:
        p = rng.uniform(0.02, 0.98, shape)
    if name == "sparse_categorical_crossentropy":
        t = rng.integers(0, shape[1], shape[0])
    elif name == "categorical_crossentropy":
        t = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    elif name == "binary_crossentropy":
        t = rng.integers(0, 2, shape).astype(float)
    else:
        t = rng.standard_normal(shape)
    return t, p


LOSSES = [("mean_squared_error", keras.losses.MeanSquaredError, False),
          ("binary_crossentropy", keras.losses.BinaryCrossentropy, False),
          ("binary_crossentropy", keras.losses.BinaryCrossentropy, True),
          ("categorical_crossentropy", keras.losses.CategoricalCrossentropy, False),
          ("categorical_crossentropy", keras.losses.CategoricalCrossentropy, True),
          ("sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy, False),
          ("sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy, True)]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name,keras_cls,logits", LOSSES)
def test_losses_vs_keras(name, keras_cls, logits, seed):
    rng = np.random.default_rng(seed)
    t, p = _loss_data(name, logits, rng)
    kw = {} if name == "mean_squared_error" else {"from_logits": logits}
    np_loss = type(dnp.losses.get(name))(**kw)
    value = np_loss(t, p)
    grad = np_loss.backward()
    for loss in (keras_cls(dtype="float64", **kw), type(dtf.losses.get(name))(dtype="float64", **kw)):
        pt = tf.constant(p)
        with tf.GradientTape() as tape:
            tape.watch(pt)
            v = loss(tf.constant(t), pt)
        np.testing.assert_allclose(value, v.numpy(), atol=ATOL)
        np.testing.assert_allclose(grad, tape.gradient(v, pt).numpy(), atol=ATOL)


def test_binary_targets_of_rank_one_vs_keras():
    rng = np.random.default_rng(8)
    t, p = rng.integers(0, 2, 6).astype(float), rng.uniform(0.1, 0.9, (6, 1))
    for name, cls in [("binary_crossentropy", keras.losses.BinaryCrossentropy),
                      ("mse", keras.losses.MeanSquaredError)]:
        np.testing.assert_allclose(dnp.losses.get(name)(t, p), cls(dtype="float64")(t, p).numpy(), atol=ATOL)
        np.testing.assert_allclose(dtf.losses.get(name)(t, p), cls()(t, p).numpy(), atol=1e-6)


def test_tf_dense_regularizer_and_width_check():
    from dlkit.np import regularizers
    np_layer = dnp.layers.Dense(3, kernel_regularizer=regularizers.L2(0.05), dtype="float64")
    tf_layer = dtf.layers.Dense(3, kernel_regularizer=regularizers.L2(0.05), dtype="float64")
    x = np.random.default_rng(9).standard_normal((4, 5))
    np_layer(x)
    tf_layer(x)
    tf_layer.set_weights(np_layer.get_weights())
    np.testing.assert_allclose(np_layer.losses[0], float(tf_layer.losses[0]), rtol=1e-6)  # Keras keeps l2 in float32
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 5"):
        tf_layer(np.zeros((2, 7)))


def test_device_report():
    msg = dtf.device_report(print_it=False)
    assert msg.startswith(f"TensorFlow {tf.__version__}:")
    gpus = tf.config.list_physical_devices("GPU")
    assert ("no GPU visible" in msg) == (not gpus)
