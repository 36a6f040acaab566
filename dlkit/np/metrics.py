"""Metrics with Keras names and semantics, exact over an epoch, and Keras' resolution of ``metrics=["accuracy"]``.

Every metric is streaming: ``update_state(y_true, y_pred, sample_weight=None)`` per batch, ``result()`` (a
Python float) at the end, ``reset_state()`` before the next epoch. Mean metrics (accuracies, mse, mae,
top-k) accumulate ``sum(w * value)`` and ``sum(w)`` as ``keras.metrics.Mean`` does; ratio metrics
(Precision, Recall, AUC, in ``dlkit.np.confusion_metrics``) accumulate confusion counts, so the epoch value
is exact and never an average of per-batch ratios. ``metric(y_true, y_pred)`` returns the value on that
batch alone (state untouched).

Keras picks the accuracy variant from the shapes of the first batch (``is_binary_or_sparse_categorical``):
binary when the model outputs one unit (threshold 0.5), sparse categorical when the labels have a lower rank
than the outputs (integer labels of shape ``(n,)`` or ``(n, 1)`` with ``C > 1`` outputs), categorical
(one-hot labels) otherwise.

>>> import numpy as np
>>> m = get("accuracy", np.array([0, 2]), np.zeros((2, 3)))
>>> type(m).__name__, float(m(np.array([0, 2]), np.array([[.9, .1, 0], [.2, .7, .1]])))
('SparseCategoricalAccuracy', 0.5)
"""
import warnings

import numpy as np

__all__ = ["binary_accuracy", "sparse_categorical_accuracy", "categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "Metric", "MeanMetricWrapper", "BinaryAccuracy",
           "SparseCategoricalAccuracy", "CategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "Precision", "Recall", "AUC",
           "confusion_matrix", "accuracy", "get", "resolve_accuracy"]


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


def _in_top_k(targets, y_pred, k):
    """``tf.math.in_top_k``: the target's score is beaten by fewer than k classes (ties count as in),
    and is finite. Input targets (batch, ...), y_pred (batch, ..., C) -> (batch, ...) of 0/1."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    c = y_pred.shape[-1]
    ok = (targets >= 0) & (targets < c)
    score = np.take_along_axis(y_pred, np.where(ok, targets, 0)[..., None], axis=-1)
    beaten = np.sum(y_pred > score, axis=-1)
    return ((beaten < k) & ok & np.isfinite(score[..., 0])).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample 1 if ``argmax(y_true)`` is among the k highest scores of y_pred (one-hot labels)."""
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample 1 if the integer label y_true is among the k highest scores of y_pred."""
    y_true = np.asarray(y_true)
    if y_true.ndim == np.ndim(y_pred) and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return _in_top_k(y_true.astype(np.int64), y_pred, k)


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


def _same_rank(x1, x2, expand_rank_1=True):
    """Keras ``squeeze_or_expand_to_same_rank``: fix a rank difference of 1 due to a trailing axis of 1."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def reduce_to_samplewise_values(values, sample_weight):
    """Keras' ``reduce_to_samplewise_values`` (mean reduction): per-sample weighted values (batch,) and
    per-sample weights (batch,) or None. Input values (batch, ...), sample_weight (batch,) or (batch, ...)."""
    values = np.asarray(values, dtype=np.float64)
    if sample_weight is not None:
        w0 = np.asarray(sample_weight, dtype=np.float64)
        values, w = _same_rank(values, w0)
        if values.ndim > w.ndim:
            values = np.mean(values, axis=tuple(range(w.ndim, values.ndim)))
        try:
            w = np.broadcast_to(w, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {w0.shape} does not match the per-sample metric "
                             f"values of shape {values.shape}; expected shape {values.shape[:1]}") from None
        values = values * w
        sample_weight = np.mean(w, axis=tuple(range(1, w.ndim))) if w.ndim > 1 else w
    if values.ndim > 1:
        values = np.mean(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Metric:
    """Streaming metric: ``update_state(y_true, y_pred, sample_weight=None)``, ``result()`` -> float,
    ``reset_state()``. This base class is Keras' ``Mean`` over the per-sample values ``fn(y_true, y_pred)``
    (shape (batch, ...)): result = sum(w * value) / sum(w). Ratio metrics override the three methods."""

    direction = "up"

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        values, w = reduce_to_samplewise_values(self.fn(y_true, y_pred), sample_weight)
        self.total += float(np.sum(values))
        self.count += float(np.sum(w)) if w is not None else (values.shape[0] if values.ndim else 1)

    def result(self):
        return float(self.total / self.count) if self.count else 0.0

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The metric on this batch alone; the accumulated state is left untouched."""
        saved = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}
        try:
            self.reset_state()
            self.update_state(y_true, y_pred, sample_weight)
            return self.result()
        finally:
            self.__dict__.update(saved)

    def fn(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define fn(y_true, y_pred) (per-sample values) "
                                  f"or override update_state/result/reset_state")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class MeanMetricWrapper(Metric):
    """Wraps a per-sample function ``fn(y_true, y_pred, **kwargs) -> array (batch, ...)``."""

    def __init__(self, fn, name=None, direction="up", **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        self.direction = direction
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def fn(self, y_true, y_pred):
        return np.asarray(self._fn(y_true, y_pred, **self._fn_kwargs))


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


class TopKCategoricalAccuracy(Metric):
    """How often the one-hot target is among the k highest predictions. Input (batch, C) x2 -> float."""

    def __init__(self, k=5, name="top_k_categorical_accuracy"):
        self.k = k
        super().__init__(name)

    def fn(self, y_true, y_pred):
        return top_k_categorical_accuracy(y_true, y_pred, self.k)


class SparseTopKCategoricalAccuracy(Metric):
    """How often the integer target is among the k highest predictions. Input (batch,), (batch, C) -> float."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy"):
        self.k = k
        super().__init__(name)

    def fn(self, y_true, y_pred):
        return sparse_top_k_categorical_accuracy(y_true, y_pred, self.k)


