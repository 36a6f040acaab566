"""Self-check of Exercise 13 (pairwise IoU, non-maximum suppression, the soft Dice loss): independent NumPy
references written here (loops, one pair or one class at a time) and finite differences."""
import functools
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

IOU_POLICY = ("dlkit.vision.box_iou", "dlkit.datasets.shapes._pairwise_iou")
NMS_POLICY = ("dlkit.vision.nms", "dlkit.vision.batched_nms")
DICE_POLICY = ("dlkit.vision.dice_coefficient",)
TF_POLICY = ("dlkit.tf.vision.box_iou", "dlkit.tf.vision.nms", "tensorflow.image.non_max_suppression")


def forbidden(targets):
    """The functions a task may not call: its targets and, once TensorFlow is loaded, TensorFlow's NMS and
    dlkit.tf's mirrors (as the graded tests do; importing TensorFlow only to forbid it would cost seconds)."""
    return tuple(targets) + (TF_POLICY if "tensorflow" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check


def _pair_iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = float(w * h) if w > 0 and h > 0 else 0.0
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def _box_iou_ref(boxes1, boxes2):
    """(N, M) IoU, one pair at a time (the correct box_iou that Task 2 is checked with)."""
    return np.array([[_pair_iou(a, b) for b in boxes2] for a in boxes1], dtype=np.float64).reshape(
        len(boxes1), len(boxes2))


def _nms_ref(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    dead, keep = set(), []
    for i in order:
        if i not in dead:
            keep.append(i)
            dead |= {j for j in order if j != i and _pair_iou(boxes[i], boxes[j]) > thr}
    return np.array(keep, dtype=np.int64)


def _dice_ref(p, t, eps):
    K = p.shape[-1]
    return 1.0 - sum((2 * np.sum(p[..., k] * t[..., k]) + eps) / (np.sum(p[..., k]) + np.sum(t[..., k]) + eps)
                     for k in range(K)) / K


def _boxes(rng, n, scale, integer=False, degenerate=0.0):
    xy = rng.uniform(0, scale, size=(n, 2))
    wh = rng.uniform(0, scale / 2, size=(n, 2)) * (rng.random((n, 2)) >= degenerate)
    b = np.concatenate([xy, xy + wh], axis=1)
    return np.floor(b).astype(np.int64) if integer else b


def _box_iou(S, rng):
    edge = np.array([[0.0, 0, 4, 4], [4, 0, 8, 4], [1, 1, 3, 3], [-1, -1, 9, 9], [2, 2, 2, 2]])
    cases = [("random boxes", _boxes(rng, 5, 10), _boxes(rng, 7, 10)),
             ("int64 coordinates", _boxes(rng, 6, 12, integer=True), _boxes(rng, 4, 12, integer=True)),
             ("zero-area boxes among others", _boxes(rng, 6, 6, degenerate=0.4), _boxes(rng, 5, 6, degenerate=0.4)),
             ("touching, nested and zero-area boxes", edge, edge[::-1].copy()),
             ("N = M = 4", _boxes(rng, 4, 500), _boxes(rng, 4, 500)),
             ("no boxes in boxes1", np.zeros((0, 4)), _boxes(rng, 3, 8)),
             ("no boxes in boxes2", _boxes(rng, 2, 8), np.zeros((0, 4)))]
    for what, a, b in cases:
        before = snapshot({"boxes1": a, "boxes2": b})
        got = S.box_iou(a, b)
        what = f"box_iou on {what}, shapes {a.shape} and {b.shape}"
        check_close(what, got, _box_iou_ref(a, b), hint="IoU of every pair, shape (N, M); clip the intersection's "
                    "width and height at 0; union = area1 + area2 - intersection; 0 where the union is 0")
        check_dtype(what, got, np.float64, hint="return float64 values, also for integer coordinates")
        unchanged("box_iou", {"boxes1": a, "boxes2": b}, before)


def _detections(rng, n, n_objects, integer=False):
    centres = rng.uniform(8, 56, size=(n_objects, 2))
    sizes = rng.uniform(6, 20, size=(n_objects, 2))
    k = rng.integers(0, n_objects, size=n)
    c = centres[k] + rng.normal(scale=2.5, size=(n, 2))
    wh = sizes[k] * rng.uniform(0.7, 1.3, size=(n, 2))
    b = np.concatenate([c - wh / 2, c + wh / 2], axis=1)
    return np.round(b).astype(np.int64) if integer else b


def _nms(S, rng):
    cases = [(f"{n} boxes around {m} objects", _detections(rng, n, m, integer), rng.normal(size=n), thr)
             for n, m, thr, integer in [(15, 2, 0.5, False), (35, 4, 0.3, False), (20, 3, 0.7, True),
                                        (25, 5, 0.0, False), (1, 1, 0.5, False)]]
    chain = np.array([[0.0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10], [9, 0, 19, 10]])
    cases.append(("a chain of 4 boxes (each overlaps its neighbours only)", chain, np.array([1.0, 4, 3, 2]), 0.4))
    exact = np.array([[0.0, 0, 5, 1], [3, 0, 8, 1], [0, 2, 4, 3], [1, 2, 5, 3]])   # IoU 0.25 and 0.6 exactly
    cases.append(("pairs of boxes whose IoU is exactly 0.25 and 0.6", exact, np.array([0.9, 0.8, 0.7, 0.6]), 0.25))
    cases.append(("the same pairs", exact, np.array([0.6, 0.7, 0.8, 0.9]), 0.6))
    cases.append(("no boxes", np.zeros((0, 4)), np.zeros(0), 0.5))
    for what, boxes, scores, thr in cases:
        want = _nms_ref(boxes, scores, thr)
        before = snapshot({"boxes": boxes, "scores": scores})
        got = S.nms(boxes, scores, thr)
        what = f"nms on {what}, iou_threshold={thr}"
        ok = (np.ndim(got) == 1 and len(got) == len(want) and np.array_equal(np.asarray(got), want)
              and (len(want) == 0 or np.asarray(got).dtype.kind in "iu"))
        check_true(ok, f"{what}: expected indices {describe(want)}, got {describe(got)}. Hint: visit the boxes by "
                   "decreasing score (any sign); a kept box suppresses the remaining boxes with IoU > threshold (not "
                   ">=); suppressed boxes suppress nothing; return the kept indices in the order they were kept")
        unchanged("nms", {"boxes": boxes, "scores": scores}, before)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _dice(S, rng):
    configs = [((2, 3, 4, 3), 1.0, "one-hot"), ((1, 4, 2, 2), 0.5, "one-hot"), ((2, 2, 3, 4), 1e-3, "absent class"),
               ((3, 2, 2, 3), 2.0, "soft"), ((2, 3, 2, 1), 1.0, "soft")]
    for shape, eps, kind in configs:
        p = _softmax(rng.normal(scale=2.0, size=shape))
        if kind == "soft":
            t = rng.random(shape)
        else:
            t = np.eye(shape[-1])[rng.integers(0, shape[-1] - (kind == "absent class"), size=shape[:-1])]
        before = snapshot({"probs": p, "target": t})
        what = f"soft_dice_loss on probs {shape} ({kind} targets), eps={eps:g}"
        loss, grad = parts(what, S.soft_dice_loss(p, t, eps=eps), 2, "(loss, dprobs)")
        check_close(f"{what}: loss", loss, _dice_ref(p, t, eps), hint="sums (not means) over the batch and the "
                    "pixels per class, eps once in the numerator and the denominator, then the mean over classes")
        check_grad(f"{what}: dprobs vs finite differences", grad,
                   eval_numerical_gradient(lambda v: _dice_ref(v, t, eps), p.copy()), tol=1e-6,
                   hint="the quotient rule: p appears in 2 I_k and in S_k; the loss is 1 minus the MEAN over classes")
        check_dtype(f"{what}: dprobs", grad, np.float64, hint="return float64 values")
        unchanged("soft_dice_loss", {"probs": p, "target": t}, before)


TASKS = [_Task("box_iou", ["box_iou"], _box_iou, IOU_POLICY),
         _Task("nms", ["nms"], _nms, NMS_POLICY, uses={"box_iou": _box_iou_ref}),
         _Task("dice", ["soft_dice_loss"], _dice, DICE_POLICY)]
