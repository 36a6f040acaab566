"""Self-check of Exercise 10 (attention): references from dlkit.np.functional (attention functions),
dlkit.np.layers.MultiHeadAttention and sinusoidal_encoding."""
import numpy as np

from dlkit.exercises.checks import check_close, check_shape, check_true
from dlkit.np.functional import (causal_mask, merge_heads, padding_mask, scaled_dot_product_attention_forward,
                                 split_heads)
from dlkit.np.layers import MultiHeadAttention, sinusoidal_encoding

from ._core import StudentError, Task, parts, snapshot, unchanged

HEADS_POLICY = ("dlkit.np.functional.split_heads", "dlkit.np.functional.merge_heads")
MASKS_POLICY = ("dlkit.np.functional.causal_mask", "dlkit.np.functional.padding_mask",
                "dlkit.np.functional.broadcast_attention_mask")
ATTENTION_POLICY = ("dlkit.np.functional.scaled_dot_product_attention_forward",
                    "dlkit.np.functional.masked_softmax_forward", "dlkit.np.activations.softmax")
MHSA_POLICY = ("dlkit.np.layers.MultiHeadAttention", "dlkit.np.functional.scaled_dot_product_attention_forward")
POSENC_POLICY = ("dlkit.np.layers.sinusoidal_encoding", "dlkit.np.layers.PositionalEncoding")


# correct versions of the earlier tasks' functions (plain NumPy): Task 4 is checked with them
def _split(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def _merge(x):
    B, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * d)


def _attention(q, k, v, mask=None):
    s = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -1e9)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w


def _heads(S, rng):
    for B, T, h, d in [(2, 4, 3, 2), (1, 5, 1, 3), (3, 2, 4, 1), (2, 3, 2, 5)]:
        x = rng.normal(size=(B, T, h * d))
        before = snapshot({"x": x})
        check_close(f"split_heads on x {x.shape} with {h} heads", S.split_heads(x, h), split_heads(x, h),
                    hint="out[b, i, t, :] = x[b, t, i*d:(i+1)*d]: reshape to (B, T, h, d), then transpose")
        unchanged("split_heads", {"x": x}, before)
        y = rng.normal(size=(B, h, T, d))
        check_close(f"merge_heads on x {y.shape}", S.merge_heads(y), merge_heads(y),
                    hint="the inverse of split_heads: out[b, t, i*d:(i+1)*d] = x[b, i, t, :]")
    try:
        S.split_heads(np.zeros((2, 3, 7)), 2)
        raised = None
    except StudentError as err:
        raised = str(err)
    check_true(raised is not None and "ValueError" in raised,
               f"split_heads(x (2, 3, 7), 2): expected a ValueError (7 is not divisible by 2), got "
               f"{raised or 'no error'}")


def _masks(S, rng):
    for T in (1, 3, 6):
        m = S.causal_mask(T)
        check_close(f"causal_mask({T})", m, causal_mask(T)[0], hint="True where j <= i (lower triangle)")
        check_true(np.asarray(m).dtype == bool, f"causal_mask({T}) dtype: expected bool, got {np.asarray(m).dtype}")
    for B, T, pad in [(3, 5, 0), (2, 4, 7), (1, 1, 0)]:
        tok = rng.integers(0, 9, size=(B, T))
        tok[:, -1] = pad
        tok[0, 0] = (pad + 1) % 9
        p = S.padding_mask(tok, pad_id=pad)
        check_close(f"padding_mask of tokens (B={B}, S={T}), pad_id={pad}", p, padding_mask(tok, pad),
                    hint="shape (B, 1, S), False exactly where tokens == pad_id")
        check_true(np.asarray(p).dtype == bool, f"padding_mask dtype: expected bool, got {np.asarray(p).dtype}")
        dm = S.decoder_mask(tok, pad_id=pad)
        check_close(f"decoder_mask of tokens (B={B}, T={T}), pad_id={pad}", dm, causal_mask(T) & padding_mask(tok, pad),
                    hint="causal AND padding, shape (B, T, T)")
        check_true(np.asarray(dm).dtype == bool, f"decoder_mask dtype: expected bool, got {np.asarray(dm).dtype}")


