"""Benchmark: self-attention ``MultiHeadAttention(4, 32)`` forward+backward, float32, on (32, 64, 128).

dlkit.np (hand-written backward) vs stock Keras under ``tf.function`` + ``tf.GradientTape`` on the CPU.
Run: ``python benchmarks/bench_attention.py [--repeats 30]``; prints a Markdown table.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _timing import time_ms as best_ms  # noqa: E402


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
    rows = []
    for causal in (False, True):
        mha = NpMHA(4, 32, dtype="float32")

        def np_step():
            mha(x, training=True, use_causal_mask=causal)
            return mha.backward(dy)
        rows.append((f"dlkit.np{' causal' if causal else ''}", *best_ms(np_step, args.repeats)))
    extra = []
    try:  # one BLAS thread: immune to oversubscription when the machine is busy
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1):
            extra.append(("dlkit.np causal, 1 BLAS thread", *best_ms(np_step, args.repeats)))
    except ImportError:
        pass

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

        def run():
            return [g.numpy() for g in tf_step(xt, dyt)][0]
        rows.append((f"{impl}{' causal' if causal else ''}", *best_ms(run, args.repeats)))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"MultiHeadAttention(4, 32) self-attention, x = ({B}, {T}, {D}) float32, forward+backward, "
          f"{os.cpu_count()} CPU cores (1-min load average {load:.1f}), median of {args.repeats}\n")
    print("| implementation | median ms | best ms |\n|---|---|---|")
    for name, med, best in rows + extra:
        print(f"| {name} | {med:.2f} | {best:.2f} |")
    for i, tag in ((0, ""), (1, " (causal)")):
        print(f"\nratio dlkit.np / TF{tag}: {rows[i][1] / rows[i + 2][1]:.2f}")


if __name__ == "__main__":
    main()
