"""Convert between dlkit.np models and Keras models, weights included: ``to_keras`` and ``from_keras``.

>>> kmodel = to_keras(model)          # dnp.Sequential -> keras.Sequential; functional -> keras functional
>>> model = from_keras(kmodel)         # and back: same predictions (float32: to ~1e-6)

Layers are matched by class name and ``get_config()``: dlkit.np layers use Keras names, arguments and
weight layouts by design, so ``klayer.set_weights(layer.get_weights())`` copies the weights. Layers with no
Keras twin (``TransformerEncoderBlock``, ``TokenAndPositionEmbedding``, ``PositionalEncoding``, user layers)
and Keras arguments dlkit.np does not implement (e.g. ``dilation_rate=2``) raise ``NotImplementedError``
naming the layer and argument. TensorFlow/Keras is imported only inside these two functions.
"""
import inspect

import numpy as np

from dlkit.np import activations, graph, initializers, regularizers

__all__ = ["to_keras", "from_keras"]

_NO_TWIN = {"TransformerEncoderBlock", "TransformerDecoderBlock", "TokenAndPositionEmbedding",
            "PositionalEncoding"}
# Keras config entries dlkit.np has no argument for: the values that mean "the behaviour dlkit implements"
_KERAS_DEFAULTS = {
    "data_format": ("channels_last",), "dilation_rate": (1, [1], [1, 1]), "groups": (1,), "keepdims": (False,),
    "go_backwards": (False,), "stateful": (False,), "unroll": (False,), "dropout": (0, 0.0),
    "recurrent_dropout": (0, 0.0), "use_bias": (True,), "recurrent_activation": ("sigmoid",),
    "activation": ("tanh",), "use_cudnn": ("auto", False, True), "synchronized": (False,), "sparse": (False,),
    "renorm": (False,), "rms_scaling": (False,), "mask_zero": (False,), "lora_enabled": (False,),
    "time_major": (False,), "zero_output_for_mask": (False,), "use_gate": (False,), "attention_axes": ([1],),
}
_ANY = {"lora_alpha", "renorm_momentum", "renorm_clipping", "seed", "input_length", "interpolation"}


