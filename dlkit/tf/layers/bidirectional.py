"""TensorFlow mirror of dlkit.np.layers.bidirectional: a forward copy and a ``go_backwards`` copy of a
dlkit.tf recurrent layer, merged as Keras' ``Bidirectional`` does (weights ``forward_<name>/...`` then
``backward_<name>/...``; with a mask and ``return_sequences`` the masked steps output zeros)."""
import keras
import tensorflow as tf

__all__ = ["Bidirectional"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name, **overrides):
    config = {**layer.get_config(), "name": name, **overrides}
    return type(layer).from_config(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(keras.layers.Layer):
    """``Bidirectional(layer, merge_mode="concat", backward_layer=None)``; call
    ``(x, initial_state=None, mask=None)``. The wrapper's dtype defaults to the wrapped layer's."""

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        kwargs.setdefault("dtype", layer.dtype_policy)
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        self.backward_layer = backward_layer if backward_layer is not None else \
            _copy(layer, "backward_" + _strip(layer.name, "backward_"), go_backwards=True)
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers must have different go_backwards")
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = self.return_sequences

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    def call(self, x, initial_state=None, mask=None):
        fs = bs = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fs, bs = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(x, initial_state=fs, mask=mask)
        y_rev = self.backward_layer(x, initial_state=bs, mask=mask)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, axis=[1])
        if self.merge_mode is None:
            return [y, y_rev] + states
        out = {"concat": lambda: tf.concat([y, y_rev], axis=-1), "sum": lambda: y + y_rev,
               "ave": lambda: (y + y_rev) / 2, "mul": lambda: y * y_rev}[self.merge_mode]()
        return [out] + states if self.return_state else out

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:]) * 2
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (2 * shape[-1],)
        outs = [tuple(shape), tuple(shape)] if self.merge_mode is None else [tuple(shape)]
        return outs + states if (self.return_state or self.merge_mode is None) else outs[0]
