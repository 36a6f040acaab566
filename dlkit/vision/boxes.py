"""Bounding boxes in NumPy: format conversion, area, pairwise IoU and non-maximum suppression.

Boxes are float arrays of shape (..., 4) in pixel coordinates, in one of three formats (the names of
``torchvision.ops``): ``"xyxy"`` = (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2, ``"xywh"`` = (x1, y1, w, h)
and ``"cxcywh"`` = (cx, cy, w, h). Functions other than ``box_convert`` take xyxy boxes.
"""
import numpy as np

__all__ = ["BOX_FORMATS", "box_convert", "box_area", "box_iou", "nms", "batched_nms"]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _as_boxes(boxes, name, fn, ndim=None):
    boxes = np.asarray(boxes)
    if boxes.dtype == bool or not (np.issubdtype(boxes.dtype, np.number)):
        raise TypeError(f"{fn}: {name} must be a numeric array of boxes, got dtype {boxes.dtype}")
    if not np.issubdtype(boxes.dtype, np.floating):
        boxes = boxes.astype(np.float64)
    if boxes.ndim == 0 or boxes.shape[-1] != 4 or (ndim is not None and boxes.ndim != ndim):
        want = "(N, 4)" if ndim == 2 else "(..., 4)"
        raise ValueError(f"{fn}: {name} must have shape {want}, got shape {boxes.shape}")
    return boxes


def _check_xyxy(boxes, name, fn):
    if np.any(boxes[..., 2] < boxes[..., 0]) or np.any(boxes[..., 3] < boxes[..., 1]):
        raise ValueError(f"{fn}: {name} must be xyxy boxes with x1 <= x2 and y1 <= y2 "
                         "(convert other formats with box_convert(boxes, in_fmt, 'xyxy'))")


def convert_coordinates(a0, a1, a2, a3, in_fmt, out_fmt):
    """The four coordinates of boxes in ``in_fmt`` -> the four in ``out_fmt``; plain arithmetic, so the same
    formulas serve NumPy arrays here and TF tensors in ``dlkit.tf.vision``."""
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in BOX_FORMATS:
            raise ValueError(f"box_convert: {name} must be one of {BOX_FORMATS}, got {fmt!r}")
    if in_fmt == "xywh":
        a2, a3 = a0 + a2, a1 + a3
    elif in_fmt == "cxcywh":
        a0, a1, a2, a3 = a0 - a2 / 2, a1 - a3 / 2, a0 + a2 / 2, a1 + a3 / 2
    # now (a0, a1, a2, a3) = (x1, y1, x2, y2)
    if out_fmt == "xywh":
        a2, a3 = a2 - a0, a3 - a1
    elif out_fmt == "cxcywh":
        a0, a1, a2, a3 = (a0 + a2) / 2, (a1 + a3) / 2, a2 - a0, a3 - a1
    return a0, a1, a2, a3


def box_convert(boxes, in_fmt, out_fmt):
    """Convert boxes (..., 4) between the formats "xyxy", "xywh" and "cxcywh" (as ``torchvision.ops``).

    xywh -> xyxy: (x1, y1, x1 + w, y1 + h); cxcywh -> xyxy: (cx - w/2, cy - h/2, cx + w/2, cy + h/2).
    Returns a new float array of the same shape (integer input becomes float64).
    """
    convert_coordinates(0, 0, 0, 0, in_fmt, out_fmt)  # checks the formats before the boxes
    b = _as_boxes(boxes, "boxes", "box_convert")
    coords = convert_coordinates(*(b[..., i] for i in range(4)), in_fmt, out_fmt)
    return np.stack(coords, axis=-1).astype(b.dtype, copy=False)


