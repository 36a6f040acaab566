"""TensorFlow mirror of dlkit.np.layers.conv: ``Conv2D`` written with ``tf.nn.conv2d``.

Same arguments, defaults and weights as dlkit.np and Keras: "kernel" (kh, kw, channels, filters),
"bias" (filters,); channels-last input (batch, height, width, channels).
"""
import tensorflow as tf
import keras

from dlkit.shared import _pair, check_image_shape, conv_output_size, normalize_padding
from dlkit.tf import activations as _act

__all__ = ["Conv2D"]


def _activation(identifier):
    get = getattr(_act, "get", None)
    return get(identifier) if get is not None else keras.activations.get(identifier)


def check_image_batch(layer, shape, channels=None, window=None, padding="valid"):
    """Clear errors for wrong rank, wrong channel count and windows larger than a "valid" input."""
    check_image_shape(f"{type(layer).__name__} '{layer.name}'", None if shape.rank is None else tuple(shape),
                      channels, window, padding)


class Conv2D(keras.layers.Layer):
    """``y = activation(tf.nn.conv2d(x, kernel, strides, padding) + bias)``, channels-last."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "Conv2D kernel_size")
        self.strides = _pair(strides, "Conv2D strides")
        self.padding = normalize_padding(padding, "Conv2D: padding")
        self.activation = _activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        check_image_batch(self, input_shape, None, self.kernel_size, self.padding)
        self.in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel",
                                      shape=(*self.kernel_size, self.in_channels, self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        check_image_batch(self, x.shape, self.in_channels, self.kernel_size, self.padding)
        y = tf.nn.conv2d(x, tf.cast(self.kernel, x.dtype), strides=self.strides,
                         padding=self.padding.upper())
        if self.bias is not None:
            y = tf.nn.bias_add(y, tf.cast(self.bias, x.dtype))
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        return (input_shape[0], conv_output_size(input_shape[1], kh, sh, self.padding),
                conv_output_size(input_shape[2], kw, sw, self.padding), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "use_bias": self.use_bias}
