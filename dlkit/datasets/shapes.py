"""Synthetic "shapes" detection / segmentation data: coloured circles, squares and triangles on a noisy,
lightly textured background, with tight bounding boxes, class labels and per-pixel masks.

Everything is generated offline from one ``seed`` and vectorised over images (one pass per object
slot over the pixel grid), so 2,000 images of 32x32 take a fraction of a second.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["SHAPE_CLASSES", "ShapesData", "make_shapes", "load_shapes", "SHAPES_SPLIT_SEEDS"]

SHAPE_CLASSES = ("circle", "square", "triangle")
MAX_OVERLAP_IOU = 0.3  # a new object is re-placed (a few tries) while its box IoU with an earlier one is above this
_RETRIES = 10


class ShapesData(NamedTuple):
    """One set of shapes images; ``n`` images of ``size x size`` with at most ``max_objects`` objects each.

    - ``images``: float32 (n, size, size, 3) in [0, 1], channels last.
    - ``boxes``: float32 (n, max_objects, 4), xyxy pixel coordinates (x1, y1, x2, y2) of the tight box of
      each whole shape (pixel ``(row, col)`` covers ``[col, col + 1] x [row, row + 1]``); padding rows are 0.
    - ``labels``: int64 (n, max_objects), class ids into ``SHAPE_CLASSES``; padding is -1.
    - ``masks``: int64 (n, size, size): 0 for background, ``label + 1`` where that object is visible
      (later objects are drawn on top of earlier ones).
    """

    images: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"make_shapes: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _pairwise_iou(box, earlier):
    """IoU of box (n, 4) with each of earlier (n, j, 4) -> (n, j); 0 where the union is empty."""
    lt = np.maximum(box[:, None, :2], earlier[..., :2])
    rb = np.minimum(box[:, None, 2:], earlier[..., 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
    union = area(box)[:, None] + area(earlier) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _place(rng, n, size, min_size, max_size, earlier):
    """Sizes s (n,) and top-left corners (n, 2) of one object slot, re-drawn where the box overlaps an
    earlier one with IoU > MAX_OVERLAP_IOU (up to _RETRIES times; then the least overlapping try is kept)."""
    s = rng.integers(min_size, max_size + 1, size=n)
    xy = rng.integers(0, size - s + 1, size=(2, n)).T
    if earlier.shape[1] == 0:
        return s, xy
    box = lambda s_, xy_: np.concatenate([xy_, xy_ + s_[:, None]], axis=1).astype(np.float64)  # noqa: E731
    worst = _pairwise_iou(box(s, xy), earlier).max(axis=1)
    for _ in range(_RETRIES):
        bad = worst > MAX_OVERLAP_IOU
        if not bad.any():
            break
        s2 = rng.integers(min_size, max_size + 1, size=n)
        xy2 = rng.integers(0, size - s2 + 1, size=(2, n)).T
        worst2 = _pairwise_iou(box(s2, xy2), earlier).max(axis=1)
        take = bad & (worst2 < worst)
        s, xy, worst = np.where(take, s2, s), np.where(take[:, None], xy2, xy), np.where(take, worst2, worst)
    return s, xy


def _render(label, s, xy, orient, size):
    """Boolean masks (n, size, size) of one object per image, in exact integer arithmetic.

    With k, m = 0..s-1 the column and row of a pixel inside the object's s x s box and ck = 2k + 1 - s,
    cm = 2m + 1 - s its doubled offsets from the box centre: circle ck^2 + cm^2 <= s^2 (pixel centre in
    the disc); square the whole box; triangle ``|ck| <= m + 1`` (apex up: width grows by one pixel per row,
    measured at the row's lower edge so the apex row is never empty), turned by ``orient`` (0..3: apex
    up, down, left, right). Symmetric shapes, and each one touches all four sides of its box.
    """
    s3 = s[:, None, None]
    k = np.arange(size)[None, None, :] - xy[:, 0, None, None]  # (n, 1, size): column inside the box
    m = np.arange(size)[None, :, None] - xy[:, 1, None, None]  # (n, size, 1): row inside the box
    in_box = ((k >= 0) & (k < s3)) & ((m >= 0) & (m < s3))
    ck, cm = 2 * k + 1 - s3, 2 * m + 1 - s3
    circle = ck ** 2 + cm ** 2 <= s3 ** 2
    flip = (orient % 2 == 1)[:, None, None]
    up = np.abs(ck) <= np.where(flip, s3 - m, m + 1)      # apex up / down (down: row counted from the base)
    side = np.abs(cm) <= np.where(flip, s3 - k, k + 1)    # apex left / right
    triangle = np.where((orient >= 2)[:, None, None], side, up)
    shape = np.where((label == 0)[:, None, None], circle, np.where((label == 1)[:, None, None], True, triangle))
    return in_box & shape


def make_shapes(n, size=32, max_objects=3, min_objects=1, noise=0.1, seed=0, min_size=None, max_size=None):
    """Generate ``n`` images of coloured circles, squares and triangles with boxes, labels and masks.

    Each image has between ``min_objects`` and ``max_objects`` objects (uniformly), each of a random class
    (``SHAPE_CLASSES``: 0 circle, 1 square, 2 triangle pointing up, down, left or right), a random side /
    diameter between ``min_size`` and ``max_size`` pixels (defaults ``max(3, size // 5)`` and ``size // 2``)
    and a random colour. Objects may overlap a little: a placement whose box has IoU > 0.3 with an earlier
    object of the image is re-drawn (a few tries). The background is a random colour with a faint
    sinusoidal texture; half the images are light-on-dark, half dark-on-light; Gaussian noise of standard
    deviation ``noise`` is added and the result clipped to [0, 1].

    Returns a ``ShapesData`` ``(images, boxes, labels, masks)``:
    images float32 (n, size, size, 3) in [0, 1]; boxes float32 (n, max_objects, 4) xyxy pixel coordinates
    of the whole shape (padding 0); labels int64 (n, max_objects) in 0..2 (padding -1); masks int64
    (n, size, size), 0 background and ``label + 1`` where an object is visible. Deterministic given ``seed``.

    Example::

        data = make_shapes(8, size=32, seed=1)
        data.images.shape        # (8, 32, 32, 3)
        data.labels[0]           # e.g. array([ 2,  0, -1]): a triangle, a circle, one empty slot
        valid = data.labels >= 0 # which box rows are objects
    """
    n = _check_int(n, "n", 1)
    size = _check_int(size, "size", 8)
    max_objects = _check_int(max_objects, "max_objects", 1)
    min_objects = _check_int(min_objects, "min_objects", 1)
    if min_objects > max_objects:
        raise ValueError(f"make_shapes: min_objects must be <= max_objects, got min_objects={min_objects}, "
                         f"max_objects={max_objects}")
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise TypeError(f"make_shapes: noise must be a number >= 0, got {noise!r}") from None
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"make_shapes: noise must be a finite number >= 0, got {noise!r}")
    min_size = max(3, size // 5) if min_size is None else _check_int(min_size, "min_size", 2)
    max_size = max(min_size, size // 2) if max_size is None else _check_int(max_size, "max_size", 2)
    if not min_size <= max_size <= size:
        raise ValueError(f"make_shapes: need min_size <= max_size <= size, got min_size={min_size}, "
                         f"max_size={max_size}, size={size}")

    rng = np.random.default_rng(seed)
    count = rng.integers(min_objects, max_objects + 1, size=n)
    labels = np.full((n, max_objects), -1, dtype=np.int64)
    boxes = np.zeros((n, max_objects, 4), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)

    # per image: a dark background colour and bright object colours; flipped (1 - c) in half the images
    flip = rng.random((n, 1, 1)) < 0.5
    palette = np.concatenate([rng.uniform(0.0, 0.35, size=(n, 1, 3)),  # index 0: background
                              rng.uniform(0.55, 1.0, size=(n, max_objects, 3))], axis=1)
    palette = np.where(flip, 1.0 - palette, palette).astype(np.float32)
    owner = np.zeros((n, size, size), dtype=np.int64)  # 1 + slot of the topmost object, 0 for background
    placed = np.zeros((n, 0, 4))
    for j in range(max_objects):
        active = j < count
        label = rng.integers(0, len(SHAPE_CLASSES), size=n)
        orient = rng.integers(0, 4, size=n)
        s, xy = _place(rng, n, size, min_size, max_size, placed)
        box = np.concatenate([xy, xy + s[:, None]], axis=1).astype(np.float64)
        drawn = _render(label, s, xy, orient, size) & active[:, None, None]
        owner[drawn] = j + 1
        masks[drawn] = np.broadcast_to(label[:, None, None] + 1, drawn.shape)[drawn]
        labels[active, j] = label[active]
        boxes[active, j] = box[active]
        # inactive slots get an empty box, which never blocks a later placement
        placed = np.concatenate([placed, np.where(active[:, None], box, 0.0)[:, None, :]], axis=1)
    images = np.take_along_axis(palette, owner.reshape(n, -1, 1), axis=1).reshape(n, size, size, 3)

    # faint sinusoidal texture on the background: sin(2 pi (fx x + fy y) + phase), written as a sum of
    # outer products (sin(a + b) = sin a cos b + cos a sin b) of a column wave a and a row wave b
    grid = (np.arange(size) / size).astype(np.float32)
    freq = rng.uniform(1.0, 3.0, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
    a = 2 * np.pi * freq[:, 0, None] * grid + rng.uniform(0, 2 * np.pi, size=(n, 1))  # (n, size)
    b = 2 * np.pi * freq[:, 1, None] * grid
    wave = np.sin(a)[:, None, :] * np.cos(b)[:, :, None] + np.cos(a)[:, None, :] * np.sin(b)[:, :, None]
    amplitude = rng.uniform(0.03, 0.06, size=(n, 1, 1)).astype(np.float32)
    images += ((owner == 0) * amplitude * wave.astype(np.float32))[..., None]
    images += np.float32(noise) * rng.standard_normal(images.shape, dtype=np.float32)
    return ShapesData(np.clip(images, 0.0, 1.0, out=images), boxes, labels, masks)


# THE split of the shapes data set shared by every chapter and exercise: each part is generated from its
# own fixed seed (disjoint seeds, so no image is shared). Model selection on "val"; "test" once at the end.
SHAPES_SPLIT_SEEDS = {"train": 15_001, "val": 15_002, "test": 15_003}


def load_shapes(size=32, max_objects=3, n_train=2000, n_val=500, n_test=500):
    """The book's one train/validation/test split of the shapes data set (see ``make_shapes``).

    Returns ``{"train": ShapesData, "val": ShapesData, "test": ShapesData}`` with ``n_train``, ``n_val``
    and ``n_test`` images of ``size x size`` (defaults 2,000 / 500 / 500 at 32x32), each part generated by
    ``make_shapes`` from its own fixed seed (``SHAPES_SPLIT_SEEDS``), so the split is identical on every
    call, in every chapter and exercise, and no image appears in two parts. Every other argument of
    ``make_shapes`` keeps its default. Select models on ``"val"``; touch ``"test"`` once, at the end.
    """
    sizes = {"train": n_train, "val": n_val, "test": n_test}
    for part, count in sizes.items():
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"load_shapes: n_{part} must be an integer >= 1, got {count!r}")
    return {part: make_shapes(count, size=size, max_objects=max_objects, seed=SHAPES_SPLIT_SEEDS[part])
            for part, count in sizes.items()}
