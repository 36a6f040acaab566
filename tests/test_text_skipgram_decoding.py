"""dlkit.text, part 2: skip-gram with negative sampling and decoding (greedy, beam search, top-k/top-p).

References: naive re-implementations written here, central differences (dlkit.gradcheck), TensorFlow autograd,
brute-force search over all sequences of a toy model.
"""
import itertools
import math
import re
from collections import Counter

import numpy as np
import pytest

import dlkit.text as T
from dlkit.gradcheck import eval_numerical_gradient, rel_error

# ----------------------------------------------------------------------------- skip-gram with negative sampling
def test_skipgram_pairs_match_naive_loops_and_respect_sentences():
    ids = [4, 1, 3, 3, 0, 2]
    want = [(ids[i], ids[i + d]) for i in range(len(ids)) for d in (-2, -1, 1, 2) if 0 <= i + d < len(ids)]
    assert T.skipgram_pairs(ids, 2).tolist() == [list(p) for p in want]
    both = T.skipgram_pairs([[1, 2, 3], [7, 8]], 5)
    assert {tuple(p) for p in both} == {(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2), (7, 8), (8, 7)}
    assert T.skipgram_pairs([5], 3).shape == (0, 2)


def test_skipgram_dynamic_window_keeps_distance_d_with_probability_w_minus_d_plus_1_over_w():
    n, window = 4000, 4
    ids = np.arange(n)  # distinct ids: the distance of a pair is |context - center|
    pairs = T.skipgram_pairs(ids, window, rng=np.random.default_rng(0))
    dist = Counter(np.abs(pairs[:, 1] - pairs[:, 0]).tolist())
    assert set(dist) == set(range(1, window + 1))
    for d in range(1, window + 1):
        p = (window - d + 1) / window  # b ~ U{1..W} covers distance d iff b >= d
        expected = 2 * n * p  # two sides, edges negligible
        assert abs(dist[d] - expected) < 5 * math.sqrt(2 * n * p * (1 - p)) + 2 * window
    np.testing.assert_array_equal(pairs, T.skipgram_pairs(ids, window, rng=np.random.default_rng(0)))


def test_negative_sampler_follows_unigram_to_the_three_quarters():
    counts = np.array([100, 10, 1, 0, 50])
    probs = T.negative_sampling_probs(counts)
    np.testing.assert_allclose(probs, [c ** 0.75 / sum(k ** 0.75 for k in counts) for c in counts], rtol=1e-14)
    assert probs[1] / probs[0] > 10 / 100  # the 3/4 power flattens the distribution
    draws = T.NegativeSampler(counts, seed=3).sample((20000, 5))
    assert draws.shape == (20000, 5) and draws.dtype == np.int64
    freq = np.bincount(draws.ravel(), minlength=5) / draws.size
    assert freq[3] == 0
    np.testing.assert_allclose(freq, probs, atol=5 * np.sqrt(probs * (1 - probs) / draws.size).max())
    np.testing.assert_array_equal(draws, T.NegativeSampler(counts, seed=3).sample((20000, 5)))
    with pytest.raises(ValueError, match="counts"):
        T.negative_sampling_probs([0, 0])


def naive_sgns_loss(v, u_o, u_k):
    total = 0.0
    for b in range(v.shape[0]):
        total -= math.log(1 / (1 + math.exp(-float(u_o[b] @ v[b]))))
        for k in range(u_k.shape[1]):
            total -= math.log(1 / (1 + math.exp(float(u_k[b, k] @ v[b]))))
    return total / v.shape[0]


def sgns_inputs(seed, B=4, K=3, D=5, scale=0.7):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(s) for s in ((B, D), (B, D), (B, K, D))]


