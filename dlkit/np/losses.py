"""Losses with Keras names and semantics: ``loss(y_true, y_pred)`` returns the batch mean, and
``loss.backward()`` returns dL/dy_pred of the last call.

Keras reduces with "sum_over_batch_size": the per-sample loss (y_pred.shape[:-1]) is averaged over all
its entries. Probabilities are clipped to [eps, 1 - eps] with eps = 1e-7 (``keras.backend.epsilon()``);
inside the clipped region the gradient is 0, as for ``tf.clip_by_value``.
"""
import numpy as np

from dlkit.np.activations import sigmoid, softmax

__all__ = ["EPSILON", "logsumexp", "log_softmax", "Loss", "MeanSquaredError", "MeanAbsoluteError",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get"]

EPSILON = 1e-7


def logsumexp(z, axis=-1, keepdims=False):
    """log sum_j exp(z_j), stable: m + log sum exp(z - m) with m = max z."""
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z, axis=-1):
    """log softmax(z) = z - logsumexp(z), without ever forming exp(z) of large values."""
    return z - logsumexp(z, axis=axis, keepdims=True)


class Loss:
    """Base class. Subclasses implement ``_forward(y_true, y_pred) -> (value, cache)`` and
    ``_backward(cache) -> dL/dy_pred`` for the mean loss."""

    name = "loss"

    def __call__(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float32)
        y_true = self._check(np.asarray(y_true), y_pred)
        value, self._cache = self._forward(y_true, y_pred)
        self._shape, self._dtype = y_pred.shape, y_pred.dtype
        return y_pred.dtype.type(value)

    def backward(self):
        """dL/dy_pred for the last call, with y_pred's shape and dtype."""
        if getattr(self, "_cache", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before the loss was computed; "
                               f"call loss(y_true, y_pred) first")
        return np.asarray(self._backward(self._cache)).reshape(self._shape).astype(self._dtype, copy=False)

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


class MeanSquaredError(Loss):
    """L = mean((y_true - y_pred)^2); dL/dy_pred = 2 (y_pred - y_true) / N (N = number of entries)."""

    name = "mean_squared_error"

    def _forward(self, t, p):
        d = p - t
        return np.mean(d ** 2), d

    def _backward(self, d):
        return 2 * d / d.size


class MeanAbsoluteError(Loss):
    """L = mean|y_true - y_pred|; dL/dy_pred = sign(y_pred - y_true) / N."""

    name = "mean_absolute_error"

    def _forward(self, t, p):
        d = p - t
        return np.mean(np.abs(d)), d

    def _backward(self, d):
        return np.sign(d) / d.size


class BinaryCrossentropy(Loss):
    """L = -mean(t log p + (1 - t) log(1 - p)).

    With probabilities, p is clipped to [eps, 1 - eps]. With ``from_logits=True`` (p = sigmoid(z)) the
    stable form max(z, 0) - z t + log(1 + exp(-|z|)) is used, and dL/dz = (sigmoid(z) - t) / N.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def _forward(self, t, p):
        if self.from_logits:
            z = p
            per = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
            return np.mean(per), (t, z)
        q = np.clip(p, EPSILON, 1 - EPSILON)
        per = -(t * np.log(q) + (1 - t) * np.log(1 - q))
        return np.mean(per), (t, p, q)

    def _backward(self, cache):
        if self.from_logits:
            t, z = cache
            return (sigmoid(z) - t) / t.size
        t, p, q = cache
        inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        return (-t / q + (1 - t) / (1 - q)) * inside / t.size


class CategoricalCrossentropy(Loss):
    """L = -mean_i sum_c t_ic log p_ic for one-hot (or soft) targets t, classes on the last axis.

    With probabilities, Keras first renormalises p to sum to 1, then clips to [eps, 1 - eps].
    With ``from_logits=True``: L_i = sum(t_i) logsumexp(z_i) - t_i . z_i and
    dL/dz = (softmax(z) sum(t) - t) / batch.
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def _forward(self, t, p):
        n = int(np.prod(p.shape[:-1]))
        if self.from_logits:
            per = -np.sum(t * log_softmax(p), axis=-1)
            return np.mean(per), (t, p, n)
        s = np.sum(p, axis=-1, keepdims=True)
        r = p / s
        q = np.clip(r, EPSILON, 1 - EPSILON)
        per = -np.sum(t * np.log(q), axis=-1)
        return np.mean(per), (t, (s, r, q), n)

    def _backward(self, cache):
        t, p, n = cache
        if self.from_logits:
            return (softmax(p) * np.sum(t, axis=-1, keepdims=True) - t) / n
        s, r, q = p
        dr = -t / q * ((r >= EPSILON) & (r <= 1 - EPSILON)) / n
        # r = p / s: dL/dp_j = (dr_j - sum_k dr_k r_k) / s
        return (dr - np.sum(dr * r, axis=-1, keepdims=True)) / s


