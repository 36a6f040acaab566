"""Self-check of Exercise 5 (optimizers and initialization): references from dlkit.np.optimizers (Keras 3
formulas) and dlkit.np.initializers."""
import numpy as np

from dlkit.exercises.checks import check_close, check_shape, check_true
from dlkit.np import initializers as I
from dlkit.np.optimizers import SGD, Adam, RMSprop

from ._core import Task, parts

MOMENTUM_POLICY = ("dlkit.np.optimizers.SGD", "dlkit.np.optimizers.get")
RMSPROP_POLICY = ("dlkit.np.optimizers.RMSprop", "dlkit.np.optimizers.get")
ADAM_POLICY = ("dlkit.np.optimizers.Adam", "dlkit.np.optimizers.AdamW", "dlkit.np.optimizers.get")
INIT_POLICY = ("dlkit.np.initializers.glorot_uniform", "dlkit.np.initializers.he_normal", "dlkit.np.initializers.get")


def _momentum(S, rng):
    for lr, mu in [(0.1, 0.9), (0.02, 0.6), (0.05, 0.0)]:
        w = rng.normal(size=(2, 3))
        ref_w, v = w.copy(), np.zeros_like(w)
        opt = SGD(learning_rate=lr, momentum=mu)
        for step in range(1, 5):
            g = rng.normal(size=w.shape)
            w, v = parts("momentum_step", S.momentum_step(w.copy(), g.copy(), v.copy(), lr=lr, momentum=mu), 2,
                         "(new_w, new_v)")
            opt.apply_gradients([(g, ref_w)])
            check_close(f"momentum_step w after step {step} (lr={lr}, momentum={mu})", w, ref_w,
                        hint="Keras: v = momentum * v - lr * g, then w = w + v; the velocity carries over")


def _rmsprop(S, rng):
    for lr, rho in [(0.01, 0.9), (0.1, 0.6)]:
        w = rng.normal(size=6)
        ref_w, s = w.copy(), np.zeros_like(w)
        opt = RMSprop(learning_rate=lr, rho=rho)
        for step in range(1, 5):
            g = rng.normal(size=w.shape) * 10 ** rng.uniform(-4, 1)
            w, s = parts("rmsprop_step", S.rmsprop_step(w.copy(), g.copy(), s.copy(), lr=lr, rho=rho), 2,
                         "(new_w, new_s)")
            opt.apply_gradients([(g, ref_w)])
            check_close(f"rmsprop_step w after step {step} (lr={lr}, rho={rho})", w, ref_w, rtol=1e-6,
                        hint="s = rho * s + (1 - rho) * g**2; w - lr * g / sqrt(s + eps) (eps inside the root)")


def _adam(S, rng):
    for lr, b1, b2 in [(0.01, 0.9, 0.999), (0.05, 0.7, 0.95)]:
        w = rng.normal(size=(3, 2))
        ref_w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
        opt = Adam(learning_rate=lr, beta_1=b1, beta_2=b2)
        for t in range(1, 6):
            g = rng.normal(size=w.shape)
            w, m, v = parts("adam_step", S.adam_step(w.copy(), g.copy(), m.copy(), v.copy(), t=t, lr=lr, beta_1=b1,
                                                     beta_2=b2), 3, "(new_w, new_m, new_v)")
            opt.apply_gradients([(g, ref_w)])
            check_close(f"adam_step w at t={t} (lr={lr}, beta_1={b1}, beta_2={b2})", w, ref_w, rtol=1e-6,
                        hint="alpha_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t); w - alpha_t * m / (sqrt(v) + eps)")


def _initializers(S, rng):
    for fan_in, fan_out in [(500, 100), (40, 400), (150, 150)]:
        W = S.glorot_uniform(fan_in, fan_out, rng)
        ref = I.glorot_uniform((fan_in, fan_out), dtype="float64", rng=11)
        check_shape(f"glorot_uniform({fan_in}, {fan_out}, rng)", W, (fan_in, fan_out), hint="(fan_in, fan_out)")
        limit = np.sqrt(6 / (fan_in + fan_out))
        check_true(np.abs(W).max() <= limit * (1 + 1e-9),
                   f"glorot_uniform({fan_in}, {fan_out}) largest |value|: expected <= {limit:.4g}, got "
                   f"{np.abs(W).max():.4g}. Hint: limit = sqrt(6 / (fan_in + fan_out))")
        check_close(f"std of glorot_uniform({fan_in}, {fan_out})", np.std(W), np.std(ref), rtol=0.05)
        check_close(f"mean of glorot_uniform({fan_in}, {fan_out})", np.mean(W), 0.0, atol=0.1 * np.std(ref))
        W = S.he_normal(fan_in, fan_out, rng)
        ref = I.he_normal((fan_in, fan_out), dtype="float64", rng=12)
        check_shape(f"he_normal({fan_in}, {fan_out}, rng)", W, (fan_in, fan_out))
        check_close(f"std of he_normal({fan_in}, {fan_out})", np.std(W), np.std(ref), rtol=0.05,
                    hint="std = sqrt(2 / fan_in); fan_in is the number of rows")
        check_close(f"mean of he_normal({fan_in}, {fan_out})", np.mean(W), 0.0, atol=0.1 * np.std(ref))
    for name in ("glorot_uniform", "he_normal"):
        a = getattr(S, name)(8, 6, np.random.default_rng(3))
        b = getattr(S, name)(8, 6, np.random.default_rng(3))
        check_close(f"{name} with two generators of the same seed", a, b, hint="draw from rng, not from np.random")


TASKS = [Task("momentum", ["momentum_step"], _momentum, MOMENTUM_POLICY),
         Task("rmsprop", ["rmsprop_step"], _rmsprop, RMSPROP_POLICY),
         Task("adam", ["adam_step"], _adam, ADAM_POLICY),
         Task("initializers", ["glorot_uniform", "he_normal"], _initializers, INIT_POLICY)]