@pytest.mark.parametrize("seed", [0, 1])
def test_sgns_loss_and_gradients_by_central_differences(seed):
    v, u_o, u_k = sgns_inputs(seed)
    loss, grads = T.sgns_loss(v, u_o, u_k)
    assert loss == pytest.approx(naive_sgns_loss(v, u_o, u_k), rel=1e-12)
    for i, x in enumerate((v, u_o, u_k)):
        args = [v, u_o, u_k]

        def f(x_, i=i):
            args[i] = x_
            return T.sgns_loss(*args)[0]
        numeric = eval_numerical_gradient(f, x.copy())
        assert grads[i].shape == x.shape
        assert rel_error(grads[i], numeric) < 1e-7, i


def test_sgns_gradients_equal_tensorflow_autograd():
    tf = pytest.importorskip("tensorflow")
    v, u_o, u_k = sgns_inputs(5, B=6, K=4, D=3, scale=2.0)
    loss, grads = T.sgns_loss(v, u_o, u_k)
    tv, to, tk = (tf.Variable(a, dtype=tf.float64) for a in (v, u_o, u_k))
    with tf.GradientTape() as tape:
        pos = tf.reduce_sum(to * tv, axis=1)
        neg = tf.einsum("bkd,bd->bk", tk, tv)
        tf_loss = -(tf.reduce_sum(tf.math.log_sigmoid(pos)) + tf.reduce_sum(tf.math.log_sigmoid(-neg))) / 6
    tf_grads = tape.gradient(tf_loss, [tv, to, tk])
    assert loss == pytest.approx(float(tf_loss), rel=1e-12)
    for mine, theirs in zip(grads, tf_grads):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-14)


def test_sgns_loss_is_finite_for_large_scores_and_checks_shapes():
    v, u_o, u_k = sgns_inputs(0, scale=40.0)
    loss, grads = T.sgns_loss(v, u_o, u_k)
    assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads)
    with pytest.raises(ValueError, match="negative_vecs"):
        T.sgns_loss(v, u_o, u_k[:, :, :2])
    with pytest.raises(ValueError, match="context_vecs"):
        T.sgns_loss(v, u_o[:2], u_k)


def test_sgns_embedding_grads_accumulate_repeated_ids():
    rng = np.random.default_rng(1)
    W_in, W_out = 0.5 * rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((6, 4))
    centers, contexts = np.array([0, 0, 2, 5]), np.array([1, 3, 1, 0])
    negatives = np.array([[2, 4], [4, 4], [0, 1], [3, 2]])  # repeats within and across rows
    loss, dW_in, dW_out = T.sgns_embedding_grads(W_in, W_out, centers, contexts, negatives)

    def f_in(w):
        return T.sgns_loss(w[centers], W_out[contexts], W_out[negatives])[0]

    def f_out(w):
        return T.sgns_loss(W_in[centers], w[contexts], w[negatives])[0]
    assert loss == pytest.approx(f_in(W_in), rel=1e-15)
    assert rel_error(dW_in, eval_numerical_gradient(f_in, W_in.copy())) < 1e-7
    assert rel_error(dW_out, eval_numerical_gradient(f_out, W_out.copy())) < 1e-7
    with pytest.raises(ValueError, match="negatives"):
        T.sgns_embedding_grads(W_in, W_out, centers, contexts, negatives + 10)


# ----------------------------------------------------------------------------- decoding
def toy_model(seed, vocab=4, sharpness=1.5):
    """step_fn whose next-token distribution depends on the whole prefix (a seeded random table)."""
    def step_fn(prefix):
        logits = sharpness * np.random.default_rng([seed, *prefix]).standard_normal(vocab)
        return logits - np.logaddexp.reduce(logits)
    return step_fn


