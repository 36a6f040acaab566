"""TensorFlow mirror of dlkit.np.layers.pooling, with ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d``."""
import tensorflow as tf
import keras

from dlkit.tf.layers.conv import _pair, check_image_batch

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]


class _Pool2D(keras.layers.Layer):
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, f"{type(self).__name__} pool_size")
        self.strides = _pair(strides if strides is not None else self.pool_size,
                             f"{type(self).__name__} strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        check_image_batch(self, input_shape, None, self.pool_size, self.padding)
        self.channels = input_shape[-1]

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        check_image_batch(self, x.shape, self.channels, self.pool_size, self.padding)
        return type(self)._op(x, ksize=self.pool_size, strides=self.strides,
                              padding=self.padding.upper())

    def compute_output_shape(self, input_shape):
        def out(size, k, s):
            if size is None:
                return None
            return -(-size // s) if self.padding == "same" else (size - k) // s + 1
        return (input_shape[0], out(input_shape[1], self.pool_size[0], self.strides[0]),
                out(input_shape[2], self.pool_size[1], self.strides[1]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pool2D):
    """Maximum of each window, per channel (``tf.nn.max_pool2d``)."""
    _op = staticmethod(tf.nn.max_pool2d)


class AveragePooling2D(_Pool2D):
    """Mean of each window, per channel (``tf.nn.avg_pool2d``; "same" averages real entries only)."""
    _op = staticmethod(tf.nn.avg_pool2d)


class GlobalAveragePooling2D(keras.layers.Layer):
    """Mean over height and width: (batch, height, width, channels) -> (batch, channels)."""

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        check_image_batch(self, input_shape)
        self.channels = input_shape[-1]

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        check_image_batch(self, x.shape, self.channels)
        return tf.reduce_mean(x, axis=[1, 2])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[3])
