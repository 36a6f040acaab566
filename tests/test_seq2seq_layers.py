"""AdditiveAttention and TransformerCrossDecoderBlock (dlkit.np.layers.seq2seq, dlkit.tf.layers.seq2seq).

References: central differences in float64 (every input and weight gradient), stock
``keras.layers.AdditiveAttention`` and ``keras_hub.layers.TransformerDecoder`` (forward and TF-autograd
gradients with copied weights), the dlkit.tf mirrors, and a naive loop implementation of Bahdanau attention.
TensorFlow is imported inside the tests only.
"""
import numpy as np
import pytest

import dlkit.np as dnp
from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.np.layers import AdditiveAttention, Dense, TransformerCrossDecoderBlock

TOL = 1e-6       # central differences, float64 (a wrong backward gives ~1e-1)
ATOL = 1e-9      # float64 parity with Keras / TF autograd
rng = np.random.default_rng(16)


def randn(*shape):
    return rng.standard_normal(shape)


def lengths_mask(B, L, lengths):  # (B, L), True = real position
    return np.arange(L)[None, :] < np.asarray(lengths)[:, None]


def close(analytic, numeric):
    """Entrywise to 1e-8 absolute / 1e-5 relative, and ``scaled_rel_error`` < TOL unless the gradient is 0 in
    exact arithmetic (the key bias: softmax ignores a per-row shift); h = 1e-5 noise is ~1e-10 absolute."""
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    return max(np.abs(analytic).max(), np.abs(numeric).max()) < 1e-8 or scaled_rel_error(analytic, numeric) < TOL


def numeric_grads(f, arrays):
    """Central-difference gradients of the scalar f() w.r.t. each array (perturbed in place)."""
    return [eval_numerical_gradient(lambda _: f(), a) for a in arrays]


def tf_modules():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    import dlkit.tf.layers as tl
    return tf, keras, tl


def tape_grads(tf, fn, arrays, weights, dys):
    """Forward ``fn(*tensors)`` and TF-autograd gradients of sum(out_i * dy_i) w.r.t. arrays + weights."""
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        outs = fn(*ts)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        loss = sum(tf.reduce_sum(o * dy) for o, dy in zip(outs, dys))
    return [o.numpy() for o in outs], [g.numpy() for g in tape.gradient(loss, ts + list(weights))]


# -- AdditiveAttention ------------------------------------------------------------------------------
ATT_CASES = {
    # name: (with key, use_scale, query mask, value mask, causal, dv)
    "plain": (False, True, False, False, False, 4),
    "key_masks": (True, True, True, True, False, 5),
    "no_scale_causal": (False, False, False, True, True, 4),
    "key_all_masks_causal": (True, True, True, True, True, 3),
}
# + a fully masked row: Keras' scores - 1e9 keeps ~7 digits in float64, too few for central differences
ATT_CASES_PARITY = dict(ATT_CASES, fully_masked_row=(False, True, False, "first", True, 4))


def att_inputs(case, B=2, Tq=3, Tv=5, d=4):
    has_key, _, qm, vm, causal, dv = ATT_CASES_PARITY[case]
    dv = d if not has_key else dv
    q, v = randn(B, Tq, d), randn(B, Tv, dv)
    inputs = [q, v, randn(B, Tv, d)] if has_key else [q, v]
    mask = None
    if qm or vm:
        vmask = lengths_mask(B, Tv, [3, Tv])
        if vm == "first":                                # with the causal mask: query 0 of example 1 sees
            vmask = np.arange(Tv)[None] != np.array([[-1], [0]])   # no key (Keras subtracts 1e9 anyway)
        mask = [lengths_mask(B, Tq, [Tq, 2]) if qm else None, vmask if vm else None]
    return inputs, dict(mask=mask, use_causal_mask=causal)


@pytest.mark.parametrize("case", list(ATT_CASES))
def test_additive_attention_gradcheck(case):
    inputs, kw = att_inputs(case)
    layer = AdditiveAttention(use_scale=ATT_CASES[case][1], dtype="float64")
    out, scores = layer(inputs, return_attention_scores=True, **kw)
    dy, ds = randn(*out.shape), randn(*scores.shape)
    grads = layer.backward([dy, ds])
    assert len(grads) == len(inputs) and list(layer.grads) == (["scale"] if layer.use_scale else [])

    def loss():
        o, s = layer(inputs, return_attention_scores=True, **kw)
        return np.sum(o * dy) + np.sum(s * ds)

    arrays = inputs + [layer.params[k] for k in layer.grads]
    for analytic, numeric in zip(grads + list(layer.grads.values()), numeric_grads(loss, arrays)):
        assert close(analytic, numeric)


