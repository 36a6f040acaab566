"""Realistic answers to ch13_detection (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_IOU_HEAD = '''
def box_iou(boxes1, boxes2):
    b1 = np.asarray(boxes1, dtype=np.float64)[:, None, :]
    b2 = np.asarray(boxes2, dtype=np.float64)[None, :, :]
'''
_AREAS = '''
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
'''
_CLIPPED = '''
    w = np.maximum(np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0]), 0.0)
    h = np.maximum(np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1]), 0.0)
    inter = w * h
'''
_DICE_SUMS = '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    K = p.shape[-1]
    inter = (p * t).sum(axis=(0, 1, 2))
    denom = p.sum(axis=(0, 1, 2)) + t.sum(axis=(0, 1, 2)) + eps
    dice = (2 * inter + eps) / denom
'''


_NMS = '''
def nms(boxes, scores, iou_threshold=0.5):
    boxes = np.asarray(boxes, dtype=np.float64)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    keep = []
    while order.size > 0:
        best, rest = order[0], order[1:]
        keep.append(best)
        order = rest[box_iou(boxes[best][None, :], boxes[rest])[0] <= iou_threshold]
    return np.array(keep, dtype=np.int64)
'''


def _edit(source, old, new):
    """The reference cell with one realistic mistake: `old` (which must occur exactly once) becomes `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


ANSWERS = [
    # ---------------------------------------------------------------- Task 1: box_iou
    ("box_iou", "wrong", "the '+1 pixel' convention of old VOC code: widths x2 - x1 + 1", _IOU_HEAD + '''
    w = np.maximum(np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0]) + 1, 0.0)
    h = np.maximum(np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1]) + 1, 0.0)
    inter = w * h
    area1 = (b1[..., 2] - b1[..., 0] + 1) * (b1[..., 3] - b1[..., 1] + 1)
    area2 = (b2[..., 2] - b2[..., 0] + 1) * (b2[..., 3] - b2[..., 1] + 1)
    return inter / (area1 + area2 - inter)
'''),
    ("box_iou", "wrong", "intersection not clipped at 0 (two negative sides give a positive 'area')", _IOU_HEAD + '''
    w = np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0])
    h = np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1])
    inter = w * h
''' + _AREAS + '''
    union = area1 + area2 - inter
    iou = np.zeros(inter.shape)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou
'''),
    ("box_iou", "wrong", "clips the product w * h at 0 instead of each side", _IOU_HEAD + '''
    w = np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0])
    h = np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1])
    inter = np.maximum(w * h, 0.0)
''' + _AREAS + '''
    union = area1 + area2 - inter
    iou = np.zeros(inter.shape)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou
'''),
    ("box_iou", "wrong", "divides by the sum of the areas instead of the union", _IOU_HEAD + _CLIPPED + _AREAS + '''
    total = area1 + area2
    iou = np.zeros(inter.shape)
    np.divide(inter, total, out=iou, where=total > 0)
    return iou
'''),
    ("box_iou", "wrong", "plain inter / union: nan (0/0) for two zero-area boxes", _IOU_HEAD + _CLIPPED + _AREAS + '''
    return inter / (area1 + area2 - inter)
'''),
    ("box_iou", "wrong", "elementwise IoU of boxes1[i] and boxes2[i] (the diagonal only), not every pair", '''
def box_iou(boxes1, boxes2):
    b1 = np.asarray(boxes1, dtype=np.float64)
    b2 = np.asarray(boxes2, dtype=np.float64)
    w = np.maximum(np.minimum(b1[:, 2], b2[:, 2]) - np.maximum(b1[:, 0], b2[:, 0]), 0.0)
    h = np.maximum(np.minimum(b1[:, 3], b2[:, 3]) - np.maximum(b1[:, 1], b2[:, 1]), 0.0)
    inter = w * h
    union = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1]) + (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
'''),
    ("box_iou", "wrong", "x and y mixed up in the height: uses columns 2 and 1", _IOU_HEAD + '''
    w = np.maximum(np.minimum(b1[..., 2], b2[..., 2]) - np.maximum(b1[..., 0], b2[..., 0]), 0.0)
    h = np.maximum(np.minimum(b1[..., 3], b2[..., 3]) - np.maximum(b1[..., 1], b2[..., 1]), 0.0)
    inter = w * h
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 2] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 2] - b2[..., 1])
    union = area1 + area2 - inter
    iou = np.zeros(inter.shape)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou
'''),
    ("box_iou", "wrong", "one-line call to dlkit.vision.box_iou (policy: scores 0)", '''
import dlkit.vision


def box_iou(boxes1, boxes2):
    return dlkit.vision.box_iou(boxes1, boxes2)
'''),
    ("box_iou", "correct", "two loops over the pairs, max(0, .) with Python floats", '''
def box_iou(boxes1, boxes2):
    out = np.zeros((len(boxes1), len(boxes2)))
    for i, a in enumerate(boxes1):
        for j, b in enumerate(boxes2):
            w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
            h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
            inter = w * h
            union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
            if union > 0:
                out[i, j] = inter / union
    return out
'''),
    ("box_iou", "correct", "np.clip on the corner differences, column unpacking, np.where with a safe union", '''
def box_iou(boxes1, boxes2):
    x1, y1, x2, y2 = (np.asarray(boxes1, dtype=float)[:, k][:, None] for k in range(4))
    u1, v1, u2, v2 = (np.asarray(boxes2, dtype=float)[:, k][None, :] for k in range(4))
    wh = np.clip(np.stack([np.minimum(x2, u2) - np.maximum(x1, u1), np.minimum(y2, v2) - np.maximum(y1, v1)]),
                 0, None)
    inter = wh[0] * wh[1]
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    safe = np.where(union > 0, union, 1.0)
    return np.where(union > 0, inter / safe, 0.0)
'''),
    ("box_iou", "correct", "np.where(union > 0, inter / union, 0): right values after a 0/0 RuntimeWarning", _IOU_HEAD
     + _CLIPPED + _AREAS + '''
    union = area1 + area2 - inter
    return np.where(union > 0, inter / union, 0.0)
'''),
    ("box_iou", "wrong", "delegates to the data set's private IoU helper (policy: scores 0)", '''
from dlkit.datasets.shapes import _pairwise_iou


def box_iou(boxes1, boxes2):
    b1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    b2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    return _pairwise_iou(b1, np.broadcast_to(b2, (len(b1), len(b2), 4)))
'''),
    ("box_iou", "correct", "a tiny epsilon in the denominator (1e-12) instead of a test for 0", _IOU_HEAD + _CLIPPED
     + _AREAS + '''
    return inter / (area1 + area2 - inter + 1e-12)
'''),
    # ---------------------------------------------------------------- Task 2: nms
    ("nms", "wrong", "suppresses when IoU >= threshold (boxes at exactly the threshold are lost)",
     _edit(_NMS, "<= iou_threshold", "< iou_threshold")),
    ("nms", "wrong", "never sorts by score: visits the boxes in index order",
     _edit(_NMS, 'np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")', "np.arange(len(boxes))")),
    ("nms", "wrong", "sorts by increasing score (np.argsort(scores)): keeps the worst box of each cluster",
     _edit(_NMS, 'np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")', "np.argsort(scores)")),
    ("nms", "wrong", "a box is dropped if it overlaps ANY better box, even one that was itself suppressed", '''
def nms(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    iou = box_iou(boxes, boxes)
    keep = []
    for k, i in enumerate(order):
        if all(iou[i, j] <= iou_threshold for j in order[:k]):
            keep.append(i)
    return np.array(keep, dtype=np.int64)
'''),
    ("nms", "wrong", "returns a boolean mask of the kept boxes instead of their indices", '''
def nms(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    iou = box_iou(boxes, boxes)
    suppressed = np.zeros(len(order), dtype=bool)
    kept = np.zeros(len(order), dtype=bool)
    for i in order:
        if not suppressed[i]:
            kept[i] = True
            suppressed |= iou[i] > iou_threshold
    return kept
'''),
    ("nms", "wrong", "returns the kept indices sorted ascending (np.sort), not by decreasing score",
     _edit(_NMS, "return np.array(keep, dtype=np.int64)", "return np.sort(np.array(keep, dtype=np.int64))")),
    ("nms", "wrong", "marks suppressed boxes by overwriting their scores with -inf in the caller's array", '''
def nms(boxes, scores, iou_threshold=0.5):
    boxes = np.asarray(boxes, dtype=np.float64)
    keep = []
    while len(scores) and np.max(scores) > -np.inf:
        best = int(np.argmax(scores))
        keep.append(best)
        iou = box_iou(boxes[best][None, :], boxes)[0]
        scores[iou > iou_threshold] = -np.inf
        scores[best] = -np.inf
    return np.array(keep, dtype=np.int64)
'''),
    ("nms", "wrong", "starts from best = 0 and only keeps boxes with a positive score", '''
def nms(boxes, scores, iou_threshold=0.5):
    boxes = np.asarray(boxes, dtype=np.float64)
    s = np.array(scores, dtype=np.float64)
    keep = []
    while True:
        best, best_score = -1, 0.0
        for i in range(len(s)):
            if s[i] > best_score:
                best, best_score = i, s[i]
        if best < 0:
            break
        keep.append(best)
        iou = box_iou(boxes[best][None, :], boxes)[0]
        s[iou > iou_threshold] = -np.inf
        s[best] = -np.inf
    return np.array(keep, dtype=np.int64)
'''),
    ("nms", "wrong", "delegates to dlkit.tf.vision.nms, the TensorFlow mirror (policy: scores 0)", '''
import dlkit.tf.vision as tf_vision


def nms(boxes, scores, iou_threshold=0.5):
    keep = tf_vision.nms(np.asarray(boxes, dtype=np.float64), np.asarray(scores, dtype=np.float64), iou_threshold)
    return np.asarray(keep, dtype=np.int64)
'''),
    ("nms", "wrong", "one-line call to dlkit.vision.nms (policy: scores 0)", '''
from dlkit.vision import nms as _nms


def nms(boxes, scores, iou_threshold=0.5):
    return _nms(boxes, scores, iou_threshold)
'''),
    ("nms", "correct", "mask-based: the whole IoU matrix once, a boolean 'suppressed' array, a for loop", '''
def nms(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    iou = box_iou(boxes, boxes)
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= iou[i] > iou_threshold
    return np.array(keep, dtype=np.int64)
'''),
    ("nms", "correct", "Python lists, np.argsort(scores)[::-1], IoU computed inline (no box_iou)", '''
def nms(boxes, scores, iou_threshold=0.5):
    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / union if union > 0 else 0.0
    remaining = list(np.argsort(scores)[::-1])
    keep = []
    while remaining:
        i = remaining.pop(0)
        keep.append(i)
        remaining = [j for j in remaining if iou(boxes[i], boxes[j]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)
'''),
    # ---------------------------------------------------------------- Task 3: soft Dice loss
    ("dice", "wrong", "forgets the factor 2 in the numerator (and in its gradient)", '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    K = p.shape[-1]
    inter = (p * t).sum(axis=(0, 1, 2))
    denom = p.sum(axis=(0, 1, 2)) + t.sum(axis=(0, 1, 2)) + eps
    dice = (inter + eps) / denom
    return float(1 - dice.mean()), -(t * denom - (inter + eps)) / (K * denom ** 2)
'''),
    ("dice", "wrong", "eps only in the denominator (the usual 'avoid division by zero' reflex)", '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    K = p.shape[-1]
    inter = (p * t).sum(axis=(0, 1, 2))
    denom = p.sum(axis=(0, 1, 2)) + t.sum(axis=(0, 1, 2)) + eps
    dice = 2 * inter / denom
    return float(1 - dice.mean()), -(2 * t * denom - 2 * inter) / (K * denom ** 2)
'''),
    ("dice", "wrong", "means over batch and pixels instead of sums (eps then weighs far more)", '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    K = p.shape[-1]
    n = p[..., 0].size
    inter = (p * t).mean(axis=(0, 1, 2))
    denom = p.mean(axis=(0, 1, 2)) + t.mean(axis=(0, 1, 2)) + eps
    dice = (2 * inter + eps) / denom
    return float(1 - dice.mean()), -(2 * t * denom - (2 * inter + eps)) / (n * K * denom ** 2)
'''),
    ("dice", "wrong", "gradient sign error: returns dDice/dp instead of dL/dp", _DICE_SUMS + '''
    return float(1 - dice.mean()), (2 * t * denom - (2 * inter + eps)) / (K * denom ** 2)
'''),
    ("dice", "wrong", "gradient without the quotient rule's denominator term: -2 t / (K (S + eps))", _DICE_SUMS + '''
    return float(1 - dice.mean()), -2 * t / (K * denom)
'''),
    ("dice", "wrong", "gradient forgets the 1/K of the mean over classes", _DICE_SUMS + '''
    return float(1 - dice.mean()), -(2 * t * denom - (2 * inter + eps)) / denom ** 2
'''),
    ("dice", "wrong", "Dice per image (sums over pixels only), averaged over images and classes", '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    N, K = p.shape[0], p.shape[-1]
    inter = (p * t).sum(axis=(1, 2), keepdims=True)
    denom = p.sum(axis=(1, 2), keepdims=True) + t.sum(axis=(1, 2), keepdims=True) + eps
    dice = (2 * inter + eps) / denom
    return float(1 - dice.mean()), -(2 * t * denom - (2 * inter + eps)) / (N * K * denom ** 2)
'''),
    ("dice", "wrong", "one global Dice over all classes together (sums over every axis)", '''
def soft_dice_loss(probs, target, eps=1.0):
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    inter = (p * t).sum()
    denom = p.sum() + t.sum() + eps
    dice = (2 * inter + eps) / denom
    return float(1 - dice), -(2 * t * denom - (2 * inter + eps)) / denom ** 2
'''),
    ("dice", "correct", "a loop over the classes, loss and gradient per class", '''
def soft_dice_loss(probs, target, eps=1.0):
    K = probs.shape[-1]
    loss, grad = 1.0, np.zeros(probs.shape)
    for k in range(K):
        p, t = probs[..., k].astype(float), target[..., k].astype(float)
        num = 2 * np.sum(p * t) + eps
        den = np.sum(p) + np.sum(t) + eps
        loss -= num / den / K
        grad[..., k] = -(2 * t / den - num / den ** 2) / K
    return loss, grad
'''),
    ("dice", "correct", "einsum over flattened pixels, keepdims broadcasting, loss as a 0-d array", '''
def soft_dice_loss(probs, target, eps=1.0):
    K = probs.shape[-1]
    p = probs.reshape(-1, K).astype(np.float64)
    t = target.reshape(-1, K).astype(np.float64)
    num = 2 * np.einsum("nk,nk->k", p, t) + eps
    den = p.sum(0) + t.sum(0) + eps
    loss = 1 - np.mean(num / den)
    grad = (num / den ** 2 - 2 * t / den) / K
    return np.asarray(loss), grad.reshape(probs.shape)
'''),
]
