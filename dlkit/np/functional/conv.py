"""Functional core: 2-D convolution, channels-last (NHWC), as Keras/TensorFlow compute it.

Shapes: x (N, H, W, C), kernel w (kh, kw, C, F), bias b (F,), output (N, Ho, Wo, F).
"Convolution" here is cross-correlation (no kernel flip), as in every deep-learning library:

    out[n, i, j, f] = b[f] + sum_{p, q, c} xpad[n, i*sh + p, j*sw + q, c] * w[p, q, c, f]

Two implementations, tested equal:

- :func:`conv2d_naive`: explicit loops over examples and output pixels (the chapter's reference);
- :func:`conv2d_forward` / :func:`conv2d_backward`: im2col. Every receptive field is copied once (via a
  strided *view* of the padded input) into a row of a matrix ``cols`` (N*Ho*Wo, kh*kw*C), so the
  convolution becomes one matrix product ``cols @ w.reshape(-1, F)``. Backward is two more products:
  ``dw = cols.T @ dout`` and ``dcols = w @ dout.T``, folded back onto the input (col2im).
"""
import contextlib

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["same_pads", "conv_pads", "conv_output_size", "pad_input", "im2col", "conv2d_naive",
           "conv2d_forward", "conv2d_backward"]


def _pair(v, what="value"):
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``."""
    if isinstance(v, (int, np.integer)):
        v = (int(v), int(v))
    v = tuple(int(a) for a in v)
    if len(v) != 2 or min(v) < 1:
        raise ValueError(f"{what} must be a positive int or a pair of them, got {v!r}")
    return v


def same_pads(size, k, stride):
    """TF "same" padding along one axis: (before, after) with output size ceil(size / stride).

    total = max((out - 1) * stride + k - size, 0); before = total // 2, after = total - before
    (when the total is odd, the extra row/column goes at the end, as TensorFlow does).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size, k, stride, padding):
    """Output length along one axis: ceil(size / stride) for "same", floor((size - k) / stride) + 1
    for "valid" (0 or less means the kernel does not fit)."""
    if padding == "same":
        return -(-size // stride)
    return (size - k) // stride + 1


def conv_pads(H, W, kh, kw, sh, sw, padding):
    """``((top, bottom), (left, right)), (Ho, Wo)`` for an H x W input and a kh x kw window."""
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if padding == "same":
        pads = (same_pads(H, kh, sh), same_pads(W, kw, sw))
    else:
        if kh > H or kw > W:
            raise ValueError(f"kernel {kh}x{kw} is larger than the {H}x{W} input with padding='valid'; "
                             f"expected an input of at least (batch, {kh}, {kw}, channels) or "
                             f"padding='same'")
        pads = ((0, 0), (0, 0))
    return pads, (conv_output_size(H, kh, sh, padding), conv_output_size(W, kw, sw, padding))


def pad_input(x, pads, out=None):
    """Zero-pad the spatial axes of x (N, H, W, C) by ``pads = ((top, bottom), (left, right))``.

    ``out``, if given, is a zero-bordered buffer (N, H+top+bottom, W+left+right, C) that is reused.
    """
    (pt, pb), (pl, pr) = pads
    N, H, W, C = x.shape
    if out is None:
        if pt == pb == pl == pr == 0:
            return x
        out = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=x.dtype)
    out[:, pt:pt + H, pl:pl + W, :] = x
    return out


def im2col(xp, kh, kw, sh=1, sw=1, out=None):
    """Rows of receptive fields: xp (N, Hp, Wp, C) padded -> cols (N*Ho*Wo, kh*kw*C).

    Row (n, i, j) holds the window xp[n, i*sh:i*sh+kh, j*sw:j*sw+kw, :] flattened in (p, q, c)
    order, which matches ``w.reshape(kh*kw*C, F)``. The windows are a strided view (no copy);
    the single copy goes into ``out`` (reused by the layers between calls).
    """
    N, Hp, Wp, C = xp.shape
    Ho, Wo = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N, Ho, Wo, C, kh, kw)
    if out is None:
        out = np.empty((N * Ho * Wo, kh * kw * C), dtype=xp.dtype)
    np.copyto(out.reshape(N, Ho, Wo, kh, kw, C), win[:, :Ho, :Wo].transpose(0, 1, 2, 4, 5, 3))
    return out


