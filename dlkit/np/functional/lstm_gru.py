"""Functional core for LSTM and GRU layers (Keras weight layout), forward and full BPTT backward.

Shapes: ``N`` batch, ``T`` time steps, ``D`` input features, ``U`` units.

LSTM (Keras gate order i, f, c, o; fused ``Wx (D, 4U)``, ``Wh (U, 4U)``, ``b (4U,)``)::

    a = x_t @ Wx + h_{t-1} @ Wh + b             split a -> a_i, a_f, a_g, a_o
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);   g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;                  h_t = o * tanh(c_t)

GRU (Keras gate order z, r, h; ``Wx (D, 3U)``, ``Wh (U, 3U)``). With ``reset_after=True`` (Keras
default, ``b (2, 3U)`` = input bias, recurrent bias)::

    ax = x_t @ Wx + b[0];  ah = h_{t-1} @ Wh + b[1]
    z = sigmoid(ax_z + ah_z);  r = sigmoid(ax_r + ah_r);  hh = tanh(ax_h + r * ah_h)
    h_t = z * h_{t-1} + (1 - z) * hh

With ``reset_after=False`` (``b (3U,)``): ``hh = tanh(ax_h + (r * h_{t-1}) @ Wh_h)``.

Sequence functions project the inputs of all steps with one GEMM, do one recurrent GEMM per step and
compute the weight gradients with single GEMMs after the backward loop. Their backward stores
``cache["dh_norms"]`` (T,): the norm of the total gradient dL/dh_t at every step. The one-step
functions ``lstm_step_*`` / ``gru_step_*`` run the same code on a sequence of length 1.

These kernels are the fast path and work in place, which hides the formulas. To read (or teach) the
gates, see :mod:`dlkit.np.functional.recurrent_steps`: ``lstm_step`` / ``lstm_step_grad`` and ``gru_step`` /
``gru_step_grad`` compute one step with every gate named (i, f, g, o; z, r, hh), tested equal to these
kernels over whole sequences.
"""
import numpy as np

