"""TensorFlow mirror of ``dlkit.np.layers.transformer``: positional encodings and Transformer blocks.

Same arguments, formulas and weight order as dlkit.np (``self_attention`` (8 weights),
``self_attention_layer_norm``, ``feedforward_layer_norm``, ``feedforward_intermediate_dense``,
``feedforward_output_dense``), composed from the dlkit.tf layers; gradients by ``tf.GradientTape``.
Post-norm by default (``norm_first=False``); ``norm_first=True`` is pre-norm (GPT-2).
"""
import keras
import tensorflow as tf

from dlkit.shared import sinusoidal_encoding  # noqa: F401 (re-exported: one definition, in dlkit.shared)
from dlkit.tf.layers.attention import MultiHeadAttention
from dlkit.tf.layers.core import Dense, Dropout
from dlkit.tf.layers.embedding import Embedding
from dlkit.tf.layers.normalization import LayerNormalization

__all__ = ["sinusoidal_encoding", "PositionalEncoding", "TokenAndPositionEmbedding",
           "TransformerEncoderBlock", "TransformerDecoderBlock"]


def _encoding(x, depth, max_wavelength, dtype):
    """dlkit.shared.sinusoidal_encoding for the sequence length of x (B, T, ...) as a (1, T, depth) tensor
    (a constant when T is static, a tf.numpy_function when it is only known at run time)."""
    if x.shape[1] is not None:
        return tf.constant(sinusoidal_encoding(x.shape[1], depth, max_wavelength, "float64")[None], dtype)
    enc = tf.numpy_function(lambda t: sinusoidal_encoding(int(t), depth, max_wavelength, "float64"),
                            [tf.shape(x)[1]], tf.float64)
    return tf.cast(tf.reshape(enc, (1, -1, depth)), dtype)


class PositionalEncoding(keras.layers.Layer):
    """``y = x + PE[:T]`` for ``x (B, T, d)``; no weights."""

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        if x.shape.rank != 3:
            raise ValueError(f"PositionalEncoding '{self.name}': expected input of shape "
                             f"(batch, seq_len, features), got {tuple(x.shape)}")
        return x + _encoding(x, x.shape[-1], self.max_wavelength, x.dtype)


class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token ids ``(B, T)`` -> token embedding + learned (or sinusoidal) position embedding."""

    def __init__(self, vocabulary_size, sequence_length, embedding_dim, positional="learned",
                 embeddings_initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(f"TokenAndPositionEmbedding: positional must be 'learned' or 'sinusoidal', "
                             f"got {positional!r}")
        self.sequence_length, self.positional = int(sequence_length), positional
        self.token_embedding = Embedding(vocabulary_size, embedding_dim, embeddings_initializer,
                                         name="token_embedding", dtype=self.dtype_policy)
        self.position_embedding = None
        if positional == "learned":
            self.position_embedding = Embedding(sequence_length, embedding_dim, embeddings_initializer,
                                                name="position_embedding", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.token_embedding.build(input_shape)
        if self.position_embedding is not None:
            self.position_embedding.build((1, self.sequence_length))

    def call(self, ids):
        T = tf.shape(ids)[1]
        y = self.token_embedding(ids)
        if self.position_embedding is not None:
            return y + self.position_embedding(tf.range(T)[None])
        return y + _encoding(ids, y.shape[-1], 10000, y.dtype)


class TransformerEncoderBlock(keras.layers.Layer):
    """Self-attention + FFN block; ``call(x, padding_mask=None, attention_mask=None, training=None)``."""

    causal = False

    def __init__(self, num_heads, intermediate_dim=None, key_dim=None, dropout=0.0, activation="relu",
                 norm_first=False, epsilon=1e-5, ff_dim=None, **kwargs):
        super().__init__(**kwargs)
        intermediate_dim = intermediate_dim if intermediate_dim is not None else ff_dim
        if intermediate_dim is None:
            raise ValueError(f"{type(self).__name__}: intermediate_dim (ff_dim) is required")
        self.num_heads, self.intermediate_dim, self.key_dim = int(num_heads), int(intermediate_dim), key_dim
        self.dropout, self.activation, self.norm_first, self.epsilon = dropout, activation, norm_first, epsilon

    def build(self, input_shape):
        d, dt = int(input_shape[-1]), self.dtype_policy
        key_dim = self.key_dim or max(1, d // self.num_heads)
        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout,
                                                 name="self_attention", dtype=dt)
        self.self_attention_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt,
                                                            name="self_attention_layer_norm")
        self.feedforward_layer_norm = LayerNormalization(epsilon=self.epsilon, dtype=dt,
                                                         name="feedforward_layer_norm")
        self.feedforward_intermediate_dense = Dense(self.intermediate_dim, activation=self.activation,
                                                    dtype=dt, name="feedforward_intermediate_dense")
        self.feedforward_output_dense = Dense(d, dtype=dt, name="feedforward_output_dense")
        self.self_attention_dropout = Dropout(self.dropout, dtype=dt)
        self.feedforward_dropout = Dropout(self.dropout, dtype=dt)
        shape = tuple(input_shape)
        self.self_attention.build(shape, shape)
        self.self_attention_layer_norm.build(shape)
        self.feedforward_layer_norm.build(shape)
        self.feedforward_intermediate_dense.build(shape)
        self.feedforward_output_dense.build(shape[:-1] + (self.intermediate_dim,))

    def call(self, x, padding_mask=None, attention_mask=None, training=None):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        if x.shape.rank != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, seq_len, features), got {tuple(x.shape)}")
        if padding_mask is not None:
            pm = tf.cast(padding_mask, tf.bool)[:, None, :]
            attention_mask = pm if attention_mask is None else tf.logical_and(
                tf.cast(attention_mask, tf.bool), pm)

        def attend(h):
            a = self.self_attention(h, h, attention_mask=attention_mask, use_causal_mask=self.causal,
                                    training=training)
            return self.self_attention_dropout(a, training=training)

        def ffn(h):
            f = self.feedforward_output_dense(self.feedforward_intermediate_dense(h))
            return self.feedforward_dropout(f, training=training)

        ln1, ln2 = self.self_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            x1 = x + attend(ln1(x))
            return x1 + ffn(ln2(x1))
        x1 = ln1(x + attend(x))
        return ln2(x1 + ffn(x1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class TransformerDecoderBlock(TransformerEncoderBlock):
    """GPT-style decoder block: causal self-attention only (no cross-attention)."""

    causal = True
