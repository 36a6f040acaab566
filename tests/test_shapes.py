"""dlkit.datasets.make_shapes / load_shapes: the synthetic detection + segmentation data set.

Geometry is checked against independent references: each box must enclose its object's visible mask
pixels, and an unoccluded object's pixel count must match the analytic area of its shape (square = box,
circle = pi/4 box, triangle = 1/2 box), computed here from the box alone.
"""
import subprocess
import sys
import time

import numpy as np
import pytest

from dlkit.datasets import SHAPE_CLASSES, ShapesData, load_shapes, make_shapes


@pytest.fixture(scope="module")
def data():
    return make_shapes(400, size=32, seed=3)


def test_shapes_dtypes_ranges(data):
    n, size, k = 400, 32, 3
    assert isinstance(data, ShapesData) and SHAPE_CLASSES == ("circle", "square", "triangle")
    assert data.images.shape == (n, size, size, 3) and data.images.dtype == np.float32
    assert data.boxes.shape == (n, k, 4) and data.boxes.dtype == np.float32
    assert data.labels.shape == (n, k) and data.labels.dtype == np.int64
    assert data.masks.shape == (n, size, size) and data.masks.dtype == np.int64
    assert 0 <= data.images.min() and data.images.max() <= 1
    assert set(np.unique(data.labels)) == {-1, 0, 1, 2}
    assert set(np.unique(data.masks)) == {0, 1, 2, 3}
    valid = data.labels >= 0
    counts = valid.sum(1)
    assert counts.min() == 1 and counts.max() == 3
    # objects fill the first slots; padding rows are all 0
    assert np.all(valid[:, :-1] | ~valid[:, 1:])
    assert np.all(data.boxes[~valid] == 0)
    b = data.boxes[valid]
    assert np.all(b[:, 0] < b[:, 2]) and np.all(b[:, 1] < b[:, 3]) and b.min() >= 0 and b.max() <= size
    side = b[:, 2] - b[:, 0]
    assert np.all(side == b[:, 3] - b[:, 1])  # the shapes have square boxes
    assert side.min() >= 32 // 5 and side.max() <= 32 // 2
    # all classes reasonably frequent
    freq = np.bincount(data.labels[valid], minlength=3) / valid.sum()
    assert freq.min() > 0.25


def test_determinism_and_seed():
    a, b, c = make_shapes(20, seed=5), make_shapes(20, seed=5), make_shapes(20, seed=6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.images, c.images) and not np.array_equal(a.masks, c.masks)


def test_masks_lie_in_boxes_of_their_label(data):
    """Every visible pixel of class k (mask value k+1) lies inside some box of class k of its image."""
    size = data.masks.shape[1]
    centre = np.arange(size) + 0.5
    for i in range(len(data.masks)):
        for cls in range(3):
            inside = np.zeros((size, size), bool)
            for box, lab in zip(data.boxes[i], data.labels[i]):
                if lab == cls:
                    inside |= ((centre[None, :] > box[0]) & (centre[None, :] < box[2]) &
                               (centre[:, None] > box[1]) & (centre[:, None] < box[3]))
            visible = data.masks[i] == cls + 1
            assert not np.any(visible & ~inside), f"image {i}: class {cls} pixels outside its boxes"
        # and every object is visible somewhere: the number of labels present matches the mask
        present = set(np.unique(data.masks[i])) - {0}
        assert present <= {int(lab) + 1 for lab in data.labels[i] if lab >= 0}


def _unoccluded(data, i, j):
    """True when no other object's box of image i touches object j's box (so its mask is complete)."""
    b = data.boxes[i, j]
    for jj, (o, lab) in enumerate(zip(data.boxes[i], data.labels[i])):
        if jj != j and lab >= 0 and o[0] < b[2] and b[0] < o[2] and o[1] < b[3] and b[1] < o[3]:
            return False
    return True


