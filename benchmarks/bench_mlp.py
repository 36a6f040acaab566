"""Benchmark: dlkit.np (NumPy, hand-written backward) vs Keras 3 (TensorFlow backend) on the CPU.

Run: ``python benchmarks/bench_mlp.py`` (about a minute on 2 cores). Prints one table measured in this run:
1. Dense(256) forward+backward on a (128, 256) float32 batch (median of many repeats); Keras side:
   ``tf.function`` forward + ``GradientTape`` gradients w.r.t. input, kernel and bias.
2. ``fit`` of a 256-256-10 MLP (relu, logits + sparse categorical crossentropy with from_logits, Adam)
   for 2 epochs with batch_size=128 on 20 000 x 256 synthetic float32 rows, verbose=0. Both sides run
   one warm-up epoch on a small slice first (Keras traces its train function there).
3. the same dlkit.np fit with NumPy's BLAS threads unrestricted (``dnp.set_blas_threads(None)``; by default
   dlkit.np's fit/evaluate/predict run BLAS single-threaded, which is far more robust on shared cores).
ratio = dlkit.np time / Keras time (<= 1 means dlkit.np is at least as fast). The load average is printed
because both frameworks are sensitive to other processes sharing the cores.
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
from _timing import time_ms  # noqa: E402

import dlkit.np as dnp  # noqa: E402

N, D, H, C, BATCH, EPOCHS = 20_000, 256, 256, 10, 128, 2


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D)).astype(np.float32)
    w = rng.normal(size=(D, C)).astype(np.float32)
    y = np.argmax(x @ w + 0.5 * rng.normal(size=(N, C)), axis=1).astype(np.int64)
    return x, y


def bench_dense():
    import tensorflow as tf
    import keras
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH, D)).astype(np.float32)
    dy = rng.normal(size=(BATCH, H)).astype(np.float32)
    layer = dnp.layers.Dense(H)
    layer(x)

    def np_step():
        layer(x, training=True)
        layer.backward(dy)

    klayer = keras.layers.Dense(H)
    klayer.build((None, D))
    xt, dyt = tf.constant(x), tf.constant(dy)

    @tf.function
    def k_step(x, dy):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = klayer(x)
        return tape.gradient(y, [x] + klayer.trainable_weights, output_gradients=dy)

    from dlkit.np.blas import blas_limit
    with blas_limit():
        t_np = time_ms(np_step, 200, 20)[0] / 1e3
    return t_np, time_ms(lambda: k_step(xt, dyt), 200, 20)[0] / 1e3


def fit_np(x, y):
    dnp.set_seed(0)
    model = dnp.Sequential([dnp.layers.Dense(H, activation="relu"), dnp.layers.Dense(H, activation="relu"),
                            dnp.layers.Dense(C)])
    model.compile(optimizer=dnp.optimizers.Adam(),
                  loss=dnp.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x[:1024], y[:1024], batch_size=BATCH, epochs=1, verbose=0)
    t0 = time.perf_counter()
    h = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    return time.perf_counter() - t0, h.history["accuracy"][-1]


def fit_keras(x, y):
    import keras
    keras.utils.set_random_seed(0)
    kmodel = keras.Sequential([keras.Input((D,)), keras.layers.Dense(H, activation="relu"),
                               keras.layers.Dense(H, activation="relu"), keras.layers.Dense(C)])
    kmodel.compile(optimizer=keras.optimizers.Adam(),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    kmodel.fit(x[:1024], y[:1024], batch_size=BATCH, epochs=1, verbose=0)
    t0 = time.perf_counter()
    kh = kmodel.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    return time.perf_counter() - t0, kh.history["accuracy"][-1]


def main():
    load0 = os.getloadavg()
    x, y = data()
    d_np, d_k = bench_dense()
    f_np, acc_np = fit_np(x, y)
    f_k, acc_k = fit_keras(x, y)
    dnp.set_blas_threads(None)
    f_np_mt, _ = fit_np(x, y)
    dnp.set_blas_threads(1)
    fit_name = f"fit {D}-{H}-{H}-{C} MLP, {N} rows, {EPOCHS} epochs, batch {BATCH} [s]"
    rows = [(f"Dense({H}) fwd+bwd, batch {BATCH}x{D} [ms]", d_np * 1e3, d_k * 1e3),
            (fit_name, f_np, f_k), ("  same, dlkit.np with BLAS threads unrestricted [s]", f_np_mt, f_k)]
    print(f"load average before/after: {load0} / {os.getloadavg()}, cores: {os.cpu_count()}")
    print(f"{'benchmark':<62}{'dlkit.np':>10}{'Keras':>10}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<62}{a:>10.3f}{b:>10.3f}{a / b:>8.2f}")
    print(f"final training accuracy: dlkit.np {acc_np:.3f}, Keras {acc_k:.3f}")


if __name__ == "__main__":
    main()
