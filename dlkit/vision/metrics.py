"""Detection and segmentation metrics in NumPy: average precision (PASCAL VOC all-point interpolation,
COCO-style matching to the best unclaimed ground-truth box), mean average precision over classes, and per-class IoU / Dice of integer label maps."""
import numpy as np

from .boxes import _as_boxes, box_iou

__all__ = ["average_precision", "mean_average_precision", "mask_iou", "dice_coefficient"]


def _match(detections, ground_truth, iou_threshold):
    """Flatten the detections of all images, sort them by decreasing score (stable) and mark each a true
    positive when its best IoU among the ground-truth boxes not matched before is >= iou_threshold
    (COCO-style: already matched boxes are masked out; the VOC devkit instead takes the best box overall
    and counts a hit on an already matched box as a false positive). -> (scores (D,), is_tp (D,) bool, n_gt)."""
    if len(detections) != len(ground_truth):
        raise ValueError(f"average_precision: detections and ground_truth must be lists over the same images, "
                         f"got {len(detections)} and {len(ground_truth)} entries")
    records, gts = [], []
    for i, (det, gt) in enumerate(zip(detections, ground_truth)):
        if not isinstance(det, (tuple, list)) or len(det) != 2:
            raise ValueError(f"average_precision: detections[{i}] must be a pair (boxes (k, 4), scores (k,))")
        boxes = _as_boxes(np.reshape(det[0], (-1, 4)) if np.size(det[0]) == 0 else det[0],
                          f"detections[{i}] boxes", "average_precision", ndim=2)
        scores = np.asarray(det[1], dtype=np.float64).reshape(-1)
        if scores.shape != (boxes.shape[0],):
            raise ValueError(f"average_precision: detections[{i}] has {boxes.shape[0]} boxes but "
                             f"{scores.shape[0]} scores")
        gts.append(_as_boxes(np.reshape(gt, (-1, 4)) if np.size(gt) == 0 else gt,
                             f"ground_truth[{i}]", "average_precision", ndim=2))
        records += [(score, i, box) for score, box in zip(scores, boxes)]
    order = sorted(range(len(records)), key=lambda k: -records[k][0])  # stable: ties keep input order
    matched = [np.zeros(len(g), dtype=bool) for g in gts]
    is_tp = np.zeros(len(records), dtype=bool)
    for rank, k in enumerate(order):
        _, i, box = records[k]
        if len(gts[i]) == 0:
            continue
        iou = box_iou(box[None], gts[i])[0]
        iou[matched[i]] = -1.0            # each ground-truth box can be matched only once
        best = int(np.argmax(iou))
        if iou[best] >= iou_threshold:
            matched[i][best] = is_tp[rank] = True
    scores = np.asarray([records[k][0] for k in order], dtype=np.float64)
    return scores, is_tp, sum(len(g) for g in gts)


def average_precision(detections, ground_truth, iou_threshold=0.5):
    """Average precision of one class over a set of images: PASCAL VOC all-point interpolation, COCO-style
    matching (each detection takes the best ground-truth box not yet matched).

    detections: list over images of ``(boxes (k, 4) xyxy, scores (k,))``; ground_truth: list over the same
    images of boxes (g, 4) xyxy. All detections are ranked by decreasing score (ties: image order, then
    order within the image); going down the ranking, a detection is a true positive when its best IoU
    with a not yet matched ground-truth box of its image is >= ``iou_threshold`` (that box is then
    matched; each ground-truth box is matched at most once), else a false positive. This masking of
    matched boxes is COCO's rule; the VOC devkit takes the best box overall and counts the detection
    as a false positive if that box is already matched (the two differ only when a detection overlaps
    two ground-truth boxes by at least ``iou_threshold``).
    After the k best detections: precision ``p_k = TP_k / k`` and recall ``r_k = TP_k / G`` (G ground-truth
    boxes). With the interpolated precision ``p_interp(r_k) = max_{j >= k} p_j`` (the best precision at any
    recall >= r_k)::

        AP = sum_k (r_k - r_{k-1}) * p_interp(r_k),   r_0 = 0

    Returns ``(ap, precision, recall)``: a float and two float64 arrays (D,) over the ranked detections.
    AP is 0 with no detections and nan when there are no ground-truth boxes (recall undefined).
    """
    if not 0 <= float(iou_threshold) <= 1:
        raise ValueError(f"average_precision: iou_threshold must be in [0, 1], got {iou_threshold!r}")
    _, is_tp, n_gt = _match(detections, ground_truth, float(iou_threshold))
    tp = np.cumsum(is_tp)
    precision = tp / np.arange(1, len(is_tp) + 1)
    if n_gt == 0:
        return float("nan"), precision, np.full(len(is_tp), np.nan)
    recall = tp / n_gt
    p_interp = np.maximum.accumulate(precision[::-1])[::-1]
    r_prev = np.concatenate([[0.0], recall[:-1]])
    return float(np.sum((recall - r_prev) * p_interp)), precision, recall


