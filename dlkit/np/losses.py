"""Losses with Keras names and semantics: ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced
loss and ``loss.backward()`` returns dL/dy_pred of the last call.

Keras reduces with "sum_over_batch_size" (``keras.src.losses.loss.reduce_values``): the per-sample loss ``l``
(shape y_pred.shape[:-1], e.g. (batch,) or (batch, T)) is multiplied by ``sample_weight`` (shape (batch,)
or l.shape, broadcast to l.shape), summed, and divided by the NUMBER OF ENTRIES of ``l`` (not by the sum
of the weights): ``L = sum(w * l) / l.size``. Probabilities are clipped to [eps, 1 - eps] with eps = 1e-7
(``keras.backend.epsilon()``); inside the clipped region the gradient is 0, as for ``tf.clip_by_value``.

A subclass implements ``_forward(y_true, y_pred) -> (per_sample_loss, cache)`` and
``_backward(cache, dloss) -> dL/dy_pred`` where ``dloss = dL/d(per_sample_loss)`` (the base class supplies
``w / l.size``), so every loss gets sample weights for free.
"""
import numpy as np

from dlkit.np.activations import sigmoid, softmax

__all__ = ["EPSILON", "logsumexp", "log_softmax", "Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get"]

from dlkit.np._loss_base import (CALLABLE_LOSS_HELP, EPSILON, Loss, _check_smoothing, _expand,  # noqa: F401
                                   log_softmax, logsumexp)


class MeanSquaredError(Loss):
    """l = mean_c (y_pred - y_true)^2; dl/dy_pred = 2 (y_pred - y_true) / C."""

    name = "mean_squared_error"

    def _forward(self, t, p):
        d = p - t
        return np.mean(d ** 2, axis=-1), d

    def _backward(self, d, dloss):
        # dL/dp = dL/dl * 2 d / C
        return _expand(dloss, d) * 2 * d / d.shape[-1]


class MeanAbsoluteError(Loss):
    """``l = mean_c |y_true - y_pred|``; ``dl/dy_pred = sign(y_pred - y_true) / C``."""

    name = "mean_absolute_error"

    def _forward(self, t, p):
        d = p - t
        return np.mean(np.abs(d), axis=-1), d

    def _backward(self, d, dloss):
        # dL/dp = dL/dl * sign(d) / C
        return _expand(dloss, d) * np.sign(d) / d.shape[-1]


class Huber(Loss):
    """Keras ``huber``: with ``e = y_pred - y_true``, ``l = mean_c (0.5 e^2 if |e| <= delta else
    delta |e| - 0.5 delta^2)``; ``dl/dy_pred = (e if |e| <= delta else delta sign(e)) / C``."""

    name = "huber_loss"

    def __init__(self, delta=1.0):
        if not np.isscalar(delta) or not delta > 0:
            raise ValueError(f"Huber: delta must be a positive number, got {delta!r}")
        self.delta = delta

    def _forward(self, t, p):
        e = p - t
        a, delta = np.abs(e), p.dtype.type(self.delta)
        per = np.where(a <= delta, 0.5 * e ** 2, delta * a - 0.5 * delta ** 2)
        return np.mean(per, axis=-1), (e, a <= delta)

    def _backward(self, cache, dloss):
        e, quadratic = cache
        # dL/dp = dL/dl * clip(e, -delta, delta) / C
        return _expand(dloss, e) * np.where(quadratic, e, self.delta * np.sign(e)) / e.shape[-1]


