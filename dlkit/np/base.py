"""The layer protocol every ``dlkit.np`` layer follows.

A layer is called like a Keras layer, ``y = layer(x, training=False)``; the first call builds its
weights from ``x.shape``. ``dx = layer.backward(dy)`` returns the gradient with respect to the input of
the last forward call and fills ``layer.grads``. ``layer.params`` holds all weights in Keras order
(trainable and non-trainable), keyed by Keras weight names; ``layer.grads`` holds the trainable ones.
"""
import collections
import functools
import re

import numpy as np

from dlkit.np import initializers

_name_counts = collections.Counter()


def _unique_name(cls_name):
    """Keras-style default names: dense, dense_1, ...; Conv2D -> conv2d, SimpleRNN -> simple_rnn."""
    base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls_name)
    base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
    n = _name_counts[base]
    _name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class: weight bookkeeping, dtype handling and the forward/backward cache."""

    def __init_subclass__(cls, **kwargs):
        # As Keras does: a layer whose build() ran, also when called by hand, counts as built.
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            original = cls.__dict__["build"]

            @functools.wraps(original)
            def build(self, *args, **kw):
                original(self, *args, **kw)
                self.built = True
                shape = args[0] if args else kw.get("input_shape")
                if self.input_shape is None and isinstance(shape, (tuple, list)) and \
                        all(d is None or isinstance(d, (int, np.integer)) for d in shape):
                    self.input_shape = (None,) + tuple(shape[1:])

            cls.build = build

    def __init__(self, name=None, dtype="float32", trainable=True):
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}: dtype must be a float type such as 'float32' or "
                            f"'float64', got {dtype!r}")
        self.name = name or _unique_name(type(self).__name__)
        self.trainable = trainable
        self.params = {}
        self.grads = {}
        self._non_trainable = set()
        self.built = False
        self.input_shape = None
        self._cache = None
        # False when nothing upstream needs dL/dx (first layer in fit): backward may skip that product
        self.input_gradient = True

    # -- building ---------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def add_weight(self, name, shape, initializer="zeros", trainable=True, rng=None):
        init = initializers.get(initializer)
        self.params[name] = np.asarray(init(tuple(shape), dtype=self.dtype, rng=rng), dtype=self.dtype)
        if not trainable:
            self._non_trainable.add(name)
        return self.params[name]

    def _cast(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{self.name}: expected a numeric array, got dtype {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def __call__(self, x, training=False):
        x = self._cast(x)
        if not self.built:
            self.input_shape = (None,) + tuple(x.shape[1:])
            self.build(x.shape)
            self.built = True
        return self.forward(x, training=training)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def _get_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward() called before forward(); call the layer on a "
                               f"batch with training=True first")
        return self._cache

    # -- weights ----------------------------------------------------------------------------------
    @property
    def weights(self):
        return list(self.params.values())

    @property
    def trainable_names(self):
        if not self.trainable:
            return []
        return [k for k in self.params if k not in self._non_trainable]

    def parameters(self):
        """``[(grad, param), ...]`` pairs for an optimizer's ``apply_gradients``."""
        return [(self.grads[k], self.params[k]) for k in self.trainable_names if k in self.grads]

    def get_weights(self):
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights):
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(f"{self.name}: expected {len(self.params)} arrays "
                             f"({', '.join(self.params) or 'layer not built yet'}), got {len(weights)}")
        for (k, p), w in zip(self.params.items(), weights):
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

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