def box_area(boxes):
    """Area (x2 - x1) * (y2 - y1) of xyxy boxes: (..., 4) -> (...)."""
    b = _as_boxes(boxes, "boxes", "box_area")
    _check_xyxy(b, "boxes", "box_area")
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def box_iou(boxes1, boxes2):
    """Pairwise intersection over union of xyxy boxes: boxes1 (N, 4), boxes2 (M, 4) -> iou (N, M).

    ``IoU(A, B) = |A ∩ B| / |A ∪ B|`` with ``|A ∪ B| = |A| + |B| - |A ∩ B|``. The intersection of A and B is the
    box from the larger top-left corner to the smaller bottom-right corner (empty when they do not
    overlap, so boxes that only touch have IoU 0). Where the union is 0 (two zero-area boxes) the IoU is
    defined as 0, never nan.
    """
    b1 = _as_boxes(boxes1, "boxes1", "box_iou", ndim=2)
    b2 = _as_boxes(boxes2, "boxes2", "box_iou", ndim=2)
    _check_xyxy(b1, "boxes1", "box_iou")
    _check_xyxy(b2, "boxes2", "box_iou")
    top_left = np.maximum(b1[:, None, :2], b2[None, :, :2])       # (N, M, 2)
    bottom_right = np.minimum(b1[:, None, 2:], b2[None, :, 2:])   # (N, M, 2)
    wh = np.clip(bottom_right - top_left, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(b1)[:, None] + box_area(b2)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(boxes, scores, iou_threshold=0.5, max_output_size=None):
    """Greedy non-maximum suppression: boxes (N, 4) xyxy, scores (N,) -> kept indices (K,) int64.

    Repeatedly keep the highest-scoring remaining box and drop every remaining box whose IoU with it is
    > ``iou_threshold`` (the semantics of ``torchvision.ops.nms`` and ``tf.image.non_max_suppression``).
    The indices come in order of decreasing score (ties: lower index first); at most ``max_output_size``
    are kept (None: no limit).
    """
    b = _as_boxes(boxes, "boxes", "nms", ndim=2)
    s = np.asarray(scores)
    if s.shape != (b.shape[0],):
        raise ValueError(f"nms: scores must have shape ({b.shape[0]},) to match boxes {b.shape}, got {s.shape}")
    if not 0 <= float(iou_threshold) <= 1:
        raise ValueError(f"nms: iou_threshold must be in [0, 1], got {iou_threshold!r}")
    if max_output_size is not None and (isinstance(max_output_size, bool) or
                                        not isinstance(max_output_size, (int, np.integer)) or max_output_size < 0):
        raise ValueError(f"nms: max_output_size must be None or an integer >= 0, got {max_output_size!r}")
    limit = b.shape[0] if max_output_size is None else int(max_output_size)
    order = np.argsort(-s, kind="stable")  # candidates, best first
    keep = []
    while order.size and len(keep) < limit:
        best, order = order[0], order[1:]
        keep.append(best)
        iou = box_iou(b[best][None], b[order])[0]
        order = order[iou <= iou_threshold]  # suppress the boxes that overlap the kept one too much
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes, scores, classes, iou_threshold=0.5):
    """Per-class NMS: boxes (N, 4) xyxy, scores (N,), classes (N,) int -> kept indices (K,) int64.

    Boxes of different classes never suppress each other: ``nms`` runs on each class separately and the
    kept indices of all classes are returned together in order of decreasing score, ties by lower
    index (as ``torchvision.ops.batched_nms``).
    """
    b = _as_boxes(boxes, "boxes", "batched_nms", ndim=2)
    s, c = np.asarray(scores), np.asarray(classes)
    if s.shape != (b.shape[0],) or c.shape != (b.shape[0],):
        raise ValueError(f"batched_nms: scores and classes must have shape ({b.shape[0]},) to match boxes "
                         f"{b.shape}, got scores {s.shape} and classes {c.shape}")
    keep = [np.flatnonzero(c == k)[nms(b[c == k], s[c == k], iou_threshold)] for k in np.unique(c)]
    keep = np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
    return keep[np.argsort(-s[keep], kind="stable")].astype(np.int64)