class BinaryCrossentropy(Loss):
    """l = -mean_c (t log p + (1 - t) log(1 - p)), with t smoothed to t (1 - ls) + ls / 2 (Keras).

    With probabilities, p is clipped to [eps, 1 - eps]. With ``from_logits=True`` (p = sigmoid(z)) the
    stable form ``max(z, 0) - z t + log(1 + exp(-|z|))`` is used, and dl/dz = (sigmoid(z) - t) / C.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = from_logits
        self.label_smoothing = _check_smoothing(label_smoothing)

    def _forward(self, t, p):
        if self.label_smoothing:
            t = t * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            z = p
            per = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
            return np.mean(per, axis=-1), (t, z, None)
        q = np.clip(p, EPSILON, 1 - EPSILON)
        per = -(t * np.log(q) + (1 - t) * np.log(1 - q))
        return np.mean(per, axis=-1), (t, p, q)

    def _backward(self, cache, dloss):
        t, p, q = cache
        g = _expand(dloss, t) / t.shape[-1]
        if self.from_logits:
            # dL/dz = dL/dl * (sigmoid(z) - t) / C
            return g * (sigmoid(p) - t)
        inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        # dL/dp = dL/dl * (-t/q + (1-t)/(1-q)) / C inside the clip range, 0 outside
        return g * (-t / q + (1 - t) / (1 - q)) * inside


class CategoricalCrossentropy(Loss):
    """l = -sum_c t_c log p_c for one-hot (or soft) targets t, classes on the last axis; with
    ``label_smoothing`` t becomes t (1 - ls) + ls / C (Keras).

    With probabilities, Keras first renormalises p to sum to 1, then clips to [eps, 1 - eps].
    With ``from_logits=True``: l = sum(t) logsumexp(z) - t . z and dl/dz = softmax(z) sum(t) - t.
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = from_logits
        self.label_smoothing = _check_smoothing(label_smoothing)

    def _forward(self, t, p):
        if self.label_smoothing:
            t = t * (1.0 - self.label_smoothing) + self.label_smoothing / t.shape[-1]
        if self.from_logits:
            return -np.sum(t * log_softmax(p), axis=-1), (t, p, None)
        s = np.sum(p, axis=-1, keepdims=True)
        r = p / s
        q = np.clip(r, EPSILON, 1 - EPSILON)
        return -np.sum(t * np.log(q), axis=-1), (t, p, (s, r, q))

    def _backward(self, cache, dloss):
        t, p, srq = cache
        g = dloss[..., None]
        if self.from_logits:
            # dL/dz = dL/dl * (softmax(z) sum(t) - t)
            return g * (softmax(p) * np.sum(t, axis=-1, keepdims=True) - t)
        s, r, q = srq
        dr = -g * t / q * ((r >= EPSILON) & (r <= 1 - EPSILON))
        # r = p / s: dL/dp_j = (dr_j - sum_k dr_k r_k) / s
        return (dr - np.sum(dr * r, axis=-1, keepdims=True)) / s


class SparseCategoricalCrossentropy(Loss):
    """Categorical crossentropy with integer labels y_true in [0, C), shape y_pred.shape[:-1]
    (a trailing axis of size 1 is allowed). l = -log p[y]. No ``label_smoothing`` (Keras 3 has none).

    ``from_logits=True``: dl/dz = softmax(z) - onehot(y). With probabilities, Keras clips p
    to [eps, 1 - eps] and treats log(p) as logits, so l = log(sum_c q_c) - log q[y].
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
        if self.from_logits:
            per = -np.take_along_axis(log_softmax(p), y[..., None], axis=-1)[..., 0]
            return per, (onehot, p, None)
        q = np.clip(p, EPSILON, 1 - EPSILON)
        sq = np.sum(q, axis=-1, keepdims=True)
        per = np.log(sq[..., 0]) - np.log(np.take_along_axis(q, y[..., None], axis=-1)[..., 0])
        return per, (onehot, p, (q, sq))

    def _backward(self, cache, dloss):
        onehot, p, qs = cache
        g = dloss[..., None]
        if self.from_logits:
            # dL/dz = dL/dl * (softmax(z) - onehot(y))
            return g * (softmax(p) - onehot)
        q, sq = qs
        # dL/dp = dL/dl * (1 / sum(q) - onehot / q) inside the clip range
        return g * (1 / sq - onehot / q) * ((p >= EPSILON) & (p <= 1 - EPSILON))


# Keras names of each loss, shared with the TensorFlow mirror (dlkit.tf.losses)
ALIASES = {
    "MeanSquaredError": ("mse", "mean_squared_error"),
    "MeanAbsoluteError": ("mae", "mean_absolute_error"),
    "Huber": ("huber",),
    "BinaryCrossentropy": ("binary_crossentropy",),
    "CategoricalCrossentropy": ("categorical_crossentropy",),
    "SparseCategoricalCrossentropy": ("sparse_categorical_crossentropy",),
}


def registry(namespace):
    """{name: class} for every Keras name in ALIASES whose class exists in ``namespace`` (a mirror may
    implement only some of them)."""
    return {name: namespace[cls] for cls, names in ALIASES.items() if cls in namespace
            for name in (cls, *names)}


_ALL = registry(globals())


def get(identifier):
    """A loss from a Keras string (``"mse"``, ``"huber"``, ``"sparse_categorical_crossentropy"``...), a Loss
    class or a Loss instance (returned as is). A plain function raises TypeError: dlkit.np needs the
    gradient too (see ``CALLABLE_LOSS_HELP``)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str) and identifier in _ALL:
        return _ALL[identifier]()
    if callable(identifier) and not isinstance(identifier, (str, type)):
        name = getattr(identifier, "__name__", type(identifier).__name__)
        raise TypeError(f"loss={name!r} is a plain callable, not a dlkit.np.losses.Loss. " + CALLABLE_LOSS_HELP)
    raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(_ALL)} or a Loss instance")
