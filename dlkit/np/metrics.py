"""Metrics, with Keras' resolution of ``metrics=["accuracy"]``.

Keras picks the accuracy variant from the shapes of the first batch (``is_binary_or_sparse_categorical``):
binary when the model outputs one unit (threshold 0.5), sparse categorical when the labels have a lower rank
than the outputs (integer labels of shape ``(n,)`` or ``(n, 1)`` with ``C > 1`` outputs), categorical
(one-hot labels) otherwise.

>>> import numpy as np
>>> m = get("accuracy", np.array([0, 2]), np.zeros((2, 3)))
>>> type(m).__name__, float(m(np.array([0, 2]), np.array([[.9, .1, 0], [.2, .7, .1]])))
('SparseCategoricalAccuracy', 0.5)
"""
import numpy as np

__all__ = ["binary_accuracy", "sparse_categorical_accuracy", "categorical_accuracy", "Metric",
           "MeanMetricWrapper", "BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "accuracy", "get", "resolve_accuracy"]


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample matches ``(y_pred > threshold) == y_true``; shape (batch,) for (batch, 1) outputs."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    m = ((y_pred > threshold) == (y_true > 0.5)).astype(np.float32)
    return m[..., 0] if m.ndim > 1 and m.shape[-1] == 1 else m


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample matches ``argmax(y_pred, -1) == y_true`` for integer labels of shape (batch,)."""
    y_true = np.asarray(y_true)
    if y_true.ndim == np.ndim(y_pred) and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (np.argmax(y_pred, axis=-1) == y_true).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """Per-sample matches ``argmax(y_pred, -1) == argmax(y_true, -1)`` for one-hot labels."""
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float32)


def resolve_accuracy(y_true, y_pred):
    """Keras' choice for ``"accuracy"``: ``"binary"``, ``"sparse_categorical"`` or ``"categorical"``."""
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    if p_shape[-1] == 1:
        return "binary"
    if len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1):
        return "sparse_categorical"
    return "categorical"


def accuracy(y_true, y_pred):
    """Accuracy (a float) with Keras' automatic choice of variant."""
    fn = {"binary": binary_accuracy, "sparse_categorical": sparse_categorical_accuracy,
          "categorical": categorical_accuracy}[resolve_accuracy(y_true, y_pred)]
    return float(np.mean(fn(y_true, y_pred)))


class Metric:
    """Streaming metric: ``update_state(y_true, y_pred)``, ``result()``, ``reset_state()``.
    ``metric(y_true, y_pred)`` returns the value on that batch alone (state untouched)."""

    direction = "up"

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0

    def update_state(self, y_true, y_pred):
        values = self.fn(y_true, y_pred)
        self.total += float(np.sum(values))
        self.count += values.size

    def result(self):
        return self.total / self.count if self.count else 0.0

    def __call__(self, y_true, y_pred):
        return float(np.mean(self.fn(y_true, y_pred)))

    def fn(self, y_true, y_pred):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class MeanMetricWrapper(Metric):
    """Wraps a per-sample function ``fn(y_true, y_pred) -> array``."""

    def __init__(self, fn, name=None, direction="up"):
        self._fn = fn
        self.direction = direction
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def fn(self, y_true, y_pred):
        return np.asarray(self._fn(y_true, y_pred))


class BinaryAccuracy(Metric):
    def __init__(self, name="binary_accuracy", threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def fn(self, y_true, y_pred):
        return binary_accuracy(y_true, y_pred, self.threshold)


class SparseCategoricalAccuracy(Metric):
    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(name)

    fn = staticmethod(sparse_categorical_accuracy)


class CategoricalAccuracy(Metric):
    def __init__(self, name="categorical_accuracy"):
        super().__init__(name)

    fn = staticmethod(categorical_accuracy)


class MeanSquaredError(Metric):
    direction = "down"

    def __init__(self, name="mean_squared_error"):
        super().__init__(name)

    def fn(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return np.mean(np.square(y_pred - y_true), axis=-1)


class MeanAbsoluteError(Metric):
    direction = "down"

    def __init__(self, name="mean_absolute_error"):
        super().__init__(name)

    def fn(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return np.mean(np.abs(y_pred - y_true), axis=-1)


def _same_rank(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return y_true, y_pred


_BY_NAME = {"binary_accuracy": BinaryAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
            "categorical_accuracy": CategoricalAccuracy, "mse": MeanSquaredError,
            "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
            "mean_absolute_error": MeanAbsoluteError}


def get(identifier, y_true=None, y_pred=None):
    """A :class:`Metric` from a Keras name, a Metric instance or a function ``fn(y_true, y_pred)``.

    ``"accuracy"``/``"acc"`` needs example ``y_true``/``y_pred`` (a batch) to choose the variant; the metric
    keeps the name it was given (``"accuracy"``), as in Keras' History keys.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            if y_true is None or y_pred is None:
                raise ValueError("'accuracy' needs example labels and predictions to pick the binary, "
                                 "sparse categorical or categorical variant")
            cls = {"binary": BinaryAccuracy, "sparse_categorical": SparseCategoricalAccuracy,
                   "categorical": CategoricalAccuracy}[resolve_accuracy(y_true, y_pred)]
            return cls(name=identifier)
        if key in _BY_NAME:
            return _BY_NAME[key](name=identifier)
        raise ValueError(f"unknown metric {identifier!r}; expected 'accuracy' or one of {sorted(_BY_NAME)}")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"unknown metric {identifier!r}")
