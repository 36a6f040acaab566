"""TensorFlow mirror of dlkit.np.layers.lstm (Keras gate order i, f, c, o; fused kernels)."""
import keras
import tensorflow as tf

from dlkit.tf.layers.recurrent import RNNBase

__all__ = ["LSTM"]


class LSTM(RNNBase):
    """LSTM with weights ``kernel (d, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``;
    ``return_state=True`` returns ``[out, h, c]``, ``initial_state=[h0, c0]``."""

    _n_states = 2

    def __init__(self, units, return_sequences=False, return_state=False, unit_forget_bias=True,
                 **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.kernel = self.add_weight(name="kernel", shape=(d, 4 * u), initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(u, 4 * u),
                                                initializer=self.recurrent_initializer)
        init = keras.initializers.get(self.bias_initializer)
        if self.unit_forget_bias:
            base = init

            def init(shape, dtype=None):
                return tf.concat([base((u,), dtype=dtype), tf.ones((u,), dtype=dtype),
                                  base((2 * u,), dtype=dtype)], axis=0)
        self.bias = self.add_weight(name="bias", shape=(4 * u,), initializer=init)

    def _step(self, a_t, states):
        h, c = states
        z = a_t + tf.matmul(h, self.recurrent_kernel)
        zi, zf, zg, zo = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(zf) * c + tf.sigmoid(zi) * tf.tanh(zg)
        return tf.sigmoid(zo) * tf.tanh(c), c
