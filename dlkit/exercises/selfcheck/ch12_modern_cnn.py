"""Self-check of Exercise 12 (modern CNNs): global average pooling, a residual block with batch normalization,
random translation. References from dlkit.np.functional and finite differences."""
import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_grad, check_shape, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient_array
from dlkit.np.functional import (batchnorm_backward, batchnorm_forward, conv2d_backward, conv2d_forward,
                                 global_avgpool2d_backward, global_avgpool2d_forward)
from dlkit.np.functional.image import affine_transform_forward, translation_matrix

from ._core import Task, parts, snapshot, unchanged

GAP_POLICY = ("dlkit.np.functional.global_avgpool2d_forward", "dlkit.np.functional.global_avgpool2d_backward")
SHIFT_POLICY = ("dlkit.np.functional.image.affine_transform_forward",)
BLOCK_POLICY = ("dlkit.np.layers.Conv2D", "dlkit.np.layers.BatchNormalization", "dlkit.np.layers.Add")
KEYS = ("w1", "gamma1", "beta1", "w2", "gamma2", "beta2")


def _global_avg_pool(S, rng):
    for k, shape in enumerate([(2, 5, 3, 4), (3, 1, 6, 2), (1, 4, 4, 3), (4, 6, 5, 1), (2, 3, 5, 2)]):
        x = rng.integers(0, 256, size=shape).astype(np.uint8) if k == 4 else rng.normal(size=shape) * 2
        dout = rng.normal(size=(shape[0], shape[3]))
        before = snapshot({"x": x, "dout": dout})
        what = f"on x {x.dtype} {shape}"
        out = S.global_avg_pool_forward(x)
        check_close(f"global_avg_pool_forward {what}", out, global_avgpool2d_forward(x)[0],
                    hint="shape (N, C): the mean over height and width (axes 1 and 2)")
        check_true(np.issubdtype(np.asarray(out).dtype, np.floating), f"global_avg_pool_forward {what}: expected "
                   f"floats, got dtype {np.asarray(out).dtype}. Hint: the mean of an 8-bit image is not an integer")
        dx = S.global_avg_pool_backward(dout, shape)
        check_close(f"global_avg_pool_backward {what}", dx, global_avgpool2d_backward(dout, shape),
                    hint="dx (N, H, W, C): dout[n, c] / (H*W) at every position of channel c")
        if k == 0:
            check_grad(f"global_avg_pool_backward vs finite differences {what}", dx, eval_numerical_gradient_array(
                lambda v: global_avgpool2d_forward(v)[0], x.copy(), dout))
        unchanged("global_avg_pool", {"x": x, "dout": dout}, before)


def _params(rng, C, kh, kw):
    return {"w1": 0.5 * rng.normal(size=(kh, kw, C, C)), "gamma1": 1.0 + 0.3 * rng.normal(size=C),
            "beta1": 0.3 * rng.normal(size=C), "w2": 0.5 * rng.normal(size=(kh, kw, C, C)),
            "gamma2": 1.0 + 0.3 * rng.normal(size=C), "beta2": 0.3 * rng.normal(size=C)}


def _block(x, p, eps):
    """The reference block: (out, function dout -> (dx, grads))."""
    c1, k1 = conv2d_forward(x, p["w1"], None, strides=1, padding="same")
    a1, n1, _, _ = batchnorm_forward(c1, p["gamma1"], p["beta1"], eps)
    c2, k2 = conv2d_forward(np.maximum(a1, 0.0), p["w2"], None, strides=1, padding="same")
    a2, n2, _, _ = batchnorm_forward(c2, p["gamma2"], p["beta2"], eps)
    z = x + a2

    def grad(dout):
        dz = dout * (z > 0)
        dc2, dg2, db2 = batchnorm_backward(dz, n2)
        dh, dw2, _ = conv2d_backward(dc2, k2)
        dc1, dg1, db1 = batchnorm_backward(dh * (a1 > 0), n1)
        dxb, dw1, _ = conv2d_backward(dc1, k1)
        return dz + dxb, {"w1": dw1, "gamma1": dg1, "beta1": db1, "w2": dw2, "gamma2": dg2, "beta2": db2}
    return np.maximum(z, 0.0), grad


def _residual_block(S, rng):
    for k, (N, H, W, C, kh, kw, eps) in enumerate([(2, 3, 4, 2, 3, 3, 1e-3), (3, 4, 3, 3, 1, 2, 1e-2),
                                                    (2, 5, 5, 2, 3, 1, 1e-5), (1, 4, 6, 3, 2, 2, 1e-3)]):
        x = 1.5 * rng.normal(size=(N, H, W, C))
        p = _params(rng, C, kh, kw)
        want, grad = _block(x, p, eps)
        dout = rng.normal(size=x.shape)
        want_dx, want_g = grad(dout)
        arrays = {"x": x, "dout": dout, **{f"params[{n!r}]": p[n] for n in KEYS}}
        before = snapshot(arrays)
        what = f"(x {x.shape}, kernels {kh}x{kw}, epsilon={eps:g})"
        out, cache = parts(f"residual_block_forward {what}", S.residual_block_forward(x, p, epsilon=eps), 2,
                           "(out, cache)")
        check_close(f"residual_block_forward {what}", out, want,
                    hint="conv (same, no bias) -> BN1 (batch statistics) -> relu -> conv -> BN2, add x, then relu")
        dx, g = parts(f"residual_block_backward {what}", S.residual_block_backward(dout, cache), 2, "(dx, grads)")
        check_close(f"residual_block_backward dx {what}", dx, want_dx,
                    hint="dL/dx is the sum of the skip path and the branch; through BN use batchnorm_backward (the "
                         "batch mean and variance depend on x too)")
        check_true(isinstance(g, dict) and set(g) == set(KEYS), f"residual_block_backward grads {what}: expected a "
                   f"dict with keys {sorted(KEYS)}, got {sorted(g) if isinstance(g, dict) else describe(g)}")
        for n in KEYS:
            check_close(f"residual_block_backward grads[{n!r}] {what}", g[n], want_g[n],
                        hint="sums over the batch and positions; go back through relu, BN2, conv2, relu, BN1, conv1")
        if k == 0:
            check_grad(f"residual_block_backward dx vs finite differences {what}", dx, eval_numerical_gradient_array(
                lambda v: _block(v, p, eps)[0], x.copy(), dout), tol=1e-5)
        unchanged("residual_block", arrays, before)


