"""Timestep masks for sequence layers (Keras semantics), shared by the RNNs, Bidirectional and pooling.

A mask is a boolean array (batch, timesteps), True at real steps (``Embedding(mask_zero=True)`` makes
it from ``ids != 0``). Keras RNNs treat a masked step as "skip": the state is carried over unchanged and
the output there is the previous output (zeros before the first real step, or at every masked step
with ``zero_output_for_mask=True``).

dlkit.np runs this with the ordinary sequence kernels, without a per-step blend: each row's real steps
are *packed* to the front (a stable gather; a no-op for post-padded rows), the kernel runs once over the
packed batch, and the outputs are *unpacked*: the output at time t is the packed output of the last real
step <= t. The padded tail of a packed row comes after all its real steps, so it cannot change them,
and it receives exactly zero gradient (backward sends no gradient into it), so the weight gradients
equal those of the unpadded rows. The final state of row b is the packed state after its
``lengths[b]`` real steps (the initial state when the row is fully masked).
"""
import numpy as np

__all__ = ["check_mask", "SequenceMask"]


def check_mask(layer, mask, x):
    """``mask`` as a boolean (batch, timesteps) array matching ``x`` (batch, timesteps, ...), or None."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype.kind not in "biuf":
        raise TypeError(f"{layer.name}: mask must be a boolean array (batch, timesteps), got dtype {m.dtype}")
    if m.shape != tuple(x.shape[:2]):
        raise ValueError(f"{layer.name}: mask must have shape (batch, timesteps) = {tuple(x.shape[:2])}, "
                         f"got {m.shape}")
    return m.astype(bool, copy=False)


class SequenceMask:
    """Pack / unpack helper for one (batch, timesteps) mask.

    ``pack(x)`` (N, T, ...) -> the real steps of each row first, in order; ``unpack(hs)`` maps packed
    outputs back to Keras' masked outputs; ``*_backward`` are their transposes.
    """

    def __init__(self, mask):
        self.mask = mask
        N, T = mask.shape
        self.lengths = mask.sum(axis=1)
        self.prefix = bool(np.array_equal(mask, np.arange(T) < self.lengths[:, None]))  # post-padded
        # perm[b, j]: the time of row b's j-th real step (masked steps after them, in order)
        self.perm = None if self.prefix else np.argsort(~mask, axis=1, kind="stable")
        self.src = np.cumsum(mask, axis=1) - 1     # packed index of the last real step <= t (-1: none)
        self.rows = np.arange(N)

    # -- inputs -----------------------------------------------------------------------------------
    def pack(self, x):
        """x (N, T, D) -> packed (N, T, D)."""
        return x if self.prefix else np.take_along_axis(x, self.perm[:, :, None], axis=1)

    def pack_backward(self, dxp):
        """dL/dpacked (N, T, D) -> dL/dx (N, T, D) (the inverse permutation)."""
        if self.prefix:
            return dxp
        dx = np.empty_like(dxp)
        np.put_along_axis(dx, self.perm[:, :, None], dxp, axis=1)
        return dx

    # -- outputs ----------------------------------------------------------------------------------
    def _valid(self, zero_masked):
        return (self.src >= 0) & self.mask if zero_masked else self.src >= 0

    def unpack(self, hs, zero_masked=False):
        """Packed outputs hs (N, T, U) -> out (N, T, U): out[b, t] = hs[b, src[b, t]] at a real step,
        the previous output at a masked one (zeros before the first real step, or everywhere masked
        when ``zero_masked``)."""
        out = np.take_along_axis(hs, np.maximum(self.src, 0)[:, :, None], axis=1)
        return np.where(self._valid(zero_masked)[:, :, None], out, 0)

    def unpack_backward(self, dout, zero_masked=False):
        """dL/dout (N, T, U) -> dL/dhs (N, T, U): each output's gradient goes to the packed step it
        copies (a carried output passes its gradient straight to the last real step)."""
        b, t = np.nonzero(self._valid(zero_masked))
        dhs = np.zeros_like(dout)
        np.add.at(dhs, (b, self.src[b, t]), dout[b, t])
        return dhs

    # -- final states -----------------------------------------------------------------------------
    def last(self, hs, h0):
        """The state after each row's real steps: hs[b, lengths[b] - 1], or h0[b] for an empty row."""
        L = self.lengths
        return np.where((L > 0)[:, None], hs[self.rows, np.maximum(L - 1, 0)], h0)

    def last_backward(self, dhs, dh):
        """Add dL/dstate to the packed step it came from (in place); returns the part that reaches the
        initial state directly (empty rows), or None."""
        if dh is None:
            return None
        L = self.lengths
        real = L > 0
        dhs[self.rows[real], L[real] - 1] += dh[real]
        return None if real.all() else np.where(real[:, None], 0, dh)
