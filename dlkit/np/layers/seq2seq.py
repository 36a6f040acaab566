"""Layers for sequence-to-sequence models: ``AdditiveAttention`` (Bahdanau) and ``TransformerCrossDecoderBlock``.

``AdditiveAttention`` follows ``keras.layers.AdditiveAttention`` exactly (call, masks, weight ``scale (d,)``)::

    scores[b, i, j] = sum_d scale[d] * tanh(query[b, i, d] + key[b, j, d])     # (B, Tq, Tv)
    scores = where(score_mask, scores, scores - 1e9)                           # value mask / causal mask
    weights = dropout(softmax(scores))                                         # (B, Tq, Tv)
    out = where(query_mask, weights @ value, 0)                                # (B, Tq, dv)

Relation to Bahdanau et al. (2015), ``e_ij = v_a^T tanh(W_a s_i + U_a h_j)``: Keras' layer has no projection
matrices; ``scale`` plays ``v_a``. Project first to get the original form::

    q = Dense(units, use_bias=False)(decoder_states)        # W_a s_i
    k = Dense(units)(encoder_states)                        # U_a h_j (+ a bias, which Bahdanau folds in)
    context = AdditiveAttention()([q, encoder_states, k])  # value = the raw encoder states h_j

``TransformerCrossDecoderBlock`` is keras-hub's ``TransformerDecoder`` called with an encoder sequence, with
keras-hub's weight order (``set_weights`` copies across) and a hand-written backward to both inputs.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.layers.attention import MultiHeadAttention
from dlkit.np.layers.core import Dense, Dropout
from dlkit.np.layers.normalization import LayerNormalization
from dlkit.np.layers.transformer import TransformerEncoderBlock
from dlkit.np.random import get_rng

__all__ = ["AdditiveAttention", "TransformerCrossDecoderBlock"]


class AdditiveAttention(Layer):
    """Additive (Bahdanau-style) attention with Keras ``AdditiveAttention`` semantics and a hand-written backward.

    ``out = att([query, value])`` or ``att([query, value, key])`` (``key`` defaults to ``value``) with
    ``query (B, Tq, d)``, ``value (B, Tv, dv)``, ``key (B, Tv, d)`` -> ``out (B, Tq, dv)``. Call arguments as
    Keras: ``mask=[query_mask (B, Tq), value_mask (B, Tv)]`` (True = real position; either may be None),
    ``return_attention_scores`` (also return the weights ``(B, Tq, Tv)``, after dropout as Keras does),
    ``use_causal_mask``, ``training``. ``backward(dy)`` returns ``[dquery, dvalue]`` or ``[dquery, dvalue, dkey]``
    (same order as the inputs); after ``return_attention_scores=True`` it also accepts ``[dout, dscores]``.
    ``attention_scores`` holds the weights of the last call. Weight: ``scale (d,)`` (glorot_uniform) if
    ``use_scale`` (default True), else the sum is unweighted.
    Input [query (batch, Tq, d), value (batch, Tv, dv)] -> output (batch, Tq, dv).
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, name=None, dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        if not isinstance(use_scale, (bool, np.bool_)):
            raise TypeError(f"AdditiveAttention: use_scale must be True or False, got {use_scale!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.number)) or not 0 <= dropout < 1:
            raise ValueError(f"AdditiveAttention: dropout must be a number in [0, 1), got {dropout!r}")
        self.use_scale, self.dropout, self.seed = bool(use_scale), float(dropout), seed
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.attention_scores = None

    def check_input(self, inputs):
        if not isinstance(inputs, list) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"AdditiveAttention '{self.name}': inputs must be a list [query, value] or "
                             f"[query, value, key], got {type(inputs).__name__}"
                             + (f" of length {len(inputs)}" if isinstance(inputs, list) else ""))
        for nm, a in zip(("query", "value", "key"), inputs):
            if a.ndim != 3:
                raise ValueError(f"AdditiveAttention '{self.name}': {nm} must have shape (batch, seq_len, "
                                 f"features), got {a.shape}")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        if not q.shape[0] == v.shape[0] == k.shape[0]:
            raise ValueError(f"AdditiveAttention '{self.name}': batch sizes differ: query {q.shape}, "
                             f"value {v.shape}, key {k.shape}")
        if k.shape[1] != v.shape[1]:
            raise ValueError(f"AdditiveAttention '{self.name}': key and value need the same length Tv, got "
                             f"key {k.shape} and value {v.shape}")
        if k.shape[2] != q.shape[2]:
            raise ValueError(f"AdditiveAttention '{self.name}': query and key need the same feature size "
                             f"(scores use tanh(query + key)), got query {q.shape} and "
                             f"{'key' if len(inputs) == 3 else 'value (used as key)'} {k.shape}")
        if self.built and self.use_scale and q.shape[2] != self.params["scale"].shape[0]:
            raise ValueError(f"AdditiveAttention '{self.name}': built for query features "
                             f"{self.params['scale'].shape[0]}, got {q.shape}")

    def build(self, input_shape):
        if self.use_scale:
            self.add_weight("scale", (input_shape[0][-1],), "glorot_uniform")

    def _masks(self, mask, q, v):
        """Keras' ``mask=[query_mask, value_mask]`` -> boolean ``(B, Tq)`` / ``(B, Tv)`` arrays or None."""
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"AdditiveAttention '{self.name}': mask must be a list [query_mask, value_mask], "
                             f"got {type(mask).__name__}")
        if mask is None:
            return None, None
        out = []
        for nm, m, x in (("query_mask", mask[0], q), ("value_mask", mask[1], v)):
            if m is not None:
                m = np.asarray(m)
                if m.shape != x.shape[:2]:
                    raise ValueError(f"AdditiveAttention '{self.name}': {nm} must have shape (batch, seq_len) "
                                     f"= {x.shape[:2]}, got {m.shape}")
                m = m.astype(bool)
            out.append(m)
        return tuple(out)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        q_mask, v_mask = self._masks(mask, q, v)
        Tq, Tv = q.shape[1], v.shape[1]
        t = np.tanh(q[:, :, None, :] + k[:, None, :, :])                       # (B, Tq, Tv, d)
        scale = self.params["scale"] if self.use_scale else None
        scores = t.sum(axis=-1) if scale is None else t @ scale                   # (B, Tq, Tv)
        score_mask = None if v_mask is None else v_mask[:, None, :]               # (B, 1, Tv)
        if use_causal_mask:
            causal = (np.arange(Tq)[:, None] >= np.arange(Tv)[None, :])[None]      # (1, Tq, Tv)
            score_mask = causal if score_mask is None else (score_mask & causal)
        if score_mask is not None:   # Keras subtracts 1e9 (65504 in float16); exp() then underflows to 0
            big = self.dtype.type(65504.0 if self.dtype == np.float16 else 1e9)
            scores = np.where(score_mask, scores, scores - big)
        w = np.exp(scores - scores.max(axis=-1, keepdims=True))
        w /= w.sum(axis=-1, keepdims=True)                                         # softmax over Tv
        drop = None
        if training and self.dropout > 0:
            keep = get_rng(self.rng).random(w.shape) >= self.dropout
            drop = keep.astype(self.dtype) / self.dtype.type(1 - self.dropout)
        wd = w if drop is None else w * drop
        out = wd @ v                                                               # (B, Tq, dv)
        if q_mask is not None:
            out = np.where(q_mask[:, :, None], out, self.dtype.type(0))
        self.attention_scores = wd
        self._cache = (q, v, k, len(inputs) == 3, q_mask, t, w, drop, wd)
        return (out, wd) if return_attention_scores else out

    def backward(self, dy):
        """``dy (B, Tq, dv)`` (or ``[dy, dscores]``) -> ``[dquery, dvalue]`` or ``[dquery, dvalue, dkey]``."""
        q, v, k, has_key, q_mask, t, w, drop, wd = self._get_cache()
        dscores = None
        if isinstance(dy, (list, tuple)):
            dy, dscores = dy
        dy = np.asarray(dy, dtype=self.dtype)
        if dy.shape != q.shape[:2] + v.shape[2:]:
            raise ValueError(f"AdditiveAttention '{self.name}': dy must have shape "
                             f"{q.shape[:2] + v.shape[2:]}, got {dy.shape}")
        if q_mask is not None:
            dy = np.where(q_mask[:, :, None], dy, self.dtype.type(0))
        # dL/dvalue = weights^T dY ;  dL/dweights = dY value^T
        dv = wd.swapaxes(-1, -2) @ dy
        dwd = dy @ v.swapaxes(-1, -2)
        if dscores is not None:
            dwd = dwd + np.asarray(dscores, dtype=self.dtype)
        dw = dwd if drop is None else dwd * drop
        # softmax: dL/dscores = w * (dL/dw - sum_j w_j dL/dw_j); the masked shift is a constant (gradient 1)
        ds = w * (dw - (dw * w).sum(axis=-1, keepdims=True))                      # (B, Tq, Tv)
        if self.use_scale:
            scale = self.params["scale"]
            # dL/dscale = sum_{b,i,j} ds_bij tanh(q_bi + k_bj)
            self.grads["scale"] = np.einsum("bij,bijd->d", ds, t)
            dt = ds[..., None] * scale
        else:
            dt = np.broadcast_to(ds[..., None], t.shape)
        du = dt * (1 - t * t)                                                     # tanh' = 1 - tanh^2
        dq, dk = du.sum(axis=2), du.sum(axis=1)                                   # u = q_i + k_j
        return [dq, dv, dk] if has_key else [dq, dv + dk]

    def compute_mask(self, inputs, mask=None):
        """The query mask (as Keras): the output has the query's time axis."""
        return None if mask is None or mask[0] is None else np.asarray(mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)