def mean_average_precision(pred_boxes, pred_scores, pred_classes, gt_boxes, gt_classes, iou_threshold=0.5,
                           num_classes=None):
    """mAP: the mean over classes of ``average_precision`` (detections of a class only match boxes of it).

    All arguments are lists (or arrays) over images: pred_boxes[i] (k_i, 4) xyxy, pred_scores[i] (k_i,),
    pred_classes[i] (k_i,) int, gt_boxes[i] (g_i, 4) xyxy, gt_classes[i] (g_i,) int. Entries with a class
    < 0 are padding and ignored, so ``ShapesData.boxes`` / ``.labels`` can be passed directly.
    ``num_classes=None`` uses 1 + the largest class id present. Returns ``(map, {class: ap})``; a class
    without ground-truth boxes has AP nan and is left out of the mean (nan if no class has any).
    """
    lists = (pred_boxes, pred_scores, pred_classes, gt_boxes, gt_classes)
    if len({len(x) for x in lists}) != 1:
        raise ValueError("mean_average_precision: pred_boxes, pred_scores, pred_classes, gt_boxes and gt_classes "
                         f"must be lists over the same images, got lengths {[len(x) for x in lists]}")
    pc = [np.asarray(c, dtype=np.int64).reshape(-1) for c in pred_classes]
    gc = [np.asarray(c, dtype=np.int64).reshape(-1) for c in gt_classes]
    pb = [np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in pred_boxes]
    gb = [np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in gt_boxes]
    ps = [np.asarray(s, dtype=np.float64).reshape(-1) for s in pred_scores]
    for i in range(len(pc)):
        if not len(pb[i]) == len(ps[i]) == len(pc[i]) or len(gb[i]) != len(gc[i]):
            raise ValueError(f"mean_average_precision: image {i} has {len(pb[i])} boxes, {len(ps[i])} scores and "
                             f"{len(pc[i])} classes predicted, {len(gb[i])} boxes and {len(gc[i])} classes true")
    if num_classes is None:
        num_classes = 1 + max([int(c.max()) for c in pc + gc if c.size] + [-1])
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"mean_average_precision: num_classes must be None or an integer >= 0, got {num_classes!r}")
    per_class = {}
    for k in range(int(num_classes)):
        dets = [(b[c == k], s[c == k]) for b, s, c in zip(pb, ps, pc)]
        per_class[k] = average_precision(dets, [b[c == k] for b, c in zip(gb, gc)], iou_threshold)[0]
    aps = [ap for ap in per_class.values() if not np.isnan(ap)]
    return (float(np.mean(aps)) if aps else float("nan")), per_class


def _confusion(pred, target, num_classes, fn):
    """Confusion counts cm[t, p] = #pixels with target t and prediction p, for label maps of any shape."""
    pred, target = np.asarray(pred), np.asarray(target)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"{fn}: num_classes must be an integer >= 1, got {num_classes!r}")
    if pred.shape != target.shape:
        raise ValueError(f"{fn}: pred and target must have the same shape, got {pred.shape} and {target.shape}")
    for name, a in (("pred", pred), ("target", target)):
        if a.dtype == bool or not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"{fn}: {name} must be an integer label map (take argmax over the class axis of "
                            f"scores first), got dtype {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{fn}: {name} values must be in [0, {num_classes - 1}], found {a.min()}..{a.max()}")
    flat = target.reshape(-1).astype(np.int64) * num_classes + pred.reshape(-1)
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def mask_iou(pred, target, num_classes):
    """Per-class IoU of integer label maps: pred, target (...) same shape, values in [0, num_classes)
    -> (num_classes,) float64. ``IoU_c = |P_c ∩ T_c| / |P_c ∪ T_c|`` with P_c, T_c the pixels labelled c;
    nan for a class absent from both (use ``np.nanmean`` for the mean IoU)."""
    cm = _confusion(pred, target, num_classes, "mask_iou")
    inter = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - inter
    return np.divide(inter, union, out=np.full(len(inter), np.nan), where=union > 0)


def dice_coefficient(pred, target, num_classes):
    """Per-class Dice (F1) of integer label maps: pred, target (...) same shape -> (num_classes,) float64.
    ``Dice_c = 2 |P_c ∩ T_c| / (|P_c| + |T_c|) = 2 IoU_c / (1 + IoU_c)``; nan for a class absent from both."""
    cm = _confusion(pred, target, num_classes, "dice_coefficient")
    inter = np.diag(cm).astype(np.float64)
    total = (cm.sum(0) + cm.sum(1)).astype(np.float64)
    return np.divide(2 * inter, total, out=np.full(len(inter), np.nan), where=total > 0)
