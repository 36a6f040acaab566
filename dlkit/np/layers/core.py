"""Core layers: Dense, Activation, Dropout, Flatten (Keras names, arguments and weight layout).

Each layer wraps the functional core (``dlkit.np.functional.dense``) and the activation objects of
``dlkit.np.activations``; ``backward(dy)`` returns dL/dx and fills ``self.grads``.
"""
import math

import numpy as np

from dlkit.np import activations
from dlkit.np.base import Layer
from dlkit.np.layers._affine import KernelLayer
from dlkit.np.functional.dense import dense_backward, dense_forward
from dlkit.np.random import get_rng

__all__ = ["Dense", "Activation", "Dropout", "Flatten"]



class Dense(KernelLayer):
    """Fully connected layer: y = activation(x W + b) on the last axis of x.

    Input (batch, ..., d) -> output (batch, ..., units). Weights, in Keras order: "kernel" (d, units),
    "bias" (units,) if ``use_bias``. ``kernel_regularizer`` (e.g. ``"l2"`` or ``regularizers.L2(0.01)``)
    adds its penalty to ``layer.losses`` and its gradient to ``grads["kernel"]``.
    """

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 dtype="float32", name=None, trainable=True):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, dtype, name, trainable)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Dense '{self.name}': expected input of rank >= 2 (batch, features), "
                             f"got shape {tuple(input_shape)}")
        self.input_dim = int(input_shape[-1])
        self._add_kernel_and_bias((self.input_dim, self.units), self.units)

    def _expected(self):
        return "(batch, " + ("..., " if self.input_shape and len(self.input_shape) > 2 else "") + \
            f"{self.input_dim})"

    def _affine_forward(self, x):
        if x.ndim < 2 or x.shape[-1] != self.input_dim:
            raise ValueError(f"Dense '{self.name}': expected input of shape {self._expected()}, "
                             f"got {x.shape}")
        return dense_forward(x, self.params["kernel"], self.params.get("bias"))

    def _affine_backward(self, dz, cache, need_dx):
        return dense_backward(dz, cache, need_dx=need_dx)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)


class Activation(Layer):
    """Applies an activation elementwise (softmax: on the last axis). No weights; shape unchanged.

    Input (batch, ...) -> output (batch, ...), the same shape.
    """

    supports_masking = True

    def __init__(self, activation, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        self.activation = activations.get(activation)

    def call(self, x, training=False):
        y, self._cache = self.activation.forward(x)
        return y

    def backward(self, dy):
        cache = self._get_cache()
        return self.activation.backward(np.asarray(dy, dtype=self.dtype), cache)


class Dropout(Layer):
    """Inverted dropout: in training each entry is zeroed with probability ``rate`` and the survivors
    are scaled by 1 / (1 - rate), so E[y] = x; at inference (``training=False``) it is the identity.

    ``noise_shape`` (as in Keras) broadcasts one mask over axes given as 1, e.g. (batch, 1, features).
    ``seed`` gives the layer its own generator; otherwise the shared ``dlkit.np`` generator is used.
    backward reuses the mask of the last forward call.
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)) \
                or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in the range [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def call(self, x, training=False):
        if not training or self.rate == 0:
            self._cache = (None,)
            return x
        shape = x.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != x.ndim:
                raise ValueError(f"Dropout '{self.name}': noise_shape {self.noise_shape} must have rank "
                                 f"{x.ndim} like the input {x.shape}")
            shape = tuple(s if n is None else n for n, s in zip(self.noise_shape, x.shape))
        rng = self._rng if self._rng is not None else get_rng()
        keep = rng.random(shape) >= self.rate
        mask = keep.astype(self.dtype) / self.dtype.type(1 - self.rate)
        self._cache = (mask,)
        return x * mask

    def backward(self, dy):
        (mask,) = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        return dy if mask is None else dy * mask


class Flatten(Layer):
    """Flattens all axes but the batch axis: (batch, d1, ..., dk) -> (batch, d1 * ... * dk)."""

    def call(self, x, training=False):
        self._cache = (x.shape,)
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        (shape,) = self._get_cache()
        return np.asarray(dy, dtype=self.dtype).reshape(shape)

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)
