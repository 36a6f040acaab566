"""Model <-> JSON config for :mod:`dlkit.np.saving` (the format is described there).

``model_config(model)`` / ``model_from_config(config, custom_objects)`` for Sequential and functional
models (nested models included); ``compile_config`` / ``compile_from_config`` for the optimizer, loss and
metrics; ``optimizer_state`` for the optimizer's per-weight arrays.
"""
import inspect

import numpy as np

from dlkit.np import activations, graph, initializers, regularizers

_PLAIN = (type(None), bool, int, float, str)


# -- values ---------------------------------------------------------------------------------------------
def to_json(value, where):
    """A JSON-able form of a config value; TypeError naming ``where`` if there is none."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v, where) for v in value]}
    if isinstance(value, list):
        return [to_json(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: to_json(v, where) for k, v in value.items()}
    if isinstance(value, activations.ActivationFunction) and value.name in activations._TABLE:
        if value.kwargs:
            return {"__activation__": value.name, "kwargs": to_json(value.kwargs, where)}
        return value.name
    if callable(value) and not isinstance(value, type):
        for name, (fn, _, _) in activations._TABLE.items():
            if value is fn:
                return name
        name = getattr(value, "__name__", None)
        if name and initializers._ALL.get(name) is value:
            return name
    if isinstance(value, regularizers.L1L2):
        keys = {"L1": ("l1",), "L2": ("l2",)}.get(type(value).__name__, ("l1", "l2"))
        return {"__regularizer__": type(value).__name__, "config": {k: getattr(value, k) for k in keys}}
    from dlkit.np import schedules
    if isinstance(value, schedules.LearningRateSchedule):
        cfg = object_config(value)
        if cfg is not None:
            return {"__schedule__": cfg["class_name"], "config": cfg["config"]}
    raise TypeError(f"{where}: {value!r} ({type(value).__name__}) cannot be saved in JSON; pass a name "
                    f"(e.g. activation='relu', kernel_initializer='he_normal'), a number or a string, or a "
                    f"dlkit.np object with a name (activations.get, regularizers.L2)")


def from_json(value):
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(from_json(v) for v in value["__tuple__"])
    if "__activation__" in value:
        fn, grad, vjp = activations._TABLE[value["__activation__"]]
        return activations.ActivationFunction(value["__activation__"], fn, grad, vjp, **value["kwargs"])
    if "__regularizer__" in value:
        return getattr(regularizers, value["__regularizer__"])(**value["config"])
    if "__schedule__" in value:
        from dlkit.np import schedules
        return getattr(schedules, value["__schedule__"])(**from_json(value["config"]))
    return {k: from_json(v) for k, v in value.items()}


def object_config(obj):
    """``{"class_name", "config"}`` of an optimizer, loss, metric or schedule from its constructor
    arguments stored as same-named attributes; None if some value is not plain JSON."""
    config = {}
    for klass in type(obj).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for p in list(inspect.signature(init).parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in config:
                continue
            attr = "_learning_rate" if p.name == "learning_rate" and hasattr(obj, "_learning_rate") else p.name
            if hasattr(obj, attr):
                try:
                    config[p.name] = to_json(getattr(obj, attr), type(obj).__name__)
                except TypeError:
                    return None
    return {"class_name": type(obj).__name__, "config": config}


# -- models ---------------------------------------------------------------------------------------------
def _is_model(layer):
    from dlkit.np.model import Model
    return isinstance(layer, Model)


def layer_config(layer):
    if _is_model(layer):
        return model_config(layer)
    cfg = layer.get_config()
    out = {"class_name": type(layer).__name__,
           "config": {k: to_json(v, f"layer '{layer.name}' ({type(layer).__name__}), argument '{k}'")
                      for k, v in cfg.items()},
           "trainable": layer.trainable}
    from dlkit.np import layers as layers_module
    if getattr(layers_module, type(layer).__name__, None) is not type(layer):
        out["module"] = type(layer).__module__      # a user layer: load_model needs custom_objects
    return out


def _spec(t):
    return {"shape": list(t.shape), "dtype": t.dtype.name, "name": t.node.name}


def _encode_call(obj, where):
    if isinstance(obj, graph._Slot):
        return {"__tensor__": obj.i}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode_call(v, where) for v in obj]}
    if isinstance(obj, list):
        return [_encode_call(v, where) for v in obj]
    if isinstance(obj, dict):
        return {k: _encode_call(v, f"{where}, argument '{k}'") for k, v in obj.items()}
    return to_json(obj, where)


def _decode_call(obj, tensors):
    if isinstance(obj, list):
        return [_decode_call(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__tuple__" in obj:
            return tuple(_decode_call(v, tensors) for v in obj["__tuple__"])
        if set(obj) & {"__activation__", "__regularizer__", "__schedule__"}:
            return from_json(obj)
        return {k: _decode_call(v, tensors) for k, v in obj.items()}
    return obj


def model_config(model):
    from dlkit.np.sequential import Sequential
    base = {"name": model.name, "trainable": model.trainable}
    if isinstance(model, Sequential):
        spec = model._input_spec
        first = model._layers[0] if model._layers else None
        built = spec is None and first is not None and model.built and isinstance(first.input_shape, tuple)
        return dict(base, class_name="Sequential", layers=[layer_config(l) for l in model._layers],
                    input=None if spec is None else _spec(spec),
                    build_input_shape=list(first.input_shape) if built else None)
    if getattr(model, "_graph", None) is None:
        raise NotImplementedError(f"{type(model).__name__} '{model.name}' is a subclassed Model (its own call "
                                  f"and backward): its architecture is Python code; save its weights with "
                                  f"model.save_weights('model.weights.npz') and re-create it in code")
    index = {id(t.node): i for i, t in enumerate(model._inputs)}
    n_in, nodes = len(model._inputs), []
    for k, node in enumerate(model._graph):
        index[id(node)] = n_in + k
        where = f"layer '{node.layer.name}' call"
        nodes.append({"layer": node.layer.name,
                      "inputs": [[index[id(t.node)], t.index] for t in node.inputs],
                      "call": _encode_call(list(node.template), where), "training": node.training})
    return dict(base, class_name="Functional", layers=[layer_config(l) for l in model.layers],
                inputs=[_spec(t) for t in model._inputs], nodes=nodes,
                outputs=[[index[id(t.node)], t.index] for t in model._outputs],
                single_input=model._single_input, single_output=model._single_output)


def _layer_class(entry, custom_objects):
    name = entry["class_name"]
    cls = custom_objects.get(name)
    if cls is None and "module" not in entry:
        from dlkit.np import layers as layers_module
        cls = getattr(layers_module, name, None)
    if cls is None:
        where = f" (defined in module {entry['module']!r})" if entry.get("module") else ""
        raise TypeError(f"unknown layer class {name!r}{where}: it is not in dlkit.np.layers; pass it to "
                        f"load_model(..., custom_objects={{{name!r}: {name}}})")
    return cls


def layer_from_config(entry, custom_objects):
    if entry["class_name"] in ("Sequential", "Functional") and "layers" in entry:
        return model_from_config(entry, custom_objects)
    cls = _layer_class(entry, custom_objects)
    config = {k: from_json(v) for k, v in entry["config"].items()}
    layer = cls.from_config(config)
    layer.trainable = entry.get("trainable", True)
    return layer


def model_from_config(config, custom_objects):
    from dlkit.np.model import Model
    from dlkit.np.sequential import Sequential
    layers = [layer_from_config(e, custom_objects) for e in config["layers"]]
    if config["class_name"] == "Sequential":
        spec = config.get("input")
        if spec is not None:
            first = graph.Input(tuple(spec["shape"][1:]), dtype=spec["dtype"], name=spec["name"],
                                batch_size=spec["shape"][0])
            model = Sequential([first] + layers, name=config["name"])
        else:
            model = Sequential(layers, name=config["name"])
            if config.get("build_input_shape"):
                model.build(tuple(config["build_input_shape"]))
    else:
        by_name = {layer.name: layer for layer in layers}
        produced = []
        for spec in config["inputs"]:
            produced.append([graph.Input(tuple(spec["shape"][1:]), dtype=spec["dtype"], name=spec["name"],
                                         batch_size=spec["shape"][0])])
        for node in config["nodes"]:
            tensors = [produced[k][j] for k, j in node["inputs"]]
            inputs, args, kwargs = _decode_call(node["call"], tensors)
            out = by_name[node["layer"]](inputs, *args, **kwargs)
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            if node.get("training") is not None:
                outs[0].node.training = node["training"]
            produced.append(outs)
        ins = [produced[k][0] for k in range(len(config["inputs"]))]
        outs = [produced[k][j] for k, j in config["outputs"]]
        model = Model(ins[0] if config["single_input"] else ins,
                      outs[0] if config["single_output"] else outs, name=config["name"])
    if not config.get("trainable", True):      # setting True would unfreeze the frozen layers
        model.trainable = False
    return model


# -- compile settings and optimizer state ---------------------------------------------------------------
def compile_config(model):
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return None
    losses = getattr(model.loss, "losses", None)
    loss = [object_config(l) for l in losses] if losses is not None else object_config(model.loss)
    metrics = [m if isinstance(m, str) else object_config(m) for m in model._metric_ids]
    out = {"optimizer": object_config(model.optimizer), "loss": loss, "metrics": metrics}
    flat = [out["optimizer"]] + (loss if isinstance(loss, list) else [loss]) + metrics
    return out if all(v is not None for v in flat) else None


def _make(module, cfg):
    return getattr(module, cfg["class_name"])(**from_json(cfg["config"]))


def compile_from_config(model, config, state=None):
    from dlkit.np import losses, metrics, optimizers
    loss = config["loss"]
    loss = [_make(losses, l) for l in loss] if isinstance(loss, list) else _make(losses, loss)
    mets = [m if isinstance(m, str) else _make(metrics, m) for m in config.get("metrics") or []]
    model.compile(optimizer=_make(optimizers, config["optimizer"]), loss=loss, metrics=mets)
    if state:
        opt, params = model.optimizer, model.params
        opt.iterations = int(state.pop("__iterations__", 0))
        per = {}
        for key, arr in state.items():
            wkey, _, sname = key.rpartition("/")
            per.setdefault(wkey, {})[sname] = arr
        for wkey, st in per.items():
            p = params.get(wkey)
            if p is None or any(a.shape != p.shape for a in st.values()):
                raise ValueError(f"optimizer state for weight '{wkey}' does not match the model")
            st = {k: a.astype(p.dtype) for k, a in st.items()}
            st["_tmp"] = np.empty_like(p)
            opt._state[id(p)] = (p, st)


def optimizer_state(model):
    opt = getattr(model, "optimizer", None)
    if opt is None or not getattr(opt, "_state", None):
        return None
    params = model.params
    names = {id(p): k for k, p in params.items()}
    out = {"__iterations__": np.array(opt.iterations)}
    for pid, (p, st) in opt._state.items():
        if pid in names and p is params[names[pid]]:
            out.update((f"{names[pid]}/{s}", a) for s, a in st.items() if s != "_tmp")
    return out
