"""Functional core: 2-D convolution, channels-last (NHWC), as Keras/TensorFlow compute it.

Shapes: x (N, H, W, C), kernel w (kh, kw, C, F), bias b (F,), output (N, Ho, Wo, F).
"Convolution" here is cross-correlation (no kernel flip), as in every deep-learning library:

    out[n, i, j, f] = b[f] + sum_{p, q, c} xpad[n, i*sh + p, j*sw + q, c] * w[p, q, c, f]

This file holds the formulas; :mod:`dlkit.np.functional.conv_fast` holds the speed work (scratch
buffers reused between calls, the batch split over threads, the col2im tricks). Three levels, tested
equal:

- :func:`conv2d_naive`: explicit loops over examples and output pixels (the chapter's reference);
- :func:`conv2d_im2col_forward` / :func:`conv2d_im2col_backward`: im2col written plainly. Every receptive
  field is copied once (via a strided *view* of the padded input) into a row of a matrix ``cols``
  (N*Ho*Wo, kh*kw*C), so the convolution is one matrix product ``cols @ w.reshape(-1, F)``. Backward is
  two more products, ``dw = cols.T @ dout`` and ``dcols = dout @ w.T``, and :func:`col2im` adds every
  row of ``dcols`` back onto the window it came from;
- :func:`conv2d_forward` / :func:`conv2d_backward`: the same im2col products, fast (what the layers call).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlkit.shared import _pair, conv_output_size, conv_pads, same_pads  # noqa: F401 (re-exported)

__all__ = ["same_pads", "conv_pads", "conv_output_size", "pad_input", "im2col", "col2im", "conv2d_naive",
           "conv2d_im2col_forward", "conv2d_im2col_backward", "conv2d_forward", "conv2d_backward"]


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


def col2im(dcols, xp_shape, kh, kw, sh=1, sw=1):
    """Adjoint of :func:`im2col`: dcols (N*Ho*Wo, kh*kw*C) -> dxp (N, Hp, Wp, C).

    Each input pixel receives the sum of the entries of every window that contains it: for each kernel
    tap (p, q), the block dcols[..., p, q, :] is added onto the input pixels that tap saw (kh*kw strided
    additions, not a loop over pixels).
    """
    N, Hp, Wp, C = xp_shape
    Ho, Wo = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
    d6 = dcols.reshape(N, Ho, Wo, kh, kw, C)
    dxp = np.zeros(xp_shape, dtype=dcols.dtype)
    for p in range(kh):
        for q in range(kw):
            dxp[:, p:p + sh * (Ho - 1) + 1:sh, q:q + sw * (Wo - 1) + 1:sw, :] += d6[:, :, :, p, q, :]
    return dxp


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


def _check(x, w, strides, padding):
    N, H, W, C = x.shape
    kh, kw, C2, F = w.shape
    if C2 != C:
        raise ValueError(f"conv2d: input has {C} channels but the kernel {w.shape} expects {C2}")
    sh, sw = _pair(strides, "strides")
    pads, (Ho, Wo) = conv_pads(H, W, kh, kw, sh, sw, padding)
    return (sh, sw), pads, (Ho, Wo)


def conv2d_im2col_forward(x, w, b=None, strides=1, padding="valid"):
    """Readable im2col convolution: x (N, H, W, C) -> (out (N, Ho, Wo, F), cache)."""
    (sh, sw), pads, (Ho, Wo) = _check(x, w, strides, padding)
    kh, kw, C, F = w.shape
    xp = pad_input(x, pads)
    cols = im2col(xp, kh, kw, sh, sw)                          # (N*Ho*Wo, kh*kw*C)
    out = cols @ w.reshape(kh * kw * C, F)                     # one matrix product
    if b is not None:
        out = out + b
    return out.reshape(len(x), Ho, Wo, F), (x.shape, xp.shape, w, cols, (sh, sw), pads, b is not None)


def conv2d_im2col_backward(dout, cache):
    """Backward of :func:`conv2d_im2col_forward`: dout (N, Ho, Wo, F) -> dx (N, H, W, C), dw, db."""
    (N, H, W, C), xp_shape, w, cols, (sh, sw), ((pt, pb), (pl, pr)), has_bias = cache
    kh, kw, _, F = w.shape
    d2 = dout.reshape(-1, F)                                   # (N*Ho*Wo, F)
    # dL/db = sum of dout over every position
    db = d2.sum(axis=0) if has_bias else None
    # dL/dw = cols^T dout: each weight meets every window entry it multiplied
    dw = (cols.T @ d2).reshape(kh, kw, C, F)
    # dL/dcols = dout w^T, then col2im folds each window's gradient back onto the input
    dcols = d2 @ w.reshape(-1, F).T
    dxp = col2im(dcols, xp_shape, kh, kw, sh, sw)
    return dxp[:, pt:pt + H, pl:pl + W, :], dw, db


def conv2d_forward(x, w, b=None, strides=1, padding="valid", workspace=None):
    """Convolution by im2col and one matrix product (the fast path of :func:`conv2d_im2col_forward`).

    Inputs:

    - x: (N, H, W, C); w: (kh, kw, C, F); b: (F,) or None
    - strides: int or (sh, sw); padding: "valid" or "same" (TF's, asymmetric when the total is odd)
    - workspace: optional dict in which scratch buffers are kept and reused between calls
      (a layer passes its own; the cache then refers to them until the next forward call)

    Returns (out, cache) with out: (N, Ho, Wo, F).
    """
    strides, pads, out_hw = _check(x, w, strides, padding)
    return _fast.forward(x, w, b, strides, pads, out_hw, workspace)


def conv2d_backward(dout, cache, need_dx=True):
    """Backward of :func:`conv2d_forward`.

    Inputs: dout (N, Ho, Wo, F); cache from the forward pass.
    Returns (dx, dw, db): dx (N, H, W, C) (None if ``need_dx`` is False), dw (kh, kw, C, F), db (F,)
    (None without a bias). Same values as :func:`conv2d_im2col_backward`; see
    :mod:`dlkit.np.functional.conv_fast` for how it is computed.
    """
    return _fast.backward(dout, cache, need_dx)


# imported last: conv_fast uses pad_input and im2col from this module
from dlkit.np.functional import conv_fast as _fast  # noqa: E402
