"""Small synthetic data sets, generated offline and deterministic given ``seed``.

Classification generators return ``(X, y)`` with ``X`` float32 of shape ``(n, 2)`` and
``y`` int64 class ids of shape ``(n,)``; the rows are shuffled (so a plain slice is a fair
mini-batch). Regression and series generators return float32 arrays (see each docstring).
"""
import numpy as np

__all__ = [
    "make_xor", "make_blobs", "make_moons", "make_circles", "make_spirals",
    "make_regression_curve", "regression_curve", "make_periodic_series", "make_sine_series",
    "make_windows",
]


def _check_n(n, name="n", minimum=1):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(noise, name="noise"):
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {noise!r}")
    return noise


def _balanced_labels(n, classes, rng):
    """n labels with class counts differing by at most one, shuffled."""
    y = np.arange(n, dtype=np.int64) % classes
    rng.shuffle(y)
    return y


def _finish(X, y, rng):
    perm = rng.permutation(len(y))
    return np.ascontiguousarray(X[perm], dtype=np.float32), np.asarray(y[perm], dtype=np.int64)


def make_xor(n=200, noise=0.1, seed=0):
    """XOR problem: four Gaussian clusters at the corners of the unit square.

    Corners (0, 0) and (1, 1) are class 0, (0, 1) and (1, 0) are class 1; ``noise`` is the
    standard deviation of each cluster. No straight line separates the classes.
    Returns X (n, 2) float32, y (n,) int64.
    """
    n, noise = _check_n(n), _check_noise(noise)
    rng = np.random.default_rng(seed)
    corner = _balanced_labels(n, 4, rng)
    bits = np.stack([corner // 2, corner % 2], axis=1).astype(np.float64)
    X = bits + noise * rng.standard_normal((n, 2))
    y = (bits[:, 0] != bits[:, 1]).astype(np.int64)
    return _finish(X, y, rng)


def make_blobs(n=200, centers=2, std=0.5, seed=0):
    """Isotropic Gaussian blobs, linearly separable (one-vs-rest) with the defaults.

    ``centers`` is a number of classes k (the centres are placed on a circle so that
    neighbouring centres are 5 units apart, i.e. 5 standard deviations from the boundary
    halfway between them with ``std=0.5``) or an array of shape (k, d) of explicit centres.
    Returns X (n, d) float32 (d = 2 for an integer ``centers``), y (n,) int64.
    """
    n, std = _check_n(n), _check_noise(std, "std")
    if np.ndim(centers) == 0:
        k = _check_n(centers, "centers", minimum=1)
        if k == 1:
            C = np.zeros((1, 2))
        else:
            radius = 2.5 / np.sin(np.pi / k)
            angles = np.pi / 4 + 2 * np.pi * np.arange(k) / k
            C = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or len(C) == 0:
            raise ValueError(f"centers must be an int or an array of shape (k, d), got shape {C.shape}")
        k = len(C)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n, k, rng)
    X = C[y] + std * rng.standard_normal((n, C.shape[1]))
    return _finish(X, y, rng)


def make_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Returns X (n, 2) float32, y (n,) int64.
    """
    from sklearn.datasets import make_moons as _moons

    X, y = _moons(n_samples=_check_n(n), noise=_check_noise(noise), shuffle=True, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def make_circles(n=200, noise=0.05, factor=0.5, seed=0):
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1).

    Uses scikit-learn's ``make_circles``. Returns X (n, 2) float32, y (n,) int64.
    """
    from sklearn.datasets import make_circles as _circles

    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    X, y = _circles(n_samples=_check_n(n), noise=_check_noise(noise), factor=factor,
                    shuffle=True, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def make_spirals(n=300, classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class (the CS231n spiral data set).

    Each arm goes from the origin (radius 0) to radius 1 while its angle sweeps 4 radians;
    ``noise`` is the standard deviation of the Gaussian noise added to the angle.
    Returns X (n, 2) float32, y (n,) int64.
    """
    n, noise = _check_n(n), _check_noise(noise)
    classes = _check_n(classes, "classes", minimum=2)
    rng = np.random.default_rng(seed)
    counts = [n // classes + (j < n % classes) for j in range(classes)]
    X, y = [], []
    for j, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, m) + noise * rng.standard_normal(m)
        X.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(m, j, dtype=np.int64))
    return _finish(np.concatenate(X), np.concatenate(y), rng)


def regression_curve(x):
    """The noise-free target of :func:`make_regression_curve`: ``sin(1.5 x) + 0.1 x**2``."""
    x = np.asarray(x, dtype=np.float64)
    return (np.sin(1.5 * x) + 0.1 * x ** 2).astype(np.float32)


def make_regression_curve(n=100, noise=0.1, seed=0, low=-3.0, high=3.0):
    """1-D regression: x uniform in [low, high], y = ``regression_curve(x)`` + Gaussian noise.

    Returns X (n, 1) float32 (sorted by x, handy for line plots) and y (n, 1) float32, the
    shape of a ``Dense(1)`` model output.
    """
    n, noise = _check_n(n), _check_noise(noise)
    if not high > low:
        raise ValueError(f"need high > low, got low={low!r}, high={high!r}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(low, high, size=n))
    y = regression_curve(x) + noise * rng.standard_normal(n)
    return x.reshape(-1, 1).astype(np.float32), y.reshape(-1, 1).astype(np.float32)


def make_periodic_series(n_steps=1000, noise=0.1, seed=0, periods=(50.0, 12.0), trend=0.0):
    """A univariate time series for forecasting: a sum of sines plus a linear trend and noise.

    ``series[t] = sum_i sin(2 pi t / periods[i] + phase_i) / (i + 1) + trend * t / n_steps + noise``
    with random phases (from ``seed``). Returns a float32 array of shape (n_steps,);
    cut it into supervised windows with :func:`make_windows`.
    """
    n_steps, noise = _check_n(n_steps, "n_steps"), _check_noise(noise)
    periods = np.atleast_1d(np.asarray(periods, dtype=np.float64))
    if periods.ndim != 1 or np.any(periods <= 0):
        raise ValueError(f"periods must be positive numbers, got {periods!r}")
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, size=len(periods))
    t = np.arange(n_steps, dtype=np.float64)
    series = sum(np.sin(2 * np.pi * t / p + ph) / (i + 1) for i, (p, ph) in enumerate(zip(periods, phases)))
    series = series + trend * t / n_steps + noise * rng.standard_normal(n_steps)
    return series.astype(np.float32)


def make_sine_series(n_steps=1000, noise=0.1, seed=0, period=50.0):
    """A single noisy sine wave of the given period; float32 array of shape (n_steps,)."""
    return make_periodic_series(n_steps, noise=noise, seed=seed, periods=(period,))


def make_windows(series, window, horizon=1):
    """Cut a 1-D series into (input window, next ``horizon`` values) pairs.

    Returns X (m, window, 1) float32, ready for an RNN (batch, time, features), and
    y (m, horizon) float32, where m = len(series) - window - horizon + 1.
    """
    s = np.asarray(series, dtype=np.float32)
    if s.ndim != 1:
        raise ValueError(f"series must be 1-D (n_steps,), got shape {s.shape}")
    window, horizon = _check_n(window, "window"), _check_n(horizon, "horizon")
    m = len(s) - window - horizon + 1
    if m < 1:
        raise ValueError(f"series of length {len(s)} is too short for window={window} + horizon={horizon}")
    idx = np.arange(m)[:, None]
    X = s[idx + np.arange(window)][..., None]
    y = s[idx + window + np.arange(horizon)]
    return X, y
