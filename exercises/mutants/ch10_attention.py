"""Realistic answers to ch10_attention (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_SPLIT = '''
def split_heads(x, num_heads):
    B, T, D = x.shape
    if D % num_heads:
        raise ValueError(f"{D} is not divisible by {num_heads}")
    return x.reshape(B, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)
'''
_MERGE = '''
def merge_heads(x):
    B, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * d)
'''
_CAUSAL = '''
def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))
'''
_PADDING = '''
def padding_mask(tokens, pad_id=0):
    return (np.asarray(tokens) != pad_id)[:, None, :]
'''
_DECODER = '''
def decoder_mask(tokens, pad_id=0):
    tokens = np.asarray(tokens)
    return causal_mask(tokens.shape[1])[None] & padding_mask(tokens, pad_id)
'''

ANSWERS = [
    # ------------------------------------------------------------------ Task 1: heads
    ("heads", "wrong", "reshape straight to (B, h, T, d), no transpose", '''
def split_heads(x, num_heads):
    B, T, D = x.shape
    if D % num_heads:
        raise ValueError("not divisible")
    return x.reshape(B, num_heads, T, D // num_heads)
''' + _MERGE),
    ("heads", "wrong", "merge_heads without the transpose", _SPLIT + '''
def merge_heads(x):
    B, h, T, d = x.shape
    return x.reshape(B, T, h * d)
'''),
    ("heads", "wrong", "merge_heads unpacks the shape as (B, T, h, d) (h = T in the visible test)", _SPLIT + '''
def merge_heads(x):
    B, T, h, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * d)
'''),
    ("heads", "wrong", "merge_heads loops over range(x.shape[2]), the time axis, as if it were the heads", _SPLIT + '''
def merge_heads(x):
    return np.concatenate([x[:, i] for i in range(x.shape[2])], axis=-1)
'''),
    ("heads", "wrong", "merge_heads written for one sequence: np.hstack over the heads of x[0]", _SPLIT + '''
def merge_heads(x):
    return np.hstack(x[0])[None]
'''),
    ("heads", "wrong", "one-line calls to dlkit's split_heads / merge_heads (policy: scores 0)", '''
import dlkit.np.functional as F


def split_heads(x, num_heads):
    return F.split_heads(x, num_heads)


def merge_heads(x):
    return F.merge_heads(x)
'''),
    ("heads", "correct", "np.split / np.stack and np.concatenate over the heads", '''
def split_heads(x, num_heads):
    parts = np.split(x, num_heads, axis=-1)      # raises ValueError if not divisible
    return np.stack(parts, axis=1)


def merge_heads(x):
    return np.concatenate([x[:, i] for i in range(x.shape[1])], axis=-1)
'''),
    ("heads", "correct", "reshape with -1 and swapaxes", '''
def split_heads(x, num_heads):
    if x.shape[-1] % num_heads != 0:
        raise ValueError("num_heads must divide the feature axis")
    return np.swapaxes(x.reshape(x.shape[0], x.shape[1], num_heads, -1), 1, 2)


def merge_heads(x):
    y = np.swapaxes(x, 1, 2)
    return y.reshape(y.shape[0], y.shape[1], -1)
'''),
    # ------------------------------------------------------------------ Task 2: masks
    ("masks", "wrong", "strictly lower triangle: a query may not see itself", '''
def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)
''' + _PADDING + _DECODER),
    ("masks", "wrong", "padding mask ignores pad_id (hard-codes 0)", _CAUSAL + '''
def padding_mask(tokens, pad_id=0):
    return (np.asarray(tokens) != 0)[:, None, :]
''' + _DECODER),
    ("masks", "wrong", "padding mask as tokens > pad_id (assumes pad is the smallest id)", _CAUSAL + '''
def padding_mask(tokens, pad_id=0):
    return (np.asarray(tokens) > pad_id)[:, None, :]
''' + _DECODER),
    ("masks", "wrong", "decoder mask does not pass pad_id on", _CAUSAL + _PADDING + '''
def decoder_mask(tokens, pad_id=0):
    tokens = np.asarray(tokens)
    return causal_mask(tokens.shape[1])[None] & padding_mask(tokens)
'''),
    ("masks", "wrong", "padding mask broadcast on the query axis (B, S, 1)", _CAUSAL + '''
def padding_mask(tokens, pad_id=0):
    return (np.asarray(tokens) != pad_id)[:, :, None]
''' + _DECODER),
    ("masks", "wrong", "one-line calls to dlkit's masks (policy: scores 0)", '''
from dlkit.np.functional import causal_mask as dlkit_causal, padding_mask as dlkit_padding


def causal_mask(T):
    return dlkit_causal(T)[0]


def padding_mask(tokens, pad_id=0):
    return dlkit_padding(tokens, pad_id)
''' + _DECODER),
    ("masks", "correct", "np.tri, np.not_equal with np.expand_dims, explicit broadcast_to", '''
def causal_mask(T):
    return np.tri(T, dtype=bool)


def padding_mask(tokens, pad_id=0):
    return np.expand_dims(np.not_equal(tokens, pad_id), 1)


def decoder_mask(tokens, pad_id=0):
    B, T = np.shape(tokens)
    keys = np.broadcast_to(padding_mask(tokens, pad_id), (B, T, T))
    return np.logical_and(keys, causal_mask(T))
'''),
    # ------------------------------------------------------------------ Task 3: attention
    ("attention", "wrong", "scales by sqrt of the number of keys S instead of the depth d (equal in the visible test)", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(k.shape[-2])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w
'''),
    ("attention", "wrong", "k.T instead of swapping the last two axes (right for 2-D inputs only)", '''
def attention(q, k, v, mask=None):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w
'''),
    ("attention", "wrong", "np.dot instead of matmul (wrong for batched inputs)", '''
def attention(q, k, v, mask=None):
    scores = np.dot(q, np.swapaxes(k, -1, -2)) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return np.dot(w, v), w
'''),
    ("attention", "wrong", "scales q in place (q /= sqrt(d)) and so modifies the input", '''
def attention(q, k, v, mask=None):
    q /= np.sqrt(q.shape[-1])
    scores = q @ k.swapaxes(-1, -2)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w
'''),
    ("attention", "wrong", "subtracts the global maximum, not each row's (other rows underflow to 0/0)", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    w = np.exp(scores - scores.max())
    w = w / w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w
'''),
    ("attention", "wrong", "additive mask of -1e4 (BERT style): masked keys leak with large scores", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + (1.0 - mask) * -1e4
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    return w @ v / w.sum(axis=-1, keepdims=True), w / w.sum(axis=-1, keepdims=True)
'''),
    ("attention", "wrong", "boolean indexing scores[~mask] (needs a mask of the scores' full shape)", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores[~mask] = -np.inf
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w
'''),
    ("attention", "wrong", "softmax over the query axis", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-2, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-2, keepdims=True)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w
'''),
    ("attention", "wrong", "no max shift: exp overflows for large scores", '''
def attention(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(scores)
    if mask is not None:
        w = w * mask
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w
'''),
    ("attention", "wrong", "one-line call to dlkit's attention (policy: scores 0)", '''
from dlkit.np.functional import scaled_dot_product_attention_forward


def attention(q, k, v, mask=None):
    out, cache = scaled_dot_product_attention_forward(q, k, v, mask=mask)
    return out, cache["p"]
'''),
    ("attention", "correct", "einsum, -inf fill via np.where, scale applied to q first", '''
def attention(q, k, v, mask=None):
    scores = np.einsum("...td,...sd->...ts", q / np.sqrt(q.shape[-1]), k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    w = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    w /= np.sum(w, axis=-1, keepdims=True)
    return np.einsum("...ts,...sv->...tv", w, v), w
'''),
    ("attention", "correct", "np.matmul, masked_fill with the dtype's minimum, zeroing by multiplication", '''
def attention(q, k, v, mask=None):
    d = q.shape[-1]
    scores = np.matmul(q, np.swapaxes(k, -2, -1)) * (1.0 / np.sqrt(d))
    if mask is not None:
        mask = np.broadcast_to(mask, scores.shape)
        scores = np.where(mask, scores, np.finfo(scores.dtype).min)
    scores -= scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = w * mask
    return np.matmul(w, v), w
'''),
    # ------------------------------------------------------------------ Task 4: mhsa
    ("mhsa", "wrong", "a (B, T, T) mask is passed without a head axis", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    q, k, v = (split_heads(x @ W, num_heads) for W in (Wq, Wk, Wv))
    out, _ = attention(q, k, v, mask)
    return merge_heads(out) @ Wo
'''),
    ("mhsa", "wrong", "forgets the output projection Wo (Wo = I in the visible test)", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    q, k, v = (split_heads(x @ W, num_heads) for W in (Wq, Wk, Wv))
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, _ = attention(q, k, v, mask)
    return merge_heads(out)
'''),
    ("mhsa", "wrong", "multiplies by the transposed weights (W.T)", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    q, k, v = (split_heads(x @ W.T, num_heads) for W in (Wq, Wk, Wv))
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, _ = attention(q, k, v, mask)
    return merge_heads(out) @ Wo.T
'''),
    ("mhsa", "wrong", "scales Q by 1/sqrt(d) before calling attention (scaled twice)", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    d = Wq.shape[1] // num_heads
    q = split_heads(x @ Wq, num_heads) / np.sqrt(d)
    k, v = split_heads(x @ Wk, num_heads), split_heads(x @ Wv, num_heads)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, _ = attention(q, k, v, mask)
    return merge_heads(out) @ Wo
'''),
    ("mhsa", "wrong", "passes the head depth d to split_heads instead of the number of heads", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    d = Wq.shape[1] // num_heads
    q, k, v = (split_heads(x @ W, d) for W in (Wq, Wk, Wv))
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, _ = attention(q, k, v, mask)
    return merge_heads(out) @ Wo
'''),
    ("mhsa", "wrong", "uses Wk for the queries (copy-paste)", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    q = split_heads(x @ Wk, num_heads)
    k = split_heads(x @ Wk, num_heads)
    v = split_heads(x @ Wv, num_heads)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]
    out, _ = attention(q, k, v, mask)
    return merge_heads(out) @ Wo
'''),
    ("mhsa", "wrong", "delegates to dlkit's MultiHeadAttention layer (policy: scores 0)", '''
from dlkit.np.layers import MultiHeadAttention


def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    D, hd = Wq.shape
    d = hd // num_heads
    mha = MultiHeadAttention(num_heads=num_heads, key_dim=d, use_bias=False, dtype="float64")
    mha(x, x)
    mha.set_weights([Wq.reshape(D, num_heads, d), Wk.reshape(D, num_heads, d), Wv.reshape(D, num_heads, d),
                     Wo.reshape(num_heads, d, D)])
    if mask is not None:
        mask = np.broadcast_to(mask, (x.shape[0], x.shape[1], x.shape[1]))
    return mha(x, x, attention_mask=mask)
'''),
    ("mhsa", "correct", "per-head loop with column slices of the weights, mask broadcast to 4-D", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    B, T, D = x.shape
    d = Wq.shape[1] // num_heads
    if mask is not None:
        mask = np.broadcast_to(mask, (B, T, T))[:, None]
    heads = []
    for i in range(num_heads):
        cols = slice(i * d, (i + 1) * d)
        q, k, v = (np.expand_dims(x @ W[:, cols], 1) for W in (Wq, Wk, Wv))
        out, _ = attention(q, k, v, mask)
        heads.append(out[:, 0])
    return np.concatenate(heads, axis=-1) @ Wo
'''),
    ("mhsa", "correct", "reshape the mask to 4-D with np.expand_dims / reshape", '''
def multi_head_self_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    Q, K, V = x @ Wq, x @ Wk, x @ Wv
    if mask is not None:
        mask = np.asarray(mask)
        mask = mask.reshape((1, 1) + mask.shape) if mask.ndim == 2 else np.expand_dims(mask, 1)
    out, weights = attention(split_heads(Q, num_heads), split_heads(K, num_heads), split_heads(V, num_heads),
                             mask=mask)
    return np.matmul(merge_heads(out), Wo)
'''),
    # ------------------------------------------------------------------ Task 5: posenc
    ("posenc", "wrong", "returns float32 (dlkit's and Keras' default dtype)", '''
def positional_encoding(length, depth):
    t = np.arange(length, dtype=np.float32)[:, None]
    j = np.arange(depth)[None, :]
    angles = t / np.power(np.float32(10000.0), (2 * (j // 2) / depth).astype(np.float32))
    return np.where(j % 2 == 0, np.sin(angles), np.cos(angles)).astype(np.float32)
'''),
    ("posenc", "wrong", "float32 frequencies: positions past ~100 lose precision", '''
def positional_encoding(length, depth):
    t = np.arange(length)[:, None]
    j = np.arange(depth)[None, :]
    inv_freq = (1.0 / np.power(10000.0, 2 * (j // 2) / depth)).astype(np.float32)
    angles = t * inv_freq
    return np.where(j % 2 == 0, np.sin(angles), np.cos(angles)).astype(np.float64)
'''),
    ("posenc", "wrong", "odd depth: computes depth + 1 features and does not trim", '''
def positional_encoding(length, depth):
    t = np.arange(length)[:, None]
    i = np.arange((depth + 1) // 2)[None, :]
    angles = t / np.power(10000.0, 2 * i / depth)
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(length, -1)
'''),
    ("posenc", "wrong", "cos computed as sqrt(1 - sin^2): loses the sign", '''
def positional_encoding(length, depth):
    t = np.arange(length)[:, None]
    j = np.arange(depth)[None, :]
    s = np.sin(t / np.power(10000.0, 2 * (j // 2) / depth))
    return np.where(j % 2 == 0, s, np.sqrt(1.0 - s ** 2))
'''),
    ("posenc", "wrong", "exponent 2j / depth instead of 2(j // 2) / depth", '''
def positional_encoding(length, depth):
    t = np.arange(length)[:, None]
    j = np.arange(depth)[None, :]
    angles = t / np.power(10000.0, 2 * j / depth)
    return np.where(j % 2 == 0, np.sin(angles), np.cos(angles))
'''),
    ("posenc", "wrong", "one-line call to dlkit's sinusoidal_encoding (policy: scores 0)", '''
from dlkit.np.layers import sinusoidal_encoding


def positional_encoding(length, depth):
    return sinusoidal_encoding(length, depth, dtype="float64")
'''),
    ("posenc", "correct", "exp-log frequencies, slice assignment (the PyTorch tutorial, trimmed for odd depth)", '''
def positional_encoding(length, depth):
    pe = np.zeros((length, depth))
    t = np.arange(length)[:, None]
    inv_freq = np.exp(-np.arange(0, depth, 2) * np.log(10000.0) / depth)
    pe[:, 0::2] = np.sin(t * inv_freq)
    pe[:, 1::2] = np.cos(t * inv_freq)[:, :depth // 2]
    return pe
'''),
    ("posenc", "correct", "loop over the features, cos as a shifted sin", '''
def positional_encoding(length, depth):
    t = np.arange(length, dtype=np.float64)
    cols = []
    for j in range(depth):
        angle = t / 10000.0 ** (2 * (j // 2) / depth)
        cols.append(np.sin(angle) if j % 2 == 0 else np.sin(angle + np.pi / 2))
    return np.stack(cols, axis=1) if cols else np.zeros((length, 0))
'''),
]
