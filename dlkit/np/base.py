"""The layer protocol every ``dlkit.np`` layer (and model) follows.

``y = layer(x, training=False)`` runs, in this order: cast ``x`` to the layer dtype (hook
``_cast_inputs``), ``check_input(x)`` (hook), ``build(x.shape)`` on the first call, then
``call(x, training=..., **kwargs)``. ``dx = layer.backward(dy)`` returns dL/dx for the last call and fills
``layer.grads``. A layer that defines ``call`` and ``backward`` (and ``build`` if it owns weights) is
complete::

    class Residual(Layer):                      # y = x + d2(relu(d1(x)))
        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.d1, self.d2 = Dense(units, activation="relu"), Dense(units)
        def call(self, x, training=False):
            return x + self.d2(self.d1(x))
        def backward(self, dy):
            return dy + self.d1.backward(self.d2.backward(dy))

Sublayers assigned as attributes (or lists of them) are tracked: their weights appear in ``params`` as
``"d1/kernel"``, their gradients in ``grads``, and ``grads_and_vars()`` hands them all to the optimizer.
``params`` holds every weight in Keras order, keyed by Keras weight names; ``grads`` the trainable ones.
"""
import inspect

import numpy as np

from dlkit.np import _layer_utils as U
from dlkit.np import graph, initializers

__all__ = ["Layer"]

_unique_name, _shapes, _batchless = U.unique_name, U.shapes, U.batchless