def test_additive_attention_dropout_gradcheck():
    q, v = randn(2, 3, 4), randn(2, 4, 4)
    layer = AdditiveAttention(dropout=0.4, dtype="float64")

    def run():
        layer.rng = np.random.default_rng(5)             # the same dropout mask on every call
        return layer([q, v], training=True)

    out = run()
    assert not np.allclose(out, layer([q, v]))           # inference: no dropout
    out = run()
    assert np.any(layer.attention_scores == 0)           # Keras returns the weights after dropout
    dy = randn(*out.shape)
    grads = layer.backward(dy) + [layer.grads["scale"]]
    for analytic, numeric in zip(grads, numeric_grads(lambda: np.sum(run() * dy), [q, v, layer.params["scale"]])):
        assert close(analytic, numeric)


@pytest.mark.parametrize("case", list(ATT_CASES_PARITY))
def test_additive_attention_parity_keras_and_tf(case):
    tf, keras, tl = tf_modules()
    inputs, kw = att_inputs(case)
    use_scale = ATT_CASES_PARITY[case][1]
    np_layer = AdditiveAttention(use_scale=use_scale, dtype="float64")
    out_np, scores_np = np_layer(inputs, return_attention_scores=True, **kw)
    dy, ds = randn(*out_np.shape), randn(*scores_np.shape)
    grads_np = np_layer.backward([dy, ds]) + list(np_layer.grads.values())
    allowed = np.ones(scores_np.shape, bool)
    if kw["mask"] is not None and kw["mask"][1] is not None:
        allowed &= kw["mask"][1][:, None, :]
    if kw["use_causal_mask"]:
        allowed &= np.tri(*scores_np.shape[1:], dtype=bool)
    rows = allowed.any(-1, keepdims=True)                # masked keys get exactly zero weight
    assert np.all(scores_np[~allowed & rows] == 0) and np.all(rows) == (case != "fully_masked_row")
    for cls in (keras.layers.AdditiveAttention, tl.AdditiveAttention):
        layer = cls(use_scale=use_scale, dtype="float64")
        layer([tf.constant(a) for a in inputs])
        assert [w.path.split("/", 1)[1] for w in layer.weights] == list(np_layer.params)
        layer.set_weights(np_layer.get_weights())
        outs, grads = tape_grads(tf, lambda *ts: layer(list(ts), return_attention_scores=True, **kw),
                                 inputs, layer.trainable_weights, [dy, ds])
        np.testing.assert_allclose(outs[0], out_np, atol=ATOL, rtol=0)
        np.testing.assert_allclose(outs[1], scores_np, atol=ATOL, rtol=0)
        assert len(grads) == len(grads_np)
        for g, g_np in zip(grads, grads_np):
            np.testing.assert_allclose(g, g_np, atol=ATOL, rtol=0)


def test_additive_attention_float32_masks_from_embeddings_match_keras():
    """float32 (the default) in a functional Model: Embedding(mask_zero=True) masks arrive as
    mask=[query_mask, value_mask], as in Keras; to_keras builds the Keras twin with the same weights."""
    tf_modules()
    from dlkit.np.keras_bridge import from_keras, to_keras
    q_in, v_in = dnp.Input((4,), dtype="int64"), dnp.Input((6,), dtype="int64")
    emb, att = [dnp.layers.Embedding(10, 5, mask_zero=True) for _ in range(2)], AdditiveAttention()
    model = dnp.Model([q_in, v_in], att([emb[0](q_in), emb[1](v_in)]))
    ids = [np.array([[1, 2, 0, 0], [3, 4, 5, 0]]), np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]])]
    out = model(ids)
    assert out.dtype == np.float32 and att.params["scale"].shape == (5,) and out.shape == (2, 4, 5)
    assert np.all(out[0, 2:] == 0) and np.all(out[1, 3:] == 0)                 # padded queries
    assert np.all(att.attention_scores[0, :, 3:] == 0) and att.attention_scores[0, :, 2].min() > 0
    np.testing.assert_allclose(to_keras(model)(ids).numpy(), out, atol=1e-5)
    np.testing.assert_allclose(from_keras(to_keras(model))(ids), out, atol=1e-6)


def naive_bahdanau(s, h, W, U, b, va):
    """e_ij = va . tanh(W^T s_i + U^T h_j + b); a_i = softmax_j(e_i); c_i = sum_j a_ij h_j (loops)."""
    B, T, S = s.shape[0], s.shape[1], h.shape[1]
    c, a = np.zeros((B, T, h.shape[2])), np.zeros((B, T, S))
    for n in range(B):
        for i in range(T):
            e = np.array([va @ np.tanh(W.T @ s[n, i] + U.T @ h[n, j] + b) for j in range(S)])
            a[n, i] = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
            c[n, i] = sum(a[n, i, j] * h[n, j] for j in range(S))
    return c, a


