"""Self-check of Exercise 14 (the BPE merge step, the BPE encoder, the skip-gram negative-sampling loss):
independent references written here (plain Python loops, one word or one score at a time) and finite differences.

``reference_pair_counts``, ``reference_merge_pair`` and ``check_mapping`` are also used by the graded notebook's
test cells (Task 2 is graded with these correct versions of Task 1's functions). Never imports TensorFlow or
Hugging Face ``tokenizers``; the references never call ``dlkit.text`` (its BPE functions are blocked while the
student's code runs).
"""
import functools
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

END_OF_WORD = "</w>"
BPE_POLICY = ("dlkit.text.bpe.word_to_symbols", "dlkit.text.bpe.pair_counts", "dlkit.text.bpe.merge_symbols",
              "dlkit.text.bpe.merge_pair", "dlkit.text.bpe.best_pair", "dlkit.text.bpe.train_bpe",
              "dlkit.text.bpe.bpe_encode_word", "dlkit.text.bpe.bpe_encode", "dlkit.text.bpe_fast._pairs",
              "dlkit.text.bpe_fast.train_bpe_fast", "dlkit.text.bpe_fast.bpe_encode_word_fast",
              "dlkit.text.bpe_fast.bpe_encode_fast")
HF_POLICY = ("tokenizers.Tokenizer", "tokenizers.models.BPE")
# this module's references are off limits too (Task 2 is graded with the first two, so they are allowed there)
MERGE_POLICY = BPE_POLICY + (f"{__name__}.reference_pair_counts", f"{__name__}.reference_merge_pair")
ENCODE_POLICY = BPE_POLICY + (f"{__name__}._encode_word_ref", f"{__name__}._encode_ref", f"{__name__}._train_ref")
SGNS_POLICY = ("dlkit.text.skipgram.sgns_loss", "dlkit.text.skipgram.sgns_embedding_grads",
               "dlkit.text.skipgram.log_sigmoid", "dlkit.text.skipgram.sigmoid", f"{__name__}._sgns_ref",
               f"{__name__}._sgns_grads_ref")

