"""Convolution layer ``Conv2D`` (channels-last, Keras arguments, defaults and weight layout).

Input (batch, height, width, channels) -> output (batch, out_height, out_width, filters).
Weights, in Keras order: "kernel" (kh, kw, channels, filters) and "bias" (filters,).
The work is done by :mod:`dlkit.np.functional.conv` (im2col + matrix products); the layer keeps
its scratch buffers between calls, so training does not reallocate them every batch.
"""
import numpy as np

from dlkit.np.layers._affine import KernelLayer
from dlkit.np.functional.conv import _pair, conv2d_backward, conv2d_forward, conv_pads

__all__ = ["Conv2D"]



def check_image_batch(layer, x, channels=None):
    """Raise a clear error unless x is (batch, height, width, channels) with the expected channels."""
    what = f"{type(layer).__name__} '{layer.name}'"
    c = "channels" if channels is None else channels
    if x.ndim != 4:
        hint = (" (missing channel axis? use x[..., None] for one channel)" if x.ndim == 3 else "")
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {c}), got "
                         f"{tuple(x.shape)}{hint}")
    if channels is not None and x.shape[-1] != channels:
        hint = (" (channels-first/NCHW? dlkit uses channels-last: x.transpose(0, 2, 3, 1))"
                if x.shape[1] == channels else "")
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {channels}), got "
                         f"{tuple(x.shape)}{hint}")


class Conv2D(KernelLayer):
    """2-D convolution: ``y = activation(conv(x, kernel) + bias)``.

    ``padding="same"`` pads as TensorFlow does (output ceil(size / stride); when the total padding is
    odd, the extra row/column goes at the bottom/right). ``kernel_regularizer`` (e.g. ``"l2"``) adds
    its penalty to ``layer.losses`` and its gradient to ``grads["kernel"]``.
    Input (batch, height, width, channels) -> output (batch, out_height, out_width, filters).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, dtype="float32", name=None, trainable=True):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, dtype, name, trainable)
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "Conv2D kernel_size")
        self.strides = _pair(strides, "Conv2D strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self._workspace = {}

    def check_input(self, x):
        check_image_batch(self, x, self.in_channels if self.built else None)
        self._output_size(x.shape)

    def _output_size(self, shape):
        try:
            return conv_pads(shape[1], shape[2], *self.kernel_size, *self.strides, self.padding)[1]
        except ValueError as e:
            raise ValueError(f"Conv2D '{self.name}': {e}") from None

    def build(self, input_shape):
        self.in_channels = int(input_shape[-1])
        kh, kw = self.kernel_size
        self._add_kernel_and_bias((kh, kw, self.in_channels, self.filters), self.filters)

    def _affine_forward(self, x):
        return conv2d_forward(x, self.params["kernel"], self.params.get("bias"), self.strides,
                              self.padding, workspace=self._workspace)

    def _affine_backward(self, dz, cache, need_dx):
        return conv2d_backward(dz, cache, need_dx=need_dx)

    def compute_output_shape(self, input_shape):
        ho, wo = self._output_size(input_shape)
        return (input_shape[0], ho, wo, self.filters)
