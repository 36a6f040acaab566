"""Self-check of Exercise 18 (the reparameterized sample of a VAE and its backward, the closed-form Gaussian KL
and its gradient, the GAN discriminator and non-saturating generator losses on logits with their gradients):
independent references written here (one entry at a time, with ``math``) and finite differences.

Never imports TensorFlow; the references never call dlkit (its versions are blocked while the student's code
runs).
"""
import functools
import importlib
import importlib.util
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_shape, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

GRADCHECK = ("dlkit.gradcheck.eval_numerical_gradient", "dlkit.gradcheck.eval_numerical_gradient_array")
_REFS = (f"{__name__}._reparam_ref", f"{__name__}._kl_ref", f"{__name__}._disc_ref", f"{__name__}._gen_ref")
REPARAM_POLICY = _REFS + GRADCHECK
KL_POLICY = _REFS + GRADCHECK
GAN_POLICY = (_REFS + GRADCHECK + ("dlkit.np.losses.BinaryCrossentropy", "dlkit.np.losses.get",
                                   "dlkit.np.activations.sigmoid", "dlkit.np.activations.softplus",
                                   "dlkit.np.activations.sigmoid_grad", "dlkit.np.activations.softplus_grad"))
_MODULES = ("dlkit.np.functional.vae", "dlkit.np.functional.gan")
TF_POLICY = ("tensorflow.GradientTape",)

