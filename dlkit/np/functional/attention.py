"""Functional core: scaled dot-product attention, masked softmax and head splitting (CS231n style).

Shape letters: ``B`` batch, ``h`` heads, ``T`` query (target) length, ``S`` key/value (source) length,
``dk`` key/query depth per head, ``dv`` value depth per head.

Masks follow Keras: a boolean array, ``True`` = "may attend", broadcastable to the scores ``(B, h, T, S)``.
Masked scores are replaced by a large negative number before the softmax (as ``keras.layers.Softmax``
does) and the probabilities at masked positions are then set to exactly 0, so a query row whose keys
are all masked gets all-zero attention weights (Keras' ``Softmax`` layer behaves the same way).
"""
import numpy as np

__all__ = ["split_heads", "merge_heads", "causal_mask", "padding_mask", "broadcast_attention_mask",
           "masked_softmax_forward", "masked_softmax_backward",
           "scaled_dot_product_attention_forward", "scaled_dot_product_attention_backward"]

LARGE_NEGATIVE = -0.7 * 3.38953e38  # Keras' _large_negative_number for float32/float64


def split_heads(x, num_heads):
    """``(B, T, h*d)`` -> ``(B, h, T, d)`` (a transposed view; no copy)."""
    B, T, D = x.shape
    if D % num_heads:
        raise ValueError(f"split_heads: last axis {D} is not divisible by num_heads={num_heads}")
    return x.reshape(B, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """``(B, h, T, d)`` -> ``(B, T, h*d)`` (inverse of :func:`split_heads`; copies)."""
    B, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * d)


def causal_mask(T, S=None):
    """Lower-triangular ``(1, T, S)`` boolean mask, ``mask[0, i, j] = i >= j`` (Keras' causal mask)."""
    S = T if S is None else S
    return (np.arange(T)[:, None] >= np.arange(S)[None, :])[None]


def padding_mask(tokens, pad_id=0):
    """``(B, S)`` token ids -> ``(B, 1, S)`` boolean key mask, False at padding tokens."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError(f"padding_mask: expected token ids of shape (batch, seq_len), got {tokens.shape}")
    return (tokens != pad_id)[:, None, :]


def broadcast_attention_mask(mask, B, T, S, name="attention_mask"):
    """Check a user mask and return it as a boolean ``(B|1, 1|h, T|1, S|1)`` array (or None).

    Accepted: ``(T, S)``, ``(B, T, S)`` (Keras' documented shape, any axis may be 1) and
    ``(B, h, T, S)``. Numeric masks are converted with ``mask != 0``.
    """
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.ndim == 2:
        mask = mask[None]
    if mask.ndim == 3:
        mask = mask[:, None]
    if mask.ndim != 4:
        raise ValueError(f"{name}: expected a boolean mask of shape (batch, T, S) = ({B}, {T}, {S}) "
                         f"(or (T, S) / (batch, heads, T, S)), got rank {np.ndim(mask)}")
    b, _, t, s = mask.shape
    if b not in (1, B) or t not in (1, T) or s not in (1, S):
        raise ValueError(f"{name}: shape {tuple(mask.shape)} does not broadcast to the attention "
                         f"scores (batch, heads, T, S) = ({B}, heads, {T}, {S}); expected (batch, T, S) "
                         f"= ({B}, {T}, {S}) with 1s allowed")
    return mask if mask.dtype == bool else mask != 0


def masked_softmax_forward(scores, mask=None, inplace=False):
    """Softmax over the last axis with masked entries excluded.

    Inputs: ``scores`` ``(..., S)``; ``mask`` boolean, broadcastable to ``scores`` (True = keep);
    ``inplace=True`` overwrites ``scores`` with the result (saves a copy).
    Returns ``(p, cache)`` with ``p`` of the same shape as ``scores``; masked entries of ``p`` are 0.
    """
    s = scores if inplace else np.array(scores, copy=True)
    if mask is not None:
        np.copyto(s, LARGE_NEGATIVE, where=~mask)
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    if mask is not None:
        np.copyto(s, 0.0, where=~mask)
    return s, s


def masked_softmax_backward(dp, cache, inplace=False):
    """``dp`` ``(..., S)`` -> ``dscores`` ``(..., S)``: ``p * (dp - sum(dp * p))``; 0 where masked.
    ``inplace=True`` overwrites ``dp``."""
    p = cache
    ds = np.multiply(dp, p, out=dp if inplace else None)
    ds -= p * ds.sum(axis=-1, keepdims=True)
    return ds


def scaled_dot_product_attention_forward(q, k, v, mask=None, scale=None, dropout_mask=None):
    """``softmax(mask(q k^T * scale)) v``, with optional dropout on the attention weights.

    Inputs:
    - q: ``(B, h, T, dk)``; k: ``(B, h, S, dk)``; v: ``(B, h, S, dv)``
    - mask: boolean, broadcastable to ``(B, h, T, S)``; True = attend (see module docstring)
    - scale: multiplies the query first, as Keras does; default ``1 / sqrt(dk)``
    - dropout_mask: ``(B, h, T, S)`` array of ``keep / (1 - rate)`` values applied to the weights, or None

    Returns ``(out, cache)``: ``out`` ``(B, h, T, dv)``; ``cache["p"]`` holds the attention weights
    ``(B, h, T, S)`` before dropout.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: incompatible shapes q {q.shape}, k {k.shape}, "
                         f"v {v.shape}; expected (B, h, T, dk), (B, h, S, dk), (B, h, S, dv)")
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    qs = q * np.asarray(scale, dtype=q.dtype)
    scores = np.matmul(qs, k.swapaxes(-1, -2))
    p, _ = masked_softmax_forward(scores, mask, inplace=True)
    pd = p if dropout_mask is None else p * dropout_mask
    out = np.matmul(pd, v)
    return out, {"qs": qs, "k": k, "v": v, "p": p, "pd": pd, "scale": scale, "dropout_mask": dropout_mask}


def scaled_dot_product_attention_backward(dout, cache):
    """``dout`` ``(B, h, T, dv)`` -> ``(dq, dk, dv)`` with the shapes of ``q, k, v``."""
    qs, k, v, p, pd = cache["qs"], cache["k"], cache["v"], cache["p"], cache["pd"]
    dv = np.matmul(pd.swapaxes(-1, -2), dout)
    dp = np.matmul(dout, v.swapaxes(-1, -2))
    if cache["dropout_mask"] is not None:
        dp *= cache["dropout_mask"]
    ds = masked_softmax_backward(dp, p, inplace=True)
    dq = np.matmul(ds, k)
    dq *= np.asarray(cache["scale"], dtype=dq.dtype)
    dk = np.matmul(ds.swapaxes(-1, -2), qs)
    return dq, dk, dv
