"""Ratio metrics from accumulated confusion counts (Keras ``keras.src.metrics.confusion_metrics``):
``Precision``, ``Recall``, ``AUC``, and ``confusion_matrix``.

Each batch adds its weighted true/false positive/negative counts at every threshold; ``result()`` forms
the ratio from the epoch totals, so it equals the ratio over all samples (never a mean of batch ratios).
A prediction is positive at threshold t when ``y_pred > t``; y_true is cast to bool. With evenly spaced
thresholds (AUC, or >= 3 evenly spaced thresholds) Keras buckets predictions with
``ceil(y_pred * (n - 1)) - 1`` instead (``_update_confusion_matrix_variables_optimized``); this is copied.
"""
import numpy as np

from dlkit.np.metrics import Metric, _same_rank

__all__ = ["Precision", "Recall", "AUC", "confusion_matrix", "confusion_counts"]

NEG_INF = -1e10
EPSILON = 1e-7


def _divide_no_nan(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _evenly(thresholds):
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=EPSILON)


def _parse_thresholds(thresholds, default):
    values = [default] if thresholds is None else list(np.atleast_1d(thresholds).astype(float))
    if thresholds is not None:
        bad = [t for t in values if not 0 <= t <= 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return values


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, class_id=None, top_k=None, evenly=False):
    """Weighted (tp, fp, tn, fn), each of shape (len(thresholds),), for one batch.

    Input y_true, y_pred (batch, ...) of the same shape (a trailing axis of 1 may differ); sample_weight
    (batch,) or broadcastable to y_pred. ``class_id`` keeps column ``class_id`` of (batch, C) inputs;
    ``top_k`` keeps the k largest predictions per row (the others become -1e10)."""
    y_pred, y_true = _same_rank(np.asarray(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true must have the shape of y_pred {y_pred.shape}, got {y_true.shape}")
    w = None
    if sample_weight is not None:
        _, w = _same_rank(y_true, np.asarray(sample_weight, dtype=np.float64)[..., None], expand_rank_1=False)
    if top_k is not None:
        order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :top_k]
        keep = np.zeros(y_pred.shape, dtype=bool)
        np.put_along_axis(keep, order, True, axis=-1)
        y_pred = np.where(keep, y_pred, NEG_INF)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    try:
        w = np.ones(y_pred.size) if w is None else np.broadcast_to(w, y_pred.shape).ravel()
    except ValueError:
        raise ValueError(f"sample_weight of shape {np.shape(sample_weight)} cannot be broadcast to y_pred "
                         f"of shape {y_pred.shape}") from None
    t, p = y_true.ravel() != 0, y_pred.ravel()
    thresholds = np.asarray(thresholds, dtype=np.float64)
    pos_w, neg_w = t * w, (~t) * w
    if evenly:  # bucket i holds the predictions in (t_i, t_{i+1}]; counts at t_i = reverse cumsum
        n = len(thresholds)
        idx = np.ceil(np.clip(p, 0.0, 1.0) * (n - 1)) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:  # thresholds with epsilon (AUC): 0 goes to bucket 0
            idx = np.maximum(idx, 0)
        idx, ok = idx.astype(np.int64), idx >= 0
        tp = np.cumsum(np.bincount(idx[ok], pos_w[ok], minlength=n)[::-1])[::-1]
        fp = np.cumsum(np.bincount(idx[ok], neg_w[ok], minlength=n)[::-1])[::-1]
    else:
        above = p[None, :] > thresholds[:, None]
        tp, fp = above @ pos_w, above @ neg_w
    return tp, fp, np.sum(neg_w) - fp, np.sum(pos_w) - tp


class _ConfusionMetric(Metric):
    """Accumulates tp, fp, tn, fn at ``self.thresholds``."""

    direction = "up"

    def __init__(self, thresholds, name, evenly, class_id=None, top_k=None):
        self.thresholds, self._evenly = thresholds, evenly
        self.class_id, self.top_k = class_id, top_k
        super().__init__(name)

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def _prepare(self, y_pred):
        return y_pred

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = confusion_counts(y_true, self._prepare(np.asarray(y_pred, dtype=np.float64)),
                                          self.thresholds, sample_weight, self.class_id, self.top_k, self._evenly)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _one(self, values):
        return float(values[0]) if len(self.thresholds) == 1 else [float(v) for v in values]


class Precision(_ConfusionMetric):
    """tp / (tp + fp) over the epoch (0 when nothing was predicted positive), Keras ``Precision``.

    thresholds: float or list in [0, 1] (default 0.5; y_pred > t is positive; a list gives a list of
    results). top_k: only the k highest scores of each row count as positive. class_id: binary metric of
    column ``class_id`` of (batch, C) predictions. Input y_true, y_pred (batch, ...) -> float."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        self.init_thresholds = thresholds
        t = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        super().__init__(t, name or "precision", _evenly(t), class_id, top_k)

    def result(self):
        return self._one(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ConfusionMetric):
    """tp / (tp + fn) over the epoch (0 when there is no positive label), Keras ``Recall``; arguments as
    :class:`Precision`. Input y_true, y_pred (batch, ...) -> float."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        self.init_thresholds = thresholds
        t = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        super().__init__(t, name or "recall", _evenly(t), class_id, top_k)

    def result(self):
        return self._one(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


class AUC(_ConfusionMetric):
    """Area under the ROC or PR curve from counts at ``num_thresholds`` thresholds, Keras ``AUC``.

    Thresholds: [-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps] with eps = 1e-7 (or sorted ``thresholds`` between
    -eps and 1 + eps). ROC: sum over intervals of (FPR_i - FPR_{i+1}) (TPR_i + TPR_{i+1}) / 2 ("interpolation";
    "minoring"/"majoring" take the min/max height). PR with "interpolation": Davis & Goadrich interpolation of
    Keras' ``interpolate_pr_auc``. ``from_logits=True`` applies a sigmoid first.
    Input y_true (batch, ...) in {0, 1}, y_pred (batch, ...) scores in [0, 1] -> float."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, from_logits=False):
        if multi_label:
            raise NotImplementedError("AUC(multi_label=True) is not implemented in dlkit.np")
        self.curve = {"roc": "ROC", "pr": "PR"}.get(str(curve).lower())
        if self.curve is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC"]')
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             f'["interpolation", "majoring", "minoring"]')
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, None))
            evenly = _evenly([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            inner, evenly = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)], True
        self.num_thresholds, self.from_logits = len(inner) + 2, from_logits
        super().__init__([0.0 - EPSILON] + inner + [1.0 + EPSILON], name or "auc", evenly)

    def _prepare(self, y_pred):
        return 1.0 / (1.0 + np.exp(-y_pred)) if self.from_logits else y_pred

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        safe_p_ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return float(np.sum(_divide_no_nan(prec_slope * (dtp + intercept * np.log(safe_p_ratio)),
                                           np.maximum(tp[1:] + fn[1:], 0))))

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))


def _as_labels(y, who):
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:  # one-hot labels or class scores
        y = np.argmax(y, axis=-1)
    elif y.ndim >= 2 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        y = (y > 0.5)  # probabilities of a binary classifier
    if y.dtype.kind not in "iub" and not (y.dtype.kind == "f" and np.all(y == np.round(y))):
        raise ValueError(f"confusion_matrix: {who} must hold class labels, one-hot rows or scores, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"confusion_matrix: {who} labels must be >= 0, got {y.min()}")
    return y


def confusion_matrix(y_true, y_pred, num_classes=None, sample_weight=None):
    """Counts ``cm[i, j]`` of samples with true class i predicted as j (rows = true, columns = predicted),
    as ``sklearn.metrics.confusion_matrix`` with labels ``0..num_classes-1``.

    y_true, y_pred: integer labels (batch,) / (batch, T), one-hot rows or scores (batch, C) (argmax), or
    binary probabilities (batch, 1) (> 0.5). sample_weight: (batch,) or the label shape.
    num_classes defaults to the largest label + 1. Output (num_classes, num_classes), int64 (float64 with
    sample_weight)."""
    t, p = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true and y_pred must hold labels of the same shape, got "
                         f"{t.shape} and {p.shape}")
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        try:
            w = np.broadcast_to(w.reshape(w.shape + (1,) * (t.ndim - w.ndim)), t.shape).ravel()
        except ValueError:
            raise ValueError(f"confusion_matrix: sample_weight must have shape {t.shape[:1]} or {t.shape}, "
                             f"got {np.shape(sample_weight)}") from None
    t, p = t.ravel(), p.ravel()
    top = int(max(t.max(initial=-1), p.max(initial=-1)))
    k = top + 1 if num_classes is None else int(num_classes)
    if top >= k:
        raise ValueError(f"confusion_matrix: labels must be in [0, num_classes={k}), got {top}")
    counts = np.bincount(t * k + p, weights=w, minlength=k * k).reshape(k, k)
    return counts if w is not None else counts.astype(np.int64)