def all_sequences(step_fn, start, eos, max_len, vocab):
    """Brute force: every possible output (stopped at eos or at max_len) with its log-probability."""
    out = []
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=length):
            if eos in seq[:-1] or (length < max_len and seq[-1] != eos):
                continue
            out.append((list(seq), sum(step_fn(start + list(seq[:t]))[seq[t]] for t in range(length))))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_beam_width_one_is_greedy(seed):
    step_fn = toy_model(seed)
    ids, lp = T.greedy_decode(step_fn, [1], eos_id=0, max_len=6)
    best = T.beam_search(step_fn, [1], eos_id=0, max_len=6, beam_width=1)
    assert len(best) == 1 and best[0][0] == ids and best[0][1] == pytest.approx(lp, rel=1e-12)
    # greedy really takes the argmax at every step
    for t, tok in enumerate(ids):
        assert tok == int(np.argmax(step_fn([1] + ids[:t])))


@pytest.mark.parametrize("seed,alpha", [(0, 0.0), (1, 0.0), (2, 1.0), (3, 0.6), (4, 1.0)])
def test_exhaustive_beam_search_finds_the_brute_force_optimum(seed, alpha):
    vocab, max_len = 4, 4
    step_fn = toy_model(seed, vocab)
    brute = all_sequences(step_fn, [2], 0, max_len, vocab)
    ranked = sorted(brute, key=lambda s: -s[1] / len(s[0]) ** alpha)
    assert abs(sum(math.exp(lp) for _, lp in brute) - 1) < 1e-12  # the outputs form a distribution
    beams = T.beam_search(step_fn, [2], 0, max_len, beam_width=vocab ** max_len, alpha=alpha)
    assert len(beams) == len(brute)
    assert beams[0][0] == ranked[0][0]
    assert beams[0][1] == pytest.approx(ranked[0][1], rel=1e-12)
    # a narrower beam never beats the optimum, and its reported scores are right
    for width in (2, 3):
        for ids, lp, score in T.beam_search(step_fn, [2], 0, max_len, beam_width=width, alpha=alpha):
            assert lp == pytest.approx(dict((tuple(s), l) for s, l in brute)[tuple(ids)], rel=1e-12)
            assert score <= beams[0][2] + 1e-12


def test_beam_search_beats_greedy_on_a_garden_path():
    # first step: A (0.5) > B (0.4) > eos (0.1); after A everything is 1/3; after B eos has 0.9
    table = {(): [0.1, 0.5, 0.4], (1,): [1 / 3, 1 / 3, 1 / 3], (2,): [0.9, 0.05, 0.05]}

    def step_fn(prefix):
        return np.log(table.get(tuple(prefix[1:]), [1 / 3] * 3))
    greedy, lp_greedy = T.greedy_decode(step_fn, [9], eos_id=0, max_len=2)
    beam = T.beam_search(step_fn, [9], eos_id=0, max_len=2, beam_width=2)[0]
    assert greedy == [1, 0] and lp_greedy == pytest.approx(math.log(0.5 / 3))
    assert beam[0] == [2, 0] and beam[1] == pytest.approx(math.log(0.36))


def test_length_normalization_prefers_longer_outputs():
    # eos is always 0.4 likely: raw log-probability prefers stopping at once, per-token mean prefers longer
    def step_fn(prefix):
        return np.log([0.4, 0.6]) if len(prefix) < 4 else np.log([1.0 - 1e-12, 1e-12])
    short = T.beam_search(step_fn, [1], 0, max_len=5, beam_width=8, alpha=0.0)[0][0]
    long = T.beam_search(step_fn, [1], 0, max_len=5, beam_width=8, alpha=1.0)[0][0]
    assert short == [0] and len(long) > 1 and long[-1] == 0


def naive_support(logits, k=None, p=None):
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    if k is not None:
        order = order[:k]
    if p is not None:  # nucleus of the distribution renormalized over what top-k kept (as Hugging Face)
        z = sum(math.exp(logits[i]) for i in order)
        kept, acc = [], 0.0
        for i in order:
            kept.append(i)
            acc += math.exp(logits[i]) / z
            if acc >= p:
                break
        order = kept
    return set(order)


