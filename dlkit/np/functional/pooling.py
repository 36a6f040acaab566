"""Functional core: 2-D max / average pooling and global average pooling, channels-last.

Shapes: x (N, H, W, C) -> out (N, Ho, Wo, C), each channel pooled separately over ph x pw windows
moved by (sh, sw). "same" padding follows TensorFlow: padded positions never win a max and are not
counted in an average. The loops run over the ph*pw window *taps* (each a strided slice of the whole
batch), never over pixels.
"""
import numpy as np

from dlkit.np.functional.conv import _pair, conv_pads

__all__ = ["maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward",
           "global_avgpool2d_forward", "global_avgpool2d_backward"]


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
