"""Functional core of Conv1D, Conv2DTranspose and UpSampling2D (channels-last, as Keras/TensorFlow).

All three reuse the 2-D convolution of :mod:`dlkit.np.functional.conv`:

- **conv1d** is conv2d on a (batch, 1, steps, channels) view with a (1, k) kernel;
- **conv2d_transpose** is the *adjoint* of conv2d: its forward pass is conv2d's backward-data (every input
  pixel stamps the kernel onto the output window it would have been computed from: col2im), so its
  backward pass is a plain conv2d (dL/dx) and conv2d's weight gradient (dL/dW);
- **upsampling2d** repeats pixels ("nearest") or interpolates linearly ("bilinear"); both are linear
  maps, so backward applies the transposed map.

Dilation is done by inserting ``rate - 1`` zeros between the kernel taps (a kernel of size
``(k - 1) * rate + 1``); the gradient of the real taps is every ``rate``-th entry of the dilated one.
"""
import numpy as np

from dlkit.np.functional.conv import _pair, conv2d_backward, conv2d_forward, conv_pads  # noqa: F401
from dlkit.shared import same_pads

__all__ = ["dilate_kernel", "conv1d_output_length", "conv1d_forward", "conv1d_backward",
           "conv_transpose_output_size", "normalize_output_padding",
           "conv2d_transpose_pads", "conv2d_transpose_forward",
           "conv2d_transpose_backward", "bilinear_matrix", "upsampling2d_forward", "upsampling2d_backward"]


def dilate_kernel(w, rates):
    """Insert ``rate - 1`` zeros between the taps of the leading spatial axes of w.

    w (k_1, ..., k_r, in, out) -> ((k_1 - 1) * d_1 + 1, ..., in, out); rates (d_1, ..., d_r).
    """
    if all(d == 1 for d in rates):
        return w
    shape = tuple((k - 1) * d + 1 for k, d in zip(w.shape, rates)) + w.shape[len(rates):]
    out = np.zeros(shape, dtype=w.dtype)
    out[tuple(slice(None, None, d) for d in rates)] = w
    return out


# -- Conv1D -----------------------------------------------------------------------------------------
def conv1d_output_length(steps, k, stride, padding, dilation=1):
    """``((left, right), out_steps)``: the padding and output length of a 1-D convolution.

    "valid": no padding, out = floor((steps - k_eff) / stride) + 1; "same": TF's padding, out =
    ceil(steps / stride); "causal": k_eff - 1 zeros on the left, then "valid" (output[t] sees input[:t+1]).
    ``k_eff = (k - 1) * dilation + 1``. ``steps`` None gives ``(None, None)``.
    """
    k_eff = (k - 1) * dilation + 1
    if steps is None:
        return None, None
    if padding == "causal":
        pads = (k_eff - 1, 0)
    elif padding == "same":
        pads = same_pads(steps, k_eff, stride)
    else:
        pads = (0, 0)
    if steps + sum(pads) < k_eff:
        raise ValueError(f"the kernel (size {k}, dilation {dilation}: {k_eff} steps) is longer than the "
                         f"{steps} input steps with padding='valid'; expected an input of at least "
                         f"(batch, {k_eff}, channels) or padding='same'/'causal'")
    return pads, (steps + sum(pads) - k_eff) // stride + 1


def conv1d_forward(x, w, b=None, strides=1, padding="valid", dilation_rate=1, workspace=None):
    """1-D convolution (cross-correlation), channels-last.

    x (N, L, C); w (k, C, F); b (F,) or None; padding "valid", "same" or "causal" -> (out (N, Lo, F), cache):

        out[n, t, f] = b[f] + sum_{p, c} xpad[n, t * stride + p * dilation, c] * w[p, c, f]

    computed as conv2d of the (N, 1, L, C) view with the (1, k, C, F) kernel.
    """
    N, L, C = x.shape
    k, C2, F = w.shape
    if C2 != C:
        raise ValueError(f"conv1d: input has {C} channels but the kernel {w.shape} expects {C2}")
    (left, right), _ = conv1d_output_length(L, k, strides, padding, dilation_rate)
    xp = np.pad(x, ((0, 0), (left, right), (0, 0))) if left or right else x
    wd = dilate_kernel(w, (dilation_rate,))
    out, cache = conv2d_forward(xp[:, None], wd[None], b, (1, strides), "valid", workspace=workspace)
    return out[:, 0], (cache, left, L, dilation_rate)


