"""Functional core for recurrent layers (CS231n style), vanilla RNN part.

Shapes: ``N`` batch, ``T`` time steps, ``D`` input features, ``H`` hidden units.

Two levels are offered:

* one time step, for teaching: ``rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h, cache)`` and
  ``rnn_step_backward(dh, cache) -> (dx, dh_prev, dWx, dWh, db)``;
* a whole sequence, for speed: ``rnn_forward(x, h0, Wx, Wh, b) -> (hs, cache)`` and
  ``rnn_backward(dhs, cache) -> (dx, dh0, dWx, dWh, db)``. The input projection ``x @ Wx + b`` of all
  steps is one GEMM before the loop, the loop does one GEMM per step, and the weight gradients are
  again single GEMMs after the backward loop (backpropagation through time, BPTT).

``*_backward`` of a sequence also stores ``cache["dh_norms"]``, shape (T,): the Frobenius norm of the
total gradient dL/dh_t reaching each hidden state (the vanishing-gradient plot of the RNN chapter).

LSTM and GRU live in :mod:`dlkit.np.functional.lstm_gru` and are re-exported here.
"""
import numpy as np

from dlkit.np.functional import lstm_gru as _lstm_gru
from dlkit.np.functional.lstm_gru import *  # noqa: F401,F403  (sigmoid, lstm_*, gru_*)
from dlkit.np.functional.lstm_gru import sigmoid

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
           "RNN_ACTIVATIONS"]


def _linear(a, out=None):
    if out is None:
        return a.copy()
    out[...] = a
    return out


# activation name -> (f(a, out), f'(a) written as a function of the output y = f(a))
RNN_ACTIVATIONS = {
    "tanh": (lambda a, out=None: np.tanh(a, out=out), lambda y: 1.0 - y * y),
    "sigmoid": (sigmoid, lambda y: y * (1.0 - y)),
    "relu": (lambda a, out=None: np.maximum(a, 0, out=out), lambda y: (y > 0).astype(y.dtype)),
    "linear": (_linear, lambda y: np.ones_like(y)),
}


def _act(name):
    if name is None:
        name = "linear"
    try:
        return RNN_ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unsupported RNN activation {name!r}; expected one of "
                         f"{sorted(RNN_ACTIVATIONS)}") from None


def rnn_step_forward(x, h_prev, Wx, Wh, b, activation="tanh"):
    """One vanilla RNN step, ``h = act(x @ Wx + h_prev @ Wh + b)``.

    x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> h: (N, H), cache.
    """
    f, _ = _act(activation)
    h = f(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h, activation)


def rnn_step_backward(dh, cache):
    """Backward of :func:`rnn_step_forward`.

    dh: (N, H) -> dx (N, D), dh_prev (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x, h_prev, Wx, Wh, h, activation = cache
    da = dh * _act(activation)[1](h)                      # gradient at the pre-activation
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b, activation="tanh"):
    """Vanilla RNN over a sequence.

    x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> hs: (N, T, H) (all hidden states), cache.
    """
    N, T, D = x.shape
    f, _ = _act(activation)
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))          # time-major (T, N, D)
    A = (xt.reshape(T * N, D) @ Wx).reshape(T, N, -1)         # input projection: one GEMM
    A += b
    H = np.empty((T + 1, N, Wh.shape[0]), dtype=A.dtype)     # H[0] = h0, H[t + 1] = h_t
    H[0] = h0
    for t in range(T):
        A[t] += H[t] @ Wh                                    # one GEMM per step
        f(A[t], out=H[t + 1])
    cache = {"xt": xt, "H": H, "Wx": Wx, "Wh": Wh, "activation": activation}
    return H[1:].transpose(1, 0, 2), cache


def rnn_backward(dhs, cache):
    """Backpropagation through time for :func:`rnn_forward`.

    dhs: (N, T, H) upstream gradient of every hidden state (zeros except the last step when only the
    final state is used) -> dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    xt, H, Wx, Wh = cache["xt"], cache["H"], cache["Wx"], cache["Wh"]
    T, N, D = xt.shape
    dfy = _act(cache["activation"])[1]
    dH = np.ascontiguousarray(np.asarray(dhs, dtype=H.dtype).transpose(1, 0, 2))
    dA = np.empty_like(dH)
    norms = np.empty(T)
    dh_next = np.zeros_like(H[0])
    for t in range(T - 1, -1, -1):
        dh = dH[t] + dh_next                                  # total dL/dh_t
        norms[t] = np.sqrt(np.vdot(dh, dh))
        np.multiply(dh, dfy(H[t + 1]), out=dA[t])
        dh_next = dA[t] @ Wh.T
    cache["dh_norms"] = norms
    dA2 = dA.reshape(T * N, -1)
    dx = (dA2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    dWx = xt.reshape(T * N, D).T @ dA2
    dWh = H[:-1].reshape(T * N, -1).T @ dA2
    return dx, dh_next, dWx, dWh, dA2.sum(axis=0)


__all__ += _lstm_gru.__all__
