"""``Sequential``: a stack of dlkit.np layers, the special case of ``Model`` with one chain of layers.

>>> import numpy as np, dlkit.np as dnp
>>> model = dnp.Sequential([dnp.Input((2,)), dnp.layers.Dense(8, activation="relu"),
...                         dnp.layers.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> history = model.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=2, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']

Forward runs the layers in order, backward in reverse: ``dx = l1.backward(l2.backward(...(dy)))``.
Training (compile / fit / evaluate / predict / summary / save) is shared with :class:`dlkit.np.Model`.
"""
import numpy as np

from dlkit.np import _fit_utils as U
from dlkit.np import graph
from dlkit.np.base import Layer
from dlkit.np.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """Layers applied in order: ``y = model(x, training=False)``, ``dx = model.backward(dy)``.

    Input: whatever the first layer takes, (batch, ...) -> the last layer's output (batch, ...).
    An optional first element ``dnp.Input(shape)`` builds the weights at once (as in Keras).
    """

    _not_tracked = frozenset({"_layers", "_backprop"})
    _builds_in_call = True

    def __init__(self, layers=None, name=None):
        super().__init__(name=name or _name())
        self._layers, self._output_shapes, self._input_spec = [], None, None
        self._backprop = None
        layers = list(layers or [])
        if layers and isinstance(layers[0], graph.SymbolicTensor):
            self._input_spec = layers.pop(0)
        for layer in layers:
            self.add(layer)

    # -- structure --------------------------------------------------------------------------------
    def add(self, layer):
        if isinstance(layer, graph.SymbolicTensor) and not self._layers:
            self._input_spec = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a dlkit.np layer (e.g. dlkit.np.layers.Dense(10)), "
                            f"got {layer!r}")
        if any(layer.name == other.name for other in self._layers):
            raise ValueError(f"Sequential '{self.name}': a layer named '{layer.name}' is already in the "
                             f"model; layer names must be unique")
        self._layers.append(layer)
        self._set_layers(self._layers)
        self._output_shapes = self._backprop = None
        if self._input_spec is not None:
            self.build(self._input_spec.shape)

    @property
    def layers(self):
        return list(self._layers)

    @property
    def built(self):
        layers = self.__dict__.get("_layers")
        return bool(layers) and all(layer.built for layer in layers)

    @built.setter
    def built(self, value):
        pass  # derived from the layers

    @property
    def dtype(self):
        layers = self.__dict__.get("_layers")
        return layers[0].dtype if layers else np.dtype("float32")

    @dtype.setter
    def dtype(self, value):
        pass  # the first layer's

    def build(self, input_shape):
        """Build the weights for inputs of ``input_shape`` (with or without the batch axis)."""
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        dtype = self._input_spec.dtype if self._input_spec is not None else self.dtype
        self.call(np.zeros((1,) + tuple(1 if d is None else d for d in shape), dtype=dtype))

    def _build_args(self, inputs, *args, **kwargs):
        return ((None,) + tuple(inputs.shape[1:]),)

    def _cast_inputs(self, inputs):
        return np.asarray(inputs)   # each layer casts what it receives

    # -- forward / backward -----------------------------------------------------------------------
    def call(self, x, training=False, mask=None):
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some with model.add(...)")
        record = self._output_shapes is None
        shapes = []
        for layer in self._layers:
            if mask is not None and layer._call_takes_mask:
                out = layer(x, training=training, mask=mask)
            else:
                out = layer(x, training=training)
            if mask is not None or getattr(layer, "mask_zero", False):
                mask = layer.compute_mask(x, mask)
            x = out
            if record:
                shapes.append((None,) + tuple(x.shape[1:]))
        if record:
            self._output_shapes = shapes
        self._output_mask = [mask]
        return x

    def compute_mask(self, inputs, mask=None):
        return self._output_mask[0] if getattr(self, "_output_mask", None) else None

    def backward(self, dy):
        """Backpropagate ``dy`` = dL/d(output) through all layers; fills each layer's ``grads``."""
        for layer in (self._backprop or self._layers[::-1]):
            dy = layer.backward(dy)
        return dy

    def _set_input_gradients(self, flag):
        """In fit, backward stops at the first trainable layer, which is told that nobody needs its
        input gradient (Keras skips it too)."""
        if not self._layers:
            return
        first = next((i for i, layer in enumerate(self._layers) if layer.trainable_names), 0)
        self._layers[first].input_gradient = flag
        self._backprop = None if flag else self._layers[first:][::-1]

    def _summary_rows(self):
        shapes = self._output_shapes or [None] * len(self._layers)
        return [(f"{layer.name} ({type(layer).__name__})", U.format_shape(s) if s is not None else "?", layer)
                for layer, s in zip(self._layers, shapes)]

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={len(self._layers)}>"


_count = [0]


def _name():
    k = _count[0]
    _count[0] += 1
    return "sequential" if k == 0 else f"sequential_{k}"
