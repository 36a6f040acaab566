"""dlkit.np.metrics: stateful metrics exact over an epoch (Precision, Recall, AUC, top-k, mean metrics with
sample weights), confusion_matrix, and the warning for plain-function metrics; against keras.metrics and
sklearn, fed in several batches."""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sklearn.metrics as skm  # noqa: E402

from dlkit.np import metrics  # noqa: E402

BATCHES = [slice(0, 37), slice(37, 100), slice(100, 101), slice(101, 240)]


def _binary(seed=0, n=240):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.float64)
    p = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    p[:4], p[4:8] = 0.0, 1.0  # the end points of the threshold grid
    return y[:, None], p[:, None], rng.uniform(0, 2, n)


def _feed(metric, y, p, w=None):
    metric.reset_state()
    for b in BATCHES:
        metric.update_state(y[b], p[b], None if w is None else w[b])
    return metric.result()


def _keras(cls_name, **kwargs):
    keras = pytest.importorskip("keras")
    return getattr(keras.metrics, cls_name)(dtype="float64", **kwargs)


def _keras_feed(metric, y, p, w=None):
    for b in BATCHES:
        metric.update_state(y[b], p[b], sample_weight=None if w is None else w[b])
    return np.asarray(metric.result())


CONFUSION = [("Precision", {}), ("Recall", {}), ("Precision", {"thresholds": [0.3, 0.7]}),
             ("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}), ("AUC", {}), ("AUC", {"curve": "PR"}),
             ("AUC", {"num_thresholds": 13, "summation_method": "minoring"}),
             ("AUC", {"curve": "PR", "summation_method": "majoring"}), ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.9]})]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs", CONFUSION, ids=[f"{n}-{k}" for n, k in CONFUSION])
def test_confusion_metrics_match_keras_over_batches(name, kwargs, weighted):
    y, p, w = _binary()
    w = w if weighted else None
    ours = _feed(getattr(metrics, name)(**kwargs), y, p, w)
    theirs = _keras_feed(_keras(name, **kwargs), y, p, w)
    assert isinstance(ours, (float, list))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_auc_from_logits_and_class_id():
    y, p, w = _binary(1)
    z = np.log(p.clip(1e-6, 1 - 1e-6) / (1 - p.clip(1e-6, 1 - 1e-6)))
    np.testing.assert_allclose(_feed(metrics.AUC(from_logits=True), y, z, w),
                               _keras_feed(_keras("AUC", from_logits=True), y, z, w), atol=1e-6)
    rng = np.random.default_rng(2)
    y3 = np.eye(3)[rng.integers(0, 3, 240)]
    p3 = rng.dirichlet(np.ones(3), 240)
    for cls in ("Precision", "Recall"):
        np.testing.assert_allclose(_feed(getattr(metrics, cls)(class_id=2), y3, p3, w),
                                   _keras_feed(_keras(cls, class_id=2), y3, p3, w), atol=1e-6)
        np.testing.assert_allclose(_feed(getattr(metrics, cls)(top_k=1), y3, p3),
                                   _keras_feed(_keras(cls, top_k=1), y3, p3), atol=1e-6)


def test_precision_recall_equal_sklearn_exactly_and_auc_close_to_roc_auc():
    y, p, w = _binary(3)
    yhat = (p[:, 0] > 0.5).astype(int)
    assert _feed(metrics.Precision(), y, p) == skm.precision_score(y[:, 0], yhat)
    assert _feed(metrics.Recall(), y, p) == skm.recall_score(y[:, 0], yhat)
    assert _feed(metrics.Precision(), y, p, w) == pytest.approx(skm.precision_score(y[:, 0], yhat, sample_weight=w),
                                                                 rel=1e-12)
    assert _feed(metrics.AUC(num_thresholds=2000), y, p) == pytest.approx(skm.roc_auc_score(y[:, 0], p[:, 0]),
                                                                          abs=2e-3)


def test_plain_precision_function_is_averaged_over_batches_and_warns():
    """A ratio averaged over batches is not the epoch ratio; Precision() accumulates counts and is exact."""
    y, p, _ = _binary(4)

    def precision(y_true, y_pred):
        return skm.precision_score(np.ravel(y_true), np.ravel(y_pred) > 0.5, zero_division=0)

    with pytest.warns(UserWarning, match=r"averages its per-batch values.*Precision\(\)"):
        averaged = metrics.get(precision)
    truth = skm.precision_score(y[:, 0], p[:, 0] > 0.5)
    assert abs(_feed(averaged, y, p) - truth) > 1e-3
    assert _feed(metrics.get("precision"), y, p) == truth
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.get("precision"), metrics.get(metrics.Recall()), metrics.get(metrics.AUC)


