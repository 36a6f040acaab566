"""Self-check of Exercise 15 (Bahdanau attention forward and backward, beam search, corpus BLEU): independent
references written here (plain loops, one query, one candidate or one sentence at a time) and finite differences.

Never imports TensorFlow or ``sacrebleu``; the references never call ``dlkit.text`` or dlkit's
``AdditiveAttention`` (they are blocked while the student's code runs).
"""
import functools
import math
import sys
from collections import Counter

import numpy as np

from dlkit.exercises.checks import check_close, check_grad, check_shape, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

ATTENTION_POLICY = ("dlkit.np.layers.seq2seq.AdditiveAttention", f"{__name__}._attention_ref")
BEAM_POLICY = ("dlkit.text.decoding.beam_search", "dlkit.text.decoding.greedy_decode",
               "dlkit.text.decoding.length_normalized", f"{__name__}._beam_ref")
BLEU_POLICY = tuple(f"dlkit.text.bleu.{f}" for f in (
    "ngrams", "clipped_matches", "closest_ref_length", "brevity_penalty", "bleu_statistics", "bleu_from_statistics",
    "corpus_bleu", "sentence_bleu")) + (f"{__name__}._bleu_ref",)
# loaded by the student (or by the graded tests) only: importing them just to forbid them would cost time
_TF_POLICY = ("dlkit.tf.layers.seq2seq.AdditiveAttention",)
_SACREBLEU_POLICY = ("sacrebleu.corpus_bleu", "sacrebleu.sentence_bleu", "sacrebleu.raw_corpus_bleu", "sacrebleu.BLEU",
                     "sacrebleu.metrics.BLEU", "sacrebleu.metrics.bleu.BLEU", "sacrebleu.compat.corpus_bleu",
                     "sacrebleu.compat.sentence_bleu", "sacrebleu.metrics.bleu.extract_all_word_ngrams",
                     "sacrebleu.metrics.helpers.extract_all_word_ngrams",
                     "sacrebleu.metrics.helpers.extract_word_ngrams")

