"""Decoding a sequence model: greedy search, beam search and sampling (temperature, top-k, top-p).

The model is any ``step_fn(prefix_ids) -> log_probs``: given the ids so far (a list of int, the start
ids followed by the generated ones) it returns the log-probabilities of the next token, shape (V,).
A sequence's score is the sum of its tokens' log-probabilities, log p(y) = sum_t log p(y_t | y_<t).
Generation stops at ``eos_id`` (which is included in the output) or after ``max_len`` new tokens.
"""
import numpy as np

__all__ = ["greedy_decode", "beam_search", "length_normalized", "top_k_filter", "top_p_filter",
           "sampling_probs", "sample_next", "sample_decode"]


def _check_args(start_ids, max_len):
    if isinstance(start_ids, (str, bytes)) or not all(isinstance(i, (int, np.integer)) for i in start_ids):
        raise TypeError("start_ids: expected a list of int token ids")
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len: expected a positive int, got {max_len!r}")
    return [int(i) for i in start_ids]


def _log_probs(step_fn, prefix):
    lp = np.asarray(step_fn(list(prefix)), dtype=np.float64)
    if lp.ndim != 1:
        raise ValueError(f"step_fn: must return log-probabilities of shape (V,), got shape {lp.shape}")
    return lp


def greedy_decode(step_fn, start_ids, eos_id, max_len):
    """Pick the most probable next token at every step (ties: the smallest id).

    Returns ``(ids, log_prob)``: the generated ids (without ``start_ids``) and their summed log-probability.
    """
    prefix = _check_args(start_ids, max_len)
    out, total = [], 0.0
    for _ in range(max_len):
        lp = _log_probs(step_fn, prefix + out)
        token = int(np.argmax(lp))
        out.append(token)
        total += float(lp[token])
        if token == eos_id:
            break
    return out, total


def length_normalized(log_prob, length, alpha):
    """Score used to rank finished beams: ``log_prob / length ** alpha``.

    alpha = 0 ranks by the raw log-probability, which favours short outputs (every token adds a negative
    term); alpha = 1 ranks by the mean log-probability per token. (GNMT, Wu et al. 2016, uses the smoother
    ((5 + length) / 6) ** alpha; the idea is the same.)
    """
    return log_prob / max(length, 1) ** alpha


def beam_search(step_fn, start_ids, eos_id, max_len, beam_width=4, alpha=0.0):
    """Beam search: keep the ``beam_width`` best partial sequences at every step.

    At each step every live beam is extended by every token; the ``beam_width`` best candidates by summed
    log-probability are kept (ties: the lexicographically smallest ids). A kept candidate ending in
    ``eos_id`` is finished and leaves the beam, so the beam shrinks; search ends when no beam is live or
    after ``max_len`` steps (live beams then count as finished). With ``beam_width=1`` this is exactly
    greedy decoding. Finished sequences are ranked by :func:`length_normalized` with ``alpha``.

    Returns a list of ``(ids, log_prob, score)`` sorted best first (ids without ``start_ids``).
    """
    prefix = _check_args(start_ids, max_len)
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width: expected a positive int, got {beam_width!r}")
    if not alpha >= 0:
        raise ValueError(f"alpha: expected a length-penalty exponent >= 0, got {alpha!r}")
    beams, finished = [([], 0.0)], []
    for _ in range(max_len):
        candidates = []
        for ids, total in beams:
            lp = _log_probs(step_fn, prefix + ids)
            candidates.extend((ids + [t], total + float(lp[t])) for t in range(len(lp)))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        beams = []
        for ids, total in candidates[:beam_width]:
            (finished if ids[-1] == eos_id else beams).append((ids, total))
        if not beams:
            break
    finished.extend(beams)
    ranked = [(ids, total, length_normalized(total, len(ids), alpha)) for ids, total in finished]
    return sorted(ranked, key=lambda r: (-r[2], r[0]))


def top_k_filter(logits, k):
    """Logits with every entry outside the k largest set to -inf (ties at the boundary: smaller ids kept)."""
    logits = np.asarray(logits, dtype=np.float64)
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= logits.shape[-1]:
        raise ValueError(f"k: expected an int in [1, {logits.shape[-1]}], got {k!r}")
    keep = np.argsort(-logits, kind="stable")[:k]
    out = np.full_like(logits, -np.inf)
    out[keep] = logits[keep]
    return out


def top_p_filter(logits, p):
    """Nucleus filter (Holtzman et al., 2020): keep the smallest set of most probable tokens whose
    probabilities sum to at least ``p``; the others get -inf. The most probable token is always kept.

    # keep token i (in descending order of probability) iff sum of the probabilities before it < p
    """
    logits = np.asarray(logits, dtype=np.float64)
    if not 0 < p <= 1:
        raise ValueError(f"p: expected a probability in (0, 1], got {p!r}")
    order = np.argsort(-logits, kind="stable")
    probs = np.exp(logits[order] - np.logaddexp.reduce(logits))
    before = np.cumsum(probs) - probs
    keep = order[before < p]
    out = np.full_like(logits, -np.inf)
    out[keep] = logits[keep]
    return out


def sampling_probs(log_probs, temperature=1.0, top_k=None, top_p=None):
    """Distribution sampled from: softmax(filter(log_probs / temperature)), shape (V,).

    Order as in Hugging Face ``generate``: temperature first, then top-k, then top-p; so top-p measures
    the mass of the distribution renormalized over the top-k tokens.
    temperature < 1 sharpens the distribution, > 1 flattens it.
    """
    if not temperature > 0:
        raise ValueError(f"temperature: expected > 0 (use greedy_decode for the limit 0), got {temperature!r}")
    z = np.asarray(log_probs, dtype=np.float64) / temperature
    if z.ndim != 1:
        raise ValueError(f"log_probs: expected shape (V,), got {z.shape}")
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    return np.exp(z - np.logaddexp.reduce(z))


def sample_next(log_probs, rng, temperature=1.0, top_k=None, top_p=None):
    """One token id drawn from :func:`sampling_probs` with the ``np.random.Generator`` ``rng``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    probs = sampling_probs(log_probs, temperature, top_k, top_p)
    return int(rng.choice(len(probs), p=probs))


def sample_decode(step_fn, start_ids, eos_id, max_len, rng, temperature=1.0, top_k=None, top_p=None):
    """Generate by sampling each next token; returns ``(ids, log_prob)`` like :func:`greedy_decode`
    (log_prob under the model, not under the filtered distribution)."""
    prefix = _check_args(start_ids, max_len)
    out, total = [], 0.0
    for _ in range(max_len):
        lp = _log_probs(step_fn, prefix + out)
        token = sample_next(lp, rng, temperature, top_k, top_p)
        out.append(token)
        total += float(lp[token])
        if token == eos_id:
            break
    return out, total
