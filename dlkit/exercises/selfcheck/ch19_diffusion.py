"""Self-check of Exercise 19 (DDPM: the linear noise schedule, alpha_bar and q(x_t | x_0), the noise-prediction
loss and its gradient, one ancestral step with classifier-free guidance): independent references written here
(loops, one step or one example at a time), and a Monte Carlo check of a whole sampler against its exact law.

Time steps are 0-based, as in ``dlkit.np.functional.diffusion``: t = 0, ..., T - 1, ``betas[t]`` is the paper's
beta_{t+1} and ``alpha_bar[t] = prod_{s <= t} (1 - betas[s])``.

``reference_alpha_bars`` and ``reference_q_sample`` replace the student's versions while later tasks are graded;
``gaussian_eps``, ``gaussian_chain`` and ``check_gaussian_sample`` are used by the graded notebook's test cells.
Statistics: with exact noise predictors for Gaussian data, a correct sampler's outputs are exactly Gaussian with
the mean and variance of :func:`gaussian_chain`; a sample mean is accepted within z = sqrt(2 ln(2/DELTA))
standard errors (Gaussian tail bound) and a sample variance within Laurent and Massart's chi-square bounds, so a
correct answer fails with probability < DELTA = 1e-9. Never imports TensorFlow; the references never call dlkit.
"""
import functools
import importlib.util
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_shape, check_true, describe

from ._core import Task, parts, snapshot, unchanged

DELTA = 1e-9
GRADCHECK = ("dlkit.gradcheck.eval_numerical_gradient", "dlkit.gradcheck.eval_numerical_gradient_array")
SCHEDULE_POLICY = (f"{__name__}.reference_alpha_bars", f"{__name__}.reference_q_sample")
LOSS_POLICY = ("dlkit.np.losses.MeanSquaredError", "dlkit.np.losses.get") + GRADCHECK  # may call `q_sample`
STEP_POLICY = ()                  # Task 3 may call `alpha_bars` (the correct one while it is graded)
_DIFFUSION = "dlkit.np.functional.diffusion"
TF_POLICY = ("tensorflow.GradientTape",)

__all__ = ["reference_alpha_bars", "reference_q_sample", "gaussian_eps", "gaussian_chain", "check_gaussian_sample",
           "forbidden", "SCHEDULE_POLICY", "LOSS_POLICY", "STEP_POLICY", "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its targets, dlkit's diffusion functions (``dlkit.np.functional.diffusion``,
    every public function) and, once TensorFlow is loaded, ``tf.GradientTape``."""
    extra = ()
    if importlib.util.find_spec(_DIFFUSION) is not None:
        module = importlib.import_module(_DIFFUSION)
        extra = tuple(f"{_DIFFUSION}.{name}" for name in getattr(module, "__all__", ()))
    return tuple(targets) + extra + (TF_POLICY if "tensorflow" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references -----------------------------------------------------------------------------------------------------

def reference_alpha_bars(betas):
    """alpha_bar[t] = prod_{s <= t} (1 - betas[s]) (plain NumPy: it stands in for the student's during Task 3)."""
    return np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))


def reference_q_sample(x0, t, noise, alpha_bar):
    """x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise, one example at a time."""
    x0, noise = np.asarray(x0, dtype=np.float64), np.asarray(noise, dtype=np.float64)
    out = np.empty(x0.shape)
    for n, step in enumerate(np.asarray(t)):
        a = float(alpha_bar[int(step)])
        out[n] = math.sqrt(a) * x0[n] + math.sqrt(1.0 - a) * noise[n]
    return out


def _linear_ref(timesteps, beta_start, beta_end):
    return np.array([beta_start + (beta_end - beta_start) * i / (timesteps - 1) for i in range(timesteps)])


def _alpha_bars_ref(betas):
    out, prod = [], 1.0
    for b in betas:
        prod *= 1.0 - float(b)
        out.append(prod)
    return np.array(out)


