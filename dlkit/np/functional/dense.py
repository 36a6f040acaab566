"""Functional core: the fully connected (dense / affine) layer, out = x W + b on the last axis."""
import numpy as np

__all__ = ["dense_forward", "dense_backward"]


def dense_forward(x, W, b=None):
    """Affine map on the last axis, as ``keras.layers.Dense``.

    Shapes: x (N, ..., D), W (D, M), b (M,) or None -> out (N, ..., M). Leading axes are flattened
    into one batch axis of size N' = N * ... for a single GEMM of shape (N', D) @ (D, M).
    Returns ``(out, cache)`` with ``cache = (x, W, b)``.
    """
    x2 = x.reshape(-1, x.shape[-1])
    out = x2 @ W
    if b is not None:
        out = out + b
    return out.reshape(x.shape[:-1] + (W.shape[1],)), (x, W, b)


def dense_backward(dout, cache, need_dx=True):
    """Gradients of the affine map. dout (N, ..., M) -> (dx (N, ..., D), dW (D, M), db (M,) or None).

    ``need_dx=False`` skips dx (returned as None) when nothing upstream needs it.

    With X (N', D) and dY (N', M) the flattened input and upstream gradient:
    # dL/dX = dY W^T
    # dL/dW = X^T dY
    # dL/db = sum over rows of dY
    """
    x, W, b = cache
    x2 = x.reshape(-1, x.shape[-1])
    d2 = dout.reshape(-1, W.shape[1])
    dx = (d2 @ W.T).reshape(x.shape) if need_dx else None
    dW = x2.T @ d2
    db = d2.sum(axis=0) if b is not None else None
    return dx, dW, db
