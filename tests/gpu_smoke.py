"""Run the "Scale it up on a GPU" sections of a chapter the way CI does: smoke mode, local data.

A GPU section is the set of code cells tagged ``gpu`` (also ``skip-execution`` and ``nbval-skip``,
so the book and nbval leave them alone). They are the reader's code, unchanged; CI runs them with:

- ``DLBOOK_SMOKE=1``: the one switch each cell reads in its first lines (tiny sizes, one epoch);
- MNIST / Fashion-MNIST in their real file formats (``mnist.npz``, gzipped IDX) served from
  127.0.0.1 through ``DLKIT_DATA_URL``, with their hashes in a ``DLKIT_DATA_REGISTRY`` file;
- ``tensorflow_datasets`` through ``tfds.testing.mock_data`` (random examples of the real feature spec);
- keras-hub presets: the built-in preset name resolves to a tiny preset saved here with
  ``save_to_preset`` (same classes, same files, a few thousand weights).

The notebook is executed as a reader who jumps to the section would run it: the set-up cell, then
the GPU cells only, in a fresh kernel. ``python tests/gpu_smoke.py chapters/NN_*.ipynb`` runs one
chapter by hand and prints the cells' output.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import struct
import sys
import threading
from functools import partial
from pathlib import Path

import nbformat
import numpy as np

GPU_TAG = "gpu"
TFDS_EXAMPLES = 64

PREAMBLE = r'''
# Test harness (not part of the chapter): tfds and keras-hub answer from local mocks.
import json as _json, os as _os
import tensorflow_datasets as _tfds
_tfds_mock = _tfds.testing.mock_data(num_examples=int(_os.environ["DLBOOK_SMOKE_TFDS_EXAMPLES"]))
_tfds_mock.__enter__()
from keras_hub.src.utils import preset_utils as _preset_utils
import keras_hub as _keras_hub  # registers the built-in presets
for _name, _path in _json.loads(_os.environ["DLBOOK_SMOKE_PRESETS"]).items():
    _preset_utils.BUILTIN_PRESETS[_name]["kaggle_handle"] = _path
'''


def gpu_cell_indices(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and GPU_TAG in c.metadata.get("tags", [])]


def _images(rng, n, classes=10):
    """Random 28x28 uint8 images with a class-dependent bright bar, so a model can learn something."""
    y = rng.integers(0, classes, n).astype(np.uint8)
    x = rng.integers(0, 80, (n, 28, 28)).astype(np.uint8)
    for k in range(classes):
        x[y == k, 2 + 2 * k: 4 + 2 * k, 4:24] = 220
    return x, y


def _idx_gz(array, magic):
    header = struct.pack(">" + "I" * (1 + array.ndim), magic, *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def write_image_data(folder: Path, n_train=2_000, n_test=500) -> dict:
    """mnist.npz and the four Fashion-MNIST IDX files in ``folder``; returns their sha256 registry."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    (xtr, ytr), (xte, yte) = _images(rng, n_train), _images(rng, n_test)
    buf = io.BytesIO()
    np.savez(buf, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    files = {"mnist.npz": buf.getvalue()}
    (xtr, ytr), (xte, yte) = _images(rng, n_train), _images(rng, n_test)
    files.update({"train-labels-idx1-ubyte.gz": _idx_gz(ytr, 2049), "train-images-idx3-ubyte.gz": _idx_gz(xtr, 2051),
                  "t10k-labels-idx1-ubyte.gz": _idx_gz(yte, 2049), "t10k-images-idx3-ubyte.gz": _idx_gz(xte, 2051)})
    registry = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        registry[name] = "sha256:" + hashlib.sha256(data).hexdigest()
    return registry


class LocalServer:
    """A static file server on 127.0.0.1 (a thread of this process)."""

    def __init__(self, folder: Path):
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def save_tiny_bert_preset(folder: Path) -> Path:
    """A BERT text classifier preset with the files of ``bert_tiny_en_uncased``, a few thousand weights."""
    import keras_hub

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    words += ["the", "movie", "film", "good", "bad", "great", "was", "is", "and", "not", "##s", "##ing"]
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=words, lowercase=True)
    backbone = keras_hub.models.BertBackbone(vocabulary_size=len(words), num_layers=1, num_heads=2, hidden_dim=16,
                                             intermediate_dim=32, max_sequence_length=64)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=64)
    task = keras_hub.models.BertTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)
    folder.mkdir(parents=True, exist_ok=True)
    task.save_to_preset(str(folder))
    return folder


def smoke_env(tmp: Path) -> tuple[dict, LocalServer]:
    """Environment variables for a smoke run, and the data server they point at (stop it after)."""
    data = tmp / "served"
    registry = write_image_data(data)
    (tmp / "registry.json").write_text(json.dumps(registry))
    server = LocalServer(data)
    presets = {"bert_tiny_en_uncased": str(save_tiny_bert_preset(tmp / "presets" / "bert_tiny_en_uncased"))}
    env = {"DLBOOK_SMOKE": "1", "DLKIT_DATA_URL": server.url, "DLKIT_DATA_REGISTRY": str(tmp / "registry.json"),
           "DLKIT_DATA": str(tmp / "cache"), "DLBOOK_SMOKE_TFDS_EXAMPLES": str(TFDS_EXAMPLES),
           "DLBOOK_SMOKE_PRESETS": json.dumps(presets), "TFDS_DATA_DIR": str(tmp / "tfds"),
           "KAGGLEHUB_CACHE": str(tmp / "kaggle"), "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    return env, server


def run_gpu_section(path: Path, env: dict, workdir: Path, timeout=600):
    """Execute the set-up cell and the GPU cells of one chapter in a fresh kernel with ``env``.

    Returns ``(number of GPU cells, the executed notebook)``; raises nbclient's CellExecutionError
    (with the cell's traceback) if a cell fails."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    gpu = gpu_cell_indices(nb)
    if not gpu:
        return 0, nb
    setup = next(c for c in nb.cells if c.cell_type == "code")
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    run.cells = [nbformat.v4.new_code_cell(PREAMBLE), setup] + [nb.cells[i] for i in gpu]
    workdir.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(run, timeout=timeout, kernel_name="python3", skip_cells_with_tag="dlbook-run-every-cell",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return len(gpu), run


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells[2:]:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "".join(parts)


if __name__ == "__main__":
    import tempfile
    import time

    tmp = Path(tempfile.mkdtemp(prefix="gpu-smoke-"))
    env, server = smoke_env(tmp)
    try:
        for arg in sys.argv[1:]:
            t0 = time.perf_counter()
            n, nb = run_gpu_section(Path(arg), env, tmp / Path(arg).stem)
            print(f"===== {arg}: {n} GPU cell(s) in {time.perf_counter() - t0:.1f} s\n{outputs_text(nb)}")
    finally:
        server.stop()