def _shift_ref(images, shifts):
    images, shifts = np.asarray(images), np.asarray(shifts, dtype=np.float64)
    out = affine_transform_forward(images.reshape(images.shape[:3] + (-1,)).astype(np.float64),
                                   translation_matrix(shifts[:, 1], shifts[:, 0]), interpolation="nearest",
                                   fill_mode="constant")[0]
    return out.reshape(images.shape).astype(images.dtype)


def _augmentation(S, rng):
    for shape, kind in [((3, 5, 6, 2), "float"), ((4, 4, 7), "mask"), ((3, 6, 5, 1), "uint8")]:
        x = {"float": lambda: rng.normal(size=shape), "mask": lambda: rng.integers(0, 4, size=shape),
             "uint8": lambda: rng.integers(1, 256, size=shape).astype(np.uint8)}[kind]()
        H, W = shape[1:3]
        s = np.stack([rng.integers(-H, H + 1, size=shape[0]), rng.integers(-W, W + 1, size=shape[0])], axis=1)
        s[0] = (1, -2)
        before = snapshot({"images": x, "shifts": s})
        what = f"shift_images on {kind} {shape} with shifts {s.tolist()}"
        out = S.shift_images(x, s)
        check_close(what, out, _shift_ref(x, s), hint="out[n, i, j] = images[n, i - dy, j - dx] where it exists, 0 "
                    "elsewhere (no wrap-around); dy = shifts[n, 0] moves rows down")
        check_dtype(what, out, x.dtype, hint="keep the dtype of images")
        unchanged("shift_images", {"images": x, "shifts": s}, before)
        for k in (0, 2):
            what = f"random_translate on {kind} {shape}, max_shift={k}"
            out, sh = parts(what, S.random_translate(x, k, np.random.default_rng(30 + k)), 2, "(out, shifts)")
            check_shape(f"{what}: shifts", sh, (shape[0], 2), hint="one row (dy, dx) per image")
            sh = np.asarray(sh)
            check_true(np.issubdtype(sh.dtype, np.integer) and np.all(np.abs(sh) <= k),
                       f"{what}: expected integer shifts in {-k}..{k}, got {describe(sh)}")
            check_close(f"{what}: out vs shift_images(images, shifts)", out, _shift_ref(x, sh),
                        hint="return the images moved by exactly the shifts you return")
    x = rng.normal(size=(2000, 3, 3, 1))
    state = np.random.get_state()  # the notebook's global generator is left as it was
    try:
        np.random.seed(1)
        s1 = np.asarray(S.random_translate(x, 2, np.random.default_rng(4))[1])
        np.random.seed(2)
        s2 = np.asarray(S.random_translate(x, 2, np.random.default_rng(4))[1])
    finally:
        np.random.set_state(state)
    check_close("random_translate shifts of two calls with default_rng(4)", s2, s1,
                hint="draw every random number from rng, never from np.random's global functions")
    g = np.random.default_rng(5)
    a, b = (np.asarray(S.random_translate(x[:30], 2, g)[1]) for _ in range(2))
    check_true(not np.array_equal(a, b), "random_translate: expected two calls with the same generator to draw "
               "different shifts, got the same. Hint: draw from rng itself (do not make a new generator)")
    p, n = 0.2, len(x)
    tol = 4.5 * np.sqrt(p * (1 - p) / n)
    for col, name in ((0, "dy"), (1, "dx")):
        for v in range(-2, 3):
            f = float(np.mean(s1[:, col] == v))
            check_true(abs(f - p) < tol, f"random_translate with max_shift=2: expected {name} = {v} in about 20% of "
                       f"the images, got {f:.1%}. Hint: uniform over -max_shift..max_shift, a new draw per image")
    f = float(np.mean(s1[:, 0] == s1[:, 1]))
    check_true(abs(f - p) < tol, f"random_translate with max_shift=2: expected dy == dx in about 20% of the images, "
               f"got {f:.1%}. Hint: draw dy and dx independently")


TASKS = [Task("global_avg_pool", ["global_avg_pool_forward", "global_avg_pool_backward"], _global_avg_pool,
              GAP_POLICY),
         Task("residual_block", ["residual_block_forward", "residual_block_backward"], _residual_block,
              BLOCK_POLICY),
         Task("augmentation", ["shift_images", "random_translate"], _augmentation, SHIFT_POLICY)]
