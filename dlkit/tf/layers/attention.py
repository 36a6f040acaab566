"""TensorFlow mirror of ``dlkit.np.layers.attention``: ``MultiHeadAttention`` with explicit TF ops.

Same arguments, weight names and order as ``keras.layers.MultiHeadAttention`` (variable paths
``<name>/query/kernel``, ``<name>/query/bias``, ..., ``<name>/attention_output/bias``), so
``set_weights`` works between dlkit.np, dlkit.tf and stock Keras. Gradients come from ``tf.GradientTape``.
"""
import math

import keras
import tensorflow as tf

__all__ = ["MultiHeadAttention"]


class _HeadProjection(keras.layers.Layer):
    """``(B, L, d) -> (B, L, heads, out)`` with kernel ``(d, heads, out)`` (or the output projection
    ``(B, L, heads, v) -> (B, L, d_out)`` with kernel ``(heads, v, d_out)`` when ``merge=True``)."""

    def __init__(self, kernel_shape, bias_shape, use_bias, kernel_initializer, bias_initializer,
                 merge=False, **kwargs):
        super().__init__(**kwargs)
        self.kernel_shape, self.bias_shape, self.use_bias, self.merge = kernel_shape, bias_shape, use_bias, merge
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape, initializer=kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=bias_shape, initializer=bias_initializer)
                     if use_bias else None)
        self.built = True

    def call(self, x):
        shape = tf.shape(x)
        if self.merge:
            h, v, d = self.kernel_shape
            y = tf.matmul(tf.reshape(x, (-1, h * v)), tf.reshape(self.kernel, (h * v, d)))
            if self.use_bias:
                y = y + self.bias
            return tf.reshape(y, tf.concat([shape[:2], [d]], 0))
        d, h, o = self.kernel_shape
        y = tf.matmul(tf.reshape(x, (-1, d)), tf.reshape(self.kernel, (d, h * o)))
        if self.use_bias:
            y = y + tf.reshape(self.bias, (h * o,))
        return tf.reshape(y, tf.concat([shape[:2], [h, o]], 0))


class MultiHeadAttention(keras.layers.Layer):
    """Keras-compatible multi-head attention; ``call(query, value, key=None, attention_mask=None,
    use_causal_mask=False, training=None, return_attention_scores=False)``. ``value=None`` means
    self-attention on ``query``. ``attention_scores`` holds the last eager call's weights (B, h, T, S)."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.attention_scores = None
        self._seed_gen = keras.random.SeedGenerator(seed) if dropout > 0 else None

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        common = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer, dtype=self.dtype_policy)
        self.query_dense = _HeadProjection((query_shape[-1], h, kd), (h, kd), name="query", **common)
        self.key_dense = _HeadProjection((key_shape[-1], h, kd), (h, kd), name="key", **common)
        self.value_dense = _HeadProjection((value_shape[-1], h, vd), (h, vd), name="value", **common)
        self.output_dense = _HeadProjection((h, vd, query_shape[-1]), (query_shape[-1],), merge=True,
                                            name="attention_output", **common)
        self.built = True

    def __call__(self, query, value=None, key=None, **kwargs):
        if not self.built:
            qs = tuple(query.shape)
            vs = qs if value is None else tuple(value.shape)
            self.build(qs, vs, vs if key is None else tuple(key.shape))
        return super().__call__(query, value, key, **kwargs)

    def call(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
             training=None, return_attention_scores=False):
        value = query if value is None else value
        key = value if key is None else key
        for nm, a in (("query", query), ("value", value), ("key", key)):
            if a.shape.rank != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': expected {nm} of rank 3 "
                                 f"(batch, seq_len, features), got shape {tuple(a.shape)}")
        q = tf.transpose(self.query_dense(query), (0, 2, 1, 3))      # (B, h, T, dk)
        k = tf.transpose(self.key_dense(key), (0, 2, 1, 3))          # (B, h, S, dk)
        v = tf.transpose(self.value_dense(value), (0, 2, 1, 3))      # (B, h, S, dv)
        q = q * tf.constant(1.0 / math.sqrt(self.key_dim), dtype=q.dtype)
        scores = tf.matmul(q, k, transpose_b=True)                   # (B, h, T, S)
        T, S = tf.shape(query)[1], tf.shape(value)[1]
        mask = None
        if attention_mask is not None:
            mask = tf.cast(attention_mask, tf.bool)
            if mask.shape.rank == 2:
                mask = mask[None]
            if mask.shape.rank == 3:
                mask = mask[:, None]
        if use_causal_mask:
            causal = tf.range(T)[:, None] >= tf.range(S)[None, :]
            mask = causal[None, None] if mask is None else tf.logical_and(mask, causal[None, None])
        if mask is not None:
            big_neg = tf.constant(-0.7 * 3.38953e38, dtype=scores.dtype)
            scores = tf.where(mask, scores, big_neg)
        probs = tf.nn.softmax(scores, axis=-1)
        if mask is not None:
            probs = tf.where(mask, probs, tf.zeros_like(probs))
        if tf.executing_eagerly():
            self.attention_scores = probs
        pd = probs
        if training and self.dropout > 0:
            pd = keras.random.dropout(probs, self.dropout, seed=self._seed_gen)
        ctx = tf.transpose(tf.matmul(pd, v), (0, 2, 1, 3))           # (B, T, h, dv)
        out = self.output_dense(ctx)
        if return_attention_scores:
            return out, probs
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)
