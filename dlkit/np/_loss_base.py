"""The ``Loss`` base class of :mod:`dlkit.np.losses` (sample weights, Keras reduction) and its helpers."""
import numpy as np

from dlkit.shared import EPSILON  # noqa: F401  (one constant for dlkit.np and dlkit.tf)

CALLABLE_LOSS_HELP = (
    "dlkit.np trains by explicit backpropagation, so a loss must also give its gradient dL/dy_pred: "
    "write a dlkit.np.losses.Loss subclass, e.g.\n"
    "    class MyMSE(dlkit.np.losses.Loss):\n"
    "        def _forward(self, y_true, y_pred):  # -> (per-sample loss, shape y_pred.shape[:-1], cache)\n"
    "            d = y_pred - y_true; return np.mean(d ** 2, axis=-1), d\n"
    "        def _backward(self, d, dloss):       # dloss = dL/d(per-sample loss)\n"
    "            return dloss[..., None] * 2 * d / d.shape[-1]\n"
    "and pass loss=MyMSE(). Sample weights and the batch mean are handled by the base class.")


def logsumexp(z, axis=-1, keepdims=False):
    """log sum_j exp(z_j), stable: m + log sum exp(z - m) with m = max z."""
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z, axis=-1):
    """log softmax(z) = z - logsumexp(z), without ever forming exp(z) of large values."""
    return z - logsumexp(z, axis=axis, keepdims=True)


def _check_smoothing(label_smoothing):
    ls = float(label_smoothing)
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    return ls


class _Weighted:
    """The cache of a base-class call: the subclass cache and dL/d(per-sample loss)."""
    __slots__ = ("cache", "dloss")

    def __init__(self, cache, dloss):
        self.cache, self.dloss = cache, dloss


class Loss:
    """Base class: Input y_true, y_pred (batch, ..., C) [, sample_weight (batch,) or (batch, ...)] -> scalar.

    Subclasses implement ``_forward(y_true, y_pred) -> (per_sample_loss (batch, ...), cache)`` and
    ``_backward(cache, dloss) -> dL/dy_pred`` (see the module docstring)."""

    name = "loss"

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred, y_true = np.asarray(y_pred), np.asarray(y_true)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float32)
        shape = y_pred.shape
        if y_pred.ndim == 0:  # a single value: one entry on the last axis
            y_pred, y_true = y_pred.reshape(1), y_true.reshape(1) if y_true.ndim == 0 else y_true
        y_true = self._check(y_true, y_pred)
        per, cache = self._forward(y_true, y_pred)
        per = np.asarray(per, dtype=y_pred.dtype)
        n = max(per.size, 1)
        w = None if sample_weight is None else self._weights(sample_weight, per.shape, y_pred.dtype)
        # L = sum(w * l) / l.size  ->  dL/dl = w / l.size
        value = np.sum(per if w is None else per * w) / n
        dloss = np.full(per.shape, 1.0 / n, dtype=y_pred.dtype) if w is None else w / n
        self._cache = _Weighted(cache, dloss)
        self._shape, self._dtype = shape, y_pred.dtype
        return y_pred.dtype.type(value)

    def backward(self):
        """dL/dy_pred for the last call, with y_pred's shape and dtype (sample weights included)."""
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before the loss was computed; "
                               f"call loss(y_true, y_pred) first")
        # subclasses with their own __call__ (dlkit.np.sequence.TokenCrossentropy) store a plain cache
        grad = self._backward(cache.cache, cache.dloss) if isinstance(cache, _Weighted) else self._backward(cache)
        return np.asarray(grad).reshape(self._shape).astype(self._dtype, copy=False)

    def _weights(self, sample_weight, shape, dtype):
        """sample_weight as an array of the per-sample-loss shape (Keras: squeeze a trailing 1, expand
        (batch,) over the remaining axes)."""
        w0 = np.asarray(sample_weight)
        if w0.dtype.kind not in "fiub":
            raise ValueError(f"{type(self).__name__}: sample_weight must be numeric, got dtype {w0.dtype}")
        w = w0.astype(dtype, copy=False)
        while w.ndim > len(shape) and w.shape[-1] == 1:
            w = w[..., 0]
        if 0 < w.ndim < len(shape):
            w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
        try:
            if w.ndim > len(shape) or (w.ndim and w.shape[0] not in (1,) + shape[:1]):
                raise ValueError
            return np.broadcast_to(w, shape)
        except ValueError:
            raise ValueError(f"{type(self).__name__}: sample_weight must have shape {shape[:1]} or {shape} "
                             f"(the per-sample loss, y_pred.shape[:-1]), got {w0.shape}") from None

    def _check(self, y_true, y_pred):
        """Match shapes as Keras does: a trailing axis of size 1 may be missing on one side."""
        if y_true.dtype.kind not in "fiub":
            raise ValueError(f"{type(self).__name__}: y_true must be numeric, got dtype {y_true.dtype}")
        if y_true.shape != y_pred.shape:
            if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1 and y_true.shape == y_pred.shape[:-1]:
                y_true = y_true[..., None]
            elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1 and y_true.shape[:-1] == y_pred.shape:
                y_true = y_true[..., 0]
            else:
                raise ValueError(f"{type(self).__name__}: y_true must have the shape of y_pred "
                                 f"{y_pred.shape}, got {y_true.shape}")
        return y_true.astype(y_pred.dtype, copy=False)

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _expand(dloss, like):
    """dL/d(per-sample loss) with a trailing axis to multiply a (..., C) gradient."""
    return dloss[..., None] if np.ndim(like) > np.ndim(dloss) else dloss


