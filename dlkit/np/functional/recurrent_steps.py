"""One LSTM / GRU time step written plainly, with every gate named (the formulas of the chapter).

These are the readable reference of the fused sequence kernels in :mod:`dlkit.np.functional.lstm_gru`
(``lstm_forward/lstm_backward/gru_forward/gru_backward``), which compute the same numbers in place and
with one GEMM for the input projections of all steps; tests check both agree to 1e-12 in float64.

Shapes: ``N`` batch, ``D`` input features, ``U`` units. Keras weight layout: ``W`` (D, kU) is the input
kernel, ``U`` (U, kU) the recurrent kernel, gates side by side in Keras order (LSTM i, f, c, o;
GRU z, r, h).

LSTM step::

    i = sigmoid(x W_i + h U_i + b_i)        input gate
    f = sigmoid(x W_f + h U_f + b_f)        forget gate
    g = tanh(x W_g + h U_g + b_g)           candidate cell
    o = sigmoid(x W_o + h U_o + b_o)        output gate
    c_new = f * c + i * g;   h_new = o * tanh(c_new)

GRU step, ``reset_after=True`` (Keras default; ``b`` (2, 3U) = input bias, recurrent bias)::

    z = sigmoid(x W_z + b0_z + h U_z + b1_z)             update gate
    r = sigmoid(x W_r + b0_r + h U_r + b1_r)             reset gate
    hh = tanh(x W_h + b0_h + r * (h U_h + b1_h))         candidate
    h_new = z * h + (1 - z) * hh

``reset_after=False`` (``b`` (3U,)): ``hh = tanh(x W_h + (r * h) U_h + b_h)``.
"""
import numpy as np

__all__ = ["lstm_step", "lstm_step_grad", "lstm_sequence", "lstm_sequence_grad",
           "gru_step", "gru_step_grad", "gru_sequence", "gru_sequence_grad"]


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))      # = 1 / (1 + exp(-a)), without overflow


# ---------------------------------------------------------------------------------------------- LSTM
def lstm_step(x_t, h, c, W, U, b):
    """One LSTM step: x_t (N, D), h, c (N, U); W (D, 4U), U (U, 4U), b (4U,) -> h_new, c_new (N, U), cache."""
    n = U.shape[0]
    a = x_t @ W + h @ U + b                                      # (N, 4U) pre-activations
    i = _sigmoid(a[:, :n])
    f = _sigmoid(a[:, n:2 * n])
    g = np.tanh(a[:, 2 * n:3 * n])
    o = _sigmoid(a[:, 3 * n:])
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    h_new = o * tc
    cache = dict(x=x_t, h=h, c=c, i=i, f=f, g=g, o=o, tc=tc, W=W, U=U)
    return h_new, c_new, cache


def lstm_step_grad(dh, dc, cache):
    """Backward of :func:`lstm_step`. dh, dc: (N, U) total gradients of h_new and c_new
    -> dx (N, D), dh_prev (N, U), dc_prev (N, U), dW (D, 4U), dU (U, 4U), db (4U,)."""
    x, h, c, i, f, g, o, tc, W, U = (cache[k] for k in ("x", "h", "c", "i", "f", "g", "o", "tc", "W", "U"))
    # dL/dc_new also flows through h_new = o * tanh(c_new)
    dc = dc + dh * o * (1.0 - tc ** 2)
    # dL/d(pre-activation) of each gate: upstream * d(gate)/d(pre-activation)
    da_i = dc * g * i * (1.0 - i)
    da_f = dc * c * f * (1.0 - f)
    da_g = dc * i * (1.0 - g ** 2)
    da_o = dh * tc * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)     # (N, 4U)
    # dL/dW = x^T da, dL/dU = h^T da, dL/db = sum_n da
    dW, dU, db = x.T @ da, h.T @ da, da.sum(axis=0)
    # dL/dx = da W^T, dL/dh = da U^T, dL/dc = dc * f
    return da @ W.T, da @ U.T, dc * f, dW, dU, db


def lstm_sequence(x, h0, c0, W, U, b):
    """:func:`lstm_step` over x (N, T, D) -> hs (N, T, U), c_T (N, U), caches (one per step)."""
    h, c, hs, caches = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_step(x[:, t], h, c, W, U, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), c, caches


def lstm_sequence_grad(dhs, caches, dh_T=None, dc_T=None):
    """BPTT with :func:`lstm_step_grad`: dhs (N, T, U) -> dx (N, T, D), dh0, dc0, dW, dU, db."""
    N, T, n = dhs.shape
    dh_next = np.zeros((N, n)) if dh_T is None else dh_T
    dc = np.zeros((N, n)) if dc_T is None else dc_T
    dxs, dW, dU, db = [None] * T, 0, 0, 0
    for t in range(T - 1, -1, -1):
        dxs[t], dh_next, dc, dW_t, dU_t, db_t = lstm_step_grad(dhs[:, t] + dh_next, dc, caches[t])
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t       # shared weights: gradients add over time
    return np.stack(dxs, axis=1), dh_next, dc, dW, dU, db


