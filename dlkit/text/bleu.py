"""BLEU from scratch (Papineni, Roukos, Ward and Zhu, 2002).

    BLEU = BP * exp( (1/N) * sum_{n=1..N} log p_n ),   N = 4
    p_n  = sum over sentences of clipped n-gram matches / sum over sentences of hypothesis n-grams
    clipped matches of an n-gram g = min(count of g in the hypothesis, max over references of its count there)
    BP   = 1 if c > r else exp(1 - r / c)   (c: total hypothesis length, r: total reference length; BP = 0 if c = 0)

``r`` adds, per sentence, the length of the reference closest to the hypothesis length (the shorter one on a
tie). Scores are in [0, 1]; ``sacrebleu`` reports 100 * BLEU and, with ``tokenize="none"`` and
``smooth_method="none"``, computes exactly :func:`corpus_bleu` on whitespace-split strings.
"""
import math
from collections import Counter

__all__ = ["ngrams", "clipped_matches", "closest_ref_length", "brevity_penalty", "bleu_statistics",
           "bleu_from_statistics", "corpus_bleu", "sentence_bleu"]

SMOOTH_METHODS = ("none", "floor", "add-k", "exp")


def ngrams(tokens, n):
    """``Counter`` of the n-grams (tuples) of a token list."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def clipped_matches(hypothesis, references, n):
    """(clipped n-gram matches, number of hypothesis n-grams) of one sentence.

    # match(g) = min(count_hyp(g), max_ref count_ref(g))
    """
    hyp = ngrams(hypothesis, n)
    max_ref = Counter()
    for ref in references:
        for gram, count in ngrams(ref, n).items():
            max_ref[gram] = max(max_ref[gram], count)
    return sum(min(count, max_ref[gram]) for gram, count in hyp.items()), sum(hyp.values())


def closest_ref_length(hyp_len, ref_lens):
    """Length of the reference closest to ``hyp_len``; on a tie the shorter one (as sacrebleu, mteval)."""
    return min(ref_lens, key=lambda r: (abs(r - hyp_len), r))


def brevity_penalty(hyp_len, ref_len):
    """``1`` if hyp_len >= ref_len, else ``exp(1 - ref_len / hyp_len)``; ``0`` for an empty hypothesis."""
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1.0 - ref_len / hyp_len) if hyp_len > 0 else 0.0


def _tokens(x, name):
    if isinstance(x, str):
        return x.split()
    if isinstance(x, (list, tuple)) and all(isinstance(t, str) for t in x):
        return list(x)
    raise TypeError(f"{name}: expected a whitespace-separated str or a list of str tokens, got {x!r:.60}")


def _reference_sets(references, hypotheses):
    """One list of token lists per hypothesis (see :func:`corpus_bleu`).

    References take the form of the hypotheses: for string hypotheses an entry is a str (one reference)
    or a list of str; for token-list hypotheses it is a token list or a list of token lists.
    """
    n_hyp = len(hypotheses)
    if not isinstance(references, (list, tuple)) or len(references) != n_hyp:
        size = len(references) if hasattr(references, "__len__") else "?"
        raise ValueError(f"references: expected a list with one entry per hypothesis ({n_hyp}), "
                         f"got {type(references).__name__} of length {size}")
    out = []
    for i, (hyp, refs) in enumerate(zip(hypotheses, references)):
        single = isinstance(refs, str) if isinstance(hyp, str) else bool(refs) and isinstance(refs[0], str)
        refs = [refs] if single else refs
        if isinstance(refs, str) or not isinstance(refs, (list, tuple)) or not refs:
            raise ValueError(f"references[{i}]: expected one reference or a non-empty list of references "
                             "in the form of the hypothesis (str or list of str tokens)")
        out.append([_tokens(r, f"references[{i}]") for r in refs])
    return out


def bleu_statistics(hypothesis, references, max_order=4):
    """Sufficient statistics of one sentence: (hyp_len, ref_len, matches[max_order], totals[max_order])."""
    matches, totals = zip(*(clipped_matches(hypothesis, references, n) for n in range(1, max_order + 1)))
    ref_len = closest_ref_length(len(hypothesis), [len(r) for r in references])
    return len(hypothesis), ref_len, list(matches), list(totals)


def bleu_from_statistics(hyp_len, ref_len, matches, totals, smooth="none", smooth_value=None, effective_order=False):
    """BLEU in [0, 1] from summed statistics, with the smoothing methods of Chen and Cherry (2014):

    - ``"none"``: p_n = m_n / t_n; any p_n = 0 gives BLEU = 0.
    - ``"floor"``: a zero m_n is replaced by ``smooth_value`` (default 0.1).
    - ``"add-k"``: m_n + k over t_n + k for n >= 2 (k = ``smooth_value``, default 1).
    - ``"exp"``: the i-th zero precision becomes 1 / (2^i t_n) (NIST / mteval-v13a).

    No match at all gives 0 for every method. ``effective_order=True`` averages only the orders n the
    hypothesis has n-grams for (t_n > 0), as sacrebleu's sentence BLEU; else all ``max_order`` orders count.
    """
    if smooth not in SMOOTH_METHODS:
        raise ValueError(f"smooth: expected one of {SMOOTH_METHODS}, got {smooth!r}")
    if smooth_value is None:
        smooth_value = {"floor": 0.1, "add-k": 1.0}.get(smooth, 0.0)
    elif smooth in ("floor", "add-k") and not smooth_value > 0:
        raise ValueError(f"smooth_value: expected > 0 for smooth={smooth!r}, got {smooth_value!r}")
    bp = brevity_penalty(hyp_len, ref_len)
    if not any(matches):
        return 0.0
    log_p, halvings, order = [], 1.0, len(matches)
    for n, (m, t) in enumerate(zip(matches, totals), start=1):
        if smooth == "add-k" and n > 1:
            m, t = m + smooth_value, t + smooth_value
        if t == 0:
            if effective_order:
                order = n - 1
            break
        if m > 0:
            log_p.append(math.log(m / t))
        elif smooth == "floor":
            log_p.append(math.log(smooth_value / t))
        elif smooth == "exp":
            halvings *= 2
            log_p.append(math.log(1.0 / (halvings * t)))
        else:
            return 0.0  # a zero precision: the geometric mean is 0
    if len(log_p) < order:
        return 0.0  # an order without any hypothesis n-gram counts as precision 0
    return bp * math.exp(sum(log_p[:order]) / order)


def corpus_bleu(hypotheses, references, max_order=4, smooth="none", smooth_value=None):
    """Corpus BLEU in [0, 1]: statistics summed over all sentences, then one geometric mean and one BP.

    ``hypotheses``: list of S sentences, each a whitespace-separated str or a list of str tokens.
    ``references``: list of S entries, each one reference or a list of references, in the form of the
    hypotheses (strings, or token lists).
    (sacrebleu takes the transpose: one list per reference *stream*.)
    """
    if isinstance(hypotheses, str) or not isinstance(hypotheses, (list, tuple)):
        raise TypeError(f"hypotheses: expected a list of sentences, got {type(hypotheses).__name__}")
    if not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order: expected a positive int, got {max_order!r}")
    hyps = [_tokens(h, f"hypotheses[{i}]") for i, h in enumerate(hypotheses)]
    refs = _reference_sets(references, hypotheses)
    c = r = 0
    matches, totals = [0] * max_order, [0] * max_order
    for hyp, ref_set in zip(hyps, refs):
        h_len, r_len, m, t = bleu_statistics(hyp, ref_set, max_order)
        c, r = c + h_len, r + r_len
        matches = [a + b for a, b in zip(matches, m)]
        totals = [a + b for a, b in zip(totals, t)]
    return bleu_from_statistics(c, r, matches, totals, smooth, smooth_value)


def sentence_bleu(hypothesis, references, max_order=4, smooth="exp", smooth_value=None, effective_order=True):
    """BLEU in [0, 1] of one sentence; ``references`` is one reference or a list of them.

    Defaults follow ``sacrebleu.sentence_bleu`` (exp smoothing, effective order), since unsmoothed BLEU
    of a short sentence is usually 0.
    """
    hyp = _tokens(hypothesis, "hypothesis")
    refs = _reference_sets([references], [hypothesis])[0]
    h_len, r_len, m, t = bleu_statistics(hyp, refs, max_order)
    return bleu_from_statistics(h_len, r_len, m, t, smooth, smooth_value, effective_order)
