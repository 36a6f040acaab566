"""Self-check of Exercise 2 (activations and the MLP): references from dlkit.np.activations, dense_forward
and central finite differences."""
import warnings

import numpy as np

from dlkit.exercises.checks import check_close, check_shape
from dlkit.np import activations as A
from dlkit.np.functional import dense_forward

from ._core import StudentError, Task

ACT_POLICY = ("dlkit.np.activations.sigmoid", "dlkit.np.activations.tanh", "dlkit.np.activations.relu",
              "dlkit.np.activations.get", "dlkit.np.functional.sigmoid")
GRAD_POLICY = ("dlkit.np.activations.sigmoid_grad", "dlkit.np.activations.tanh_grad",
               "dlkit.np.activations.relu_grad", "dlkit.np.activations.get")
MLP_POLICY = ("dlkit.np.functional.dense_forward", "dlkit.np.layers.Dense", "dlkit.np.Sequential")


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


# correct versions of Task 1's functions: Task 3 is checked with them
USES = {"sigmoid": _sigmoid, "tanh": lambda x: np.tanh(np.asarray(x, dtype=float)),
        "relu": lambda x: np.maximum(np.asarray(x, dtype=float), 0.0)}


def _activations(S, rng):
    for shape in [(7,), (3, 5), (2, 2, 3)]:
        x = rng.normal(scale=4, size=shape)
        check_close(f"sigmoid on x of shape {shape}", S.sigmoid(x), A.sigmoid(x), hint="1 / (1 + exp(-x)), same shape")
        check_close(f"tanh on x of shape {shape}", S.tanh(x), A.tanh(x))
        check_close(f"relu on x of shape {shape}", S.relu(x), A.relu(x), hint="max(x, 0) element-wise")
    extreme = np.array([-900.0, -60.0, 0.0, 60.0, 900.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            got = S.sigmoid(extreme)
        except StudentError as err:
            original = err.original
            raise AssertionError(f"sigmoid([-900, -60, 0, 60, 900]): expected values in [0, 1] without warnings, "
                                 f"got {type(original).__name__}: {original}. Hint: use exp(-|x|)") from None
    check_close("sigmoid([-900, -60, 0, 60, 900])", got, A.sigmoid(extreme), hint="large |x| saturates to 0 or 1")


def _derivatives(S, rng):
    h = 1e-6
    for shape in [(8,), (4, 3)]:
        x = rng.uniform(-4, 4, size=shape)
        x[np.abs(x) < 1e-3] = 0.7  # away from relu's kink
        for name, f in [("sigmoid_grad", _sigmoid), ("tanh_grad", np.tanh), ("relu_grad", lambda v: np.maximum(v, 0))]:
            numeric = (f(x + h) - f(x - h)) / (2 * h)
            check_close(f"{name} vs finite differences on x of shape {shape}", getattr(S, name)(x), numeric,
                        rtol=1e-5, atol=1e-7, hint="the derivative of the function, element-wise, same shape as x")
    check_close("relu_grad at x = 0", S.relu_grad(np.zeros(4)), np.zeros(4), hint="0 at x = 0: use x > 0")
    x = rng.normal(scale=40, size=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_close("sigmoid_grad on large inputs", S.sigmoid_grad(x), A.sigmoid_grad(x), hint="no overflow, no nan")


def _mlp(S, rng):
    for sizes, act in [([3, 6, 2], "relu"), ([4, 5, 5, 3], "tanh"), ([5, 1], "sigmoid"), ([2, 6, 4, 6, 2], "relu")]:
        params = [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.normal(size=(7, sizes[0]))
        h = X
        for i, (W, b) in enumerate(params):
            h = dense_forward(h, W, b)[0]
            if i < len(params) - 1:
                h = A.get(act).forward(h)[0]
        got = S.mlp_forward(X, params, activation=act)
        check_shape(f"mlp_forward output for layer sizes {sizes}", got, h.shape, hint="(n, units of the last layer)")
        check_close(f"mlp_forward with layer sizes {sizes} and {act}", got, h,
                    hint="x @ W + b for every layer, the activation after every layer except the last")


TASKS = [Task("activations", ["sigmoid", "tanh", "relu"], _activations, ACT_POLICY),
         Task("derivatives", ["sigmoid_grad", "tanh_grad", "relu_grad"], _derivatives, GRAD_POLICY),
         Task("mlp_forward", ["mlp_forward"], _mlp, MLP_POLICY, uses=USES)]
