"""Helpers of ``Sequential.fit``: data validation, label checks against the loss, summary table."""
import contextlib
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


def check_xy(x, y, dtype, what="x"):
    """Cast x to the model dtype and check that x and y have the same number of samples."""
    x = as_array(x, what).astype(dtype, copy=False)
    y = as_array(y, "y" if what == "x" else f"{what} labels")
    if len(x) != len(y):
        raise ValueError(f"{what} and y must have the same number of samples, got {len(x)} inputs and "
                         f"{len(y)} labels")
    if len(x) == 0:
        raise ValueError(f"{what} is empty")
    return x, y


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
    """A Keras-like summary table as a list of lines."""
    cols = (33, 26, 12)
    width = sum(cols) + 2
    line = lambda a, b, c: f" {a:<{cols[0]}}{b:<{cols[1]}}{c:>{cols[2]}}"  # noqa: E731
    out = [f'Model: "{model.name}"', "_" * width, line("Layer (type)", "Output Shape", "Param #"), "=" * width]
    shapes = model._output_shapes or [None] * len(model.layers)
    for i, (layer, shape) in enumerate(zip(model.layers, shapes)):
        n = layer.count_params() if layer.built else 0
        out.append(line(f"{layer.name} ({type(layer).__name__})"[:cols[0] - 1],
                        format_shape(shape) if shape is not None else "?", f"{n or 0:,}"))
        out.append(("_" if i < len(model.layers) - 1 else "=") * width)
    if not model.layers:
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


# -- BLAS threads ------------------------------------------------------------------------------------
# NumPy's OpenBLAS busy-waits with one thread per core; when the cores are shared (pytest-xdist, several
# notebooks, TensorFlow in the same process) a small (128 x 256) @ (256 x 256) product can take 10-50x
# longer than single-threaded. The matrices of textbook models are small, so fit/evaluate/predict run
# with ``BLAS_THREADS`` threads (None: leave the BLAS library alone). Change it with set_blas_threads(n).
BLAS_THREADS = 1
_controller = None


def blas_limit():
    """Context manager limiting BLAS threads to BLAS_THREADS (a no-op without threadpoolctl)."""
    global _controller
    if BLAS_THREADS is None:
        return contextlib.nullcontext()
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return contextlib.nullcontext()
        _controller = ThreadpoolController()
    return _controller.limit(limits=BLAS_THREADS, user_api="blas")


def set_blas_threads(n):
    """Number of BLAS threads used inside ``Sequential.fit/evaluate/predict`` (``None``: no limit)."""
    global BLAS_THREADS
    if n is not None and int(n) < 1:
        raise ValueError(f"set_blas_threads: n must be a positive int or None, got {n!r}")
    BLAS_THREADS = None if n is None else int(n)


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