# ----------------------------------------------------------------------------------------------- GRU
def gru_step(x_t, h, W, U, b, reset_after=True):
    """One GRU step: x_t (N, D), h (N, U); W (D, 3U), U (U, 3U), b (2, 3U) if reset_after else (3U,)
    -> h_new (N, U), cache."""
    n = U.shape[0]
    b = np.asarray(b)
    if reset_after:
        ax = x_t @ W + b[0]                                      # input part of the pre-activations
        ah = h @ U + b[1]                                        # recurrent part
        z = _sigmoid(ax[:, :n] + ah[:, :n])
        r = _sigmoid(ax[:, n:2 * n] + ah[:, n:2 * n])
        hh = np.tanh(ax[:, 2 * n:] + r * ah[:, 2 * n:])
        m = ah[:, 2 * n:]                                        # what r multiplies
    else:
        ax = x_t @ W + b
        ah = h @ U[:, :2 * n]
        z = _sigmoid(ax[:, :n] + ah[:, :n])
        r = _sigmoid(ax[:, n:2 * n] + ah[:, n:])
        m = r * h                                                # the reset hidden state
        hh = np.tanh(ax[:, 2 * n:] + m @ U[:, 2 * n:])
    h_new = z * h + (1.0 - z) * hh
    cache = dict(x=x_t, h=h, z=z, r=r, hh=hh, m=m, W=W, U=U, reset_after=reset_after)
    return h_new, cache


def gru_step_grad(dh, cache):
    """Backward of :func:`gru_step`. dh: (N, U) total gradient of h_new
    -> dx (N, D), dh_prev (N, U), dW (D, 3U), dU (U, 3U), db (shape of b)."""
    x, h, z, r, hh, m, W, U = (cache[k] for k in ("x", "h", "z", "r", "hh", "m", "W", "U"))
    n = U.shape[0]
    # h_new = z * h + (1 - z) * hh
    da_z = dh * (h - hh) * z * (1.0 - z)                        # dL/d(update pre-activation)
    da_h = dh * (1.0 - z) * (1.0 - hh ** 2)                     # dL/d(candidate pre-activation)
    if cache["reset_after"]:
        da_r = da_h * m * r * (1.0 - r)                         # candidate = ax_h + r * ah_h
        dax = np.concatenate([da_z, da_r, da_h], axis=1)        # gradient of ax = x W + b0
        dah = np.concatenate([da_z, da_r, da_h * r], axis=1)    # gradient of ah = h U + b1
        # dL/dW = x^T dax, dL/dU = h^T dah, dL/db = (sum dax, sum dah)
        dW, dU = x.T @ dax, h.T @ dah
        db = np.stack([dax.sum(axis=0), dah.sum(axis=0)])
        # dL/dh_prev: directly through z * h, and through ah
        dh_prev = dh * z + dah @ U.T
    else:
        dm = da_h @ U[:, 2 * n:].T                              # gradient of m = r * h
        da_r = dm * h * r * (1.0 - r)
        dax = np.concatenate([da_z, da_r, da_h], axis=1)
        dW = x.T @ dax
        dU = np.concatenate([h.T @ dax[:, :2 * n], m.T @ da_h], axis=1)
        db = dax.sum(axis=0)
        dh_prev = dh * z + dm * r + dax[:, :2 * n] @ U[:, :2 * n].T
    return dax @ W.T, dh_prev, dW, dU, db


def gru_sequence(x, h0, W, U, b, reset_after=True):
    """:func:`gru_step` over x (N, T, D) -> hs (N, T, U), caches (one per step)."""
    h, hs, caches = h0, [], []
    for t in range(x.shape[1]):
        h, cache = gru_step(x[:, t], h, W, U, b, reset_after)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def gru_sequence_grad(dhs, caches, dh_T=None):
    """BPTT with :func:`gru_step_grad`: dhs (N, T, U) -> dx (N, T, D), dh0, dW, dU, db."""
    N, T, n = dhs.shape
    dh_next = np.zeros((N, n)) if dh_T is None else dh_T
    dxs, dW, dU, db = [None] * T, 0, 0, 0
    for t in range(T - 1, -1, -1):
        dxs[t], dh_next, dW_t, dU_t, db_t = gru_step_grad(dhs[:, t] + dh_next, caches[t])
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
    return np.stack(dxs, axis=1), dh_next, dW, dU, db
