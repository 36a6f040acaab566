"""dlkit.np core: activations, dense functional core, Dense/Activation/Dropout/Flatten, losses.

Every backward is checked against central differences in float64.
"""
import subprocess
import sys

import numpy as np
import pytest

from dlkit.gradcheck import check_layer, eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from dlkit.np import activations, losses
from dlkit.np.functional.dense import dense_backward, dense_forward
from dlkit.np.layers.core import Activation, Dense, Dropout, Flatten

SMOOTH = ["linear", "sigmoid", "tanh", "elu", "gelu", "softplus", "silu"]
ELEMENTWISE = SMOOTH + ["relu", "leaky_relu"]


def away_from_zero(rng, shape, margin=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin + x, x)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_derivative_matches_numerical(name):
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (4, 6)) * 2
    fn, grad = getattr(activations, name), getattr(activations, name + "_grad")
    num = eval_numerical_gradient_array(fn, x.copy(), np.ones_like(x), h=1e-6)
    assert rel_error(grad(x), num) < 1e-7


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax", None])
def test_activation_object_backward(name):
    rng = np.random.default_rng(2)
    x, dy = away_from_zero(rng, (3, 5)), rng.standard_normal((3, 5))
    act = activations.get(name)
    y, cache = act.forward(x)
    num = eval_numerical_gradient_array(lambda v: act.forward(v)[0], x.copy(), dy, h=1e-6)
    assert rel_error(act.backward(dy, cache), num) < 1e-7


def test_activation_values_and_ranges():
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    assert np.all(np.isfinite(activations.sigmoid(x)))
    np.testing.assert_allclose(activations.sigmoid(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2))])
    np.testing.assert_allclose(activations.leaky_relu(np.array([-1.0, 2.0])), [-0.2, 2.0])  # Keras 3 default
    np.testing.assert_allclose(activations.elu(np.array([-1.0])), [np.expm1(-1.0)])
    np.testing.assert_allclose(activations.gelu(np.array([1.0])), [0.8413447460685429], rtol=1e-12)
    s = activations.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(s, [[0.5, 0.5, 0.0]])
    assert activations.relu(np.float32([-1, 2])).dtype == np.float32
    assert activations.sigmoid(np.float32([-1, 2])).dtype == np.float32
    with pytest.raises(ValueError, match="unknown activation 'reluu'"):
        activations.get("reluu")
    assert activations.get(activations.tanh).name == "tanh"


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5)])
def test_dense_functional(use_bias, shape):
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal(shape), rng.standard_normal((5, 3))
    b = rng.standard_normal(3) if use_bias else None
    out, cache = dense_forward(x, W, b)
    assert out.shape == shape[:-1] + (3,)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = dense_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: dense_forward(v, W, b)[0], x, dout)) < 1e-7
    assert rel_error(dW, eval_numerical_gradient_array(lambda v: dense_forward(x, v, b)[0], W, dout)) < 1e-7
    if use_bias:
        assert rel_error(db, eval_numerical_gradient_array(lambda v: dense_forward(x, W, v)[0], b, dout)) < 1e-7
    else:
        assert db is None


@pytest.mark.parametrize("activation", ELEMENTWISE + ["softmax", None])
def test_dense_layer_gradcheck(activation):
    rng = np.random.default_rng(4)
    layer = Dense(4, activation=activation, dtype="float64")
    x = rng.standard_normal((3, 5))
    layer(x)
    if activation in ("relu", "leaky_relu"):  # keep pre-activations away from the kink
        z = x @ layer.params["kernel"] + layer.params["bias"]
        x = x[np.all(np.abs(z) > 0.05, axis=1)]
        assert len(x) > 0
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "kernel", "bias"}
    assert max(errors.values()) < 1e-7, errors


