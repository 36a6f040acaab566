"""More convolution layers: ``Conv1D``, ``Conv2DTranspose``, ``UpSampling2D`` (Keras arguments, defaults, weights).

- Conv1D: input (batch, steps, channels) -> (batch, new_steps, filters); "kernel" (k, channels, filters),
  "bias" (filters,); padding "valid", "same" or "causal".
- Conv2DTranspose: input (batch, height, width, channels) -> (batch, new_height, new_width, filters);
  "kernel" (kh, kw, filters, channels) (Keras' layout: filters *before* input channels), "bias" (filters,).
- UpSampling2D: (batch, height, width, channels) -> (batch, height * sh, width * sw, channels), no weights.

Channels-last only. The formulas are in :mod:`dlkit.np.functional.conv_extra`.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import conv_extra as F
from dlkit.np.functional.conv import _pair
from dlkit.np.layers._affine import KernelLayer
from dlkit.np.layers.conv import check_image_batch

__all__ = ["Conv1D", "Conv2DTranspose", "UpSampling2D"]


def _positive_int(v, what):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{what} must be a positive integer, got {v!r}")
    return int(v)


def _single(v, what):
    """``3`` or ``(3,)`` -> 3 (Keras accepts a tuple of one integer for 1-D arguments)."""
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{what} must be an integer or a tuple of 1 integer, got {v!r}")
        v = v[0]
    return _positive_int(v, what)


def _channels_last(data_format, kind):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{kind}: data_format={data_format!r} is not supported; dlkit layers are "
                                  f"channels-last (data_format=None or 'channels_last')")


def _no_strided_dilation(strides, dilation, kind):
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"{kind}: strides > 1 is not supported together with dilation_rate > 1 (as in "
                         f"Keras); got strides={strides} and dilation_rate={dilation}")


class Conv1D(KernelLayer):
    """1-D (temporal) convolution: ``y = activation(conv1d(x, kernel) + bias)``.

    ``out[n, t, f] = bias[f] + sum_{p, c} xpad[n, t * strides + p * dilation_rate, c] * kernel[p, c, f]``.
    ``padding="causal"`` pads ``(k - 1) * dilation_rate`` zeros on the left only, so ``y[t]`` never sees
    ``x[t+1:]``. ``groups`` other than 1 raises NotImplementedError.
    Input (batch, steps, channels) -> output (batch, new_steps, filters).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, dtype=None,
                 name=None, trainable=True):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, dtype, name, trainable)
        self.filters = _positive_int(filters, "Conv1D: filters")
        self.kernel_size = _single(kernel_size, "Conv1D: kernel_size")
        self.strides = _single(strides, "Conv1D: strides")
        self.dilation_rate = _single(dilation_rate, "Conv1D: dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        _channels_last(data_format, "Conv1D")
        if groups != 1:
            raise NotImplementedError(f"Conv1D: groups={groups!r} is not implemented; use groups=1")
        _no_strided_dilation((self.strides,), (self.dilation_rate,), "Conv1D")
        self._workspace = {}

    def check_input(self, x):
        c = self.in_channels if self.built else "channels"
        if x.ndim != 3 or (self.built and x.shape[-1] != self.in_channels):
            hint = " (images? use Conv2D)" if x.ndim == 4 else ""
            raise ValueError(f"Conv1D '{self.name}': expected input of shape (batch, steps, {c}), got "
                             f"{tuple(x.shape)}{hint}")
        self._output_length(x.shape[1])

    def _output_length(self, steps):
        try:
            return F.conv1d_output_length(steps, self.kernel_size, self.strides, self.padding,
                                          self.dilation_rate)[1]
        except ValueError as e:
            raise ValueError(f"Conv1D '{self.name}': {e}") from None

    def build(self, input_shape):
        self.in_channels = int(input_shape[-1])
        self._add_kernel_and_bias((self.kernel_size, self.in_channels, self.filters), self.filters)

    def _affine_forward(self, x):
        return F.conv1d_forward(x, self.params["kernel"], self.params.get("bias"), self.strides,
                                self.padding, self.dilation_rate, workspace=self._workspace)

    def _affine_backward(self, dz, cache, need_dx):
        return F.conv1d_backward(dz, cache, need_dx=need_dx)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._output_length(input_shape[1]), self.filters)


