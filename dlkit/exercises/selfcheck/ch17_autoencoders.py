"""Self-check of Exercise 17 (an autoencoder's forward and backward pass, the InfoNCE / NT-Xent loss of SimCLR,
its gradient through the L2 normalization): independent references written here (loops, one example or one
anchor at a time) and finite differences.

``reference_info_nce`` is also used by the graded notebook's test cells (Task 3 is graded with finite
differences of this correct loss, and with it in place of the student's ``info_nce``). Never imports TensorFlow;
the references never call dlkit (its versions are blocked while the student's code runs).
"""
import functools
import importlib.util
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_shape, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

GRADCHECK = ("dlkit.gradcheck.eval_numerical_gradient", "dlkit.gradcheck.eval_numerical_gradient_array")
AE_POLICY = ("dlkit.np.functional.dense_forward", "dlkit.np.functional.dense_backward", "dlkit.np.layers.Dense",
             "dlkit.np.losses.MeanSquaredError", "dlkit.np.losses.get", "dlkit.np.activations.get",
             "dlkit.np.activations.relu_grad", "dlkit.np.activations.tanh_grad", "dlkit.np.Sequential",
             "dlkit.np.Model") + GRADCHECK
NCE_POLICY = (f"{__name__}.reference_info_nce", f"{__name__}._info_nce_grad_ref")
# Task 3 may call `info_nce` (the correct one while it is graded): only the gradients are off limits
NCE_GRAD_POLICY = (f"{__name__}._info_nce_grad_ref",) + GRADCHECK
_CONTRASTIVE = "dlkit.np.functional.contrastive"
TF_POLICY = ("tensorflow.GradientTape",)

