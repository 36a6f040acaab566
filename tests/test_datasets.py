"""dlkit.datasets: synthetic generators, sklearn digits, one_hot (all offline)."""
import subprocess
import sys

import numpy as np
import pytest

from dlkit import datasets as ds

CLASSIFIERS = [
    (ds.make_xor, {}, 2),
    (ds.make_blobs, {}, 2),
    (ds.make_blobs, {"centers": 4}, 4),
    (ds.make_moons, {}, 2),
    (ds.make_circles, {}, 2),
    (ds.make_spirals, {}, 3),
    (ds.make_spirals, {"classes": 5}, 5),
]


@pytest.mark.parametrize("fn,kwargs,k", CLASSIFIERS)
def test_classification_shapes_dtypes_balance(fn, kwargs, k):
    X, y = fn(n=101, seed=1, **kwargs)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.min() >= 101 // k - 1 and counts.max() <= 101 // k + 2


@pytest.mark.parametrize("fn,kwargs,k", CLASSIFIERS)
def test_classification_determinism(fn, kwargs, k):
    X1, y1 = fn(n=80, seed=3, **kwargs)
    X2, y2 = fn(n=80, seed=3, **kwargs)
    X3, _ = fn(n=80, seed=4, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


def test_rows_are_shuffled():
    for fn in (ds.make_xor, ds.make_blobs, ds.make_spirals):
        _, y = fn(n=200, seed=0)
        assert np.any(np.diff(y) != 0) and np.sum(np.diff(y) != 0) > 20, fn.__name__


def _linearly_separable(X, y):
    """Exact check: a hard-margin linear SVM with huge C reaches 100% training accuracy."""
    from sklearn.svm import LinearSVC

    clf = LinearSVC(C=1e4, max_iter=200_000, tol=1e-6).fit(X, y)
    return clf.score(X, y) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_blobs_linearly_separable(seed):
    X, y = ds.make_blobs(n=200, seed=seed)
    assert _linearly_separable(X, y)
    # least squares on +-1 targets separates them too
    A = np.c_[X, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
    assert np.all(np.sign(A @ w) == 2 * y - 1)


def test_blobs_multiclass_separable_and_explicit_centers():
    X, y = ds.make_blobs(n=300, centers=3, seed=0)
    assert _linearly_separable(X, y)
    X, y = ds.make_blobs(n=50, centers=[[0, 0, 0], [10, 10, 10]], std=1.0, seed=0)
    assert X.shape == (50, 3)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [10, 10, 10], atol=1.0)


def test_xor_and_circles_not_linearly_separable():
    X, y = ds.make_xor(n=200, noise=0.1)
    assert not _linearly_separable(X, y)
    # cluster structure: class = xor of the rounded coordinates
    bits = (X > 0.5).astype(int)
    assert np.mean((bits[:, 0] ^ bits[:, 1]) == y) > 0.99
    Xc, yc = ds.make_circles(n=200, noise=0.0)
    r = np.linalg.norm(Xc, axis=1)
    np.testing.assert_allclose(r[yc == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(r[yc == 1], 0.5, atol=1e-5)


def test_spirals_radius_range():
    X, y = ds.make_spirals(n=300, classes=3, noise=0.0)
    r = np.linalg.norm(X, axis=1)
    assert r.min() == pytest.approx(0.0, abs=1e-6) and r.max() == pytest.approx(1.0, abs=1e-6)


def test_noise_zero_vs_positive_and_errors():
    X0, _ = ds.make_xor(n=40, noise=0.0)
    assert set(np.unique(X0)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="noise"):
        ds.make_xor(noise=-1)
    with pytest.raises(ValueError, match="n must be"):
        ds.make_moons(n=0)
    with pytest.raises(ValueError, match="classes"):
        ds.make_spirals(classes=1)


def test_regression_curve():
    X, y = ds.make_regression_curve(n=64, noise=0.1, seed=0)
    assert X.shape == (64, 1) and y.shape == (64, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert np.all(np.diff(X[:, 0]) >= 0) and X.min() >= -3 and X.max() <= 3
    resid = y[:, 0] - ds.regression_curve(X[:, 0])
    assert 0.05 < resid.std() < 0.2  # noise level ~ 0.1
    X0, y0 = ds.make_regression_curve(n=64, noise=0.0, seed=0)
    np.testing.assert_allclose(y0[:, 0], ds.regression_curve(X0[:, 0]), atol=1e-6)
    X2, _ = ds.make_regression_curve(n=64, seed=1)
    assert not np.allclose(X, X2)


def test_periodic_series_and_windows():
    s = ds.make_periodic_series(n_steps=500, noise=0.0, seed=0, periods=(50,))
    assert s.shape == (500,) and s.dtype == np.float32
    np.testing.assert_allclose(s[:-50], s[50:], atol=1e-5)  # period 50
    s1 = ds.make_sine_series(300, noise=0.1, seed=0)
    s2 = ds.make_sine_series(300, noise=0.1, seed=0)
    s3 = ds.make_sine_series(300, noise=0.1, seed=1)
    np.testing.assert_array_equal(s1, s2)
    assert not np.allclose(s1, s3)
    X, y = ds.make_windows(np.arange(10), window=3, horizon=2)
    assert X.shape == (6, 3, 1) and y.shape == (6, 2)
    np.testing.assert_array_equal(X[2, :, 0], [2, 3, 4])
    np.testing.assert_array_equal(y[2], [5, 6])
    with pytest.raises(ValueError, match="too short"):
        ds.make_windows(np.arange(4), window=4)


def test_load_digits_is_the_one_split():
    (xtr, ytr), (xva, yva), (xte, yte) = ds.load_digits()
    assert xtr.shape == (1077, 64) and xva.shape == (360, 64) and xte.shape == (360, 64)
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert 0.0 <= xtr.min() and xtr.max() <= 1.0 and xtr.max() == 1.0
    # stratified: every part keeps the class proportions of the whole to within one sample per class
    counts = [np.bincount(y, minlength=10) for y in (ytr, yva, yte)]
    total = sum(counts)
    for c, n in zip(counts, (1077, 360, 360)):
        np.testing.assert_allclose(c, total * n / 1797, atol=1.0)
    # the three parts are disjoint subsets of scikit-learn's 1,797 images (compare by original index)
    from sklearn.datasets import load_digits as sk_load
    index = {row.tobytes(): i for i, row in enumerate((sk_load().data / 16).astype(np.float32))}
    ids = [{index[r.tobytes()] for r in x} for x in (xtr, xva, xte)]
    assert sum(map(len, ids)) > 1790 and not (ids[0] & ids[2]) and not (ids[1] & ids[2]) and not (ids[0] & ids[1])
    # the same split on every call and with every option
    (xtr2, _), (xva2, _), (xte2, _) = ds.load_digits(flatten=False, normalize=False)
    np.testing.assert_array_equal(xte2.reshape(-1, 64) / 16, xte)
    np.testing.assert_array_equal(xva2.reshape(-1, 64) / 16, xva)


def test_load_digits_options():
    (xtr, ytr), (xva, yva), (xte, yte) = ds.load_digits(flatten=False, normalize=False, one_hot=True)
    assert xtr.shape[1:] == (8, 8, 1) and xtr.dtype == np.uint8 and xtr.max() == 16
    assert len(xtr) + len(xva) + len(xte) == 1797
    assert ytr.shape == (len(xtr), 10) and ytr.dtype == np.float32 and yte.shape == (360, 10)
    np.testing.assert_array_equal(ytr.sum(axis=1), 1)
    with pytest.raises(TypeError, match="flatten"):
        ds.load_digits(flatten="yes")
    with pytest.raises(TypeError):
        ds.load_digits(test_size=0.5)  # one split for the whole book: no split arguments


def test_train_test_split_wrapper():
    X, y = np.arange(40).reshape(20, 2), np.arange(20) % 2
    Xtr, Xte, ytr, yte = ds.train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    assert len(Xte) == 5 and len(Xtr) == 15
    np.testing.assert_array_equal(Xtr[:, 0] // 2 % 2, ytr)  # rows stay aligned
    again = ds.train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    np.testing.assert_array_equal(Xtr, again[0])


def test_one_hot_values_and_errors():
    out = ds.one_hot(np.array([2, 0, 1]), 4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert out.dtype == np.float32
    assert ds.one_hot([[1], [0]]).shape == (2, 2)  # (n, 1) column and inferred num_classes
    with pytest.raises(ValueError, match=r"\[0, 2\].*found label 3"):
        ds.one_hot([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="found label -1"):
        ds.one_hot([0, -1], num_classes=3)
    with pytest.raises(TypeError, match="integer"):
        ds.one_hot(np.array([0.0, 1.5]))
    with pytest.raises(ValueError, match="shape"):
        ds.one_hot(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="num_classes"):
        ds.one_hot([0, 1], num_classes=0)
    with pytest.raises(ValueError, match="empty"):
        ds.one_hot(np.array([], dtype=int))


def test_no_tensorflow_import():
    code = ("import sys, dlkit.datasets, dlkit.plot; dlkit.datasets.load_digits(); "
            "dlkit.datasets.make_moons(); assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
