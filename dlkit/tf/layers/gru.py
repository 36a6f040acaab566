"""TensorFlow mirror of dlkit.np.layers.gru (Keras gate order z, r, h; reset_after=True default)."""
import tensorflow as tf

from dlkit.tf.layers.recurrent import RNNBase

__all__ = ["GRU"]


class GRU(RNNBase):
    """GRU with weights ``kernel (d, 3u)``, ``recurrent_kernel (u, 3u)`` and ``bias`` (2, 3u)
    [input bias, recurrent bias] if ``reset_after`` else (3u,)."""

    def __init__(self, units, return_sequences=False, return_state=False, reset_after=True, **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        self.reset_after = bool(reset_after)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.kernel = self.add_weight(name="kernel", shape=(d, 3 * u), initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(u, 3 * u),
                                                initializer=self.recurrent_initializer)
        self.bias = self.add_weight(name="bias", shape=(2, 3 * u) if self.reset_after else (3 * u,),
                                    initializer=self.bias_initializer)

    def _input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def _step(self, a_t, states):
        h, u = states[0], self.units
        x_z, x_r, x_h = tf.split(a_t, 3, axis=-1)
        if self.reset_after:
            inner = tf.matmul(h, self.recurrent_kernel) + self.bias[1]
            r_z, r_r, r_h = tf.split(inner, 3, axis=-1)
            z, r = tf.sigmoid(x_z + r_z), tf.sigmoid(x_r + r_r)
            hh = tf.tanh(x_h + r * r_h)
        else:
            inner = tf.matmul(h, self.recurrent_kernel[:, :2 * u])
            z = tf.sigmoid(x_z + inner[:, :u])
            r = tf.sigmoid(x_r + inner[:, u:])
            hh = tf.tanh(x_h + tf.matmul(r * h, self.recurrent_kernel[:, 2 * u:]))
        return (z * h + (1.0 - z) * hh,)
