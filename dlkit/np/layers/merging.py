"""Merge layers: ``Add``, ``Subtract``, ``Multiply``, ``Concatenate`` and ``Reshape`` (Keras names).

A merge layer takes a list of arrays, ``y = Add()([a, b])``, and its ``backward(dy)`` returns the list of
their gradients, in the same order. Shapes follow NumPy broadcasting except along the batch axis.
"""
import math

import numpy as np

from dlkit.np.base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Concatenate", "Reshape"]


class _Merge(Layer):
    supports_masking = True
    _min_inputs = 2

    def check_input(self, inputs):
        kind = type(self).__name__
        if not isinstance(inputs, list) or len(inputs) < self._min_inputs:
            raise ValueError(f"{kind} '{self.name}': expected a list of at least {self._min_inputs} arrays, "
                             f"e.g. {kind}()([a, b]), got {type(inputs).__name__}")
        if len({x.shape[0] for x in inputs}) != 1:
            raise ValueError(f"{kind} '{self.name}': inputs need the same batch size, got shapes "
                             f"{[x.shape for x in inputs]}")

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        return np.logical_and.reduce([np.asarray(m, bool) for m in mask if m is not None])

    @staticmethod
    def _unbroadcast(d, shape):
        """Sum d over the axes that were broadcast to reach d.shape from shape."""
        while d.ndim > len(shape):
            d = d.sum(axis=0)
        for ax, n in enumerate(shape):
            if n == 1 and d.shape[ax] != 1:
                d = d.sum(axis=ax, keepdims=True)
        return d


class Add(_Merge):
    """``y = x_1 + x_2 + ... + x_n``; each input's gradient is dy (reduced over broadcast axes).

    Input: a list of arrays (batch, ...) of equal (or broadcastable) shapes -> output (batch, ...).
    """

    def call(self, inputs, training=False):
        self._cache = [x.shape for x in inputs]
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def backward(self, dy):
        dy = np.asarray(dy, dtype=self.dtype)
        # dL/dx_i = dL/dy for every term of a sum: the gradient "highway" of a residual connection
        return [self._unbroadcast(dy, s) for s in self._get_cache()]


class Subtract(_Merge):
    """``y = x_1 - x_2``: gradients ``(dy, -dy)``. Input: a list of two arrays (batch, ...)."""

    def check_input(self, inputs):
        super().check_input(inputs)
        if len(inputs) != 2:
            raise ValueError(f"Subtract '{self.name}': expected exactly 2 inputs, got {len(inputs)}")

    def call(self, inputs, training=False):
        self._cache = [x.shape for x in inputs]
        return inputs[0] - inputs[1]

    def backward(self, dy):
        dy = np.asarray(dy, dtype=self.dtype)
        a, b = self._get_cache()
        return [self._unbroadcast(dy, a), self._unbroadcast(-dy, b)]


class Multiply(_Merge):
    """``y = x_1 * x_2 * ... * x_n`` elementwise: ``dL/dx_i = dy * prod_{j != i} x_j``.

    Input: a list of arrays (batch, ...) -> output (batch, ...).
    """

    def call(self, inputs, training=False):
        self._cache = list(inputs)
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out

    def backward(self, dy):
        xs = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        grads = []
        for i, x in enumerate(xs):
            others = dy
            for j, z in enumerate(xs):
                if j != i:
                    others = others * z
            grads.append(self._unbroadcast(others, x.shape))
        return grads


class Concatenate(_Merge):
    """Joins a list of arrays along ``axis`` (default -1, the features); backward splits dy back.

    Input: arrays (batch, ..., d_i, ...) equal except along ``axis`` -> (batch, ..., sum d_i, ...).
    """

    def __init__(self, axis=-1, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ValueError(f"Concatenate: axis must be a non-batch axis (an int other than 0), got {axis!r}")
        self.axis = int(axis)

    def check_input(self, inputs):
        super().check_input(inputs)
        nd = inputs[0].ndim
        ax = self.axis % nd if -nd <= self.axis < nd else None
        if ax is None or ax == 0 or any(x.ndim != nd for x in inputs) or len(
                {x.shape[:ax] + x.shape[ax + 1:] for x in inputs}) != 1:
            raise ValueError(f"Concatenate '{self.name}': inputs must have equal shapes except along axis "
                             f"{self.axis}, got {[x.shape for x in inputs]}")

    def call(self, inputs, training=False):
        self._cache = [x.shape[self.axis] for x in inputs]
        return np.concatenate(inputs, axis=self.axis)

    def backward(self, dy):
        sizes = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        return np.split(dy, np.cumsum(sizes)[:-1], axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        if self.axis in (-1, inputs[0].ndim - 1):   # features joined: the time axis (and mask) is shared
            return super().compute_mask(inputs, mask)
        return None


class Reshape(Layer):
    """Reshape each example to ``target_shape`` (one entry may be -1).

    Input (batch, ...) -> output ``(batch, *target_shape)``, the same number of values per example.
    """

    def __init__(self, target_shape, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        target_shape = tuple(target_shape)
        if sum(d == -1 for d in target_shape) > 1 or not all(
                isinstance(d, (int, np.integer)) and (d > 0 or d == -1) for d in target_shape):
            raise ValueError(f"Reshape: target_shape must be positive ints with at most one -1, got {target_shape}")
        self.target_shape = target_shape

    def check_input(self, x):
        n, known = math.prod(x.shape[1:]), math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and n % known) or (-1 not in self.target_shape and n != known):
            raise ValueError(f"Reshape '{self.name}': cannot reshape examples of shape {x.shape[1:]} "
                             f"({n} values) to {self.target_shape}")

    def call(self, x, training=False):
        self._cache = x.shape
        return x.reshape((x.shape[0],) + self.target_shape)

    def backward(self, dy):
        return np.asarray(dy, dtype=self.dtype).reshape(self._get_cache())

    def compute_output_shape(self, input_shape):
        rest = [d for d in self.target_shape]
        if -1 in rest and all(d is not None for d in input_shape[1:]):
            rest[rest.index(-1)] = math.prod(input_shape[1:]) // math.prod(d for d in rest if d != -1)
        return (input_shape[0],) + tuple(None if d == -1 else d for d in rest)