__all__ = ["sigmoid", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
           "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]


def sigmoid(x, out=None):
    """Numerically stable logistic function, 1 / (1 + exp(-x)) = (1 + tanh(x / 2)) / 2."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _time_major_projection(x, Wx, b):
    """x (N, T, D) -> (xt (T, N, D) contiguous, A = xt @ Wx + b of shape (T, N, G))."""
    N, T, D = x.shape
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))
    A = (xt.reshape(T * N, D) @ Wx).reshape(T, N, -1)
    A += b
    return xt, A


def _finish_backward(cache, dA, Wx):
    """dx and the GEMM-accumulated dWx from the pre-activation gradients dA (T, N, G)."""
    xt = cache["xt"]
    T, N, D = xt.shape
    dA2 = dA.reshape(T * N, -1)
    dx = (dA2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    dWx = xt.reshape(T * N, D).T @ dA2
    return dx, dWx, dA2


# ---------------------------------------------------------------------------------------------- LSTM
def lstm_forward(x, h0, c0, Wx, Wh, b):
    """LSTM over a sequence.

    x: (N, T, D), h0, c0: (N, U), Wx: (D, 4U), Wh: (U, 4U), b: (4U,)
    -> hs: (N, T, U) all hidden states, c_T: (N, U) final cell state, cache.
    """
    U = Wh.shape[0]
    xt, G = _time_major_projection(x, Wx, b)                  # G becomes the activated gates
    T, N = G.shape[:2]
    H = np.empty((T + 1, N, U), dtype=G.dtype)
    C = np.empty_like(H)
    TC = np.empty((T, N, U), dtype=G.dtype)
    H[0], C[0] = h0, c0
    for t in range(T):
        g = G[t]
        g += H[t] @ Wh
        sigmoid(g[:, :2 * U], out=g[:, :2 * U])               # i, f
        np.tanh(g[:, 2 * U:3 * U], out=g[:, 2 * U:3 * U])     # candidate c~
        sigmoid(g[:, 3 * U:], out=g[:, 3 * U:])               # o
        np.multiply(g[:, U:2 * U], C[t], out=C[t + 1])
        C[t + 1] += g[:, :U] * g[:, 2 * U:3 * U]
        np.tanh(C[t + 1], out=TC[t])
        np.multiply(g[:, 3 * U:], TC[t], out=H[t + 1])
    cache = {"xt": xt, "G": G, "H": H, "C": C, "TC": TC, "Wx": Wx, "Wh": Wh}
    return H[1:].transpose(1, 0, 2), C[-1], cache


def lstm_backward(dhs, cache, dh_T=None, dc_T=None):
    """Backpropagation through time for :func:`lstm_forward`.

    dhs: (N, T, U) upstream gradient of every hidden state; optional dh_T, dc_T: (N, U) extra gradients
    of the final states -> dx (N, T, D), dh0 (N, U), dc0 (N, U), dWx (D, 4U), dWh (U, 4U), db (4U,).
    """
    G, H, C, TC, Wx, Wh = (cache[k] for k in ("G", "H", "C", "TC", "Wx", "Wh"))
    T, N, U = TC.shape
    dH = np.ascontiguousarray(np.asarray(dhs, dtype=H.dtype).transpose(1, 0, 2))
    dA = np.empty_like(G)
    norms = np.empty(T)
    dh_next = np.zeros((N, U), H.dtype) if dh_T is None else np.asarray(dh_T, H.dtype)
    dc = np.zeros((N, U), H.dtype) if dc_T is None else np.array(dc_T, H.dtype)
    WhT = np.ascontiguousarray(Wh.T)
    for t in range(T - 1, -1, -1):
        g, da = G[t], dA[t]
        i, f, gg, o = g[:, :U], g[:, U:2 * U], g[:, 2 * U:3 * U], g[:, 3 * U:]
        dh = dH[t] + dh_next                                  # total dL/dh_t
        norms[t] = np.sqrt(np.vdot(dh, dh))
        tc = TC[t]
        dc += dh * o * (1.0 - tc * tc)                        # through h_t = o * tanh(c_t)
        np.multiply(dh * tc, o * (1.0 - o), out=da[:, 3 * U:])
        np.multiply(dc * gg, i * (1.0 - i), out=da[:, :U])
        np.multiply(dc * C[t], f * (1.0 - f), out=da[:, U:2 * U])
        np.multiply(dc * i, 1.0 - gg * gg, out=da[:, 2 * U:3 * U])
        dc *= f                                               # dL/dc_{t-1}
        dh_next = da @ WhT
    cache["dh_norms"] = norms
    dx, dWx, dA2 = _finish_backward(cache, dA, Wx)
    dWh = H[:-1].reshape(T * N, U).T @ dA2
    return dx, dh_next, dc, dWx, dWh, dA2.sum(axis=0)


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step. x: (N, D), h_prev, c_prev: (N, U) -> h: (N, U), c: (N, U), cache."""
    hs, c, cache = lstm_forward(x[:, None, :], h_prev, c_prev, Wx, Wh, b)
    return hs[:, 0], c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward of one LSTM step. dh, dc: (N, U) -> dx (N, D), dh_prev, dc_prev, dWx, dWh, db."""
    dx, dh_prev, dc_prev, dWx, dWh, db = lstm_backward(dh[:, None, :], cache, dc_T=dc)
    return dx[:, 0], dh_prev, dc_prev, dWx, dWh, db


# ----------------------------------------------------------------------------------------------- GRU
def gru_forward(x, h0, Wx, Wh, b, reset_after=True):
    """GRU over a sequence.

    x: (N, T, D), h0: (N, U), Wx: (D, 3U), Wh: (U, 3U), b: (2, 3U) if reset_after else (3U,)
    -> hs: (N, T, U), cache.
    """
    U = Wh.shape[0]
    b = np.asarray(b)
    if b.shape != ((2, 3 * U) if reset_after else (3 * U,)):
        raise ValueError(f"gru_forward: bias must have shape {(2, 3 * U) if reset_after else (3 * U,)} "
                         f"for reset_after={reset_after}, got {b.shape}")
    xt, G = _time_major_projection(x, Wx, b[0] if reset_after else b)   # G becomes z, r, hh
    T, N = G.shape[:2]
    H = np.empty((T + 1, N, U), dtype=G.dtype)
    H[0] = h0
    M = np.empty((T, N, U), dtype=G.dtype)    # reset_after: ah_h = h @ Wh_h + b_h; else r * h_prev
    for t in range(T):
        g, h = G[t], H[t]
        if reset_after:
            ah = h @ Wh + b[1]
            g[:, :2 * U] += ah[:, :2 * U]
            sigmoid(g[:, :2 * U], out=g[:, :2 * U])
            M[t] = ah[:, 2 * U:]
            g[:, 2 * U:] += g[:, U:2 * U] * M[t]
        else:
            g[:, :2 * U] += h @ Wh[:, :2 * U]
            sigmoid(g[:, :2 * U], out=g[:, :2 * U])
            np.multiply(g[:, U:2 * U], h, out=M[t])
            g[:, 2 * U:] += M[t] @ Wh[:, 2 * U:]
        np.tanh(g[:, 2 * U:], out=g[:, 2 * U:])
        z, hh = g[:, :U], g[:, 2 * U:]
        np.subtract(h, hh, out=H[t + 1])
        H[t + 1] *= z
        H[t + 1] += hh                                        # z * h_prev + (1 - z) * hh
    cache = {"xt": xt, "G": G, "H": H, "M": M, "Wx": Wx, "Wh": Wh, "reset_after": reset_after}
    return H[1:].transpose(1, 0, 2), cache


def gru_backward(dhs, cache, dh_T=None):
    """Backpropagation through time for :func:`gru_forward`.

    dhs: (N, T, U), optional dh_T: (N, U) -> dx (N, T, D), dh0 (N, U), dWx (D, 3U), dWh (U, 3U),
    db (same shape as b).
    """
    G, H, M, Wx, Wh, ra = (cache[k] for k in ("G", "H", "M", "Wx", "Wh", "reset_after"))
    T, N, U = M.shape
    dH = np.ascontiguousarray(np.asarray(dhs, dtype=H.dtype).transpose(1, 0, 2))
    dA = np.empty_like(G)                     # gradient of the input pre-activations ax
    dAh = np.empty_like(G) if ra else None    # gradient of ah (reset_after only)
    norms = np.empty(T)
    dh_next = np.zeros((N, U), H.dtype) if dh_T is None else np.asarray(dh_T, H.dtype)
    WhT = np.ascontiguousarray(Wh.T)
    for t in range(T - 1, -1, -1):
        g, da, h = G[t], dA[t], H[t]
        z, r, hh = g[:, :U], g[:, U:2 * U], g[:, 2 * U:]
        dh = dH[t] + dh_next
        norms[t] = np.sqrt(np.vdot(dh, dh))
        np.multiply(dh * (h - hh), z * (1.0 - z), out=da[:, :U])           # dz pre-activation
        np.multiply(dh * (1.0 - z), 1.0 - hh * hh, out=da[:, 2 * U:])      # dhh pre-activation
        dhp = da[:, 2 * U:]
        if ra:
            np.multiply(dhp * M[t], r * (1.0 - r), out=da[:, U:2 * U])
            dah = dAh[t]
            dah[:, :2 * U] = da[:, :2 * U]
            np.multiply(dhp, r, out=dah[:, 2 * U:])
            dh_next = dh * z + dah @ WhT
        else:
            drh = dhp @ WhT[2 * U:]                                         # d(r * h_prev)
            np.multiply(drh * h, r * (1.0 - r), out=da[:, U:2 * U])
            dh_next = dh * z + drh * r + da[:, :2 * U] @ WhT[:2 * U]
    cache["dh_norms"] = norms
    dx, dWx, dA2 = _finish_backward(cache, dA, Wx)
    Hp = H[:-1].reshape(T * N, U)
    if ra:
        dAh2 = dAh.reshape(T * N, -1)
        dWh = Hp.T @ dAh2
        db = np.stack([dA2.sum(axis=0), dAh2.sum(axis=0)])
    else:
        dWh = np.concatenate([Hp.T @ dA2[:, :2 * U], M.reshape(T * N, U).T @ dA2[:, 2 * U:]], axis=1)
        db = dA2.sum(axis=0)
    return dx, dh_next, dWx, dWh, db


def gru_step_forward(x, h_prev, Wx, Wh, b, reset_after=True):
    """One GRU step. x: (N, D), h_prev: (N, U) -> h: (N, U), cache."""
    hs, cache = gru_forward(x[:, None, :], h_prev, Wx, Wh, b, reset_after)
    return hs[:, 0], cache


def gru_step_backward(dh, cache):
    """Backward of one GRU step. dh: (N, U) -> dx (N, D), dh_prev (N, U), dWx, dWh, db."""
    dx, dh_prev, dWx, dWh, db = gru_backward(dh[:, None, :], cache)
    return dx[:, 0], dh_prev, dWx, dWh, db