@pytest.mark.parametrize("name,k_name,kwargs,sparse", [
    ("TopKCategoricalAccuracy", "TopKCategoricalAccuracy", {"k": 2}, False),
    ("SparseTopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", {"k": 3}, True),
    ("SparseTopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", {}, True),
    ("CategoricalAccuracy", "CategoricalAccuracy", {}, False),
    ("SparseCategoricalAccuracy", "SparseCategoricalAccuracy", {}, True),
])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_metrics_match_keras(name, k_name, kwargs, sparse, weighted):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 7, 240)
    p = rng.random((240, 7)).astype(np.float32)  # tf.math.in_top_k takes float32 scores
    p[:10, :3] = 0.5  # ties: tf.math.in_top_k counts tied classes as in the top k
    y = labels if sparse else np.eye(7)[labels]
    w = rng.uniform(0, 2, 240) if weighted else None
    ours = _feed(getattr(metrics, name)(**kwargs), y, p, w)
    np.testing.assert_allclose(ours, _keras_feed(_keras(k_name, **kwargs), y, p, w), atol=1e-12)


def test_mean_metric_sequence_weights_match_keras():
    """(batch, T) per-token values with (batch, T) weights: sum(w * v) / sum(w), as keras.metrics.Mean."""
    rng = np.random.default_rng(6)
    y, p, w = rng.integers(0, 4, (240, 5)), rng.random((240, 5, 4)), rng.uniform(0, 2, (240, 5))
    ours = _feed(metrics.SparseCategoricalAccuracy(), y, p, w)
    np.testing.assert_allclose(ours, _keras_feed(_keras("SparseCategoricalAccuracy"), y, p, w), atol=1e-12)
    hits = (p.argmax(-1) == y)
    assert ours == pytest.approx(np.sum(hits * w) / np.sum(w))
    mse = _feed(metrics.MeanSquaredError(), rng.random((240, 3)), rng.random((240, 3)), rng.random(240))
    assert isinstance(mse, float)


def test_results_are_python_floats_and_call_leaves_state():
    y, p, _ = _binary(7)
    m = metrics.get("auc")
    m.update_state(y[:50], p[:50])
    before = m.result()
    batch_value = m(y[50:], p[50:])
    assert type(before) is float and type(batch_value) is float and m.result() == before
    for name in ("precision", "recall", "auc", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                 "Precision", "AUC"):
        assert isinstance(metrics.get(name), metrics.Metric)
    assert metrics.get("top_k_categorical_accuracy").k == 5 and metrics.get("precision").name == "precision"
    for name in ("Precision", "Recall", "AUC", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
                 "confusion_matrix"):
        assert name in metrics.__all__ and hasattr(metrics, name)


@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_matches_sklearn(weighted):
    rng = np.random.default_rng(8)
    t, pr = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    w = rng.random(300) if weighted else None
    ours = metrics.confusion_matrix(t, pr, num_classes=4, sample_weight=w)
    ref = skm.confusion_matrix(t, pr, labels=np.arange(4), sample_weight=w)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert ours.shape == (4, 4) and (ours.dtype == np.int64) != weighted
    # rows = true class, columns = predicted: a single mistake 0 -> 2 lands at [0, 2]
    assert metrics.confusion_matrix([0, 1], [2, 1], num_classes=3)[0, 2] == 1
    # one-hot labels and class scores are argmax'ed; binary probabilities thresholded at 0.5
    scores = rng.random((300, 4))
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(4)[t], scores),
                                  skm.confusion_matrix(t, scores.argmax(1), labels=np.arange(4)))
    probs = rng.random((300, 1))
    np.testing.assert_array_equal(metrics.confusion_matrix(t[:, None] % 2, probs),
                                  skm.confusion_matrix(t % 2, (probs[:, 0] > 0.5).astype(int)))


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"labels must be in \[0, num_classes=2\)"):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="same shape"):
        metrics.confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="y_true must have the shape of y_pred"):
        metrics.Precision().update_state(np.zeros((4, 3)), np.zeros((4, 2)))
