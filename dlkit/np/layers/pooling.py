"""Pooling layers: ``MaxPooling2D``, ``AveragePooling2D``, ``GlobalAveragePooling2D`` (channels-last).

No weights. Input (batch, height, width, channels); Keras arguments and defaults
(``pool_size=2``, ``strides=None`` meaning ``pool_size``, ``padding="valid"``).
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import pooling as F
from dlkit.np.functional.conv import _pair, conv_pads
from dlkit.np.layers.conv import check_image_batch

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]


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

    def __call__(self, x, training=False):
        x = np.asarray(x)
        check_image_batch(self, x, self.channels if self.built else None)
        self._output_size(x.shape)
        return super().__call__(x, training=training)

    def build(self, input_shape):
        self.channels = int(input_shape[-1])

    def _output_size(self, shape):
        try:
            return conv_pads(shape[1], shape[2], *self.pool_size, *self.strides, self.padding)[1]
        except ValueError as e:
            raise ValueError(f"{type(self).__name__} '{self.name}': {e}") from None

    def forward(self, x, training=False):
        out, self._cache = type(self)._forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, dy):
        return type(self)._backward(np.asarray(dy, dtype=self.dtype), self._get_cache())

    def compute_output_shape(self, input_shape):
        ho, wo = self._output_size(input_shape)
        return (input_shape[0], ho, wo, input_shape[3])


class MaxPooling2D(_Pool2D):
    """Maximum of each pool_size window, per channel; the gradient goes to each window's maximum."""
    _forward, _backward = F.maxpool2d_forward, F.maxpool2d_backward


class AveragePooling2D(_Pool2D):
    """Mean of each pool_size window, per channel ("same": over the unpadded entries only)."""
    _forward, _backward = F.avgpool2d_forward, F.avgpool2d_backward


class GlobalAveragePooling2D(Layer):
    """Mean over height and width: (batch, height, width, channels) -> (batch, channels)."""

    def __call__(self, x, training=False):
        x = np.asarray(x)
        check_image_batch(self, x, self.channels if self.built else None)
        return super().__call__(x, training=training)

    def build(self, input_shape):
        self.channels = int(input_shape[-1])

    def forward(self, x, training=False):
        out, self._cache = F.global_avgpool2d_forward(x)
        return out

    def backward(self, dy):
        return F.global_avgpool2d_backward(np.asarray(dy, dtype=self.dtype), self._get_cache())

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[3])
