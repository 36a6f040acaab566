"""TensorFlow mirror of dlkit.np.activations: same names and defaults, explicit TF ops.

Gradients come from tf.GradientTape, so no ``*_grad`` functions are needed here.
"""
import math

import tensorflow as tf

__all__ = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu",
           "softmax", "get"]


def linear(x):
    """f(x) = x."""
    return tf.convert_to_tensor(x)


def sigmoid(x):
    """f(x) = 1 / (1 + exp(-x))."""
    return tf.math.sigmoid(x)


def tanh(x):
    """f(x) = tanh(x)."""
    return tf.math.tanh(x)


def relu(x):
    """f(x) = max(0, x)."""
    return tf.nn.relu(x)


def leaky_relu(x, negative_slope=0.2):
    """f(x) = x if x > 0 else negative_slope * x (Keras 3 default 0.2)."""
    x = tf.convert_to_tensor(x)
    return tf.where(x > 0, x, tf.cast(negative_slope, x.dtype) * x)


def elu(x, alpha=1.0):
    """f(x) = x if x > 0 else alpha (exp(x) - 1); exp of min(x, 0) so the unused branch never overflows."""
    x = tf.convert_to_tensor(x)
    return tf.where(x > 0, x, tf.cast(alpha, x.dtype) * tf.math.expm1(tf.minimum(x, 0)))


def gelu(x, approximate=False):
    """f(x) = x/2 (1 + erf(x / sqrt 2)); tanh approximation if ``approximate``."""
    x = tf.convert_to_tensor(x)
    if approximate:
        c = tf.constant(math.sqrt(2 / math.pi), dtype=x.dtype)  # not tf.cast: that rounds through float32
        return 0.5 * x * (1 + tf.math.tanh(c * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + tf.math.erf(x / tf.constant(math.sqrt(2), dtype=x.dtype)))


def softplus(x):
    """f(x) = log(1 + exp(x))."""
    return tf.math.softplus(x)


def silu(x):
    """f(x) = x sigmoid(x)."""
    return x * tf.math.sigmoid(x)


def softmax(x, axis=-1):
    """exp(x - max) / sum exp(x - max) along ``axis``."""
    x = tf.convert_to_tensor(x)
    z = tf.exp(x - tf.stop_gradient(tf.reduce_max(x, axis=axis, keepdims=True)))
    return z / tf.reduce_sum(z, axis=axis, keepdims=True)


_ALL = {f.__name__: f for f in (linear, sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus, silu,
                                softmax)}
_ALL["swish"] = silu


def get(identifier=None):
    """A TF activation function from a Keras name, a callable (returned as is) or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if identifier in _ALL:
        return _ALL[identifier]
    raise ValueError(f"unknown activation {identifier!r}; expected one of {sorted(_ALL)} or None")