__all__ = ["forbidden", "ATTENTION_POLICY", "BEAM_POLICY", "BLEU_POLICY", "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its targets and, once TensorFlow or ``sacrebleu`` is loaded,
    dlkit.tf's ``AdditiveAttention`` (attention task) or sacrebleu's BLEU (BLEU task)."""
    targets = tuple(targets)
    if "tensorflow" in sys.modules and ATTENTION_POLICY[0] in targets:
        targets += _TF_POLICY
    if "sacrebleu" in sys.modules and BLEU_POLICY[0] in targets:
        targets += _SACREBLEU_POLICY
    return targets


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references ---------------------------------------------------------------------------------------------------

def _attention_ref(query, keys, values, W_q, W_k, v, mask=None):
    """(context, weights): one query and one key at a time; masked keys get weight 0."""
    B, Tq, Tv = query.shape[0], query.shape[1], keys.shape[1]
    context, weights = np.zeros((B, Tq, values.shape[2])), np.zeros((B, Tq, Tv))
    for b in range(B):
        real = np.ones(Tv, bool) if mask is None else np.asarray(mask[b], bool)
        for i in range(Tq):
            e = np.array([float(v @ np.tanh(query[b, i] @ W_q + keys[b, j] @ W_k)) for j in range(Tv)])
            e = np.where(real, e, -np.inf)
            w = np.exp(e - e[real].max())
            weights[b, i] = w / w.sum()
            context[b, i] = weights[b, i] @ values[b]
    return context, weights


def _beam_ref(step_fn, start_ids, eos_id, max_len, beam_width, alpha=0.0):
    """[(ids, log_prob, score)]: all candidates of the live beams, the best beam_width kept (ties: smaller ids)."""
    live, done = [((), 0.0)], []
    for _ in range(max_len):
        cands = {}
        for ids, lp in live:
            logp = np.asarray(step_fn(list(start_ids) + list(ids)), dtype=np.float64)
            for t in range(logp.shape[0]):
                cands[ids + (t,)] = lp + float(logp[t])
        kept = sorted(cands, key=lambda c: (-cands[c], c))[:beam_width]
        live = [(c, cands[c]) for c in kept if c[-1] != eos_id]
        done += [(c, cands[c]) for c in kept if c[-1] == eos_id]
        if not live:
            break
    out = [(list(c), lp, lp / max(len(c), 1) ** alpha) for c, lp in done + live]
    return sorted(out, key=lambda r: (-r[2], r[0]))


def _counts(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _bleu_ref(hypotheses, references):
    """Corpus BLEU in [0, 1], clipped precisions n = 1..4, brevity penalty with the closest reference length."""
    c = r = 0
    matches, totals = [0] * 4, [0] * 4
    for hyp, refs in zip(hypotheses, references):
        c += len(hyp)
        r += min((abs(len(x) - len(hyp)), len(x)) for x in refs)[1]
        for n in range(1, 5):
            h = _counts(hyp, n)
            best = Counter()
            for x in refs:
                best |= _counts(x, n)                     # the max count over the references
            matches[n - 1] += sum((h & best).values())    # min(count in hyp, max count in a reference)
            totals[n - 1] += sum(h.values())
    if c == 0 or min(matches) == 0:
        return 0.0
    bp = 1.0 if c >= r else math.exp(1.0 - r / c)
    return bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / 4)


# -- the checks ---------------------------------------------------------------------------------------------------

_GRADS = ("query", "keys", "values", "W_q", "W_k", "v")


def _attention(S, rng):
    for B, Tq, Tv, dq, dk, dv, A, masked in [(1, 1, 3, 2, 2, 1, 2, False), (2, 3, 4, 3, 2, 3, 4, False),
                                             (3, 2, 5, 2, 3, 2, 3, True), (2, 2, 3, 2, 2, 2, 3, "large")]:
        x = {"query": rng.normal(size=(B, Tq, dq)), "keys": rng.normal(size=(B, Tv, dk)),
             "values": rng.normal(size=(B, Tv, dv)), "W_q": rng.normal(size=(dq, A)),
             "W_k": rng.normal(size=(dk, A)), "v": rng.normal(size=(A,))}
        mask = None
        if masked == "large":                                # scores of several hundred: subtract the max
            x["v"] = 1000.0 * np.sign(x["v"])
        elif masked:
            mask = np.ones((B, Tv), bool)
            mask[0, 3:], mask[1, 1:] = False, False       # padded keys: the first sequence has 3, the second 1
        before = snapshot(x)
        what = f"additive_attention_forward on B={B}, Tq={Tq}, Tv={Tv}, A={A}" + {False: "", True: " with a mask",
                                                                                  "large": ", scores of ~1000"}[masked]
        out = parts(what, S.additive_attention_forward(*x.values(), mask=mask), 3, "(context, weights, cache)")
        want_c, want_w = _attention_ref(*x.values(), mask=mask)
        check_close(f"{what}: weights", out[1], want_w, hint="softmax over the KEYS (last axis) of "
                    "v . tanh(q_i W_q + k_j W_k); masked keys get weight 0")
        check_close(f"{what}: context", out[0], want_c, hint="context_i = sum_j weights_ij values_j")
        g = rng.normal(size=want_c.shape)
        grads = S.additive_attention_backward(g, out[2])
        check_true(isinstance(grads, dict), f"additive_attention_backward: expected a dict, got {describe(grads)}")
        for name in _GRADS:
            check_true(name in grads, f"additive_attention_backward: expected a key {name!r}, got keys "
                       f"{sorted(grads)}")
            check_shape(f"{what}: d{name}", grads[name], x[name].shape, hint="each gradient has its input's shape")
            if masked == "large":                            # saturated softmax: finite differences are noise
                check_true(bool(np.all(np.isfinite(grads[name]))), f"{what}: d{name}: expected finite numbers, got "
                           "inf or nan. Hint: compute the softmax without overflow (subtract the row's max)")
                continue

            def f(z, _name=name):
                return float(np.sum(_attention_ref(*(z if k == _name else a for k, a in x.items()), mask=mask)[0] * g))
            check_grad(f"{what}: d{name} vs finite differences", grads[name],
                       eval_numerical_gradient(f, x[name].copy()), tol=1e-5,
                       hint="chain rule back through context = weights @ values, the softmax (over the keys), "
                       "the score v . tanh(u) with tanh'(u) = 1 - tanh(u)^2, and u = q W_q + k W_k")
        unchanged("additive_attention_forward/backward", x, before)


def _markov(rng, V, eos_id, depth=3, scale=1.5):
    """A random language model: the next token's log-probabilities depend on the last token and the length."""
    logits = rng.normal(scale=scale, size=(depth, V + 1, V))
    logits[..., eos_id] -= 0.5
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    return lambda prefix: logp[len(prefix) % depth, prefix[-1] if prefix else V].copy()


def _beam(S, rng):
    cases = [(3, 0, 3, 50, 0.0), (4, 1, 4, 2, 0.0), (5, 0, 5, 3, 0.0), (4, 2, 5, 3, 1.0), (3, 0, 4, 1, 0.0),
             (5, 4, 6, 4, 0.7)]
    for V, eos, max_len, width, alpha in cases:
        step = _markov(rng, V, eos)
        start = [int(rng.integers(V))]
        what = f"beam_search(V={V}, eos_id={eos}, max_len={max_len}, beam_width={width}, alpha={alpha})"
        got = S.beam_search(step, list(start), eos, max_len, beam_width=width, alpha=alpha)
        want = _beam_ref(step, start, eos, max_len, width, alpha)
        check_true(isinstance(got, list) and all(isinstance(r, (tuple, list)) and len(r) == 3 for r in got),
                   f"{what}: expected a list of (ids, log_prob, score), got {describe(got)}")
        check_true([list(r[0]) for r in got] == [r[0] for r in want],
                   f"{what}: expected the hypotheses {[r[0] for r in want][:6]}, got {[list(r[0]) for r in got][:6]}. "
                   "Hint: all candidates of all live beams ranked by SUMMED log-probability, the best beam_width "
                   "kept (ties: smaller ids first); a kept candidate ending in eos_id is finished and leaves the "
                   "beam; finished ones ranked by log_prob / len(ids) ** alpha")
        check_close(f"{what}: log_probs", [r[1] for r in got], [r[1] for r in want])
        check_close(f"{what}: scores", [r[2] for r in got], [r[2] for r in want])
    halves = {4: [0.25, 0.5, 0.25], 1: [0.25, 0.25, 0.5], 0: [0.5, 0.25, 0.25]}
    for what, model, start in [("a uniform model (all ties)", lambda prefix: np.full(3, -np.log(3.0)), [0]),
                               ("probabilities 1/2 and 1/4 (ties across beams)",
                                lambda prefix: np.log(halves[prefix[-1]]), [4])]:
        got = S.beam_search(model, list(start), 2, 3, beam_width=2)
        want = _beam_ref(model, start, 2, 3, 2)
        check_true(isinstance(got, list) and [list(r[0]) for r in got] == [r[0] for r in want],
                   f"beam_search with {what}, V=3, eos_id=2, max_len=3, beam_width=2: expected "
                   f"{[r[0] for r in want]}, got {describe(got)}. Hint: among equal log-probabilities keep the "
                   "smaller ids, whichever beam they come from")


def _bleu(S, rng):
    vocab = ["the", "a", "cat", "dog", "sat", "on", "mat"]
    cases = [("the classic example", [["the", "cat", "sat", "on", "the", "mat"]],
              [[["the", "cat", "sat", "on", "a", "mat"], ["a", "cat", "sat", "on", "the", "mat"]]]),
             ("no match at all", [["x", "y", "z", "w"]], [[["the", "cat", "sat", "on"]]]),
             ("a hypothesis longer than its reference", [["the", "cat", "sat", "on", "the", "mat", "mat"]],
              [[["the", "cat", "sat", "on", "the", "mat"]]]),
             ("repeated words", [["the"] * 7], [[["the", "cat", "the", "mat"], ["the", "the", "the", "dog"]]])]
    cases += [("a hypothesis one word short", [["the", "cat", "sat", "on", "the"]], [[["the", "cat", "sat", "on", "the",
                                                                                      "mat"]]]),
              ("references of lengths 3 and 9 for 8 tokens", [list("abcdefgh")], [[list("abc"), list("abcdefghi")]]),
              ("two sentences (one without a 4-gram match)", [list("abcd"), list("abce")],
               [[list("abcd")], [list("abcd")]])]
    for k in range(6):
        n_sent, words = int(rng.integers(4, 12)), vocab[:3 + k % 2]
        hyps = [list(rng.choice(words, size=int(rng.integers(3, 12)))) for _ in range(n_sent)]
        refs = [[list(rng.choice(words, size=int(rng.integers(3, 12)))) for _ in range(int(rng.integers(1, 4)))]
                for _ in range(n_sent)]
        cases.append((f"{n_sent} random sentences", hyps, refs))
    for what, hyps, refs in cases:
        got = S.corpus_bleu(hyps, refs)
        check_close(f"corpus_bleu of {what}", got, _bleu_ref(hyps, refs), hint="clipped n-gram precisions, n = 1 to "
                    "4, summed over the corpus; their geometric mean; brevity penalty exp(1 - r / c) if c < r, r "
                    "the sum of the closest reference lengths; on a scale of 0 to 1")


TASKS = [_Task("attention", ["additive_attention_forward", "additive_attention_backward"], _attention,
               ATTENTION_POLICY),
         _Task("beam_search", ["beam_search"], _beam, BEAM_POLICY),
         _Task("bleu", ["corpus_bleu"], _bleu, BLEU_POLICY)]