def _step_ref(x_t, t, eps_hat, betas, noise):
    """One ancestral step, one example at a time: (x - beta / sqrt(1 - abar) eps) / sqrt(alpha) + sqrt(beta) z."""
    abar = _alpha_bars_ref(betas)
    out = np.empty(np.shape(x_t))
    for n, step in enumerate(np.asarray(t)):
        beta, a = float(betas[int(step)]), float(abar[int(step)])
        mean = (x_t[n] - beta / math.sqrt(1.0 - a) * eps_hat[n]) / math.sqrt(1.0 - beta)
        out[n] = mean + (math.sqrt(beta) * noise[n] if step > 0 else 0.0)
    return out


def gaussian_eps(x, t, alpha_bar, mean, std):
    """The exact noise predictor E[eps | x_t] for data x_0 ~ N(mean, std^2) (each entry): x (N, ...), t (N,)."""
    a = np.asarray(alpha_bar, dtype=np.float64)[np.asarray(t)].reshape((-1,) + (1,) * (np.ndim(x) - 1))
    return np.sqrt(1.0 - a) * (x - np.sqrt(a) * mean) / (a * std ** 2 + 1.0 - a)


def gaussian_chain(betas, w, cond, uncond):
    """(mean, variance) of the samples of a DDPM sampler started from N(0, 1) that runs t = T-1, ..., 0 with the
    guided exact predictors of N(cond) and N(uncond) ((mean, std) pairs): every step is linear, x -> a x + b +
    sigma z, so the law stays Gaussian; computed one step at a time."""
    abar = _alpha_bars_ref(betas)
    m, v = 0.0, 1.0
    for t in range(len(betas) - 1, -1, -1):
        beta, a = float(betas[t]), float(abar[t])
        coefs = []
        for mu, sd in (cond, uncond):                       # eps = slope x + offset
            slope = math.sqrt(1.0 - a) / (a * sd * sd + 1.0 - a)
            coefs.append((slope, -slope * math.sqrt(a) * mu))
        slope = coefs[1][0] + w * (coefs[0][0] - coefs[1][0])
        offset = coefs[1][1] + w * (coefs[0][1] - coefs[1][1])
        k = beta / math.sqrt(1.0 - a)
        scale = (1.0 - k * slope) / math.sqrt(1.0 - beta)
        m = scale * m - k * offset / math.sqrt(1.0 - beta)
        v = scale * scale * v + (beta if t > 0 else 0.0)
    return m, v


