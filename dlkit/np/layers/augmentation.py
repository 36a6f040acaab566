"""Image augmentation layers: RandomFlip, RandomTranslation, RandomCrop, RandomRotation (Keras 3 names,
arguments and defaults; channels-last images).

Input (batch, height, width, channels) -> output of the same shape (RandomCrop: (batch, height', width',
channels)). The layers are random only with ``training=True`` (as inside ``fit``); at inference they are
the identity (RandomCrop: a deterministic centre crop + resize, see its docstring). Each example gets its
own draw. ``seed`` gives the layer its own generator; without it the shared ``dlkit.np`` generator is used,
so ``dlkit.np.random.set_seed`` reproduces a run.

Keras' two-step API is kept: ``t = layer.get_random_transformation(images)`` draws the per-example
parameters and ``layer.transform_images(images, t)`` applies them. ``layer.last_transformation`` is the
draw of the last call; setting ``layer.reuse_transformation = True`` makes training calls reuse it (for
gradient checks). For a fixed draw each transform is linear in the images, so ``backward(dy)`` is its
transpose: flips flip ``dy`` back, the resampling layers scatter ``dy`` through the sampling weights.
"""
import numbers

import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import image as F
from dlkit.np.random import get_rng

__all__ = ["RandomFlip", "RandomTranslation", "RandomCrop", "RandomRotation"]

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _factor_range(factor, arg, layer):
    """Keras factor convention: f -> (-|f|, |f|); (lo, hi) -> sorted; every value in [-1, 1]."""
    def number(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(number(v) for v in factor):
        lo, hi = sorted(float(v) for v in factor)
    elif number(factor):
        lo, hi = -abs(float(factor)), abs(float(factor))
    else:
        raise ValueError(f"{layer}: {arg} must be a number or a tuple (lower, upper) of two numbers in "
                         f"[-1, 1], got {factor!r}")
    if lo < -1 or hi > 1:
        raise ValueError(f"{layer}: {arg} must lie in [-1, 1] (a fraction of the image size or of a full "
                         f"turn), got {factor!r}")
    return lo, hi


def _choice(value, allowed, arg, layer):
    if value not in allowed:
        raise ValueError(f"{layer}: {arg} must be one of {allowed}, got {value!r}")
    return value


class _Augmentation(Layer):
    """Shared plumbing: rank check, the generator, drawing or reusing the transformation, identity at
    inference. Subclasses define ``_draw(rng, shape)``, ``transform_images`` and ``_backward``."""

    def __init__(self, seed=None, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"{type(self).__name__}: seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.last_transformation = None
        self.reuse_transformation = False

    def check_input(self, inputs):
        if inputs.ndim != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected channels-last images of shape "
                             f"(batch, height, width, channels), got an array of shape {inputs.shape}")

    def get_random_transformation(self, images, training=True):
        """The per-example random parameters for ``images`` (a dict of arrays), or None if not training."""
        if not training:
            return None
        return self._draw(self._rng if self._rng is not None else get_rng(), np.shape(images))

    def call(self, inputs, training=False):
        t = self.last_transformation
        if not (training and self.reuse_transformation and t is not None):
            t = self.get_random_transformation(inputs, training=training)
        self.last_transformation = t if t is not None else self.last_transformation
        return self.transform_images(inputs, t, training=training)

    def backward(self, dy):
        cache = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        return dy if isinstance(cache, str) else self._backward(dy, cache)   # "identity": dL/dx = dL/dy


class RandomFlip(_Augmentation):
    """Flips each image left-right ("horizontal"), top-bottom ("vertical") or both with probability 1/2.

    As in Keras 3, "horizontal_and_vertical" draws ONE coin per image and, when it comes up, flips both
    axes (a 180-degree turn); Keras 2 flipped the two axes independently.
    Input (batch, H, W, C) -> output (batch, H, W, C); identity at inference.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, dtype="float32", name=None):
        super().__init__(seed=seed, dtype=dtype, name=name)
        self.mode = _choice(mode, FLIP_MODES, "mode", "RandomFlip")

    def _draw(self, rng, shape):
        return {"flips": rng.random(shape[0]) < 0.5}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            self._cache = "identity"
            return images
        flips = np.asarray(transformation["flips"], dtype=bool).reshape(-1, 1, 1, 1)
        self._cache = flips
        return self._flip(images, flips)

    def _flip(self, x, flips):
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = np.where(flips, x[:, :, ::-1], x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = np.where(flips, x[:, ::-1], x)
        return x

    def _backward(self, dy, flips):
        # a flip is a permutation, its own inverse and transpose: dL/dx = flip(dL/dy)
        return self._flip(dy, flips)


class _Resampling(_Augmentation):
    """Layers that resample through a Keras affine transform (batch, 8): translation, rotation."""

    def __init__(self, fill_mode, interpolation, seed, fill_value, dtype, name):
        super().__init__(seed=seed, dtype=dtype, name=name)
        cls = type(self).__name__
        self.fill_mode = _choice(fill_mode, F.FILL_MODES, "fill_mode", cls)
        self.interpolation = _choice(interpolation, F.INTERPOLATIONS, "interpolation", cls)
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise ValueError(f"{cls}: fill_value must be a number, got {fill_value!r}")
        self.fill_value = float(fill_value)

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            self._cache = "identity"
            return images
        h, w = np.shape(images)[1:3]
        y, self._cache = F.affine_transform_forward(images, self._matrix(transformation, h, w),
                                                    self.interpolation, self.fill_mode, self.fill_value)
        return y

    def _backward(self, dy, cache):
        # dL/dx = S^T dL/dy, S the sampling matrix (taps and weights) of the last call
        return F.affine_transform_backward(dy, cache)


class RandomTranslation(_Resampling):
    """Shifts each image by a random fraction of its height and width; the uncovered area is filled by
    ``fill_mode`` ("reflect", "wrap", "nearest", or "constant" with ``fill_value``).

    ``height_factor`` f means a vertical shift drawn from [-f, f] * height (positive = down), a tuple
    (lo, hi) from [lo, hi] * height; ``width_factor`` likewise (positive = right).
    Input (batch, H, W, C) -> output (batch, H, W, C); identity at inference.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, dtype="float32", name=None):
        super().__init__(fill_mode, interpolation, seed, fill_value, dtype, name)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _factor_range(height_factor, "height_factor", "RandomTranslation")
        self.width_lower, self.width_upper = _factor_range(width_factor, "width_factor", "RandomTranslation")

    def _draw(self, rng, shape):
        n, h, w = shape[:3]
        dy = rng.uniform(self.height_lower, self.height_upper, n) * h
        dx = rng.uniform(self.width_lower, self.width_upper, n) * w
        return {"translations": np.stack([dx, dy], axis=1)}      # Keras order: (width, height) pixels

    def _matrix(self, transformation, h, w):
        t = np.asarray(transformation["translations"], dtype=np.float64)
        return F.translation_matrix(t[:, 0], t[:, 1])


