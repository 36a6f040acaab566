"""Functional core: 2-D max / average pooling and global (1-D and 2-D) pooling, channels-last.

Shapes: x (N, H, W, C) -> out (N, Ho, Wo, C), each channel pooled separately over ph x pw windows
moved by (sh, sw). "same" padding follows TensorFlow: padded positions never win a max and are not
counted in an average. The loops run over the ph*pw window *taps* (each a strided slice of the whole
batch), never over pixels.
"""
import numpy as np

from dlkit.np.functional.conv import _pair, conv_pads

__all__ = ["maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward",
           "global_avgpool2d_forward", "global_avgpool2d_backward", "global_avgpool1d_forward",
           "global_avgpool1d_backward", "global_maxpool1d_forward", "global_maxpool1d_backward",
           "global_maxpool2d_forward", "global_maxpool2d_backward"]


def _setup(x, pool_size, strides, padding):
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair(strides if strides is not None else (ph, pw), "strides")
    N, H, W, C = x.shape
    pads, (Ho, Wo) = conv_pads(H, W, ph, pw, sh, sw, padding)
    return (ph, pw), (sh, sw), pads, (Ho, Wo)


def _taps(ph, pw, sh, sw, Ho, Wo):
    """(p, q, slice_h, slice_w) for every tap: the strided slices of the padded input it sees."""
    for p in range(ph):
        for q in range(pw):
            yield p, q, slice(p, p + sh * (Ho - 1) + 1, sh), slice(q, q + sw * (Wo - 1) + 1, sw)


def maxpool2d_forward(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling. x (N, H, W, C) -> out (N, Ho, Wo, C); strides default to pool_size.

    Returns (out, cache); the cache holds the index of the winning tap of every window (the first
    maximum when there are ties), which is where backward sends the gradient.
    """
    (ph, pw), (sh, sw), pads, (Ho, Wo) = _setup(x, pool_size, strides, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf) \
        if any(pads[0] + pads[1]) else x
    out = None
    arg = np.zeros((x.shape[0], Ho, Wo, x.shape[3]), dtype=np.int8 if ph * pw < 128 else np.int32)
    for p, q, si, sj in _taps(ph, pw, sh, sw, Ho, Wo):
        v = xp[:, si, sj, :]
        if out is None:
            out = v.copy()
            continue
        better = v > out
        out[better] = v[better]
        arg[better] = p * pw + q
    return out, (x.shape, arg, (ph, pw), (sh, sw), pads)


def maxpool2d_backward(dout, cache):
    """Backward of max pooling: dout (N, Ho, Wo, C) -> dx (N, H, W, C); each window's gradient goes
    to its maximum."""
    (N, H, W, C), arg, (ph, pw), (sh, sw), ((pt, pb), (pl, pr)) = cache
    _, Ho, Wo, _ = dout.shape
    dxp = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=dout.dtype)
    for p, q, si, sj in _taps(ph, pw, sh, sw, Ho, Wo):
        dxp[:, si, sj, :] += np.where(arg == p * pw + q, dout, 0)
    return dxp[:, pt:pt + H, pl:pl + W, :]


def avgpool2d_forward(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling. x (N, H, W, C) -> out (N, Ho, Wo, C); with "same" padding each window is
    averaged over its real (unpadded) entries only, as TensorFlow does. Returns (out, cache)."""
    (ph, pw), (sh, sw), pads, (Ho, Wo) = _setup(x, pool_size, strides, padding)
    N, H, W, C = x.shape
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    ones = np.pad(np.ones((H, W), dtype=x.dtype), pads)
    out = np.zeros((N, Ho, Wo, C), dtype=x.dtype)
    count = np.zeros((Ho, Wo), dtype=x.dtype)
    for p, q, si, sj in _taps(ph, pw, sh, sw, Ho, Wo):
        out += xp[:, si, sj, :]
        count += ones[si, sj]
    count = count[None, :, :, None]
    return out / count, (x.shape, count, (ph, pw), (sh, sw), pads)


def avgpool2d_backward(dout, cache):
    """Backward of average pooling: dout (N, Ho, Wo, C) -> dx (N, H, W, C); every window entry
    receives dout / count."""
    (N, H, W, C), count, (ph, pw), (sh, sw), ((pt, pb), (pl, pr)) = cache
    _, Ho, Wo, _ = dout.shape
    g = dout / count
    dxp = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=dout.dtype)
    for p, q, si, sj in _taps(ph, pw, sh, sw, Ho, Wo):
        dxp[:, si, sj, :] += g
    return dxp[:, pt:pt + H, pl:pl + W, :]