__all__ = ["reference_info_nce", "forbidden", "AE_POLICY", "NCE_POLICY", "NCE_GRAD_POLICY", "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its targets, dlkit's InfoNCE (``dlkit.np.functional.contrastive``,
    every public function) and, once TensorFlow is loaded, ``tf.GradientTape`` (importing TensorFlow only to
    forbid it would cost seconds)."""
    extra = ()
    if importlib.util.find_spec(_CONTRASTIVE) is not None:
        module = importlib.import_module(_CONTRASTIVE)
        extra = tuple(f"{_CONTRASTIVE}.{name}" for name in getattr(module, "__all__", ()))
    return tuple(targets) + extra + (TF_POLICY if "tensorflow" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references -----------------------------------------------------------------------------------------------------

def _activation(name):
    """(f, f') of an activation, f' as a function of the pre-activation z."""
    if name == "relu":
        return (lambda z: max(z, 0.0)), (lambda z: 1.0 if z > 0 else 0.0)
    if name == "tanh":
        return math.tanh, (lambda z: 1.0 - math.tanh(z) ** 2)
    if name == "linear":
        return (lambda z: z), (lambda z: 1.0)
    raise ValueError(f"activation: expected 'relu', 'tanh' or 'linear', got {name!r}")


def _ae_ref(x, params, activation):
    """(loss, x_hat, grads) of the autoencoder, one example and one unit at a time."""
    f, fprime = _activation(activation)
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))
    B, D = x.shape
    H = W1.shape[1]
    x_hat = np.zeros((B, D))
    grads = {"W1": np.zeros(W1.shape), "b1": np.zeros(H), "W2": np.zeros(W2.shape), "b2": np.zeros(D)}
    loss = 0.0
    for n in range(B):
        z = [float(x[n] @ W1[:, j]) + b1[j] for j in range(H)]
        h = np.array([f(v) for v in z])
        x_hat[n] = h @ W2 + b2
        e = x_hat[n] - x[n]
        loss += float(e @ e) / (B * D)
        g = 2.0 * e / (B * D)                                  # dL/dx_hat[n]
        grads["W2"] += np.outer(h, g)
        grads["b2"] += g
        gz = (W2 @ g) * np.array([fprime(v) for v in z])       # dL/dz[n]
        grads["W1"] += np.outer(x[n], gz)
        grads["b1"] += gz
    return loss, x_hat, grads


def _units(z1, z2):
    z = np.concatenate([np.asarray(z1, dtype=np.float64), np.asarray(z2, dtype=np.float64)], axis=0)
    norms = [math.sqrt(float(row @ row)) for row in z]
    return [row / r for row, r in zip(z, norms)], norms


def reference_info_nce(z1, z2, temperature=0.5):
    """The NT-Xent loss of SimCLR, one anchor at a time: 2N anchors, the other view is the positive, the self
    similarity is left out, a stable log-sum-exp per anchor."""
    u, _ = _units(z1, z2)
    n2 = len(u)
    total = 0.0
    for i in range(n2):
        s = [float(u[i] @ u[k]) / temperature for k in range(n2) if k != i]
        m = max(s)
        total += m + math.log(sum(math.exp(v - m) for v in s)) - float(u[i] @ u[(i + n2 // 2) % n2]) / temperature
    return total / n2


def _info_nce_grad_ref(z1, z2, temperature=0.5):
    """(dz1, dz2): each anchor's softmax pulls its own unit vector and pushes the others', then the
    normalization's Jacobian (I - u u^T) / ||z|| maps dL/du to dL/dz."""
    u, norms = _units(z1, z2)
    n2 = len(u)
    du = [np.zeros_like(v) for v in u]
    for i in range(n2):
        others = [k for k in range(n2) if k != i]
        s = [float(u[i] @ u[k]) / temperature for k in others]
        m = max(s)
        w = [math.exp(v - m) for v in s]
        total = sum(w)
        for k, wk in zip(others, w):
            coef = (wk / total - (k == (i + n2 // 2) % n2)) / (temperature * n2)   # dL/ds_ik
            du[i] = du[i] + coef * u[k]
            du[k] = du[k] + coef * u[i]
    dz = np.array([(g - v * float(v @ g)) / r for g, v, r in zip(du, u, norms)])
    return dz[: n2 // 2], dz[n2 // 2:]


# -- the checks -----------------------------------------------------------------------------------------------------

def _params(rng, D, H, scale=0.5):
    return {"W1": rng.normal(scale=scale, size=(D, H)), "b1": rng.normal(scale=0.1, size=H),
            "W2": rng.normal(scale=scale, size=(H, D)), "b2": rng.normal(scale=0.1, size=D)}


_AE_HINT = ("L = mean over the batch AND the features of (x_hat - x)^2, so dL/dx_hat = 2 (x_hat - x) / (B D); "
            "dW2 = h^T dx_hat, db2 = the sum of dx_hat over the batch; back through W2 (dh = dx_hat W2^T) and the "
            "activation's derivative at the pre-activation z")


def _autoencoder(S, rng):
    calls = []
    for B, D, H, act in [(4, 6, 3, "relu"), (5, 4, 7, "tanh"), (3, 5, 2, "linear"), (1, 3, 4, "relu"),
                         (6, 8, 5, "tanh")]:
        x = rng.normal(size=(B, D))
        params = _params(rng, D, H)
        before = snapshot({"x": x, **params})
        what = f"ae_forward(x ({B}, {D}), H={H}, activation={act!r})"
        loss, x_hat, cache = parts(what, S.ae_forward(x, params, act), 3, "(loss, x_hat, cache)")
        want_loss, want_x_hat, want_grads = _ae_ref(x, params, act)
        check_close(f"{what}: x_hat", x_hat, want_x_hat, hint="h = act(x W1 + b1), x_hat = h W2 + b2 (no "
                    "activation on the output)")
        check_close(f"{what}: loss", loss, want_loss, hint="the mean over the batch and the features of "
                    "(x_hat - x)^2 (a sum over the features divides by B only)")
        unchanged("ae_forward", {"x": x, **params}, before)
        calls.append((B, D, act, x, params, before, what, cache, want_grads))
    for B, D, act, x, params, before, what, cache, want_grads in calls:    # each cache after all the forward calls
        grads = S.ae_backward(cache)
        check_true(isinstance(grads, dict) and set(grads) >= {"W1", "b1", "W2", "b2"},
                   f"ae_backward after {what}: expected a dict with keys 'W1', 'b1', 'W2', 'b2', got {describe(grads)}")
        for name in ("W2", "b2", "W1", "b1"):
            check_shape(f"ae_backward after {what}: {name}", grads[name], params[name].shape,
                        hint="each gradient has the shape of its parameter (biases: sum over the batch)")
            check_close(f"ae_backward after {what}: {name}", grads[name], want_grads[name], hint=_AE_HINT)
        if act != "relu" and B * D <= 20:
            for name in ("W1", "b1"):
                def f(p, _name=name):
                    return _ae_ref(x, {**params, _name: p}, act)[0]
                num = eval_numerical_gradient(f, params[name].copy())
                check_close(f"ae_backward after {what}: {name} vs finite differences", grads[name], num,
                            hint=_AE_HINT, rtol=1e-5, atol=1e-6 * np.abs(num).max())
        unchanged("ae_backward", {"x": x, **params}, before)


def _views(rng, N, D, scale=1.0):
    """Two correlated views of N examples (the positive pairs are similar), rows of varied norms."""
    base = rng.normal(size=(N, D))
    z1 = (base + 0.5 * rng.normal(size=(N, D))) * rng.uniform(0.3, 3.0, size=(N, 1)) * scale
    z2 = (base + 0.5 * rng.normal(size=(N, D))) * rng.uniform(0.3, 3.0, size=(N, 1)) * scale
    return z1, z2


_NCE_CASES = [(2, 3, 1.0, 1.0), (4, 5, 0.5, 1.0), (6, 4, 0.1, 30.0), (3, 8, 0.2, 0.2), (5, 3, 0.001, 1.0),
              (3, 5, 0.001, 1.0)]
_NCE_HINT = ("stack z = [z1; z2] (2N rows), normalize each row, s_ik = u_i . u_k / tau; for each of the 2N anchors: "
             "-s_i,p(i) + log sum over k != i of exp(s_ik) (a stable log-sum-exp), then the mean over the 2N anchors")


def _info_nce(S, rng):
    for N, D, tau, scale in _NCE_CASES:
        z1, z2 = _views(rng, N, D, scale)
        before = snapshot({"z1": z1, "z2": z2})
        what = f"info_nce(z1, z2 ({N}, {D}), temperature={tau:g})"
        with np.errstate(all="ignore"):
            got = S.info_nce(z1, z2, tau)
        check_close(what, got, reference_info_nce(z1, z2, tau), hint=_NCE_HINT)
        unchanged("info_nce", {"z1": z1, "z2": z2}, before)


_GRAD_HINT = ("dL/ds_ik = (softmax_i(k) - [k = p(i)]) / (2N) for k != i; dL/dU = (G + G^T) U / tau; then through the "
              "normalization: dL/dz_i = (g_i - u_i (u_i . g_i)) / ||z_i||")


def _info_nce_grad(S, rng):
    for N, D, tau, scale in _NCE_CASES:
        z1, z2 = _views(rng, N, D, scale)
        before = snapshot({"z1": z1, "z2": z2})
        what = f"info_nce_backward(z1, z2 ({N}, {D}), temperature={tau:g})"
        with np.errstate(all="ignore"):
            dz1, dz2 = parts(what, S.info_nce_backward(z1, z2, tau), 2, "(dz1, dz2)")
        want1, want2 = _info_nce_grad_ref(z1, z2, tau)
        scale = max(np.abs(want1).max(), np.abs(want2).max())       # an epsilon in ||z|| + 1e-8 is fine
        for label, got, want in (("dz1", dz1, want1), ("dz2", dz2, want2)):
            check_close(f"{what}: {label}", got, want, hint=_GRAD_HINT, rtol=1e-6, atol=2e-7 * scale)
            check_dtype(f"{what}: {label}", got, np.float64, hint="return float64 values")
        if tau >= 0.1 and scale == 1.0:
            num = eval_numerical_gradient(lambda v: reference_info_nce(v, z2, tau), z1.copy())
            check_close(f"{what}: dz1 vs finite differences", dz1, num, hint=_GRAD_HINT, rtol=1e-5,
                        atol=1e-6 * np.abs(num).max())
        unchanged("info_nce_backward", {"z1": z1, "z2": z2}, before)


TASKS = [_Task("autoencoder", ["ae_forward", "ae_backward"], _autoencoder, AE_POLICY),
         _Task("info_nce", ["info_nce"], _info_nce, NCE_POLICY),
         _Task("info_nce_grad", ["info_nce_backward"], _info_nce_grad, NCE_GRAD_POLICY,
               uses={"info_nce": reference_info_nce})]
