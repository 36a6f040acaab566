"""TensorFlow mirror of dlkit.np.layers.wrappers: TimeDistributed is Keras' own layer.

Same argument and weight order as dlkit.np: ``tf_td.set_weights(np_td.get_weights())`` works.
"""
import keras

__all__ = ["TimeDistributed"]


class TimeDistributed(keras.layers.TimeDistributed):
    """``keras.layers.TimeDistributed(layer)``: input (batch, T, ...) -> (batch, T, ...inner output)."""

    def __init__(self, layer, dtype=None, name=None, **kwargs):
        super().__init__(layer, dtype=dtype if dtype is not None else layer.dtype_policy, name=name, **kwargs)