def global_avgpool2d_forward(x):
    """Mean over height and width: x (N, H, W, C) -> out (N, C). Returns (out, cache)."""
    return x.mean(axis=(1, 2)), x.shape


def global_avgpool2d_backward(dout, cache):
    """dout (N, C) -> dx (N, H, W, C) = dout / (H * W) broadcast over every position."""
    N, H, W, C = cache
    return np.broadcast_to((dout / (H * W))[:, None, None, :], (N, H, W, C)).copy()


def global_avgpool1d_forward(x, mask=None):
    """Mean over the steps: x (N, T, C), mask (N, T) or None -> out (N, C). Returns (out, cache).

    With a mask: out[n] = sum_t m[n, t] x[n, t] / sum_t m[n, t] (Keras' formula; 0 for an empty row,
    where Keras gives NaN).
    """
    if mask is None:
        return x.mean(axis=1), (x.shape, None)
    w = np.asarray(mask, dtype=x.dtype)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1)          # per-step weights m / count
    return np.einsum("ntc,nt->nc", x, w), (x.shape, w)


def global_avgpool1d_backward(dout, cache):
    """dout (N, C) -> dx (N, T, C): dx[n, t] = dout[n] * m[n, t] / count[n] (dout / T without mask)."""
    (N, T, C), w = cache
    if w is None:
        return np.broadcast_to((dout / T)[:, None, :], (N, T, C)).copy()
    # dL/dx[n, t, c] = dL/dout[n, c] * w[n, t]
    return dout[:, None, :] * w[:, :, None]


def global_maxpool1d_forward(x, mask=None):
    """Maximum over the (real) steps: x (N, T, C), mask (N, T) or None -> out (N, C).

    Returns (out, cache); the cache holds the winning step of every (row, channel) (the first one on
    ties, as ``np.argmax``), where backward sends the gradient.
    """
    xm = x if mask is None else np.where(np.asarray(mask, bool)[:, :, None], x, -np.inf)
    arg = xm.argmax(axis=1)                                          # (N, C)
    out = np.take_along_axis(x, arg[:, None, :], axis=1)[:, 0]
    empty = None
    if mask is not None and not np.all(np.any(mask, axis=1)):
        empty = ~np.any(mask, axis=1)
        out[empty] = 0
    return out, (x.shape, arg, empty)


def global_maxpool1d_backward(dout, cache):
    """dout (N, C) -> dx (N, T, C): each (row, channel) gradient goes to its maximum step."""
    shape, arg, empty = cache
    if empty is not None:
        dout = np.where(empty[:, None], 0, dout)
    dx = np.zeros(shape, dtype=dout.dtype)
    # dL/dx[n, arg[n, c], c] = dL/dout[n, c]; zero elsewhere
    np.put_along_axis(dx, arg[:, None, :], dout[:, None, :], axis=1)
    return dx


def global_maxpool2d_forward(x):
    """Maximum over height and width: x (N, H, W, C) -> out (N, C). Returns (out, cache)."""
    N, H, W, C = x.shape
    out, cache = global_maxpool1d_forward(x.reshape(N, H * W, C))
    return out, (x.shape, cache)


def global_maxpool2d_backward(dout, cache):
    """dout (N, C) -> dx (N, H, W, C), the gradient at each channel's maximum position."""
    shape, cache1d = cache
    return global_maxpool1d_backward(dout, cache1d).reshape(shape)
