"""Layers: positional encodings and Transformer blocks, composed from dlkit.np layers.

- ``PositionalEncoding``: adds the sinusoidal encoding of Vaswani et al. (2017),
  ``PE[t, 2i] = sin(t / 10000^(2i/d))``, ``PE[t, 2i+1] = cos(t / 10000^(2i/d))``; no weights.
- ``TokenAndPositionEmbedding``: token ``Embedding`` + learned position ``Embedding`` (or the sinusoidal
  encoding with ``positional="sinusoidal"``).
- ``TransformerEncoderBlock`` / ``TransformerDecoderBlock``: self-attention + position-wise feed-forward
  network, each wrapped in dropout and a residual connection, keras-hub style arguments. The decoder block
  is GPT-style (causal self-attention only, no cross-attention). **Post-norm by default**
  (``norm_first=False``, as in the original paper and keras-hub): ``x = LN(x + Drop(MHA(x)))``,
  ``y = LN(x + Drop(FFN(x)))``. ``norm_first=True`` gives **pre-norm** (GPT-2):
  ``x = x + Drop(MHA(LN(x)))``, ``y = x + Drop(FFN(LN(x)))``.

Composite layers expose their sublayers' weights as ``params["<sublayer>/<weight>"]`` (the same arrays,
so optimizers update the sublayers in place); the order is keras-hub's: ``self_attention/*`` (8),
``self_attention_layer_norm/{gamma,beta}``, ``feedforward_layer_norm/{gamma,beta}``,
``feedforward_intermediate_dense/{kernel,bias}``, ``feedforward_output_dense/{kernel,bias}``.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.shared import sinusoidal_encoding
from dlkit.np.layers.attention import MultiHeadAttention
from dlkit.np.layers.core import Dense, Dropout
from dlkit.np.layers.embedding import Embedding
from dlkit.np.layers.normalization import LayerNormalization

__all__ = ["sinusoidal_encoding", "PositionalEncoding", "TokenAndPositionEmbedding", "TransformerEncoderBlock", "TransformerDecoderBlock"]


def _check_seq(layer, x, what="input"):
    if x.ndim != 3:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': expected {what} of shape "
                         f"(batch, seq_len, features), got {x.shape}")


class PositionalEncoding(Layer):
    """``y = x + PE[:T]`` for ``x (B, T, d)``; ``backward(dy) = dy``. No weights.

    Input (batch, T, d) -> output (batch, T, d).
    """

    def __init__(self, max_wavelength=10000, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.max_wavelength = max_wavelength

    def call(self, x, training=False):
        _check_seq(self, x)
        self._cache = x.shape
        return x + sinusoidal_encoding(x.shape[1], x.shape[2], self.max_wavelength, self.dtype)

    def backward(self, dy):
        self._get_cache()
        return np.asarray(dy, dtype=self.dtype)


class TokenAndPositionEmbedding(Layer):
    """Token ids ``(B, T)`` -> ``token_embedding(ids) + position(T)`` of shape ``(B, T, embed_dim)``.

    ``positional="learned"``: a second ``Embedding(sequence_length, embed_dim)`` looked up at
    ``0..T-1``; ``"sinusoidal"``: the fixed ``sinusoidal_encoding``. ``backward`` returns zeros like the ids.
    Input ids (batch, T) -> output (batch, T, embedding_dim).
    """

    def __init__(self, vocabulary_size, sequence_length, embedding_dim, positional="learned",
                 embeddings_initializer="uniform", name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(f"TokenAndPositionEmbedding: positional must be 'learned' or 'sinusoidal', "
                             f"got {positional!r}")
        self.sequence_length, self.positional = int(sequence_length), positional
        self.token_embedding = Embedding(vocabulary_size, embedding_dim, embeddings_initializer, dtype=dtype)
        self.position_embedding = (Embedding(sequence_length, embedding_dim, embeddings_initializer, dtype=dtype)
                                   if positional == "learned" else None)

    def _cast_inputs(self, ids):
        return np.asarray(ids)

    def check_input(self, ids):
        if ids.ndim != 2:
            raise ValueError(f"TokenAndPositionEmbedding '{self.name}': expected token ids of shape "
                             f"(batch, seq_len), got {ids.shape}")
        if ids.shape[1] > self.sequence_length:
            raise ValueError(f"TokenAndPositionEmbedding '{self.name}': sequence length {ids.shape[1]} "
                             f"exceeds sequence_length={self.sequence_length}")

    def call(self, ids, training=False):
        T = ids.shape[1]
        y = self.token_embedding(ids, training=training)
        if self.position_embedding is not None:
            y = y + self.position_embedding(np.arange(T)[None], training=training)
        else:
            y = y + sinusoidal_encoding(T, y.shape[-1], dtype=self.dtype)
        self._cache = ids
        return y

    def backward(self, dy):
        ids = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        self.token_embedding.backward(dy)
        if self.position_embedding is not None:
            self.position_embedding.backward(dy.sum(axis=0, keepdims=True))
        return np.zeros(ids.shape, dtype=self.dtype)


class TransformerEncoderBlock(Layer):
    """Self-attention block ``(B, T, d) -> (B, T, d)``; see the module docstring for the formulas.

    Args: ``num_heads``, ``intermediate_dim`` (feed-forward width; alias ``ff_dim``), ``key_dim``
    (default ``d // num_heads``), ``dropout`` (after attention and after the FFN, and on the attention
    weights), ``activation`` of the FFN, ``norm_first`` (False = post-norm), ``epsilon`` of the two
    LayerNormalizations (1e-5 as in keras-hub). Call: ``block(x, padding_mask=None,
    attention_mask=None, training=False)`` with ``padding_mask (B, T)`` True at real tokens.
    """

    causal = False
    accepts_padding_mask = True
    supports_masking = True  # the output keeps the time axis, so a padding mask still applies

    def __init__(self, num_heads, intermediate_dim=None, key_dim=None, dropout=0.0, activation="relu",
                 norm_first=False, epsilon=1e-5, ff_dim=None, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        intermediate_dim = intermediate_dim if intermediate_dim is not None else ff_dim
        if intermediate_dim is None:
            raise ValueError(f"{type(self).__name__}: intermediate_dim (ff_dim) is required")
        self.num_heads, self.intermediate_dim, self.key_dim = int(num_heads), int(intermediate_dim), key_dim
        self.dropout, self.activation, self.norm_first, self.epsilon = dropout, activation, norm_first, epsilon

    def build(self, input_shape):
        d, dt = int(input_shape[-1]), self.dtype
        key_dim = self.key_dim or max(1, d // self.num_heads)
        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout, dtype=dt)
        self.self_attention_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt)
        self.self_attention_dropout = Dropout(self.dropout, dtype=dt)
        self.feedforward_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt)
        self.feedforward_intermediate_dense = Dense(self.intermediate_dim, activation=self.activation, dtype=dt)
        self.feedforward_output_dense = Dense(d, dtype=dt)
        self.feedforward_dropout = Dropout(self.dropout, dtype=dt)
        self.self_attention.build(input_shape, input_shape)
        ffn_in = (None, self.intermediate_dim)
        for layer, shape in ((self.self_attention_layer_norm, input_shape),
                             (self.feedforward_layer_norm, input_shape),
                             (self.feedforward_intermediate_dense, input_shape),
                             (self.feedforward_output_dense, ffn_in)):
            layer.input_shape = (None,) + tuple(shape[1:])
            layer.build(shape)

    def check_input(self, x):
        _check_seq(self, x)

    def call(self, x, training=False, padding_mask=None, attention_mask=None, mask=None):
        """``mask`` (from ``Embedding(mask_zero=True)``) is a ``padding_mask``: True at real tokens."""
        padding_mask = mask if padding_mask is None else padding_mask
        if padding_mask is not None:
            pm = np.asarray(padding_mask)
            if pm.shape != x.shape[:2]:
                raise ValueError(f"{type(self).__name__} '{self.name}': padding_mask must have shape "
                                 f"(batch, seq_len) = {x.shape[:2]}, got {pm.shape}")
            pm = pm.astype(bool)[:, None, :]
            attention_mask = pm if attention_mask is None else (np.asarray(attention_mask, bool) & pm)
        ln1, ln2 = self.self_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            x1 = x + self._attend(ln1(x), attention_mask, training)
            return x1 + self._ffn(ln2(x1), training)
        x1 = ln1(x + self._attend(x, attention_mask, training))
        return ln2(x1 + self._ffn(x1, training))

    def _attend(self, h, attention_mask, training):
        a = self.self_attention(h, attention_mask=attention_mask, use_causal_mask=self.causal,
                                training=training)
        return self.self_attention_dropout(a, training=training)

    def _ffn(self, h, training):
        f = self.feedforward_intermediate_dense(h, training=training)
        f = self.feedforward_output_dense(f, training=training)
        return self.feedforward_dropout(f, training=training)

    def _attend_backward(self, d):
        return self.self_attention.backward(self.self_attention_dropout.backward(d))

    def _ffn_backward(self, d):
        d = self.feedforward_output_dense.backward(self.feedforward_dropout.backward(d))
        return self.feedforward_intermediate_dense.backward(d)

    def backward(self, dy):
        if not self.built:
            self._get_cache()  # raises the standard 'backward() before forward()' error
        dy = np.asarray(dy, dtype=self.dtype)
        ln1, ln2 = self.self_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            dx1 = dy + ln2.backward(self._ffn_backward(dy))
            dx = dx1 + ln1.backward(self._attend_backward(dx1))
        else:
            ds2 = ln2.backward(dy)
            dx1 = ds2 + self._ffn_backward(ds2)
            ds1 = ln1.backward(dx1)
            dx = ds1 + self._attend_backward(ds1)
        return dx


class TransformerDecoderBlock(TransformerEncoderBlock):
    """GPT-style decoder block: the encoder block with *causal* self-attention (position t attends to
    positions <= t), no cross-attention. Same arguments, weights and call signature.

    Input (batch, T, d) -> output (batch, T, d).
    """

    causal = True