@pytest.mark.parametrize("seed", range(5))
def test_top_k_and_top_p_keep_the_support_of_a_sort_based_implementation(seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(12)
    logits[[3, 7]] = logits[5]  # ties
    for k in (1, 3, 6, 12):
        assert set(np.flatnonzero(np.isfinite(T.top_k_filter(logits, k)))) == naive_support(logits, k=k)
    for p in (0.05, 0.3, 0.5, 0.9, 1.0):
        got = set(np.flatnonzero(np.isfinite(T.top_p_filter(logits, p))))
        assert got == naive_support(logits, p=p)
    assert set(np.flatnonzero(T.sampling_probs(logits, 0.7, top_k=6, top_p=0.6))) == naive_support(
        logits / 0.7, k=6, p=0.6)


def test_top_p_boundary_stops_as_soon_as_the_mass_reaches_p():
    logits = np.log([0.5, 0.25, 0.125, 0.125])  # dyadic: the cumulative sums are exact
    assert np.isfinite(T.top_p_filter(logits, 0.5)).tolist() == [True, False, False, False]
    assert np.isfinite(T.top_p_filter(logits, 0.75)).tolist() == [True, True, False, False]
    assert np.isfinite(T.top_p_filter(logits, 0.76)).tolist() == [True, True, True, False]


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (0.5, 4, None), (1.5, None, 0.8),
                                                     (1.0, 5, 0.7)])
def test_sampling_frequencies_match_the_filtered_distribution(temperature, top_k, top_p):
    logits = np.log(np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02]))
    support = sorted(naive_support(logits / temperature, k=top_k, p=top_p))
    weights = np.exp(logits[support] / temperature)
    want = np.zeros(len(logits))
    want[support] = weights / weights.sum()
    np.testing.assert_allclose(T.sampling_probs(logits, temperature, top_k, top_p), want, rtol=1e-12, atol=1e-300)
    rng, n = np.random.default_rng(11), 6000
    counts = np.bincount([T.sample_next(logits, rng, temperature, top_k, top_p) for _ in range(n)],
                         minlength=len(logits))
    assert counts[want == 0].sum() == 0
    chi2 = float(np.sum((counts[support] - n * want[support]) ** 2 / (n * want[support])))
    assert chi2 < 3 * len(support) + 10  # ~ chi-square with |support| - 1 dof: mean |S| - 1, sd sqrt(2(|S| - 1))


def test_sample_decode_is_seeded_and_top_k_one_is_greedy():
    step_fn = toy_model(3)
    a = T.sample_decode(step_fn, [1], 0, 8, np.random.default_rng(5), temperature=1.3)
    assert a == T.sample_decode(step_fn, [1], 0, 8, np.random.default_rng(5), temperature=1.3)
    assert T.sample_decode(step_fn, [1], 0, 8, np.random.default_rng(0), top_k=1) == T.greedy_decode(step_fn, [1], 0, 8)


def test_decoding_bad_input():
    step_fn = toy_model(0)
    with pytest.raises(ValueError, match="beam_width"):
        T.beam_search(step_fn, [1], 0, 3, beam_width=0)
    with pytest.raises(ValueError, match="max_len"):
        T.greedy_decode(step_fn, [1], 0, 0)
    with pytest.raises(TypeError, match="start_ids"):
        T.greedy_decode(step_fn, "ab", 0, 3)
    with pytest.raises(ValueError, match="step_fn"):
        T.greedy_decode(lambda p: np.zeros((2, 2)), [1], 0, 3)
    with pytest.raises(ValueError, match="temperature"):
        T.sampling_probs(np.zeros(3), temperature=0)
    with pytest.raises(ValueError, match="k"):
        T.top_k_filter(np.zeros(3), 4)
    with pytest.raises(ValueError, match="p"):
        T.top_p_filter(np.zeros(3), 0.0)
    with pytest.raises(TypeError, match="rng"):
        T.sample_next(np.zeros(3), 0)
