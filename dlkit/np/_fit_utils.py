"""Helpers of ``fit``: data validation, label checks against the loss, summary table."""
import sys

import numpy as np

from dlkit.np import losses as losses_module


def as_array(x, what):
    if x is None:
        raise ValueError(f"{what} is None; pass a NumPy array")
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{what} must be a numeric array, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{what} must have a batch axis, got a scalar")
    return x


def check_int(value, what, minimum=1, default=None):
    """``value`` as an int >= minimum (``None`` -> default); a clear error for 0, -1, 2.5, "32", True."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def batch_len(x):
    return len(x[0]) if isinstance(x, list) else len(x)


def take(x, index):
    """x[index] for an array or for each array of a list (several inputs or outputs)."""
    return [v[index] for v in x] if isinstance(x, list) else x[index]


def as_inputs(x, dtype):
    if isinstance(x, (list, tuple)) and x and all(hasattr(v, "shape") for v in x):
        return [as_array(v, f"x[{i}]") for i, v in enumerate(x)]
    x = as_array(x, "x")
    return x.astype(dtype, copy=False) if x.dtype.kind == "f" else x


def check_xy(x, y, dtype, what="x"):
    """Cast x to the model dtype and check that x and y have the same number of samples."""
    if isinstance(x, list):
        x = [as_array(v, f"{what}[{i}]") for i, v in enumerate(x)]
        x = [v.astype(dtype, copy=False) if v.dtype.kind == "f" else v for v in x]
        if len({len(v) for v in x}) != 1:
            raise ValueError(f"{what}: all input arrays need the same number of samples, got "
                             f"{[len(v) for v in x]}")
    else:
        x = as_array(x, what)
        x = x.astype(dtype, copy=False) if x.dtype.kind == "f" or x.dtype == bool else x
    ylabel = "y" if what == "x" else f"{what} labels".replace(" x labels", " y")
    if isinstance(y, (list, tuple)) and y and all(hasattr(v, "shape") for v in y):
        y = [as_array(v, ylabel) for v in y]
        ny = len(y[0])
    else:
        y = as_array(y, ylabel)
        ny = len(y)
    if batch_len(x) != ny:
        raise ValueError(f"{what} and {ylabel} must have the same number of samples, got {batch_len(x)} "
                         f"inputs and {ny} labels")
    if batch_len(x) == 0:
        raise ValueError(f"{what} is empty")
    return x, y


def check_finite(a, what):
    """Refuse NaN/inf in the data before training, so that they are not blamed on the learning rate."""
    for i, v in enumerate(a if isinstance(a, list) else [a]):
        v = np.asarray(v)
        if v.dtype.kind != "f":
            continue
        bad = ~np.isfinite(v)
        if bad.any():
            rows = np.flatnonzero(bad.reshape(len(v), -1).any(axis=1)) if v.ndim else [0]
            name = what if not isinstance(a, list) else f"{what}[{i}]"
            raise ValueError(f"{name} contains {int(bad.sum())} NaN/inf value(s) in {len(rows)} row(s), the "
                             f"first in row {int(rows[0])}; clean the data (drop the rows or impute) "
                             f"before training")


def split_validation(x, y, sample_weight, validation_split):
    """Keras' validation_split: the LAST fraction of the samples (before shuffling) validates."""
    if isinstance(validation_split, bool) or not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    n = batch_len(x)
    split = int(np.floor(n * (1.0 - validation_split)))
    if split == 0 or split == n:
        raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples "
                         f"out of {n}")
    tr, va = slice(0, split), slice(split, None)
    sw = None if sample_weight is None else np.asarray(sample_weight)
    return ((take(x, tr), take(y, tr), None if sw is None else sw[tr]),
            (take(x, va), take(y, va), None if sw is None else sw[va]))


def unpack_validation(data):
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val)")
    return data[0], data[1], (None if len(data) == 2 or data[2] is None else np.asarray(data[2]))


def check_same_shapes(x, xv, what):
    if x is None:
        return
    for a, b in zip(x if isinstance(x, list) else [x], xv if isinstance(xv, list) else [xv]):
        if a.shape[1:] != b.shape[1:]:
            raise ValueError(f"{what} must have the per-example shape of x, {a.shape[1:]}, got {b.shape[1:]} "
                             f"(shape {b.shape})")


