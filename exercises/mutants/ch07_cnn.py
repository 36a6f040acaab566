"""Realistic answers to ch07_cnn (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ---------------------------------------------------------------- Task 1: same_pads + conv2d forward
    ("conv_forward", "wrong", "valid padding with stride: Ho = (H - kh + 1) // stride (off by one)", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
        Ho, Wo = -(-H // stride), -(-W // stride)
    else:
        pt = pb = pl = pr = 0
        Ho, Wo = (H - kh + 1) // stride, (W - kw + 1) // stride
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "output width computed with kh (only right for square kernels)", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kh) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "rows padded with the width's pads and vice versa (square images only)", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(W, kw, stride), same_pads(H, kh, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (xp.shape[1] - kh) // stride + 1
    Wo = (xp.shape[2] - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "written for grayscale images: only channel 0 is used", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, 0]
                for f in range(F):
                    out[n, i, j, f] = np.sum(window * w[:, :, 0, f]) + b[f]
    return out
'''),
    ("conv_forward", "wrong", "output array takes the dtype of x (an uint8 image gives uint8 garbage)", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F), dtype=x.dtype)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "float32 output (Keras' default dtype) although the task asks for float64", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F), dtype=np.float32)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "odd padding: the extra row/column goes on top/left (PyTorch-like guess)", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total - total // 2, total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "padding only at the end (bottom/right), none before", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return 0, total


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "a true convolution: the kernel is flipped", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    wf = w[::-1, ::-1]
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j, :] = np.tensordot(window, wf, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "stride used for the output size but windows start at i instead of i * stride", '''
def same_pads(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    Ho = (H + pt + pb - kh) // stride + 1
    Wo = (W + pl + pr - kw) // stride + 1
    out = np.zeros((N, Ho, Wo, F))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, i:i + kh, j:j + kw, :]
                out[n, i, j, :] = np.tensordot(window, w, axes=3) + b
    return out
'''),
    ("conv_forward", "wrong", "one-line calls to dlkit's same_pads and conv2d_forward (policy: 0 points)", '''
def same_pads(size, k, stride):
    return dnp.functional.same_pads(size, k, stride)


def conv2d(x, w, b, stride=1, padding="valid"):
    return dnp.functional.conv2d_forward(x, w, b, strides=stride, padding=padding)[0]
'''),
    ("conv_forward", "correct", "vectorised: sliding_window_view and einsum; math.ceil for the output size", '''
import math
from numpy.lib.stride_tricks import sliding_window_view


def same_pads(size, k, stride):
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    before = total // 2
    return before, total - before


def conv2d(x, w, b, stride=1, padding="valid"):
    kh, kw = w.shape[:2]
    pads = (same_pads(x.shape[1], kh, stride), same_pads(x.shape[2], kw, stride)) if padding == "same" \\
        else ((0, 0), (0, 0))
    xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), pads[0], pads[1], (0, 0)))
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]   # (N, Ho, Wo, C, kh, kw)
    return np.einsum("nijcpq,pqcf->nijf", win, w) + b
'''),
    ("conv_forward", "correct", "loops over filters with an explicit float copy of x and if/else padding", '''
def same_pads(size, k, stride):
    if size % stride == 0:
        total = max(k - stride, 0)
    else:
        total = max(k - size % stride, 0)
    return total // 2, (total + 1) // 2


def conv2d(x, w, b, stride=1, padding="valid"):
    x = x.astype(np.float64)
    N, H, W, C = x.shape
    kh, kw, C2, F = w.shape
    if padding == "valid":
        xp = x
    else:
        (t, bo), (l, r) = same_pads(H, kh, stride), same_pads(W, kw, stride)
        xp = np.zeros((N, H + t + bo, W + l + r, C))
        xp[:, t:t + H, l:l + W, :] = x
    Ho = (xp.shape[1] - kh) // stride + 1
    Wo = (xp.shape[2] - kw) // stride + 1
    out = np.empty((N, Ho, Wo, F))
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[:, i, j, f] = (patch * w[:, :, :, f]).sum(axis=(1, 2, 3)) + b[f]
    return out
'''),
    # ---------------------------------------------------------------- Task 2: max pooling
    ("maxpool", "wrong", "ties: every position equal to the maximum receives the gradient", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, out, pool_size, s)


def maxpool_backward(dout, cache):
    x, out, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, i * s:i * s + p, j * s:j * s + p, :]
            mask = window == out[:, i:i + 1, j:j + 1, :]
            dx[:, i * s:i * s + p, j * s:j * s + p, :] += mask * dout[:, i:i + 1, j:j + 1, :]
    return dx
'''),
    ("maxpool", "wrong", "ties: the last maximum wins (>= in the scan)", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.full((N, Ho, Wo, C), -np.inf)
    arg = np.zeros((N, Ho, Wo, C, 2), dtype=int)
    for i in range(Ho):
        for j in range(Wo):
            for p in range(pool_size):
                for q in range(pool_size):
                    v = x[:, i * s + p, j * s + q, :]
                    better = v >= out[:, i, j, :]
                    out[:, i, j, :][better] = v[better]
                    arg[:, i, j, :][better] = (p, q)
    return out, (x.shape, arg, s)


def maxpool_backward(dout, cache):
    shape, arg, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    p, q = arg[n, i, j, c]
                    dx[n, i * s + p, j * s + q, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "running maximum started at 0 instead of -inf (negative windows give 0)", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for p in range(pool_size):
        for q in range(pool_size):
            out = np.maximum(out, x[:, p:p + s * (Ho - 1) + 1:s, q:q + s * (Wo - 1) + 1:s, :])
    return out, (x, pool_size, s)


def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * s + a, j * s + bb, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "backward: argmax over the whole (p, p, C) window, one channel gets the gradient", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, pool_size, s)


def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = x[n, i * s:i * s + p, j * s:j * s + p, :]
                a, bb, c = np.unravel_index(np.argmax(window), window.shape)
                dx[n, i * s + a, j * s + bb, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "square images assumed: Wo = Ho", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho = Wo = (H - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, pool_size, s)


def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * s + a, j * s + bb, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "ceil instead of floor: a partial window at the border is kept", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = -(-(H - pool_size) // s) + 1, -(-(W - pool_size) // s) + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, pool_size, s)


def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * s + a, j * s + bb, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "overlapping windows: gradients overwritten (=) instead of added", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, pool_size, s)


def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * s + a, j * s + bb, c] = dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "backward ignores the stride (assumes stride = pool_size)", '''
def maxpool_forward(x, pool_size=2, stride=None):
    s = pool_size if stride is None else stride
    N, H, W, C = x.shape
    Ho, Wo = (H - pool_size) // s + 1, (W - pool_size) // s + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * s:i * s + pool_size, j * s:j * s + pool_size, :].max(axis=(1, 2))
    return out, (x, pool_size)


def maxpool_backward(dout, cache):
    x, p = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * p:i * p + p, j * p:j * p + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * p + a, j * p + bb, c] += dout[n, i, j, c]
    return dx
'''),
    ("maxpool", "wrong", "one-line calls to dlkit's maxpool2d_forward / maxpool2d_backward (policy: 0 points)", '''
def maxpool_forward(x, pool_size=2, stride=None):
    return dnp.functional.maxpool2d_forward(x, pool_size, stride)


def maxpool_backward(dout, cache):
    return dnp.functional.maxpool2d_backward(dout, cache)
'''),
    ("maxpool", "correct", "vectorised: sliding_window_view, argmax of the flattened windows, np.add.at", '''
from numpy.lib.stride_tricks import sliding_window_view


def maxpool_forward(x, pool_size=2, stride=None):
    s = stride or pool_size
    win = sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))[:, ::s, ::s]   # (N, Ho, Wo, C, p, p)
    flat = win.reshape(win.shape[:4] + (-1,))
    arg = flat.argmax(axis=-1)                                                         # first maximum
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg, pool_size, s)


def maxpool_backward(dout, cache):
    shape, arg, p, s = cache
    N, Ho, Wo, C = dout.shape
    n, i, j, c = np.indices((N, Ho, Wo, C))
    rows, cols = i * s + arg // p, j * s + arg % p
    dx = np.zeros(shape)
    np.add.at(dx, (n, rows, cols, c), dout)
    return dx
'''),
    ("maxpool", "correct", "explicit scan over each window with -inf start and strict >", '''
def maxpool_forward(x, pool_size=2, stride=None):
    if stride is None:
        stride = pool_size
    N, H, W, C = x.shape
    Ho = (H - pool_size) // stride + 1
    Wo = (W - pool_size) // stride + 1
    out = np.empty((N, Ho, Wo, C))
    where = {}
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, pos = -np.inf, None
                    for p in range(pool_size):
                        for q in range(pool_size):
                            v = x[n, i * stride + p, j * stride + q, c]
                            if v > best:
                                best, pos = v, (i * stride + p, j * stride + q)
                    out[n, i, j, c] = best
                    where[n, i, j, c] = pos
    return out, (x.shape, where)


def maxpool_backward(dout, cache):
    shape, where = cache
    dx = np.zeros(shape)
    for (n, i, j, c), (r, q) in where.items():
        dx[n, r, q, c] += dout[n, i, j, c]
    return dx
'''),
    # ---------------------------------------------------------------- Task 3: conv weight gradient
    ("conv_backward", "wrong", "gradients averaged over the batch (extra 1/N)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kw, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw / N, dout.sum(axis=(0, 1, 2)) / N
'''),
    ("conv_backward", "wrong", "db summed over axes (1, 2, 3) instead of (0, 1, 2)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kw, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw, dout.sum(axis=(1, 2, 3))
'''),
    ("conv_backward", "wrong", "window width kh instead of kw (square kernels only)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kh, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kh, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kh, :]
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw, dout.sum(axis=(0, 1, 2))
'''),
    ("conv_backward", "wrong", "padding of the width computed from H (square images only)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(H, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kw, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw, dout.sum(axis=(0, 1, 2))
'''),
    ("conv_backward", "wrong", "einsum to (kh, kw, F, C) then reshape instead of transpose (C, F mixed up)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kw, F, C))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            dw += np.einsum("npqc,nf->pqfc", window, dout[:, i, j, :])
    return dw.reshape(kh, kw, C, F), dout.sum(axis=(0, 1, 2))
'''),
    ("conv_backward", "wrong", "stride ignored: window (i, j) read at row i instead of i * stride", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    if padding == "same":
        (pt, pb), (pl, pr) = same_pads(H, kh, stride), same_pads(W, kw, stride)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dw = np.zeros((kh, kw, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i:i + kh, j:j + kw, :]
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw, dout.sum(axis=(0, 1, 2))
'''),
    ("conv_backward", "wrong", "padding='same' ignored: the unpadded input is used", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    dw = np.zeros((kh, kw, C, F))
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            if window.shape[1:3] != (kh, kw):
                continue
            dw += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
    return dw, dout.sum(axis=(0, 1, 2))
'''),
    ("conv_backward", "wrong", "dlkit's conv2d_forward + conv2d_backward (policy: 0 points)", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    w = np.zeros((kh, kw, x.shape[3], dout.shape[3]))
    _, cache = dnp.functional.conv2d_forward(x, w, np.zeros(dout.shape[3]), strides=stride, padding=padding)
    _, dw, db = dnp.functional.conv2d_backward(dout, cache)
    return dw, db
'''),
    ("conv_backward", "correct", "vectorised: one einsum over strided windows, pads computed inline", '''
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    pads = []
    for size, k in ((H, kh), (W, kw)):
        total = max((-(-size // stride) - 1) * stride + k - size, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::stride, ::stride][:, :Ho, :Wo]
    return np.einsum("nijcpq,nijf->pqcf", win, dout), np.einsum("nijf->f", dout)
'''),
    ("conv_backward", "correct", "loop over the kernel taps (p, q): one tensordot per tap on strided slices", '''
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    N, H, W, C = x.shape
    _, Ho, Wo, F = dout.shape
    (pt, pb), (pl, pr) = (same_pads(H, kh, stride), same_pads(W, kw, stride)) if padding == "same" \\
        else ((0, 0), (0, 0))
    xp = np.zeros((N, H + pt + pb, W + pl + pr, C))
    xp[:, pt:pt + H, pl:pl + W] = x
    dw = np.empty((kh, kw, C, F))
    for p in range(kh):
        for q in range(kw):
            seen = xp[:, p:p + stride * (Ho - 1) + 1:stride, q:q + stride * (Wo - 1) + 1:stride, :]
            dw[p, q] = np.tensordot(seen, dout, axes=([0, 1, 2], [0, 1, 2]))
    db = np.zeros(F)
    for f in range(F):
        db[f] = dout[..., f].sum()
    return dw, db
'''),
]