def conv1d_backward(dout, cache, need_dx=True):
    """Backward of :func:`conv1d_forward`: dout (N, Lo, F) -> (dx (N, L, C) or None, dw (k, C, F), db)."""
    cache2d, left, L, d = cache
    dxp, dw, db = conv2d_backward(dout[:, None], cache2d, need_dx=need_dx)
    # dL/dx = dL/dxpad on the real steps (the padding zeros are not inputs)
    dx = None if dxp is None else dxp[:, 0, left:left + L]
    # dL/dw[p] = dL/dw_dilated[p * d] (the inserted zeros are not weights)
    return dx, dw[0, ::d], db


# -- Conv2DTranspose --------------------------------------------------------------------------------
def conv_transpose_output_size(size, k, stride, padding, output_padding=None, dilation=1):
    """Output length along one axis, Keras' rule (``k_eff = (k - 1) * dilation + 1``):

    "valid": (size - 1) * stride + k_eff + output_padding (None: max(k_eff, stride) - k_eff);
    "same":  size * stride if output_padding is None, else (size - 1) * stride + k_eff % 2 + output_padding.
    """
    if size is None:
        return None
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (size - 1) * stride + k_eff + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k_eff % 2 + output_padding


def normalize_output_padding(output_padding, strides):
    """None, an int or a pair -> None or (oh, ow), each in [0, stride); a clear ValueError otherwise."""
    if output_padding is None:
        return None
    op = output_padding
    op = (op, op) if isinstance(op, (int, np.integer)) and not isinstance(op, bool) else op
    try:
        op = tuple(int(v) for v in op if not isinstance(v, bool))
    except (TypeError, ValueError):
        op = ()
    if len(op) != 2 or any(v < 0 or v >= s for v, s in zip(op, strides)):
        raise ValueError(f"output_padding must be None or non-negative integers strictly less than "
                         f"strides={tuple(strides)}, got {output_padding!r}")
    return op


def conv2d_transpose_pads(H, W, kh, kw, strides, padding, output_padding=None, dilation_rate=(1, 1)):
    """``(pads, (Ho, Wo))``: the output size, and the padding of the conv2d (Ho, Wo) -> (H, W) it transposes.

    The forward convolution of an (Ho, Wo) image with these pads must give exactly (H, W) (TensorFlow's
    requirement too); a ValueError names the output_padding otherwise.
    """
    pads, out = [], []
    for axis, size, k, s, d in ((0, H, kh, strides[0], dilation_rate[0]), (1, W, kw, strides[1], dilation_rate[1])):
        op = None if output_padding is None else output_padding[axis]
        o = conv_transpose_output_size(size, k, s, padding, op, d)
        k_eff = (k - 1) * d + 1
        p = same_pads(o, k_eff, s) if padding == "same" else (0, 0)
        if o < 1 or (o + sum(p) - k_eff) // s + 1 != size:
            raise ValueError(f"conv2d_transpose: output_padding={output_padding} with kernel {(kh, kw)}, "
                             f"strides {tuple(strides)} and padding={padding!r} gives an output of {o} along "
                             f"axis {axis + 1}, which a strided convolution does not map back to {size}; "
                             f"use output_padding=None or another value")
        pads.append(p)
        out.append(o)
    return tuple(pads), tuple(out)


