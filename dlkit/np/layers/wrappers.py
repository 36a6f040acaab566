"""TimeDistributed: apply one layer to every time step of a sequence (Keras 3 name and arguments).

Input (batch, T, ...) -> output (batch, T, ...inner output). The time axis is folded into the batch:
``y = layer(x.reshape(batch * T, ...)).reshape(batch, T, ...)``, which is what Keras' per-step loop
computes, in one call. backward mirrors it: fold dy, ``layer.backward``, unfold dx.

The inner layer is a tracked sublayer stored as ``self.layer``: its weights appear in ``params`` as
``"layer/kernel"``, ``"layer/bias"`` (Keras: paths ``"time_distributed/dense/kernel"``, same order), so
``get_weights()`` lines up with ``keras.layers.TimeDistributed(...).get_weights()``.
"""
import numpy as np

from dlkit.np.base import Layer

__all__ = ["TimeDistributed"]


class TimeDistributed(Layer):
    """``TimeDistributed(layer)``: the same ``layer`` (same weights) on each of the T steps.

    ``dtype`` defaults to the inner layer's. A (batch, T) mask passes through to the output unchanged;
    a mask of higher rank is folded like the inputs and given to an inner layer whose call takes ``mask``.
    """

    supports_masking = True

    def __init__(self, layer, dtype=None, name=None):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: layer must be a dlkit.np layer instance such as "
                             f"dlkit.np.layers.Dense(8), got {layer!r}")
        super().__init__(name=name, dtype=dtype if dtype is not None else layer.dtype)
        self.layer = layer

    @staticmethod
    def _child_shape(input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def check_input(self, inputs):
        if inputs.ndim < 3:
            raise ValueError(f"TimeDistributed '{self.name}': expected input of rank >= 3 (batch, timesteps, "
                             f"...), got shape {inputs.shape}")

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}': expected an input shape of rank >= 3 (batch, "
                             f"timesteps, ...), got {tuple(input_shape)}")
        if not self.layer.built:
            self.layer.build(self._child_shape(input_shape))

    def call(self, inputs, training=False, mask=None):
        n, t = inputs.shape[:2]
        kwargs = {}
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim < 2 or mask.shape[:2] != (n, t):
                raise ValueError(f"TimeDistributed '{self.name}': mask of shape {mask.shape} does not match "
                                 f"the inputs {inputs.shape}; expected (batch, timesteps, ...) = ({n}, {t}, ...)")
            if mask.ndim > 2 and self.layer._call_takes_mask:
                kwargs["mask"] = mask.reshape((n * t,) + mask.shape[2:])
        y = self.layer(inputs.reshape((n * t,) + inputs.shape[2:]), training=training, **kwargs)
        self._cache = (n, t)
        return y.reshape((n, t) + y.shape[1:])

    def backward(self, dy):
        n, t = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        self.layer.input_gradient = self.input_gradient
        # the weights are shared by all steps: the inner backward sums their gradients over batch * T rows
        dx = self.layer.backward(dy.reshape((n * t,) + dy.shape[2:]))
        return None if dx is None else dx.reshape((n, t) + dx.shape[1:])

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def compute_mask(self, inputs, mask=None):
        return mask
