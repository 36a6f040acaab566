"""Benchmark: self-attention ``MultiHeadAttention(4, 32)`` forward+backward, float32, on (32, 64, 128).

dlkit.np (hand-written backward) vs stock Keras under ``tf.function`` + ``tf.GradientTape`` on the CPU.
All variants are timed alternately in one run (same machine load).
Run: ``python benchmarks/bench_attention.py [--repeats 30]``; prints a Markdown table with the ratio to Keras.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _timing import time_interleaved  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--dim", type=int, default=128)
    args = ap.parse_args()
    B, T, D = args.batch, args.seq, args.dim

    from dlkit.np.layers import MultiHeadAttention as NpMHA
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype("float32")
    dy = rng.standard_normal((B, T, D)).astype("float32")
    fns = {}
    for causal in (False, True):
        mha = NpMHA(4, 32, dtype="float32")

        def np_step(mha=mha, causal=causal):
            mha(x, training=True, use_causal_mask=causal)
            return mha.backward(dy)
        fns[f"dlkit.np{' causal' if causal else ''}"] = np_step
    from dlkit.np.blas import blas_threads

    def np_causal_1thread():  # one BLAS thread: immune to oversubscription when the machine is busy
        with blas_threads(1):
            fns["dlkit.np causal"]()
    fns["dlkit.np causal, 1 BLAS thread"] = np_causal_1thread

    import tensorflow as tf
    import keras
    import dlkit.tf.layers as tl
    xt, dyt = tf.constant(x), tf.constant(dy)
    for impl, causal in (("TF/Keras", False), ("TF/Keras", True), ("dlkit.tf", False)):
        layer = (keras.layers.MultiHeadAttention if impl == "TF/Keras" else tl.MultiHeadAttention)(4, 32)
        layer(xt, xt)

        @tf.function
        def tf_step(x_, dy_, layer=layer, causal=causal):
            with tf.GradientTape() as tape:
                tape.watch(x_)
                y = layer(x_, x_, use_causal_mask=causal)
                loss = tf.reduce_sum(y * dy_)
            return tape.gradient(loss, [x_] + layer.trainable_weights)

        def run(tf_step=tf_step):
            return [g.numpy() for g in tf_step(xt, dyt)][0]
        fns[f"{impl}{' causal' if causal else ''}"] = run
    res = time_interleaved(fns, args.repeats)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"MultiHeadAttention(4, 32) self-attention, x = ({B}, {T}, {D}) float32, forward+backward, "
          f"{os.cpu_count()} CPU cores (1-min load average {load:.1f}), median of {args.repeats} "
          "alternating runs\n")
    print("| implementation | median ms | best ms | ratio to Keras |\n|---|---|---|---|")
    for name, (med, best) in res.items():
        ref = res["TF/Keras causal" if "causal" in name else "TF/Keras"][0]
        print(f"| {name} | {med:.2f} | {best:.2f} | {med / ref:.2f} |")


if __name__ == "__main__":
    main()