def conv2d_naive(x, w, b=None, strides=1, padding="valid"):
    """Reference convolution with explicit loops (slow; for teaching and testing).

    Inputs: x (N, H, W, C); w (kh, kw, C, F); b (F,) or None; strides int or (sh, sw);
    padding "valid" or "same". Returns out (N, Ho, Wo, F).
    """
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    sh, sw = _pair(strides, "strides")
    pads, (Ho, Wo) = conv_pads(H, W, kh, kw, sh, sw, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out = np.zeros((N, Ho, Wo, F), dtype=np.result_type(x, w))
    for n in range(N):                      # every example
        for i in range(Ho):                 # every output row
            for j in range(Wo):             # every output column
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]      # (kh, kw, C)
                for f in range(F):          # every filter: a dot product with the window
                    out[n, i, j, f] = np.sum(window * w[:, :, :, f])
    if b is not None:
        out += b
    return out


_SMALL_GEMM = 1 << 22  # multiply-adds below which a second BLAS thread costs more than it saves
_blas = []


@contextlib.contextmanager
def _blas_threads_for(macs):
    """Run small matrix products on one BLAS thread.

    OpenBLAS splits any product above ~262k multiply-adds over all cores; for the small convolutions
    of a digits CNN the threads' synchronisation costs more than the product (and is disastrous when
    the cores are shared with another process). Large products keep every thread.
    """
    if macs >= _SMALL_GEMM:
        yield
        return
    if not _blas:
        try:
            import threadpoolctl
            _blas.extend(threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # threadpoolctl missing or unusable: keep the BLAS defaults
            _blas.append(None)
    libs = [lib for lib in _blas if lib is not None]
    before = [lib.get_num_threads() for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before):
            lib.set_num_threads(n)


def _buffer(ws, key, shape, dtype, zero=False):
    """A scratch array from the workspace dict ``ws`` (reused across calls), or a fresh one."""
    if ws is not None:
        buf = ws.get(key)
        if buf is not None and buf.shape == shape and buf.dtype == dtype:
            return buf
    buf = np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    if ws is not None:
        ws[key] = buf
    return buf


def conv2d_forward(x, w, b=None, strides=1, padding="valid", workspace=None):
    """Convolution by im2col and one matrix product.

    Inputs:
    - x: (N, H, W, C); w: (kh, kw, C, F); b: (F,) or None
    - strides: int or (sh, sw); padding: "valid" or "same" (TF's, asymmetric when the total is odd)
    - workspace: optional dict in which scratch buffers are kept and reused between calls
      (a layer passes its own; the cache then refers to them until the next forward call)
    Returns (out, cache) with out: (N, Ho, Wo, F).
    """
    N, H, W, C = x.shape
    kh, kw, C2, F = w.shape
    if C2 != C:
        raise ValueError(f"conv2d: input has {C} channels but the kernel {w.shape} expects {C2}")
    sh, sw = _pair(strides, "strides")
    pads, (Ho, Wo) = conv_pads(H, W, kh, kw, sh, sw, padding)
    (pt, pb), (pl, pr) = pads
    dtype = np.result_type(x, w)
    if pt or pb or pl or pr:
        shape = (N, H + pt + pb, W + pl + pr, C)
        xp = pad_input(x, pads, _buffer(workspace, ("xpad", pads), shape, dtype, zero=True))
    else:
        xp = x
    cols = im2col(xp, kh, kw, sh, sw, out=_buffer(workspace, "cols", (N * Ho * Wo, kh * kw * C), dtype))
    with _blas_threads_for(cols.size * F):
        out = cols @ w.reshape(kh * kw * C, F)
    if b is not None:
        out += b
    return out.reshape(N, Ho, Wo, F), (x.shape, w, cols, (sh, sw), pads, b is not None, workspace)


def conv2d_backward(dout, cache, need_dx=True):
    """Backward of :func:`conv2d_forward`.

    Inputs: dout (N, Ho, Wo, F); cache from the forward pass.
    Returns (dx, dw, db): dx (N, H, W, C) (None if ``need_dx`` is False), dw (kh, kw, C, F), db (F,)
    (None without a bias).

    dw = cols.T @ dout2d (one product). For dx, one product ``dcolsT = w2 @ dout2d.T`` gives, for each
    kernel tap (p, q), the gradient of every shifted input copy as a (C, N, Ho, Wo) block; col2im adds
    the kh*kw blocks into a padded channels-first buffer, then drops the padding and returns to NHWC.
    With stride 1 each block addition is a single contiguous run (see :func:`_col2im_stride1`).
    """
    (N, H, W, C), w, cols, (sh, sw), ((pt, pb), (pl, pr)), has_bias, ws = cache
    kh, kw, _, F = w.shape
    _, Ho, Wo, _ = dout.shape
    dtype = cols.dtype
    d2 = np.ascontiguousarray(dout, dtype=dtype).reshape(-1, F)           # (N*Ho*Wo, F)
    db = np.ones(len(d2), dtype) @ d2 if has_bias else None
    w2 = w.reshape(-1, F).astype(dtype, copy=False)
    Hp, Wp = H + pt + pb, W + pl + pr
    with _blas_threads_for(cols.size * F):
        dw = (cols.T @ d2).reshape(kh, kw, C, F)
        if not need_dx:
            return None, dw, db
        if sh == sw == 1:
            dx = _col2im_stride1(dout, w2, ws, (N, C, Hp, Wp, Ho, Wo, kh, kw))
        else:
            dcolsT = np.matmul(w2, d2.T, out=_buffer(ws, "dcolsT", (w2.shape[0], len(d2)), dtype))
            dx = _col2im_strided(dcolsT, ws, (N, C, Hp, Wp, Ho, Wo, kh, kw, sh, sw))
    dx = np.ascontiguousarray(dx[:, :, pt:pt + H, pl:pl + W].transpose(1, 2, 3, 0))
    return dx, dw, db


def _col2im_strided(dcolsT, ws, dims):
    """Add each tap's block dcolsT[p, q] (C, N, Ho, Wo) into a padded (C, N, Hp, Wp) buffer."""
    N, C, Hp, Wp, Ho, Wo, kh, kw, sh, sw = dims
    dcolsT = dcolsT.reshape(kh, kw, C, N, Ho, Wo)
    dxp = _buffer(ws, "dxpadT", (C, N, Hp, Wp), dcolsT.dtype)
    dxp[...] = 0
    for p in range(kh):                 # kh*kw block additions (not a loop over pixels)
        for q in range(kw):
            dxp[:, :, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += dcolsT[p, q]
    return dxp


def _col2im_stride1(dout, w2, ws, dims):
    """Stride-1 col2im with every tap's addition one contiguous run.

    dout is laid on an Ho x Wp grid (zero columns beyond Wo), so in the flattened padded image the
    tap (p, q) block is a single run starting at p*Wp + q; the zero columns that spill into the next
    row add nothing. Returns the padded gradient (C, N, Hp, Wp).
    """
    N, C, Hp, Wp, Ho, Wo, kh, kw = dims
    F, dtype = w2.shape[1], w2.dtype
    dext = _buffer(ws, "dout_ext", (N, Ho, Wp, F), dtype, zero=True)   # columns >= Wo stay zero
    dext[:, :, :Wo] = dout
    run = Ho * Wp
    dT = np.matmul(w2, dext.reshape(-1, F).T, out=_buffer(ws, "dcolsT1", (w2.shape[0], N * run), dtype))
    dT = dT.reshape(kh, kw, C, N, run)
    flat = _buffer(ws, "dxflat", (C, N, (Hp + 1) * Wp), dtype)         # one spare row of slack
    flat[:, :, run:] = 0
    flat[:, :, :run] = dT[0, 0]
    for p in range(kh):
        for q in range(kw):
            if p or q:
                off = p * Wp + q
                flat[:, :, off:off + run] += dT[p, q]
    return flat[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)
