"""TensorFlow mirror of dlkit.np.layers.core: Dense, Activation, Dropout, Flatten.

``keras.layers.Layer`` subclasses with explicit TF ops and the same arguments and weight names/order as
dlkit.np, so ``tf_layer.set_weights(np_layer.get_weights())`` works. Gradients: tf.GradientTape.
"""
import math

import keras
import tensorflow as tf

from dlkit.tf import activations

__all__ = ["Dense", "Activation", "Dropout", "Flatten"]


def _regularizer(identifier):
    """Keras regularizer from a Keras identifier or a dlkit.np regularizer (l1/l2 attributes)."""
    if identifier is None or isinstance(identifier, (str, dict, keras.regularizers.Regularizer)):
        return keras.regularizers.get(identifier)
    if hasattr(identifier, "l1") or hasattr(identifier, "l2"):
        return keras.regularizers.L1L2(l1=getattr(identifier, "l1", 0.0), l2=getattr(identifier, "l2", 0.0))
    return keras.regularizers.get(identifier)


class Dense(keras.layers.Layer):
    """y = activation(x @ kernel + bias) on the last axis; kernel (d, units), bias (units,)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 dtype="float32", name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = _regularizer(kernel_regularizer)
        self.bias_regularizer = _regularizer(bias_regularizer)

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(d, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer)
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: d})

    def call(self, inputs):
        x = tf.convert_to_tensor(inputs)
        d = self.kernel.shape[0]
        out = tf.matmul(tf.reshape(x, [-1, d]), self.kernel)  # one GEMM over all leading axes
        if self.use_bias:
            out = out + self.bias
        out = tf.reshape(out, tf.concat([tf.shape(x)[:-1], [self.units]], axis=0))
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)


class Activation(keras.layers.Layer):
    """Applies a dlkit.tf activation."""

    def __init__(self, activation, dtype="float32", name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Dropout(keras.layers.Layer):
    """Inverted dropout with ``tf.random.stateless_uniform``; identity unless ``training=True``."""

    def __init__(self, rate, noise_shape=None, seed=None, dtype="float32", name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in the range [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)  # a tracked variable holding the state

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        x = tf.convert_to_tensor(inputs)
        shape = tf.shape(x)
        if self.noise_shape is not None:
            shape = tf.stack([shape[i] if n is None else n for i, n in enumerate(self.noise_shape)])
        u = tf.random.stateless_uniform(shape, seed=self.seed_generator.next(), dtype=x.dtype)
        mask = tf.cast(u >= self.rate, x.dtype) / tf.cast(1 - self.rate, x.dtype)
        return x * mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Flatten(keras.layers.Layer):
    """(batch, d1, ..., dk) -> (batch, d1 * ... * dk)."""

    def __init__(self, dtype="float32", name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)

    def call(self, inputs):
        x = tf.convert_to_tensor(inputs)
        rest = x.shape[1:]
        n = math.prod(rest) if None not in rest else -1
        return tf.reshape(x, [tf.shape(x)[0], n])

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        return (input_shape[0], None if None in rest else math.prod(rest))