def test_dense_no_bias_rank3_and_shapes():
    rng = np.random.default_rng(5)
    layer = Dense(3, activation="tanh", use_bias=False, dtype="float64")
    x = rng.standard_normal((2, 4, 5))
    y = layer(x)
    assert y.shape == (2, 4, 3) and list(layer.params) == ["kernel"]
    assert layer.compute_output_shape((None, 4, 5)) == (None, 4, 3)
    assert layer.count_params() == 15
    errors = check_layer(layer, x)
    assert max(errors.values()) < 1e-7, errors
    d = Dense(7)
    d(np.zeros((2, 5)))
    assert d.count_params() == 5 * 7 + 7 and d.params["kernel"].dtype == np.float32
    limit = np.sqrt(6 / (5 + 7))  # glorot_uniform
    assert np.all(np.abs(d.params["kernel"]) <= limit) and np.all(d.params["bias"] == 0)


def test_dense_kernel_regularizer():
    from dlkit.np import regularizers
    rng = np.random.default_rng(6)
    layer = Dense(3, kernel_regularizer=regularizers.L2(0.05), dtype="float64")
    x, dy = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    y = layer(x)
    W = layer.params["kernel"]
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0], 0.05 * np.sum(W ** 2))
    layer.backward(dy)

    def total(_):
        return np.sum(layer(x) * dy) + sum(layer.losses)
    assert rel_error(layer.grads["kernel"], eval_numerical_gradient(total, W, h=1e-6)) < 1e-7
    assert Dense(2).losses == []
    assert y.shape == (4, 3)


def test_activation_layer():
    rng = np.random.default_rng(7)
    for name in ["softmax", "gelu", "sigmoid"]:
        errors = check_layer(Activation(name, dtype="float64"), rng.standard_normal((3, 4)))
        assert errors["x"] < 1e-7, (name, errors)


def test_dropout_fixed_mask_and_inference():
    rng = np.random.default_rng(8)
    layer = Dropout(0.4, seed=3, dtype="float64")
    x = rng.uniform(0.5, 1.5, size=(200, 50))
    assert np.array_equal(layer(x, training=False), x)
    y = layer(x, training=True)
    kept = y != 0
    assert abs(1 - kept.mean() - 0.4) < 0.02  # rate of zeros
    np.testing.assert_allclose(y[kept], x[kept] / 0.6)  # inverted scaling
    mask = kept / 0.6
    dy = rng.standard_normal(x.shape)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, dy * mask)  # backward reuses the forward mask
    xs, dys, ms = x[:3, :4].copy(), dy[:3, :4], mask[:3, :4]
    num = eval_numerical_gradient_array(lambda v: v * ms, xs, dys)
    assert rel_error(dx[:3, :4], num) < 1e-7
    # same seed, same masks; different calls, different masks
    other = Dropout(0.4, seed=3, dtype="float64")
    assert np.array_equal(other(x, training=True), y)
    assert not np.array_equal(other(x, training=True), y)
    # noise_shape broadcasts one mask over an axis
    ns = Dropout(0.5, noise_shape=(None, 1, 6), seed=0, dtype="float64")
    z = ns(np.ones((4, 3, 6)), training=True)
    assert np.all(z == z[:, :1, :])


def test_flatten():
    rng = np.random.default_rng(9)
    layer = Flatten(dtype="float64")
    x = rng.standard_normal((2, 3, 4, 5))
    assert layer(x).shape == (2, 60)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 60)
    assert check_layer(layer, x)["x"] < 1e-7


LOSS_CASES = [
    ("mse", lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)))),
    ("mse", lambda r: (r.standard_normal((5,)), r.standard_normal((5, 1)))),
    ("binary_crossentropy", lambda r: (r.integers(0, 2, (6, 2)).astype(float), r.uniform(0.05, 0.95, (6, 2)))),
    ("categorical_crossentropy", lambda r: (np.eye(4)[r.integers(0, 4, 5)], r.uniform(0.05, 1, (5, 4)))),
    ("sparse_categorical_crossentropy", lambda r: (r.integers(0, 4, 5), r.uniform(0.05, 0.9, (5, 4)))),
    ("sparse_categorical_crossentropy", lambda r: (r.integers(0, 4, (2, 3, 1)), r.uniform(0.05, 0.9, (2, 3, 4)))),
]


