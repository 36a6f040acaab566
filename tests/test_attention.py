"""Gradient checks (float64) for attention, MultiHeadAttention, Transformer blocks and token losses,
plus mask semantics and bad-input errors."""
import numpy as np
import pytest

from dlkit.gradcheck import check_layer, eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from dlkit.np.functional import attention as F
from dlkit.np.layers import (MultiHeadAttention, PositionalEncoding, TokenAndPositionEmbedding,
                             TransformerDecoderBlock, TransformerEncoderBlock)
from dlkit.np.sequence import (TokenCrossentropy, TransformerLM, sequence_sparse_categorical_crossentropy,
                               token_accuracy)

TOL = 1e-7
rng = np.random.default_rng(0)


def gerr(a, b):
    """Relative error of a gradient as a whole, ||a - b|| / max(1e-3, ||a|| + ||b||); entrywise the two
    must also agree to rtol 1e-5 / atol 1e-8 (the CS231n entrywise rel_error is noisy for entries near 0,
    e.g. the key bias gradient, which is exactly 0 because softmax ignores a per-row shift)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    return float(np.linalg.norm(a - b) / max(1e-3, np.linalg.norm(a) + np.linalg.norm(b)))


def randn(*shape):
    return rng.standard_normal(shape)


def padding(B, S, lengths):  # (B, S), True = real token
    return np.arange(S)[None, :] < np.asarray(lengths)[:, None]


# -- functional core ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mask_kind", [None, "causal", "padding", "random"])
def test_sdpa_gradcheck(mask_kind):
    B, h, T, S, dk, dv = 2, 2, 3, 4, 3, 2
    q, k, v, dout = randn(B, h, T, dk), randn(B, h, S, dk), randn(B, h, S, dv), randn(B, h, T, dv)
    mask = {None: None, "causal": F.causal_mask(T, S)[:, None],
            "padding": padding(B, S, [4, 2])[:, None, None, :],
            "random": rng.random((B, 1, T, S)) > 0.4}[mask_kind]
    out, cache = F.scaled_dot_product_attention_forward(q, k, v, mask)
    dq, dk_, dv_ = F.scaled_dot_product_attention_backward(dout, cache)
    for arr, analytic in ((q, dq), (k, dk_), (v, dv_)):
        num = eval_numerical_gradient_array(lambda _: F.scaled_dot_product_attention_forward(q, k, v, mask)[0],
                                            arr, dout)
        assert gerr(analytic, num) < TOL
    if mask is not None:  # masked keys get exactly zero weight; rows sum to 1 unless fully masked
        p = cache["p"]
        full = np.broadcast_to(mask, p.shape)
        assert np.all(p[~full] == 0)
        rows = full.any(-1)
        np.testing.assert_allclose(p.sum(-1)[rows], 1.0)
        assert np.all(p.sum(-1)[~rows] == 0)


def test_sdpa_dropout_mask_gradcheck():
    B, h, T, S, d = 2, 2, 3, 3, 2
    q, k, v, dout = randn(B, h, T, d), randn(B, h, S, d), randn(B, h, S, d), randn(B, h, T, d)
    drop = (rng.random((B, h, T, S)) > 0.3) / 0.7
    _, cache = F.scaled_dot_product_attention_forward(q, k, v, dropout_mask=drop)
    dq, _, dv_ = F.scaled_dot_product_attention_backward(dout, cache)
    f = lambda _: F.scaled_dot_product_attention_forward(q, k, v, dropout_mask=drop)[0]  # noqa: E731
    assert gerr(dq, eval_numerical_gradient_array(f, q, dout)) < TOL
    assert gerr(dv_, eval_numerical_gradient_array(f, v, dout)) < TOL


def test_masked_softmax_matches_reference_and_split_merge_roundtrip():
    s = randn(2, 5)
    p, _ = F.masked_softmax_forward(s)
    np.testing.assert_allclose(p, np.exp(s) / np.exp(s).sum(-1, keepdims=True))
    m = np.array([[True, False, True, False, False], [False] * 5])
    p, cache = F.masked_softmax_forward(s, m)
    e = np.exp(s[0, [0, 2]])
    np.testing.assert_allclose(p[0, [0, 2]], e / e.sum())
    assert np.all(p[1] == 0) and np.all(p[0, [1, 3, 4]] == 0)
    x = randn(2, 3, 8)
    heads = F.split_heads(x, 4)
    assert heads.shape == (2, 4, 3, 2)
    np.testing.assert_array_equal(F.merge_heads(heads), x)
    np.testing.assert_array_equal(F.causal_mask(3)[0], np.tril(np.ones((3, 3), bool)))


# -- MultiHeadAttention layer -------------------------------------------------------------------------
def mha_gradcheck(mha, query, value, key=None, **kw):
    """Relative errors for every input and every weight of ``mha``."""
    y = mha(query, value, key, **kw)
    dy = randn(*y.shape)
    grads = mha.backward(dy)
    names = ["query", "value", "key"][:len(grads)]
    inputs = dict(query=query, value=value, key=key)

    def loss(_):
        return np.sum(mha(query, value, key, **kw) * dy)
    errs = {n: gerr(g, eval_numerical_gradient(loss, inputs[n])) for n, g in zip(names, grads)}
    analytic = {k: v.copy() for k, v in mha.grads.items()}
    for name, p in mha.params.items():
        errs[name] = gerr(analytic[name], eval_numerical_gradient(loss, p))
    return errs


@pytest.mark.parametrize("kind", ["self", "causal", "padding", "causal+padding", "cross_key", "no_bias"])
def test_mha_gradcheck(kind):
    B, T, S, d = 2, 3, 4, 4
    use_bias = kind != "no_bias"
    mha = MultiHeadAttention(2, 3, value_dim=2, use_bias=use_bias, dtype="float64")
    query = randn(B, T, d)
    kw = {}
    if kind in ("self", "causal", "causal+padding"):
        value, key, S = query.copy(), None, T
    elif kind == "cross_key":
        value, key = randn(B, S, 5), randn(B, S, 3)
    else:
        value, key = randn(B, S, d), None
    if "causal" in kind:
        kw["use_causal_mask"] = True
    if "padding" in kind:
        kw["attention_mask"] = padding(B, S, [S, S - 1])[:, None, :]
    errs = mha_gradcheck(mha, query, value, key, **kw)
    assert set(errs) >= {"query", "value", *mha.params}
    if kind == "cross_key":
        assert "key" in errs
    assert max(errs.values()) < TOL, errs
    assert mha.attention_scores.shape == (B, 2, T, S)
    if use_bias:  # q . b_k is the same for every key, and softmax is shift invariant
        np.testing.assert_allclose(mha.grads["key/bias"], 0.0, atol=1e-12)


def test_mha_self_attention_single_input_and_weight_layout():
    mha = MultiHeadAttention(4, 8, dtype="float64")
    x = randn(2, 5, 16)
    y = mha(x)
    assert y.shape == x.shape
    assert [(k, p.shape) for k, p in mha.params.items()] == [
        ("query/kernel", (16, 4, 8)), ("query/bias", (4, 8)), ("key/kernel", (16, 4, 8)), ("key/bias", (4, 8)),
        ("value/kernel", (16, 4, 8)), ("value/bias", (4, 8)), ("attention_output/kernel", (4, 8, 16)),
        ("attention_output/bias", (16,))]
    dy = randn(*y.shape)
    dx = mha.backward(dy)                      # one array for mha(x)
    y2 = mha(x, x)
    dq, dv = mha.backward(dy)
    np.testing.assert_allclose(y, y2)
    np.testing.assert_allclose(dx, dq + dv)
    # mha(x) follows the single-input layer protocol, so the generic checker applies
    errs = check_layer(MultiHeadAttention(2, 3, dtype="float64"), randn(2, 3, 4))
    assert len(errs) == 9 and max(v for k, v in errs.items() if k != "key/bias") < 1e-6, errs  # key/bias: 0


def test_mha_masks_semantics():
    B, T, d = 2, 4, 6
    x = randn(B, T, d)
    mha = MultiHeadAttention(2, 3, dtype="float64")
    mha(x, x, use_causal_mask=True)
    a = mha.attention_scores
    assert np.all(a[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0)
    np.testing.assert_allclose(a.sum(-1), 1.0)
    # a padding mask of shape (B, 1, S) combined with the causal mask
    pm = padding(B, T, [4, 2])[:, None, :]
    y = mha(x, x, attention_mask=pm, use_causal_mask=True)
    assert np.all(mha.attention_scores[1, :, :, 2:] == 0)
    # changing a masked-out key/value does not change the output
    x2 = x.copy()
    x2[1, 3] += 10.0
    y2 = mha(x, x2, attention_mask=pm, use_causal_mask=True)
    np.testing.assert_allclose(y, y2)
    # integer masks work like boolean ones; dropout only acts in training
    np.testing.assert_allclose(mha(x, x, attention_mask=pm.astype(int)), mha(x, x, attention_mask=pm))
    drop = MultiHeadAttention(2, 3, dropout=0.5, dtype="float64", seed=1)
    np.testing.assert_allclose(drop(x, x), drop(x, x))
    assert not np.allclose(drop(x, x, training=True), drop(x, x))


def test_mha_bad_input():
    mha = MultiHeadAttention(2, 3)
    with pytest.raises(ValueError, match="rank 3"):
        mha(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="same sequence length"):
        mha(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 6, 4)))
    with pytest.raises(ValueError, match="batch sizes differ"):
        mha(np.zeros((2, 3, 4)), np.zeros((3, 3, 4)))
    with pytest.raises(ValueError, match=r"does not broadcast.*\(2, 3, 5\)"):
        mha(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match="rank"):
        mha(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), attention_mask=np.ones(5, bool))
    mha(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="built for feature sizes"):
        mha(np.zeros((2, 3, 7)), np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="dy must have shape"):
        mha.backward(np.zeros((2, 3, 5)))
    with pytest.raises(RuntimeError, match="before forward"):
        MultiHeadAttention(2, 3).backward(np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 3)


# -- positional encodings and Transformer blocks ------------------------------------------------------
def test_positional_encoding_values_and_backward():
    pe = PositionalEncoding(dtype="float64")
    x = randn(2, 5, 6)
    y = pe(x)
    enc = y - x
    np.testing.assert_allclose([enc[0, 3, 0], enc[1, 3, 1], enc[0, 2, 4]],
                               [np.sin(3.0), np.cos(3.0), np.sin(2 / 10000 ** (4 / 6))])
    dy = randn(*y.shape)
    np.testing.assert_array_equal(pe.backward(dy), dy)
    with pytest.raises(ValueError, match="seq_len"):
        pe(np.zeros((2, 5)))


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_token_and_position_embedding_grads(positional):
    emb = TokenAndPositionEmbedding(7, 5, 4, positional=positional, dtype="float64")
    ids = rng.integers(0, 7, (3, 4))
    y = emb(ids)
    dy = randn(*y.shape)
    emb.backward(dy)
    for name, p in emb.params.items():
        num = eval_numerical_gradient(lambda _: np.sum(emb(ids) * dy), p)
        assert gerr(emb.grads[name], num) < TOL
    with pytest.raises(ValueError, match="exceeds sequence_length"):
        emb(np.zeros((1, 6), int))


def block_gradcheck(block, x, **kw):
    y = block(x, **kw)
    dy = randn(*y.shape)
    dx = block.backward(dy)
    analytic = {k: v.copy() for k, v in block.grads.items()}
    loss = lambda _: np.sum(block(x, **kw) * dy)  # noqa: E731
    errs = {"x": gerr(dx, eval_numerical_gradient(loss, x))}
    for name, p in block.params.items():
        errs[name] = gerr(analytic[name], eval_numerical_gradient(loss, p))
    return errs


@pytest.mark.parametrize("cls", [TransformerEncoderBlock, TransformerDecoderBlock])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_block_gradcheck(cls, norm_first):
    B, T, d = 2, 3, 4
    block = cls(num_heads=2, intermediate_dim=5, activation="tanh", norm_first=norm_first, dtype="float64")
    x = randn(B, T, d)
    errs = block_gradcheck(block, x, padding_mask=padding(B, T, [3, 2]))
    assert len(errs) == 1 + 16 and max(errs.values()) < TOL, errs
    assert list(block.params)[:2] == ["self_attention/query/kernel", "self_attention/query/bias"]
    assert [p for _, p in block.parameters()] == [block.params[k] for k in block.params]


def test_decoder_block_is_causal_encoder_is_not():
    x = randn(1, 5, 8)
    x2 = x.copy()
    x2[0, 4] += 1.0
    for cls, causal in ((TransformerDecoderBlock, True), (TransformerEncoderBlock, False)):
        block = cls(2, 16, dtype="float64")
        same = np.allclose(block(x)[0, :4], block(x2)[0, :4])
        assert same == causal
    with pytest.raises(ValueError, match="padding_mask must have shape"):
        block(x, padding_mask=np.ones((1, 4), bool))
    with pytest.raises(ValueError, match=r"\(batch, seq_len, features\)"):
        block(np.zeros((5, 8)))


# -- sequence losses and metrics ----------------------------------------------------------------------
@pytest.mark.parametrize("from_logits", [True, False])
def test_token_crossentropy_gradient_and_mask(from_logits):
    B, T, V = 2, 3, 5
    y = rng.integers(0, V, (B, T))
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    z = randn(B, T, V)
    pred = z if from_logits else np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    loss = TokenCrossentropy(from_logits=from_logits)
    value = loss(y, pred, mask)
    nll = -np.log(np.take_along_axis(np.exp(z) / np.exp(z).sum(-1, keepdims=True), y[..., None], -1))[..., 0]
    np.testing.assert_allclose(value, nll[mask].mean())
    np.testing.assert_allclose(sequence_sparse_categorical_crossentropy(y, z, mask), nll[mask].mean())
    np.testing.assert_allclose(sequence_sparse_categorical_crossentropy(y, z), nll.mean())
    grad = loss.backward()
    num = eval_numerical_gradient(lambda p: float(TokenCrossentropy(from_logits)(y, p, mask)), pred.copy())
    assert gerr(grad, num) < 1e-6
    assert np.all(grad[~mask] == 0)


def test_token_accuracy_and_bad_shapes():
    y = np.array([[1, 2, 0]])
    logits = np.eye(3)[[[1, 0, 0]]] * 5
    assert token_accuracy(y, logits) == pytest.approx(2 / 3)
    assert token_accuracy(y, logits, mask=np.array([[1, 0, 1]])) == 1.0
    with pytest.raises(ValueError, match="mask must have shape"):
        token_accuracy(y, logits, mask=np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"\(batch, seq_len, vocab\)"):
        TokenCrossentropy()(y, logits[0])
    with pytest.raises(ValueError, match="token ids must be in"):
        sequence_sparse_categorical_crossentropy(y + 5, logits)


def test_transformer_lm_end_to_end_gradcheck():
    lm = TransformerLM(6, 4, d_model=4, num_heads=2, ff_dim=5, num_layers=1, dtype="float64")
    x, y = rng.integers(0, 6, (2, 4)), rng.integers(0, 6, (2, 4))
    mask = np.array([[0, 1, 1, 1], [0, 0, 1, 1]], bool)
    loss = TokenCrossentropy()
    lm(x)
    for name, p in lm.layers[0].params.items():   # O(1) embeddings (not U(+-0.05)) keep the check well scaled
        p[...] = randn(*p.shape)
    loss(y, lm(x), mask)
    lm.backward(loss.backward())
    for layer in lm.layers:
        for name, g in list(layer.grads.items())[:6]:
            num = eval_numerical_gradient(lambda _: float(loss(y, lm(x), mask)), layer.params[name])
            assert gerr(g, num) < 1e-6, (layer.name, name)
    assert lm.generate(x[:, :2], 5).shape == (2, 7)
    with pytest.raises(ValueError, match="exceeds sequence_length"):
        lm(np.zeros((1, 5), int))
