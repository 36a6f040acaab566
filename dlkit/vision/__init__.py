"""dlkit.vision: boxes (conversion, area, IoU, non-maximum suppression) and detection / segmentation
metrics (VOC average precision, mAP, per-class mask IoU and Dice) in NumPy. Never imports TensorFlow;
``dlkit.tf.vision`` mirrors ``box_iou``, ``nms`` and ``box_convert`` in TensorFlow.

Boxes are float arrays (..., 4) in pixel coordinates: "xyxy" = (x1, y1, x2, y2) with x1 <= x2, y1 <= y2,
"xywh" = (x1, y1, w, h), "cxcywh" = (cx, cy, w, h) (the names of ``torchvision.ops``).
"""
from .boxes import *  # noqa: F401,F403
from .boxes import __all__ as _boxes_all
from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics_all

__all__ = [*_boxes_all, *_metrics_all]
