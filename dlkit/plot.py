"""dlkit.plot: the few figures the book draws again and again (matplotlib only).

Every function returns its Axes / Figure and never calls ``plt.show()``: notebooks display
figures automatically, scripts call ``plt.show()`` themselves.
"""
from collections.abc import Mapping

import numpy as np

__all__ = ["plot_history", "plot_decision_boundary", "show_images"]


def _history_dict(history):
    """A History object (Keras or dlkit: has a ``.history`` dict) or a plain dict -> dict."""
    h = getattr(history, "history", history)
    if not isinstance(h, Mapping):
        raise TypeError("plot_history expects a History object (with a .history dict) or a dict of "
                        f"metric name -> list of values per epoch, got {type(history).__name__}")
    return h


def plot_history(history, metrics=("loss",), ax=None):
    """Plot training (and validation ``val_<metric>``, when present) curves per epoch.

    history: ``model.fit(...)`` result or ``{"loss": [...], "val_loss": [...], ...}``.
    metrics: a metric name or a sequence of names, one subplot each.
    ax: an Axes (one metric) or a sequence of Axes (one per metric); created when None.
    Returns the Axes (one metric) or a list of Axes.
    """
    import matplotlib.pyplot as plt

    h = _history_dict(history)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("plot_history: metrics is empty")
    missing = [m for m in metrics if m not in h]
    if missing:
        raise KeyError(f"plot_history: metric(s) {missing} not in the history; available: {sorted(h)}")
    if ax is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] if not isinstance(ax, (list, tuple, np.ndarray)) else list(np.ravel(ax))
        if len(axes) != len(metrics):
            raise ValueError(f"plot_history: got {len(axes)} Axes for {len(metrics)} metrics")
    for a, m in zip(axes, metrics):
        train = np.asarray(h[m], dtype=float)
        a.plot(np.arange(1, len(train) + 1), train, marker=".", label="train")
        if "val_" + m in h:
            val = np.asarray(h["val_" + m], dtype=float)
            a.plot(np.arange(1, len(val) + 1), val, marker=".", label="validation")
        a.set_xlabel("epoch")
        a.set_ylabel(m)
        a.set_title(m)
        a.grid(True, alpha=0.3)
        a.legend()
    return axes[0] if len(axes) == 1 else axes


def _to_class_ids(out, n):
    """predict_fn output -> int class ids of shape (n,)."""
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != n or out.ndim not in (1, 2):
        raise ValueError(f"plot_decision_boundary: predict_fn must return shape ({n},), ({n}, 1) or "
                         f"({n}, num_classes) for {n} grid points, got {out.shape}")
    if out.ndim == 2:  # (n, k) probabilities or scores
        return out.argmax(axis=1)
    if np.issubdtype(out.dtype, np.integer) or out.dtype == bool:
        return out.astype(np.int64)
    if np.all(out == np.round(out)):  # class ids stored as floats
        return out.astype(np.int64)
    if out.min() >= 0 and out.max() <= 1:  # probability of class 1
        return (out > 0.5).astype(np.int64)
    return (out > 0).astype(np.int64)  # a logit / score of class 1


def plot_decision_boundary(predict_fn, X, y, ax=None, resolution=200, padding=0.5):
    """Colour the plane by the class ``predict_fn`` assigns, and scatter the data on top.

    predict_fn: maps a float32 array (m, 2) to class ids (m,), probabilities of class 1
    ((m,) or (m, 1); thresholded at 0.5, or at 0 for scores outside [0, 1]) or per-class
    probabilities / scores (m, k) (argmax). X: (n, 2) points, y: (n,) int labels (or one-hot).
    Returns the Axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(-1).astype(np.int64)
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: X has {len(X)} points but y has {len(y)} labels")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    zz = _to_class_ids(predict_fn(grid), len(grid)).reshape(xx.shape)
    k = int(max(zz.max(), y.max() if y.size else 0)) + 1
    k = max(k, 2)
    colors = plt.get_cmap("tab10").colors if k <= 10 else plt.get_cmap("tab20").colors
    cmap = ListedColormap(colors[:k])
    ax.contourf(xx, yy, zz, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=15, edgecolors="k", linewidths=0.3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


def show_images(images, labels=None, ncols=8, cmap="gray", titles=None):
    """Show a grid of images, titled with ``titles`` (strings) or else ``labels``.

    images: (n, h, w), (n, h, w, 1), (n, h, w, 3) or flattened square images (n, h*w).
    labels: (n,) ints or one-hot (n, k). Returns the Figure (one Axes per image).
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 2:  # flattened square images
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"show_images: cannot reshape flattened images of length {images.shape[1]} "
                             "to squares; pass (n, h, w) images")
        images = images.reshape(len(images), side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (3, 4)):
        raise ValueError(f"show_images: expected images of shape (n, h, w), (n, h, w, 1|3|4) or (n, h*w), "
                         f"got {images.shape}")
    n = len(images)
    if n == 0:
        raise ValueError("show_images: no images to show")
    if titles is None and labels is not None:
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] > 1:
            labels = labels.argmax(axis=1)
        titles = [str(v) for v in labels.reshape(-1)]
    if titles is not None and len(titles) != n:
        raise ValueError(f"show_images: got {n} images but {len(titles)} titles/labels")
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for i, a in enumerate(axes.ravel()):
        if i >= n:
            fig.delaxes(a)
            continue
        a.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
        a.set_xticks([])
        a.set_yticks([])
        if titles is not None:
            a.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig
