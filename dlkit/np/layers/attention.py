"""Layers: ``MultiHeadAttention`` with the Keras 3 weight layout and a hand-written backward.

Keras computes (``keras/src/layers/attention/multi_head_attention.py``, EinsumDense projections)::

    Q = einsum("btd,dnk->btnk", query, Wq) + bq          # (B, T, h, dk)
    K = einsum("bsd,dnk->bsnk", key,   Wk) + bk          # (B, S, h, dk)
    V = einsum("bsd,dnv->bsnv", value, Wv) + bv          # (B, S, h, dv)
    A = softmax(mask(einsum("bsnk,btnk->bnts", K, Q / sqrt(dk))))   # (B, h, T, S)
    O = einsum("btnv,nvo->bto", einsum("bnts,bsnv->btnv", dropout(A), V), Wo) + bo

Weights (``get_weights()`` order): ``query/kernel (d_q, h, dk)``, ``query/bias (h, dk)``,
``key/kernel (d_k, h, dk)``, ``key/bias``, ``value/kernel (d_v, h, dv)``, ``value/bias (h, dv)``,
``attention_output/kernel (h, dv, d_q)``, ``attention_output/bias (d_q,)`` (no biases if
``use_bias=False``). ``attention_mask`` is boolean, True = attend, shape ``(B, T, S)`` (1s broadcast);
``use_causal_mask=True`` is ANDed with it. Masked weights are exactly 0; a query whose keys are all
masked gets all-zero weights (as Keras' ``Softmax`` layer; Keras' fused path would average instead).
Keras casts the Python float ``1/sqrt(dk)`` through float32 even for float64 layers (a ~1e-8 relative
difference); dlkit uses the exact value.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import attention as F
from dlkit.np.random import get_rng

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(Layer):
    """Multi-head (scaled dot-product) attention, Keras ``MultiHeadAttention`` semantics.

    ``y = mha(query, value, key=None, attention_mask=None, use_causal_mask=False, training=False)``
    with ``query (B, T, d_q)``, ``value (B, S, d_v)``, ``key (B, S, d_k)`` (defaults to ``value``) ->
    ``y (B, T, d_q)``. ``mha.backward(dy)`` returns ``(dquery, dvalue)``, or ``(dquery, dvalue, dkey)``
    when a separate ``key`` was passed (for self-attention ``mha(x, x)`` the input gradient is
    ``dquery + dvalue``). ``mha(x)`` (no ``value``) is self-attention whose ``backward`` returns the
    single array ``dx``, so the layer also fits ``Sequential``. ``mha.attention_scores`` holds the
    attention weights ``(B, h, T, S)`` of the last call (before dropout), for plotting.
    Input query (batch, T, d_q), value (batch, S, d_v) -> output (batch, T, d_q).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", seed=None,
                 name=None, dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        for arg, val in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if val is not None and (not isinstance(val, (int, np.integer)) or val <= 0):
                raise ValueError(f"MultiHeadAttention: {arg} must be a positive integer, got {val!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias = float(dropout), bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.rng = get_rng(seed) if seed is not None else None
        self.attention_scores = None
        self.feature_dims = None

    # -- building ---------------------------------------------------------------------------------
    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        dq, dv, dk = query_shape[-1], value_shape[-1], key_shape[-1]
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        for name, d_in, out in (("query", dq, kd), ("key", dk, kd), ("value", dv, vd)):
            self.add_weight(f"{name}/kernel", (d_in, h, out), self.kernel_initializer)
            if self.use_bias:
                self.add_weight(f"{name}/bias", (h, out), self.bias_initializer)
        self.add_weight("attention_output/kernel", (h, vd, dq), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("attention_output/bias", (dq,), self.bias_initializer)
        self.feature_dims = (dq, dv, dk)
        self.input_shape = (None, None, dq)

    def _check(self, query, value, key):
        for nm, a in (("query", query), ("value", value), ("key", key)):
            if a.ndim != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': expected {nm} of rank 3 "
                                 f"(batch, seq_len, features), got shape {a.shape}")
        if not (query.shape[0] == value.shape[0] == key.shape[0]):
            raise ValueError(f"MultiHeadAttention '{self.name}': batch sizes differ: query {query.shape}, "
                             f"value {value.shape}, key {key.shape}")
        if value.shape[1] != key.shape[1]:
            raise ValueError(f"MultiHeadAttention '{self.name}': key and value must have the same "
                             f"sequence length, got value {value.shape} and key {key.shape}")
        if self.built:
            got = (query.shape[-1], value.shape[-1], key.shape[-1])
            if got != self.feature_dims:
                raise ValueError(f"MultiHeadAttention '{self.name}': built for feature sizes "
                                 f"(query, value, key) = {self.feature_dims}, got {got}")

    # -- forward / backward -----------------------------------------------------------------------
    def _project(self, x, names):
        """``x (B, L, d)`` -> ``{name: (B, h, L, o)}`` for projections sharing the input ``x``, with one
        GEMM against the concatenated kernels (the outputs are strided views; no copies)."""
        B, L, d = x.shape
        Ws = [self.params[f"{n}/kernel"].reshape(d, -1) for n in names]
        W = Ws[0] if len(Ws) == 1 else np.concatenate(Ws, axis=1)
        y = x.reshape(B * L, d) @ W
        if self.use_bias:
            y += np.concatenate([self.params[f"{n}/bias"].reshape(-1) for n in names])
        out, c = {}, 0
        for n, Wn in zip(names, Ws):
            w = Wn.shape[1]
            out[n] = y[:, c:c + w].reshape(B, L, self.num_heads, -1).transpose(0, 2, 1, 3)
            c += w
        return out, W

    def _qvk(self, query, value, key):
        value = query if value is None else self._cast(value)
        key = value if key is None else self._cast(key)
        self._check(query, value, key)
        return query, value, key

    def _build_args(self, query, value=None, key=None, **kwargs):
        return tuple(a.shape for a in self._qvk(query, value, key))

    def call(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
             training=False, return_attention_scores=False):
        separate_key = key is not None
        self_only = value is None  # mha(x): self-attention, backward returns one array
        query, value, key = self._qvk(query, value, key)
        B, T, S = query.shape[0], query.shape[1], value.shape[1]
        mask = F.broadcast_attention_mask(attention_mask, B, T, S, name=f"{self.name}: attention_mask")
        if use_causal_mask:
            cm = F.causal_mask(T, S)[:, None]
            mask = cm if mask is None else (mask & cm)
        # inputs whose gradients are summed anyway share one projection GEMM
        if self_only:
            groups = [(query, ("query", "key", "value"))]
        elif not separate_key:
            groups = [(query, ("query",)), (value, ("key", "value"))]
        else:
            groups = [(query, ("query",)), (key, ("key",)), (value, ("value",))]
        heads, kernels = {}, []
        for x, names in groups:
            out, W = self._project(x, names)
            heads.update(out)
            kernels.append(W)
        drop = None
        if training and self.dropout > 0:
            keep = get_rng(self.rng).random((B, self.num_heads, T, S)) >= self.dropout
            drop = keep.astype(self.dtype) / np.asarray(1.0 - self.dropout, dtype=self.dtype)
        ctx, attn_cache = F.scaled_dot_product_attention_forward(
            heads["query"], heads["key"], heads["value"], mask=mask,
            scale=1.0 / np.sqrt(float(self.key_dim)), dropout_mask=drop)
        ctx2 = F.merge_heads(ctx)                                       # (B, T, h*dv)
        Wo = self.params["attention_output/kernel"]
        y = ctx2.reshape(B * T, -1) @ Wo.reshape(-1, Wo.shape[-1])
        if self.use_bias:
            y += self.params["attention_output/bias"]
        y = y.reshape(B, T, -1)
        self.attention_scores = attn_cache["p"]
        self._cache = (groups, kernels, separate_key, self_only, attn_cache, ctx2)
        if return_attention_scores:
            return y, self.attention_scores
        return y

    def _project_backward(self, x, names, W, dheads):
        """Gradients of one projection group: fills the kernel/bias grads; returns ``dx (B, L, d)``."""
        B, L, d = x.shape
        widths = [self.params[f"{n}/kernel"][0].size for n in names]
        dall = np.empty((B, L, sum(widths)), dtype=self.dtype)         # transposes + concat in one copy
        c = 0
        for n, w in zip(names, widths):
            view = dall[:, :, c:c + w].reshape(B, L, self.num_heads, -1)
            np.copyto(view, dheads[n].transpose(0, 2, 1, 3))
            c += w
        d2 = dall.reshape(B * L, -1)
        dW = x.reshape(B * L, d).T @ d2
        db = d2.sum(axis=0) if self.use_bias else None
        c = 0
        for n, w in zip(names, widths):
            self.grads[f"{n}/kernel"] = np.ascontiguousarray(dW[:, c:c + w]).reshape(
                self.params[f"{n}/kernel"].shape)
            if self.use_bias:
                self.grads[f"{n}/bias"] = db[c:c + w].reshape(self.params[f"{n}/bias"].shape)
            c += w
        return (d2 @ W.T).reshape(B, L, d)

    def backward(self, dy):
        """``dy (B, T, d_q)`` -> ``(dquery, dvalue)`` or ``(dquery, dvalue, dkey)``; fills ``grads``.

        After ``mha(x)`` (self-attention without ``value``) it returns the single array ``dx``."""
        groups, kernels, separate_key, self_only, attn_cache, ctx2 = self._get_cache()
        B, T, dq = groups[0][0].shape
        dy = np.asarray(dy, dtype=self.dtype)
        if dy.shape != (B, T, dq):
            raise ValueError(f"MultiHeadAttention '{self.name}': dy must have shape {(B, T, dq)}, "
                             f"got {dy.shape}")
        dy2 = dy.reshape(B * T, dq)
        Wo = self.params["attention_output/kernel"]
        self.grads["attention_output/kernel"] = (ctx2.reshape(B * T, -1).T @ dy2).reshape(Wo.shape)
        if self.use_bias:
            self.grads["attention_output/bias"] = dy2.sum(axis=0)
        dctx = (dy2 @ Wo.reshape(-1, dq).T).reshape(B, T, self.num_heads, self.value_dim)
        dq_, dk_, dv_ = F.scaled_dot_product_attention_backward(dctx.transpose(0, 2, 1, 3), attn_cache)
        dheads = {"query": dq_, "key": dk_, "value": dv_}
        dxs = [self._project_backward(x, names, W, dheads) for (x, names), W in zip(groups, kernels)]
        self.grads = {k: self.grads[k] for k in self.params}  # Keras weight order
        if self_only:
            return dxs[0]
        return tuple(dxs) if not separate_key else (dxs[0], dxs[2], dxs[1])

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)
