"""TensorFlow mirror of dlkit.np.layers.pooling, with ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` and
``tf.reduce_mean`` / ``tf.reduce_max`` for the global poolings (1-D ones take ``mask=``, masked steps
excluded; ``keepdims`` as Keras)."""
import tensorflow as tf
import keras

from dlkit.shared import _pair, conv_output_size, normalize_padding
from dlkit.tf.layers.conv import check_image_batch

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D"]


class _Pool2D(keras.layers.Layer):
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, f"{type(self).__name__} pool_size")
        self.strides = _pair(strides if strides is not None else self.pool_size,
                             f"{type(self).__name__} strides")
        self.padding = normalize_padding(padding, f"{type(self).__name__}: padding")

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
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return (input_shape[0], conv_output_size(input_shape[1], ph, sh, self.padding),
                conv_output_size(input_shape[2], pw, sw, self.padding), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pool2D):
    """Maximum of each window, per channel (``tf.nn.max_pool2d``)."""
    _op = staticmethod(tf.nn.max_pool2d)


class AveragePooling2D(_Pool2D):
    """Mean of each window, per channel (``tf.nn.avg_pool2d``; "same" averages real entries only)."""
    _op = staticmethod(tf.nn.avg_pool2d)


class _GlobalPooling(keras.layers.Layer):
    _rank = 3

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: dlkit supports data_format='channels_last' only, got "
                             f"{data_format!r}")
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self._check(input_shape, None)
        self.channels = input_shape[-1]

    def _check(self, shape, channels):
        if self._rank == 4:
            check_image_batch(self, shape, channels)
        elif len(shape) != 3 or (channels is not None and shape[-1] != channels):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, steps, {channels or 'features'}), got {tuple(shape)}")

    def call(self, x, mask=None):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        self._check(x.shape, self.channels)
        axes = [1] if self._rank == 3 else [1, 2]
        out = self._reduce(x, axes, mask)
        if self.keepdims:
            out = tf.reshape(out, [-1] + [1] * len(axes) + [out.shape[-1]])
        return out

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + (1,) * ((self._rank - 2) * self.keepdims) + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the (real) steps: (batch, steps, features) -> (batch, features)."""

    def _reduce(self, x, axes, mask):
        if mask is None:
            return tf.reduce_mean(x, axis=axes)
        m = tf.cast(mask, x.dtype)[:, :, None]
        return tf.reduce_sum(x * m, axis=1) / tf.maximum(tf.reduce_sum(m, axis=1), 1)


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the (real) steps: (batch, steps, features) -> (batch, features)."""

    def _reduce(self, x, axes, mask):
        if mask is None:
            return tf.reduce_max(x, axis=axes)
        m = tf.cast(mask, tf.bool)
        out = tf.reduce_max(tf.where(m[:, :, None], x, tf.constant(-float("inf"), x.dtype)), axis=1)
        return tf.where(tf.reduce_any(m, axis=1)[:, None], out, 0)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, height, width, channels) -> (batch, channels)."""
    _rank = 4

    def call(self, x):
        return super().call(x)

    def _reduce(self, x, axes, mask):
        return tf.reduce_mean(x, axis=axes)


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: (batch, height, width, channels) -> (batch, channels)."""
    _rank = 4

    def call(self, x):
        return super().call(x)

    def _reduce(self, x, axes, mask):
        return tf.reduce_max(x, axis=axes)
