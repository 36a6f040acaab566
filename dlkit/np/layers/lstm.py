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

    def _masked_finals(self, cache, plan, states):
        # C[k] is the cell state after k (packed) steps, C[0] = c0
        return [cache["C"][plan.lengths, plan.rows]]

    def _seq_backward(self, dhs, dstates, cache, lengths=None):
        dh_T, dc_T = dstates
        T = dhs.shape[1]
        if dc_T is not None and lengths is not None and np.any(lengths < T):
            return self._ragged_backward(dhs, dh_T, dc_T, cache, lengths)
        dx, dh0, dc0, dWx, dWh, db = lstm_backward(dhs, cache, dh_T=dh_T, dc_T=dc_T)
        return dx, [dh0, dc0], {"kernel": dWx, "recurrent_kernel": dWh, "bias": db}

    def _ragged_backward(self, dhs, dh_T, dc_T, cache, lengths):
        """Masked call with a gradient for the final cell state: dL/dc enters each row at its own last
        real step, so rows of equal length are backpropagated together on their slice of the cache."""
        assert dh_T is None   # RNNBase already added dL/dh_final to dhs
        N, T, _ = dhs.shape
        dx = np.zeros((N, T, cache["xt"].shape[2]), dhs.dtype)
        dh0, dc0 = np.zeros_like(dc_T), np.where((lengths == 0)[:, None], dc_T, 0)
        grads = {k: np.zeros_like(self.params[k]) for k in ("kernel", "recurrent_kernel", "bias")}
        norms2 = np.zeros(T)
        for L in np.unique(lengths[lengths > 0]):
            rows = np.flatnonzero(lengths == L)
            sub = {k: cache[k][:L + (k in ("H", "C")), rows] for k in ("xt", "G", "H", "C", "TC")}
            sub.update(Wx=cache["Wx"], Wh=cache["Wh"])
            dxr, dh0[rows], dc0[rows], dWx, dWh, db = lstm_backward(dhs[rows, :L], sub, dc_T=dc_T[rows])
            dx[rows, :L] = dxr
            for k, g in zip(grads, (dWx, dWh, db)):
                grads[k] += g
            norms2[:L] += sub["dh_norms"] ** 2
        cache["dh_norms"] = np.sqrt(norms2)
        return dx, [dh0, dc0], grads
