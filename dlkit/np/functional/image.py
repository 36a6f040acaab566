"""Image geometry for the augmentation layers: projective sampling and bilinear resizing, with backward.

``affine_transform_forward(x, transforms, ...)`` is ``keras.ops.image.affine_transform`` (the TensorFlow
``ImageProjectiveTransformV3`` kernel) in NumPy: every output pixel (row i, column j) is inverse-mapped to
input coordinates, those are folded back into the image by the fill mode, and the input is read there by
nearest or bilinear sampling. For a fixed transform the output is linear in ``x`` (plus a constant from
``fill_value``), so backward scatters ``dout`` through the same sampling weights (the transpose).

A transform is Keras' 8-vector ``[a0, a1, a2, b0, b1, b2, c0, c1]``: output (x, y) reads the input at
``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1`` (x = column, y = row).
"""
import numpy as np

__all__ = ["FILL_MODES", "INTERPOLATIONS", "map_coordinates", "affine_transform_forward",
           "affine_transform_backward", "resize_matrix", "rotation_matrix", "translation_matrix"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def map_coordinates(v, n, fill_mode):
    """Fold coordinates ``v`` (any shape, float) into an axis of length ``n`` as TensorFlow does.

    reflect (d c b a | a b c d | d c b a), wrap (a b c d | a b c d), nearest (a a | a b c d | d d):
    the result is clamped to [0, n - 1]. constant: unchanged (reads outside give ``fill_value``).
    """
    v = np.asarray(v, dtype=np.float64)
    if fill_mode == "constant":
        return v
    if n <= 1:
        return np.zeros_like(v)
    if fill_mode == "reflect":
        sz2 = 2 * n
        neg = sz2 * np.trunc(-v / sz2) + v
        neg = np.where(neg < -n, neg + sz2, -neg - 1)
        pos = v - sz2 * np.trunc(v / sz2)
        pos = np.where(pos >= n, sz2 - pos - 1, pos)
        v = np.where(v < 0, neg, np.where(v > n - 1, pos, v))
    elif fill_mode == "wrap":
        sz = n - 1
        neg = v + n * (np.trunc(-v / sz) + 1)
        pos = v - n * np.trunc(v / sz)
        v = np.where(v < 0, neg, np.where(v > n - 1, pos, v))
    elif fill_mode != "nearest":
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    return np.clip(v, 0, n - 1)


def _round_half_away(v):
    """std::round: halves go away from zero (np.round would go to the even neighbour)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def affine_transform_forward(x, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """Input x (batch, H, W, C), transforms (batch, 8) -> output (batch, H, W, C), cache.

    The cache holds, for each of the K sampling taps (1 nearest, 4 bilinear), the flat input row it reads
    (into x.reshape(batch * H * W, C)) and its weight (0 where the tap falls outside the image).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    n, h, w, c = x.shape
    t = np.asarray(transforms, dtype=np.float64).reshape(n, 8, 1, 1)
    yo, xo = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    k = t[:, 6] * xo + t[:, 7] * yo + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = (t[:, 0] * xo + t[:, 1] * yo + t[:, 2]) / k     # (batch, H, W) input column of each output pixel
        yi = (t[:, 3] * xo + t[:, 4] * yo + t[:, 5]) / k     # ... and its input row
    finite = (k != 0) & np.isfinite(xi) & np.isfinite(yi)   # k = 0: the point is at infinity -> fill_value
    xi = map_coordinates(np.where(finite, xi, -1e9), w, fill_mode)
    yi = map_coordinates(np.where(finite, yi, -1e9), h, fill_mode)
    if interpolation == "nearest":
        taps = [(_round_half_away(yi), _round_half_away(xi), np.ones_like(xi))]
    else:
        y0, x0 = np.floor(yi), np.floor(xi)
        y1, x1 = y0 + 1, x0 + 1
        taps = [(y0, x0, (y1 - yi) * (x1 - xi)), (y0, x1, (y1 - yi) * (xi - x0)),
                (y1, x0, (yi - y0) * (x1 - xi)), (y1, x1, (yi - y0) * (xi - x0))]
    batch = np.arange(n).reshape(n, 1, 1) * (h * w)
    rows, weights, fill = [], [], np.zeros((n, h, w))
    for r, col, wt in taps:
        inside = (r >= 0) & (r < h) & (col >= 0) & (col < w) & finite
        rows.append((batch + np.clip(r, 0, h - 1).astype(np.int64) * w +
                     np.clip(col, 0, w - 1).astype(np.int64)).ravel())
        weights.append(np.where(inside, wt, 0.0).ravel())
        fill += np.where(inside, 0.0, np.where(finite, wt, 1.0 / len(taps)))
    rows, weights = np.stack(rows), np.stack(weights).astype(x.dtype)     # (K, batch*H*W)
    flat = x.reshape(n * h * w, c)
    # y[p] = sum_k weight[k, p] * x[row[k, p]] + fill_value * (weight of the taps outside the image)
    out = np.einsum("kp,kpc->pc", weights, flat[rows])
    if fill_value != 0:
        out = out + (fill_value * fill).reshape(-1, 1).astype(x.dtype)
    return out.reshape(x.shape), (rows, weights, x.shape)


def affine_transform_backward(dout, cache):
    """dL/dx (batch, H, W, C) from dout (batch, H, W, C): scatter-add through the sampling weights."""
    rows, weights, shape = cache
    n, h, w, c = shape
    # dL/dx[q] = sum over (k, p) with row[k, p] = q of weight[k, p] * dout[p]
    vals = weights[:, :, None] * np.asarray(dout).reshape(1, n * h * w, c)
    index = rows[:, :, None] * c + np.arange(c)
    dx = np.bincount(index.ravel(), weights=vals.ravel(), minlength=n * h * w * c)
    return dx.reshape(shape).astype(weights.dtype, copy=False)


def resize_matrix(in_size, out_size, dtype=np.float64):
    """(out_size, in_size) matrix R of bilinear resizing along one axis, ``tf.image.resize`` style
    (half-pixel centres, no antialiasing): output i reads input ``(i + 0.5) * in/out - 0.5``."""
    pos = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    lo = np.floor(pos)
    lerp = pos - lo
    lower = np.maximum(lo, 0).astype(np.int64)
    upper = np.minimum(np.ceil(pos), in_size - 1).astype(np.int64)
    r = np.zeros((out_size, in_size), dtype=dtype)
    np.add.at(r, (np.arange(out_size), lower), 1 - lerp)
    np.add.at(r, (np.arange(out_size), upper), lerp)
    return r


def rotation_matrix(angles, height, width):
    """Keras transforms (batch, 8) rotating by ``angles`` (radians, counter-clockwise) about the centre."""
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    zeros = np.zeros_like(cos)
    return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                     sin, cos, cy - cx * sin - cy * cos, zeros, zeros], axis=1)


def translation_matrix(dx, dy):
    """Keras transforms (batch, 8) shifting the image right by ``dx`` and down by ``dy`` pixels."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
