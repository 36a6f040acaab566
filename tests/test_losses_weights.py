"""dlkit.np.losses: sample weights ("sum_over_batch_size"), label smoothing, Huber and the callable-loss rule,
each against keras.losses (value and tf.GradientTape gradient, float64) and central differences."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error  # noqa: E402
from dlkit.np import losses  # noqa: E402

B, T, C = 5, 4, 3


def _data(kind, shape, rng, from_logits=False):
    """(y_true, y_pred) for a loss kind on y_pred of ``shape``."""
    p = rng.standard_normal(shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    if kind == "binary":
        return (rng.random(shape) < 0.5).astype(np.float64), p
    if kind == "categorical":
        t = rng.random(shape)
        return t / t.sum(-1, keepdims=True), (p if from_logits else p / p.sum(-1, keepdims=True))
    if kind == "sparse":
        return rng.integers(0, shape[-1], shape[:-1]), (p if from_logits else p / p.sum(-1, keepdims=True))
    return rng.standard_normal(shape), rng.standard_normal(shape)


# (dlkit class, keras class name, kwargs, data kind, from_logits)
CASES = [
    (losses.MeanSquaredError, "MeanSquaredError", {}, "regression", False),
    (losses.MeanAbsoluteError, "MeanAbsoluteError", {}, "regression", False),
    (losses.Huber, "Huber", {}, "regression", False),
    (losses.Huber, "Huber", {"delta": 0.4}, "regression", False),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {}, "binary", False),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {"label_smoothing": 0.2}, "binary", False),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary", True),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {}, "categorical", False),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical", False),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     "categorical", True),
    (losses.SparseCategoricalCrossentropy, "SparseCategoricalCrossentropy", {}, "sparse", False),
    (losses.SparseCategoricalCrossentropy, "SparseCategoricalCrossentropy", {"from_logits": True}, "sparse", True),
]
IDS = [f"{c[1]}-{'-'.join(f'{k}={v}' for k, v in c[2].items()) or 'default'}" for c in CASES]


def _keras_value_and_grad(kcls, kwargs, y_true, y_pred, sample_weight):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    loss = getattr(keras.losses, kcls)(dtype="float64", **kwargs)
    p = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(y_true), p, sample_weight=None if sample_weight is None else tf.constant(sample_weight))
    return float(value.numpy()), tape.gradient(value, p).numpy()


@pytest.mark.parametrize("shape,weight", [((B, C), None), ((B, C), "batch"), ((B, T, C), "per_step"),
                                          ((B, 1), "batch")], ids=["2d", "2d-w", "3d-wBT", "1unit-w"])
@pytest.mark.parametrize("cls,kcls,kwargs,kind,from_logits", CASES, ids=IDS)
def test_matches_keras_value_and_gradient(cls, kcls, kwargs, kind, from_logits, shape, weight):
    if kind in ("categorical", "sparse") and shape[-1] == 1:
        pytest.skip("one output unit is a binary problem")
    rng = np.random.default_rng(0)
    y_true, y_pred = _data(kind, shape, rng, from_logits)
    sw = None if weight is None else rng.uniform(0.0, 2.0, shape[:-1])
    loss = cls(**kwargs)
    value = loss(y_true, y_pred, sample_weight=sw)
    grad = loss.backward()
    k_value, k_grad = _keras_value_and_grad(kcls, kwargs, y_true, y_pred, sw)
    assert value.dtype == np.float64 and grad.shape == y_pred.shape
    np.testing.assert_allclose(value, k_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, k_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("cls,kcls,kwargs,kind,from_logits", CASES, ids=IDS)
def test_batch_weights_broadcast_over_time(cls, kcls, kwargs, kind, from_logits):
    """(batch,) weights on a (batch, T) per-sample loss weigh every step of a sequence; Keras 3 needs the
    (batch, T) weights spelled out, and gives the same value and gradient."""
    rng = np.random.default_rng(1)
    y_true, y_pred = _data(kind, (B, T, C), rng, from_logits)
    w = rng.uniform(0.0, 2.0, B)
    loss = cls(**kwargs)
    value, grad = loss(y_true, y_pred, sample_weight=w), loss.backward()
    k_value, k_grad = _keras_value_and_grad(kcls, kwargs, y_true, y_pred, np.repeat(w[:, None], T, axis=1))
    np.testing.assert_allclose(value, k_value, rtol=1e-12)
    np.testing.assert_allclose(grad, k_grad, rtol=1e-10, atol=1e-14)


def test_denominator_is_number_of_entries_not_sum_of_weights():
    """Keras 3 "sum_over_batch_size": sum(w * l) / l.size, so zero weights still count in the mean."""
    t, p = np.zeros((4, 1)), np.array([[1.0], [2.0], [3.0], [4.0]])
    w = np.array([1.0, 0.0, 0.0, 1.0])
    assert losses.MeanSquaredError()(t, p, sample_weight=w) == pytest.approx((1 + 16) / 4)
    assert losses.MeanSquaredError()(t, p, sample_weight=np.ones(4)) == pytest.approx(30 / 4)
    loss = losses.MeanSquaredError()
    loss(t, p, sample_weight=w)
    np.testing.assert_allclose(loss.backward(), 2 * p * w[:, None] / 4)


@pytest.mark.parametrize("make", [
    lambda: losses.Huber(delta=0.5), lambda: losses.Huber(),
    lambda: losses.BinaryCrossentropy(label_smoothing=0.3),
    lambda: losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.3),
    lambda: losses.CategoricalCrossentropy(label_smoothing=0.25),
    lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.25),
    lambda: losses.SparseCategoricalCrossentropy(from_logits=True),
], ids=["huber0.5", "huber", "bce-ls", "bce-logits-ls", "cce-ls", "cce-logits-ls", "scce-logits"])
def test_gradient_central_differences_with_weights(make):
    rng = np.random.default_rng(2)
    loss = make()
    kind = {"Huber": "regression", "BinaryCrossentropy": "binary", "CategoricalCrossentropy": "categorical",
            "SparseCategoricalCrossentropy": "sparse"}[type(loss).__name__]
    y_true, y_pred = _data(kind, (B, T, C), rng, getattr(loss, "from_logits", False))
    w = rng.uniform(0.1, 2.0, (B, T))
    loss(y_true, y_pred, sample_weight=w)
    grad = loss.backward()
    num = eval_numerical_gradient(lambda v: loss(y_true, v, sample_weight=w), y_pred.copy(), h=1e-6)
    assert scaled_rel_error(grad, num) < 1e-6


def test_huber_formula_and_name():
    t, p = np.zeros((1, 3)), np.array([[0.5, -2.0, 3.0]])
    expected = np.mean([0.5 * 0.25, 2.0 - 0.5, 3.0 - 0.5])
    assert losses.get("huber")(t, p) == pytest.approx(expected)
    assert isinstance(losses.get("Huber"), losses.Huber) and losses.Huber().name == "huber_loss"
    assert losses.Huber(delta=2.0)(t, p) == pytest.approx(np.mean([0.125, 2.0, 2 * 3 - 2]))
    with pytest.raises(ValueError, match="delta must be a positive number"):
        losses.Huber(delta=0)


def test_label_smoothing_formulas():
    t = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.2, 0.5, 0.3]])
    ls = 0.3
    smooth = t * (1 - ls) + ls / 3
    assert losses.CategoricalCrossentropy(label_smoothing=ls)(t, p) == pytest.approx(-np.sum(smooth * np.log(p)))
    tb, pb = np.array([[1.0], [0.0]]), np.array([[0.8], [0.4]])
    sb = tb * (1 - ls) + 0.5 * ls
    ref = -np.mean(sb * np.log(pb) + (1 - sb) * np.log(1 - pb))
    assert losses.BinaryCrossentropy(label_smoothing=ls)(tb, pb) == pytest.approx(ref)
    with pytest.raises(TypeError):  # Keras 3's SparseCategoricalCrossentropy has no label_smoothing either
        losses.SparseCategoricalCrossentropy(label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\]"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)


def test_bad_sample_weight_shape():
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(5,\) or \(5, 4\).*got \(3,\)"):
        losses.CategoricalCrossentropy()(np.eye(3)[np.zeros((5, 4), int)], np.full((5, 4, 3), 1 / 3),
                                         sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must be numeric"):
        losses.MeanSquaredError()(np.zeros((2, 1)), np.zeros((2, 1)), sample_weight=np.array(["a", "b"]))


def test_plain_function_loss_is_rejected_with_a_recipe():
    def my_loss(y_true, y_pred):
        return np.mean((y_true - y_pred) ** 2)

    with pytest.raises(TypeError) as info:
        losses.get(my_loss)
    msg = str(info.value)
    assert "my_loss" in msg and "gradient" in msg and "class MyMSE(dlkit.np.losses.Loss)" in msg
    assert "def _forward(self, y_true, y_pred)" in msg and "def _backward(self, d, dloss)" in msg
    inst = losses.Huber()
    assert losses.get(inst) is inst
    with pytest.raises(ValueError, match="unknown loss 'hubber'"):
        losses.get("hubber")


def test_the_recipe_in_the_message_works():
    """The subclass shown in the TypeError is a working loss: same value and gradient as MeanSquaredError."""
    class MyMSE(losses.Loss):
        def _forward(self, y_true, y_pred):
            d = y_pred - y_true
            return np.mean(d ** 2, axis=-1), d

        def _backward(self, d, dloss):
            return dloss[..., None] * 2 * d / d.shape[-1]

    rng = np.random.default_rng(3)
    t, p, w = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)), rng.random(6)
    mine, ref = MyMSE(), losses.MeanSquaredError()
    assert mine(t, p, sample_weight=w) == pytest.approx(ref(t, p, sample_weight=w))
    np.testing.assert_allclose(mine.backward(), ref.backward())


def test_keras_names_and_exports():
    assert "Huber" in losses.__all__ and losses.get("huber").delta == 1.0
    for name in ("mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy"):
        assert isinstance(losses.get(name), losses.Loss)
