"""Saving and loading dlkit.np models: an open format, a ZIP archive of JSON and ``.npz`` (no pickle).

>>> model.save("model.dlk")                         # architecture + weights + compile settings
>>> model = dlkit.np.models.load_model("model.dlk")
>>> model.save_weights("model.weights.npz"); model.load_weights("model.weights.npz")

**The ``.dlk`` file** (``format_version`` 1) is a ZIP archive (readable with ``unzip`` or :mod:`zipfile`):

- ``config.json``: ``{"format": "dlkit.np", "format_version": 1, "dlkit_version": ..., "model": M,
  "compile": C or null}``. A model ``M`` is ``{"class_name": "Sequential", "name", "trainable", "layers":
  [L...], "input": {"shape", "dtype", "name"} or null, "build_input_shape": shape or null}`` or
  ``{"class_name": "Functional", "name", "trainable", "layers": [L...], "inputs": [{"shape", "dtype",
  "name"}...], "nodes": [N...], "outputs": [ref...], "single_input", "single_output"}``. Shapes include
  the batch axis (``null`` = any size). A layer ``L`` is ``{"class_name", "config": get_config(),
  "trainable"}`` (a nested model is an ``M``); a value that is not plain JSON is tagged:
  ``{"__tuple__": [...]}``, ``{"__activation__": name, "kwargs": {...}}``, ``{"__regularizer__": "L2",
  "config": {...}}``, ``{"__schedule__": class name, "config": {...}}``. A node ``N`` (one layer call, in
  topological order) is ``{"layer": layer name, "inputs": [ref...], "call": [inputs, [args...],
  {kwargs}], "training": null|bool}`` where ``{"__tensor__": i}`` in ``call`` stands for ``inputs[i]``.
  A tensor reference ``ref`` is ``[k, j]``: output ``j`` of entry ``k`` of the list ``inputs + nodes``.
  ``C`` is ``{"optimizer": {"class_name", "config"}, "loss": {"class_name", "config"} (or a list),
  "metrics": [...]}``.
- ``weights.npz``: ``numpy.savez`` of every weight, key ``"<layer name>/<weight name>"`` (``model.params``
  keys, e.g. ``"dense/kernel"``, ``"block/self_attention/query/kernel"``), exact values and dtypes.
- ``optimizer.npz`` (if compiled and trained): the optimizer state, ``"<weight key>/<state name>"``
  (e.g. ``"dense/kernel/momentum"``) and ``"__iterations__"``, so ``fit`` continues where it stopped.

**A weights file** (``*.weights.npz``) is ``weights.npz`` plus ``"__format__" = "dlkit.np/1"``.
Files are written atomically (temporary file in the same directory, fsync, ``os.replace``) and read with
``allow_pickle=False``. Layer classes are found by name in ``dlkit.np.layers`` or ``custom_objects``.
"""
import io
import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from dlkit.np import _model_config as C

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FORMAT", "FORMAT_VERSION"]

FORMAT, FORMAT_VERSION = "dlkit.np", 1
_EXPECTED = ("a dlkit.np model file: a ZIP archive holding config.json and weights.npz, written by "
             "model.save('model.dlk') / dlkit.np.saving.save_model")


# -- atomic writes -------------------------------------------------------------------------------------
def _atomic_write(filepath, write):
    """``write(fileobj)`` into a temporary file next to ``filepath``, fsync, then ``os.replace`` it: an
    interrupted save leaves the previous file (if any) untouched and no temporary file behind."""
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {filepath!r}: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(filepath) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:                                   # make the rename itself durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# -- weights -------------------------------------------------------------------------------------------
def _weights_of(model):
    return {k: np.asarray(v) for k, v in model.params.items()}


def _by_layer(keys):
    groups = {}
    for k in keys:
        layer, _, weight = k.partition("/")
        groups.setdefault(layer, []).append(weight)
    return list(groups.items())


