"""TensorFlow mirror of dlkit.np.layers.conv: ``Conv2D`` written with ``tf.nn.conv2d``.

Same arguments, defaults and weights as dlkit.np and Keras: "kernel" (kh, kw, channels, filters),
"bias" (filters,); channels-last input (batch, height, width, channels).
"""
import tensorflow as tf
import keras

from dlkit.tf import activations as _act

__all__ = ["Conv2D"]


def _pair(v, what):
    if isinstance(v, int):
        v = (v, v)
    v = tuple(int(a) for a in v)
    if len(v) != 2 or min(v) < 1:
        raise ValueError(f"{what} must be a positive int or a pair of them, got {v!r}")
    return v


def _activation(identifier):
    get = getattr(_act, "get", None)
    return get(identifier) if get is not None else keras.activations.get(identifier)


def check_image_batch(layer, shape, channels=None, window=None, padding="valid"):
    """Clear errors for wrong rank, wrong channel count and windows larger than a "valid" input."""
    what = f"{type(layer).__name__} '{layer.name}'"
    c = "channels" if channels is None else channels
    if shape.rank is not None and shape.rank != 4:
        hint = " (missing channel axis? use x[..., None] for one channel)" if shape.rank == 3 else ""
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {c}), got "
                         f"{tuple(shape)}{hint}")
    if channels is not None and shape[-1] is not None and shape[-1] != channels:
        hint = (" (channels-first/NCHW? dlkit uses channels-last)" if shape[1] == channels else "")
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {channels}), got "
                         f"{tuple(shape)}{hint}")
    if window is not None and padding == "valid":
        for size, k in zip(shape[1:3], window):
            if size is not None and k > size:
                raise ValueError(f"{what}: window {window[0]}x{window[1]} is larger than the "
                                 f"{shape[1]}x{shape[2]} input with padding='valid'; expected an "
                                 f"input of at least (batch, {window[0]}, {window[1]}, {c})")


class Conv2D(keras.layers.Layer):
    """``y = activation(tf.nn.conv2d(x, kernel, strides, padding) + bias)``, channels-last."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "Conv2D kernel_size")
        self.strides = _pair(strides, "Conv2D strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
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
        def out(size, k, s):
            if size is None:
                return None
            return -(-size // s) if self.padding == "same" else (size - k) // s + 1
        return (input_shape[0], out(input_shape[1], self.kernel_size[0], self.strides[0]),
                out(input_shape[2], self.kernel_size[1], self.strides[1]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "use_bias": self.use_bias}