class MeanSquaredError(Metric):
    direction = "down"

    def __init__(self, name="mean_squared_error"):
        super().__init__(name)

    def fn(self, y_true, y_pred):
        y_true, y_pred = _same_rank_targets(y_true, y_pred)
        return np.mean(np.square(y_pred - y_true), axis=-1)


class MeanAbsoluteError(Metric):
    direction = "down"

    def __init__(self, name="mean_absolute_error"):
        super().__init__(name)

    def fn(self, y_true, y_pred):
        y_true, y_pred = _same_rank_targets(y_true, y_pred)
        return np.mean(np.abs(y_pred - y_true), axis=-1)


def _same_rank_targets(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return y_true, y_pred


# Ratio metrics: accumulate confusion counts (imported here so dlkit.np.metrics.Precision etc. exist)
from dlkit.np.confusion_metrics import AUC, Precision, Recall, confusion_matrix  # noqa: E402

_CLASSES = (BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC)
_BY_NAME = {"binary_accuracy": BinaryAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
            "categorical_accuracy": CategoricalAccuracy, "mse": MeanSquaredError,
            "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
            "mean_absolute_error": MeanAbsoluteError, "precision": Precision, "recall": Recall, "auc": AUC,
            "top_k_categorical_accuracy": TopKCategoricalAccuracy,
            "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
            **{cls.__name__.lower(): cls for cls in _CLASSES}}

CALLABLE_METRIC_WARNING = (
    "metric {name!r} is a plain function: dlkit averages its per-batch values over the epoch, which is exact "
    "only for per-sample means such as accuracy. For a ratio (precision, recall, F1, AUC...) use a stateful "
    "Metric that accumulates counts, e.g. dlkit.np.metrics.Precision(), whose epoch value is exact.")


def get(identifier, y_true=None, y_pred=None):
    """A :class:`Metric` from a Keras name, a Metric class or instance, or a function ``fn(y_true, y_pred)``.

    ``"accuracy"``/``"acc"`` needs example ``y_true``/``y_pred`` (a batch) to choose the variant; the metric
    keeps the name it was given (``"accuracy"``), as in Keras' History keys. A plain function is wrapped in
    :class:`MeanMetricWrapper` with a ``UserWarning`` (its per-batch values are averaged).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
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
        name = getattr(identifier, "__name__", "metric")
        warnings.warn(CALLABLE_METRIC_WARNING.format(name=name), UserWarning, stacklevel=2)
        return MeanMetricWrapper(identifier)
    raise ValueError(f"unknown metric {identifier!r}; expected a name such as 'accuracy', a Metric or a function")
