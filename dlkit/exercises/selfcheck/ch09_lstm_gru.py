"""Self-check of Exercise 9 (LSTM and GRU cells): references from dlkit.np.functional (lstm_*, gru_*) and
finite differences."""
import numpy as np

from dlkit.exercises.checks import check_close, check_shape
from dlkit.gradcheck import eval_numerical_gradient_array
from dlkit.np.functional import gru_forward, gru_step_forward, lstm_forward, lstm_step_forward

from ._core import Task, parts, snapshot, unchanged

LSTM_POLICY = ("dlkit.np.functional.lstm_step_forward", "dlkit.np.functional.lstm_forward", "dlkit.np.layers.LSTM")
GRU_POLICY = ("dlkit.np.functional.gru_step_forward", "dlkit.np.functional.gru_forward", "dlkit.np.layers.GRU")
GATES = ("i", "f", "c_tilde", "o")


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(a, dtype=float)))


def _gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    """Correct lstm_gates (plain NumPy): Tasks 2 and 4 are checked with it."""
    U = recurrent_kernel.shape[0]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return _sigmoid(a[:, :U]), _sigmoid(a[:, U:2 * U]), np.tanh(a[:, 2 * U:3 * U]), _sigmoid(a[:, 3 * U:])


def _lstm_weights(rng, D, U):
    return rng.normal(size=(D, 4 * U)), rng.normal(size=(U, 4 * U)), rng.normal(size=4 * U)


def _lstm_gates(S, rng):
    for N, D, U in [(2, 3, 4), (1, 2, 1), (4, 1, 3), (3, 5, 2)]:
        x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, U)), rng.normal(size=(N, U))
        K, R, b = _lstm_weights(rng, D, U)
        G = lstm_step_forward(x, h, c, K, R, b)[2]["G"][0]  # dlkit's activated gates (N, 4U)
        mine = parts(f"lstm_gates (N={N}, D={D}, U={U})", S.lstm_gates(x, h, K, R, b), 4, "(i, f, c_tilde, o)")
        for k, name in enumerate(GATES):
            check_close(f"lstm_gates {name} (N={N}, D={D}, U={U})", mine[k], G[:, k * U:(k + 1) * U],
                        hint=f"gate {name}: columns {k}U:{k + 1}U of x_t @ kernel + h_prev @ recurrent_kernel + bias; "
                             "sigmoid for i, f, o and tanh for c_tilde")


def _lstm_step(S, rng):
    for N, D, U in [(2, 4, 3), (1, 1, 2), (3, 2, 1)]:
        x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, U)), rng.normal(size=(N, U)) * 2
        K, R, b = _lstm_weights(rng, D, U)
        h_ref, c_ref, _ = lstm_step_forward(x, h, c, K, R, b)
        before = snapshot({"h_prev": h, "c_prev": c})
        h_t, c_t = parts(f"lstm_step (N={N}, D={D}, U={U})", S.lstm_step(x, h, c, K, R, b), 2, "(h_t, c_t)")
        check_close(f"lstm_step c_t (N={N}, D={D}, U={U})", c_t, c_ref, hint="c_t = f * c_prev + i * c_tilde")
        check_close(f"lstm_step h_t (N={N}, D={D}, U={U})", h_t, h_ref, hint="h_t = o * tanh(c_t), the NEW c_t")
        unchanged("lstm_step", {"h_prev": h, "c_prev": c}, before)
    x = rng.normal(size=(2, 4, 3))
    K, R, b = _lstm_weights(rng, 3, 2)
    hs_ref, c_last, _ = lstm_forward(x, np.zeros((2, 2)), np.zeros((2, 2)), K, R, b)
    h, c = np.zeros((2, 2)), np.zeros((2, 2))
    for t in range(4):
        h, c = S.lstm_step(x[:, t], h, c, K, R, b)
        check_close(f"lstm_step chained over a sequence, h at step {t + 1}", h, hs_ref[:, t])
    check_close("lstm_step chained over a sequence, final c", c, c_last)


def _gru_step(S, rng):
    for N, D, U in [(2, 3, 4), (1, 2, 1), (4, 1, 2), (3, 4, 3)]:
        x, h = rng.normal(size=(N, D)), rng.normal(size=(N, U))
        K, R, b = rng.normal(size=(D, 3 * U)), rng.normal(size=(U, 3 * U)), rng.normal(size=(2, 3 * U))
        before = snapshot({"h_prev": h})
        got = S.gru_step(x, h, K, R, b)
        check_shape(f"gru_step (N={N}, D={D}, U={U})", got, (N, U))
        check_close(f"gru_step (N={N}, D={D}, U={U})", got, gru_step_forward(x, h, K, R, b, reset_after=True)[0],
                    hint="gate order z, r, h; bias[0] for the input part, bias[1] for the recurrent part; the "
                         "reset gate multiplies (h_prev @ W_h + b1) of the candidate AFTER the product; z weighs "
                         "the OLD state")
        unchanged("gru_step", {"h_prev": h}, before)
    x = rng.normal(size=(2, 3, 2))
    K, R, b = rng.normal(size=(2, 6)), rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    hs_ref = gru_forward(x, np.zeros((2, 2)), K, R, b)[0]
    h = np.zeros((2, 2))
    for t in range(3):
        h = S.gru_step(x[:, t], h, K, R, b)
        check_close(f"gru_step chained over a sequence, h at step {t + 1}", h, hs_ref[:, t])


def _cell_path(S, rng):
    for N, T, D, U in [(2, 4, 3, 3), (1, 10, 2, 2), (3, 1, 2, 1), (2, 6, 1, 2)]:
        x = rng.normal(size=(N, T, D))
        K, b = rng.normal(size=(D, 4 * U)) * 0.7, rng.normal(size=4 * U)
        b[U:2 * U] += rng.choice([-1.0, 1.0, 2.0])
        zero_R = np.zeros((U, 4 * U))
        what = f"(N={N}, T={T}, D={D}, U={U})"
        mine = S.cell_path_gradient(x.copy(), K.copy(), b.copy())
        check_shape(f"cell_path_gradient {what}", mine, (N, U), hint="one derivative per example and unit")
        c0 = rng.normal(size=(N, U))
        G = lstm_forward(x, np.zeros((N, U)), c0, K, zero_R, b)[2]["G"]  # (T, N, 4U)
        check_close(f"cell_path_gradient vs the product of the forget gates {what}", mine,
                    G[:, :, U:2 * U].prod(axis=0), rtol=1e-7, atol=0,
                    hint="the product over ALL T steps of f_t (columns U:2U), h_prev = 0 and a zero recurrent kernel")
        if T > 1:
            numeric = eval_numerical_gradient_array(
                lambda v: lstm_forward(x, np.zeros((N, U)), v, K, zero_R, b)[1], c0, np.ones((N, U)))
            check_close(f"cell_path_gradient vs finite differences of c_T w.r.t. c_0 {what}", mine, numeric,
                        rtol=1e-5, atol=1e-9)


TASKS = [Task("lstm_gates", ["lstm_gates"], _lstm_gates, LSTM_POLICY),
         Task("lstm_step", ["lstm_step"], _lstm_step, LSTM_POLICY, uses={"lstm_gates": _gates}),
         Task("gru_step", ["gru_step"], _gru_step, GRU_POLICY),
         Task("cell_path", ["cell_path_gradient"], _cell_path, LSTM_POLICY, uses={"lstm_gates": _gates})]
