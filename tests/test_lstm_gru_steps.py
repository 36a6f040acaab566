"""The readable named-gate steps (functional/recurrent_steps.py) equal the fused in-place kernels
(functional/lstm_gru.py) over whole sequences, forward and BPTT, in float64."""
import numpy as np
import pytest

from dlkit.np.functional import lstm_gru as fused
from dlkit.np.functional import recurrent_steps as steps

N, T, D, U = 3, 5, 4, 6
TOL = 1e-12


def _data(k, bias_shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = 0.5 * rng.standard_normal((N, U))
    W = 0.5 * rng.standard_normal((D, k * U))
    Uh = 0.5 * rng.standard_normal((U, k * U))
    b = 0.3 * rng.standard_normal(bias_shape)
    dhs = rng.standard_normal((N, T, U))
    return rng, x, h0, W, Uh, b, dhs


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


@pytest.mark.parametrize("final_grads", [False, True])
def test_lstm_steps_equal_fused_kernels(final_grads):
    rng, x, h0, W, Uh, b, dhs = _data(4, (4 * U,))
    c0 = 0.5 * rng.standard_normal((N, U))
    dh_T = rng.standard_normal((N, U)) if final_grads else None
    dc_T = rng.standard_normal((N, U)) if final_grads else None
    hs_f, c_f, cache = fused.lstm_forward(x, h0, c0, W, Uh, b)
    hs_s, c_s, caches = steps.lstm_sequence(x, h0, c0, W, Uh, b)
    _close(hs_s, hs_f)
    _close(c_s, c_f)
    for got, want in zip(steps.lstm_sequence_grad(dhs, caches, dh_T, dc_T),
                         fused.lstm_backward(dhs, cache, dh_T, dc_T)):
        _close(got, want)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_steps_equal_fused_kernels(reset_after):
    rng, x, h0, W, Uh, b, dhs = _data(3, (2, 3 * U) if reset_after else (3 * U,), seed=1)
    dh_T = rng.standard_normal((N, U))
    hs_f, cache = fused.gru_forward(x, h0, W, Uh, b, reset_after)
    hs_s, caches = steps.gru_sequence(x, h0, W, Uh, b, reset_after)
    _close(hs_s, hs_f)
    grads_s = steps.gru_sequence_grad(dhs, caches, dh_T)
    grads_f = fused.gru_backward(dhs, cache, dh_T)
    assert grads_s[-1].shape == b.shape
    for got, want in zip(grads_s, grads_f):
        _close(got, want)


def test_lstm_step_gates_are_named_and_follow_the_formula():
    rng, x, h0, W, Uh, b, _ = _data(4, (4 * U,), seed=2)
    c0 = rng.standard_normal((N, U))
    h, c, cache = steps.lstm_step(x[:, 0], h0, c0, W, Uh, b)
    a = x[:, 0] @ W + h0 @ Uh + b
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    _close(cache["i"], sig(a[:, :U]))
    _close(cache["f"], sig(a[:, U:2 * U]))
    _close(cache["g"], np.tanh(a[:, 2 * U:3 * U]))
    _close(cache["o"], sig(a[:, 3 * U:]))
    _close(c, cache["f"] * c0 + cache["i"] * cache["g"])
    _close(h, cache["o"] * np.tanh(c))


def test_gru_step_grad_matches_central_differences():
    rng, x, h0, W, Uh, b, _ = _data(3, (2, 3 * U), seed=3)
    dh = rng.standard_normal((N, U))
    _, cache = steps.gru_step(x[:, 0], h0, W, Uh, b)
    dx, dh0, dW, dU, db = steps.gru_step_grad(dh, cache)
    loss = lambda: np.sum(steps.gru_step(x[:, 0], h0, W, Uh, b)[0] * dh)  # noqa: E731
    for arr, grad in ((W, dW), (Uh, dU), (b, db), (h0, dh0)):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + 1e-6
            lp = loss()
            arr[idx] = old - 1e-6
            lm = loss()
            arr[idx] = old
            num[idx] = (lp - lm) / 2e-6
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)
