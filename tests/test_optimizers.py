"""dlkit.np optimizers and schedules vs Keras 3 (same float64 params and gradient sequence)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlkit.np import optimizers, regularizers, schedules  # noqa: E402

STEPS = 25


def _sequences(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(STEPS)]
    return params, grads


def _run_np(opt, params, grads):
    params = [p.copy() for p in params]
    for gs in grads:
        opt.apply_gradients(zip(gs, params))
    return params


def _run_keras(opt, params, grads):
    vars_ = [keras.Variable(p, dtype="float64") for p in params]
    for gs in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g, dtype="float64") for g in gs], vars_))
    return [keras.ops.convert_to_numpy(v) for v in vars_]


# Keras (TF backend) casts Python-float hyperparameters through float32 (``ops.cast(0.999, "float64")``
# converts 0.999 to a float32 tensor first), which shifts Adam's bias correction by ~1e-5 relative; with
# large learning rates we therefore use betas that float32 represents exactly (1 - 2**-3, 1 - 2**-10).
B = {"beta_1": 0.875, "beta_2": 1 - 2 ** -10}
CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, **B}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1, **B}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.02, "weight_decay": 0.05, "amsgrad": True, **B}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.1, "global_clipnorm": 1.0, **B}),
    ("RMSprop", {"learning_rate": 0.1, "clipvalue": 0.5}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_optimizer_matches_keras(name, kwargs):
    params, grads = _sequences()
    mine = _run_np(getattr(optimizers, name)(**kwargs), params, grads)
    ref = _run_keras(getattr(keras.optimizers, name)(**kwargs), params, grads)
    for a, b, p0 in zip(mine, ref, params):
        assert not np.allclose(a, p0)  # the parameters really moved
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)


def test_defaults_match_keras():
    for name in ("SGD", "RMSprop", "Adam", "AdamW"):
        mine, ref = getattr(optimizers, name)(), getattr(keras.optimizers, name)()
        for attr in ("momentum", "nesterov", "rho", "epsilon", "centered", "beta_1", "beta_2", "amsgrad",
                     "weight_decay"):
            if hasattr(ref, attr):
                assert getattr(mine, attr) == pytest.approx(getattr(ref, attr)), (name, attr)
        assert mine.learning_rate == pytest.approx(float(ref.learning_rate))


def test_updates_in_place_and_iterations():
    w = np.ones((2, 2), dtype=np.float32)
    ref = w
    opt = optimizers.get("adam")
    for _ in range(3):
        opt.apply_gradients([(np.ones_like(w), w)])
    assert ref is w and w.dtype == np.float32 and opt.iterations == 3
    assert np.all(w < 1)


def test_get_accepts_strings_and_rejects_unknown():
    assert isinstance(optimizers.get("SGD"), optimizers.SGD)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    opt = optimizers.AdamW()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.get("adamm")
    with pytest.raises(ValueError):
        optimizers.AdamW(weight_decay=None)


@pytest.mark.parametrize("mine,ref", [
    (schedules.ExponentialDecay(0.1, 7, 0.5), keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.5)),
    (schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True),
     keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True)),
    (schedules.CosineDecay(0.1, 20, alpha=0.1), keras.optimizers.schedules.CosineDecay(0.1, 20, alpha=0.1)),
    (schedules.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=5),
     keras.optimizers.schedules.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=5)),
])
def test_schedules_match_keras(mine, ref):
    steps = np.arange(0, 40)
    np.testing.assert_allclose([mine(s) for s in steps], [float(ref(s)) for s in steps], rtol=1e-6, atol=1e-9)


def test_optimizer_with_schedule_matches_keras():
    params, grads = _sequences(1)
    mine = _run_np(optimizers.SGD(schedules.ExponentialDecay(0.1, 5, 0.5), momentum=0.5), params, grads)
    ref = _run_keras(keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 5, 0.5),
                                          momentum=0.5), params, grads)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    opt = optimizers.Adam(schedules.CosineDecay(0.01, 10))
    opt.iterations = 10
    assert opt.learning_rate == pytest.approx(0.0)


def test_regularizers():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    l2, l1 = regularizers.L2(0.1), regularizers.get("l1")
    assert l2(w) == pytest.approx(0.1 * 5.25)
    np.testing.assert_allclose(l2.gradient(w), 0.2 * w)
    assert l1(w) == pytest.approx(0.01 * 3.5)
    np.testing.assert_allclose(l1.gradient(w), 0.01 * np.sign(w))
    kw = keras.ops.convert_to_tensor(w)
    assert l2(w) == pytest.approx(float(keras.regularizers.L2(0.1)(kw)))
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="unknown regularizer"):
        regularizers.get("l3")
