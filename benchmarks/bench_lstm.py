"""Benchmark: LSTM(128, return_sequences=True) forward+backward on a 64 x 50 x 32 float32 batch,
dlkit.np versus TensorFlow CPU (stock Keras layer and dlkit.tf layer, each under tf.function with
GradientTape). dlkit.np is timed with the default BLAS thread pool and with one BLAS thread (the
per-step GEMMs are small, so one thread often wins, especially on a busy machine). All four are timed
alternately in one run (same machine load). Prints a Markdown table of median times and the ratio to Keras.

Run: python benchmarks/bench_lstm.py [--repeats 30]
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _timing import time_interleaved  # noqa: E402


def main(repeats=30, batch=64, steps=50, features=32, units=128):
    import dlkit.np.layers as npl
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    dy = rng.standard_normal((batch, steps, units)).astype(np.float32)

    layer = npl.LSTM(units, return_sequences=True)
    layer(x)

    def np_step():
        layer(x, training=True)
        layer.backward(dy)

    from dlkit.np.blas import blas_threads

    def np_step_1thread():
        with blas_threads(1):
            np_step()

    fns = {"dlkit.np (NumPy, default BLAS threads)": np_step,
           "dlkit.np (NumPy, 1 BLAS thread)": np_step_1thread}

    import keras
    import tensorflow as tf
    import dlkit.tf.layers as tfl
    xt, dyt = tf.constant(x), tf.constant(dy)
    for label, tf_layer in (("Keras LSTM (TF CPU)", keras.layers.LSTM(units, return_sequences=True)),
                            ("dlkit.tf LSTM (tf.scan)", tfl.LSTM(units, return_sequences=True))):
        tf_layer.build((None, steps, features))
        tf_layer.set_weights(layer.get_weights())

        @tf.function
        def tf_step(xx, dd, tf_layer=tf_layer):
            with tf.GradientTape() as tape:
                tape.watch(xx)
                loss = tf.reduce_sum(tf_layer(xx) * dd)
            return tape.gradient(loss, [xx] + tf_layer.trainable_weights)

        fns[label] = lambda f=tf_step: [g.numpy() for g in f(xt, dyt)]

    rows = [(name, med) for name, (med, _) in time_interleaved(fns, repeats).items()]
    ref = rows[2][1]
    print(f"LSTM({units}, return_sequences=True), input {batch}x{steps}x{features} float32, "
          f"forward+backward, median of {repeats} alternating runs, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| implementation | time (ms) | ratio to Keras |")
    print("|---|---:|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} | {ms / ref:.2f} |")
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    main(repeats=p.parse_args().repeats)