def test_box_is_tight_and_area_matches_shape(data):
    # analytic area / box area. Rasterising an s x s shape misclassifies only pixels on its outline
    # (O(s) of them), so the pixel fill may differ from the analytic one by O(1/s): allow 1.25 / s.
    expected_fill = {0: np.pi / 4, 1: 1.0, 2: 0.5}
    tolerance = {0: 1.25, 1: 0.0, 2: 1.25}
    checked = {0: 0, 1: 0, 2: 0}
    size = data.masks.shape[1]
    for i in range(len(data.masks)):
        for j, lab in enumerate(data.labels[i]):
            if lab < 0 or not _unoccluded(data, i, j):
                continue
            x1, y1, x2, y2 = data.boxes[i, j].astype(int)
            region = np.zeros((size, size), bool)
            region[y1:y2, x1:x2] = True
            pixels = (data.masks[i] == lab + 1) & region
            fill = pixels.sum() / ((x2 - x1) * (y2 - y1))
            assert abs(fill - expected_fill[int(lab)]) <= tolerance[int(lab)] / (x2 - x1) + 1e-9, (i, j, lab, fill)
            # tight: the object's pixels reach all four sides of its box
            rows, cols = np.nonzero(pixels)
            assert rows.min() == y1 and rows.max() == y2 - 1 and cols.min() == x1 and cols.max() == x2 - 1
            checked[int(lab)] += 1
    assert min(checked.values()) >= 50, checked


def test_objects_have_their_colour_and_differ_from_background(data):
    """Pixels of one object share one colour (up to noise): mean within-object spread << object-bg gap."""
    img, mask = data.images[0].astype(np.float64), data.masks[0]
    fg, bg = img[mask > 0], img[mask == 0]
    assert np.linalg.norm(fg.mean(0) - bg.mean(0)) > 0.3


def test_overlap_is_limited(data):
    from dlkit.vision import box_iou

    worst = 0.0
    for b, lab in zip(data.boxes, data.labels):
        v = b[lab >= 0]
        iou = box_iou(v, v) - np.eye(len(v))
        worst = max(worst, iou.max())
    assert worst <= 0.3 + 1e-6


def test_options_min_max_objects_sizes_and_noise():
    d = make_shapes(50, size=48, max_objects=5, min_objects=4, min_size=6, max_size=10, noise=0.0, seed=1)
    assert d.boxes.shape == (50, 5, 4)
    counts = (d.labels >= 0).sum(1)
    assert counts.min() >= 4 and counts.max() <= 5
    side = (d.boxes[..., 2] - d.boxes[..., 0])[d.labels >= 0]
    assert side.min() >= 6 and side.max() <= 10
    noisy = make_shapes(50, size=48, max_objects=5, min_objects=4, min_size=6, max_size=10, noise=0.3, seed=1)
    np.testing.assert_array_equal(d.masks, noisy.masks)  # noise only changes pixel values
    # noise=0: each object is one flat colour, so an image shows at most (objects) foreground colours
    for img, mask, lab in zip(d.images, d.masks, d.labels):
        colours = np.unique(img[mask > 0], axis=0)
        assert 1 <= len(colours) <= (lab >= 0).sum()
    assert np.std(noisy.images - d.images) > 0.1


@pytest.mark.parametrize("kwargs,name", [
    ({"n": 0}, "n"), ({"n": 2.5}, "n"), ({"n": True}, "n"), ({"n": 4, "size": 7}, "size"),
    ({"n": 4, "min_objects": 0}, "min_objects"), ({"n": 4, "max_objects": 2, "min_objects": 3}, "min_objects"),
    ({"n": 4, "noise": -0.1}, "noise"), ({"n": 4, "noise": "a"}, "noise"),
    ({"n": 4, "min_size": 1}, "min_size"), ({"n": 4, "max_size": 40}, "max_size"),
    ({"n": 4, "min_size": 10, "max_size": 8}, "min_size"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make_shapes(**kwargs)


def test_make_shapes_is_fast():
    make_shapes(50)
    start = time.perf_counter()
    make_shapes(2000, size=32)
    assert time.perf_counter() - start < 2.0  # about 0.2 s on 2 cores; generous for busy CI machines


def test_load_shapes_split_disjoint_and_deterministic():
    parts = load_shapes(n_train=300, n_val=100, n_test=100)
    assert set(parts) == {"train", "val", "test"}
    assert [len(parts[p].images) for p in ("train", "val", "test")] == [300, 100, 100]
    seen = {}
    for name, part in parts.items():
        for img in part.images:
            key = img.tobytes()
            assert key not in seen, f"an image of {name} is also in {seen.get(key)}"
            seen[key] = name
    again = load_shapes(n_train=300, n_val=100, n_test=100)
    for name in parts:
        np.testing.assert_array_equal(parts[name].images, again[name].images)
    default = load_shapes()
    assert [len(default[p].labels) for p in ("train", "val", "test")] == [2000, 500, 500]
    with pytest.raises(ValueError, match="n_val"):
        load_shapes(n_val=0)


def test_importing_vision_and_datasets_does_not_import_tensorflow():
    code = ("import sys, dlkit.vision, dlkit.datasets; dlkit.datasets.make_shapes(2); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
