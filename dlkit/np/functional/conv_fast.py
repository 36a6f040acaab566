"""Speed work behind :func:`dlkit.np.functional.conv.conv2d_forward` / ``conv2d_backward``.

The formulas are those of :mod:`dlkit.np.functional.conv` (im2col: ``out = cols @ w``,
``dw = cols.T @ dout``, ``dx = col2im(dout @ w.T)``); what is added here only changes the speed:

- **Scratch buffers** (padded input, ``cols``, ...) live in a ``workspace`` dict that the layer keeps,
  so a training loop does not reallocate them every batch; the cache refers to them until the next
  forward call of the same layer.
- **Threads.** The batch is split into ``threads_for(macs)`` parts (:mod:`dlkit.np.blas`: one part for
  small convolutions, two on two cores for large ones) that run in Python threads, each with
  single-threaded BLAS. NumPy releases the GIL inside copies, ufuncs and BLAS, so the copies of im2col and
  col2im run in parallel too (with multithreaded BLAS only the products would), and no BLAS thread
  spins waiting for a sibling.
- **dx for stride 1 without col2im additions.** dL/dx is itself a convolution: of dout, zero-padded by
  (kh-1-top, kw-1-left), with the kernel flipped and its channel axes swapped,
  ``w[::-1, ::-1].transpose(0, 1, 3, 2)`` (kh, kw, F, C). So it is one more im2col and one product, done a
  few images at a time so the (images*H*W, kh*kw*F) matrix stays in the cache. Strided convolutions use
  col2im: one product ``w @ dout.T`` gives each tap's block in channels-first layout, and the kh*kw
  blocks are added with strided slices (contiguous inner runs) into a padded buffer.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlkit.np import blas

_CACHE_BYTES = 1 << 20  # size of the per-thread im2col block of the stride-1 dx convolution
_pool = None
_pool_size = 0


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


def _parallel(fn, n, macs):
    """Run ``fn(k, n0, n1)`` on ``threads_for(macs)`` contiguous slices [n0, n1) of range(n), with
    single-threaded BLAS; returns the results in slice order."""
    global _pool, _pool_size
    nt = max(1, min(blas.threads_for(macs), n))
    bounds = [n * k // nt for k in range(nt + 1)]
    with blas.blas_threads(1):
        if nt == 1:
            return [fn(0, 0, n)]
        if _pool_size < nt - 1:
            _pool = ThreadPoolExecutor(max_workers=nt - 1, thread_name_prefix="dlkit-conv")
            _pool_size = nt - 1
        futures = [_pool.submit(fn, k, bounds[k], bounds[k + 1]) for k in range(1, nt)]
        first = fn(0, bounds[0], bounds[1])          # the calling thread does the first slice
        return [first] + [f.result() for f in futures]


class _Windows:
    """im2col of a few images at a time, for one thread: ``cols(s, m)`` -> (m*Ho*Wo, kh*kw*C) holding the
    windows of images s..s+m-1 of x (zero-padded by ``pads``), in this thread's own small buffers (so the
    block stays in the CPU cache between the copy and the product). Views are built once per call."""

    def __init__(self, ws, key, x, kh, kw, strides, pads, g, dtype):
        N, H, W, C = x.shape
        (sh, sw), ((pt, pb), (pl, pr)) = strides, pads
        self.x, self.dtype = x, dtype
        Hp, Wp = H + pt + pb, W + pl + pr
        Ho, Wo = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
        self.P = Ho * Wo
        self.padded = bool(pt or pb or pl or pr) or x.dtype != dtype
        if self.padded:
            xp = _buffer(ws, ("xpad", key, pads), (g, Hp, Wp, C), dtype, zero=True)
            self.inner = xp[:, pt:pt + H, pl:pl + W]
            src = xp                                     # the border of the buffer stays zero
        else:
            src = x
        self.win = sliding_window_view(src, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :Ho, :Wo] \
            .transpose(0, 1, 2, 4, 5, 3)                 # (images, Ho, Wo, kh, kw, C)
        self.buf = _buffer(ws, ("cols", key), (g * self.P, kh * kw * C), dtype)
        self.buf6 = self.buf.reshape(g, Ho, Wo, kh, kw, C)

    def cols(self, s, m):
        if self.padded:
            self.inner[:m] = self.x[s:s + m]
            np.copyto(self.buf6[:m], self.win[:m])
        else:
            np.copyto(self.buf6[:m], self.win[s:s + m])
        return self.buf[:m * self.P]


def _block(ws, rows_bytes, n):
    """Images per block so that a block's cols (rows_bytes per image) fit in ``_CACHE_BYTES``."""
    return max(1, min(n, _CACHE_BYTES // max(1, rows_bytes)))


def forward(x, w, b, strides, pads, out_hw, ws):
    """out = im2col(pad(x)) @ w + b, the batch split over threads, a few images at a time.

    Returns (out, cache); the cache keeps x itself (backward redoes the cheap in-cache im2col rather than
    keeping the kh*kw times larger ``cols`` matrix in memory)."""
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    Ho, Wo = out_hw
    dtype = np.result_type(x, w)
    w2 = w.reshape(kh * kw * C, F).astype(dtype, copy=False)
    bias = None if b is None else np.asarray(b).astype(dtype, copy=False)
    P = Ho * Wo
    g = _block(ws, P * kh * kw * C * dtype.itemsize, N)
    out = np.empty((N * P, F), dtype)

    def part(k, n0, n1):
        win = _Windows(ws, k, x, kh, kw, strides, pads, g, dtype)
        for s in range(n0, n1, g):
            m = min(g, n1 - s)
            o = np.matmul(win.cols(s, m), w2, out=out[s * P:(s + m) * P])
            if bias is not None:
                o += bias

    _parallel(part, N, N * P * kh * kw * C * F)
    return out.reshape(N, Ho, Wo, F), (x, w, strides, pads, b is not None, ws)


def backward(dout, cache, need_dx=True):
    """(dx, dw, db) for :func:`forward`'s cache; dx is None when ``need_dx`` is False."""
    x, w, (sh, sw), pads, has_bias, ws = cache
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    _, Ho, Wo, _ = dout.shape
    dtype, P = np.result_type(x, w), Ho * Wo
    dout = np.ascontiguousarray(dout, dtype=dtype)
    d2 = dout.reshape(-1, F)                                             # (N*Ho*Wo, F)
    g = _block(ws, P * kh * kw * C * dtype.itemsize, N)
    dx = np.empty((N, H, W, C), dtype) if need_dx else None
    if need_dx and sh == sw == 1:
        dx_part = _dx_stride1_setup(dout, w, pads, (H, W), ws, dx)
    elif need_dx:
        dx_part = _dx_strided_setup(d2, w, pads, (H, W, Ho, Wo, sh, sw), ws, dx)

    def part(k, n0, n1):
        win = _Windows(ws, k, x, kh, kw, (sh, sw), pads, g, dtype)
        dw = np.zeros((kh * kw * C, F), dtype)
        tmp = np.empty_like(dw)
        for s in range(n0, n1, g):
            m = min(g, n1 - s)
            # dL/dw = cols^T dout, summed over blocks (and over threads below)
            dw += np.matmul(win.cols(s, m).T, d2[s * P:(s + m) * P], out=tmp)
        # dL/db = sum of dout over positions
        db = np.ones((n1 - n0) * P, dtype) @ d2[n0 * P:n1 * P] if has_bias else None
        if need_dx:
            dx_part(k, n0, n1)
        return dw, db

    parts = _parallel(part, N, N * P * kh * kw * C * F * (2 if need_dx else 1))
    dw = parts[0][0]
    for p in parts[1:]:
        dw += p[0]
    db = None
    if has_bias:
        db = parts[0][1]
        for p in parts[1:]:
            db += p[1]
    return dx, dw.reshape(kh, kw, C, F), db


def _dx_stride1_setup(dout, w, pads, hw, ws, dx):
    """dx[n0:n1] = conv(pad(dout), flipped w), a block of images at a time (see the module doc)."""
    N, Ho, Wo, F = dout.shape
    kh, kw, C, _ = w.shape
    (H, W), ((pt, _), (pl, _)) = hw, pads
    dtype = dx.dtype
    top, left = kh - 1 - pt, kw - 1 - pl
    wT = np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2), dtype=dtype).reshape(kh * kw * F, C)
    g = max(1, min(N, _CACHE_BYTES // (H * W * kh * kw * F * dtype.itemsize)))
    dx2 = dx.reshape(N * H * W, C)

    def dx_part(k, n0, n1):
        dq = _buffer(ws, ("dout_pad", k), (g, H + kh - 1, W + kw - 1, F), dtype, zero=True)
        cd = _buffer(ws, ("dout_cols", k), (g * H * W, kh * kw * F), dtype)
        # the window view and its destination are built once; the loop only slices them
        win = sliding_window_view(dq, (kh, kw), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
        cd6 = cd.reshape(g, H, W, kh, kw, F)
        inner = dq[:, top:top + Ho, left:left + Wo]
        for s in range(n0, n1, g):
            m = min(g, n1 - s)
            inner[:m] = dout[s:s + m]                                  # the border stays zero
            np.copyto(cd6[:m], win[:m])                                # im2col of the padded dout
            # dL/dx = im2col(pad(dout)) @ w_flipped (the transposed convolution)
            np.matmul(cd[:m * H * W], wT, out=dx2[s * H * W:(s + m) * H * W])

    return dx_part


def _dx_strided_setup(d2, w, pads, dims, ws, dx):
    """dx[n0:n1] by col2im: dcolsT = w @ dout.T, then kh*kw strided block additions."""
    H, W, Ho, Wo, sh, sw = dims
    kh, kw, C, F = w.shape
    ((pt, pb), (pl, pr)), dtype = pads, dx.dtype
    Hp, Wp, P = H + pt + pb, W + pl + pr, Ho * Wo
    w2 = w.reshape(-1, F).astype(dtype, copy=False)

    def dx_part(k, n0, n1):
        m = n1 - n0
        # dL/dcols^T = w dout^T, laid out (kh, kw, C, images, Ho, Wo)
        dT = np.matmul(w2, d2[n0 * P:n1 * P].T, out=_buffer(ws, ("dcolsT", k), (kh * kw * C, m * P), dtype))
        dT = dT.reshape(kh, kw, C, m, Ho, Wo)
        dxp = _buffer(ws, ("dxpadT", k), (C, m, Hp, Wp), dtype)
        dxp[...] = 0
        for p in range(kh):                 # kh*kw block additions (not a loop over pixels)
            for q in range(kw):
                dxp[:, :, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw] += dT[p, q]
        dx[n0:n1] = dxp[:, :, pt:pt + H, pl:pl + W].transpose(1, 2, 3, 0)

    return dx_part