__all__ = ["reference_pair_counts", "reference_merge_pair", "check_mapping", "forbidden", "MERGE_POLICY",
           "ENCODE_POLICY", "SGNS_POLICY", "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its dlkit targets and, once Hugging Face ``tokenizers`` is loaded,
    its ``Tokenizer`` and ``models.BPE`` (importing it only to forbid it would cost time)."""
    return tuple(targets) + (HF_POLICY if "tokenizers" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references ---------------------------------------------------------------------------------------------------

def reference_pair_counts(words):
    """``{(a, b): count}``: every adjacent position of every word (overlapping ones too), weighted by its frequency."""
    counts = {}
    for symbols, freq in words.items():
        for i in range(len(symbols) - 1):
            counts[symbols[i], symbols[i + 1]] = counts.get((symbols[i], symbols[i + 1]), 0) + freq
    return counts


def reference_merge_pair(words, pair):
    """A new ``{symbols: freq}``: in each word, scanning left to right, ``a, b`` becomes ``a + b`` (non-overlapping)."""
    a, b = pair
    out = {}
    for symbols, freq in words.items():
        syms, i = list(symbols), 0
        while i < len(syms) - 1:
            if syms[i] == a and syms[i + 1] == b:
                syms[i:i + 2] = [a + b]          # the merged symbol is never part of another merge of this pair
            i += 1
        out[tuple(syms)] = freq
    return out


def _encode_word_ref(word, merges):
    symbols = {tuple(word[:-1]) + (word[-1] + END_OF_WORD,): 1}
    for pair in merges:
        symbols = reference_merge_pair(symbols, pair)
    return list(next(iter(symbols)))


def _encode_ref(text, merges):
    return [s for word in text.split() for s in _encode_word_ref(word, merges)]


def _train_ref(text, num_merges):
    """Merges learned from ``text`` (most frequent pair, ties to the smallest pair; at least 2 occurrences)."""
    words = {}
    for w in text.split():
        key = tuple(w[:-1]) + (w[-1] + END_OF_WORD,)
        words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(num_merges):
        counts = reference_pair_counts(words)
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < 2:
            break
        merges.append(pair)
        words = reference_merge_pair(words, pair)
    return merges


def _softplus(x):
    """log(1 + exp(x)) for a Python float, without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _sgns_ref(v, u_o, u_k):
    """Mean SGNS loss, one example and one negative at a time."""
    B, K = u_k.shape[0], u_k.shape[1]
    total = 0.0
    for b in range(B):
        total += _softplus(-float(np.dot(u_o[b], v[b])))            # -log sigma(u_o . v)
        for k in range(K):
            total += _softplus(float(np.dot(u_k[b, k], v[b])))      # -log sigma(-u_k . v)
    return total / B


# -- a dict comparison whose message says what was expected and what was returned --------------------------------

def check_mapping(name, got, expected, hint="", drop_zeros=False):
    """``got`` must be a dict (or Counter) with exactly the entries of ``expected`` (``drop_zeros``: entries of
    value 0 in ``got`` are ignored)."""
    more = f". Hint: {hint}" if hint else ""
    if got is None or not hasattr(got, "items"):
        raise AssertionError(f"{name}: expected a dict, got {describe(got)}{more}")
    got = {k: v for k, v in got.items() if not (drop_zeros and v == 0)}
    extra = [k for k in got if k not in expected]
    also = f" (and {extra[0]!r}: {got[extra[0]]!r}, not expected)" if extra else ""
    for key, value in expected.items():
        if key not in got:
            raise AssertionError(f"{name}: expected an entry {key!r}: {value}, got none{also}{more}")
        if got[key] != value:
            raise AssertionError(f"{name}[{key!r}]: expected {value}, got {describe(got[key])}{more}")
    if extra:
        raise AssertionError(f"{name}: expected no entry {extra[0]!r}, got {extra[0]!r}: {got[extra[0]]!r}"
                             f" ({len(got)} entries instead of {len(expected)}){more}")


# -- the checks ---------------------------------------------------------------------------------------------------

def _random_words(rng, n, alphabet, max_len, merge_prob=0.3):
    """``n`` distinct words over ``alphabet``, each split into random multi-character symbols, with frequencies."""
    strings = set()
    while len(strings) < n:
        strings.add("".join(str(c) for c in rng.choice(list(alphabet), size=int(rng.integers(1, max_len + 1)))))
    words = {}
    for s in sorted(strings):
        chars = list(s[:-1]) + [s[-1] + END_OF_WORD]
        syms = [chars[0]]
        for c in chars[1:]:
            if rng.random() < merge_prob:
                syms[-1] += c
            else:
                syms.append(c)
        words[tuple(syms)] = int(rng.integers(1, 10))
    return words


_HINT_COUNTS = ("count every adjacent position (overlapping ones too: ('a', 'a', 'a') holds ('a', 'a') twice), "
                "weighted by the word's frequency")
_HINT_MERGE = ("scan each word left to right; where symbols[i] == a and symbols[i + 1] == b, emit a + b and skip "
               "both (so ('a', 'a', 'a') becomes ('aa', 'a')); compare whole symbols, keep the frequencies")


def _merge(S, rng):
    states = [("the classic example", {("l", "o", "w" + END_OF_WORD): 5, ("l", "o", "w", "e", "r" + END_OF_WORD): 2,
                                       ("n", "e", "w", "e", "s", "t" + END_OF_WORD): 6,
                                       ("w", "i", "d", "e", "s", "t" + END_OF_WORD): 3}),
              ("words over 'ab'", _random_words(rng, 8, "ab", 7)),
              ("words over 'abc' with multi-character symbols", _random_words(rng, 10, "abc", 8, 0.5)),
              ("repeated pairs", {("a", "b", "a", "b", "c" + END_OF_WORD): 2, ("a", "a", "a", "a"): 1}),
              ("one-symbol words", {("a" + END_OF_WORD,): 3, ("ab",): 2}),
              ("an empty dict", {})]
    for what, words in states:
        before = dict(words)
        counts = S.pair_counts(words)
        check_mapping(f"pair_counts of {what}", counts, reference_pair_counts(words), _HINT_COUNTS, drop_zeros=True)
        check_true(words == before, f"words after pair_counts of {what}: expected it unchanged, got it modified. "
                   "Hint: do not modify your input")
        pairs = list(reference_pair_counts(words))[:6] + [("a", "a"), ("b", "c"), ("z", "z")]
        for pair in pairs:
            got = S.merge_pair(words, pair)
            check_mapping(f"merge_pair of {what}, pair {pair!r}", got, reference_merge_pair(words, pair), _HINT_MERGE)
            check_true(words == before, f"words after merge_pair of {what}: expected it unchanged, got it "
                       "modified. Hint: build and return a new dict")


def _encode(S, rng):
    corpus = ("the lowest newest widest low lower slower slowest the newer wider bananas banana nan ann "
              "aaaa aaa aa a mississippi bookkeeper") * 2
    merges = _train_ref(corpus, 40)
    crafted = [("b", "c" + END_OF_WORD), ("a", "b")]                    # learned order is not left-to-right
    cases = [("lowest", merges), ("low", merges), ("slower", merges), ("zebra", merges), ("aaaaaaa", merges),
             ("mississippi", merges), ("x", merges), ("abc", crafted), ("abcabc", crafted), ("banana", [])]
    for word, m in cases:
        got = S.bpe_encode_word(word, m)
        want = _encode_word_ref(word, m)
        ok = isinstance(got, (list, tuple)) and list(got) == want
        check_true(ok, f"bpe_encode_word({word!r}, {len(m)} merges): expected {want}, got {describe(got)}. Hint: "
                   "start from the characters with the end-of-word marker glued to the last one, then apply every "
                   "merge in the order it was learned, everywhere in the word")
    for text in ["the slowest banana\tflew  over\nthe newer kiwi", "", "  \n ", "aaaa aa a"]:
        got = S.bpe_encode(text, merges)
        want = _encode_ref(text, merges)
        check_true(isinstance(got, (list, tuple)) and list(got) == want,
                   f"bpe_encode({text!r}, {len(merges)} merges): expected {want}, got {describe(got)}. Hint: split "
                   "the text on any whitespace (text.split()), encode each word, concatenate the tokens in one list")


def _sgns_grads_ref(v, u_o, u_k):
    """(dv, du_o, du_k) of the mean SGNS loss, one example and one negative at a time."""
    sigma = lambda x: math.exp(-_softplus(-x))  # noqa: E731  (1 / (1 + exp(-x)) without overflow)
    B, K = u_k.shape[0], u_k.shape[1]
    dv, du_o, du_k = np.zeros(v.shape), np.zeros(u_o.shape), np.zeros(u_k.shape)
    for b in range(B):
        g = sigma(float(np.dot(u_o[b], v[b]))) - 1.0
        dv[b] += g * u_o[b] / B
        du_o[b] = g * v[b] / B
        for k in range(K):
            g = sigma(float(np.dot(u_k[b, k], v[b])))
            dv[b] += g * u_k[b, k] / B
            du_k[b, k] = g * v[b] / B
    return dv, du_o, du_k


def _sgns(S, rng):
    for B, K, D, large in [(1, 1, 1, False), (4, 3, 5, False), (6, 5, 3, False), (3, 4, 4, True)]:
        v, u_o, u_k = (rng.normal(size=s) for s in ((B, D), (B, D), (B, K, D)))
        if large:                                            # scores far beyond exp's range, of both signs
            u_o, u_k = 20 * u_o, 20 * u_k
            u_o[0] = -1000 * v[0] / np.dot(v[0], v[0])       # u_o . v = -1000
            u_k[0, 0] = 1000 * v[0] / np.dot(v[0], v[0])     # u_k . v = +1000
        before = snapshot({"v": v, "u_o": u_o, "u_k": u_k})
        what = f"sgns_loss with B={B}, K={K}, D={D}" + (", scores up to |1000|" if large else "")
        with np.errstate(all="ignore"):
            result = S.sgns_loss(v, u_o, u_k)
        loss, grads = parts(what, result, 2, "(loss, (dv, du_o, du_k))")
        dv, du_o, du_k = parts(f"{what}: the gradients", grads, 3, "(dv, du_o, du_k)")
        check_close(f"{what}: loss", loss, _sgns_ref(v, u_o, u_k), hint="the MEAN over the batch of "
                    "-log sigma(u_o . v) - sum_k log sigma(-u_k . v); compute -log sigma(x) as np.logaddexp(0, -x), "
                    "never as the log of a sigmoid")
        hint = "sigma(u_o . v) - 1 for the context, sigma(u_k . v) for each negative, all divided by B (a mean)"
        for label, g, want in zip(("dv", "du_o", "du_k"), (dv, du_o, du_k), _sgns_grads_ref(v, u_o, u_k)):
            check_close(f"{what}: {label}", g, want, hint=hint)
        if not large:
            args = {"v": v, "u_o": u_o, "u_k": u_k}
            for label, g, name in zip(("dv", "du_o", "du_k"), (dv, du_o, du_k), args):
                def f(x, _name=name):
                    return _sgns_ref(*(x if n == _name else a for n, a in args.items()))
                check_grad(f"{what}: {label} vs finite differences", g,
                           eval_numerical_gradient(f, args[name].copy()), tol=1e-5, hint=hint)
        unchanged("sgns_loss", {"v": v, "u_o": u_o, "u_k": u_k}, before)


TASKS = [_Task("bpe_merge", ["pair_counts", "merge_pair"], _merge, MERGE_POLICY),
         _Task("bpe_encode", ["bpe_encode_word", "bpe_encode"], _encode, ENCODE_POLICY,
               uses={"pair_counts": reference_pair_counts, "merge_pair": reference_merge_pair}),
         _Task("sgns", ["sgns_loss"], _sgns, SGNS_POLICY)]
