"""TensorFlow mirror of dlkit.np.layers.conv_extra: ``Conv1D``, ``Conv2DTranspose``, ``UpSampling2D`` with tf ops.

Same arguments, defaults and weights as dlkit.np and Keras: Conv1D "kernel" (k, channels, filters);
Conv2DTranspose "kernel" (kh, kw, filters, channels); both "bias" (filters,). Channels-last.
Dilated Conv2DTranspose uses a zero-dilated kernel (TensorFlow's CPU kernel has no dilation).
"""
import tensorflow as tf
import keras

from dlkit.np.functional.conv_extra import (conv1d_output_length, conv2d_transpose_pads,
                                            conv_transpose_output_size, normalize_output_padding)
from dlkit.tf.layers.conv import _activation, _pair, check_image_batch

__all__ = ["Conv1D", "Conv2DTranspose", "UpSampling2D"]


def _single(v, what):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{what} must be an integer or a tuple of 1 integer, got {v!r}")
        v = v[0]
    if int(v) < 1:
        raise ValueError(f"{what} must be a positive integer, got {v!r}")
    return int(v)


def _dilate(kernel, rates):
    """Zeros between the kernel taps (tf version of conv_extra.dilate_kernel): kernel (kh, kw, ...)."""
    if max(rates) == 1:
        return kernel
    (kh, kw), (dh, dw) = kernel.shape[:2], rates
    # spread[a, p] = 1 where a = p * d: the dilated kernel is spread_h @ kernel @ spread_w^T over (kh, kw)
    sh = tf.one_hot(tf.range(kh) * dh, (kh - 1) * dh + 1, axis=0, dtype=kernel.dtype)
    sw = tf.one_hot(tf.range(kw) * dw, (kw - 1) * dw + 1, axis=0, dtype=kernel.dtype)
    return tf.einsum("ap,bq,pq...->ab...", sh, sw, kernel)


class _KernelLayer(keras.layers.Layer):
    def __init__(self, filters, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                 bias_regularizer, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        if self.filters < 1:
            raise ValueError(f"{type(self).__name__}: filters must be a positive integer, got {filters!r}")
        self.activation = _activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def _add_kernel_and_bias(self, shape):
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)

    def _finish(self, y):
        if self.bias is not None:
            y = tf.nn.bias_add(y, tf.cast(self.bias, y.dtype))
        return self.activation(y)


class Conv1D(_KernelLayer):
    """``y = activation(tf.nn.conv1d(pad(x), kernel, stride, dilations) + bias)``; padding valid/same/causal."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, **kwargs)
        self.kernel_size = _single(kernel_size, "Conv1D: kernel_size")
        self.strides = _single(strides, "Conv1D: strides")
        self.dilation_rate = _single(dilation_rate, "Conv1D: dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        if data_format not in (None, "channels_last") or groups != 1:
            raise NotImplementedError("Conv1D: only data_format='channels_last' and groups=1 are supported")
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError("Conv1D: strides > 1 is not supported together with dilation_rate > 1")

    def _check(self, shape, channels=None):
        shape = tf.TensorShape(shape)
        if shape.rank != 3 or (channels is not None and shape[-1] != channels):
            raise ValueError(f"Conv1D '{self.name}': expected input of shape (batch, steps, "
                             f"{channels or 'channels'}), got {tuple(shape)}")
        try:
            return conv1d_output_length(shape[1], self.kernel_size, self.strides, self.padding,
                                        self.dilation_rate)
        except ValueError as e:
            raise ValueError(f"Conv1D '{self.name}': {e}") from None

    def build(self, input_shape):
        self._check(input_shape)
        self.in_channels = int(input_shape[-1])
        self._add_kernel_and_bias((self.kernel_size, self.in_channels, self.filters))

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        self._check(x.shape, self.in_channels)
        padding = "SAME" if self.padding == "same" else "VALID"
        if self.padding == "causal":      # (k - 1) * dilation zeros on the left, then a valid convolution
            x = tf.pad(x, [[0, 0], [(self.kernel_size - 1) * self.dilation_rate, 0], [0, 0]])
        # dilation by a zero-dilated kernel: TensorFlow's CPU kernels have no gradient for dilations > 1
        kernel = _dilate(tf.cast(self.kernel, x.dtype)[None], (1, self.dilation_rate))[0]
        y = tf.nn.conv1d(x, kernel, stride=self.strides, padding=padding)
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._check(input_shape)[1], self.filters)


class Conv2DTranspose(_KernelLayer):
    """``y = activation(tf.nn.conv2d_transpose(x, kernel, output_shape, strides, padding) + bias)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(filters, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, **kwargs)
        self.kernel_size = _pair(kernel_size, "Conv2DTranspose kernel_size")
        self.strides = _pair(strides, "Conv2DTranspose strides")
        self.dilation_rate = _pair(dilation_rate, "Conv2DTranspose dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"Conv2DTranspose: padding must be 'valid' or 'same', got {padding!r}")
        try:
            self.output_padding = normalize_output_padding(output_padding, self.strides)
        except ValueError as e:
            raise ValueError(f"Conv2DTranspose: {e}") from None
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Conv2DTranspose: only data_format='channels_last' is supported")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("Conv2DTranspose: strides > 1 is not supported together with dilation_rate > 1")

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        check_image_batch(self, input_shape)
        self.in_channels = int(input_shape[-1])
        self._add_kernel_and_bias((*self.kernel_size, self.filters, self.in_channels))

    def _out_hw(self, shape):
        if all(isinstance(n, int) for n in shape[1:3]):
            try:
                conv2d_transpose_pads(shape[1], shape[2], *self.kernel_size, self.strides, self.padding,
                                      self.output_padding, self.dilation_rate)
            except ValueError as e:
                raise ValueError(f"Conv2DTranspose '{self.name}': {e}") from None
        ops = self.output_padding or (None, None)
        return tuple(conv_transpose_output_size(n, k, s, self.padding, op, d) for n, k, s, op, d in
                     zip(shape[1:3], self.kernel_size, self.strides, ops, self.dilation_rate))

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        check_image_batch(self, x.shape, self.in_channels)
        static = self._out_hw(tuple(x.shape))     # checks the sizes when they are known
        ho, wo = (o if o is not None else self._out_hw((None, tf.shape(x)[1], tf.shape(x)[2]))[i]
                  for i, o in enumerate(static))
        kernel = _dilate(tf.cast(self.kernel, x.dtype), self.dilation_rate)
        y = tf.nn.conv2d_transpose(x, kernel, tf.stack([tf.shape(x)[0], ho, wo, self.filters]),
                                   strides=self.strides, padding=self.padding.upper())
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._out_hw(tuple(input_shape)), self.filters)


class UpSampling2D(keras.layers.Layer):
    """``tf.repeat`` along height and width ("nearest") or ``tf.image.resize`` ("bilinear")."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = _pair(size, "UpSampling2D size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear") or data_format not in (None, "channels_last"):
            raise NotImplementedError("UpSampling2D: only interpolation 'nearest'/'bilinear' and "
                                      "data_format='channels_last' are supported")

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        check_image_batch(self, x.shape)
        if self.interpolation == "nearest":
            return tf.repeat(tf.repeat(x, self.size[0], axis=1), self.size[1], axis=2)
        hw = tf.shape(x)[1:3] * tf.constant(self.size)
        return tf.cast(tf.image.resize(x, hw, method="bilinear"), x.dtype)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}
