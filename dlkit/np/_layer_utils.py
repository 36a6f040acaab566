"""Bookkeeping behind :class:`dlkit.np.base.Layer`: Keras-style names, the build/__init__ wrappers that
mark a layer built and record its constructor arguments, and ``get_config`` from those arguments."""
import collections
import functools
import inspect
import re

import numpy as np

name_counts = collections.Counter()


def unique_name(cls_name):
    """Keras-style default names: dense, dense_1, ...; Conv2D -> conv2d, SimpleRNN -> simple_rnn."""
    base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls_name)
    base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
    n = name_counts[base]
    name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def shapes(x):
    """The shape of an array, or a list of shapes for a list of arrays."""
    if isinstance(x, (list, tuple)):
        return [shapes(v) for v in x]
    return tuple(x.shape)


def batchless(shape):
    if isinstance(shape, list):
        return [batchless(s) for s in shape]
    return (None,) + tuple(shape[1:])


def wrap_build(original):
    @functools.wraps(original)
    def build(self, *args, **kw):
        # As Keras does: a layer whose build() ran, also when called by hand, counts as built.
        original(self, *args, **kw)
        object.__setattr__(self, "built", True)
        shape = args[0] if args else kw.get("input_shape")
        if self.input_shape is None and isinstance(shape, (tuple, list)) and \
                all(d is None or isinstance(d, (int, np.integer)) for d in shape):
            self.input_shape = (None,) + tuple(shape[1:])
    return build


def wrap_init(original):
    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        outer = not self.__dict__.get("_initializing", False)
        object.__setattr__(self, "_initializing", True)
        try:
            original(self, *args, **kwargs)
        finally:
            if outer:
                # the arguments the user passed, for get_config(); recorded by the outermost __init__
                object.__setattr__(self, "_initializing", False)
                object.__setattr__(self, "_init_call", (type(self), args, dict(kwargs)))
    return __init__


def explicit_argument(layer, arg):
    """True if ``arg`` was passed to the layer's constructor (recorded by wrap_init)."""
    call = layer.__dict__.get("_init_call")
    if call is None:
        return False
    cls, args, kwargs = call
    try:
        bound = inspect.signature(cls.__init__).bind(layer, *args, **kwargs).arguments
    except TypeError:
        return False
    extra = next((v for k, v in bound.items() if isinstance(v, dict) and
                  inspect.signature(cls.__init__).parameters[k].kind is inspect.Parameter.VAR_KEYWORD), {})
    return arg in bound or arg in extra


def init_config(layer):
    """The constructor arguments the layer was created with (plus name and dtype), as a dict."""
    cls, args, kwargs = layer.__dict__.get("_init_call", (type(layer), (), {}))
    sig = inspect.signature(cls.__init__)
    config = {}
    for k, v in sig.bind(layer, *args, **kwargs).arguments.items():
        if k == "self":
            continue
        if sig.parameters[k].kind is inspect.Parameter.VAR_KEYWORD:
            config.update(v)
        else:
            config[k] = v
    if "name" in sig.parameters or "kwargs" in sig.parameters:
        config["name"] = layer.name
    if "dtype" in sig.parameters or "kwargs" in sig.parameters:
        config["dtype"] = layer.dtype.name
    return config
