"""``Model``: a graph of dlkit.np layers with the Keras training API, trained by explicit backprop.

Functional API (any directed acyclic graph, several inputs and outputs)::

    x = dnp.Input((28, 28, 1))
    h = dnp.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = dnp.layers.Add()([h, dnp.layers.Conv2D(8, 3, padding="same")(h)])      # skip connection
    model = dnp.Model(x, dnp.layers.Dense(10)(dnp.layers.GlobalAveragePooling2D()(y)))

``model(x)`` runs the nodes in topological order; ``model.backward(dy)`` visits them in reverse and
**sums the gradients** of a tensor that feeds several layers (dL/dh = sum over its uses). A subclass may
instead define ``call`` and ``backward`` itself (``class MyModel(dnp.Model)``), like a layer.
``compile / fit / evaluate / predict / save / summary`` come from :class:`dlkit.np.training.Trainer`.
"""
import numpy as np

from dlkit.np import graph
from dlkit.np import _fit_utils as U
from dlkit.np.base import Layer, _unique_name
from dlkit.np.blas import set_blas_threads  # noqa: F401  (re-exported)
from dlkit.np.training import Trainer, train_step  # noqa: F401  (train_step re-exported)

__all__ = ["Model", "Input", "train_step", "set_blas_threads"]

Input = graph.Input


def _flatten(x, what):
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    for t in xs:
        if not isinstance(t, graph.SymbolicTensor):
            raise TypeError(f"Model: {what} must be symbolic tensors made from dlkit.np.Input(...) and layer "
                            f"calls, got {type(t).__name__}")
    return xs


def _topological(outputs):
    """Nodes that the outputs depend on, each after the nodes it reads from."""
    order, state = [], {}
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, done = stack.pop()
        if done:
            state[id(node)] = 2
            order.append(node)
            continue
        if state.get(id(node)):
            continue
        state[id(node)] = 1
        stack.append((node, True))
        stack.extend((t.node, False) for t in reversed(node.inputs) if not state.get(id(t.node)))
    return order


