"""Self-check of Exercise 3 (losses and gradient descent): references from dlkit.np.losses and a reference
gradient descent."""
import numpy as np

from dlkit.exercises.checks import check_close, check_true, describe
from dlkit.np.losses import MeanSquaredError, SparseCategoricalCrossentropy

from ._core import Task, parts, snapshot, unchanged

MSE_POLICY = ("dlkit.np.losses.MeanSquaredError", "dlkit.np.metrics.MeanSquaredError", "dlkit.np.losses.get")
SCCE_POLICY = ("dlkit.np.losses.SparseCategoricalCrossentropy", "dlkit.np.losses.CategoricalCrossentropy",
               "dlkit.np.losses.log_softmax", "dlkit.np.losses.logsumexp", "dlkit.np.losses.get",
               "dlkit.np.activations.softmax")


def _mse_ref(y_pred, y_true):
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(d ** 2)), 2 * d / d.size


def _mse(S, rng):
    for shape in [(6, 1), (4, 3), (3, 2, 2), (5,), ()]:
        p, t = np.asarray(rng.normal(scale=2.0, size=shape)), np.asarray(rng.normal(size=shape))
        ref = MeanSquaredError()
        want_loss, want_grad = float(ref(t, p)), ref.backward()
        before = snapshot({"y_pred": p, "y_true": t})
        loss, grad = parts(f"mse(y_pred of shape {shape})", S.mse(p, t), 2, "(loss, grad)")
        check_close(f"mse loss for y_pred of shape {shape}", loss, want_loss,
                    hint="the mean over ALL entries of the squared errors")
        check_close(f"mse grad for y_pred of shape {shape}", grad, want_grad,
                    hint="one partial derivative per entry of y_pred, divided by the same N as the loss")
        unchanged("mse", {"y_pred": p, "y_true": t}, before)


def _scce(S, rng):
    cases = [(rng.normal(scale=s, size=(n, c)), rng.integers(0, c, size=n), f"n={n}, C={c}, scale {s:g}")
             for n, c, s in [(7, 4, 1.0), (3, 9, 2.5), (1, 2, 1.0), (5, 3, 400.0)]]
    cases.append((np.array([[900.0, -3.0, 0.0], [-1200.0, -1201.0, -1199.0], [2.0, 2.0, 2.0]]),
                  np.array([1, 0, 2]), "logits near +-1000 and tied"))
    cases.append((rng.integers(-4, 5, size=(4, 3)), rng.integers(0, 3, size=4), "integer logits"))
    for z, y, what in cases:
        ref = SparseCategoricalCrossentropy(from_logits=True)
        want_loss = float(ref(y, np.asarray(z, dtype=float)))
        want_dz = ref.backward()
        before = snapshot({"z": z})
        loss, dz = parts(f"softmax_cross_entropy ({what})", S.softmax_cross_entropy(z, y), 2, "(loss, dz)")
        check_close(f"softmax_cross_entropy loss ({what})", loss, want_loss,
                    hint="log p from the shifted logits of each row, then the mean of -log p[i, y_i]")
        check_close(f"softmax_cross_entropy dz ({what})", dz, want_dz,
                    hint="(softmax(z) - onehot(y)) / n, finite for extreme logits, float even for integer z")
        unchanged("softmax_cross_entropy", {"z": z}, before)


def _gd_ref(X, y, lr, epochs):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        e = X @ w + b - y
        losses.append(np.mean(e ** 2))
        w, b = w - lr * 2 / len(y) * (X.T @ e), b - lr * 2 / len(y) * e.sum()
    return w, b, losses


def _gd(S, rng):
    for n, d, lr, epochs in [(30, 2, 0.05, 30), (12, 1, 0.2, 10), (8, 3, 0.1, 1), (40, 4, 0.02, 50)]:
        X = rng.normal(size=(n, d)) + rng.normal(size=d)
        y = X @ rng.normal(size=d) - 0.4 + 0.1 * rng.normal(size=n)
        w, b, losses = _gd_ref(X, y, lr, epochs)
        what = f"n={n}, d={d}, lr={lr}, epochs={epochs}"
        before = snapshot({"X": X, "y": y})
        sw, sb, sl = parts(f"fit_linear_gd ({what})", S.fit_linear_gd(X, y, lr=lr, epochs=epochs), 3, "(w, b, losses)")
        check_true(np.ndim(sl) == 1 and len(sl) == epochs,
                   f"fit_linear_gd number of losses ({what}): expected {epochs}, got {describe(sl)}")
        check_close(f"fit_linear_gd losses ({what})", sl, losses,
                    hint="one loss per step, computed before the update, on the whole batch")
        check_close(f"fit_linear_gd w ({what})", sw, w,
                    hint="start from zeros; both gradients from the same predictions")
        check_close(f"fit_linear_gd b ({what})", sb, b)
        unchanged("fit_linear_gd", {"X": X, "y": y}, before)


TASKS = [Task("mse", ["mse"], _mse, MSE_POLICY),
         Task("softmax_cross_entropy", ["softmax_cross_entropy"], _scce, SCCE_POLICY),
         Task("fit_linear_gd", ["fit_linear_gd"], _gd, uses={"mse": _mse_ref})]