def test_dense_projections_give_original_bahdanau_and_model_gradients():
    """Dense(W_a) on the decoder states, Dense(U_a) on the encoder states, then AdditiveAttention
    = the original Bahdanau formula; the functional Model's backward matches finite differences."""
    dnp.set_seed(3)
    s_in, h_in = dnp.Input((3, 4), dtype="float64"), dnp.Input((5, 6), dtype="float64")
    wq, uk = Dense(7, use_bias=False, dtype="float64"), Dense(7, dtype="float64")
    att = AdditiveAttention(dtype="float64")
    model = dnp.Model([s_in, h_in], att([wq(s_in), h_in, uk(h_in)]))
    s, h = randn(2, 3, 4), randn(2, 5, 6)
    uk.params["bias"][...] = randn(7)
    c = model([s, h])
    c_ref, a_ref = naive_bahdanau(s, h, wq.params["kernel"], uk.params["kernel"], uk.params["bias"],
                                  att.params["scale"])
    np.testing.assert_allclose(c, c_ref, atol=1e-12)
    np.testing.assert_allclose(att.attention_scores, a_ref, atol=1e-12)
    dy = randn(*c.shape)
    ds, dh = model.backward(dy)
    for analytic, numeric in zip([ds, dh, att.grads["scale"], uk.grads["kernel"]],
                                 numeric_grads(lambda: np.sum(model([s, h]) * dy),
                                               [s, h, att.params["scale"], uk.params["kernel"]])):
        assert close(analytic, numeric)


def test_additive_attention_bad_input_errors():
    q, v = randn(2, 3, 4), randn(2, 5, 4)
    layer = AdditiveAttention(dtype="float64")
    with pytest.raises(RuntimeError, match="backward"):
        layer.backward(randn(2, 3, 4))
    for match, call in [(r"list \[query, value\]", lambda: layer(q)), ("length 4", lambda: layer([q, v, v, v])),
                        ("query and key need the same feature size", lambda: layer([q, randn(2, 5, 3)])),
                        ("key and value need the same length", lambda: layer([q, v, randn(2, 4, 4)])),
                        ("value must have shape", lambda: layer([q, randn(2, 5)])),
                        ("value_mask must have shape", lambda: layer([q, v], mask=[None, np.ones((2, 4))])),
                        ("mask must be a list", lambda: layer([q, v], mask=np.ones((2, 5), bool))),
                        ("dropout", lambda: AdditiveAttention(dropout=1.0))]:
        with pytest.raises(ValueError, match=match):
            call()
    layer([q, v])
    with pytest.raises(ValueError, match="dy must have shape"):
        layer.backward(randn(2, 3, 5))
    with pytest.raises(TypeError, match="use_scale"):
        AdditiveAttention(use_scale="yes")


# -- TransformerCrossDecoderBlock ---------------------------------------------------------------------
def block_case(B=2, T=4, S=5, d=4, d_enc=4):
    x, enc = randn(B, T, d), randn(B, S, d_enc)
    masks = dict(decoder_padding_mask=lengths_mask(B, T, [T, 3]), encoder_padding_mask=lengths_mask(B, S, [S, 3]))
    return x, enc, masks


@pytest.mark.parametrize("norm_first", [False, True])
def test_cross_decoder_block_gradcheck(norm_first):
    x, enc, masks = block_case(T=3, S=4, d=4, d_enc=6)
    block = TransformerCrossDecoderBlock(num_heads=2, intermediate_dim=5, activation="gelu",
                                         norm_first=norm_first, dtype="float64")
    y = block(x, enc, **masks)
    for p in block.params.values():                      # move LayerNorm's gamma/beta off 1/0
        p += 0.1 * randn(*p.shape)
    y = block(x, enc, **masks)
    dy = randn(*y.shape)
    dx, denc = block.backward(dy)
    assert dx.shape == x.shape and denc.shape == enc.shape
    assert len(block.grads) == 26 and list(block.grads) == list(block.params)
    analytic = [dx, denc] + list(block.grads.values())
    numeric = numeric_grads(lambda: np.sum(block(x, enc, **masks) * dy), [x, enc] + list(block.params.values()))
    for name, a, n in zip(["x", "enc"] + list(block.grads), analytic, numeric):
        assert close(a, n), name


def test_cross_decoder_block_dropout_gradcheck():
    x, enc, masks = block_case(T=3, S=4)
    block = TransformerCrossDecoderBlock(2, 6, dropout=0.3, norm_first=True, dtype="float64")

    def run():
        dnp.set_seed(11)                                 # the same dropout masks on every call
        return block(x, enc, training=True, **masks)

    y = run()
    assert not np.allclose(y, block(x, enc, **masks))
    y = run()
    dy = randn(*y.shape)
    dx, denc = block.backward(dy)
    some = ["cross_attention/query/kernel", "self_attention/value/kernel", "feedforward_output_dense/kernel"]
    analytic = [dx, denc] + [block.grads[k] for k in some]
    for a, n in zip(analytic, numeric_grads(lambda: np.sum(run() * dy), [x, enc] + [block.params[k] for k in some])):
        assert close(a, n)


