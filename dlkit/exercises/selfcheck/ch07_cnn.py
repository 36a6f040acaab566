"""Self-check of Exercise 7 (convolutions and pooling): references from dlkit.np.functional and finite
differences."""
import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient_array
from dlkit.np.functional import (conv2d_backward, conv2d_forward, conv2d_naive, maxpool2d_backward,
                                 maxpool2d_forward, same_pads)

from ._core import Task, parts, snapshot, unchanged

CONV_POLICY = ("dlkit.np.functional.same_pads", "dlkit.np.functional.conv2d_naive",
               "dlkit.np.functional.conv2d_forward")
POOL_POLICY = ("dlkit.np.functional.maxpool2d_forward", "dlkit.np.functional.maxpool2d_backward")
GRAD_POLICY = ("dlkit.np.functional.conv2d_backward",)


def _same_pads_ref(size, k, stride):
    total = max((-(-size // stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def _conv2d_ref(x, w, b, stride=1, padding="valid"):
    return conv2d_naive(x, w, b, strides=stride, padding=padding)


def _conv_forward(S, rng):
    args = [(n, k, s) for n in range(1, 8) for k in range(1, 5) for s in range(1, 4)]
    for a in args:
        got, want = S.same_pads(*a), same_pads(*a)
        check_true(np.shape(got) == (2,) and list(np.ravel(got)) == list(want),
                   f"same_pads{a}: expected {want}, got {describe(got)}. Hint: the output length is ceil(size / "
                   "stride); an odd total padding puts the extra row at the end")
    configs = [(2, 7, 6, 2, 3, 2, 3, 2, "valid", "float64"), (1, 5, 7, 3, 2, 3, 2, 2, "same", "float64"),
               (2, 6, 4, 1, 3, 3, 2, 1, "same", "uint8"), (1, 4, 5, 2, 1, 1, 3, 3, "valid", "float64"),
               (3, 6, 6, 2, 4, 2, 1, 3, "same", "float64")]
    for N, H, W, C, kh, kw, F, s, pad, dt in configs:
        x = (rng.integers(0, 256, size=(N, H, W, C)).astype(np.uint8) if dt == "uint8"
             else rng.normal(size=(N, H, W, C)))
        w, b = rng.normal(size=(kh, kw, C, F)), rng.normal(size=F)
        want = conv2d_naive(x, w, b, strides=s, padding=pad)
        before = snapshot({"x": x, "w": w, "b": b})
        what = f"conv2d on x {x.dtype} {x.shape}, kernel {w.shape}, stride={s}, padding={pad!r}"
        out = S.conv2d(x, w, b, stride=s, padding=pad)
        check_close(what, out, want, hint="check Ho and Wo, the padding of each axis, every channel, the bias")
        check_dtype(what, out, np.float64, hint="return float64 values, also for uint8 images")
        unchanged("conv2d", {"x": x, "w": w, "b": b}, before)


def _maxpool(S, rng):
    configs = [((2, 5, 6, 2), 2, None, "normal"), ((1, 7, 5, 3), 3, 2, "negative"), ((2, 4, 6, 2), 2, 1, "ties"),
               ((1, 5, 5, 1), 3, 1, "normal"), ((3, 6, 4, 2), 1, 2, "normal")]
    for shape, p, s, kind in configs:
        x = {"normal": lambda: rng.normal(size=shape), "negative": lambda: -1.0 - np.abs(rng.normal(size=shape)),
             "ties": lambda: rng.integers(0, 3, size=shape).astype(float)}[kind]()
        ref_out, ref_cache = maxpool2d_forward(x, pool_size=p, strides=s, padding="valid")
        dout = rng.normal(size=ref_out.shape)
        ref_dx = maxpool2d_backward(dout, ref_cache)
        before = snapshot({"x": x, "dout": dout})
        what = f"on x {shape} ({kind} values), pool_size={p}, stride={s}"
        out, cache = parts(f"maxpool_forward {what}", S.maxpool_forward(x, pool_size=p, stride=s), 2, "(out, cache)")
        check_close(f"maxpool_forward {what}", out, ref_out,
                    hint="stride None means stride = pool_size; no padding; values may be negative")
        dx = S.maxpool_backward(dout, cache)
        check_close(f"maxpool_backward {what}", dx, ref_dx,
                    hint="one position per window and channel (the first maximum) gets the gradient; overlaps add up")
        if kind == "normal":
            check_grad(f"maxpool_backward vs finite differences {what}", dx, eval_numerical_gradient_array(
                lambda v: maxpool2d_forward(v, p, s)[0], x.copy(), dout))
        unchanged("maxpool", {"x": x, "dout": dout}, before)


def _conv_backward(S, rng):
    configs = [(2, 5, 6, 2, 3, 2, 3, 2, "same"), (2, 6, 5, 3, 2, 3, 2, 1, "valid"), (1, 7, 5, 1, 3, 3, 2, 3, "same"),
               (3, 4, 4, 2, 1, 1, 2, 1, "valid")]
    for k, (N, H, W, C, kh, kw, F, s, pad) in enumerate(configs):
        x, w, b = rng.normal(size=(N, H, W, C)), rng.normal(size=(kh, kw, C, F)), rng.normal(size=F)
        out, cache = conv2d_forward(x, w, b, strides=s, padding=pad)
        dout = rng.normal(size=out.shape)
        _, ref_dw, ref_db = conv2d_backward(dout, cache)
        before = snapshot({"x": x, "dout": dout})
        what = f"(x {x.shape}, kernel {w.shape}, stride={s}, padding={pad!r})"
        dw, db = parts(f"conv2d_weight_grad {what}", S.conv2d_weight_grad(x, dout, kh, kw, stride=s, padding=pad), 2,
                       "(dw, db)")
        check_close(f"conv2d_weight_grad dw {what}", dw, ref_dw,
                    hint="dw has the shape of the kernel: a sum over the batch and the output pixels")
        check_close(f"conv2d_weight_grad db {what}", db, ref_db, hint="db has shape (F,); a sum, not a mean")
        if k == 0:
            check_grad(f"conv2d_weight_grad dw vs finite differences {what}", dw, eval_numerical_gradient_array(
                lambda v: conv2d_forward(x, v, b, strides=s, padding=pad)[0], w.copy(), dout))
        unchanged("conv2d_weight_grad", {"x": x, "dout": dout}, before)


TASKS = [Task("conv_forward", ["same_pads", "conv2d"], _conv_forward, CONV_POLICY),
         Task("maxpool", ["maxpool_forward", "maxpool_backward"], _maxpool, POOL_POLICY),
         Task("conv_backward", ["conv2d_weight_grad"], _conv_backward, GRAD_POLICY,
              uses={"same_pads": _same_pads_ref, "conv2d": _conv2d_ref})]
