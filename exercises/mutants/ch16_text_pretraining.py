"""Realistic answers to ch16_text_pretraining (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_POOL = '''def masked_mean_pool_forward(x, mask):
    x = np.asarray(x)
    m = (np.asarray(mask) != 0).astype(x.dtype)
    count = np.maximum(m.sum(axis=1, keepdims=True), 1)
    return np.einsum("btd,bt->bd", x, m / count)


def masked_mean_pool_backward(dy, mask):
    dy = np.asarray(dy)
    m = (np.asarray(mask) != 0).astype(dy.dtype)
    w = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    return dy[:, None, :] * w[:, :, None]
'''
_MLM = '''IGNORE_INDEX = -100


def mlm_mask(token_ids, rng, mask_id, vocab_size, special_ids, mask_rate=0.15):
    ids = np.array(token_ids, dtype=np.int64)
    special = np.array(sorted(set(int(s) for s in special_ids)), dtype=np.int64)
    candidates = np.setdiff1d(np.arange(vocab_size), special)
    selected = ~np.isin(ids, special) & (rng.random(ids.shape) < mask_rate)
    u = rng.random(ids.shape)
    to_mask = selected & (u < 0.8)
    to_random = selected & (u >= 0.8) & (u < 0.9)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = candidates[rng.integers(0, len(candidates), size=int(to_random.sum()))]
    labels = np.where(selected, ids, IGNORE_INDEX)
    return inputs, labels, selected.astype(np.float64)
'''
_TOPK = '''def top_k_filter(logits, k):
    logits = np.asarray(logits, dtype=np.float64)
    keep = np.argsort(-logits, kind="stable")[:k]
    out = np.full(logits.shape, -np.inf)
    out[keep] = logits[keep]
    return out
'''
_TOPP = '''

def top_p_filter(logits, p):
    logits = np.asarray(logits, dtype=np.float64)
    order = np.argsort(-logits, kind="stable")
    z = logits[order]
    probs = np.exp(z - z[0])
    probs /= probs.sum()
    before = np.cumsum(probs) - probs
    keep = order[before < p]
    out = np.full(logits.shape, -np.inf)
    out[keep] = logits[keep]
    return out
'''
_SAMPLE = '''

def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    probs = np.exp(z - z.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))
'''


def _edit(source, old, new):
    """The reference cell with one realistic mistake: `old` (which must occur exactly once) becomes `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


ANSWERS = [
    # ---------------------------------------------------------------- Task 1: masked mean pooling
    ("masked_pool", "wrong", "the plain mean over all T steps, padding included (forward and backward)", '''
def masked_mean_pool_forward(x, mask):
    return np.asarray(x).mean(axis=1)


def masked_mean_pool_backward(dy, mask):
    T = np.asarray(mask).shape[1]
    return np.repeat(np.asarray(dy)[:, None, :] / T, T, axis=1)
'''),
    ("masked_pool", "wrong", "masked sum divided by T instead of by the number of real steps",
     _edit(_edit(_POOL, "count = np.maximum(m.sum(axis=1, keepdims=True), 1)", "count = m.shape[1]"),
           "w = m / np.maximum(m.sum(axis=1, keepdims=True), 1)", "w = m / m.shape[1]")),
    ("masked_pool", "wrong", "backward not masked: dy / n_b sent to every step, padding included",
     _edit(_POOL, "w = m / np.maximum(m.sum(axis=1, keepdims=True), 1)",
           "w = np.ones_like(m) / np.maximum(m.sum(axis=1, keepdims=True), 1)")),
    ("masked_pool", "wrong", "no guard for a row without real steps: 0 / 0 = nan", '''
def masked_mean_pool_forward(x, mask):
    x = np.asarray(x)
    m = np.asarray(mask).astype(x.dtype)[:, :, None]
    return (x * m).sum(axis=1) / m.sum(axis=1)


def masked_mean_pool_backward(dy, mask):
    dy = np.asarray(dy)
    m = np.asarray(mask).astype(dy.dtype)
    return dy[:, None, :] * (m / m.sum(axis=1, keepdims=True))[:, :, None]
'''),
    ("masked_pool", "wrong", "the mask converted to float64: float32 inputs give float64 results",
     _edit(_edit(_POOL, "m = (np.asarray(mask) != 0).astype(x.dtype)", "m = np.asarray(mask, dtype=float)"),
           "m = (np.asarray(mask) != 0).astype(dy.dtype)", "m = np.asarray(mask, dtype=float)")),
    ("masked_pool", "wrong", "counts the real steps of the whole batch, not of each row",
     _edit(_edit(_POOL, "count = np.maximum(m.sum(axis=1, keepdims=True), 1)", "count = max(m.sum(), 1)"),
           "w = m / np.maximum(m.sum(axis=1, keepdims=True), 1)", "w = m / max(m.sum(), 1)")),
    ("masked_pool", "correct", "a loop over the rows with boolean indexing, zeros for an empty row", '''
def masked_mean_pool_forward(x, mask):
    x = np.asarray(x)
    out = np.zeros((x.shape[0], x.shape[2]), dtype=x.dtype)
    for b in range(x.shape[0]):
        real = np.asarray(mask[b]).astype(bool)
        if real.any():
            out[b] = x[b][real].mean(axis=0)
    return out


def masked_mean_pool_backward(dy, mask):
    dy = np.asarray(dy)
    mask = np.asarray(mask).astype(bool)
    dx = np.zeros((mask.shape[0], mask.shape[1], dy.shape[1]), dtype=dy.dtype)
    for b in range(mask.shape[0]):
        n = mask[b].sum()
        if n:
            dx[b, mask[b]] = dy[b] / n
    return dx
'''),
    ("masked_pool", "correct", "masked sum and np.divide(..., where=count > 0), np.where for the gradient", '''
def masked_mean_pool_forward(x, mask):
    x = np.asarray(x)
    m = np.asarray(mask).astype(bool)
    total = np.where(m[:, :, None], x, 0).sum(axis=1)
    count = m.sum(axis=1, keepdims=True).astype(x.dtype)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def masked_mean_pool_backward(dy, mask):
    dy = np.asarray(dy)
    m = np.asarray(mask).astype(bool)
    count = np.maximum(m.sum(axis=1), 1).astype(dy.dtype)
    return np.where(m[:, :, None], (dy / count[:, None])[:, None, :], dy.dtype.type(0))
'''),
    # ---------------------------------------------------------------- Task 2: BERT's masking procedure
    ("mlm_mask", "wrong", "selects among all positions: padding and [CLS]/[SEP] can be masked",
     _edit(_MLM, "selected = ~np.isin(ids, special) & (rng.random(ids.shape) < mask_rate)",
           "selected = rng.random(ids.shape) < mask_rate")),
    ("mlm_mask", "wrong", "80/10/10 applied to every non-special token, the 15% selection only used for the labels",
     _edit(_edit(_MLM, "to_mask = selected & (u < 0.8)", "to_mask = ~np.isin(ids, special) & (u < 0.8)"),
           "to_random = selected & (u >= 0.8) & (u < 0.9)", "to_random = ~np.isin(ids, special) & (u >= 0.8) & (u < 0.9)")),
    ("mlm_mask", "wrong", "random tokens drawn from the whole vocabulary (may be [PAD], [CLS] or [MASK])",
     _edit(_MLM, "inputs[to_random] = candidates[rng.integers(0, len(candidates), size=int(to_random.sum()))]",
           "inputs[to_random] = rng.integers(0, vocab_size, size=int(to_random.sum()))")),
    ("mlm_mask", "wrong", "labels = the original ids everywhere (unselected positions not ignored)",
     _edit(_MLM, "labels = np.where(selected, ids, IGNORE_INDEX)", "labels = ids.copy()")),
    ("mlm_mask", "wrong", "corrupts token_ids in place (np.asarray is no copy)", '''
IGNORE_INDEX = -100


def mlm_mask(token_ids, rng, mask_id, vocab_size, special_ids, mask_rate=0.15):
    inputs = np.asarray(token_ids)
    labels = np.full(inputs.shape, IGNORE_INDEX, dtype=np.int64)
    candidates = np.array([i for i in range(vocab_size) if i not in special_ids])
    selected = ~np.isin(inputs, special_ids) & (rng.random(inputs.shape) < mask_rate)
    labels[selected] = inputs[selected]
    u = rng.random(inputs.shape)
    to_random = selected & (u >= 0.8) & (u < 0.9)
    inputs[selected & (u < 0.8)] = mask_id
    inputs[to_random] = rng.choice(candidates, size=int(to_random.sum()))
    return inputs, labels, selected.astype(np.float64)
'''),
    ("mlm_mask", "wrong", "two independent draws: 80% [MASK], then 10% of the REST random (2% instead of 10%)", '''
IGNORE_INDEX = -100


def mlm_mask(token_ids, rng, mask_id, vocab_size, special_ids, mask_rate=0.15):
    ids = np.array(token_ids, dtype=np.int64)
    candidates = np.setdiff1d(np.arange(vocab_size), list(special_ids))
    selected = ~np.isin(ids, list(special_ids)) & (rng.random(ids.shape) < mask_rate)
    to_mask = selected & (rng.random(ids.shape) < 0.8)
    to_random = selected & ~to_mask & (rng.random(ids.shape) < 0.1)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = rng.choice(candidates, size=int(to_random.sum()))
    return inputs, np.where(selected, ids, IGNORE_INDEX), selected.astype(np.float64)
'''),
    ("mlm_mask", "correct", "one position at a time in Python, scalar draws from rng", '''
IGNORE_INDEX = -100


def mlm_mask(token_ids, rng, mask_id, vocab_size, special_ids, mask_rate=0.15):
    ids = np.array(token_ids, dtype=np.int64)
    special = set(int(s) for s in special_ids)
    candidates = [i for i in range(vocab_size) if i not in special]
    inputs, labels, weights = ids.copy(), np.full(ids.shape, IGNORE_INDEX, dtype=np.int64), np.zeros(ids.shape)
    for b in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            if int(ids[b, t]) in special or rng.random() >= mask_rate:
                continue
            labels[b, t], weights[b, t] = ids[b, t], 1.0
            u = rng.random()
            if u < 0.8:
                inputs[b, t] = mask_id
            elif u < 0.9:
                inputs[b, t] = candidates[rng.integers(len(candidates))]
    return inputs, labels, weights
'''),
    ("mlm_mask", "correct", "rng.choice of the action with p=[0.8, 0.1, 0.1] for the selected positions only", '''
IGNORE_INDEX = -100


def mlm_mask(token_ids, rng, mask_id, vocab_size, special_ids, mask_rate=0.15):
    ids = np.asarray(token_ids).astype(np.int64)
    candidates = np.array(sorted(set(range(vocab_size)) - set(special_ids)))
    selected = np.isin(ids, list(special_ids), invert=True) & (rng.random(ids.shape) < mask_rate)
    where = np.nonzero(selected)
    action = rng.choice(3, size=len(where[0]), p=[0.8, 0.1, 0.1])   # 0 mask, 1 random, 2 keep
    inputs = ids.copy()
    new = inputs[where]
    new[action == 0] = mask_id
    new[action == 1] = rng.choice(candidates, size=int((action == 1).sum()))
    inputs[where] = new
    labels = np.full_like(ids, IGNORE_INDEX)
    labels[selected] = ids[selected]
    return inputs, labels, selected.astype(float)
'''),
    # ---------------------------------------------------------------- Task 3: top-k, top-p, sampling
    ("sampling", "wrong", "top-k with np.argsort(logits)[-k:]: ties at the k-th value keep the LARGER ids",
     _edit(_TOPK, 'keep = np.argsort(-logits, kind="stable")[:k]', "keep = np.argsort(logits)[-k:]") + _TOPP + _SAMPLE),
    ("sampling", "wrong", "top-k keeps every logit >= the k-th largest (ties: more than k tokens)", '''
def top_k_filter(logits, k):
    logits = np.asarray(logits, dtype=np.float64)
    kth = np.sort(logits)[-k]
    return np.where(logits >= kth, logits, -np.inf)
''' + _TOPP + _SAMPLE),
    ("sampling", "wrong", "top-p keeps the tokens whose cumulative probability is <= p: drops the crossing token",
     _TOPK + _edit(_edit(_TOPP, "before = np.cumsum(probs) - probs", "cum = np.cumsum(probs)"),
                   "keep = order[before < p]", "keep = order[np.maximum(cum <= p, np.arange(len(cum)) == 0)]") + _SAMPLE),
    ("sampling", "wrong", "top-p with an unstable softmax np.exp(logits) / sum: nan for logits of 1000",
     _TOPK + _edit(_TOPP, "probs = np.exp(z - z[0])", "probs = np.exp(z)") + _SAMPLE),
    ("sampling", "wrong", "temperature applied after filtering (top-p then measures the untempered mass)",
     _TOPK + _TOPP + _edit(_edit(_SAMPLE, "z = np.asarray(logits, dtype=np.float64) / temperature",
                                 "z = np.asarray(logits, dtype=np.float64)"),
                           "probs = np.exp(z - z.max())", "z = z / temperature\n    probs = np.exp(z - z.max())")),
    ("sampling", "wrong", "top-p applied before top-k (top-p then measures the mass before top-k's cut)",
     _TOPK + _TOPP + '''

def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_p is not None:
        z = top_p_filter(z, top_p)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    probs = np.exp(z - z.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))
'''),
    ("sampling", "correct", "Python sorting with a (-logit, id) key, a running sum, inverse-CDF sampling", '''
import math


def top_k_filter(logits, k):
    logits = np.asarray(logits, dtype=float)
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    out = np.full(len(logits), -np.inf)
    out[order[:k]] = logits[order[:k]]
    return out


def top_p_filter(logits, p):
    logits = np.asarray(logits, dtype=float)
    top = logits.max()
    weights = [math.exp(v - top) if v != -math.inf else 0.0 for v in logits]
    total = sum(weights)
    out, mass = np.full(len(logits), -np.inf), 0.0
    for i in sorted(range(len(logits)), key=lambda i: (-logits[i], i)):
        if mass >= p:
            break
        out[i] = logits[i]
        mass += weights[i] / total
    return out


def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits, dtype=float) / temperature
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    cdf = np.cumsum(np.exp(z - z.max()))
    return int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
'''),
    ("sampling", "correct", "lexsort for the order, logaddexp for the softmax, the Gumbel-max trick to sample", '''
def top_k_filter(logits, k):
    logits = np.asarray(logits, dtype=np.float64)
    order = np.lexsort((np.arange(len(logits)), -logits))
    out = np.full_like(logits, -np.inf)
    out[order[:k]] = logits[order[:k]]
    return out


def top_p_filter(logits, p):
    logits = np.asarray(logits, dtype=np.float64)
    order = np.lexsort((np.arange(len(logits)), -logits))
    probs = np.exp(logits[order] - np.logaddexp.reduce(logits))
    mass_before = np.concatenate([[0.0], np.cumsum(probs)[:-1]])
    out = np.full_like(logits, -np.inf)
    out[order[mass_before < p]] = logits[order[mass_before < p]]
    return out


def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k:
        z = top_k_filter(z, top_k)
    if top_p:
        z = top_p_filter(z, top_p)
    return int(np.argmax(z + rng.gumbel(size=z.shape)))
'''),
]