def check_gaussian_sample(name, samples, mean, var, hint=""):
    """The samples' mean and variance against an exact Gaussian law (N(mean, var)), honest bounds (see above)."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    n = x.size
    check_true(np.all(np.isfinite(x)), f"{name}: expected finite samples, got {describe(x)}")
    L = math.log(2.0 / DELTA)
    z = math.sqrt(2.0 * L)
    more = f". Hint: {hint}" if hint else ""
    got_m = float(x.mean())
    if abs(got_m - mean) > z * math.sqrt(var / n):
        raise AssertionError(f"expected a mean of {mean:.4f} (+- {z * math.sqrt(var / n):.4f}), got {got_m:.4f} in "
                             f"{name}{more}")
    k = n - 1
    chi = float(((x - got_m) ** 2).sum()) / var              # ~ chi-square with k degrees of freedom
    lo, hi = k - 2.0 * math.sqrt(k * L), k + 2.0 * math.sqrt(k * L) + 2.0 * L
    if not lo <= chi <= hi:
        raise AssertionError(f"expected a standard deviation of {math.sqrt(var):.4f} (accepted "
                             f"{math.sqrt(var * lo / k):.4f} to {math.sqrt(var * hi / k):.4f}), got "
                             f"{math.sqrt(chi * var / k):.4f} in {name}{more}")


# -- the checks -----------------------------------------------------------------------------------------------------

_SHAPES = [(5,), (4, 3), (3, 4, 4), (2, 3, 3, 2), (6, 8)]


def _steps(rng, n, T):
    """n steps in [0, T), with 0 and T - 1 among them when n >= 2."""
    t = rng.integers(0, T, size=n)
    if n >= 2:
        t[:2] = (0, T - 1)
    return rng.permutation(t)


def _schedule(S, rng):
    for args in [(1000,), (5, 0.1, 0.5), (2, 0.01, 0.3), (37, 1e-3, 0.05)]:
        what = f"linear_beta_schedule{args}"
        got = S.linear_beta_schedule(*args)
        want = _linear_ref(*(args + (1e-4, 0.02) if len(args) == 1 else args))
        check_shape(what, got, want.shape, hint="one beta per step: T values")
        check_close(what, got, want, hint="T values from beta_start to beta_end, both included, equally spaced")
        check_dtype(what, got, np.float64, hint="return float64 values")
    for T in (1, 4, 50):
        betas = rng.uniform(0.001, 0.6, size=T)
        before = snapshot({"betas": betas})
        got = S.alpha_bars(betas)
        check_close(f"alpha_bars(betas ({T},))", got, _alpha_bars_ref(betas),
                    hint="alpha_bar[t] = (1 - betas[0]) (1 - betas[1]) ... (1 - betas[t]): a cumulative PRODUCT, "
                         "alpha_bar[0] = 1 - betas[0]")
        unchanged("alpha_bars", {"betas": betas}, before)
    for shape in _SHAPES:
        T = int(rng.integers(2, 30))
        abar = _alpha_bars_ref(rng.uniform(0.01, 0.3, size=T))
        x0, noise, t = rng.normal(size=shape), rng.normal(size=shape), _steps(rng, shape[0], T)
        before = snapshot({"x0": x0, "t": t, "noise": noise, "alpha_bar": abar})
        what = f"q_sample(x0 {shape}, t {t.tolist()}, noise, alpha_bar ({T},))"
        got = S.q_sample(x0, t, noise, abar)
        check_shape(what, got, shape, hint="x_t has the shape of x0; alpha_bar[t] is one number per example, "
                    "reshaped to (N, 1, ..., 1) to broadcast over the other axes")
        check_close(what, got, reference_q_sample(x0, t, noise, abar),
                    hint="x_t[n] = sqrt(alpha_bar[t[n]]) x0[n] + sqrt(1 - alpha_bar[t[n]]) noise[n], t 0-based")
        unchanged("q_sample", {"x0": x0, "t": t, "noise": noise, "alpha_bar": abar}, before)


def make_denoiser(rng, shape, T):
    """A fixed nonlinear "network" eps_hat = tanh(x M) + c[t] (per example); it records its calls in .calls."""
    D = int(np.prod(shape[1:], dtype=int))
    M, c = rng.normal(size=(D, D)) / math.sqrt(D), rng.normal(size=T)

    def denoiser(x, t):
        denoiser.calls.append((np.array(x, dtype=np.float64, copy=True), np.array(t, copy=True)))
        x = np.asarray(x, dtype=np.float64)
        return np.tanh(x.reshape(len(x), -1) @ M).reshape(x.shape) + c[np.asarray(t)].reshape(
            (-1,) + (1,) * (x.ndim - 1))
    denoiser.calls = []
    return denoiser


def _loss(S, rng):
    for shape in _SHAPES:
        T = int(rng.integers(2, 40))
        abar = _alpha_bars_ref(rng.uniform(0.01, 0.3, size=T))
        x0, noise, t = rng.normal(size=shape), rng.normal(size=shape), _steps(rng, shape[0], T)
        den = make_denoiser(rng, shape, T)
        before = snapshot({"x0": x0, "t": t, "noise": noise, "alpha_bar": abar})
        what = f"ddpm_loss(denoiser, x0 {shape}, t, noise, alpha_bar ({T},))"
        loss, grad = parts(what, S.ddpm_loss(den, x0, t, noise, abar), 2, "(loss, grad)")
        x_t = reference_q_sample(x0, t, noise, abar)
        check_true(len(den.calls) == 1, f"{what}: expected one call denoiser(x_t, t) on the whole batch, got "
                   f"{len(den.calls)} calls")
        check_close(f"{what}: the x_t given to the denoiser", den.calls[0][0], x_t,
                    hint="the network sees the NOISY input x_t = q_sample(x0, t, noise, alpha_bar), not x0")
        check_true(np.array_equal(np.asarray(den.calls[0][1]).ravel(), t), f"{what}: expected the denoiser to "
                   f"get t = {t.tolist()}, got {describe(den.calls[0][1])}")
        eps_hat = den(x_t, t)
        err = eps_hat - noise
        want_loss = sum(float(e) ** 2 for e in err.ravel()) / err.size
        check_close(f"{what}: loss", loss, want_loss, hint="the MEAN over every entry (batch and features) of "
                    "(eps_hat - noise)^2: the network predicts the NOISE")
        check_shape(f"{what}: grad", grad, shape, hint="dL/d eps_hat has the shape of eps_hat")
        check_close(f"{what}: grad", grad, 2.0 * err / err.size, hint="dL/d eps_hat = 2 (eps_hat - noise) / (the "
                    "number of entries)")
        check_dtype(f"{what}: grad", grad, np.float64, hint="return float64 values")
        unchanged("ddpm_loss", {"x0": x0, "t": t, "noise": noise, "alpha_bar": abar}, before)


def _guided_step(S, rng):
    for shape, w in zip(_SHAPES, (0.0, 1.0, 0.5, 3.0, 7.5)):
        c, u = rng.normal(size=shape), rng.normal(size=shape)
        before = snapshot({"eps_cond": c, "eps_uncond": u})
        got = S.guided_eps(c, u, w)
        want = np.array([b + w * (a - b) for a, b in zip(c.ravel(), u.ravel())]).reshape(shape)
        check_close(f"guided_eps(eps_cond, eps_uncond {shape}, {w:g})", got, want,
                    hint="eps_uncond + w (eps_cond - eps_uncond): w = 0 is unconditional, w = 1 conditional")
        unchanged("guided_eps", {"eps_cond": c, "eps_uncond": u}, before)
    for shape in _SHAPES:
        T = int(rng.integers(2, 30))
        betas = np.sort(rng.uniform(0.001, 0.4, size=T))
        x, eps, z, t = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape), _steps(rng, shape[0], T)
        before = snapshot({"x_t": x, "t": t, "eps_hat": eps, "betas": betas, "noise": z})
        what = f"ddpm_step(x_t {shape}, t {t.tolist()}, eps_hat, betas ({T},), noise)"
        got = S.ddpm_step(x, t, eps, betas, z)
        check_close(what, got, _step_ref(x, t, eps, betas, z),
                    hint="(x_t - beta_t / sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_t) + sqrt(beta_t) noise, with "
                         "alpha_t = 1 - beta_t (not alpha_bar_t), and no noise for the examples at t = 0")
        check_dtype(what, got, np.float64, hint="return float64 values")
        unchanged("ddpm_step", {"x_t": x, "t": t, "eps_hat": eps, "betas": betas, "noise": z}, before)
    betas = np.linspace(1e-3, 0.3, 25)
    abar = _alpha_bars_ref(betas)
    for w in (0.0, 2.0):
        x = rng.normal(size=4000)
        for step in range(len(betas) - 1, -1, -1):
            t = np.full(x.shape, step)
            x = S.ddpm_step(x, t, S.guided_eps(gaussian_eps(x, t, abar, 2.0, 0.5), gaussian_eps(x, t, abar, -1.0, 1.0),
                                               w), betas, rng.normal(size=x.shape))
        check_gaussian_sample(f"a 25-step sampler with exact predictors, w = {w:g}", x,
                              *gaussian_chain(betas, w, (2.0, 0.5), (-1.0, 1.0)))


TASKS = [_Task("schedule", ["linear_beta_schedule", "alpha_bars", "q_sample"], _schedule, SCHEDULE_POLICY),
         _Task("ddpm_loss", ["ddpm_loss"], _loss, LOSS_POLICY, uses={"q_sample": reference_q_sample}),
         _Task("guided_step", ["guided_eps", "ddpm_step"], _guided_step, STEP_POLICY,
               uses={"alpha_bars": reference_alpha_bars})]