__all__ = ["forbidden", "REPARAM_POLICY", "KL_POLICY", "GAN_POLICY", "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its targets, dlkit's VAE and GAN functions (every public function of
    ``dlkit.np.functional.vae`` and ``dlkit.np.functional.gan``) and, once TensorFlow is loaded,
    ``tf.GradientTape`` (importing TensorFlow only to forbid it would cost seconds)."""
    extra = ()
    for name in _MODULES:
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            extra += tuple(f"{name}.{attr}" for attr in getattr(module, "__all__", ()))
    return tuple(targets) + extra + (TF_POLICY if "tensorflow" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references -----------------------------------------------------------------------------------------------------

def _reparam_ref(mu, log_var, eps, dz):
    """(z, dmu, dlog_var) one entry at a time: z = mu + exp(log_var / 2) eps, dz/dlog_var = exp(log_var / 2) eps / 2."""
    z, dmu, dlv = (np.zeros(np.shape(mu)) for _ in range(3))
    for i in np.ndindex(np.shape(mu)):
        sigma = math.exp(float(log_var[i]) / 2.0)
        z[i] = float(mu[i]) + sigma * float(eps[i])
        dmu[i] = float(dz[i])
        dlv[i] = float(dz[i]) * sigma * float(eps[i]) / 2.0
    return z, dmu, dlv


def _kl_ref(mu, log_var):
    """(kl, dmu, dlog_var): per example the sum over latent dimensions of
    -log sigma + (sigma^2 + mu^2 - 1) / 2 with log sigma = log_var / 2, then the mean over the examples."""
    B = np.shape(mu)[0]
    kl, dmu, dlv = 0.0, np.zeros(np.shape(mu)), np.zeros(np.shape(mu))
    for i in np.ndindex(np.shape(mu)):
        m, lv = float(mu[i]), float(log_var[i])
        kl += (-lv / 2.0 + (math.exp(lv) + m * m - 1.0) / 2.0) / B
        dmu[i] = m / B
        dlv[i] = (math.exp(lv) - 1.0) / (2.0 * B)
    return kl, dmu, dlv


def _softplus(a):
    """log(1 + e^a) without overflow."""
    return a + math.log1p(math.exp(-a)) if a > 0 else math.log1p(math.exp(a))


def _sigmoid(a):
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _disc_ref(real, fake):
    """(loss, d_real, d_fake): mean of -log sigmoid(r) over the real logits + mean of -log(1 - sigmoid(f)) over
    the fake ones; -log sigmoid(a) = softplus(-a) and -log(1 - sigmoid(a)) = softplus(a)."""
    nr, nf = np.size(real), np.size(fake)
    loss, dr, df = 0.0, np.zeros(np.shape(real)), np.zeros(np.shape(fake))
    for i in np.ndindex(np.shape(real)):
        loss += _softplus(-float(real[i])) / nr
        dr[i] = -_sigmoid(-float(real[i])) / nr
    for i in np.ndindex(np.shape(fake)):
        loss += _softplus(float(fake[i])) / nf
        df[i] = _sigmoid(float(fake[i])) / nf
    return loss, dr, df


def _gen_ref(fake):
    """(loss, d_fake) of the non-saturating generator loss: the mean of -log sigmoid(f) = softplus(-f)."""
    n = np.size(fake)
    loss, df = 0.0, np.zeros(np.shape(fake))
    for i in np.ndindex(np.shape(fake)):
        loss += _softplus(-float(fake[i])) / n
        df[i] = -_sigmoid(-float(fake[i])) / n
    return loss, df


# -- the checks -----------------------------------------------------------------------------------------------------

_REPARAM_HINT = ("z = mu + sigma * eps with sigma = exp(log_var / 2) (log_var is the log of the VARIANCE); "
                 "dL/dmu = dz, dL/dlog_var = dz * sigma * eps / 2")


def _reparameterize(S, rng):
    for B, K, spread in [(1, 1, 1.0), (4, 3, 1.0), (6, 2, 4.0), (3, 8, 0.3), (5, 5, 10.0)]:
        mu, log_var = rng.normal(size=(B, K)), rng.uniform(-spread, spread, size=(B, K))
        eps, dz = rng.normal(size=(B, K)), rng.normal(size=(B, K))
        arrays = {"mu": mu, "log_var": log_var, "eps": eps, "dz": dz}
        before = snapshot(arrays)
        what = f"reparameterize(mu, log_var, eps) ({B}, {K}), log_var in [-{spread:g}, {spread:g}]"
        want_z, want_dmu, want_dlv = _reparam_ref(mu, log_var, eps, dz)
        z = S.reparameterize(mu, log_var, eps)
        check_close(what, z, want_z, hint=_REPARAM_HINT)
        check_dtype(what, z, np.float64, hint="return float64 values")
        back = f"reparameterize_backward(dz, log_var, eps) ({B}, {K})"
        dmu, dlv = parts(back, S.reparameterize_backward(dz, log_var, eps), 2, "(dmu, dlog_var)")
        for label, got, want in (("dmu", dmu, want_dmu), ("dlog_var", dlv, want_dlv)):
            check_shape(f"{back}: {label}", got, (B, K), hint="each gradient has the shape of its input")
            check_close(f"{back}: {label}", got, want, hint=_REPARAM_HINT)
            check_dtype(f"{back}: {label}", got, np.float64, hint="return float64 values")
        if B * K <= 12:
            num = eval_numerical_gradient(lambda v: float(np.sum(dz * _reparam_ref(mu, v, eps, dz)[0])),
                                          log_var.copy())
            check_close(f"{back}: dlog_var vs finite differences", dlv, num, hint=_REPARAM_HINT, rtol=1e-5,
                        atol=1e-7 * max(1.0, np.abs(num).max()))
        unchanged("reparameterize and reparameterize_backward", arrays, before)


_KL_HINT = ("KL = mean over the batch of the SUM over the latent dimensions of "
            "(exp(log_var) + mu^2 - 1 - log_var) / 2; dKL/dmu = mu / B, dKL/dlog_var = (exp(log_var) - 1) / (2 B)")


def _gaussian_kl(S, rng):
    for B, K, mu_scale, spread in [(1, 1, 1.0, 1.0), (4, 3, 1.0, 2.0), (2, 6, 3.0, 0.5), (7, 2, 0.1, 5.0),
                                   (3, 10, 1.0, 8.0)]:
        mu, log_var = rng.normal(scale=mu_scale, size=(B, K)), rng.uniform(-spread, spread, size=(B, K))
        arrays = {"mu": mu, "log_var": log_var}
        before = snapshot(arrays)
        what = f"gaussian_kl(mu, log_var) ({B}, {K})"
        want_kl, want_dmu, want_dlv = _kl_ref(mu, log_var)
        kl = S.gaussian_kl(mu, log_var)
        check_true(np.ndim(kl) == 0, f"{what}: expected a number, got {describe(kl)}")
        check_close(what, kl, want_kl, hint=_KL_HINT)
        back = f"gaussian_kl_backward(mu, log_var) ({B}, {K})"
        dmu, dlv = parts(back, S.gaussian_kl_backward(mu, log_var), 2, "(dmu, dlog_var)")
        for label, got, want in (("dmu", dmu, want_dmu), ("dlog_var", dlv, want_dlv)):
            check_shape(f"{back}: {label}", got, (B, K), hint="each gradient has the shape of its input")
            check_close(f"{back}: {label}", got, want, hint=_KL_HINT)
            check_dtype(f"{back}: {label}", got, np.float64, hint="return float64 values")
        if B * K <= 12:
            num = eval_numerical_gradient(lambda v: _kl_ref(mu, v)[0], log_var.copy())
            check_close(f"{back}: dlog_var vs finite differences", dlv, num, hint=_KL_HINT, rtol=1e-5,
                        atol=1e-7 * max(1.0, np.abs(num).max()))
        unchanged("gaussian_kl and gaussian_kl_backward", arrays, before)


_GAN_HINT = ("-log sigmoid(a) = log(1 + exp(-a)) and -log(1 - sigmoid(a)) = log(1 + exp(a)), computed without "
             "overflow (np.logaddexp(0, x)); each batch is averaged on its own; d/da log(1 + exp(a)) = sigmoid(a)")


def _logits(rng, n, scale, column):
    a = rng.normal(scale=scale, size=(n, 1) if column else n)
    if scale > 100:                                   # beyond exp's range, with ordinary logits beside them
        a.flat[0], a.flat[-1] = 1000.0, -1000.0
    return a


def _gan_losses(S, rng):
    for nr, nf, scale, column in [(1, 1, 1.0, False), (4, 6, 2.0, True), (5, 3, 0.5, False), (8, 8, 10.0, False),
                                  (3, 5, 500.0, True), (6, 4, 500.0, False)]:
        real, fake = _logits(rng, nr, scale, column), _logits(rng, nf, scale, column)
        arrays = {"real_logits": real, "fake_logits": fake}
        before = snapshot(arrays)
        shape = f"{real.shape} and {fake.shape}" + (", logits of +-1000" if scale > 100 else "")
        what = f"discriminator_loss(real_logits, fake_logits) {shape}"
        want, want_g = _disc_ref(real, fake), _gen_ref(fake)
        with np.errstate(all="ignore"):
            loss, grads = parts(what, S.discriminator_loss(real, fake), 2, "(loss, (d_real, d_fake))")
        grads = parts(what, grads, 2, "(d_real, d_fake)")
        check_close(f"{what}: loss", loss, want[0], hint=_GAN_HINT)
        for label, got, w in (("d_real", grads[0], want[1]), ("d_fake", grads[1], want[2])):
            check_shape(f"{what}: {label}", got, w.shape, hint="each gradient has the shape of its logits")
            check_close(f"{what}: {label}", got, w, hint=_GAN_HINT)
            check_dtype(f"{what}: {label}", got, np.float64, hint="return float64 values")
        what = f"generator_loss(fake_logits) {fake.shape}" + (", logits of +-1000" if scale > 100 else "")
        with np.errstate(all="ignore"):
            loss, d_fake = parts(what, S.generator_loss(fake), 2, "(loss, d_fake)")
        want = want_g
        check_close(f"{what}: loss", loss, want[0], hint="the NON-saturating loss: the mean of -log sigmoid(f), "
                    "computed without overflow")
        check_shape(f"{what}: d_fake", d_fake, fake.shape, hint="the gradient has the shape of the logits")
        check_close(f"{what}: d_fake", d_fake, want[1], hint="d/df of -log sigmoid(f) is sigmoid(f) - 1, "
                    "divided by the batch size")
        check_dtype(f"{what}: d_fake", d_fake, np.float64, hint="return float64 values")
        if scale < 100 and nf <= 8:
            num = eval_numerical_gradient(lambda v: _gen_ref(v)[0], fake.copy())
            check_close(f"{what}: d_fake vs finite differences", d_fake, num, rtol=1e-5,
                        atol=1e-7 * max(1.0, np.abs(num).max()))
        unchanged("discriminator_loss and generator_loss", arrays, before)


TASKS = [_Task("reparameterize", ["reparameterize", "reparameterize_backward"], _reparameterize, REPARAM_POLICY),
         _Task("gaussian_kl", ["gaussian_kl", "gaussian_kl_backward"], _gaussian_kl, KL_POLICY),
         _Task("gan_losses", ["discriminator_loss", "generator_loss"], _gan_losses, GAN_POLICY)]
