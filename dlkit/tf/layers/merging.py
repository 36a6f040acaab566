"""TensorFlow mirror of dlkit.np.layers.merging: Add, Subtract, Multiply, Concatenate, Reshape.

These layers carry no weights and no math beyond one tf op, so the mirror is Keras' own layers under
the same names (their autodiff gives the gradients dlkit.np writes by hand; tests/test_merging.py
checks that they agree).
"""
import keras

__all__ = ["Add", "Subtract", "Multiply", "Concatenate", "Reshape"]


class Add(keras.layers.Add):
    """``y = x_1 + ... + x_n``. Input: a list of arrays (batch, ...) -> output (batch, ...)."""


class Subtract(keras.layers.Subtract):
    """``y = x_1 - x_2``. Input: a list of two arrays (batch, ...) -> output (batch, ...)."""


class Multiply(keras.layers.Multiply):
    """``y = x_1 * ... * x_n``. Input: a list of arrays (batch, ...) -> output (batch, ...)."""


class Concatenate(keras.layers.Concatenate):
    """Join along ``axis``. Input: arrays (batch, ..., d_i) -> output (batch, ..., sum d_i)."""


class Reshape(keras.layers.Reshape):
    """Input (batch, ...) -> output ``(batch, *target_shape)``."""
