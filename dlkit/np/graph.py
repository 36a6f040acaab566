"""Symbolic tensors for the functional API: ``Input(shape)``, layers called on them, a graph of ``Node``s.

>>> import dlkit.np as dnp
>>> x = dnp.Input((4,))
>>> h = dnp.layers.Dense(8, activation="relu")(x)
>>> y = dnp.layers.Add()([x, dnp.layers.Dense(4)(h)])       # a skip connection
>>> model = dnp.Model(x, y)
>>> y.shape
(None, 4)

Calling a layer on a ``SymbolicTensor`` records a ``Node`` (the layer, its arguments, its input and
output tensors) instead of computing. The output shape is found by running the layer once on a dummy
batch (twice when the input has ``None`` dimensions, to see which output dimensions follow them); this
also builds its weights, as in Keras. ``dlkit.np.Model`` then runs the nodes in order (forward) and in
reverse order (backward), summing gradients where a tensor feeds several layers.
"""
import numpy as np

__all__ = ["Input", "SymbolicTensor", "Node"]


class Node:
    """One layer call in a graph: ``outputs = layer(*template filled with inputs)``."""

    def __init__(self, layer, template, inputs, training=None, name=None):
        self.layer, self.template, self.inputs = layer, template, inputs
        self.training = training      # None: follow the model's training flag
        self.outputs, self.multi_output = [], False
        self.name = name or (layer.name if layer is not None else "input")

    @property
    def is_input(self):
        return self.layer is None


class SymbolicTensor:
    """A placeholder with a shape (``None`` = any size) and a dtype; made by ``Input`` and layers."""

    def __init__(self, shape, dtype, node, index=0):
        self.shape, self.dtype, self.node, self.index = tuple(shape), np.dtype(dtype), node, index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype.name} from={self.node.name!r}>"

    def _no_math(self, *_):
        raise TypeError("symbolic tensors have no arithmetic; use the layers dlkit.np.layers.Add, Subtract, "
                        "Multiply or Concatenate, e.g. Add()([a, b])")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __matmul__ = _no_math

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{self!r} is symbolic (it has no values); build a dlkit.np.Model(inputs, outputs) "
                        f"and call the model on arrays")


def Input(shape, dtype=None, name=None, batch_size=None):
    """A model input of per-example ``shape`` (a tuple without the batch axis; ``None`` = variable).

    ``dtype`` defaults to float32; use an integer dtype (e.g. ``"int64"``) for token ids.
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or not all(
            d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0) for d in shape):
        raise ValueError(f"Input: shape must be a tuple of positive ints or None (without the batch axis), "
                         f"e.g. (28, 28, 1), got {shape!r}")
    dtype = np.dtype("float32" if dtype is None else dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"Input: dtype must be numeric, got {dtype}")
    node = Node(None, None, [], name=name or "input")
    t = SymbolicTensor((batch_size,) + tuple(None if d is None else int(d) for d in shape), dtype, node)
    node.outputs = [t]
    return t


# -- nested structures of arguments ------------------------------------------------------------------
class _Slot:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


def _template(obj, flat):
    """Replace symbolic tensors in obj (nested lists/tuples/dicts) by slots, collecting them in flat."""
    if isinstance(obj, SymbolicTensor):
        flat.append(obj)
        return _Slot(len(flat) - 1)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_template(v, flat) for v in obj)
    if isinstance(obj, dict):
        return {k: _template(v, flat) for k, v in obj.items()}
    return obj


def fill(template, values):
    """The inverse of _template: slots -> values[i]."""
    if isinstance(template, _Slot):
        return values[template.i]
    if isinstance(template, (list, tuple)):
        return type(template)(fill(v, values) for v in template)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    return template


def _contains_symbolic(obj):
    if isinstance(obj, SymbolicTensor):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_contains_symbolic(v) for v in obj)
    if isinstance(obj, dict):
        return any(_contains_symbolic(v) for v in obj.values())
    return False


def any_symbolic(inputs, args, kwargs):
    if type(inputs) is np.ndarray and not args and not kwargs:
        return False
    return _contains_symbolic(inputs) or _contains_symbolic(args) or _contains_symbolic(kwargs)


def _dummy(t, size):
    shape = tuple(size if d is None else d for d in t.shape)
    return np.zeros(shape, dtype=t.dtype)


def _probe(layer, template, flat, size):
    values = [_dummy(t, size) for t in flat]
    inputs, args, kwargs = fill(template, values)
    with np.errstate(all="ignore"):
        out = layer(inputs, *args, training=False, **kwargs)
    return (list(out), True) if isinstance(out, (list, tuple)) else ([out], False)


def symbolic_call(layer, inputs, args, kwargs):
    """Record ``layer(inputs, *args, **kwargs)`` on symbolic tensors; returns symbolic outputs."""
    kwargs = dict(kwargs)
    training = kwargs.pop("training", None)
    flat = []
    template = _template((inputs, tuple(args), kwargs), flat)
    variable = any(d is None for t in flat for d in t.shape[1:])
    error = None
    for size in (1, 4, 16, 32):      # some layers need a minimum size for the None dimensions
        try:
            outs1, multi = _probe(layer, template, flat, size)
            outs2 = _probe(layer, template, flat, size + 1)[0] if variable else outs1
            break
        except (ValueError, IndexError) as e:
            error = e
            if not variable:
                raise
    else:
        raise error
    node = Node(layer, template, flat, training)
    for i, (a, b) in enumerate(zip(outs1, outs2)):
        a, b = np.asarray(a), np.asarray(b)
        shape = (None,) + tuple(da if da == db else None for da, db in zip(a.shape[1:], b.shape[1:]))
        node.outputs.append(SymbolicTensor(shape, a.dtype, node, i))
    node.multi_output = multi
    return list(node.outputs) if node.multi_output else node.outputs[0]

