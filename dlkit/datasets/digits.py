"""scikit-learn's bundled 8x8 handwritten digits (offline) in the book's one train/validation/test split,
a train/test split helper and one-hot."""
import numpy as np

__all__ = ["load_digits", "train_test_split", "one_hot"]


def train_test_split(*arrays, test_size=0.2, seed=0, stratify=None, shuffle=True):
    """Split arrays into train and test parts (thin wrapper of scikit-learn's function).

    Returns ``a_train, a_test, b_train, b_test, ...`` like scikit-learn; ``seed`` is its
    ``random_state``. Pass ``stratify=y`` to keep the class proportions in both parts.
    """
    from sklearn.model_selection import train_test_split as _split

    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    return _split(*arrays, test_size=test_size, random_state=seed, stratify=stratify, shuffle=shuffle)


def one_hot(y, num_classes=None, dtype=np.float32):
    """One-hot encode integer class ids.

    y: int array of shape (n,) (or (n, 1)) with values in [0, num_classes).
    Returns an array of shape (n, num_classes) and the given dtype (float32 by default).
    ``num_classes=None`` uses ``max(y) + 1``.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"one_hot: expected labels of shape (n,) or (n, 1), got shape {y.shape}")
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"one_hot: labels must be integer class ids, got dtype {y.dtype} "
                        "(convert with y.astype('int64') if the values are whole numbers)")
    if num_classes is None:
        if y.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(y.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer, got {num_classes!r}")
    if y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"one_hot: labels must be in [0, {num_classes - 1}] for num_classes={num_classes}, "
                             f"found label {bad}")
    out = np.zeros((y.shape[0], int(num_classes)), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


# The book's one split of the digits, used by every chapter: 60 % train, 20 % validation, 20 % test,
# stratified (each part keeps the class proportions) and fixed by SPLIT_SEED. Model selection (learning
# rates, epochs, architectures) uses the validation part; the test part is touched once, at the end.
SPLIT_SEED = 0
N_TEST = 360
N_VALIDATION = 360


def load_digits(flatten=True, normalize=True, one_hot=False):
    """The 1,797 8x8 handwritten digits bundled with scikit-learn (no download needed), in the book's split.

    Returns ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``: 1,077 training, 360 validation and
    360 test images. The split is the same on every call and in every chapter (stratified, seed
    ``SPLIT_SEED``); to cross-validate, concatenate train and validation and leave the test part alone.

    - ``flatten=True``: x has shape (n, 64); ``flatten=False``: (n, 8, 8, 1), channels last.
    - ``normalize=True``: x is float32 in [0, 1] (raw pixel / 16); ``False``: raw uint8 in [0, 16].
    - ``one_hot=False``: y is int64 of shape (n,); ``True``: float32 of shape (n, 10).
    """
    from sklearn.datasets import load_digits as _load

    for name, flag in (("flatten", flatten), ("normalize", normalize), ("one_hot", one_hot)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"load_digits: {name} must be True or False, got {flag!r}")
    data = _load()
    x = data.images  # (1797, 8, 8) float64 with integer values 0..16
    y = data.target.astype(np.int64)
    x = (x / 16.0).astype(np.float32) if normalize else x.astype(np.uint8)
    x = x.reshape(len(x), 64) if flatten else x[..., None]
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=N_TEST, seed=SPLIT_SEED, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=N_VALIDATION, seed=SPLIT_SEED,
                                                      stratify=y_rest)
    parts = [(x_train, y_train), (x_val, y_val), (x_test, y_test)]
    if one_hot:
        parts = [(a, _one_hot(b, 10)) for a, b in parts]
    return tuple(parts)


_one_hot = one_hot
