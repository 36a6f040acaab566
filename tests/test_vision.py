"""dlkit.vision (NumPy) and dlkit.tf.vision: boxes, NMS, average precision, mask IoU / Dice.

References: naive pure-Python loops written here, hand-computed cases, tf.image.non_max_suppression and
scikit-learn's jaccard_score / f1_score.
"""
import itertools

import numpy as np
import pytest

from dlkit import vision as V


def random_boxes(rng, n, size=50.0):
    xy = rng.uniform(0, size, size=(n, 2))
    wh = rng.uniform(1, size / 2, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def naive_iou(a, b):
    """IoU of two xyxy boxes with plain Python floats."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def naive_nms(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    suppressed, keep = set(), []
    for i in order:
        if i in suppressed:
            continue
        keep.append(i)
        suppressed |= {j for j in order if j != i and naive_iou(boxes[i], boxes[j]) > thr}
    return keep


# ----------------------------------------------------------------------------- boxes
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_box_iou_matches_naive_double_loop_and_is_symmetric(seed):
    rng = np.random.default_rng(seed)
    a, b = random_boxes(rng, 7), random_boxes(rng, 5)
    a[0] = b[0]  # one identical pair
    got = V.box_iou(a, b)
    want = np.array([[naive_iou(x, y) for y in b] for x in a])
    assert got.shape == (7, 5)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(V.box_iou(b, a), got.T, rtol=1e-12)
    assert (want > 0).any() and (want == 0).any()  # the data exercise both cases


@pytest.mark.parametrize("a,b,want", [
    ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),        # no overlap
    ([0, 0, 10, 10], [2, 2, 4, 4], 4 / 100),        # containment: |B| / |A|
    ([1, 2, 5, 7], [1, 2, 5, 7], 1.0),              # identical
    ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),              # touching edges
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),            # inter 1, union 4 + 4 - 1
    ([0, 0, 2, 1], [1, 0, 3, 1], 1 / 3),            # inter 1, union 2 + 2 - 1
    ([3, 3, 3, 3], [3, 3, 3, 3], 0.0),              # two zero-area boxes: 0, not nan
    ([3, 3, 3, 8], [0, 0, 10, 10], 0.0),            # zero-area box inside another
])
def test_box_iou_hand_cases(a, b, want):
    got = V.box_iou(np.array([a], float), np.array([b], float))
    assert got.shape == (1, 1) and not np.isnan(got).any()
    assert got[0, 0] == pytest.approx(want, abs=1e-12)


def test_box_area_and_convert_hand_cases():
    xyxy = np.array([[1.0, 2.0, 4.0, 8.0]])
    np.testing.assert_allclose(V.box_area(xyxy), [18.0])
    np.testing.assert_allclose(V.box_convert(xyxy, "xyxy", "xywh"), [[1, 2, 3, 6]])
    np.testing.assert_allclose(V.box_convert(xyxy, "xyxy", "cxcywh"), [[2.5, 5, 3, 6]])
    np.testing.assert_allclose(V.box_convert([[2.5, 5, 3, 6]], "cxcywh", "xyxy"), xyxy)


@pytest.mark.parametrize("src,dst", list(itertools.permutations(V.BOX_FORMATS, 2)))
def test_box_convert_round_trips(src, dst):
    rng = np.random.default_rng(4)
    boxes = V.box_convert(random_boxes(rng, 12).reshape(3, 4, 4), "xyxy", src)  # (..., 4) batch shape
    there = V.box_convert(boxes, src, dst)
    assert there.shape == boxes.shape
    np.testing.assert_allclose(V.box_convert(there, dst, src), boxes, rtol=1e-12, atol=1e-12)
    # the area (w * h) is the same in every format
    np.testing.assert_allclose(V.box_area(V.box_convert(there, dst, "xyxy")), V.box_area(V.box_convert(boxes, src, "xyxy")))


def test_box_errors_name_the_argument():
    with pytest.raises(ValueError, match="in_fmt"):
        V.box_convert(np.zeros((1, 4)), "yxyx", "xyxy")
    with pytest.raises(ValueError, match="out_fmt"):
        V.box_convert(np.zeros((1, 4)), "xyxy", "xy")
    with pytest.raises(ValueError, match="boxes2"):
        V.box_iou(np.zeros((2, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="boxes1"):
        V.box_iou(np.zeros(4), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="x1 <= x2"):
        V.box_iou(np.array([[5.0, 0, 1, 1]]), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="scores"):
        V.nms(np.zeros((3, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="iou_threshold"):
        V.nms(np.zeros((3, 4)), np.zeros(3), iou_threshold=1.5)


# ----------------------------------------------------------------------------- NMS
@pytest.mark.parametrize("seed,thr", [(0, 0.5), (1, 0.3), (2, 0.7), (3, 0.0), (4, 0.5)])
def test_nms_matches_naive_and_tensorflow(seed, thr):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, 60).astype(np.float32)
    scores = rng.random(60).astype(np.float32)
    keep = V.nms(boxes, scores, thr)
    assert keep.dtype == np.int64
    assert keep.tolist() == naive_nms(boxes.astype(float).tolist(), scores.tolist(), thr)
    ref = tf.image.non_max_suppression(boxes, scores, max_output_size=60, iou_threshold=thr).numpy()
    assert keep.tolist() == ref.tolist()
    assert 1 < len(keep) < 60  # some boxes kept, some suppressed
    # max_output_size keeps the first ones
    assert V.nms(boxes, scores, thr, max_output_size=3).tolist() == keep[:3].tolist()


def test_nms_hand_case_and_empty():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 5]], float)
    scores = np.array([0.9, 0.95, 0.5, 0.8])
    # box 1 kept first; box 0 has IoU 81/119 = 0.68 with it -> dropped; box 3 IoU 36/(100+50-36)=0.32 -> kept
    assert V.nms(boxes, scores, 0.5).tolist() == [1, 3, 2]
    assert V.nms(boxes, scores, 0.3).tolist() == [1, 2]
    assert V.nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_nms_equals_per_class_nms_and_offset_trick(seed):
    rng = np.random.default_rng(seed)
    boxes, scores, classes = random_boxes(rng, 50), rng.random(50), rng.integers(0, 3, 50)
    keep = V.batched_nms(boxes, scores, classes, 0.4)
    per_class = set()
    for k in range(3):
        idx = np.flatnonzero(classes == k)
        per_class |= set(idx[V.nms(boxes[idx], scores[idx], 0.4)].tolist())
    assert set(keep.tolist()) == per_class
    assert np.all(np.diff(scores[keep]) <= 0)  # by decreasing score
    # torchvision's trick: shift each class far away so boxes of different classes never overlap
    shifted = boxes + (classes * 1000.0)[:, None]
    assert keep.tolist() == naive_nms(shifted.tolist(), scores.tolist(), 0.4)
    assert len(keep) > len(V.nms(boxes, scores, 0.4))  # classes do not suppress each other


# ----------------------------------------------------------------------------- TF mirror
def test_tf_vision_matches_numpy():
    import tensorflow as tf
    from dlkit.tf import vision as TV

    rng = np.random.default_rng(7)
    a, b = random_boxes(rng, 9), random_boxes(rng, 6)
    a[1] = [3, 3, 3, 3]
    b[1] = [3, 3, 3, 3]
    got = TV.box_iou(tf.constant(a), tf.constant(b))
    assert isinstance(got, tf.Tensor) and got.shape == (9, 6)
    np.testing.assert_allclose(got.numpy(), V.box_iou(a, b), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(TV.box_iou(a.astype(np.float32), b.astype(np.float32)).numpy(), V.box_iou(a, b),
                               rtol=1e-5, atol=1e-6)
    for src, dst in itertools.permutations(V.BOX_FORMATS, 2):
        np.testing.assert_allclose(TV.box_convert(a, src, dst).numpy(), V.box_convert(a, src, dst), rtol=1e-12)
    boxes = random_boxes(rng, 40).astype(np.float32)
    scores = rng.random(40).astype(np.float32)
    for thr in (0.2, 0.5):
        keep = TV.nms(boxes, scores, thr)
        assert keep.dtype == tf.int64
        assert keep.numpy().tolist() == V.nms(boxes, scores, thr).tolist()
    assert TV.nms(boxes, scores, 0.5, max_output_size=2).numpy().tolist() == V.nms(boxes, scores, 0.5)[:2].tolist()
    with pytest.raises(ValueError, match="in_fmt"):
        TV.box_convert(a, "yxyx", "xyxy")


# ----------------------------------------------------------------------------- average precision
def reference_ap(detections, ground_truth, thr):
    """PASCAL VOC devkit style: sentinel-padded precision envelope, summed where recall changes."""
    flat = sorted(((s, i, tuple(b)) for i, (bs, ss) in enumerate(detections) for b, s in zip(bs, ss)),
                  key=lambda r: -r[0])
    used = [[False] * len(g) for g in ground_truth]
    tp = []
    for _, i, box in flat:
        cands = [(naive_iou(box, g), j) for j, g in enumerate(ground_truth[i]) if not used[i][j]]
        best = max(cands, default=(-1.0, -1))
        hit = best[0] >= thr
        if hit:
            used[i][best[1]] = True
        tp.append(hit)
    n_gt = sum(len(g) for g in ground_truth)
    tps = np.cumsum(tp)
    rec = tps / n_gt
    prec = tps / np.arange(1, len(tp) + 1)
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    for k in range(len(mpre) - 2, -1, -1):
        mpre[k] = max(mpre[k], mpre[k + 1])
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_average_precision_matches_reference(seed):
    rng = np.random.default_rng(seed)
    detections, ground_truth = [], []
    for _ in range(6):
        gt = random_boxes(rng, rng.integers(0, 4))
        jitter = gt + rng.normal(0, 2.0, gt.shape)
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 0.5)
        boxes = np.concatenate([jitter, jitter[:1], random_boxes(rng, rng.integers(0, 3))])  # + a duplicate
        detections.append((boxes, rng.random(len(boxes))))
        ground_truth.append(gt)
    ap, precision, recall = V.average_precision(detections, ground_truth, 0.5)
    assert ap == pytest.approx(reference_ap(detections, ground_truth, 0.5), abs=1e-12)
    assert 0 < ap < 1
    n = sum(len(d[0]) for d in detections)
    assert precision.shape == recall.shape == (n,) and np.all(np.diff(recall) >= 0)


def test_average_precision_hand_cases():
    gt = [np.array([[0, 0, 10, 10.0]]), np.array([[20, 20, 30, 30.0]])]
    perfect = [(gt[0], [0.9]), (gt[1], [0.8])]
    assert V.average_precision(perfect, gt)[0] == pytest.approx(1.0)
    assert V.average_precision([(np.zeros((0, 4)), []), (np.zeros((0, 4)), [])], gt)[0] == 0.0
    # one GT, a false positive ranked first then the true positive: precision (0, 1/2), recall (0, 1);
    # AP = (0 - 0) * p_interp(0) + (1 - 0) * p_interp(1) = 1 * 1/2 = 0.5
    ap, p, r = V.average_precision([([[50, 50, 60, 60], [0, 0, 10, 10]], [0.9, 0.1])], [gt[0]])
    assert ap == pytest.approx(0.5) and p.tolist() == [0, 0.5] and r.tolist() == [0, 1]
    # two GT: TP (0.9), duplicate of it = FP (0.8), TP (0.7): precision (1, 1/2, 2/3), recall (1/2, 1/2, 1)
    # AP = 1/2 * max(1, 1/2, 2/3) + 0 + 1/2 * 2/3 = 1/2 + 1/3
    dets = [([[0, 0, 10, 10], [1, 1, 10, 10]], [0.9, 0.8]), ([[20, 20, 30, 31]], [0.7])]
    assert V.average_precision(dets, gt)[0] == pytest.approx(1 / 2 + 1 / 3)
    # the IoU threshold decides: IoU([0,0,10,10], [0,0,10,20]) = 1/2 counts at 0.5 (>=), not at 0.6
    half = [([[0, 0, 10, 20]], [1.0])]
    assert V.average_precision(half, [gt[0]], 0.5)[0] == 1.0
    assert V.average_precision(half, [gt[0]], 0.6)[0] == 0.0
    assert np.isnan(V.average_precision([([[0, 0, 1, 1]], [1.0])], [np.zeros((0, 4))])[0])
    with pytest.raises(ValueError, match="ground_truth"):
        V.average_precision(perfect, gt[:1])


def test_mean_average_precision_per_class_and_padding():
    from dlkit.datasets import make_shapes

    data = make_shapes(30, seed=2)
    rng = np.random.default_rng(0)
    scores = rng.random(data.labels.shape)
    # perfect predictions straight from the padded arrays (label -1 = padding, ignored)
    m, per_class = V.mean_average_precision(data.boxes, scores, data.labels, data.boxes, data.labels)
    assert m == pytest.approx(1.0) and list(per_class) == [0, 1, 2]
    assert list(per_class.values()) == pytest.approx([1.0, 1.0, 1.0])
    # wrong class for every circle: class 0 AP = 0, the others stay 1 -> mAP = 2/3
    wrong = np.where(data.labels == 0, 1, data.labels)
    m, per_class = V.mean_average_precision(data.boxes, scores, wrong, data.boxes, data.labels)
    assert per_class[0] == 0.0 and m == pytest.approx(np.mean(list(per_class.values())))
    valid = [lab >= 0 for lab in data.labels]
    want1 = V.average_precision([(b[v & (w == 1)], s[v & (w == 1)]) for b, s, w, v in
                                 zip(data.boxes, scores, wrong, valid)],
                                [b[lab == 1] for b, lab in zip(data.boxes, data.labels)])[0]
    assert per_class[1] == pytest.approx(want1) and per_class[1] < 1  # extra false positives of class 1
    # a class without ground truth is nan and left out of the mean
    m, per_class = V.mean_average_precision(data.boxes, scores, data.labels, data.boxes, data.labels, num_classes=4)
    assert np.isnan(per_class[3]) and m == pytest.approx(1.0)


# ----------------------------------------------------------------------------- masks
@pytest.mark.parametrize("seed", [0, 1])
def test_mask_iou_and_dice_match_sklearn(seed):
    from sklearn.metrics import f1_score, jaccard_score

    rng = np.random.default_rng(seed)
    target = rng.integers(0, 4, size=(3, 16, 16))
    pred = np.where(rng.random(target.shape) < 0.7, target, rng.integers(0, 4, size=target.shape))
    pred[pred == 2] = 1  # class 2 is never predicted: IoU 0 but defined
    iou = V.mask_iou(pred, target, num_classes=5)  # class 4 absent from both -> nan
    dice = V.dice_coefficient(pred, target, num_classes=5)
    labels = [0, 1, 2, 3]
    np.testing.assert_allclose(iou[:4], jaccard_score(target.ravel(), pred.ravel(), labels=labels, average=None))
    np.testing.assert_allclose(dice[:4], f1_score(target.ravel(), pred.ravel(), labels=labels, average=None))
    assert np.isnan(iou[4]) and np.isnan(dice[4]) and iou[2] == 0
    np.testing.assert_allclose(dice[:4], 2 * iou[:4] / (1 + iou[:4]))


def test_mask_metrics_errors():
    with pytest.raises(ValueError, match="same shape"):
        V.mask_iou(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(TypeError, match="pred"):
        V.mask_iou(np.zeros((2, 2)), np.zeros((2, 2), int), 2)
    with pytest.raises(ValueError, match="target"):
        V.dice_coefficient(np.zeros((2, 2), int), np.full((2, 2), 3), 2)
    with pytest.raises(ValueError, match="num_classes"):
        V.dice_coefficient(np.zeros((2, 2), int), np.zeros((2, 2), int), 0)
