"""GRU layer (Keras layout: gate order z, r, h; ``reset_after=True`` by default), full BPTT backward.

See :mod:`dlkit.np.layers.recurrent` for the call/backward protocol (``return_state`` -> ``[out, h]``,
``initial_state``, ``state_grad_norms``) and :mod:`dlkit.np.functional.lstm_gru` for the equations.
"""
from dlkit.np.functional.lstm_gru import gru_backward, gru_forward
from dlkit.np.layers.recurrent import RNNBase

__all__ = ["GRU"]


class GRU(RNNBase):
    """Gated recurrent unit.

    Weights (Keras order): ``kernel (features, 3 units)``, ``recurrent_kernel (units, 3 units)``,
    ``bias``: shape (2, 3 units) = [input bias, recurrent bias] with ``reset_after=True`` (Keras
    default, the cuDNN convention), (3 units,) with ``reset_after=False``.
    Input (batch, timesteps, features) -> output (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    def __init__(self, units, return_sequences=False, return_state=False, reset_after=True, **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.add_weight("kernel", (d, 3 * u), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (u, 3 * u), self.recurrent_initializer)
        self.add_weight("bias", (2, 3 * u) if self.reset_after else (3 * u,), self.bias_initializer)

    def _seq_forward(self, x, states):
        p = self.params
        hs, cache = gru_forward(x, states[0], p["kernel"], p["recurrent_kernel"], p["bias"],
                                reset_after=self.reset_after)
        return hs, [hs[:, -1]], cache

    def _seq_backward(self, dhs, dstates, cache, lengths=None):
        dx, dh0, dWx, dWh, db = gru_backward(dhs, cache, dh_T=dstates[0])
        return dx, [dh0], {"kernel": dWx, "recurrent_kernel": dWh, "bias": db}