class Conv2DTranspose(KernelLayer):
    """Transposed 2-D convolution: ``y = activation(conv2d_transpose(x, kernel) + bias)``.

    Each input pixel adds ``x[n, i, j, :] @ kernel[p, q].T`` at output ``(i * sh + p, j * sw + q)`` (then the
    "same" pads are cropped): the adjoint of Conv2D, so strides upsample. Output size per axis (Keras):
    "same" -> size * stride; "valid" -> (size - 1) * stride + max(k, stride), or, with ``output_padding``,
    (size - 1) * stride + k + output_padding ("same": (size - 1) * stride + k % 2 + output_padding).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, dtype=None, name=None, trainable=True):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, dtype, name, trainable)
        self.filters = _positive_int(filters, "Conv2DTranspose: filters")
        self.kernel_size = _pair(kernel_size, "Conv2DTranspose kernel_size")
        self.strides = _pair(strides, "Conv2DTranspose strides")
        self.dilation_rate = _pair(dilation_rate, "Conv2DTranspose dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"Conv2DTranspose: padding must be 'valid' or 'same', got {padding!r}")
        try:
            self.output_padding = F.normalize_output_padding(output_padding, self.strides)
        except ValueError as e:
            raise ValueError(f"Conv2DTranspose: {e}") from None
        _channels_last(data_format, "Conv2DTranspose")
        _no_strided_dilation(self.strides, self.dilation_rate, "Conv2DTranspose")

    def check_input(self, x):
        check_image_batch(self, x, self.in_channels if self.built else None)
        self._output_size(x.shape)

    def _output_size(self, shape):
        if shape[1] is not None and shape[2] is not None:
            try:  # also checks that output_padding is consistent with the input size
                F.conv2d_transpose_pads(shape[1], shape[2], *self.kernel_size, self.strides, self.padding,
                                        self.output_padding, self.dilation_rate)
            except ValueError as e:
                raise ValueError(f"Conv2DTranspose '{self.name}': {e}") from None
        ops = self.output_padding or (None, None)
        return tuple(F.conv_transpose_output_size(n, k, s, self.padding, op, d) for n, k, s, op, d in
                     zip(shape[1:3], self.kernel_size, self.strides, ops, self.dilation_rate))

    def build(self, input_shape):
        self.in_channels = int(input_shape[-1])
        kh, kw = self.kernel_size
        self._add_kernel_and_bias((kh, kw, self.filters, self.in_channels), self.filters)

    def _affine_forward(self, x):
        return F.conv2d_transpose_forward(x, self.params["kernel"], self.params.get("bias"), self.strides,
                                          self.padding, self.output_padding, self.dilation_rate)

    def _affine_backward(self, dz, cache, need_dx):
        return F.conv2d_transpose_backward(dz, cache, need_dx=need_dx)

    def compute_output_shape(self, input_shape):
        ho, wo = self._output_size(input_shape)
        return (input_shape[0], ho, wo, self.filters)


class UpSampling2D(Layer):
    """Repeat every pixel into a ``size`` block ("nearest") or interpolate ("bilinear", TF's half-pixel rule).

    Input (batch, height, width, channels) -> output (batch, height * size[0], width * size[1], channels).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.size = _pair(size, "UpSampling2D size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not implemented; "
                                      f"use 'nearest' or 'bilinear'")
        _channels_last(data_format, "UpSampling2D")

    def check_input(self, x):
        check_image_batch(self, x)

    def call(self, x, training=False):
        y, self._cache = F.upsampling2d_forward(x, self.size, self.interpolation)
        return y

    def backward(self, dy):
        cache = self._get_cache()
        return F.upsampling2d_backward(np.asarray(dy, dtype=self.dtype), cache)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)
