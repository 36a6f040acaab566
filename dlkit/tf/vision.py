"""TensorFlow mirror of dlkit.vision's box functions: ``box_convert``, ``box_iou`` and ``nms``.

Same names, arguments and formulas as the NumPy versions (see ``dlkit.vision``); plain TF ops, so they
run on whatever device TensorFlow picks (CPU or GPU) and inside ``tf.function``.
"""
import tensorflow as tf

from dlkit.vision.boxes import convert_coordinates

__all__ = ["box_convert", "box_iou", "nms"]


def _as_boxes(boxes, name, fn):
    boxes = tf.convert_to_tensor(boxes)
    if not boxes.dtype.is_floating:
        boxes = tf.cast(boxes, tf.float32)
    if boxes.shape.rank is not None and (boxes.shape.rank == 0 or boxes.shape[-1] not in (None, 4)):
        raise ValueError(f"{fn}: {name} must have shape (..., 4), got shape {boxes.shape}")
    return boxes


def box_convert(boxes, in_fmt, out_fmt):
    """Convert boxes (..., 4) between "xyxy", "xywh" and "cxcywh"; as ``dlkit.vision.box_convert``."""
    convert_coordinates(0, 0, 0, 0, in_fmt, out_fmt)  # checks the formats before the boxes
    coords = tf.unstack(_as_boxes(boxes, "boxes", "box_convert"), 4, axis=-1)
    return tf.stack(convert_coordinates(*coords, in_fmt, out_fmt), axis=-1)


def box_iou(boxes1, boxes2):
    """Pairwise IoU of xyxy boxes: boxes1 (N, 4), boxes2 (M, 4) -> (N, M); 0 where the union is 0.

    ``IoU(A, B) = |A ∩ B| / |A ∪ B|``, as ``dlkit.vision.box_iou``.
    """
    b1 = _as_boxes(boxes1, "boxes1", "box_iou")
    b2 = tf.cast(_as_boxes(boxes2, "boxes2", "box_iou"), b1.dtype)
    top_left = tf.maximum(b1[:, None, :2], b2[None, :, :2])        # (N, M, 2)
    bottom_right = tf.minimum(b1[:, None, 2:], b2[None, :, 2:])    # (N, M, 2)
    wh = tf.maximum(bottom_right - top_left, 0.0)
    inter = wh[..., 0] * wh[..., 1]
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    union = area1[:, None] + area2[None, :] - inter
    return tf.math.divide_no_nan(inter, union)


def nms(boxes, scores, iou_threshold=0.5, max_output_size=None):
    """Greedy NMS: boxes (N, 4) xyxy, scores (N,) -> kept indices (K,) int64 by decreasing score.

    A box is suppressed when its IoU with a kept box is > ``iou_threshold``. Wraps
    ``tf.image.non_max_suppression`` (which takes (y1, x1, y2, x2) boxes; IoU does not change when x and y
    swap roles, so xyxy boxes can be passed as they are). ``max_output_size=None`` keeps up to N.
    """
    boxes = tf.cast(_as_boxes(boxes, "boxes", "nms"), tf.float32)  # the TF op takes float32 (or float16)
    scores = tf.cast(tf.convert_to_tensor(scores), tf.float32)
    if not 0 <= float(iou_threshold) <= 1:
        raise ValueError(f"nms: iou_threshold must be in [0, 1], got {iou_threshold!r}")
    limit = tf.shape(boxes)[0] if max_output_size is None else max_output_size
    keep = tf.image.non_max_suppression(boxes, scores, limit, iou_threshold=iou_threshold)
    return tf.cast(keep, tf.int64)