@pytest.mark.parametrize("norm_first", [False, True])
def test_cross_decoder_block_parity_keras_hub_and_tf(norm_first):
    tf, _, tl = tf_modules()
    keras_hub = pytest.importorskip("keras_hub")
    x, enc, masks = block_case(T=5, S=6, d=8, d_enc=8)
    # relu (keras-hub's default): dlkit.tf's gelu casts sqrt(2) through float32 (~5e-9 off in float64)
    np_block = TransformerCrossDecoderBlock(2, 12, norm_first=norm_first, dtype="float64")
    y_np = np_block(x, enc, **masks)
    dy = randn(*y_np.shape)
    grads_np = list(np_block.backward(dy)) + list(np_block.grads.values())
    hub = keras_hub.layers.TransformerDecoder(12, 2, normalize_first=norm_first, dtype="float64")
    mirror = tl.TransformerCrossDecoderBlock(2, 12, norm_first=norm_first, dtype="float64")
    for layer in (hub, mirror):
        layer(x, enc)
        assert [w.path.split("/", 1)[1] for w in layer.weights] == list(np_block.params)
        layer.set_weights(np_block.get_weights())
        (y,), grads = tape_grads(tf, lambda a, b: layer(a, b, **masks), [x, enc], layer.trainable_weights, [dy])
        # keras-hub casts 1/sqrt(key_dim) through float32 even in float64 (~1e-8 relative; see attention.py)
        atol = 1e-6 if layer is hub else ATOL
        np.testing.assert_allclose(y, y_np, atol=atol, rtol=0)
        assert len(grads) == len(grads_np) == 28
        for g, g_np in zip(grads, grads_np):
            np.testing.assert_allclose(g, g_np, atol=atol, rtol=0)


def test_cross_decoder_block_masks_causality_and_functional_model():
    x, enc, masks = block_case(T=4, S=5, d=6, d_enc=3)
    dnp.set_seed(4)
    block = TransformerCrossDecoderBlock(3, 8, dtype="float64")
    y = block(x, enc, **masks)
    enc2, x2 = enc.copy(), x.copy()
    enc2[1, 3:] = randn(2, 3)                            # padded encoder positions: no effect
    x2[:, 2:] = randn(2, 2, 6)                           # future decoder positions: no effect on t < 2
    np.testing.assert_allclose(block(x, enc2, **masks), y, atol=1e-12)
    np.testing.assert_allclose(block(x2, enc, **masks)[:, :2], y[:, :2], atol=1e-12)
    assert not np.allclose(block(x2, enc, use_causal_mask=False, **masks)[:, :2], y[:, :2])
    block(x, enc, **masks)
    dx, denc = block.backward(np.ones_like(y))
    assert np.all(denc[1, 3:] == 0) and np.all(denc[0] != 0)
    # in a functional Model the block receives (decoder, encoder) and backward returns both gradients
    dec_in, enc_in = dnp.Input((4, 6), dtype="float64"), dnp.Input((5, 3), dtype="float64")
    model = dnp.Model([dec_in, enc_in], block(dec_in, enc_in))
    np.testing.assert_allclose(model([x, enc]), block(x, enc), atol=1e-12)
    model([x, enc])
    model_grads = model.backward(np.ones_like(y))
    block(x, enc)
    for g_model, g_block in zip(model_grads, block.backward(np.ones_like(y))):
        np.testing.assert_allclose(g_model, g_block, atol=1e-12)


def test_cross_decoder_block_bad_input_errors():
    x, enc = randn(2, 4, 6), randn(2, 5, 6)
    block = TransformerCrossDecoderBlock(2, 8, dtype="float64")
    with pytest.raises(RuntimeError, match="backward"):
        block.backward(randn(2, 4, 6))
    for match, call in [("encoder_sequence is required", lambda: block(x)),
                        ("encoder_sequence must have shape", lambda: block(x, randn(3, 5, 6))),
                        ("encoder_padding_mask must have shape",
                         lambda: block(x, enc, encoder_padding_mask=np.ones((2, 4), bool))),
                        ("decoder_attention_mask must have shape",
                         lambda: block(x, enc, decoder_attention_mask=np.ones((2, 4, 5), bool))),
                        ("intermediate_dim", lambda: TransformerCrossDecoderBlock(2))]:
        with pytest.raises(ValueError, match=match):
            call()