class SparseCategoricalCrossentropy(Loss):
    """Categorical crossentropy with integer labels y_true in [0, C), shape y_pred.shape[:-1]
    (a trailing axis of size 1 is allowed). L_i = -log p_i[y_i].

    ``from_logits=True``: dL/dz = (softmax(z) - onehot(y)) / batch. With probabilities, Keras clips p
    to [eps, 1 - eps] and treats log(p) as logits, so L_i = log(sum_c q_ic) - log q_i[y_i].
    """

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def _check(self, y_true, y_pred):
        name, c = type(self).__name__, y_pred.shape[-1]
        if y_true.dtype.kind not in "iuf" or (y_true.dtype.kind == "f" and not np.all(y_true == np.round(y_true))):
            raise ValueError(f"{name}: y_true must hold integer class labels in [0, {c}), got dtype "
                             f"{y_true.dtype}" + (" with non-integer values" if y_true.dtype.kind == "f" else ""))
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape[:-1]:
            raise ValueError(f"{name}: y_true must have shape {y_pred.shape[:-1]} (labels for y_pred of "
                             f"shape {y_pred.shape}), got {y_true.shape}")
        if y_true.size and (y_true.min() < 0 or y_true.max() >= c):
            raise ValueError(f"{name}: labels must be in the range [0, {c}) for {c} classes, got values "
                             f"in [{y_true.min()}, {y_true.max()}]")
        return y_true.astype(np.int64)

    def _forward(self, y, p):
        onehot = np.zeros(p.shape, dtype=p.dtype)
        np.put_along_axis(onehot, y[..., None], 1, axis=-1)
        n = y.size
        if self.from_logits:
            per = -np.take_along_axis(log_softmax(p), y[..., None], axis=-1)
            return np.mean(per), (onehot, p, None, n)
        q = np.clip(p, EPSILON, 1 - EPSILON)
        sq = np.sum(q, axis=-1, keepdims=True)
        per = np.log(sq) - np.log(np.take_along_axis(q, y[..., None], axis=-1))
        return np.mean(per), (onehot, p, (q, sq), n)

    def _backward(self, cache):
        onehot, p, qs, n = cache
        if self.from_logits:
            return (softmax(p) - onehot) / n
        q, sq = qs
        dq = 1 / sq - onehot / q
        return dq * ((p >= EPSILON) & (p <= 1 - EPSILON)) / n


# Keras names of each loss, shared with the TensorFlow mirror (dlkit.tf.losses)
ALIASES = {
    "MeanSquaredError": ("mse", "mean_squared_error"),
    "MeanAbsoluteError": ("mae", "mean_absolute_error"),
    "BinaryCrossentropy": ("binary_crossentropy",),
    "CategoricalCrossentropy": ("categorical_crossentropy",),
    "SparseCategoricalCrossentropy": ("sparse_categorical_crossentropy",),
}


def registry(namespace):
    """{name: class} for every Keras name in ALIASES, with classes looked up in ``namespace``."""
    return {name: namespace[cls] for cls, names in ALIASES.items() for name in (cls, *names)}


_ALL = registry(globals())


def get(identifier):
    """A loss from a Keras string (``"mse"``, ``"sparse_categorical_crossentropy"``...), a Loss class
    or a Loss instance (returned as is)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str) and identifier in _ALL:
        return _ALL[identifier]()
    raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(_ALL)} or a Loss instance")
