"""Self-check of Exercise 1 (the perceptron): references from dlkit.np.Perceptron and the perceptron rule."""
import numpy as np

from dlkit.exercises.checks import check_close, check_true, describe
from dlkit.np.perceptron import Perceptron

from ._core import Task, parts

POLICY = ("dlkit.np.perceptron.Perceptron",)


def _predict(S, rng):
    for n, d in [(6, 3), (40, 8), (1, 4)]:
        X, w, b = rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal())
        got = S.perceptron_predict(X, w, b)
        check_close(f"perceptron_predict on X {X.shape}", got, (X @ w + b > 0).astype(int),
                    hint="1 where X @ w + b > 0, else 0, for every row")
        check_true(np.issubdtype(np.asarray(got).dtype, np.integer),
                   f"perceptron_predict dtype: expected integers (0/1), got {np.asarray(got).dtype}")
    at_zero = S.perceptron_predict(np.array([[2.0, 1.0]]), np.array([1.0, -1.0]), -1.0)
    check_close("perceptron_predict at z == 0", at_zero, [0], hint="z = 0 exactly predicts 0 (use > 0)")


def _update(S, rng):
    for case in range(15):
        d = int(rng.integers(1, 6))
        w, x, b = rng.normal(size=d), rng.normal(size=d), float(rng.normal())
        y, lr = int(rng.integers(0, 2)), float(rng.uniform(0.05, 2))
        if case == 0:
            b, w = 0.0, np.zeros(d)  # on the boundary: a mistake
        t = 1.0 if y == 1 else -1.0
        err = t if t * (x @ w + b) <= 0 else 0.0
        w0 = w.copy()
        new_w, new_b = parts("perceptron_update", S.perceptron_update(w, b, x, y, lr=lr), 2, "(new_w, new_b)")
        what = f"(d={d}, y={y}, z={x @ w0 + b:.3g})"
        check_close(f"perceptron_update w {what}", new_w, w0 + lr * err * x,
                    hint="on a mistake (t * z <= 0): w + lr * t * x with t = +1 or -1; otherwise unchanged")
        check_close(f"perceptron_update b {what}", new_b, b + lr * err, hint="on a mistake: b + lr * t")
        check_close("w after perceptron_update", w, w0, rtol=0, atol=0, hint="return a new array, no `w += ...`")


def _train(S, rng):
    for n, d, lr in [(25, 2, 1.0), (50, 4, 0.3), (35, 3, 0.05)]:
        X = rng.normal(size=(n, d))
        margin = X @ rng.normal(size=d)
        X, margin = X[np.abs(margin) > 0.3], margin[np.abs(margin) > 0.3]
        y = (margin > 0).astype(int)
        ref = Perceptron(learning_rate=lr, max_epochs=1000).fit(X, y)
        w, b, epochs = parts("train_perceptron", S.train_perceptron(X, y, lr=lr, max_epochs=1000), 3,
                             "(w, b, epochs)")
        what = f"(separable data, n={len(X)}, d={d}, lr={lr})"
        check_close(f"train_perceptron w {what}", w, ref.w_,
                    hint="start from zeros, visit the examples in order, update only on mistakes (t * z <= 0)")
        check_close(f"train_perceptron b {what}", b, ref.b_)
        check_close(f"train_perceptron epochs {what}", epochs, ref.n_epochs_,
                    hint="count epochs from 1 and stop right after the first epoch without mistakes")
    Xx = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    out = parts("train_perceptron", S.train_perceptron(Xx, np.array([0, 1, 1, 0]), max_epochs=7), 3, "(w, b, epochs)")
    check_true(np.ndim(out[2]) == 0 and out[2] == 7,
               f"train_perceptron epochs on XOR with max_epochs=7: expected 7, got {describe(out[2])}")


TASKS = [Task("perceptron_predict", ["perceptron_predict"], _predict, POLICY),
         Task("perceptron_update", ["perceptron_update"], _update, POLICY),
         Task("train_perceptron", ["train_perceptron"], _train, POLICY)]