def _params(cls, stop):
    """Constructor argument names of cls, following ``**kwargs`` up the class hierarchy to ``stop``."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        ps = list(inspect.signature(init).parameters.values())[1:]
        names |= {p.name for p in ps if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if klass is stop or not any(p.kind is p.VAR_KEYWORD for p in ps):
            break
    return names


def _plain(v):
    return [_plain(x) for x in v] if isinstance(v, (list, tuple)) else v


# -- dlkit.np -> Keras ----------------------------------------------------------------------------------
def _to_keras_value(keras, layer, k, v):
    if isinstance(v, activations.ActivationFunction):
        if v.kwargs:
            raise NotImplementedError(f"{type(layer).__name__} '{layer.name}': activation {v.name} with "
                                      f"{v.kwargs} has no Keras string name")
        return v.name
    if isinstance(v, regularizers.L1L2):
        return keras.regularizers.L1L2(l1=v.l1, l2=v.l2)
    if callable(v) and not isinstance(v, type):
        name = getattr(v, "__name__", "")
        if activations._TABLE.get(name, (None,))[0] is v or initializers._ALL.get(name) is v:
            return name
        raise NotImplementedError(f"{type(layer).__name__} '{layer.name}': argument {k}={v!r} cannot be "
                                  f"given to Keras; use a name")
    return v


def _keras_layer(keras, layer, sequential=False):
    from dlkit.np import layers as layers_module
    from dlkit.np.model import Model
    if isinstance(layer, Model):
        return to_keras(layer)
    kind = type(layer).__name__
    if kind in _NO_TWIN or getattr(layers_module, kind, None) is not type(layer) or \
            not hasattr(keras.layers, kind):
        raise NotImplementedError(f"layer '{layer.name}' ({kind}) has no Keras twin; to_keras supports "
                                  f"dlkit.np layers with a keras.layers class of the same name")
    if sequential and kind == "MultiHeadAttention":
        raise NotImplementedError(f"layer '{layer.name}' (MultiHeadAttention): keras MultiHeadAttention takes "
                                  f"query and value, so it cannot sit in a keras.Sequential; build a "
                                  f"functional dnp.Model (y = mha(x, x)) and convert that")
    kcls = getattr(keras.layers, kind)
    accepted = _params(kcls, keras.layers.Layer) | {"name", "dtype", "trainable"}
    defaults = {p.name: p.default for p in inspect.signature(type(layer).__init__).parameters.values()}
    kwargs = {}
    for k, v in layer.get_config().items():
        if k in accepted:
            kwargs[k] = _to_keras_value(keras, layer, k, v)
        elif v is not None and not (k in defaults and _plain(v) == _plain(defaults[k])):
            raise NotImplementedError(f"{kind} '{layer.name}': argument {k}={v!r} has no Keras equivalent")
    klayer = kcls(**kwargs)
    klayer.trainable = layer.trainable
    return klayer


def _copy_weights(src_layers, dst_layers, get, put):
    for s, d in zip(src_layers, dst_layers):
        ws = get(s)
        if ws:
            put(d, ws)


def _unique(name, used):
    out, k = name, 1
    while out in used:
        out, k = f"{name}_{k}", k + 1
    used.add(out)
    return out


def to_keras(model):
    """A ``keras.Model`` with the architecture and weights of the dlkit.np ``model`` (Sequential ->
    ``keras.Sequential``, functional ``Model`` -> keras functional model)."""
    import keras
    from dlkit.np.sequential import Sequential
    if isinstance(model, Sequential):
        spec = model._input_spec
        if spec is None and not model.built:
            raise ValueError(f"to_keras: Sequential '{model.name}' is not built; start it with dnp.Input(shape) "
                             f"or call it on a batch first")
        shape = spec.shape if spec is not None else model.layers[0].input_shape
        dtype = spec.dtype.name if spec is not None else "float32"
        klayers = [_keras_layer(keras, l, sequential=True) for l in model.layers]
        kmodel = keras.Sequential([keras.Input(tuple(shape[1:]), dtype=dtype)] + klayers, name=model.name)
        _copy_weights(model.layers, klayers, lambda l: l.get_weights(), lambda l, w: l.set_weights(w))
        return kmodel
    if getattr(model, "_graph", None) is None:
        raise NotImplementedError(f"to_keras: {type(model).__name__} '{model.name}' is a subclassed model; only "
                                  f"Sequential and functional dnp.Model can be converted")
    used, values, kmap = set(), {}, {}
    kins = []
    for t in model._inputs:
        kt = keras.Input(tuple(t.shape[1:]), dtype=t.dtype.name, name=_unique(t.node.name, used))
        values[id(t)] = kt
        kins.append(kt)
    for node in model._graph:
        layer = node.layer
        if id(layer) not in kmap:
            kmap[id(layer)] = _keras_layer(keras, layer)
        inputs, args, kwargs = graph.fill(node.template, [values[id(t)] for t in node.inputs])
        if type(layer).__name__ == "MultiHeadAttention" and not args and "value" not in kwargs:
            args = (inputs,)                                         # dlkit mha(x) is self-attention
        if node.training is not None:
            kwargs = dict(kwargs, training=node.training)
        out = kmap[id(layer)](inputs, *args, **kwargs)
        for t, v in zip(node.outputs, list(out) if node.multi_output else [out]):
            values[id(t)] = v
    kouts = [values[id(t)] for t in model._outputs]
    kmodel = keras.Model(kins[0] if model._single_input else kins,
                         kouts[0] if model._single_output else kouts, name=model.name)
    layers = model.layers
    _copy_weights(layers, [kmap[id(l)] for l in layers], lambda l: l.get_weights(),
                  lambda l, w: l.set_weights(w))
    return kmodel


# -- Keras -> dlkit.np ----------------------------------------------------------------------------------
def _snake(name):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _from_keras_value(kind, lname, k, v):
    if isinstance(v, dict) and "class_name" in v:
        cls, cfg = v["class_name"], v.get("config") or {}
        if k.endswith("initializer"):
            name = _snake(cls)
            return name if name in initializers._ALL else None        # weights are copied anyway
        if k.endswith("regularizer") and cls in ("L1L2", "L1", "L2"):
            return regularizers.L1L2(l1=cfg.get("l1", 0.0), l2=cfg.get("l2", 0.0))
        raise NotImplementedError(f"{kind} '{lname}': Keras argument {k}={cls} has no dlkit.np equivalent")
    return tuple(v) if isinstance(v, list) else v


def _dlkit_layer(klayer):
    import keras
    from dlkit.np import layers as layers_module
    from dlkit.np.base import Layer
    if isinstance(klayer, keras.Model):
        return from_keras(klayer)
    kind = type(klayer).__name__
    cls = getattr(layers_module, kind, None)
    if cls is None or kind in _NO_TWIN:
        raise NotImplementedError(f"Keras layer '{klayer.name}' ({kind}) has no dlkit.np twin")
    accepted = _params(cls, Layer)
    kwargs = {}
    for k, v in klayer.get_config().items():
        if k == "dtype":
            kwargs["dtype"] = klayer.dtype if isinstance(klayer.dtype, str) else klayer.dtype.name
        elif k in accepted:
            if k == "axis" and isinstance(v, (list, tuple)) and len(v) == 1:
                v = v[0]
            v = _from_keras_value(kind, klayer.name, k, v)
            if v is not None or not k.endswith("initializer"):
                kwargs[k] = v
        elif k == "trainable" or k in _ANY or v is None or \
                (k in _KERAS_DEFAULTS and _plain(v) in [_plain(d) for d in _KERAS_DEFAULTS[k]]):
            continue
        else:
            raise NotImplementedError(f"Keras layer '{klayer.name}' ({kind}): argument {k}={v!r} is not "
                                      f"supported by dlkit.np.layers.{kind}")
    layer = cls(**kwargs)
    layer.trainable = klayer.trainable
    return layer


def _history(v, tensors):
    if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
        name, node, index = v["config"]["keras_history"]
        return tensors[(name, node)][index]
    if isinstance(v, (list, tuple)):
        return type(v)(_history(x, tensors) for x in v)
    if isinstance(v, dict):
        return {k: _history(x, tensors) for k, x in v.items()}
    return v


def _refs(spec):
    return [spec] if spec and isinstance(spec[0], str) else list(spec)


def from_keras(keras_model):
    """A dlkit.np model (Sequential or functional ``Model``) with the Keras model's architecture and weights."""
    import keras
    from dlkit.np.model import Model
    from dlkit.np.sequential import Sequential
    if isinstance(keras_model, keras.Sequential):
        layers = [_dlkit_layer(l) for l in keras_model.layers]
        t = keras_model.inputs[0]
        model = Sequential([graph.Input(tuple(t.shape[1:]), dtype=t.dtype)] + layers, name=keras_model.name)
        _copy_weights(keras_model.layers, layers, lambda l: l.get_weights(), lambda l, w: l.set_weights(w))
        return model
    config = keras_model.get_config()
    if "input_layers" not in config:
        raise NotImplementedError(f"from_keras: '{keras_model.name}' is a subclassed Keras model; only "
                                  f"Sequential and functional models can be converted")
    tensors, pairs = {}, []
    for entry in config["layers"]:
        klayer = keras_model.get_layer(entry["name"])
        if entry["class_name"] == "InputLayer":
            t = klayer.output
            tensors[(klayer.name, 0)] = [graph.Input(tuple(t.shape[1:]), dtype=t.dtype, name=klayer.name)]
            continue
        layer = _dlkit_layer(klayer)
        pairs.append((klayer, layer))
        call = inspect.signature(type(layer).call).parameters
        for i, node in enumerate(entry["inbound_nodes"]):
            args = _history(node["args"], tensors)
            kwargs = {}
            for k, v in _history(node.get("kwargs", {}), tensors).items():
                if k in call:
                    kwargs[k] = v
                elif v not in (None, False):
                    raise NotImplementedError(f"Keras layer '{klayer.name}': call argument {k}={v!r} is not "
                                              f"supported by dlkit.np")
            out = layer(args[0], *args[1:], **kwargs)
            tensors[(klayer.name, i)] = list(out) if isinstance(out, (list, tuple)) else [out]
    ins = [tensors[(n, i)][j] for n, i, j in _refs(config["input_layers"])]
    outs = [tensors[(n, i)][j] for n, i, j in _refs(config["output_layers"])]
    single_in = not isinstance(keras_model.inputs, (list, tuple)) or len(_refs(config["input_layers"])) == 1 \
        and isinstance(config["input_layers"][0], str)
    single_out = len(_refs(config["output_layers"])) == 1 and isinstance(config["output_layers"][0], str)
    model = Model(ins[0] if single_in else ins, outs[0] if single_out else outs, name=keras_model.name)
    for klayer, layer in pairs:
        ws = klayer.get_weights()
        if ws:
            layer.set_weights([np.asarray(w) for w in ws])
    return model