class Layer:
    """Base class: the call protocol, weight bookkeeping, sublayer tracking, dtype and config."""

    supports_masking = False  # True: compute_mask passes an incoming (batch, timesteps) mask through
    _not_tracked = frozenset()  # attribute names holding layers that are not sublayers (bookkeeping)
    _builds_in_call = False     # True (Sequential): the sublayers build themselves during call

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = U.wrap_build(cls.__dict__["build"])
        if "__init__" in cls.__dict__:
            cls.__init__ = U.wrap_init(cls.__dict__["__init__"])
        if "forward" in cls.__dict__ and "call" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines forward(); dlkit.np layers name the forward pass "
                            f"call(self, inputs, training=False), as Keras does: rename forward to call")
        call = getattr(cls, "call", None)
        params = inspect.signature(call).parameters if call is not None else {}
        cls._call_takes_training = "training" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values())
        cls._call_takes_mask = "mask" in params

    def __init__(self, name=None, dtype=None, trainable=True):
        self.dtype = np.dtype("float32" if dtype is None else dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}: dtype must be a float type such as 'float32' or "
                            f"'float64', got {dtype!r}")
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string without '/', "
                             f"got {name!r}")
        self.name = name or _unique_name(type(self).__name__)
        self._trainable = bool(trainable)
        self._params, self._grads = {}, {}
        self._non_trainable = set()
        self.built = False
        self.input_shape = None
        self._cache = None
        # False when nothing upstream needs dL/dx (first layer in fit): backward may skip that product
        self.input_gradient = True

    # -- sublayer tracking ------------------------------------------------------------------------
    def __setattr__(self, name, value):
        subs = self.__dict__.get("_sublayers")
        if subs is not None and name in subs:
            del subs[name]
        if name in self._not_tracked:
            pass
        elif isinstance(value, Layer) or (isinstance(value, (list, tuple)) and value and
                                          all(isinstance(v, Layer) for v in value)):
            if subs is None:
                subs = self.__dict__.setdefault("_sublayers", {})
            subs[name] = value
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                self._adopt(v)
        object.__setattr__(self, name, value)

    def _adopt(self, layer):
        """A sublayer created without an explicit dtype takes its parent's (as in Keras)."""
        if "dtype" in self.__dict__ and not layer.built and not layer._explicit("dtype"):
            layer.dtype = self.dtype

    def _explicit(self, arg):
        """True if the user passed ``arg`` to the constructor."""
        return U.explicit_argument(self, arg)

    def _iter_sublayers(self):
        """``(prefix, layer)`` for every tracked sublayer, in assignment order."""
        for name, value in self.__dict__.get("_sublayers", {}).items():
            if isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    yield f"{name}/{i}", v
            else:
                yield name, value

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def add_weight(self, name, shape, initializer="zeros", trainable=True, rng=None):
        """Create weight ``name`` of ``shape`` with an initializer (name or callable); returns it."""
        init = initializers.get(initializer)
        self._params[name] = np.asarray(init(tuple(shape), dtype=self.dtype, rng=rng), dtype=self.dtype)
        if not trainable:
            self._non_trainable.add(name)
        return self._params[name]

    def _cast(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{self.name}: expected a numeric array, got dtype {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def _cast_inputs(self, inputs):
        """Hook: convert the inputs (an array or a list of arrays) before check_input/build/call."""
        if isinstance(inputs, (list, tuple)):
            return [self._cast(v) for v in inputs]
        return self._cast(inputs)

    def check_input(self, inputs):
        """Hook: raise a ValueError naming this layer if ``inputs`` cannot be processed."""

    def _build_args(self, inputs, *args, **kwargs):
        """Hook: the arguments of build() for this call (default: the input shape(s))."""
        return (_shapes(inputs),)

    def __call__(self, inputs, *args, training=None, **kwargs):
        if graph.any_symbolic(inputs, args, kwargs):
            # an explicit training= is recorded in the graph (e.g. dropout kept on at inference)
            return graph.symbolic_call(self, inputs, args, dict(kwargs, training=training))
        training = bool(training)
        inputs = self._cast_inputs(inputs)
        self.check_input(inputs)
        if not self.built and not self._builds_in_call:
            for _, sub in self._iter_sublayers():
                self._adopt(sub)
            self.input_shape = _batchless(_shapes(inputs))
            self.build(*self._build_args(inputs, *args, **kwargs))
            self.built = True
        if self._call_takes_training:
            kwargs["training"] = training
        if "mask" in kwargs and kwargs["mask"] is None and not self._call_takes_mask:
            del kwargs["mask"]
        try:
            out = self.call(inputs, *args, **kwargs)
        except TypeError as e:
            if "mask" in kwargs and not self._call_takes_mask:
                raise TypeError(f"{self.name}: got a mask, but {type(self).__name__}.call does not accept "
                                f"mask=; add a mask=None argument or drop the mask") from e
            raise
        if out is None:
            raise TypeError(f"{type(self).__name__}.call returned None; it must return the output array")
        return out

    def call(self, inputs, training=False):
        """The forward pass; subclasses define it (and backward)."""
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs, training=False), "
                                  f"the forward pass, and backward(self, dy), its gradient")

    def backward(self, dy):
        """dL/dinputs of the last call, given ``dy`` = dL/doutputs; fills ``self.grads``."""
        raise NotImplementedError(f"{type(self).__name__} defines call() but not backward(dy): dlkit.np layers "
                                  f"need a hand-written backward that returns dL/dinputs and stores "
                                  f"dL/dweights in self.grads")

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask if ``supports_masking``, else None."""
        return mask if self.supports_masking else None

    def _get_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward() called before forward(); call the layer on a "
                               f"batch with training=True first")
        return self._cache

    # -- weights ----------------------------------------------------------------------------------
    @property
    def params(self):
        """All weights, own first then each sublayer's as ``"<sublayer>/<weight>"``."""
        if not self.__dict__.get("_sublayers"):
            return self._params
        out = dict(self._params)
        for prefix, layer in self._iter_sublayers():
            out.update((f"{prefix}/{k}", v) for k, v in layer.params.items())
        return out

    @params.setter
    def params(self, value):
        self._params = dict(value)

    @property
    def grads(self):
        """Gradients of the trainable weights from the last backward (same keys as ``params``)."""
        if not self.__dict__.get("_sublayers"):
            return self._grads
        out = dict(self._grads)
        for prefix, layer in self._iter_sublayers():
            out.update((f"{prefix}/{k}", v) for k, v in layer.grads.items())
        return out

    @grads.setter
    def grads(self, value):
        self._grads = dict(value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing a layer freezes its sublayers too (as in Keras)."""
        self._trainable = bool(value)
        for _, layer in self._iter_sublayers():
            layer.trainable = value

    @property
    def weights(self):
        return list(self.params.values())

    @property
    def trainable_names(self):
        """Keys of ``params`` that the optimizer updates."""
        if not self._trainable:
            return []
        names = [k for k in self._params if k not in self._non_trainable]
        for prefix, layer in self._iter_sublayers():
            names += [f"{prefix}/{k}" for k in layer.trainable_names]
        return names

    @property
    def trainable_weights(self):
        params = self.params
        return [params[k] for k in self.trainable_names]

    def grads_and_vars(self):
        """``[(grad, weight), ...]`` of every trainable weight with a gradient, for
        ``optimizer.apply_gradients``."""
        if not self._trainable:
            return []
        out = [(self._grads[k], p) for k, p in self._params.items()
               if k not in self._non_trainable and k in self._grads]
        for _, layer in self._iter_sublayers():
            out += layer.grads_and_vars()
        return out

    def parameters(self):
        """Old name of :meth:`grads_and_vars` (kept so earlier code keeps working)."""
        return self.grads_and_vars()

    @property
    def losses(self):
        """Regularization penalties of this layer's sublayers (layers with regularizers add theirs)."""
        return [v for _, layer in self._iter_sublayers() for v in layer.losses]

    def get_weights(self):
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights):
        params = self.params
        weights = list(weights)
        if not params and not self.built:
            raise ValueError(f"{self.name}: set_weights before the weights exist; build the layer first "
                             f"(call it on a batch, or layer.build(input_shape))")
        if len(weights) != len(params):
            raise ValueError(f"{self.name}: expected {len(params)} arrays ({', '.join(params)}), "
                             f"got {len(weights)}")
        for (k, p), w in zip(params.items(), weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"{self.name}: weight '{k}' must have shape {p.shape}, got {w.shape}")
            p[...] = w  # in place, so optimizer state keyed on the array stays valid

    def count_params(self):
        if not self.built:
            raise ValueError(f"{self.name}: the weights do not exist yet (they are built on the first call); "
                             f"call the layer or model on a batch first")
        return int(sum(p.size for p in self.params.values()))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # -- config -----------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments the layer was created with (plus name and dtype), as a dict."""
        return U.init_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