class RandomRotation(_Resampling):
    """Rotates each image about its centre by a random angle; ``factor`` is a fraction of a full turn
    (2 pi): f means an angle drawn from [-f, f] * 2 pi, (lo, hi) from [lo, hi] * 2 pi; positive =
    counter-clockwise. Corners are filled by ``fill_mode`` (and ``fill_value`` for "constant").
    Input (batch, H, W, C) -> output (batch, H, W, C); identity at inference.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 dtype="float32", name=None):
        super().__init__(fill_mode, interpolation, seed, fill_value, dtype, name)
        self.factor = _factor_range(factor, "factor", "RandomRotation")

    def _draw(self, rng, shape):
        return {"angle": rng.uniform(self.factor[0], self.factor[1], shape[0]) * 2 * np.pi}  # radians

    def _matrix(self, transformation, h, w):
        return F.rotation_matrix(np.asarray(transformation["angle"], dtype=np.float64), h, w)


class RandomCrop(_Augmentation):
    """Crops each image to (height, width) at a random position (``training=True``).

    At inference, and in training when an image is smaller than (height, width), the largest centred
    window with the target aspect ratio is resized bilinearly (``tf.image.resize``: half-pixel centres)
    to (height, width), as the Keras docstring describes, so train and inference shapes agree.
    Input (batch, H, W, C) -> output (batch, height, width, C).
    """

    def __init__(self, height, width, seed=None, dtype="float32", name=None):
        super().__init__(seed=seed, dtype=dtype, name=name)
        for arg, v in (("height", height), ("width", width)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"RandomCrop: {arg} must be a positive integer, got {v!r}")
        self.height, self.width = int(height), int(width)

    def _draw(self, rng, shape):
        n, h, w = shape[:3]
        if h < self.height or w < self.width:
            return None                                        # too small: centre crop + resize
        return {"h_start": rng.integers(0, h - self.height + 1, n),
                "w_start": rng.integers(0, w - self.width + 1, n)}

    def _window(self, h, w):
        """The centred (top, left, rows, cols) window with the target aspect ratio (Keras formula)."""
        ch = max(min(h, int(w * self.height / self.width)), 1)
        cw = max(min(w, int(h * self.width / self.height)), 1)
        return int((h - ch) / 2), int((w - cw) / 2), ch, cw

    def transform_images(self, images, transformation, training=True):
        n, h, w, c = images.shape
        if training and transformation is not None:
            rows = np.asarray(transformation["h_start"]).reshape(n, 1, 1) + np.arange(self.height).reshape(1, -1, 1)
            cols = np.asarray(transformation["w_start"]).reshape(n, 1, 1) + np.arange(self.width).reshape(1, 1, -1)
            batch = np.arange(n).reshape(n, 1, 1)
            self._cache = ("crop", images.shape, (batch, rows, cols))
            return images[batch, rows, cols]
        top, left, ch, cw = self._window(h, w)
        rh, rw = F.resize_matrix(ch, self.height, self.dtype), F.resize_matrix(cw, self.width, self.dtype)
        self._cache = ("resize", images.shape, (top, left, rh, rw))
        # y[n, i, j] = sum_{a, b} Rh[i, a] x[n, top + a, left + b] Rw[j, b]
        return np.einsum("ia,nabc,jb->nijc", rh, images[:, top:top + ch, left:left + cw], rw)

    def _backward(self, dy, cache):
        kind, shape, args = cache
        dx = np.zeros(shape, dtype=self.dtype)
        if kind == "crop":
            dx[args] = dy                                      # the crop is a gather of distinct pixels
            return dx
        top, left, rh, rw = args
        # dL/dx[window] = Rh^T dL/dy Rw
        dx[:, top:top + rh.shape[1], left:left + rw.shape[1]] = np.einsum("ia,nijc,jb->nabc", rh, dy, rw)
        return dx

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])