@pytest.mark.parametrize("name,make,from_logits",
                         [(n, m, f) for n, m in LOSS_CASES for f in (False, True) if not (n == "mse" and f)])
def test_loss_backward(name, make, from_logits):
    rng = np.random.default_rng(10)
    y_true, y_pred = make(rng)
    loss = losses.get(name)
    if from_logits:  # MSE has no from_logits
        loss.from_logits = True
        y_pred = rng.standard_normal(y_pred.shape)
    value = loss(y_true, y_pred)
    assert np.ndim(value) == 0 and np.isfinite(value)
    grad = loss.backward()
    assert grad.shape == y_pred.shape
    num = eval_numerical_gradient(lambda v: loss(y_true, v), y_pred.copy(), h=1e-5)
    assert rel_error(grad, num) < 1e-7


def test_loss_values():
    t, p = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.5, 0.5], [2.0, 1.0]])
    np.testing.assert_allclose(losses.MeanSquaredError()(t, p), np.mean([(0.25 + 0.25) / 2, 0.5]))
    bce = losses.BinaryCrossentropy()
    assert np.isfinite(bce(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])))  # clipped, not inf
    np.testing.assert_allclose(bce(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])), -np.log(1e-7), rtol=1e-6)
    z = np.array([[1000.0, -1000.0, 0.0]])
    assert np.isfinite(losses.CategoricalCrossentropy(from_logits=True)(np.array([[0, 1.0, 0]]), z))
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([1]), z), 2000.0)
    cce = losses.CategoricalCrossentropy()(np.array([[0, 1.0]]), np.array([[1.0, 3.0]]))  # renormalised
    np.testing.assert_allclose(cce, -np.log(0.75))
    assert losses.get("mean_squared_error").name == "mean_squared_error"


def test_bad_inputs():
    d = Dense(4, name="dense_t")
    d(np.zeros((2, 64)))
    with pytest.raises(ValueError, match=r"Dense 'dense_t': expected input of shape \(batch, 64\), got \(32, 10\)"):
        d(np.zeros((32, 10)))
    with pytest.raises(ValueError, match=r"weight 'kernel' must have shape \(64, 4\), got \(4, 64\)"):
        d.set_weights([np.zeros((4, 64)), np.zeros(4)])
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward"):
        Dense(3).backward(np.zeros((1, 3)))
    with pytest.raises(RuntimeError, match="called before forward"):
        Dropout(0.5).backward(np.zeros(3))
    with pytest.raises(ValueError, match=r"rate must be a number in the range \[0, 1\), got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(0)
    scce = losses.SparseCategoricalCrossentropy()
    p = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"labels must be in the range \[0, 4\)"):
        scce(np.array([0, 4, 1]), p)
    with pytest.raises(ValueError, match=r"integer class labels in \[0, 4\)"):
        scce(np.array([0.5, 1, 2]), p)
    with pytest.raises(ValueError, match=r"must have shape \(3,\)"):
        scce(np.array([0, 1]), p)
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred \(3, 4\), got \(3, 2\)"):
        losses.MeanSquaredError()(np.zeros((3, 2)), p)
    with pytest.raises(ValueError, match=r"shape of y_pred \(5, 1\), got \(4,\)"):
        losses.BinaryCrossentropy()(np.zeros(4), np.full((5, 1), 0.5))
    with pytest.raises(RuntimeError, match="before the loss was computed"):
        losses.MeanSquaredError().backward()
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        losses.get("msee")


def test_import_does_not_load_tensorflow():
    code = ("import sys, dlkit, dlkit.np, dlkit.np.layers, dlkit.np.losses; "
            "import numpy as np; dlkit.np.layers.Dense(2, activation='gelu')(np.ones((1, 3))); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_count_params_before_build_says_to_call_first():
    import dlkit.np as dnp
    model = dnp.Sequential([dnp.layers.Dense(3), dnp.layers.Dense(2)])
    with pytest.raises(ValueError, match="call the layer or model on a batch first"):
        model.count_params()
    model(np.zeros((1, 4)))
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