def _match(params, arrays, source, model):
    """``{model key: file key}``: by name, else (as Keras' load_weights) by layer position when the file
    has the same layers in the same order with the same weight names (a fresh copy of the architecture
    gets other automatic layer names: dense_3 instead of dense)."""
    if set(params) == set(arrays):
        return {k: k for k in params}
    mine, theirs = _by_layer(params), _by_layer(arrays)
    if len(mine) == len(theirs) and all(a[1] == b[1] for a, b in zip(mine, theirs)):
        return {f"{la}/{w}": f"{lb}/{w}" for (la, ws), (lb, _) in zip(mine, theirs) for w in ws}
    missing = [k for k in params if k not in arrays]
    extra = [k for k in arrays if k not in params]
    msg = f"{source}: the weights do not match the model '{model.name}'"
    if missing:
        msg += f"; missing in the file: {missing[:8]}" + (" ..." if len(missing) > 8 else "")
    if extra:
        msg += f"; in the file but not in the model: {extra[:8]}" + (" ..." if len(extra) > 8 else "")
    pos = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a[1] != b[1]), None)
    if len(mine) != len(theirs):
        msg += (f"; matching by position fails too: the model has {len(mine)} layers with weights, "
                f"the file {len(theirs)}")
    elif pos is not None:
        msg += (f"; matching by position fails too: layer '{mine[pos][0]}' has weights {mine[pos][1]}, the "
                f"file's layer '{theirs[pos][0]}' has {theirs[pos][1]}")
    raise ValueError(msg + " (keys are '<layer name>/<weight name>')")


def _assign_weights(model, arrays, source):
    """Copy ``arrays`` (``{"<layer>/<weight>": array}``) into the model's weights, in place."""
    params = model.params
    if not params and arrays:
        raise ValueError(f"{source}: the model has no weights yet; build it first (call it on a batch, or "
                         f"start the Sequential with dnp.Input(shape)) before loading weights")
    pairs = _match(params, arrays, source, model)
    for k, p in params.items():
        w = arrays[pairs[k]]
        if w.shape != p.shape:
            layer, weight = k.split("/", 1)
            other = "" if pairs[k] == k else f" (from '{pairs[k]}')"
            raise ValueError(f"{source}: layer '{layer}', weight '{weight}' has shape {w.shape} in the "
                             f"file{other} but {p.shape} in the model")
    for k, p in params.items():
        p[...] = arrays[pairs[k]]     # in place: optimizer state keyed on the array stays valid


