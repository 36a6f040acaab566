"""Self-check of Exercise 8 (recurrent networks and BPTT): references from dlkit.np.functional (rnn_*) and
finite differences."""
import numpy as np

from dlkit.exercises.checks import check_close, check_shape
from dlkit.gradcheck import eval_numerical_gradient_array
from dlkit.np.functional import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

from ._core import Task, parts, snapshot, unchanged

STEP_POLICY = ("dlkit.np.functional.rnn_step_forward", "dlkit.np.layers.SimpleRNN")
FORWARD_POLICY = ("dlkit.np.functional.rnn_forward", "dlkit.np.functional.rnn_step_forward",
                  "dlkit.np.layers.SimpleRNN")
STEP_BACK_POLICY = ("dlkit.np.functional.rnn_step_backward",)
BPTT_POLICY = ("dlkit.np.functional.rnn_backward", "dlkit.np.functional.rnn_step_backward")
NAMES = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")


# correct versions of the earlier tasks' functions (plain NumPy): later tasks are checked with them
def _step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _forward(x, h0, kernel, recurrent_kernel, bias):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, kernel, recurrent_kernel, bias)
        hs.append(h)
    return np.stack(hs, axis=1)


def _step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    da = dh * (1.0 - _step(x_t, h_prev, kernel, recurrent_kernel, bias) ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def _weights(rng, D, U):
    return rng.normal(size=(D, U)), rng.normal(size=(U, U)) * 0.5, rng.normal(size=U) * 0.5


def _rnn_step(S, rng):
    for N, D, U in [(4, 3, 5), (1, 2, 1), (5, 1, 3), (2, 6, 4)]:
        x, h = rng.normal(size=(N, D)), rng.normal(size=(N, U))
        K, R, b = _weights(rng, D, U)
        got = S.rnn_step(x, h, K, R, b)
        check_shape(f"rnn_step (N={N}, D={D}, U={U})", got, (N, U), hint="(N, U)")
        check_close(f"rnn_step (N={N}, D={D}, U={U})", got, rnn_step_forward(x, h, K, R, b)[0],
                    hint="tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias); the recurrent kernel is not symmetric")


def _rnn_forward(S, rng):
    for N, T, D, U in [(3, 4, 2, 3), (1, 1, 3, 2), (2, 7, 1, 4), (4, 3, 4, 1)]:
        x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, U))
        K, R, b = _weights(rng, D, U)
        before = snapshot({"x": x, "h0": h0})
        check_close(f"rnn_forward (N={N}, T={T}, D={D}, U={U}) with a random h0", S.rnn_forward(x, h0, K, R, b),
                    rnn_forward(x, h0, K, R, b)[0], hint="shape (N, T, U): the states after each of the T steps")
        unchanged("rnn_forward", {"x": x, "h0": h0}, before)


def _rnn_step_backward(S, rng):
    for N, D, U in [(3, 2, 4), (1, 3, 1), (4, 1, 2)]:
        x, h = rng.normal(size=(N, D)), rng.normal(size=(N, U))
        K, R, b = _weights(rng, D, U)
        dh = rng.normal(size=(N, U))
        ref = rnn_step_backward(dh, rnn_step_forward(x, h, K, R, b)[1])
        mine = parts(f"rnn_step_backward (N={N}, D={D}, U={U})", S.rnn_step_backward(dh, x, h, K, R, b), 5,
                     "(dx_t, dh_prev, dkernel, drecurrent_kernel, dbias)")
        for name, g, r in zip(("dx_t", "dh_prev", "dkernel", "drecurrent_kernel", "dbias"), mine, ref):
            check_close(f"rnn_step_backward {name} (N={N}, D={D}, U={U})", g, r,
                        hint=f"{name} has shape {r.shape}; da = dh * (1 - h_t**2) first")
        check_close(f"rnn_step_backward dkernel vs finite differences (N={N}, D={D}, U={U})", mine[2],
                    eval_numerical_gradient_array(lambda v: rnn_step_forward(x, h, v, R, b)[0], K.copy(), dh),
                    rtol=1e-5, atol=1e-8)


def _rnn_bptt(S, rng):
    for N, T, D, U, last in [(2, 4, 3, 2, False), (3, 5, 2, 3, True), (1, 1, 2, 2, False), (2, 6, 1, 3, False)]:
        x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, U)) * 0.5
        K, R, b = _weights(rng, D, U)
        dhs = rng.normal(size=(N, T, U))
        if last:
            dhs[:, :-1] = 0.0
        ref = rnn_backward(dhs, rnn_forward(x, h0, K, R, b)[1])
        what = f"(N={N}, T={T}, D={D}, U={U}{', loss on the last state only' if last else ''})"
        before = snapshot({"dhs": dhs, "x": x, "h0": h0})
        mine = parts(f"rnn_bptt {what}", S.rnn_bptt(dhs, x, h0, K, R, b), 5, "(" + ", ".join(NAMES) + ")")
        for name, g, r in zip(NAMES, mine, ref):
            check_close(f"rnn_bptt {name} {what}", g, r, hint=f"{name} has shape {r.shape}; add dhs[:, t] to the "
                        "gradient carried back from step t + 1, and sum the weight gradients of all steps")
        unchanged("rnn_bptt", {"dhs": dhs, "x": x, "h0": h0}, before)
    check_close(f"rnn_bptt drecurrent_kernel vs finite differences {what}", mine[3],
                eval_numerical_gradient_array(lambda v: rnn_forward(x, h0, K, v, b)[0], R.copy(), dhs),
                rtol=1e-5, atol=1e-8)


TASKS = [Task("rnn_step", ["rnn_step"], _rnn_step, STEP_POLICY),
         Task("rnn_forward", ["rnn_forward"], _rnn_forward, FORWARD_POLICY, uses={"rnn_step": _step}),
         Task("rnn_step_backward", ["rnn_step_backward"], _rnn_step_backward, STEP_BACK_POLICY,
              uses={"rnn_step": _step}),
         Task("rnn_bptt", ["rnn_bptt"], _rnn_bptt, BPTT_POLICY,
              uses={"rnn_step": _step, "rnn_forward": _forward, "rnn_step_backward": _step_backward})]
