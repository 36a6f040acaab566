"""Conv2D forward+backward speed: dlkit.np vs TensorFlow (Keras Conv2D, tf.function + GradientTape).

    python benchmarks/bench_conv.py [--reps 30] [--naive-images 2] [--threads N]

Workload (from the issue): Conv2D(32, 3, padding="same") on a 64x28x28x16 float32 batch. The two
implementations are timed alternately in one run (so both see the same machine load); the table gives
median milliseconds, GFLOP/s (2*N*Ho*Wo*kh*kw*C*F flops per product, three products) and the ratio
dlkit.np / TensorFlow (target: <= 1.5). dlkit.np splits a large convolution over
``dlkit.np.blas.LARGE_OP_THREADS`` Python threads (2 on 2 cores), each with single-threaded BLAS, see
dlkit/np/functional/conv_fast.py. The explicit-loop ``conv2d_naive`` (forward only) is timed on a few images and
scaled to the batch, to show the speed-up of im2col.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import dlkit.np as dnp  # noqa: E402
from dlkit.np.functional.conv import conv2d_naive  # noqa: E402

N, H, W, C, F, K = 64, 28, 28, 16, 32, 3
FLOPS_FWD = 2 * N * H * W * K * K * C * F


def main(reps=30, naive_images=2, threads=None):
    import tensorflow as tf
    import keras

    if threads:  # same thread count for both: BLAS threads for NumPy, intra-op threads for TF
        import threadpoolctl
        threadpoolctl.threadpool_limits(threads)
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, H, W, C)).astype("float32")
    dy = rng.standard_normal((N, H, W, F)).astype("float32")

    layer = dnp.layers.Conv2D(F, K, padding="same")
    layer(x)

    def np_step():
        layer(x, training=True)
        return layer.backward(dy)

    klayer = keras.layers.Conv2D(F, K, padding="same")
    klayer(x)
    klayer.set_weights(layer.get_weights())
    xt, dyt = tf.constant(x), tf.constant(dy)

    @tf.function
    def tf_grads(xt):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(klayer(xt) * dyt)
        return tape.gradient(loss, [xt] + klayer.trainable_weights)

    def tf_step():
        return [g.numpy() for g in tf_grads(xt)]

    # same answer first (float32 tolerances)
    dx_np, dx_tf = np_step(), tf_step()[0]
    np.testing.assert_allclose(dx_np, dx_tf, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(layer.grads["kernel"], tf_step()[1], rtol=1e-3, atol=1e-2)

    for _ in range(3):
        np_step(), tf_step()
    t_np, t_tf, t_fwd = [], [], []
    for _ in range(reps):  # alternate, so both see the same load
        s = time.perf_counter()
        np_step()
        t_np.append(time.perf_counter() - s)
        s = time.perf_counter()
        tf_step()
        t_tf.append(time.perf_counter() - s)
        s = time.perf_counter()
        layer(x, training=True)
        t_fwd.append(time.perf_counter() - s)

    k, b = layer.params["kernel"], layer.params["bias"]
    s = time.perf_counter()
    conv2d_naive(x[:naive_images], k, b, 1, "same")
    t_naive = (time.perf_counter() - s) * N / naive_images

    med = {name: float(np.median(t)) for name, t in
           (("np", t_np), ("tf", t_tf), ("fwd", t_fwd))}
    rows = [("TensorFlow Keras Conv2D (tf.function)", "fwd+bwd", med["tf"], 3 * FLOPS_FWD),
            ("dlkit.np Conv2D (im2col)", "fwd+bwd", med["np"], 3 * FLOPS_FWD),
            ("dlkit.np Conv2D (im2col)", "fwd", med["fwd"], FLOPS_FWD),
            (f"conv2d_naive (scaled from {naive_images} images)", "fwd", t_naive, FLOPS_FWD)]
    print(f"Conv2D({F}, {K}, padding='same') on a {N}x{H}x{W}x{C} float32 batch, {reps} reps, median; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'implementation':44s} {'pass':8s} {'ms':>9s} {'GFLOP/s':>8s}")
    for name, what, t, fl in rows:
        print(f"{name:44s} {what:8s} {t * 1e3:9.2f} {fl / t / 1e9:8.1f}")
    from dlkit.np import blas
    print(f"ratio dlkit.np / TensorFlow (fwd+bwd): {med['np'] / med['tf']:.2f}  (target <= 1.5; dlkit.np "
          f"threads for large convolutions: {blas.LARGE_OP_THREADS})")
    print(f"speed-up of the im2col forward over conv2d_naive: {t_naive / med['fwd']:.0f}x")
    return med["np"] / med["tf"]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--naive-images", type=int, default=2)
    p.add_argument("--threads", type=int, default=None, help="limit both to N threads (default: all)")
    a = p.parse_args()
    main(a.reps, a.naive_images, a.threads)