def conv2d_transpose_forward(x, w, b=None, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Transposed convolution ("deconvolution"), channels-last, as Keras' Conv2DTranspose.

    x (N, H, W, C); w (kh, kw, F, C) (Keras layout: filters before input channels); b (F,) or None
    -> (out (N, Ho, Wo, F), cache). Each input pixel adds its kernel stamp to the padded output:

        outpad[n, i * sh + p * dh, j * sw + q * dw, f] += sum_c x[n, i, j, c] * w[p, q, f, c]
        out = outpad without the pads (top/left as conv2d's same padding of the output) + b

    which is dL/dz of the convolution z = conv2d(out, w) (H, W) <- (Ho, Wo), at dL/dz = x.
    """
    N, H, W, C = x.shape
    kh, kw, F, C2 = w.shape
    if C2 != C:
        raise ValueError(f"conv2d_transpose: input has {C} channels but the kernel {w.shape} (kh, kw, "
                         f"filters, in_channels) expects {C2}")
    (sh, sw), (dh, dw) = _pair(strides, "strides"), _pair(dilation_rate, "dilation_rate")
    op = normalize_output_padding(output_padding, (sh, sw))
    ((pt, pb), (pl, pr)), (Ho, Wo) = conv2d_transpose_pads(H, W, kh, kw, (sh, sw), padding, op, (dh, dw))
    wd = dilate_kernel(w, (dh, dw))
    khe, kwe = wd.shape[:2]
    # every pixel's stamp: stamps[n, i, j, p, q, f] = sum_c x[n, i, j, c] * wd[p, q, f, c]
    stamps = (x.reshape(-1, C) @ wd.reshape(-1, C).T).reshape(N, H, W, khe, kwe, F)
    outpad = np.zeros((N, pt + Ho + pb, pl + Wo + pr, F), dtype=stamps.dtype)
    for p in range(khe):              # col2im: tap (p, q) of every stamp lands on a strided grid
        for q in range(kwe):
            outpad[:, p:p + sh * (H - 1) + 1:sh, q:q + sw * (W - 1) + 1:sw] += stamps[:, :, :, p, q]
    out = outpad[:, pt:pt + Ho, pl:pl + Wo]
    if b is not None:
        out = out + b
    return np.ascontiguousarray(out), (x, wd, (sh, sw), (dh, dw), ((pt, pb), (pl, pr)), b is not None)


def conv2d_transpose_backward(dout, cache, need_dx=True):
    """Backward of :func:`conv2d_transpose_forward`.

    dout (N, Ho, Wo, F) -> (dx (N, H, W, C) or None, dw (kh, kw, F, C), db (F,) or None). The transpose of
    a transposed convolution is the convolution, so dL/dx = conv2d(dout, w) with the same strides and pads.
    """
    x, wd, strides, (dh, dw_), pads, has_bias = cache
    # dL/db = sum of dout over the batch and every output position
    db = dout.sum(axis=(0, 1, 2)) if has_bias else None
    doutp = np.pad(dout, ((0, 0), pads[0], pads[1], (0, 0)))
    # dL/dx = conv2d(dout, w): the output window each input pixel stamped, dotted with the kernel
    dx, conv_cache = conv2d_forward(doutp, wd, None, strides, "valid")
    # dL/dw[p, q, f, c] = sum_{n,i,j} doutpad[n, i*sh + p*dh, j*sw + q*dw, f] * x[n, i, j, c]:
    # conv2d's weight gradient for that convolution, with x as its output gradient
    _, dwd, _ = conv2d_backward(x, conv_cache, need_dx=False)
    return (dx if need_dx else None), dwd[::dh, ::dw_], db


# -- UpSampling2D -----------------------------------------------------------------------------------
def bilinear_matrix(size, factor, dtype="float64"):
    """(size * factor, size) matrix A with out = A @ x, TensorFlow's bilinear resize (half-pixel centers):

    source position s = clip((o + 0.5) / factor - 0.5, 0, size - 1); out[o] = (1 - t) x[floor(s)] +
    t x[min(floor(s) + 1, size - 1)] with t = s - floor(s).
    """
    o = np.arange(size * factor)
    s = np.clip((o + 0.5) / factor - 0.5, 0, size - 1)
    lo = np.floor(s).astype(int)
    hi = np.minimum(lo + 1, size - 1)
    t = s - lo
    A = np.zeros((size * factor, size), dtype=dtype)
    np.add.at(A, (o, lo), 1 - t)
    np.add.at(A, (o, hi), t)
    return A


def upsampling2d_forward(x, size=(2, 2), interpolation="nearest"):
    """x (N, H, W, C) -> (out (N, H * sh, W * sw, C), cache).

    "nearest": out[n, i, j, c] = x[n, i // sh, j // sw, c] (each pixel repeated into an sh x sw block);
    "bilinear": out[n] = A_h x[n] A_w^T per channel, A from :func:`bilinear_matrix`.
    """
    sh, sw = _pair(size, "size")
    if interpolation == "nearest":
        return x.repeat(sh, axis=1).repeat(sw, axis=2), (x.shape, (sh, sw), None)
    if interpolation != "bilinear":
        raise NotImplementedError(f"upsampling2d: interpolation={interpolation!r} is not implemented; "
                                  f"use 'nearest' or 'bilinear'")
    Ah, Aw = bilinear_matrix(x.shape[1], sh, x.dtype), bilinear_matrix(x.shape[2], sw, x.dtype)
    return np.einsum("ih,nhwc,jw->nijc", Ah, x, Aw, optimize=True), (x.shape, (sh, sw), (Ah, Aw))


def upsampling2d_backward(dout, cache):
    """Backward of :func:`upsampling2d_forward`: dout (N, H * sh, W * sw, C) -> dx (N, H, W, C)."""
    (N, H, W, C), (sh, sw), mats = cache
    if mats is None:
        # dL/dx[n, i, j, c] = sum of dout over the sh x sw block that copied x[n, i, j, c]
        return dout.reshape(N, H, sh, W, sw, C).sum(axis=(2, 4))
    Ah, Aw = mats
    # dL/dx[n] = A_h^T dout[n] A_w (the transposed interpolation)
    return np.einsum("ih,nijc,jw->nhwc", Ah, dout, Aw, optimize=True)
