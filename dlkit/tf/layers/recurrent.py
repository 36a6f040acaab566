"""TensorFlow mirror of dlkit.np.layers.recurrent: shared RNN machinery and ``SimpleRNN``.

Same constructor arguments, weight names and order as dlkit.np (and stock Keras), so
``tf_layer.set_weights(np_layer.get_weights())`` works. The input projection of all steps is one
``tf.einsum``; the recurrence runs in ``tf.scan`` over the time-major sequence (works eagerly and under
``tf.function``, with a dynamic number of steps). Gradients come from ``tf.GradientTape``.
Call as ``layer(x, initial_state=None, mask=None)``; ``return_state=True`` returns ``[out, *final_states]``.
A mask (batch, timesteps), True at real steps, is blended in as Keras does: at a masked step the states
are carried over and the output is the previous one (zeros with ``zero_output_for_mask=True``).
``go_backwards=True`` processes the reversed sequence and returns the reversed outputs.
"""
import keras
import tensorflow as tf

__all__ = ["RNNBase", "SimpleRNN"]

_ACTIVATIONS = {"tanh": tf.math.tanh, "sigmoid": tf.math.sigmoid, "relu": tf.nn.relu,
                "linear": tf.identity}


class RNNBase(keras.layers.Layer):
    """Subclasses define ``build`` (weights in Keras order), ``_n_states``, ``_input_bias()`` and
    ``_step(a_t, states) -> new_states`` (first state = hidden state h)."""

    _n_states = 1

    stateful = False

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def _input_bias(self):
        return self.bias

    def call(self, inputs, initial_state=None, mask=None):
        x = tf.convert_to_tensor(inputs, dtype=self.compute_dtype)
        n = tf.shape(x)[0]
        if initial_state is None:
            states = tuple(tf.zeros((n, self.units), self.compute_dtype) for _ in range(self._n_states))
        else:
            if tf.is_tensor(initial_state) or not isinstance(initial_state, (list, tuple)):
                initial_state = [initial_state]
            if len(initial_state) != self._n_states:
                raise ValueError(f"{type(self).__name__} '{self.name}': expected {self._n_states} "
                                 f"initial state(s), got {len(initial_state)}")
            states = tuple(tf.convert_to_tensor(s, self.compute_dtype) for s in initial_state)
        a = tf.einsum("btd,dg->tbg", x, self.kernel) + self._input_bias()   # all steps, one GEMM
        if mask is None:
            a = a[::-1] if self.go_backwards else a
            seq = tf.scan(lambda s, a_t: tuple(self._step(a_t, s)), a, initializer=states)
            outs, finals = seq[0], [s[-1] for s in seq]
        else:
            m = tf.transpose(tf.cast(mask, tf.bool))[:, :, None]          # (T, N, 1)
            if self.go_backwards:
                a, m = a[::-1], m[::-1]
            zero = tf.zeros_like(states[0])

            def step(carry, inp):
                s, prev = carry[:-1], carry[-1]
                a_t, m_t = inp
                new = tuple(tf.where(m_t, v, old) for v, old in zip(self._step(a_t, s), s))
                return new + (tf.where(m_t, new[0], zero if self.zero_output_for_mask else prev),)
            seq = tf.scan(step, (a, m), initializer=states + (zero,))
            outs, finals = seq[-1], [s[-1] for s in seq[:-1]]
        out = tf.transpose(outs, [1, 0, 2]) if self.return_sequences else outs[-1]
        if self.return_state:
            return [out] + finals
        return out

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self):
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "zero_output_for_mask": self.zero_output_for_mask,
                "kernel_initializer": self.kernel_initializer,
                "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer}

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], input_shape[1], self.units) if self.return_sequences \
            else (input_shape[0], self.units)
        if self.return_state:
            return [out] + [(input_shape[0], self.units)] * self._n_states
        return out


class SimpleRNN(RNNBase):
    """``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        self.activation = activation or "linear"
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"SimpleRNN: unsupported activation {activation!r}; expected one of "
                             f"{sorted(_ACTIVATIONS)}")

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.kernel = self.add_weight(name="kernel", shape=(d, u), initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(u, u),
                                                initializer=self.recurrent_initializer)
        self.bias = self.add_weight(name="bias", shape=(u,), initializer=self.bias_initializer)

    def _step(self, a_t, states):
        return (_ACTIVATIONS[self.activation](a_t + tf.matmul(states[0], self.recurrent_kernel)),)