def _read_npz(data, source, what):
    try:
        with np.load(io.BytesIO(data) if isinstance(data, bytes) else data, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ValueError(f"{source}: {what} is corrupt or truncated ({type(e).__name__}: {e})") from None


def save_weights(model, filepath):
    """Write the model's weights to ``filepath`` (by convention ``*.weights.npz``), atomically."""
    arrays = _weights_of(model)
    if "__format__" in arrays:
        raise ValueError("a weight may not be named '__format__'")
    arrays["__format__"] = np.array(f"{FORMAT}/{FORMAT_VERSION}")
    _atomic_write(filepath, lambda f: np.savez(f, **arrays))


def load_weights(model, filepath):
    """Load weights saved by :func:`save_weights` (or the weights of a ``.dlk`` model file) into ``model``."""
    source = os.fspath(filepath)
    if not os.path.exists(source):
        raise FileNotFoundError(f"no such weights file: {source!r}")
    if not zipfile.is_zipfile(source):
        raise ValueError(f"{source}: not a dlkit.np weights file (expected a .npz archive written by "
                         f"model.save_weights('model.weights.npz'))")
    with zipfile.ZipFile(source) as zf:
        names = set(zf.namelist())
    if "config.json" in names:
        _, arrays, _ = _read_model_file(source)
    else:
        arrays = _read_npz(source, source, "the weights archive")
        tag = arrays.pop("__format__", None)
        if tag is None:
            raise ValueError(f"{source}: not a dlkit.np weights file (no '__format__' entry; expected a file "
                             f"written by model.save_weights)")
        fmt, _, version = str(tag).partition("/")
        if fmt != FORMAT or version != str(FORMAT_VERSION):
            raise ValueError(f"{source}: weights format {str(tag)!r}; this dlkit reads "
                             f"'{FORMAT}/{FORMAT_VERSION}'")
    _assign_weights(model, arrays, source)


# -- whole models --------------------------------------------------------------------------------------
def save_model(model, filepath):
    """Save architecture, weights, compile settings and optimizer state to one ``.dlk`` file."""
    import dlkit
    config = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "dlkit_version": getattr(dlkit, "__version__", "unknown"),
              "model": C.model_config(model), "compile": C.compile_config(model)}
    text = json.dumps(config, indent=1, allow_nan=True)
    weights = _npz_bytes(_weights_of(model))
    state = C.optimizer_state(model)
    opt = _npz_bytes(state) if state else None

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            zf.writestr("config.json", text, compress_type=zipfile.ZIP_DEFLATED)
            # deflated (lossless), so that a truncated .dlk cannot look like the inner .npz archive
            zf.writestr("weights.npz", weights, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            if opt is not None:
                zf.writestr("optimizer.npz", opt, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    _atomic_write(filepath, write)


def _read_model_file(source):
    """``(config dict, weights, optimizer state or None)``; a ValueError for anything but a valid file."""
    try:
        with zipfile.ZipFile(source) as zf:
            names = set(zf.namelist())
            if "config.json" not in names:
                if "__format__.npy" in names:
                    raise ValueError(f"{source}: this is a weights file (model.save_weights); build the model "
                                     f"and call model.load_weights({source!r}); expected {_EXPECTED}")
                raise ValueError(f"{source}: the archive has no config.json ({sorted(names)[:5]}; a foreign or "
                                 f"truncated file); "
                                 f"expected {_EXPECTED}")
            if "model.weights.h5" in names or "metadata.json" in names:
                raise ValueError(f"{source}: this looks like a Keras .keras file; load it with "
                                 f"keras.saving.load_model and convert it with dlkit.np.keras_bridge.from_keras; "
                                 f"expected {_EXPECTED}")
            try:
                config = json.loads(zf.read("config.json").decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise ValueError(f"{source}: config.json is not valid JSON ({e}); expected {_EXPECTED}") from None
            if not isinstance(config, dict) or config.get("format") != FORMAT:
                fmt = config.get("format") if isinstance(config, dict) else None
                raise ValueError(f"{source}: config.json has format {fmt!r}, not {FORMAT!r}; expected {_EXPECTED}")
            if config.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{source}: format_version {config.get('format_version')!r}; this version of "
                                 f"dlkit reads format_version {FORMAT_VERSION} (save the model again with the "
                                 f"dlkit that wrote it, or upgrade dlkit)")
            if "weights.npz" not in names:
                raise ValueError(f"{source}: the archive has no weights.npz; expected {_EXPECTED}")
            weights = _read_npz(zf.read("weights.npz"), source, "weights.npz")
            state = _read_npz(zf.read("optimizer.npz"), source, "optimizer.npz") \
                if "optimizer.npz" in names else None
    except zipfile.BadZipFile as e:
        raise ValueError(f"{source}: not a valid ZIP archive or truncated ({e}); expected {_EXPECTED}") from None
    except (EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{source}: cannot read the archive ({type(e).__name__}: {e}); "
                         f"expected {_EXPECTED}") from None
    return config, weights, state


def load_model(filepath, custom_objects=None, compile=True):
    """Re-create a model saved by :func:`save_model`: same layers, weights and (if ``compile``) compile
    settings and optimizer state. ``custom_objects={"MyLayer": MyLayer}`` supplies user layer classes."""
    source = os.fspath(filepath)
    if not os.path.exists(source):
        raise FileNotFoundError(f"no such model file: {source!r}")
    if not zipfile.is_zipfile(source):
        with open(source, "rb") as f:
            head = f.read(8)
        hint = " (an HDF5 file: a Keras .h5 model?)" if head.startswith(b"\x89HDF") else ""
        raise ValueError(f"{source}: not a ZIP archive (or truncated){hint}; expected {_EXPECTED}")
    config, weights, state = _read_model_file(source)
    try:
        model = C.model_from_config(config["model"], custom_objects or {})
    except (KeyError, TypeError) as e:
        if isinstance(e, TypeError) and "custom_objects" in str(e):
            raise
        raise ValueError(f"{source}: cannot re-create the model from config.json ({type(e).__name__}: {e})") \
            from e
    _assign_weights(model, weights, source)
    if compile and config.get("compile"):
        try:
            C.compile_from_config(model, config["compile"], state)
        except (KeyError, TypeError, ValueError) as e:
            warnings.warn(f"{source}: compile settings not restored ({e}); call model.compile(...) again")
    return model
