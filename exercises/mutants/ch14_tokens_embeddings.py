"""Realistic answers to ch14_tokens_embeddings (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_COUNTS = '''from collections import Counter


def pair_counts(words):
    counts = Counter()
    for symbols, freq in words.items():
        for a, b in zip(symbols[:-1], symbols[1:]):
            counts[a, b] += freq
    return counts
'''
_MERGE = '''

def merge_pair(words, pair):
    a, b = pair
    merged = {}
    for symbols, freq in words.items():
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        merged[tuple(out)] = freq
    return merged
'''
_ENCODE_WORD = '''END_OF_WORD = "</w>"


def _merge_word(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == tuple(pair):
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def bpe_encode_word(word, merges):
    symbols = list(word[:-1]) + [word[-1] + END_OF_WORD]
    for pair in merges:
        symbols = _merge_word(symbols, pair)
    return symbols
'''
_ENCODE_TEXT = '''

def bpe_encode(text, merges):
    tokens = []
    for word in text.split():
        tokens.extend(bpe_encode_word(word, merges))
    return tokens
'''
_SGNS = '''
def sgns_loss(v, u_o, u_k):
    v, u_o, u_k = (np.asarray(a, dtype=np.float64) for a in (v, u_o, u_k))
    B = v.shape[0]
    pos = np.sum(u_o * v, axis=1)
    neg = np.einsum("bkd,bd->bk", u_k, v)
    loss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / B
    sigmoid = lambda x: np.exp(-np.logaddexp(0.0, -x))
    g_pos = (sigmoid(pos) - 1.0) / B
    g_neg = sigmoid(neg) / B
    dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    du_o = g_pos[:, None] * v
    du_k = g_neg[:, :, None] * v[:, None, :]
    return float(loss), (dv, du_o, du_k)
'''


def _edit(source, old, new):
    """The reference cell with one realistic mistake: `old` (which must occur exactly once) becomes `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


ANSWERS = [
    # ---------------------------------------------------------------- Task 1: pair_counts and merge_pair
    ("bpe_merge", "wrong", "unweighted counts: += 1 per occurrence, the word frequencies ignored",
     _edit(_COUNTS, "counts[a, b] += freq", "counts[a, b] += 1") + _MERGE),
    ("bpe_merge", "wrong", "counts each pair once per word (a set of the word's pairs): repeated pairs lost",
     _edit(_COUNTS, "for a, b in zip(symbols[:-1], symbols[1:]):", "for a, b in set(zip(symbols[:-1], symbols[1:])):")
     + _MERGE),
    ("bpe_merge", "wrong", "counts only non-overlapping occurrences (skips the next position after a match)", '''
from collections import Counter


def pair_counts(words):
    counts = Counter()
    for symbols, freq in words.items():
        i = 0
        while i < len(symbols) - 1:
            counts[symbols[i], symbols[i + 1]] += freq
            i += 2 if symbols[i] == symbols[i + 1] else 1
    return counts
''' + _MERGE),
    ("bpe_merge", "wrong", "string replace on the space-joined word: merges across symbol boundaries ('x ab c')",
     _COUNTS + '''

def merge_pair(words, pair):
    a, b = pair
    return {tuple(" ".join(symbols).replace(a + " " + b, a + b).split(" ")): freq for symbols, freq in words.items()}
'''),
    ("bpe_merge", "wrong", "scans right to left, so ('a', 'a', 'a') becomes ('a', 'aa')", _COUNTS + '''

def merge_pair(words, pair):
    a, b = pair
    merged = {}
    for symbols, freq in words.items():
        out, i = [], len(symbols) - 1
        while i >= 0:
            if i >= 1 and symbols[i - 1] == a and symbols[i] == b:
                out.insert(0, a + b)
                i -= 2
            else:
                out.insert(0, symbols[i])
                i -= 1
        merged[tuple(out)] = freq
    return merged
'''),
    ("bpe_merge", "wrong", "merges only the first occurrence of the pair in each word",
     _COUNTS + _edit(_MERGE, "                i += 2\n",
                     "                out.extend(symbols[i + 2:])\n                break\n")),
    ("bpe_merge", "wrong", "modifies the caller's dict in place (pop and re-insert) and returns it", _COUNTS + '''

def merge_pair(words, pair):
    a, b = pair
    for symbols in list(words):
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        words[tuple(out)] = words.pop(symbols)
    return words
'''),
    ("bpe_merge", "wrong", "the merged symbol kept as the pair (a, b) instead of the string a + b",
     _COUNTS + _edit(_MERGE, "out.append(a + b)", "out.append((a, b))")),
    ("bpe_merge", "wrong", "imports dlkit.text's pair_counts and merge_pair (policy: scores 0)", '''
from dlkit.text import merge_pair, pair_counts
'''),
    ("bpe_merge", "correct", "subword-nmt style: a regex on the space-joined word with (?<!\\S) ... (?!\\S)", '''
import collections
import re


def pair_counts(words):
    counts = collections.defaultdict(int)
    for symbols, freq in words.items():
        for i in range(len(symbols) - 1):
            counts[symbols[i], symbols[i + 1]] += freq
    return dict(counts)


def merge_pair(words, pair):
    pattern = re.compile(r"(?<!\\S)" + re.escape(" ".join(pair)) + r"(?!\\S)")
    return {tuple(pattern.sub("".join(pair), " ".join(symbols)).split(" ")): freq for symbols, freq in words.items()}
'''),
    ("bpe_merge", "correct", "Counter.update with a generator; merge by splicing a list, then stepping past", '''
from collections import Counter


def pair_counts(words):
    counts = Counter()
    for symbols, freq in words.items():
        counts.update({p: 0 for p in zip(symbols, symbols[1:])})
        for p in zip(symbols, symbols[1:]):
            counts[p] += freq
    return counts


def merge_pair(words, pair):
    new = {}
    for symbols, freq in words.items():
        s, i = list(symbols), 0
        while i < len(s) - 1:
            if (s[i], s[i + 1]) == tuple(pair):
                s[i:i + 2] = [s[i] + s[i + 1]]
            i += 1
        new[tuple(s)] = freq
    return new
'''),
    ("bpe_merge", "correct", "recursion on the tuple; counts as a plain dict via dict.get", '''
def pair_counts(words):
    counts = {}
    for symbols, freq in words.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return counts


def _merge(symbols, a, b):
    if len(symbols) < 2:
        return tuple(symbols)
    if symbols[0] == a and symbols[1] == b:
        return (a + b,) + _merge(symbols[2:], a, b)
    return (symbols[0],) + _merge(symbols[1:], a, b)


def merge_pair(words, pair):
    return {_merge(tuple(symbols), *pair): freq for symbols, freq in words.items()}
'''),
    # ---------------------------------------------------------------- Task 2: bpe_encode_word and bpe_encode
    ("bpe_encode", "wrong", "no end-of-word marker: the word is just its characters",
     _edit(_ENCODE_WORD, "list(word[:-1]) + [word[-1] + END_OF_WORD]", "list(word)") + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "the marker as a separate symbol: ('l', 'o', 'w', '</w>')",
     _edit(_ENCODE_WORD, "list(word[:-1]) + [word[-1] + END_OF_WORD]", "list(word) + [END_OF_WORD]") + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "applies the merges from the last learned to the first",
     _edit(_ENCODE_WORD, "for pair in merges:", "for pair in reversed(merges):") + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "greedy by position: repeatedly merges the leftmost adjacent pair that is any merge", '''
END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    known = set(map(tuple, merges))
    symbols = list(word[:-1]) + [word[-1] + END_OF_WORD]
    merged = True
    while merged:
        merged = False
        for i in range(len(symbols) - 1):
            if (symbols[i], symbols[i + 1]) in known:
                symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
                merged = True
                break
    return symbols
''' + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "re-learns on the word: merges the most frequent known pair of the word, not by rank", '''
from collections import Counter

END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    known = set(map(tuple, merges))
    symbols = list(word[:-1]) + [word[-1] + END_OF_WORD]
    while True:
        counts = Counter(p for p in zip(symbols, symbols[1:]) if p in known)
        if not counts:
            return symbols
        a, b = counts.most_common(1)[0][0]
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
''' + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "each merge applied to its first occurrence in the word only",
     _edit(_ENCODE_WORD, "            i += 2\n", "            out.extend(symbols[i + 2:])\n            break\n")
     + _ENCODE_TEXT),
    ("bpe_encode", "wrong", "splits the text on single spaces (text.split(' ')): tabs, newlines, double spaces",
     _ENCODE_WORD + _edit(_ENCODE_TEXT, "text.split()", 'text.split(" ")')),
    ("bpe_encode", "wrong", "bpe_encode returns one list per word (a list of lists), not one flat list",
     _ENCODE_WORD + _edit(_ENCODE_TEXT, "tokens.extend(", "tokens.append(")),
    ("bpe_encode", "wrong", "one-line call to dlkit.text.bpe_encode_fast (policy: scores 0)", _ENCODE_WORD + '''
from dlkit.text import bpe_encode_fast


def bpe_encode(text, merges):
    return bpe_encode_fast(text, merges)
'''),
    ("bpe_encode", "wrong", "builds a dlkit.text.BPETokenizer from the merges (policy: scores 0)", '''
import dlkit.text

END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    return bpe_encode(word, merges)


def bpe_encode(text, merges):
    tok = dlkit.text.BPETokenizer(num_merges=0)
    tok.merges = [tuple(m) for m in merges]
    return tok.tokenize(text)
'''),
    ("bpe_encode", "wrong", "a Hugging Face tokenizers BPE model built from the merges (policy: scores 0)", '''
from tokenizers import Tokenizer, models, pre_tokenizers

END_OF_WORD = "</w>"


def bpe_encode(text, merges):
    if not text.split():
        return []
    symbols = {s for m in merges for s in m} | {a + b for a, b in merges}
    for w in text.split():
        symbols |= set(w) | {w[-1] + END_OF_WORD}
    vocab = {s: i for i, s in enumerate(sorted(symbols))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m) for m in merges], end_of_word_suffix=END_OF_WORD))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tok.encode(text).tokens


def bpe_encode_word(word, merges):
    return bpe_encode(word, merges)
'''),
    ("bpe_encode", "correct", "rank-based, as tokenizers does: merge the earliest-learned pair present, repeat", '''
END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    ranks = {tuple(m): r for r, m in enumerate(merges)}
    symbols = list(word[:-1]) + [word[-1] + END_OF_WORD]
    while len(symbols) > 1:
        pairs = list(zip(symbols, symbols[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                out.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols


def bpe_encode(text, merges):
    cache = {}
    return [s for w in text.split() for s in cache.setdefault(w, bpe_encode_word(w, merges))]
'''),
    ("bpe_encode", "correct", "a space-joined string and one regex substitution per merge; returns tuples", '''
import re

END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    s = " ".join(word) + END_OF_WORD
    for a, b in merges:
        s = re.sub(r"(?<!\\S)" + re.escape(a + " " + b) + r"(?!\\S)", a + b, s)
    return tuple(s.split(" "))


def bpe_encode(text, merges):
    return sum((list(bpe_encode_word(w, merges)) for w in re.split(r"\\s+", text) if w), [])
'''),
    ("bpe_encode", "correct", "calls the student's merge_pair from Task 1 on a one-word dict", '''
END_OF_WORD = "</w>"


def bpe_encode_word(word, merges):
    state = {tuple(word[:-1]) + (word[-1] + END_OF_WORD,): 1}
    for pair in merges:
        state = merge_pair(state, pair)
    (symbols,) = state
    return list(symbols)


def bpe_encode(text, merges):
    out = []
    for w in text.split():
        out += bpe_encode_word(w, merges)
    return out
'''),
    # ---------------------------------------------------------------- Task 3: sgns_loss
    ("sgns", "wrong", "sign error in the negative term: log sigma(u_k . v) instead of log sigma(-u_k . v)",
     _edit(_edit(_SGNS, "np.logaddexp(0.0, neg).sum()", "np.logaddexp(0.0, -neg).sum()"),
           "g_neg = sigmoid(neg) / B", "g_neg = (sigmoid(neg) - 1.0) / B")),
    ("sgns", "wrong", "gradients not averaged: the loss is a mean, the gradients are sums over the batch",
     _edit(_edit(_SGNS, "g_pos = (sigmoid(pos) - 1.0) / B", "g_pos = sigmoid(pos) - 1.0"),
           "g_neg = sigmoid(neg) / B", "g_neg = sigmoid(neg)")),
    ("sgns", "wrong", "sums over the batch instead of the mean (loss and gradients)",
     _edit(_edit(_edit(_SGNS, "np.logaddexp(0.0, neg).sum()) / B", "np.logaddexp(0.0, neg).sum())"),
                 "g_pos = (sigmoid(pos) - 1.0) / B", "g_pos = sigmoid(pos) - 1.0"),
           "g_neg = sigmoid(neg) / B", "g_neg = sigmoid(neg)")),
    ("sgns", "wrong", "naive log(sigmoid(x)): -inf for scores of -1000 (the gradients are right)", '''
def sgns_loss(v, u_o, u_k):
    B = v.shape[0]
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    pos = np.sum(u_o * v, axis=1)
    neg = np.einsum("bkd,bd->bk", u_k, v)
    loss = -(np.log(sigmoid(pos)).sum() + np.log(sigmoid(-neg)).sum()) / B
    g_pos = (sigmoid(pos) - 1) / B
    g_neg = sigmoid(neg) / B
    dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    return float(loss), (dv, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :])
'''),
    ("sgns", "wrong", "'stable' log1p(exp(-x)): still overflows to inf when x is very negative",
     _edit(_SGNS, "loss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / B",
           "loss = (np.log1p(np.exp(-pos)).sum() + np.log1p(np.exp(neg)).sum()) / B")),
    ("sgns", "wrong", "Keras-style clipping of sigma to [1e-7, 1 - 1e-7] before the log: loss capped near 16", '''
def sgns_loss(v, u_o, u_k):
    B = v.shape[0]
    sigmoid = lambda x: np.clip(np.exp(-np.logaddexp(0.0, -x)), 1e-7, 1 - 1e-7)
    pos = np.sum(u_o * v, axis=1)
    neg = np.einsum("bkd,bd->bk", u_k, v)
    loss = -(np.log(sigmoid(pos)).sum() + np.log(sigmoid(-neg)).sum()) / B
    g_pos = (np.exp(-np.logaddexp(0.0, -pos)) - 1) / B
    g_neg = np.exp(-np.logaddexp(0.0, -neg)) / B
    dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    return float(loss), (dv, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :])
'''),
    ("sgns", "wrong", "averages the negative term over the K negatives too",
     _edit(_edit(_SGNS, "np.logaddexp(0.0, neg).sum()) / B", "np.logaddexp(0.0, neg).mean(axis=1).sum()) / B"),
           "g_neg = sigmoid(neg) / B", "g_neg = sigmoid(neg) / (B * neg.shape[1])")),
    ("sgns", "wrong", "sign error in the context gradient: 1 - sigma(u_o . v) instead of sigma(u_o . v) - 1",
     _edit(_SGNS, "g_pos = (sigmoid(pos) - 1.0) / B", "g_pos = (1.0 - sigmoid(pos)) / B")),
    ("sgns", "wrong", "dv forgets the negatives' contribution (only the context term)",
     _edit(_SGNS, 'dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)', "dv = g_pos[:, None] * u_o")),
    ("sgns", "wrong", "du_k with the wrong sign: -sigma(u_k . v) v",
     _edit(_SGNS, "du_k = g_neg[:, :, None] * v[:, None, :]", "du_k = -g_neg[:, :, None] * v[:, None, :]")),
    ("sgns", "wrong", "one-line call to dlkit.text.sgns_loss (policy: scores 0)", '''
import dlkit.text


def sgns_loss(v, u_o, u_k):
    return dlkit.text.sgns_loss(v, u_o, u_k)
'''),
    ("sgns", "wrong", "uses dlkit.text's stable sigmoid and log_sigmoid helpers (policy: scores 0)", '''
from dlkit.text.skipgram import log_sigmoid, sigmoid


def sgns_loss(v, u_o, u_k):
    B = v.shape[0]
    pos = np.sum(u_o * v, axis=1)
    neg = np.einsum("bkd,bd->bk", u_k, v)
    loss = -(log_sigmoid(pos).sum() + log_sigmoid(-neg).sum()) / B
    g_pos = (sigmoid(pos) - 1) / B
    g_neg = sigmoid(neg) / B
    dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    return float(loss), (dv, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :])
'''),
    ("sgns", "correct", "loops over examples and negatives with math, a stable softplus by cases", '''
import math


def _softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def sgns_loss(v, u_o, u_k):
    B, K = u_k.shape[0], u_k.shape[1]
    loss, dv, du_o, du_k = 0.0, np.zeros(v.shape), np.zeros(u_o.shape), np.zeros(u_k.shape)
    for b in range(B):
        s = float(u_o[b] @ v[b])
        loss += _softplus(-s) / B
        g = (math.exp(-_softplus(-s)) - 1) / B
        dv[b] += g * u_o[b]
        du_o[b] = g * v[b]
        for k in range(K):
            s = float(u_k[b, k] @ v[b])
            loss += _softplus(s) / B
            g = math.exp(-_softplus(-s)) / B
            dv[b] += g * u_k[b, k]
            du_k[b, k] = g * v[b]
    return loss, (dv, du_o, du_k)
'''),
    ("sgns", "correct", "scipy.special.log_expit and expit, matmul with a new axis", '''
from scipy.special import expit, log_expit


def sgns_loss(v, u_o, u_k):
    B = len(v)
    pos = (u_o * v).sum(-1)
    neg = (u_k @ v[:, :, None])[..., 0]
    loss = -(log_expit(pos).sum() + log_expit(-neg).sum()) / B
    a = (expit(pos) - 1) / B
    c = expit(neg) / B
    return loss, (a[:, None] * u_o + (c[:, :, None] * u_k).sum(1), a[:, None] * v, c[..., None] * v[:, None])
'''),
    ("sgns", "correct", "stacked scores with labels +-1, softplus max(x, 0) + log1p(exp(-|x|)), np.where sigmoid",
     '''
def sgns_loss(v, u_o, u_k):
    B = v.shape[0]
    u = np.concatenate([u_o[:, None, :], u_k], axis=1)          # (B, K + 1, D)
    sign = np.ones(u.shape[:2])
    sign[:, 0] = -1.0                                           # -log sigma(s) = softplus(-s) for the context
    x = sign * np.einsum("bkd,bd->bk", u, v)
    loss = np.sum(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))) / B
    sig = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))   # d softplus(x)/dx
    g = sign * sig / B                                          # dL/d(u . v)
    dv = np.einsum("bk,bkd->bd", g, u)
    du = g[:, :, None] * v[:, None, :]
    return loss, (dv, du[:, 0], du[:, 1:])
'''),
]
