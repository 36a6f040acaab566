"""Self-check of Exercise 4 (backpropagation): references from dlkit.np.functional (dense) and dlkit.gradcheck."""
import numpy as np

from dlkit.exercises.checks import check_close, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from dlkit.np.functional import dense_backward, dense_forward

from ._core import Task, parts, snapshot, unchanged

DENSE_POLICY = ("dlkit.np.functional.dense_forward", "dlkit.np.functional.dense_backward", "dlkit.np.layers.Dense")
TWO_LAYER_POLICY = ("dlkit.np.losses.SparseCategoricalCrossentropy", "dlkit.np.losses.get", "dlkit.np.Sequential")
GRADCHECK_POLICY = ("dlkit.gradcheck.eval_numerical_gradient", "dlkit.gradcheck.eval_numerical_gradient_array",
                    "dlkit.gradcheck.rel_error", "dlkit.gradcheck.scaled_rel_error")


def _dense_forward_ref(x, W, b):
    return x @ W + b, (x, W, b)


def _dense_backward_ref(dout, cache):
    x, W, _ = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def _dense(S, rng):
    for n, d, m in [(5, 3, 4), (1, 6, 2), (8, 2, 1)]:
        x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
        dout = rng.normal(size=(n, m))
        ref_out, ref_cache = dense_forward(x, W, b)
        what = f"(n={n}, d={d}, m={m})"
        out, cache = parts(f"dense_forward {what}", S.dense_forward(x, W, b), 2, "(out, cache)")
        check_close(f"dense_forward {what}", out, ref_out, hint="x @ W + b")
        grads = parts(f"dense_backward {what}", S.dense_backward(dout, cache), 3, "(dx, dW, db)")
        for name, mine, ref, arr in zip(("dx", "dW", "db"), grads, dense_backward(dout, ref_cache), (x, W, b)):
            check_close(f"dense_backward {name} {what}", mine, ref,
                        hint=f"{name} has the shape of {name[1:]}: {arr.shape}")
        check_grad(f"dense_backward dx vs finite differences {what}", grads[0],
                   eval_numerical_gradient_array(lambda v: v @ W + b, x.copy(), dout))


def _two_layer(S, rng):
    for n, d, hid, c in [(4, 3, 5, 3), (6, 2, 7, 4)]:
        X, y = rng.normal(size=(n, d)), rng.integers(0, c, size=n)
        p = {"W1": rng.normal(size=(d, hid)), "b1": rng.normal(size=hid) * 0.1,
             "W2": rng.normal(size=(hid, c)), "b2": rng.normal(size=c) * 0.1}
        what = f"(n={n}, hidden={hid}, C={c})"
        a, c1 = dense_forward(X, p["W1"], p["b1"])
        z, c2 = dense_forward(np.maximum(a, 0), p["W2"], p["b2"])
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        want_loss = float(-log_p[np.arange(n), y].mean())
        dz = np.exp(log_p)
        dz[np.arange(n), y] -= 1
        dh, dW2, db2 = dense_backward(dz / n, c2)
        _, dW1, db1 = dense_backward(dh * (a > 0), c1)
        want = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        loss, grads = parts(f"two_layer_loss {what}", S.two_layer_loss(X, y, p), 2, "(loss, grads)")
        check_close(f"two_layer_loss loss {what}", loss, want_loss, hint="the mean softmax cross-entropy of the logits")
        check_true(isinstance(grads, dict) and set(grads) == {"W1", "b1", "W2", "b2"},
                   f"two_layer_loss grads: expected a dict with keys W1, b1, W2, b2, got {describe(grads)}")
        for k in ("W1", "b1", "W2", "b2"):
            check_close(f"two_layer_loss grads[{k!r}] {what}", grads[k], want[k], rtol=1e-5, atol=1e-8,
                        hint="backward in reverse order: loss -> Dense 2 -> ReLU mask -> Dense 1")
        numeric = eval_numerical_gradient(lambda _: S.two_layer_loss(X, y, p)[0], p["b2"])
        check_grad(f"two_layer_loss grads['b2'] vs finite differences {what}", grads["b2"], numeric, tol=1e-5)


def _gradcheck(S, rng):
    for shape in [(5,), (2, 3), (2, 2, 2)]:
        A = rng.normal(size=shape)

        def f(v, A=A):
            return float(np.sum(np.cos(v) * A) + np.sum(v ** 2))

        x = rng.normal(size=shape)
        before = snapshot({"x": x})
        check_close(f"numerical_gradient on x of shape {shape}", S.numerical_gradient(f, x),
                    eval_numerical_gradient(f, x.copy()), rtol=1e-5, atol=1e-7,
                    hint="(f(x + h e_i) - f(x - h e_i)) / 2h for every index i")
        unchanged("numerical_gradient", {"x": x}, before)
        a, b = rng.normal(size=shape), rng.normal(size=shape)
        check_close(f"relative_error on arrays of shape {shape}", S.relative_error(a, b), rel_error(a, b),
                    hint="|a - b| / max(1e-8, |a| + |b|) element-wise, then the maximum")
    check_close("relative_error of two zero arrays", S.relative_error(np.zeros(2), np.zeros(2)), 0.0,
                hint="the max(1e-8, ...) in the denominator avoids 0/0")


TASKS = [Task("dense", ["dense_forward", "dense_backward"], _dense, DENSE_POLICY),
         Task("two_layer", ["two_layer_loss"], _two_layer, TWO_LAYER_POLICY,
              uses={"dense_forward": _dense_forward_ref, "dense_backward": _dense_backward_ref}),
         Task("gradcheck", ["numerical_gradient", "relative_error"], _gradcheck, GRADCHECK_POLICY)]
