"""LSTM layer (Keras layout: gate order i, f, c, o; fused kernels), with full BPTT backward.

See :mod:`dlkit.np.layers.recurrent` for the call/backward protocol (``return_sequences``,
``return_state`` -> ``[out, h, c]``, ``initial_state=[h0, c0]``, ``state_grad_norms``) and
:mod:`dlkit.np.functional.lstm_gru` for the equations.
"""
import numpy as np

from dlkit.np import initializers
from dlkit.np.functional.lstm_gru import lstm_backward, lstm_forward
from dlkit.np.layers.recurrent import RNNBase

__all__ = ["LSTM"]


class LSTM(RNNBase):
    """Long short-term memory layer.

    Weights (Keras order): ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)``,
    ``bias (4 units,)``, columns in gate order input, forget, cell candidate, output. With
    ``unit_forget_bias=True`` (default) the forget-gate bias starts at 1, the others at 0.
    """

    _n_states = 2

    def __init__(self, units, return_sequences=False, return_state=False, unit_forget_bias=True,
                 **kwargs):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.add_weight("kernel", (d, 4 * u), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (u, 4 * u), self.recurrent_initializer)
        if self.unit_forget_bias:
            base = initializers.get(self.bias_initializer)

            def bias_init(shape, dtype="float32", rng=None):
                b = np.asarray(base((4 * u,), dtype=dtype, rng=rng), dtype=dtype)
                b[u:2 * u] = 1.0
                return b
            self.add_weight("bias", (4 * u,), bias_init)
        else:
            self.add_weight("bias", (4 * u,), self.bias_initializer)

    def _seq_forward(self, x, states):
        p = self.params
        hs, c, cache = lstm_forward(x, states[0], states[1], p["kernel"], p["recurrent_kernel"],
                                    p["bias"])
        return hs, [hs[:, -1], c], cache

    def _seq_backward(self, dhs, dstates, cache):
        dh_T, dc_T = dstates
        dx, dh0, dc0, dWx, dWh, db = lstm_backward(dhs, cache, dh_T=dh_T, dc_T=dc_T)
        return dx, [dh0, dc0], {"kernel": dWx, "recurrent_kernel": dWh, "bias": db}
