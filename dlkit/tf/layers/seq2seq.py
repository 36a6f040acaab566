"""TensorFlow mirror of ``dlkit.np.layers.seq2seq``: ``AdditiveAttention`` and ``TransformerCrossDecoderBlock``.

Same arguments, formulas and weight names/order as dlkit.np (and as ``keras.layers.AdditiveAttention`` and
keras-hub's ``TransformerDecoder`` called with an encoder sequence), composed from explicit TF ops and the
dlkit.tf layers; gradients by ``tf.GradientTape``.
"""
import keras
import tensorflow as tf

from dlkit.tf.layers.attention import MultiHeadAttention
from dlkit.tf.layers.core import Dense, Dropout
from dlkit.tf.layers.normalization import LayerNormalization

__all__ = ["AdditiveAttention", "TransformerCrossDecoderBlock"]


class AdditiveAttention(keras.layers.Layer):
    """Bahdanau-style attention: ``scores = sum_d scale_d tanh(q_i + k_j)``, softmax over the values.

    ``call([query, value(, key)], mask=[query_mask, value_mask], training=None, return_attention_scores=False,
    use_causal_mask=False)``; weight ``scale (d,)`` if ``use_scale``.
    Input [query (batch, Tq, d), value (batch, Tv, dv)] -> output (batch, Tq, dv).
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= dropout < 1:
            raise ValueError(f"AdditiveAttention: dropout must be a number in [0, 1), got {dropout!r}")
        self.use_scale, self.dropout, self.seed = bool(use_scale), float(dropout), seed
        self._seed_gen = keras.random.SeedGenerator(seed) if dropout > 0 else None
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not 2 <= len(input_shape) <= 3:
            raise ValueError(f"AdditiveAttention '{self.name}': inputs must be a list [query, value] or "
                             f"[query, value, key], got input shape {input_shape}")
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform")

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"AdditiveAttention '{self.name}': inputs must be a list [query, value] or "
                             f"[query, value, key]")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        t = tf.tanh(q[:, :, None, :] + k[:, None, :, :])                  # (B, Tq, Tv, d)
        scores = tf.reduce_sum(t * self.scale if self.use_scale else t, axis=-1)
        q_mask, v_mask = (mask[0], mask[1]) if mask is not None else (None, None)
        score_mask = None if v_mask is None else tf.cast(v_mask, tf.bool)[:, None, :]
        if use_causal_mask:
            Tq, Tv = tf.shape(q)[1], tf.shape(v)[1]
            causal = (tf.range(Tq)[:, None] >= tf.range(Tv)[None, :])[None]
            score_mask = causal if score_mask is None else tf.logical_and(score_mask, causal)
        if score_mask is not None:
            big = 65504.0 if scores.dtype == tf.float16 else 1e9
            scores = tf.where(score_mask, scores, scores - tf.constant(big, scores.dtype))
        weights = tf.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = keras.random.dropout(weights, self.dropout, seed=self._seed_gen)
        out = tf.matmul(weights, v)
        if q_mask is not None:
            out = tf.where(tf.cast(q_mask, tf.bool)[:, :, None], out, tf.zeros_like(out))
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return None if mask is None or mask[0] is None else mask[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)


class TransformerCrossDecoderBlock(keras.layers.Layer):
    """Causal self-attention, cross-attention to the encoder, feed-forward; residual + LayerNorm each.

    ``call(decoder_sequence, encoder_sequence, decoder_padding_mask=None, decoder_attention_mask=None,
    encoder_padding_mask=None, encoder_attention_mask=None, use_causal_mask=True, training=None)``.
    Input decoder (batch, T, d), encoder (batch, S, d_enc) -> output (batch, T, d).
    """

    def __init__(self, num_heads, intermediate_dim=None, key_dim=None, dropout=0.0, activation="relu",
                 norm_first=False, epsilon=1e-5, ff_dim=None, **kwargs):
        super().__init__(**kwargs)
        intermediate_dim = intermediate_dim if intermediate_dim is not None else ff_dim
        if intermediate_dim is None:
            raise ValueError("TransformerCrossDecoderBlock: intermediate_dim (ff_dim) is required")
        self.num_heads, self.intermediate_dim, self.key_dim = int(num_heads), int(intermediate_dim), key_dim
        self.dropout, self.activation, self.norm_first, self.epsilon = dropout, activation, norm_first, epsilon

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        if encoder_sequence_shape is None:
            raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': encoder_sequence is required")
        dec, enc = tuple(decoder_sequence_shape), tuple(encoder_sequence_shape)
        d, dt = int(dec[-1]), self.dtype_policy
        key_dim = self.key_dim or max(1, d // self.num_heads)

        def norm(name):
            return LayerNormalization(epsilon=self.epsilon, dtype=dt, name=name)

        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout,
                                                 name="self_attention", dtype=dt)
        self.self_attention_layer_norm = norm("self_attention_layer_norm")
        self.cross_attention = MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout,
                                                  name="cross_attention", dtype=dt)
        self.cross_attention_layer_norm = norm("cross_attention_layer_norm")
        self.feedforward_intermediate_dense = Dense(self.intermediate_dim, activation=self.activation,
                                                    dtype=dt, name="feedforward_intermediate_dense")
        self.feedforward_output_dense = Dense(d, dtype=dt, name="feedforward_output_dense")
        self.feedforward_layer_norm = norm("feedforward_layer_norm")
        self.dropouts = [Dropout(self.dropout, dtype=dt) for _ in range(3)]
        self.self_attention.build(dec, dec)
        self.self_attention_layer_norm.build(dec)
        self.cross_attention.build(dec, enc)
        self.cross_attention_layer_norm.build(dec)
        self.feedforward_intermediate_dense.build(dec)
        self.feedforward_output_dense.build(dec[:-1] + (self.intermediate_dim,))
        self.feedforward_layer_norm.build(dec)

    @staticmethod
    def _mask(padding, attention):
        mask = None if padding is None else tf.cast(padding, tf.bool)[:, None, :]
        if attention is not None:
            am = tf.cast(attention, tf.bool)
            mask = am if mask is None else tf.logical_and(mask, am)
        return mask

    def call(self, decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
             decoder_attention_mask=None, encoder_padding_mask=None, encoder_attention_mask=None,
             use_causal_mask=True, training=None):
        if encoder_sequence is None:
            raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': encoder_sequence is required")
        x = tf.convert_to_tensor(decoder_sequence, self.compute_dtype)
        enc = tf.convert_to_tensor(encoder_sequence, self.compute_dtype)
        if x.shape.rank != 3 or enc.shape.rank != 3:
            raise ValueError(f"TransformerCrossDecoderBlock '{self.name}': expected decoder_sequence and "
                             f"encoder_sequence of shape (batch, seq_len, features), got {tuple(x.shape)} "
                             f"and {tuple(enc.shape)}")
        self_mask = self._mask(decoder_padding_mask, decoder_attention_mask)
        cross_mask = self._mask(encoder_padding_mask, encoder_attention_mask)
        drop_sa, drop_ca, drop_ff = self.dropouts

        def self_attend(h):
            a = self.self_attention(h, h, attention_mask=self_mask, use_causal_mask=bool(use_causal_mask),
                                    training=training)
            return drop_sa(a, training=training)

        def cross_attend(h):
            return drop_ca(self.cross_attention(h, enc, attention_mask=cross_mask, training=training),
                           training=training)

        def ffn(h):
            f = self.feedforward_output_dense(self.feedforward_intermediate_dense(h))
            return drop_ff(f, training=training)

        ln1, ln2, ln3 = self.self_attention_layer_norm, self.cross_attention_layer_norm, self.feedforward_layer_norm
        if self.norm_first:
            x1 = x + self_attend(ln1(x))
            x2 = x1 + cross_attend(ln2(x1))
            return x2 + ffn(ln3(x2))
        x1 = ln1(x + self_attend(x))
        x2 = ln2(x1 + cross_attend(x1))
        return ln3(x2 + ffn(x2))

    def compute_output_shape(self, decoder_sequence_shape, encoder_sequence_shape=None):
        return tuple(decoder_sequence_shape)
