"""Pooling layers (channels-last, no weights): ``MaxPooling2D``, ``AveragePooling2D`` and the global
poolings ``GlobalAveragePooling1D``, ``GlobalMaxPooling1D``, ``GlobalAveragePooling2D``,
``GlobalMaxPooling2D``.

Window pooling: input (batch, height, width, channels); Keras arguments and defaults (``pool_size=2``,
``strides=None`` meaning ``pool_size``, ``padding="valid"``). Global pooling: (batch, steps, features)
or (batch, height, width, channels) -> (batch, channels), or (batch, 1, channels) / (batch, 1, 1,
channels) with ``keepdims=True``. The 1-D layers take ``mask=`` (batch, steps) (from
``Embedding(mask_zero=True)``) and pool over the real steps only; their output has no mask.
``GlobalAveragePooling1D`` uses Keras' masked formula; Keras' ``GlobalMaxPooling1D`` ignores the mask,
dlkit excludes masked steps from the max too (so a padded row pools like the unpadded one).
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import pooling as F
from dlkit.np.functional.conv import _pair, conv_pads
from dlkit.np.layers.conv import check_image_batch

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D"]


class _Pool2D(Layer):
    _forward = _backward = None

    def __init__(self, pool_size=2, strides=None, padding="valid", dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        self.pool_size = _pair(pool_size, f"{type(self).__name__} pool_size")
        self.strides = _pair(strides if strides is not None else self.pool_size,
                             f"{type(self).__name__} strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")

    def check_input(self, x):
        check_image_batch(self, x, self.channels if self.built else None)
        self._output_size(x.shape)

    def build(self, input_shape):
        self.channels = int(input_shape[-1])

    def _output_size(self, shape):
        try:
            return conv_pads(shape[1], shape[2], *self.pool_size, *self.strides, self.padding)[1]
        except ValueError as e:
            raise ValueError(f"{type(self).__name__} '{self.name}': {e}") from None

    def call(self, x, training=False):
        out, self._cache = type(self)._forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, dy):
        return type(self)._backward(np.asarray(dy, dtype=self.dtype), self._get_cache())

    def compute_output_shape(self, input_shape):
        ho, wo = self._output_size(input_shape)
        return (input_shape[0], ho, wo, input_shape[3])


class MaxPooling2D(_Pool2D):
    """Maximum of each pool_size window, per channel; the gradient goes to each window's maximum.

    Input (batch, height, width, channels) -> output (batch, out_height, out_width, channels).
    """
    _forward, _backward = F.maxpool2d_forward, F.maxpool2d_backward


class AveragePooling2D(_Pool2D):
    """Mean of each pool_size window, per channel ("same": over the unpadded entries only).

    Input (batch, height, width, channels) -> output (batch, out_height, out_width, channels).
    """
    _forward, _backward = F.avgpool2d_forward, F.avgpool2d_backward


class _GlobalPooling(Layer):
    """Shared checks, ``keepdims`` and ``data_format`` (channels-last only) of the global poolings."""
    _rank = 3

    def __init__(self, data_format=None, keepdims=False, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: dlkit supports data_format='channels_last' only, got "
                             f"{data_format!r}; move the channel axis last (e.g. np.moveaxis(x, 1, -1))")
        self.data_format = "channels_last"
        self.keepdims = bool(keepdims)

    def check_input(self, x):
        if self._rank == 4:
            check_image_batch(self, x, self.channels if self.built else None)
        elif x.ndim != 3 or (self.built and x.shape[-1] != self.channels):
            c = self.channels if self.built else "features"
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, steps, {c}), got {tuple(x.shape)}")

    def build(self, input_shape):
        self.channels = int(input_shape[-1])

    def _out(self, out, cache):
        if self.keepdims:
            out = out.reshape((out.shape[0],) + (1,) * (self._rank - 2) + (out.shape[1],))
        self._cache = (out.shape, cache)
        return out

    def _dy(self, dy):
        shape = self._get_cache()[0]
        dy = np.asarray(dy, dtype=self.dtype)
        if dy.shape != shape:
            raise ValueError(f"{type(self).__name__} '{self.name}': backward expected a gradient of shape "
                             f"{shape}, got {dy.shape}")
        return dy.reshape(shape[0], shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None                           # the steps axis is gone

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + (1,) * ((self._rank - 2) * self.keepdims) + (input_shape[-1],)


def _mask(layer, mask, x):
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != x.shape[:2]:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': mask must have shape (batch, steps) = "
                         f"{x.shape[:2]}, got {m.shape}")
    return m.astype(bool, copy=False)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps (the real ones with a mask): (batch, steps, features) -> (batch, features)."""

    def call(self, x, training=False, mask=None):
        out, cache = F.global_avgpool1d_forward(x, _mask(self, mask, x))
        return self._out(out, cache)

    def backward(self, dy):
        return F.global_avgpool1d_backward(self._dy(dy), self._cache[1])


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the (real) steps, per feature; the gradient goes to the maximum (first on ties).

    Input (batch, steps, features) -> output (batch, features).
    """

    def call(self, x, training=False, mask=None):
        out, cache = F.global_maxpool1d_forward(x, _mask(self, mask, x))
        return self._out(out, cache)

    def backward(self, dy):
        return F.global_maxpool1d_backward(self._dy(dy), self._cache[1])


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, height, width, channels) -> (batch, channels)."""
    _rank = 4

    def call(self, x, training=False):
        out, cache = F.global_avgpool2d_forward(x)
        return self._out(out, cache)

    def backward(self, dy):
        return F.global_avgpool2d_backward(self._dy(dy), self._cache[1])


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width, per channel: (batch, height, width, channels) -> (batch, channels)."""
    _rank = 4

    def call(self, x, training=False):
        out, cache = F.global_maxpool2d_forward(x)
        return self._out(out, cache)

    def backward(self, dy):
        return F.global_maxpool2d_backward(self._dy(dy), self._cache[1])