def _attention_task(S, rng):
    for lead, T, Sk, d, dv, kind in [((2, 2), 3, 3, 4, 2, "causal"), ((1, 3), 4, 5, 3, 3, "padding"),
                                     ((2,), 5, 5, 6, 4, "none"), ((2, 1), 3, 6, 2, 3, "random"),
                                     ((), 4, 4, 3, 3, "causal")]:
        q, k = rng.normal(size=lead + (T, d)) * 2, rng.normal(size=lead + (Sk, d)) * 2
        v = rng.normal(size=lead + (Sk, dv))
        if kind == "causal":
            mask = causal_mask(T)[0]
        elif kind == "padding":  # the last two keys are padding, for every query
            mask = np.arange(Sk) < Sk - 2
            mask = np.broadcast_to(mask, lead + (1, Sk))
        elif kind == "random":  # key 0 always allowed
            mask = rng.random(lead + (T, Sk)) < 0.5
            mask[..., 0] = True
        else:
            mask = None
        ref_out, cache = scaled_dot_product_attention_forward(q, k, v, mask=mask)
        before = snapshot({"q": q, "k": k, "v": v})
        what = f"q {q.shape}, k {k.shape}, v {v.shape}, mask: {kind}"
        out, w = parts(f"attention ({what})", S.attention(q, k, v, mask=mask), 2, "(out, weights)")
        check_close(f"attention weights ({what})", w, cache["p"], atol=1e-9,
                    hint="softmax over the keys (last axis) of q @ k^T / sqrt(d); masked weights exactly 0")
        check_close(f"attention output ({what})", out, ref_out, atol=1e-9, hint="out = weights @ v")
        unchanged("attention", {"q": q, "k": k, "v": v}, before)
    _, w = S.attention(np.array([[800.0, 0.0]]), np.eye(2), np.eye(2))
    check_close("attention weights with huge scores", w, [[1.0, 0.0]], atol=1e-12,
                hint="subtract the row maximum before np.exp")


def _mhsa(S, rng):
    for B, T, D, h, d, kind in [(2, 4, 6, 3, 2, "causal"), (1, 5, 4, 2, 3, "none"), (2, 5, 5, 1, 4, "decoder")]:
        x = rng.normal(size=(B, T, D))
        Wq, Wk, Wv = (rng.normal(size=(D, h * d)) / np.sqrt(D) for _ in range(3))
        Wo = rng.normal(size=(h * d, D)) / np.sqrt(h * d)
        mask = None
        if kind == "causal":
            mask = np.tril(np.ones((T, T), bool))
        elif kind == "decoder":
            mask = np.tril(np.ones((T, T), bool))[None] & np.ones((B, 1, T), bool)
            mask[0, :, -2:], mask[0, :, 0] = False, True
        mha = MultiHeadAttention(num_heads=h, key_dim=d, use_bias=False, dtype="float64")
        mha(x, x)
        mha.set_weights([Wq.reshape(D, h, d), Wk.reshape(D, h, d), Wv.reshape(D, h, d), Wo.reshape(h, d, D)])
        ref = mha(x, x, attention_mask=None if mask is None else np.broadcast_to(mask, (B, T, T)))
        check_close(f"multi_head_self_attention (B={B}, T={T}, D={D}, heads={h}, d={d}, mask: {kind})",
                    S.multi_head_self_attention(x, Wq, Wk, Wv, Wo, h, mask=mask), ref, rtol=1e-6,
                    hint="project, split into heads, attention per head (a 3-D mask needs a head axis), merge, @ Wo")


def _posenc(S, rng):
    for length, depth in [(6, 8), (1, 2), (20, 32), (9, 7), (3, 1)]:
        pe = S.positional_encoding(length, depth)
        check_shape(f"positional_encoding({length}, {depth})", pe, (length, depth))
        check_close(f"positional_encoding({length}, {depth})", pe, sinusoidal_encoding(length, depth, dtype="float64"),
                    rtol=1e-6, atol=1e-9, hint="sin(t / 10000**(2 * (j // 2) / depth)) for even j, cos for odd j")


TASKS = [Task("heads", ["split_heads", "merge_heads"], _heads, HEADS_POLICY),
         Task("masks", ["causal_mask", "padding_mask", "decoder_mask"], _masks, MASKS_POLICY),
         Task("attention", ["attention"], _attention_task, ATTENTION_POLICY),
         Task("mhsa", ["multi_head_self_attention"], _mhsa, MHSA_POLICY,
              uses={"split_heads": _split, "merge_heads": _merge, "attention": _attention}),
         Task("posenc", ["positional_encoding"], _posenc, POSENC_POLICY)]
