"""Realistic answers to ch15_seq2seq (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_FORWARD = '''def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    t = np.tanh((query @ W_q)[:, :, None, :] + (keys @ W_k)[:, None, :, :])
    scores = t @ v
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool)[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    context = weights @ values
    return context, weights, (query, keys, values, W_q, W_k, v, t, weights)
'''
_BACKWARD = '''

def additive_attention_backward(dcontext, cache):
    query, keys, values, W_q, W_k, v, t, weights = cache
    dvalues = weights.swapaxes(1, 2) @ dcontext
    dweights = dcontext @ values.swapaxes(1, 2)
    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))
    dv = np.einsum("bij,bija->a", dscores, t)
    du = dscores[..., None] * v * (1.0 - t ** 2)
    dpq, dpk = du.sum(axis=2), du.sum(axis=1)
    return {"query": dpq @ W_q.T, "keys": dpk @ W_k.T, "values": dvalues,
            "W_q": np.einsum("bid,bia->da", query, dpq), "W_k": np.einsum("bjd,bja->da", keys, dpk), "v": dv}
'''
_BEAM = '''def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    beams, finished = [([], 0.0)], []
    for _ in range(max_len):
        candidates = []
        for ids, total in beams:
            log_probs = np.asarray(step_fn(list(start_ids) + ids), dtype=np.float64)
            for token in range(len(log_probs)):
                candidates.append((ids + [token], total + float(log_probs[token])))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        beams = []
        for ids, total in candidates[:beam_width]:
            (finished if ids[-1] == eos_id else beams).append((ids, total))
        if not beams:
            break
    finished += beams
    ranked = [(ids, total, total / len(ids) ** alpha) for ids, total in finished]
    return sorted(ranked, key=lambda r: (-r[2], r[0]))
'''
_BLEU = '''from collections import Counter
import math


def corpus_bleu(hypotheses, references):
    def ngrams(tokens, n):
        return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))

    c = r = 0
    matches, totals = [0] * 4, [0] * 4
    for hyp, refs in zip(hypotheses, references):
        c += len(hyp)
        r += min((len(ref) for ref in refs), key=lambda n: (abs(n - len(hyp)), n))
        for n in range(1, 5):
            hyp_counts = ngrams(hyp, n)
            max_ref = Counter()
            for ref in refs:
                for gram, count in ngrams(ref, n).items():
                    max_ref[gram] = max(max_ref[gram], count)
            matches[n - 1] += sum(min(count, max_ref[gram]) for gram, count in hyp_counts.items())
            totals[n - 1] += sum(hyp_counts.values())
    if c == 0 or min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1.0 - r / c)
    return bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / 4)
'''


def _edit(source, old, new):
    """The reference cell with one realistic mistake: `old` (which must occur exactly once) becomes `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


ANSWERS = [
    # ---------------------------------------------------------------- Task 1: Bahdanau attention
    ("attention", "wrong", "softmax over the queries (axis 1) instead of the keys",
     _edit(_edit(_FORWARD, "scores.max(axis=-1, keepdims=True)", "scores.max(axis=1, keepdims=True)"),
           "weights.sum(axis=-1, keepdims=True)", "weights.sum(axis=1, keepdims=True)") + _BACKWARD),
    ("attention", "wrong", "backward forgets the tanh derivative (1 - t^2)",
     _FORWARD + _edit(_BACKWARD, "du = dscores[..., None] * v * (1.0 - t ** 2)", "du = dscores[..., None] * v")),
    ("attention", "wrong", "the padding mask is ignored",
     _edit(_FORWARD, "    if mask is not None:\n        scores = np.where(np.asarray(mask, dtype=bool)[:, None, :], "
           "scores, -np.inf)\n", "") + _BACKWARD),
    ("attention", "wrong", "mask applied after the softmax (padded weights zeroed, rows not renormalised)",
     _edit(_edit(_FORWARD, "    if mask is not None:\n        scores = np.where(np.asarray(mask, dtype=bool)"
                 "[:, None, :], "
                 "scores, -np.inf)\n", ""),
           "    context = weights @ values\n",
           "    if mask is not None:\n        weights = weights * np.asarray(mask, dtype=float)[:, None, :]\n"
           "    context = weights @ values\n") + _BACKWARD),
    ("attention", "wrong", "softmax without subtracting the max: overflows to nan for scores of several hundred",
     _edit(_FORWARD, "np.exp(scores - scores.max(axis=-1, keepdims=True))", "np.exp(scores)") + _BACKWARD),
    ("attention", "wrong", "softmax backward without the minus-sum term: dscores = weights * dweights",
     _FORWARD + _edit(_BACKWARD, "weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))",
                      "weights * dweights")),
    ("attention", "wrong", "dlkit's AdditiveAttention layer on the projected inputs (policy: scores 0)", '''
import dlkit.np as dnp


def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    layer = dnp.layers.AdditiveAttention(dtype="float64")
    pq, pk = query @ W_q, keys @ W_k
    layer([pq, values, pk])
    layer.params["scale"][...] = v
    context, weights = layer([pq, values, pk], mask=None if mask is None else [None, mask],
                             return_attention_scores=True)
    return context, weights, (layer, query, keys, W_q, W_k)


def additive_attention_backward(dcontext, cache):
    layer, query, keys, W_q, W_k = cache
    dpq, dvalues, dpk = layer.backward(dcontext)
    return {"query": dpq @ W_q.T, "keys": dpk @ W_k.T, "values": dvalues,
            "W_q": np.einsum("bid,bia->da", query, dpq), "W_k": np.einsum("bjd,bja->da", keys, dpk),
            "v": layer.grads["scale"]}
'''),
    ("attention", "correct", "loops over the batch and the queries; mask as a -1e9 shift (Keras)", '''
def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    B, Tq, Tv = query.shape[0], query.shape[1], keys.shape[1]
    pq, pk = query @ W_q, keys @ W_k
    t = np.zeros((B, Tq, Tv, v.shape[0]))
    weights = np.zeros((B, Tq, Tv))
    for b in range(B):
        for i in range(Tq):
            t[b, i] = np.tanh(pq[b, i] + pk[b])
            e = t[b, i] @ v
            if mask is not None:
                e = e - 1e9 * (1.0 - np.asarray(mask[b], dtype=float))
            e = np.exp(e - e.max())
            weights[b, i] = e / e.sum()
    return weights @ values, weights, (query, keys, values, W_q, W_k, v, t, weights)


def additive_attention_backward(dcontext, cache):
    query, keys, values, W_q, W_k, v, t, weights = cache
    B, Tq, Tv = weights.shape
    grads = {"query": np.zeros(query.shape), "keys": np.zeros(keys.shape), "values": np.zeros(values.shape),
             "W_q": np.zeros(W_q.shape), "W_k": np.zeros(W_k.shape), "v": np.zeros(v.shape)}
    for b in range(B):
        grads["values"][b] = weights[b].T @ dcontext[b]
        dw = dcontext[b] @ values[b].T
        for i in range(Tq):
            de = weights[b, i] * (dw[i] - dw[i] @ weights[b, i])
            grads["v"] += de @ t[b, i]
            du = de[:, None] * v[None, :] * (1 - t[b, i] ** 2)
            grads["query"][b, i] += W_q @ du.sum(axis=0)
            grads["W_q"] += np.outer(query[b, i], du.sum(axis=0))
            grads["keys"][b] += du @ W_k.T
            grads["W_k"] += keys[b].T @ du
    return grads
'''),
    ("attention", "correct", "einsum everywhere; cache as a dict; masked softmax through np.where after exp", '''
def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    u = np.einsum("bid,da->bia", query, W_q)[:, :, None] + np.einsum("bjd,da->bja", keys, W_k)[:, None]
    t = np.tanh(u)
    e = np.einsum("bija,a->bij", t, v)
    real = np.ones(e.shape, bool) if mask is None else np.broadcast_to(np.asarray(mask, bool)[:, None, :], e.shape)
    m = np.max(np.where(real, e, -np.inf), axis=-1, keepdims=True)
    ex = np.where(real, np.exp(np.where(real, e - m, 0.0)), 0.0)
    w = ex / ex.sum(axis=-1, keepdims=True)
    return np.einsum("bij,bjd->bid", w, values), w, {"x": (query, keys, values, W_q, W_k, v), "t": t, "w": w}


def additive_attention_backward(dcontext, cache):
    query, keys, values, W_q, W_k, v = cache["x"]
    t, w = cache["t"], cache["w"]
    dw = np.einsum("bid,bjd->bij", dcontext, values)
    de = w * dw - w * np.einsum("bij,bij->bi", w, dw)[..., None]
    du = np.einsum("bij,a,bija->bija", de, v, 1 - t * t)
    gq, gk = np.einsum("bija->bia", du), np.einsum("bija->bja", du)
    return {"query": np.einsum("bia,da->bid", gq, W_q), "keys": np.einsum("bja,da->bjd", gk, W_k),
            "values": np.einsum("bij,bid->bjd", w, dcontext), "W_q": np.einsum("bid,bia->da", query, gq),
            "W_k": np.einsum("bjd,bja->da", keys, gk), "v": np.einsum("bij,bija->a", de, t)}
'''),
    # ---------------------------------------------------------------- Task 2: beam search
    ("beam_search", "wrong", "drops the finished hypotheses: only the live beams are returned at the end",
     _edit(_BEAM, "(finished if ids[-1] == eos_id else beams).append((ids, total))",
           "if ids[-1] != eos_id:\n                beams.append((ids, total))")),
    ("beam_search", "wrong", "adds probabilities instead of log-probabilities",
     _edit(_BEAM, "total + float(log_probs[token])", "total + float(np.exp(log_probs[token]))")),
    ("beam_search", "wrong", "keeps the beam_width best tokens of each beam (no global pruning: the beam grows)", '''
def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    beams, finished = [([], 0.0)], []
    for _ in range(max_len):
        new_beams = []
        for ids, total in beams:
            log_probs = np.asarray(step_fn(list(start_ids) + ids), dtype=np.float64)
            for token in np.argsort(-log_probs, kind="stable")[:beam_width]:
                cand = (ids + [int(token)], total + float(log_probs[token]))
                (finished if token == eos_id else new_beams).append(cand)
        beams = new_beams
        if not beams:
            break
    finished += beams
    ranked = [(ids, total, total / len(ids) ** alpha) for ids, total in finished]
    return sorted(ranked, key=lambda r: (-r[2], r[0]))
'''),
    ("beam_search", "wrong", "length normalisation counts the start_ids in the length",
     _edit(_BEAM, "total / len(ids) ** alpha", "total / len(list(start_ids) + ids) ** alpha")),
    ("beam_search", "wrong", "ties broken toward the larger ids (sorted in reverse)",
     _edit(_BEAM, "candidates.sort(key=lambda c: (-c[1], c[0]))",
           "candidates.sort(key=lambda c: (c[1], c[0]), reverse=True)")),
    ("beam_search", "wrong", "ties broken by generation order (stable argsort of the scores), not by the ids", '''
def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    beams, finished = [([], 0.0)], []
    for _ in range(max_len):
        totals, cands = [], []
        for ids, total in beams:
            lp = np.asarray(step_fn(list(start_ids) + ids), dtype=np.float64)
            for t in range(len(lp)):
                cands.append(ids + [t])
                totals.append(total + lp[t])
        order = np.argsort(-np.array(totals), kind="stable")[:beam_width]
        beams = []
        for k in order:
            (finished if cands[k][-1] == eos_id else beams).append((cands[k], float(totals[k])))
        if not beams:
            break
    finished += beams
    ranked = [(ids, total, total / len(ids) ** alpha) for ids, total in finished]
    return sorted(ranked, key=lambda r: (-r[2], r[0]))
'''),
    ("beam_search", "wrong", "step_fn called with the generated ids only (start_ids only for the first step)",
     _edit(_BEAM, "step_fn(list(start_ids) + ids)", "step_fn(ids if ids else list(start_ids))")),
    ("beam_search", "wrong", "one-line call to dlkit.text.beam_search (policy: scores 0)", '''
from dlkit.text import beam_search as _beam


def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    return _beam(step_fn, start_ids, eos_id, max_len, beam_width=beam_width, alpha=alpha)
'''),
    ("beam_search", "correct", "a (beams, V) score matrix, per-beam top-k with argsort, then one global sort", '''
def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    beams, done = [((), 0.0)], []
    for _ in range(max_len):
        lp = np.stack([np.asarray(step_fn([*start_ids, *ids]), dtype=np.float64) for ids, _ in beams])
        totals = np.array([s for _, s in beams])[:, None] + lp
        cands = [(beams[b][0] + (int(t),), float(totals[b, t])) for b in range(len(beams))
                 for t in np.argsort(-totals[b], kind="stable")[:beam_width]]
        cands.sort(key=lambda c: (-c[1], c[0]))
        beams = []
        for ids, s in cands[:beam_width]:
            (done if ids[-1] == eos_id else beams).append((ids, s))
        if not beams:
            break
    done += beams
    out = [(list(ids), s, s / len(ids) ** alpha) for ids, s in done]
    out.sort(key=lambda h: (-h[2], h[0]))
    return out
'''),
    ("beam_search", "correct", "heapq.nsmallest over a generator; finished and live kept in dicts", '''
import heapq


def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    live, finished = {(): 0.0}, {}
    step = 0
    while live and step < max_len:
        step += 1

        def candidates():
            for ids, total in live.items():
                log_probs = step_fn(list(start_ids) + list(ids))
                for tok, lp in enumerate(log_probs):
                    yield (-(total + float(lp)), ids + (tok,))
        best = heapq.nsmallest(beam_width, candidates())
        live = {}
        for neg, ids in best:
            if ids[-1] == eos_id:
                finished[ids] = -neg
            else:
                live[ids] = -neg
    finished.update(live)
    result = [(list(ids), lp, lp / (len(ids) ** alpha)) for ids, lp in finished.items()]
    return sorted(result, key=lambda h: (-h[2], h[0]))
'''),
    # ---------------------------------------------------------------- Task 3: corpus BLEU
    ("bleu", "wrong", "no clipping: every hypothesis n-gram found in a reference counts",
     _edit(_BLEU, "sum(min(count, max_ref[gram]) for gram, count in hyp_counts.items())",
           "sum(count for gram, count in hyp_counts.items() if max_ref[gram] > 0)")),
    ("bleu", "wrong", "brevity penalty with the inverted ratio exp(1 - c / r)",
     _edit(_BLEU, "math.exp(1.0 - r / c)", "math.exp(1.0 - c / r)")),
    ("bleu", "wrong", "brevity penalty with the shortest reference, not the closest",
     _edit(_BLEU, "min((len(ref) for ref in refs), key=lambda n: (abs(n - len(hyp)), n))",
           "min(len(ref) for ref in refs)")),
    ("bleu", "wrong", "brevity penalty applied also when the hypothesis is longer (BP > 1)",
     _edit(_BLEU, "bp = 1.0 if c > r else math.exp(1.0 - r / c)", "bp = math.exp(1.0 - r / c)")),
    ("bleu", "wrong", "n-gram orders off by one: n = 1..3",
     _edit(_edit(_edit(_BLEU, "for n in range(1, 5):", "for n in range(1, 4):"), "zip(matches, totals)) / 4",
                 "zip(matches[:3], totals[:3])) / 3"), "min(matches) == 0", "min(matches[:3]) == 0")),
    ("bleu", "wrong", "mean of the sentence BLEU scores instead of corpus statistics",
     _edit(_BLEU, "def corpus_bleu(hypotheses, references):", "def _one_bleu(hypotheses, references):") + '''

def corpus_bleu(hypotheses, references):
    return sum(_one_bleu([h], [r]) for h, r in zip(hypotheses, references)) / len(hypotheses)
'''),
    ("bleu", "wrong", "sacrebleu's corpus_bleu (policy: scores 0)", '''
import sacrebleu


def corpus_bleu(hypotheses, references):
    k = max(len(r) for r in references)
    streams = [[" ".join(r[i]) if i < len(r) else None for r in references] for i in range(k)]
    return sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses], streams, tokenize="none",
                                 smooth_method="none", force=True).score / 100
'''),
    ("bleu", "wrong", "dlkit.text.corpus_bleu (policy: scores 0)", '''
import dlkit.text


def corpus_bleu(hypotheses, references):
    return dlkit.text.corpus_bleu(hypotheses, references)
'''),
    ("bleu", "correct", "Counter & and |, zip n-grams, sorted closest length, product of precisions", '''
from collections import Counter
import math


def corpus_bleu(hypotheses, references):
    grams = lambda toks, n: Counter(zip(*[toks[i:] for i in range(n)]))  # noqa: E731
    hyp_len = ref_len = 0
    num, den = [0] * 4, [0] * 4
    for hyp, refs in zip(hypotheses, references):
        hyp_len += len(hyp)
        ref_len += sorted((abs(len(r) - len(hyp)), len(r)) for r in refs)[0][1]
        for n in range(4):
            h = grams(hyp, n + 1)
            best = Counter()
            for r in refs:
                best |= grams(r, n + 1)
            num[n] += sum((h & best).values())
            den[n] += sum(h.values())
    if 0 in num:
        return 0.0
    prod = 1.0
    for a, b in zip(num, den):
        prod *= a / b
    bp = min(1.0, math.exp(1 - ref_len / hyp_len))
    return bp * prod ** 0.25
'''),
    ("bleu", "correct", "plain dicts and explicit loops, log-space with math.fsum, BP via an if", '''
import math


def corpus_bleu(hypotheses, references):
    stats = {n: [0, 0] for n in (1, 2, 3, 4)}
    c = r = 0
    for hyp, refs in zip(hypotheses, references):
        c += len(hyp)
        best = None
        for ref in refs:
            d, bd = abs(len(ref) - len(hyp)), None if best is None else abs(best - len(hyp))
            if best is None or d < bd or (d == bd and len(ref) < best):
                best = len(ref)
        r += best
        for n in stats:
            counts = {}
            for i in range(len(hyp) - n + 1):
                g = tuple(hyp[i:i + n])
                counts[g] = counts.get(g, 0) + 1
            for g, k in counts.items():
                most = 0
                for ref in refs:
                    most = max(most, sum(1 for i in range(len(ref) - n + 1) if tuple(ref[i:i + n]) == g))
                stats[n][0] += min(k, most)
            stats[n][1] += max(len(hyp) - n + 1, 0)
    if any(m == 0 for m, _ in stats.values()):
        return 0.0
    log_mean = math.fsum(math.log(m) - math.log(t) for m, t in stats.values()) / 4
    bp = 1.0
    if c < r:
        bp = math.exp(1 - r / c)
    return bp * math.exp(log_mean)
'''),
]
