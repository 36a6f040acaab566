"""Realistic answers to ch09_lstm_gru (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ------------------------------------------------------------------ Task 1: lstm_gates
    ("lstm_gates", "wrong", "candidate and output gate swapped (order i, f, o, c as in some textbooks)", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return sigmoid(a[:, :U]), sigmoid(a[:, U:2 * U]), np.tanh(a[:, 3 * U:]), sigmoid(a[:, 2 * U:3 * U])
'''),
    ("lstm_gates", "wrong", "U taken from the input size D (equal in the visible test)", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = x_t.shape[1]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return sigmoid(a[:, :U]), sigmoid(a[:, U:2 * U]), np.tanh(a[:, 2 * U:3 * U]), sigmoid(a[:, 3 * U:])
'''),
    ("lstm_gates", "wrong", "own sigmoid exp(a) / (1 + exp(a)): nan when a > 709", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    sig = lambda z: np.exp(z) / (1.0 + np.exp(z))
    return sig(a[:, :U]), sig(a[:, U:2 * U]), np.tanh(a[:, 2 * U:3 * U]), sig(a[:, 3 * U:])
'''),
    ("lstm_gates", "wrong", "casts to float32 like Keras (the task asks for float64)", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    a = (x_t @ kernel + h_prev @ recurrent_kernel + bias).astype(np.float32)
    return sigmoid(a[:, :U]).astype(np.float32), sigmoid(a[:, U:2 * U]).astype(np.float32), \\
        np.tanh(a[:, 2 * U:3 * U]), sigmoid(a[:, 3 * U:]).astype(np.float32)
'''),
    ("lstm_gates", "wrong", "forgets the recurrent term h_prev @ recurrent_kernel", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    a = x_t @ kernel + bias
    return sigmoid(a[:, :U]), sigmoid(a[:, U:2 * U]), np.tanh(a[:, 2 * U:3 * U]), sigmoid(a[:, 3 * U:])
'''),
    ("lstm_gates", "wrong", "one-line call to dlkit's LSTM step (policy: scores 0)", '''
from dlkit.np.functional import lstm_step_forward


def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    G = lstm_step_forward(x_t, h_prev, np.zeros_like(h_prev), kernel, recurrent_kernel, bias)[2]["G"][0]
    return tuple(np.split(G, 4, axis=1))
'''),
    ("lstm_gates", "correct", "np.split, einsum and a clipped 1 / (1 + exp(-a))", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = np.einsum("nd,dg->ng", x_t, kernel) + np.einsum("nu,ug->ng", h_prev, recurrent_kernel) + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)
    sig = lambda z: 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    return sig(a_i), sig(a_f), np.tanh(a_c), sig(a_o)
'''),
    ("lstm_gates", "correct", "reshape to (N, 4, U), np.dot, the provided sigmoid", '''
def lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias):
    N, U = h_prev.shape
    a = (np.dot(x_t, kernel) + np.dot(h_prev, recurrent_kernel) + bias).reshape(N, 4, U)
    return sigmoid(a[:, 0]), sigmoid(a[:, 1]), np.tanh(a[:, 2]), sigmoid(a[:, 3])
'''),
    # ------------------------------------------------------------------ Task 2: lstm_step
    ("lstm_step", "wrong", "h_t from the OLD cell state", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, g, o = lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias)
    c = f * c_prev + i * g
    return o * np.tanh(c_prev), c
'''),
    ("lstm_step", "wrong", "updates c_prev in place", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, g, o = lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias)
    c_prev *= f
    c_prev += i * g
    return o * np.tanh(c_prev), c_prev
'''),
    ("lstm_step", "wrong", "reuses the h_prev buffer for h_t (modifies the caller's state)", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, g, o = lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias)
    c = f * c_prev + i * g
    np.multiply(o, np.tanh(c), out=h_prev)
    return h_prev, c
'''),
    ("lstm_step", "wrong", "gates computed inline with U taken from D (equal in the visible test)", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    U = x_t.shape[-1]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i, f = sigmoid(a[:, :U]), sigmoid(a[:, U:2 * U])
    g, o = np.tanh(a[:, 2 * U:3 * U]), sigmoid(a[:, 3 * U:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''),
    ("lstm_step", "wrong", "tanh written with exp: nan for large cell states", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, g, o = lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias)
    c = f * c_prev + i * g
    e = np.exp(2 * c)
    return o * (e - 1) / (e + 1), c
'''),
    ("lstm_step", "wrong", "one-line call to dlkit's LSTM step (policy: scores 0)", '''
import dlkit.np.functional as F


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    return F.lstm_step_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)[:2]
'''),
    ("lstm_step", "correct", "inline gates with np.split, new arrays via np.add / np.multiply", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
    c_t = np.add(sigmoid(a_f) * c_prev, sigmoid(a_i) * np.tanh(a_g))
    h_t = np.multiply(sigmoid(a_o), np.tanh(c_t))
    return h_t, c_t
'''),
    ("lstm_step", "correct", "uses lstm_gates, returns a list", '''
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    gates = lstm_gates(x_t, h_prev, kernel, recurrent_kernel, bias)
    c_t = gates[1] * c_prev
    c_t = c_t + gates[0] * gates[2]
    return [gates[3] * np.tanh(c_t), c_t]
'''),
    # ------------------------------------------------------------------ Task 3: gru_step
    ("gru_step", "wrong", "PyTorch convention: z weighs the NEW candidate", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = sigmoid(ax[:, :U] + ah[:, :U])
    r = sigmoid(ax[:, U:2 * U] + ah[:, U:2 * U])
    hh = np.tanh(ax[:, 2 * U:] + r * ah[:, 2 * U:])
    return (1.0 - z) * h_prev + z * hh
'''),
    ("gru_step", "wrong", "reset gate applied before the product (reset_after=False)", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel[:, :2 * U] + bias[1, :2 * U]
    z = sigmoid(ax[:, :U] + ah[:, :U])
    r = sigmoid(ax[:, U:2 * U] + ah[:, U:])
    hh = np.tanh(ax[:, 2 * U:] + (r * h_prev) @ recurrent_kernel[:, 2 * U:] + bias[1, 2 * U:])
    return z * h_prev + (1.0 - z) * hh
'''),
    ("gru_step", "wrong", "U taken from kernel.shape[0] = D (equal in the visible test)", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = sigmoid(ax[:, :U] + ah[:, :U])
    r = sigmoid(ax[:, U:2 * U] + ah[:, U:2 * U])
    hh = np.tanh(ax[:, 2 * U:] + r * ah[:, 2 * U:])
    return z * h_prev + (1.0 - z) * hh
'''),
    ("gru_step", "wrong", "computes in float32 like Keras (the task asks for float64)", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_t, h_prev = x_t.astype(np.float32), h_prev.astype(np.float32)
    kernel, recurrent_kernel, bias = (w.astype(np.float32) for w in (kernel, recurrent_kernel, bias))
    U = recurrent_kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = 1.0 / (1.0 + np.exp(-(ax[:, :U] + ah[:, :U])))
    r = 1.0 / (1.0 + np.exp(-(ax[:, U:2 * U] + ah[:, U:2 * U])))
    hh = np.tanh(ax[:, 2 * U:] + r * ah[:, 2 * U:])
    return z * h_prev + (1 - z) * hh
'''),
    ("gru_step", "wrong", "own sigmoid exp(a) / (1 + exp(a)): nan when a > 709", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    sig = lambda a: np.exp(a) / (1.0 + np.exp(a))
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = sig(ax[:, :U] + ah[:, :U])
    r = sig(ax[:, U:2 * U] + ah[:, U:2 * U])
    hh = np.tanh(ax[:, 2 * U:] + r * ah[:, 2 * U:])
    return z * h_prev + (1.0 - z) * hh
'''),
    ("gru_step", "wrong", "updates h_prev in place and returns it", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = sigmoid(ax[:, :U] + ah[:, :U])
    r = sigmoid(ax[:, U:2 * U] + ah[:, U:2 * U])
    hh = np.tanh(ax[:, 2 * U:] + r * ah[:, 2 * U:])
    h_prev -= hh
    h_prev *= z
    h_prev += hh
    return h_prev
'''),
    ("gru_step", "wrong", "one-line call to dlkit's GRU step (policy: scores 0)", '''
from dlkit.np.functional import gru_step_forward


def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return gru_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias)[0]
'''),
    ("gru_step", "correct", "np.split on both parts, h = hh + z * (h_prev - hh)", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    xz, xr, xh = np.split(x_t @ kernel + bias[0], 3, axis=1)
    hz, hr, hh_ = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=1)
    z, r = sigmoid(xz + hz), sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh_)
    return cand + z * (h_prev - cand)
'''),
    # ------------------------------------------------------------------ Task 4: cell_path
    ("cell_path", "wrong", "skips the first step (range(1, T))", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    grad = np.ones((N, U))
    for t in range(1, T):
        grad = grad * lstm_gates(x[:, t], np.zeros((N, U)), kernel, np.zeros((U, 4 * U)), bias)[1]
    return grad
'''),
    ("cell_path", "wrong", "multiplies the input gates instead of the forget gates", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    grad = np.ones((N, U))
    for t in range(T):
        grad = grad * lstm_gates(x[:, t], np.zeros((N, U)), kernel, np.zeros((U, 4 * U)), bias)[0]
    return grad
'''),
    ("cell_path", "wrong", "all steps in one batch, reshaped time-major (right only for N = 1)", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    f = lstm_gates(x.reshape(N * T, D), np.zeros((N * T, U)), kernel, np.zeros((U, 4 * U)), bias)[1]
    return f.reshape(T, N, U).prod(axis=0)
'''),
    ("cell_path", "wrong", "inline forget gate exp(a) / (1 + exp(a)): nan for huge inputs", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    grad = np.ones((N, U))
    for t in range(T):
        a_f = x[:, t] @ kernel[:, U:2 * U] + bias[U:2 * U]
        grad = grad * np.exp(a_f) / (1.0 + np.exp(a_f))
    return grad
'''),
    ("cell_path", "wrong", "float32 accumulator (the task asks for float64)", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    grad = np.ones((N, U), dtype=np.float32)
    for t in range(T):
        grad *= lstm_gates(x[:, t], np.zeros((N, U)), kernel, np.zeros((U, 4 * U)), bias)[1]
    return grad
'''),
    ("cell_path", "wrong", "sums the forget gates instead of multiplying them", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    fs = [lstm_gates(x[:, t], np.zeros((N, U)), kernel, np.zeros((U, 4 * U)), bias)[1] for t in range(T)]
    return np.sum(fs, axis=0)
'''),
    ("cell_path", "wrong", "written for one sequence: uses x[0] only (right only for N = 1)", '''
def cell_path_gradient(x, kernel, bias):
    T = x.shape[1]
    U = kernel.shape[1] // 4
    grad = np.ones((1, U))
    for t in range(T):
        grad = grad * lstm_gates(x[0, t][None], np.zeros((1, U)), kernel, np.zeros((U, 4 * U)), bias)[1]
    return grad
'''),
    ("cell_path", "correct", "one batched call, reshaped batch-major, product over time", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    f = lstm_gates(x.reshape(N * T, D), np.zeros((N * T, U)), kernel, np.zeros((U, 4 * U)), bias)[1]
    return np.prod(f.reshape(N, T, U), axis=1)
'''),
    ("cell_path", "correct", "log-space sum over the time-major loop, then exp", '''
def cell_path_gradient(x, kernel, bias):
    N, T, D = x.shape
    U = kernel.shape[1] // 4
    log_grad = np.zeros((N, U))
    for x_t in np.moveaxis(x, 1, 0):
        with np.errstate(divide="ignore"):
            log_grad = log_grad + np.log(lstm_gates(x_t, np.zeros((N, U)), kernel, np.zeros((U, 4 * U)), bias)[1])
    return np.exp(log_grad)
'''),
]
