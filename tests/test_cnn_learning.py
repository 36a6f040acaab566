"""A small CNN (Conv-Pool-Conv-Pool-Dense) learns the scikit-learn digits, in dlkit.np and in dlkit.tf."""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import dlkit.np as dnp  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    d = load_digits()  # 1797 8x8 images, bundled with scikit-learn (no download)
    x = (d.images / 16.0).astype("float32")[..., None]  # (N, 8, 8, 1), channels-last
    return train_test_split(x, d.target, test_size=0.25, random_state=0, stratify=d.target)


def _layers(mod):
    L = mod.layers
    return [L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(),
            L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(),
            L.Flatten(), L.Dense(10, activation="softmax")]


def test_numpy_cnn_learns_digits(digits):
    x_train, x_test, y_train, y_test = digits
    dnp.set_seed(0)
    model = dnp.Sequential(_layers(dnp))
    model.compile(optimizer=dnp.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=15, verbose=0)
    elapsed = time.perf_counter() - start
    acc = np.mean(model.predict(x_test).argmax(-1) == y_test)
    print(f"dlkit.np CNN: test accuracy {acc:.4f} in {elapsed:.1f} s")
    assert acc >= 0.97
    assert elapsed < 60


def test_tensorflow_cnn_learns_digits(digits):
    import keras
    import dlkit.tf as dtf
    x_train, x_test, y_train, y_test = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1))] + _layers(dtf))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=15, verbose=0)
    elapsed = time.perf_counter() - start
    acc = np.mean(model.predict(x_test, verbose=0).argmax(-1) == y_test)
    print(f"dlkit.tf CNN: test accuracy {acc:.4f} in {elapsed:.1f} s")
    assert acc >= 0.97
    assert elapsed < 60
