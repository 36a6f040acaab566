"""``Bidirectional``: run a recurrent layer forwards and a copy of it backwards, and merge (Keras 3).

``Bidirectional(LSTM(8, return_sequences=True))`` holds two fresh layers built from the wrapped layer's
config (its weights are not reused, as in Keras): ``forward_lstm`` and ``backward_lstm``, the latter with
``go_backwards=True``. Input (batch, timesteps, features) -> per direction (batch, units) or, with
``return_sequences``, (batch, timesteps, units), the backward outputs flipped back to input time so
that step t of both directions lines up. Merged by ``merge_mode``: "concat" (default, last axis
2 * units), "sum", "mul", "ave", or None (a list ``[forward, backward]``).

Weights (Keras order and names): ``forward_<name>/kernel, ...`` then ``backward_<name>/kernel, ...``.
With ``mask=`` (batch, timesteps) both directions skip masked steps; the backward direction reads each
row's real steps last to first (padding never enters its state). As in Keras, with ``return_sequences``
the outputs at masked steps are zeros (``zero_output_for_mask`` is forced on).
``return_state=True`` returns ``[output, *forward_states, *backward_states]``; ``initial_state`` takes
the forward states then the backward states.
"""
import numpy as np

from dlkit.np.base import Layer

__all__ = ["Bidirectional"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name, **overrides):
    """A fresh layer with ``layer``'s constructor arguments (new weights), renamed."""
    config = layer.get_config()
    if not layer._explicit("dtype"):
        config.pop("dtype", None)   # then it takes the wrapper's dtype
    config.update(name=name, **overrides)
    return type(layer).from_config(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Bidirectional wrapper for ``SimpleRNN``, ``LSTM`` and ``GRU`` (see the module docstring).

    Input (batch, timesteps, features) -> output (batch, 2 * units) with merge_mode='concat' (per step with return_sequences).
    """

    supports_masking = True
    _not_tracked = frozenset({"forward_layer", "backward_layer"})

    def __init__(self, layer, merge_mode="concat", backward_layer=None, name=None, dtype=None,
                 trainable=True):
        for arg, v in (("layer", layer), ("backward_layer", backward_layer)):
            if v is not None and not (isinstance(v, Layer) and hasattr(v, "go_backwards")):
                raise TypeError(f"Bidirectional: {arg} must be a dlkit.np recurrent layer (SimpleRNN, LSTM, "
                                f"GRU), got {v!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        super().__init__(name=name, dtype=layer.dtype if dtype is None else dtype, trainable=trainable)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy(layer, "backward_" + _strip(layer.name, "backward_"), go_backwards=True)
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError(f"Bidirectional: the forward and backward layers must have different "
                             f"go_backwards, got {self.forward_layer.go_backwards} for both")
        for a in ("return_sequences", "return_state"):
            if getattr(self.forward_layer, a) != getattr(backward_layer, a):
                raise ValueError(f"Bidirectional: the forward and backward layers must have the same {a}, "
                                 f"got {getattr(self.forward_layer, a)} and {getattr(backward_layer, a)}")
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        for sub in (self.forward_layer, backward_layer):
            sub.zero_output_for_mask = self.return_sequences    # as Keras: masked steps output zeros
            self._adopt(sub)
        # tracked under their own names, so weights read "forward_lstm/kernel" as in Keras
        self.__dict__["_sublayers"] = {self.forward_layer.name: self.forward_layer,
                                       backward_layer.name: backward_layer}

    def call(self, x, training=False, initial_state=None, mask=None):
        fs = bs = None
        if initial_state is not None:
            states = list(initial_state)
            if len(states) % 2:
                raise ValueError(f"Bidirectional '{self.name}': initial_state must list the forward states "
                                 f"then the backward states (an even number), got {len(states)}")
            fs, bs = states[:len(states) // 2], states[len(states) // 2:]
        y = self.forward_layer(x, training=training, initial_state=fs, mask=mask)
        y_rev = self.backward_layer(x, training=training, initial_state=bs, mask=mask)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]                 # back to input time
        self._cache = (y, y_rev)
        if self.merge_mode == "concat":
            out = np.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, np.ascontiguousarray(y_rev)]
        if self.merge_mode is None:
            return out + states if self.return_state else out
        return [out] + states if self.return_state else out

    def _split(self, dout, y, y_rev):
        """dL/dmerged -> (dL/dy_forward, dL/dy_backward)."""
        if self.merge_mode is None:
            return dout
        if dout is None:
            return None, None
        dout = np.asarray(dout, dtype=self.dtype)
        if dout.shape[:-1] != y.shape[:-1] or dout.shape[-1] != y.shape[-1] * (
                2 if self.merge_mode == "concat" else 1):
            raise ValueError(f"Bidirectional '{self.name}': backward got a gradient of shape {dout.shape}, "
                             f"which does not match the output")
        if self.merge_mode == "concat":
            u = y.shape[-1]
            return dout[..., :u], dout[..., u:]
        if self.merge_mode == "sum":
            return dout, dout
        if self.merge_mode == "ave":
            return dout / 2, dout / 2
        # mul: d(y * y_rev)/dy = y_rev, d/dy_rev = y
        return dout * y_rev, dout * y

    def backward(self, dy):
        y, y_rev = self._get_cache()
        n_out = 2 if self.merge_mode is None else 1
        dy = list(dy) if isinstance(dy, (list, tuple)) else [dy]
        n_states = len(dy) - n_out
        if (self.return_state and n_states % 2) or (not self.return_state and n_states):
            raise ValueError(f"Bidirectional '{self.name}': backward got {len(dy)} gradient(s), expected "
                             f"one per output")
        dy_f, dy_b = self._split(dy[0] if n_out == 1 else dy[:2], y, y_rev)
        if self.return_sequences and dy_b is not None:
            dy_b = np.asarray(dy_b)[:, ::-1]
        if self.return_state:
            ds = dy[n_out:]
            dy_f, dy_b = [dy_f] + ds[:n_states // 2], [dy_b] + ds[n_states // 2:]
        dx = self.forward_layer.backward(dy_f) + self.backward_layer.backward(dy_b)
        self.initial_state_grads = self.forward_layer.initial_state_grads + \
            self.backward_layer.initial_state_grads
        return dx

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(shape[:-1]) + (2 * shape[-1],)
        return [tuple(shape), tuple(shape)] if self.merge_mode is None else tuple(shape)