def sample_weights(y, sample_weight, class_weight, loss):
    """Per-example weights from ``sample_weight`` and/or ``class_weight`` (None when neither is given)."""
    if sample_weight is None and not class_weight:
        return None
    y0 = y[0] if isinstance(y, list) else np.asarray(y)
    n = len(y0)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if sample_weight is not None and (w.shape[0] != n or not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ValueError(f"sample_weight must hold {n} finite, non-negative weights (one per sample, "
                         f"shape ({n},) or ({n}, timesteps)), got shape {w.shape}")
    if class_weight:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}")
        labels = y0.argmax(-1) if (y0.ndim >= 2 and y0.shape[-1] > 1) else y0.reshape(n, -1)[:, 0]
        labels = np.rint(labels).astype(np.int64)
        missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
        if missing:
            raise ValueError(f"class_weight has no weight for class(es) {missing} present in y")
        cw = np.vectorize(lambda c: float(class_weight[c]), otypes=[np.float64])(labels)
        w = w * (cw if w.ndim == 1 else cw[:, None])
    return w


def update_metrics(metrics, y, y_pred, sample_weight):
    for m in metrics:
        if sample_weight is None:
            m.update_state(y, y_pred)
        else:
            m.update_state(y, y_pred, sample_weight=sample_weight)


def as_callback_list(callbacks):
    if callbacks is None:
        return []
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]


def check_labels(loss, y, out_shape, dtype):
    """Check y against the loss and the model output shape ``(batch, ..., C)``; return y converted once
    to the dtype the loss uses (so no per-batch conversion is needed)."""
    name = type(loss).__name__
    c = out_shape[-1]
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy):
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError(f"{name} expects integer class labels in [0, {c}), but y has non-integer "
                             f"float values (e.g. {y[y != np.round(y)].ravel()[0]!r}); pass integer labels "
                             f"or use a regression loss such as 'mse'")
        if y.ndim == len(out_shape) and y.shape[-1] == c and c > 1:
            raise ValueError(f"{name} expects integer labels of shape {(len(y),) + tuple(out_shape[1:-1])}, "
                             f"but y has shape {y.shape}, which looks one-hot; use "
                             f"'categorical_crossentropy' or pass np.argmax(y, axis=-1)")
        if y.size and (y.min() < 0 or y.max() >= c):
            raise ValueError(f"{name}: labels must be in [0, {c}) for a model with {c} outputs, got values "
                             f"in [{y.min()}, {y.max()}]")
        return y.astype(np.int64, copy=False)
    if isinstance(loss, losses_module.CategoricalCrossentropy):
        if y.ndim != len(out_shape) or y.shape[-1] != c:
            hint = " (integer labels? use 'sparse_categorical_crossentropy')" if y.ndim < len(out_shape) else ""
            raise ValueError(f"{name} expects one-hot labels of shape {(len(y),) + tuple(out_shape[1:])}, "
                             f"got {y.shape}{hint}")
    if isinstance(loss, losses_module.BinaryCrossentropy) and y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{name} expects labels in [0, 1], got values in [{y.min()}, {y.max()}]")
    return y.astype(dtype, copy=False)


def format_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def summary_lines(model):
    """A Keras-like summary table as a list of lines (rows from ``model._summary_rows()``)."""
    cols = (33, 26, 12)
    width = sum(cols) + 2
    line = lambda a, b, c: f" {a:<{cols[0]}}{b:<{cols[1]}}{c:>{cols[2]}}"  # noqa: E731
    out = [f'Model: "{model.name}"', "_" * width, line("Layer (type)", "Output Shape", "Param #"), "=" * width]
    rows = model._summary_rows()
    for i, (label, shape, layer) in enumerate(rows):
        n = layer.count_params() if layer is not None and layer.built else 0
        out.append(line(label[:cols[0] - 1], shape, f"{n or 0:,}"))
        out.append(("_" if i < len(rows) - 1 else "=") * width)
    if not rows:
        out.append("=" * width)
    total = sum(p.size for p in model.weights)
    train = sum(p.size for p in model.trainable_weights)
    nbytes = sum(p.nbytes for p in model.weights)
    out += [f"Total params: {total:,} ({_human(nbytes)})", f"Trainable params: {train:,}",
            f"Non-trainable params: {total - train:,}", "_" * width]
    if not model.built:
        out.insert(4, " (model not built yet: call it on a batch or use build(input_shape) to see shapes)")
    return out


def _human(nbytes):
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024


from dlkit.np.blas import blas_limit, set_blas_threads  # noqa: E402,F401  (moved to dlkit.np.blas)


def postfix(loss, metrics):
    d = {"loss": f"{loss:.4f}"}
    d.update((m.name, f"{m.result():.4f}") for m in metrics)
    return d


def progress(verbose, steps, epoch, epochs):
    if verbose != 1 and verbose != "auto":
        return None
    from tqdm import tqdm
    return tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch", file=sys.stdout,
                leave=True, dynamic_ncols=True)
