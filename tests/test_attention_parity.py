"""Parity in float64 (atol 1e-6): dlkit.np = dlkit.tf = stock ``keras.layers.MultiHeadAttention``, forward,
attention scores and gradients w.r.t. every input and weight; dlkit.np = dlkit.tf for the Transformer
blocks and embeddings; token cross-entropy = Keras' sparse categorical cross-entropy."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit.np.layers as nl  # noqa: E402
import dlkit.tf.layers as tl  # noqa: E402
from dlkit.np.sequence import TokenCrossentropy  # noqa: E402

ATOL = 1e-6
rng = np.random.default_rng(42)

CASES = {
    # name: (num_heads, key_dim, value_dim, use_bias, T, S, d_query, d_value, d_key or None, mask kind)
    "self": (2, 3, None, True, 5, 5, 6, 6, None, None),
    "self_causal": (3, 4, None, True, 5, 5, 6, 6, None, "causal"),
    "padding_B1S": (2, 3, None, True, 4, 6, 6, 6, None, "padding"),
    "mask_BTS_and_causal": (2, 3, None, True, 5, 5, 6, 6, None, "random+causal"),
    "cross_key_ne_value": (2, 3, 4, True, 4, 6, 6, 5, 7, "padding"),
    "value_dim_ne_key_dim_no_bias": (4, 2, 5, False, 3, 4, 8, 8, None, None),
}


def make_mask(kind, B, T, S):
    if kind is None or kind == "causal":
        return None
    if kind == "padding":
        return (np.arange(S)[None, :] < np.array([S, S - 2])[:, None])[:, None, :]      # (B, 1, S)
    m = rng.random((B, T, S)) > 0.4                                                  # (B, T, S)
    m[:, :, 0] = True                                    # every query keeps >= 1 key (Keras' fused
    return m                                             # path averages fully masked rows instead)


def tf_grads(layer, query, value, key, dy, **kw):
    ts = [tf.constant(a) for a in (query, value, key) if a is not None]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = layer(*ts, **kw) if key is not None else layer(ts[0], ts[1], **kw)
        loss = tf.reduce_sum(y * dy)
    g = tape.gradient(loss, ts + layer.trainable_weights)
    return y.numpy(), [t.numpy() for t in g]


@pytest.mark.parametrize("case", list(CASES))
def test_mha_parity_np_tf_keras(case):
    h, kd, vd, bias, T, S, dq, dv, dk, mkind = CASES[case]
    B = 2
    query, value = rng.standard_normal((B, T, dq)), rng.standard_normal((B, S, dv))
    key = None if dk is None else rng.standard_normal((B, S, dk))
    mask = make_mask(mkind, B, T, S)
    kw = dict(attention_mask=mask, use_causal_mask=mkind is not None and "causal" in mkind)
    np_layer = nl.MultiHeadAttention(h, kd, value_dim=vd, use_bias=bias, dtype="float64")
    y_np = np_layer(query, value, key, **kw)
    dy = rng.standard_normal(y_np.shape)
    grads_np = list(np_layer.backward(dy)) + list(np_layer.grads.values())
    scores_np = np_layer.attention_scores

    tf_layer = tl.MultiHeadAttention(h, kd, value_dim=vd, use_bias=bias, dtype="float64")
    k_layer = keras.layers.MultiHeadAttention(h, kd, value_dim=vd, use_bias=bias, dtype="float64")
    for layer in (tf_layer, k_layer):
        layer(query, value, key)
        assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in np_layer.get_weights()]
        assert [w.path.split("/", 1)[1] for w in layer.weights] == list(np_layer.params)
        layer.set_weights(np_layer.get_weights())
        y, grads = tf_grads(layer, query, value, key, dy, **kw)
        np.testing.assert_allclose(y, y_np, atol=ATOL, rtol=0)
        assert len(grads) == len(grads_np)
        for g, g_np in zip(grads, grads_np):
            np.testing.assert_allclose(g, g_np, atol=ATOL, rtol=0)
        _, scores = layer(query, value, key, return_attention_scores=True, **kw)
        np.testing.assert_allclose(scores.numpy(), scores_np, atol=ATOL, rtol=0)
    assert scores_np.shape == (B, h, T, S)


def test_mha_float32_parity_with_keras():
    x = rng.standard_normal((4, 7, 16)).astype("float32")
    np_layer = nl.MultiHeadAttention(4, 8)
    y = np_layer(x, x, use_causal_mask=True)
    k_layer = keras.layers.MultiHeadAttention(4, 8)
    k_layer(x, x)
    k_layer.set_weights(np_layer.get_weights())
    assert y.dtype == np.float32
    np.testing.assert_allclose(k_layer(x, x, use_causal_mask=True).numpy(), y, atol=1e-5)


def block_grads_tf(block, x, dy, **kw):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = block(xt, **kw)
        loss = tf.reduce_sum(y * dy)
    return y.numpy(), [g.numpy() for g in tape.gradient(loss, [xt] + block.trainable_weights)]


@pytest.mark.parametrize("kind", ["encoder", "decoder"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_block_parity_np_tf(kind, norm_first):
    B, T, d = 2, 5, 8
    np_cls = nl.TransformerEncoderBlock if kind == "encoder" else nl.TransformerDecoderBlock
    tf_cls = tl.TransformerEncoderBlock if kind == "encoder" else tl.TransformerDecoderBlock
    args = dict(num_heads=2, intermediate_dim=12, activation="gelu", norm_first=norm_first, dtype="float64")
    x = rng.standard_normal((B, T, d))
    pad = np.arange(T)[None, :] < np.array([T, 3])[:, None]
    np_block, tf_block = np_cls(**args), tf_cls(**args)
    y_np = np_block(x, padding_mask=pad)
    dy = rng.standard_normal(y_np.shape)
    grads_np = [np_block.backward(dy)] + list(np_block.grads.values())
    tf_block(x, padding_mask=pad)
    assert [w.path.split("/", 1)[1] for w in tf_block.weights] == list(np_block.params)
    tf_block.set_weights(np_block.get_weights())
    y_tf, grads_tf = block_grads_tf(tf_block, x, dy, padding_mask=pad)
    np.testing.assert_allclose(y_tf, y_np, atol=ATOL, rtol=0)
    assert len(grads_tf) == len(grads_np) == 17
    for g_tf, g_np in zip(grads_tf, grads_np):
        np.testing.assert_allclose(g_tf, g_np, atol=ATOL, rtol=0)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_embeddings_parity_np_tf(positional):
    ids = rng.integers(0, 9, (3, 6))
    np_emb = nl.TokenAndPositionEmbedding(9, 8, 4, positional=positional, dtype="float64")
    tf_emb = tl.TokenAndPositionEmbedding(9, 8, 4, positional=positional, dtype="float64")
    y_np = np_emb(ids)
    tf_emb(ids)
    tf_emb.set_weights(np_emb.get_weights())
    dy = rng.standard_normal(y_np.shape)
    np_emb.backward(dy)
    with tf.GradientTape() as tape:
        y_tf = tf_emb(ids)
        loss = tf.reduce_sum(y_tf * dy)
    grads = tape.gradient(loss, tf_emb.trainable_weights)
    np.testing.assert_allclose(y_tf.numpy(), y_np, atol=ATOL, rtol=0)
    for g, g_np in zip(grads, np_emb.grads.values()):
        np.testing.assert_allclose(tf.convert_to_tensor(g).numpy(), g_np, atol=ATOL, rtol=0)
    x = rng.standard_normal((2, 7, 6))
    np.testing.assert_allclose(tl.PositionalEncoding(dtype="float64")(x).numpy(),
                               nl.PositionalEncoding(dtype="float64")(x), atol=1e-12)


def test_token_crossentropy_matches_keras():
    y = rng.integers(0, 7, (3, 5))
    logits = rng.standard_normal((3, 5, 7))
    mask = rng.random((3, 5)) > 0.3
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ours = TokenCrossentropy(from_logits=True)
    np.testing.assert_allclose(ours(y, logits), keras_loss(y, logits).numpy(), atol=ATOL)
    np.testing.assert_allclose(ours(y, logits, mask), keras_loss(y[mask], logits[mask]).numpy(), atol=ATOL)
    lt = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(lt)
        loss = keras_loss(y[mask], tf.boolean_mask(lt, mask))
    np.testing.assert_allclose(ours.backward(), tape.gradient(loss, lt).numpy(), atol=ATOL)