class Model(Trainer, Layer):
    """``Model(inputs, outputs)``: a functional model; inputs/outputs are one symbolic tensor or a list.

    Input: arrays shaped like the ``Input`` tensors (a list for several inputs) -> output arrays shaped
    like ``outputs`` (batch axis first). ``backward(dy)`` takes dL/doutputs (a list for several
    outputs) and returns dL/dinputs.
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        Layer.__init__(self, name=name or _unique_name("functional" if inputs is not None else
                                                         type(self).__name__), **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is None and outputs is None:
            return                                     # subclassed model: call/backward are the user's
        if inputs is None or outputs is None:
            raise ValueError("Model: pass both inputs and outputs (or neither, when subclassing Model)")
        self._inputs, self._outputs = _flatten(inputs, "inputs"), _flatten(outputs, "outputs")
        self._single_input = not isinstance(inputs, (list, tuple))
        self._single_output = not isinstance(outputs, (list, tuple))
        for t in self._inputs:
            if not t.node.is_input:
                raise ValueError(f"Model: inputs must be dlkit.np.Input tensors, got the output of "
                                 f"layer '{t.node.name}'")
        nodes = _topological(self._outputs)
        known = {id(t) for t in self._inputs}
        for node in nodes:
            if node.is_input and id(node.outputs[0]) not in known:
                raise ValueError(f"Model: the outputs depend on Input '{node.name}' {node.outputs[0].shape}, "
                                 f"which is not in inputs (graph disconnected)")
        self._graph = [n for n in nodes if not n.is_input]
        uses, layers = {}, []
        for node in self._graph:
            if id(node.layer) not in uses:
                layers.append(node.layer)
            uses[id(node.layer)] = uses.get(id(node.layer), 0) + 1
        self._shared = [layer.name for layer in layers if uses[id(layer)] > 1]
        self._set_layers(layers)
        floats = [t.dtype for t in self._inputs if t.dtype.kind == "f"]
        self.dtype = floats[0] if floats else (layers[0].dtype if layers else np.dtype("float32"))
        self.built = True
        self.input_shape = self._inputs[0].shape if self._single_input else [t.shape for t in self._inputs]

    def _set_layers(self, layers):
        subs = {}
        for layer in layers:
            if layer.name in subs:
                raise ValueError(f"Model '{self.name}': two layers are named '{layer.name}'; layer names must "
                                 f"be unique within a model")
            subs[layer.name] = layer
        self.__dict__["_sublayers"] = subs

    @property
    def layers(self):
        return [layer for _, layer in self._iter_sublayers()]

    @property
    def trainable(self):
        """False when every layer is frozen; setting it freezes or unfreezes all layers (as Keras). A
        model has no flag of its own: unfreezing one layer later makes that layer train again."""
        layers = self.layers
        return not layers or any(layer.trainable for layer in layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self.layers:
            layer.trainable = value

    @property
    def inputs(self):
        return list(self._inputs) if self._graph is not None else None

    @property
    def outputs(self):
        return list(self._outputs) if self._graph is not None else None

    # -- forward ----------------------------------------------------------------------------------
    def _cast_inputs(self, inputs):
        if self._graph is None:
            return inputs
        xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(xs) != len(self._inputs):
            raise ValueError(f"Model '{self.name}': expected {len(self._inputs)} input array(s), got {len(xs)}")
        out = []
        for i, (t, x) in enumerate(zip(self._inputs, xs)):
            x = np.asarray(x)
            if x.dtype.kind not in "fiub":
                raise TypeError(f"Model '{self.name}': input {i} must be numeric, got dtype {x.dtype}")
            if x.ndim != t.ndim or any(d is not None and d != s for d, s in zip(t.shape[1:], x.shape[1:])):
                raise ValueError(f"Model '{self.name}': input {i} ('{t.node.name}') must have shape "
                                 f"{U.format_shape(t.shape)}, got {x.shape}")
            out.append(x.astype(t.dtype, copy=False) if t.dtype.kind == "f" or x.dtype.kind != "f" else x)
        return out

    def call(self, inputs, training=False, mask=None):
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} subclasses Model without inputs/outputs: define "
                                      f"call(self, inputs, training=False) and backward(self, dy)")
        values, masks = {}, {}
        for t, x in zip(self._inputs, inputs):
            values[id(t)] = x
        if mask is not None:
            for t, m in zip(self._inputs, mask if isinstance(mask, (list, tuple)) else [mask]):
                masks[id(t)] = m
        for node in self._graph:
            ins = [values[id(t)] for t in node.inputs]
            args, rest, kwargs = graph.fill(node.template, ins)
            layer = node.layer
            in_mask = self._node_mask(node, masks)
            if in_mask is not None and layer._call_takes_mask and "mask" not in kwargs:
                kwargs = dict(kwargs, mask=in_mask)
            out = layer(args, *rest, training=training if node.training is None else node.training, **kwargs)
            outs = list(out) if node.multi_output else [out]
            out_mask = (layer.compute_mask(args, in_mask)
                        if in_mask is not None or getattr(layer, "mask_zero", False) else None)
            for i, (t, v) in enumerate(zip(node.outputs, outs)):
                values[id(t)] = v
                if out_mask is not None and i == 0:
                    masks[id(t)] = out_mask
        self._last_values = values
        outs = [values[id(t)] for t in self._outputs]
        self._output_mask = [masks.get(id(t)) for t in self._outputs]
        return outs[0] if self._single_output else outs

    @staticmethod
    def _node_mask(node, masks):
        first = node.template[0]
        if isinstance(first, (list, tuple)):
            ms = [masks.get(id(node.inputs[s.i])) if isinstance(s, graph._Slot) else None for s in first]
            return None if all(m is None for m in ms) else ms
        return masks.get(id(node.inputs[first.i])) if isinstance(first, graph._Slot) else None

    def compute_mask(self, inputs, mask=None):
        m = getattr(self, "_output_mask", None)
        return None if m is None else (m[0] if self._single_output else m)

    # -- backward ---------------------------------------------------------------------------------
    def backward(self, dy):
        """dL/dinputs from dL/doutputs (a list for several outputs); fills every layer's ``grads``."""
        if self._graph is None:
            return Layer.backward(self, dy)
        if self._shared:
            raise NotImplementedError(f"Model '{self.name}': layer(s) {self._shared} are called more than once; "
                                      f"dlkit.np layers keep the cache of one call, so backward through a "
                                      f"shared layer is not supported (use separate layers)")
        values = getattr(self, "_last_values", None)
        if values is None:
            raise RuntimeError(f"Model '{self.name}': backward() called before the model was called")
        dys = list(dy) if not self._single_output else [dy]
        if len(dys) != len(self._outputs):
            raise ValueError(f"Model '{self.name}': backward expects {len(self._outputs)} gradient(s), "
                             f"got {len(dys)}")
        grads = {}

        def accumulate(t, g):
            # fan-out: a tensor used by several layers gets the sum of their gradients
            if g is not None and t.dtype.kind == "f":
                grads[id(t)] = g if id(t) not in grads else grads[id(t)] + g

        for t, g in zip(self._outputs, dys):
            accumulate(t, None if g is None else np.asarray(g, dtype=t.dtype))
        for node in reversed(self._graph):
            gs = [grads.get(id(t)) for t in node.outputs]
            if all(g is None for g in gs):
                continue                                # this branch does not reach the loss
            if node.multi_output:
                d = [g if g is not None else np.zeros_like(values[id(t)]) for g, t in zip(gs, node.outputs)]
            else:
                d = gs[0]
            dx = node.layer.backward(d)
            dxs = list(dx) if isinstance(dx, (list, tuple)) else [dx]
            n_main = len(dxs)
            if n_main < len(node.inputs) and getattr(node.layer, "initial_state_grads", None) is not None:
                state_slots = node.template[2].get("initial_state")
                if state_slots is not None:
                    slots = state_slots if isinstance(state_slots, (list, tuple)) else [state_slots]
                    for s, g in zip(slots, node.layer.initial_state_grads):
                        if isinstance(s, graph._Slot):
                            accumulate(node.inputs[s.i], g)
            for t, g in zip(node.inputs[:n_main], dxs):
                accumulate(t, g)
        out = [grads.get(id(t), np.zeros_like(values[id(t)], dtype=t.dtype if t.dtype.kind == "f" else None))
               for t in self._inputs]
        return out[0] if self._single_input else out

    def _set_input_gradients(self, flag):
        """fit: a layer whose inputs are all model inputs need not compute dL/dinputs."""
        if self._graph is None:
            return
        inputs = {id(t) for t in self._inputs}
        for node in self._graph:
            if node.layer.name not in self._shared and all(id(t) in inputs for t in node.inputs):
                node.layer.input_gradient = flag

    # -- reporting --------------------------------------------------------------------------------
    def _summary_rows(self):
        if self._graph is None:
            return [(f"{layer.name} ({type(layer).__name__})", "?", layer) for layer in self.layers]
        rows = [(f"{t.node.name} (InputLayer)", U.format_shape(t.shape), None) for t in self._inputs]
        for node in self._graph:
            shapes = [U.format_shape(t.shape) for t in node.outputs]
            rows.append((f"{node.layer.name} ({type(node.layer).__name__})",
                         shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]", node.layer))
        return rows

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} layers={len(self.layers)}>"