class TransformerCrossDecoderBlock(TransformerEncoderBlock):
    """Encoder-decoder Transformer block (keras-hub ``TransformerDecoder`` with an encoder sequence).

    Post-norm (``norm_first=False``, default)::

        x1 = LN1(x + Drop(SelfMHA(x, causal)))        x2 = LN2(x1 + Drop(CrossMHA(x1, enc)))
        y  = LN3(x2 + Drop(FFN(x2)))

    pre-norm (``norm_first=True``): ``x1 = x + Drop(SelfMHA(LN1(x)))``, ``x2 = x1 + Drop(CrossMHA(LN2(x1),
    enc))``, ``y = x2 + Drop(FFN(LN3(x2)))``. Constructor as ``TransformerEncoderBlock``. Call:
    ``block(decoder_sequence (B, T, d), encoder_sequence (B, S, d_enc), decoder_padding_mask=None (B, T),
    decoder_attention_mask=None (B, T, T), encoder_padding_mask=None (B, S), encoder_attention_mask=None
    (B, T, S), use_causal_mask=True, training=False)``; masks are True at positions that may be attended.
    ``mask`` (passed by a functional Model from ``Embedding(mask_zero=True)``) is the decoder padding mask;
    the encoder padding mask must be passed explicitly. ``backward(dy)`` returns ``(d_decoder, d_encoder)``.
    Weights in keras-hub order: ``self_attention/*`` (8), ``self_attention_layer_norm/*``,
    ``cross_attention/*`` (8), ``cross_attention_layer_norm/*``, ``feedforward_intermediate_dense/*``,
    ``feedforward_output_dense/*``, ``feedforward_layer_norm/*``.
    Input decoder (batch, T, d), encoder (batch, S, d_enc) -> output (batch, T, d).
    """

    causal = True

    def build(self, decoder_shape, encoder_shape):
        d, dt = int(decoder_shape[-1]), self.dtype
        key_dim = self.key_dim or max(1, d // self.num_heads)
        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout, dtype=dt)
        self.self_attention_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt)
        self.self_attention_dropout = Dropout(self.dropout, dtype=dt)
        self.cross_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout, dtype=dt)
        self.cross_attention_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt)
        self.cross_attention_dropout = Dropout(self.dropout, dtype=dt)
        self.feedforward_intermediate_dense = Dense(self.intermediate_dim, activation=self.activation, dtype=dt)
        self.feedforward_output_dense = Dense(d, dtype=dt)
        self.feedforward_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt)
        self.feedforward_dropout = Dropout(self.dropout, dtype=dt)
        self.self_attention.build(decoder_shape, decoder_shape)
        self.cross_attention.build(decoder_shape, encoder_shape)
        for layer, shape in ((self.self_attention_layer_norm, decoder_shape),
                             (self.cross_attention_layer_norm, decoder_shape),
                             (self.feedforward_intermediate_dense, decoder_shape),
                             (self.feedforward_output_dense, (None, self.intermediate_dim)),
                             (self.feedforward_layer_norm, decoder_shape)):
            layer.input_shape = (None,) + tuple(shape[1:])
            layer.build(shape)

    def _build_args(self, decoder_sequence, encoder_sequence=None, *args, **kwargs):
        return decoder_sequence.shape, self._encoder(decoder_sequence, encoder_sequence).shape

    def _encoder(self, x, enc):
        if enc is None:
            raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': encoder_sequence is required, "
                             f"block(decoder_sequence, encoder_sequence); for a decoder-only block use "
                             f"TransformerDecoderBlock")
        enc = self._cast(enc)
        if enc.ndim != 3 or enc.shape[0] != x.shape[0]:
            raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': encoder_sequence must have shape "
                             f"(batch, S, features) with batch {x.shape[0]}, got {enc.shape}")
        return enc

    def _mask(self, what, padding, attention, T, S, B):
        """padding ``(B, S)`` and attention ``(B, T, S)`` masks -> one boolean ``(B|1, T|1, S)`` mask or None."""
        mask = None
        if padding is not None:
            pm = np.asarray(padding)
            if pm.shape != (B, S):
                raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': {what}_padding_mask must have "
                                 f"shape (batch, seq_len) = {(B, S)}, got {pm.shape}")
            mask = pm.astype(bool)[:, None, :]
        if attention is not None:
            am = np.asarray(attention)
            if am.shape != (B, T, S):
                raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': {what}_attention_mask must have "
                                 f"shape (batch, T, S) = {(B, T, S)}, got {am.shape}")
            mask = am.astype(bool) if mask is None else (mask & am.astype(bool))
        return mask

    def call(self, decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
             decoder_attention_mask=None, encoder_padding_mask=None, encoder_attention_mask=None,
             use_causal_mask=True, training=False, mask=None):
        x = decoder_sequence
        enc = self._encoder(x, encoder_sequence)
        B, T, S = x.shape[0], x.shape[1], enc.shape[1]
        decoder_padding_mask = mask if decoder_padding_mask is None else decoder_padding_mask
        self_mask = self._mask("decoder", decoder_padding_mask, decoder_attention_mask, T, T, B)
        cross_mask = self._mask("encoder", encoder_padding_mask, encoder_attention_mask, T, S, B)
        causal = bool(use_causal_mask)
        ln1, ln2, ln3 = self.self_attention_layer_norm, self.cross_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            x1 = x + self._self_attend(ln1(x), self_mask, causal, training)
            x2 = x1 + self._cross_attend(ln2(x1), enc, cross_mask, training)
            return x2 + self._ffn(ln3(x2), training)
        x1 = ln1(x + self._self_attend(x, self_mask, causal, training))
        x2 = ln2(x1 + self._cross_attend(x1, enc, cross_mask, training))
        return ln3(x2 + self._ffn(x2, training))

    def _self_attend(self, h, mask, causal, training):
        a = self.self_attention(h, attention_mask=mask, use_causal_mask=causal, training=training)
        return self.self_attention_dropout(a, training=training)

    def _cross_attend(self, h, enc, mask, training):
        a = self.cross_attention(h, enc, attention_mask=mask, training=training)
        return self.cross_attention_dropout(a, training=training)

    def _cross_backward(self, d):
        """-> (d_query, d_encoder) of the cross-attention sublayer."""
        return self.cross_attention.backward(self.cross_attention_dropout.backward(d))

    def backward(self, dy):
        """``dy (B, T, d)`` -> ``(d_decoder (B, T, d), d_encoder (B, S, d_enc))``; fills ``grads``."""
        if not self.built:
            self._get_cache()  # raises the standard 'backward() before forward()' error
        dy = np.asarray(dy, dtype=self.dtype)
        ln1, ln2, ln3 = self.self_attention_layer_norm, self.cross_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            dx2 = dy + ln3.backward(self._ffn_backward(dy))
            dh2, denc = self._cross_backward(dx2)
            dx1 = dx2 + ln2.backward(dh2)
            dx = dx1 + ln1.backward(self._attend_backward(dx1))
        else:
            ds3 = ln3.backward(dy)
            dx2 = ds3 + self._ffn_backward(ds3)
            ds2 = ln2.backward(dx2)
            dh2, denc = self._cross_backward(ds2)
            dx1 = ds2 + dh2
            ds1 = ln1.backward(dx1)
            dx = ds1 + self._attend_backward(ds1)
        return dx, denc

    def compute_output_shape(self, decoder_shape, encoder_shape=None):
        return tuple(decoder_shape)
