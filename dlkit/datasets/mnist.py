"""MNIST and Fashion-MNIST, downloaded once (needs internet the first time) like ``keras.datasets``.

Both return ``(x_train, y_train), (x_test, y_test)`` with uint8 images of shape (n, 28, 28)
(pixels 0..255) and uint8 labels 0..9: 60,000 training and 10,000 test images.
The sha256 hashes are the ones Keras uses for the same files
(keras/src/datasets/mnist.py and fashion_mnist.py).
"""
import gzip
import struct

import numpy as np

from .digits import SPLIT_SEED, train_test_split
from .download import DatasetDownloadError, fetch

__all__ = ["load_mnist", "load_fashion_mnist", "MNIST_REGISTRY", "FASHION_MNIST_REGISTRY",
           "FASHION_MNIST_CLASSES", "VALIDATION_FRACTION"]

# The book's one validation split of each data set: 1/6 of the training images (10,000 of 60,000),
# stratified, fixed by SPLIT_SEED, the same in every chapter. The test images are never part of it.
VALIDATION_FRACTION = 1 / 6

MNIST_REGISTRY = {
    "mnist.npz": "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}

FASHION_MNIST_REGISTRY = {
    "train-labels-idx1-ubyte.gz": "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}

FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _split(train, test, validation):
    """``(train), (test)``, or with ``validation=True`` ``(train), (validation), (test)``."""
    if validation is False:
        return train, test
    if validation is not True:
        raise TypeError(f"validation must be True or False, got {validation!r}")
    x_tr, x_val, y_tr, y_val = train_test_split(*train, test_size=VALIDATION_FRACTION, seed=SPLIT_SEED,
                                                stratify=train[1])
    return (x_tr, y_tr), (x_val, y_val), test


def load_mnist(base_url=None, cache_dir=None, registry=None, progressbar=None, validation=False):
    """Handwritten digits: ``(x_train, y_train), (x_test, y_test)``, uint8, images (n, 28, 28).

    ``validation=True`` returns ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``: the book's
    one validation split, 1/6 of the training images (50,000 / 10,000 / 10,000), stratified and seeded.

    Downloads ``mnist.npz`` (11 MB) once into the cache (see :mod:`dlkit.datasets.download`
    for ``base_url``, ``cache_dir`` and the ``DLKIT_DATA`` / ``DLKIT_DATA_URL`` variables).
    ``registry`` ({file name: sha256}) replaces the built-in hashes (used by the tests).
    """
    path = fetch("mnist.npz", registry or MNIST_REGISTRY, base_url=base_url, cache_dir=cache_dir,
                 progressbar=progressbar)
    try:
        with np.load(path, allow_pickle=False) as f:
            train, test = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    except (KeyError, ValueError, OSError) as exc:
        raise DatasetDownloadError(f"{path} passed its checksum but could not be read as MNIST "
                                   f"(expected arrays x_train, y_train, x_test, y_test): {exc}") from exc
    return _split(train, test, validation)


def _read_idx(path, magic, ndim):
    """Read an IDX file (gzip-compressed) of unsigned bytes with the given magic number."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetDownloadError(f"{path} is too short to be an IDX file")
    got_magic, *dims = struct.unpack(">" + "I" * (1 + ndim), data[:header])
    if got_magic != magic or len(data) - header != int(np.prod(dims)):
        raise DatasetDownloadError(f"{path} is not a valid IDX file (magic {got_magic}, dims {dims}, "
                                   f"{len(data) - header} data bytes)")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_fashion_mnist(base_url=None, cache_dir=None, registry=None, progressbar=None, validation=False):
    """Zalando's Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``, uint8, images (n, 28, 28).

    Class names are in ``FASHION_MNIST_CLASSES``. Downloads four .gz files (30 MB) once into
    ``<cache>/fashion-mnist/``; arguments (``validation=True`` included) as in :func:`load_mnist`.
    """
    registry = registry or FASHION_MNIST_REGISTRY
    paths = {name: fetch(name, registry, base_url=base_url, cache_dir=cache_dir, subdir="fashion-mnist",
                         progressbar=progressbar)
             for name in FASHION_MNIST_REGISTRY}
    y_train = _read_idx(paths["train-labels-idx1-ubyte.gz"], 2049, 1)
    x_train = _read_idx(paths["train-images-idx3-ubyte.gz"], 2051, 3)
    y_test = _read_idx(paths["t10k-labels-idx1-ubyte.gz"], 2049, 1)
    x_test = _read_idx(paths["t10k-images-idx3-ubyte.gz"], 2051, 3)
    return _split((x_train, y_train), (x_test, y_test), validation)
