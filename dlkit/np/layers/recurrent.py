"""Recurrent layers: the shared RNN machinery and ``SimpleRNN`` (Keras names, defaults, weight layout).

Every recurrent layer takes inputs of shape (batch, timesteps, features) and is called as
``layer(x, training=False, initial_state=None)``. It returns the last hidden state (batch, units), or
all of them (batch, timesteps, units) with ``return_sequences=True``; with ``return_state=True`` it
returns a list ``[output, *final_states]`` (``[out, h]`` for SimpleRNN and GRU, ``[out, h, c]`` for LSTM).

``backward(dy)`` takes the gradient of the main output, or a list ``[d_output, d_state, ...]`` matching
the ``return_state`` outputs (``None`` entries mean zero), returns dx and fills ``grads``. After
``backward`` two extra attributes are available:

* ``state_grad_norms`` (timesteps,): the norm of the total gradient dL/dh_t reaching the hidden state at
  every step (Frobenius norm over batch and units) -- plot it to see vanishing/exploding gradients;
* ``initial_state_grads``: list of gradients w.r.t. the initial states (zeros-initialised by default).

Masks (Keras semantics): ``layer(x, mask=m)`` with ``m`` boolean (batch, timesteps), True at real steps
(``Embedding(mask_zero=True)`` supplies it inside ``Sequential``/``Model``). At a masked step the
states are carried over unchanged and the output is the previous output (zeros before the first real
step; zeros at every masked step with ``zero_output_for_mask=True``); any mask works, post-padded or
not (see :mod:`dlkit.np.layers._masking`). A padded row gives exactly the outputs, final states and
gradients of the unpadded row. ``compute_mask`` returns the mask with ``return_sequences``, else None.
With a mask, ``state_grad_norms`` is indexed by real step (packed time), not by input time.
``go_backwards=True`` processes the sequence (and mask) in reverse and returns the reversed sequence.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional.rnn import rnn_backward, rnn_forward, RNN_ACTIVATIONS
from dlkit.np.layers._masking import SequenceMask, check_mask

__all__ = ["RNNBase", "SimpleRNN"]


class RNNBase(Layer):
    """Base class of SimpleRNN, LSTM and GRU; subclasses define ``build``, ``_seq_forward`` and
    ``_seq_backward`` and the number of states ``_n_states`` (state 0 is the hidden state h, which is
    also the output).

    Input (batch, timesteps, features) -> output (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    _n_states = 1
    supports_masking = True

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", name=None,
                 dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        if int(units) != units or units < 1:
            raise ValueError(f"{type(self).__name__}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.state_grad_norms = None
        self.initial_state_grads = None

    def _where(self):
        return f"{type(self).__name__} '{self.name}'"

    def check_input(self, x):
        if x.ndim != 3:
            raise ValueError(f"{self._where()}: expected input of shape (batch, timesteps, features), "
                             f"got an array of rank {x.ndim} with shape {x.shape}")
        if x.shape[1] < 1:
            raise ValueError(f"{self._where()}: the input needs at least one time step, got {x.shape}")
        if self.built and x.shape[2] != self.input_shape[-1]:
            raise ValueError(f"{self._where()}: expected input of shape (batch, timesteps, "
                             f"{self.input_shape[-1]}), got {x.shape}")

    def _initial_states(self, x, initial_state):
        n = x.shape[0]
        if initial_state is None:
            return [np.zeros((n, self.units), self.dtype) for _ in range(self._n_states)]
        states = [initial_state] if isinstance(initial_state, np.ndarray) else list(initial_state)
        if len(states) != self._n_states:
            raise ValueError(f"{self._where()}: expected {self._n_states} initial state(s), "
                             f"got {len(states)}")
        states = [self._cast(s) for s in states]
        for s in states:
            if s.shape != (n, self.units):
                raise ValueError(f"{self._where()}: initial state must have shape (batch, units) = "
                                 f"{(n, self.units)}, got {s.shape}")
        return states

    def call(self, x, training=False, initial_state=None, mask=None):
        states = self._initial_states(x, initial_state)
        mask = check_mask(self, mask, x)
        if self.go_backwards:
            x = x[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        plan = None if mask is None or mask.all() else SequenceMask(mask)
        hs, finals, cache = self._seq_forward(x if plan is None else plan.pack(x), states)
        if plan is not None:
            finals = [plan.last(hs, states[0])] + self._masked_finals(cache, plan, states)
            hs = plan.unpack(hs, self.zero_output_for_mask)
        self._cache = (cache, plan)
        self._shape = hs.shape
        out = np.ascontiguousarray(hs) if self.return_sequences else hs[:, -1].copy()
        if self.return_state:
            return [out] + [s.copy() for s in finals]
        return out

    def _masked_finals(self, cache, plan, states):
        """The final states after state 0 (h) for a masked call: LSTM returns [c]."""
        return []

    def backward(self, dy):
        cache, plan = self._get_cache()
        if isinstance(dy, (list, tuple)):
            if not self.return_state or len(dy) != 1 + self._n_states:
                raise ValueError(f"{self._where()}: backward got a list of {len(dy)} gradients; expected "
                                 f"1 + {self._n_states} with return_state=True, else one array")
            dy, dstates = dy[0], list(dy[1:])
        else:
            dstates = [None] * self._n_states
        N, T, U = self._shape
        dhs = np.zeros((N, T, U), self.dtype)
        if dy is not None:
            dy = np.asarray(dy, dtype=self.dtype)
            expect = (N, T, U) if self.return_sequences else (N, U)
            if dy.shape != expect:
                raise ValueError(f"{self._where()}: backward expected a gradient of shape {expect}, "
                                 f"got {dy.shape}")
            if self.return_sequences:
                dhs[...] = dy
            else:
                dhs[:, -1] = dy
        dstates = [None if d is None else np.asarray(d, self.dtype).reshape(N, U) for d in dstates]
        direct = None
        if plan is not None:
            # a carried output / final state passes its gradient straight to the step that made it
            dhs = plan.unpack_backward(dhs, self.zero_output_for_mask)
            direct = plan.last_backward(dhs, dstates[0])
            dstates[0] = None
        dx, dinit, grads = self._seq_backward(dhs, dstates, cache, None if plan is None else plan.lengths)
        if plan is not None:
            dx = plan.pack_backward(dx)
            if direct is not None:            # fully masked rows: dL/dh_final is dL/dh0
                dinit[0] = dinit[0] + direct
        self.grads = grads
        self.state_grad_norms = cache["dh_norms"]
        self.initial_state_grads = dinit
        return dx[:, ::-1] if self.go_backwards else dx

    def compute_mask(self, inputs, mask=None):
        """The input mask with ``return_sequences`` (the time axis survives), else None."""
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        return (n, t, self.units) if self.return_sequences else (n, self.units)


class SimpleRNN(RNNBase):
    """Fully-connected RNN, ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Weights (Keras order): ``kernel (features, units)``, ``recurrent_kernel (units, units)``,
    ``bias (units,)``. ``activation`` is one of "tanh" (default), "relu", "sigmoid", "linear".
    Input (batch, timesteps, features) -> output (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False, **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        if activation is None:
            activation = "linear"
        if activation not in RNN_ACTIVATIONS:
            raise ValueError(f"SimpleRNN: unsupported activation {activation!r}; expected one of "
                             f"{sorted(RNN_ACTIVATIONS)}")
        self.activation = activation

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.add_weight("kernel", (d, u), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (u, u), self.recurrent_initializer)
        self.add_weight("bias", (u,), self.bias_initializer)

    def _seq_forward(self, x, states):
        p = self.params
        hs, cache = rnn_forward(x, states[0], p["kernel"], p["recurrent_kernel"], p["bias"],
                                self.activation)
        return hs, [hs[:, -1]], cache

    def _seq_backward(self, dhs, dstates, cache, lengths=None):
        if dstates[0] is not None:
            dhs[:, -1] += dstates[0]
        dx, dh0, dWx, dWh, db = rnn_backward(dhs, cache)
        return dx, [dh0], {"kernel": dWx, "recurrent_kernel": dWh, "bias": db}
