"""dlkit.text, part 1: BPE and BLEU (skip-gram and decoding: test_text_skipgram_decoding.py).

References: hand-computed cases (Sennrich et al.'s toy corpus, Papineni et al.'s clipping example), naive
re-implementations written here, Hugging Face ``tokenizers`` (BPE trained offline on the same words),
``sacrebleu``, central differences (dlkit.gradcheck) and TensorFlow autograd.
"""
import math
import re
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import dlkit.text as T

# A corpus that ships with Python: the docstrings of a few standard-library modules (PSF licence).
import argparse, collections, inspect, json, os, random, shutil, textwrap  # noqa: E401,E402

TRAIN_WORDS = re.findall(r"[a-z]+", " ".join(m.__doc__ for m in (argparse, collections, inspect, textwrap,
                                                                  json, re)).lower())
HELD_OUT = " ".join(re.findall(r"[a-z]+", (os.__doc__ + random.__doc__ + shutil.__doc__).lower()))
SENNRICH = "low " * 5 + "lower " * 2 + "newest " * 6 + "widest " * 3


def test_import_does_not_pull_tensorflow_tokenizers_or_sacrebleu():
    code = ("import sys, dlkit.text; bad = [m for m in ('tensorflow', 'tokenizers', 'sacrebleu') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- BPE
def test_bpe_first_merges_on_sennrich_toy_corpus_by_hand():
    # counts: (e,s) = 6 + 3 = 9 = (s,t</w>) -> tie, smaller pair first; then (es,t</w>) 9; (l,o) 7;
    # then four pairs of count 6 ((e,w), (n,e), (w,est</w>), ...): (e,w) is the smallest
    merges, vocab = T.train_bpe(SENNRICH, num_merges=4)
    assert merges == [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w")]
    assert vocab[-4:] == ["es", "est</w>", "lo", "ew"]
    assert vocab[:-4] == sorted(set("lowensid") | {"w</w>", "r</w>", "t</w>"})  # r, t only end words


def naive_bpe_check(words, merges, min_frequency):
    """Replay training on every word *occurrence* (no counts), recounting pairs by a plain scan."""
    seqs = [list(w[:-1]) + [w[-1] + "</w>"] for w in words]
    for pair in merges:
        counts = Counter()
        for s in seqs:
            for i in range(len(s) - 1):
                counts[s[i], s[i + 1]] += 1
        top = max(counts.values())
        assert counts[pair] == top >= min_frequency, (pair, counts[pair], top)
        assert pair == min(p for p, c in counts.items() if c == top)  # documented tie-break
        for s in seqs:
            i = 0
            while i < len(s) - 1:
                if (s[i], s[i + 1]) == pair:
                    s[i:i + 2] = [s[i] + s[i + 1]]
                i += 1
    return seqs


def test_bpe_merges_are_the_most_frequent_pairs_by_naive_recount():
    merges, _ = T.train_bpe(TRAIN_WORDS, num_merges=120)
    assert len(merges) == 120
    seqs = naive_bpe_check(TRAIN_WORDS, merges, min_frequency=2)
    assert sum(len(s) for s in seqs) == len(T.bpe_encode(" ".join(TRAIN_WORDS), merges))


def test_bpe_stops_when_no_pair_reaches_min_frequency():
    merges, vocab = T.train_bpe("abc abd", num_merges=10)
    assert merges == [("a", "b")]  # (a,b) occurs twice, every other pair once
    assert len(T.train_bpe("abc abd", num_merges=10, min_frequency=1)[0]) == 3  # + (ab,c</w>), (ab,d</w>)


def test_bpe_round_trip_on_held_out_text_with_unseen_words():
    merges, _ = T.train_bpe(TRAIN_WORDS, vocab_size=300)
    unseen = set(HELD_OUT.split()) - set(TRAIN_WORDS)
    assert len(unseen) > 20
    for text in (HELD_OUT, " ".join(sorted(unseen)), "zyxw qqq a", "  two   spaces\n"):
        tokens = T.bpe_encode(text, merges)
        assert T.bpe_decode(tokens) == " ".join(text.split())
    assert len(T.bpe_encode(HELD_OUT, merges)) < len(HELD_OUT.replace(" ", ""))  # it compresses


def test_bpe_vocab_size_vs_sequence_length_is_monotone():
    alphabet = len(T.train_bpe(TRAIN_WORDS, num_merges=0)[1])
    sizes = [alphabet, alphabet + 25, alphabet + 75, alphabet + 150, alphabet + 300]
    train_len, held_len = [], []
    for size in sizes:
        merges, vocab = T.train_bpe(TRAIN_WORDS, vocab_size=size)
        assert len(vocab) == size
        train_len.append(len(T.bpe_encode(" ".join(TRAIN_WORDS), merges)) / len(TRAIN_WORDS))
        held_len.append(len(T.bpe_encode(HELD_OUT, merges)) / len(HELD_OUT.split()))
    assert all(a > b for a, b in zip(train_len, train_len[1:]))  # each merge of count >= 2 saves >= 2 tokens
    assert all(a >= b for a, b in zip(held_len, held_len[1:]))   # more merges never lengthen a word
    assert held_len[-1] > train_len[-1]  # unseen words split into more pieces


def hf_train(words, vocab_size):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size + 1, min_frequency=2, special_tokens=["<unk>"],
                                  end_of_word_suffix="</w>", show_progress=False)
    tok.train_from_iterator([" ".join(words)], trainer)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
              for m in __import__("json").loads(tok.to_str())["model"]["merges"]]
    return tok, merges


def test_bpe_agrees_with_huggingface_tokenizers():
    pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    merges, vocab = T.train_bpe(TRAIN_WORDS, num_merges=300)
    hf, hf_merges = hf_train(TRAIN_WORDS, len(vocab))
    # (1) same base alphabet (characters, word-final ones with the suffix) and same vocabulary size
    hf_vocab = set(hf.get_vocab()) - {"<unk>"}
    assert len(hf_vocab) == len(vocab) and set(vocab[:len(vocab) - 300]) <= hf_vocab
    # (2) the same greedy objective: every HF merge is a most frequent pair when it is made ...
    naive_bpe_check(TRAIN_WORDS, hf_merges[:1], 2)
    state = {T.word_to_symbols(w): c for w, c in Counter(TRAIN_WORDS).items()}
    first_tie = None
    for i, (mine, theirs) in enumerate(zip(merges, hf_merges)):
        counts = T.pair_counts(state)
        top = max(counts.values())
        assert counts[theirs] == top
        if first_tie is None and sum(c == top for c in counts.values()) > 1:
            first_tie = i
        if first_tie is None:  # ... so both agree exactly until the first tie, broken differently
            assert mine == theirs
        state = T.merge_pair(state, theirs)
    assert first_tie is not None and first_tie >= 10
    # (3) the same compression on the training text within 1% (the tie-breaks differ)
    n_mine = len(T.bpe_encode(" ".join(TRAIN_WORDS), merges))
    n_hf = len(hf.encode(" ".join(TRAIN_WORDS)).tokens)
    assert abs(n_mine - n_hf) <= 0.01 * n_mine
    # (4) given the same merges, HF's encoder and decoder give exactly our tokens and text on held-out text
    same = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(vocab)}, merges=merges,
                                end_of_word_suffix="</w>"))
    same.pre_tokenizer = pre_tokenizers.Whitespace()
    same.decoder = decoders.BPEDecoder(suffix="</w>")
    enc = same.encode(HELD_OUT)
    assert enc.tokens == T.bpe_encode(HELD_OUT, merges)
    assert same.decode(enc.ids) == T.bpe_decode(enc.tokens) == HELD_OUT


@pytest.mark.parametrize("size,min_frequency", [(60, 2), (300, 2), (400, 1)])
def test_fast_bpe_training_and_encoding_equal_the_reference(size, min_frequency):
    merges, vocab = T.train_bpe(TRAIN_WORDS, vocab_size=size, min_frequency=min_frequency)
    assert T.train_bpe_fast(TRAIN_WORDS, vocab_size=size, min_frequency=min_frequency) == (merges, vocab)
    for text in (HELD_OUT, " ".join(TRAIN_WORDS), "zzz aaaa abab"):
        assert T.bpe_encode_fast(text, merges) == T.bpe_encode(text, merges)
    with pytest.raises(ValueError, match="vocab_size"):
        T.train_bpe_fast(TRAIN_WORDS, vocab_size=3)


def test_bpe_tokenizer_ids_round_trip_unknown_characters_and_errors():
    tok = T.BPETokenizer(vocab_size=120).fit(TRAIN_WORDS)
    assert len(tok) == 120 and tok.id_to_token[:2] == ["<pad>", "<unk>"]
    ids = tok.encode(HELD_OUT)
    assert all(isinstance(i, int) and 2 <= i < 120 for i in ids)
    assert tok.decode([0] + ids + [0, 0]) == HELD_OUT  # padding dropped
    assert tok.encode("café")[-1] == 1  # "é</w>" was never seen
    assert [tok.id_to_token[i] for i in ids] == T.bpe_encode(HELD_OUT, tok.merges)
    with pytest.raises(ValueError, match="ids"):
        tok.decode([999])
    with pytest.raises(ValueError, match="fit"):
        T.BPETokenizer(num_merges=3).encode("a")
    with pytest.raises(ValueError, match="vocab_size"):
        T.train_bpe("abc", vocab_size=2)
    with pytest.raises(ValueError, match="exactly one"):
        T.train_bpe("abc", vocab_size=10, num_merges=2)
    with pytest.raises(TypeError, match="words_or_text"):
        T.train_bpe(3, num_merges=2)
    with pytest.raises(ValueError, match="words_or_text"):
        T.train_bpe(["a b"], num_merges=2)
    with pytest.raises(TypeError, match="text"):
        T.bpe_encode(["abc"], [])


# ----------------------------------------------------------------------------- BLEU
def sacre_corpus(hyps, refs_per_hyp, **kw):
    sacrebleu = pytest.importorskip("sacrebleu")
    streams = [list(s) for s in zip(*refs_per_hyp)]  # sacrebleu: one list per reference stream
    return sacrebleu.corpus_bleu(hyps, streams, tokenize="none", smooth_method="none", **kw).score / 100


def random_corpus(rng, n_sent, n_refs, vocab=6, max_len=12):
    words = [f"w{i}" for i in range(vocab)]

    def sent():
        return " ".join(rng.choice(words, size=rng.integers(0, max_len + 1)))
    refs = [[sent() or "w0" for _ in range(n_refs)] for _ in range(n_sent)]
    hyps = [sent() if rng.random() < 0.5 else noisy_copy(rng, rs[0]) for rs in refs]
    return hyps, refs


def noisy_copy(rng, sentence, keep=0.8):
    """A hypothesis made from a reference: some words replaced, possibly truncated or one word longer."""
    words = sentence.split()
    noisy = [w if rng.random() < keep else "w9" for w in words] + ["w3"]
    return " ".join(noisy[:int(rng.integers(1, len(noisy) + 1))])


@pytest.mark.parametrize("seed,n_refs", [(0, 1), (1, 1), (2, 2), (3, 3), (4, 2)])
def test_corpus_bleu_equals_sacrebleu_on_random_corpora(seed, n_refs):
    rng = np.random.default_rng(seed)
    scores = []
    for trial in range(8):
        hyps, refs = random_corpus(rng, n_sent=int(rng.integers(1, 6)), n_refs=n_refs, vocab=4 + trial % 5)
        got = T.corpus_bleu(hyps, refs)
        assert got == pytest.approx(sacre_corpus(hyps, refs), rel=1e-12, abs=1e-15)
        # token lists give the same score as strings
        assert T.corpus_bleu([h.split() for h in hyps], [[r.split() for r in rs] for rs in refs]) == got
        scores.append(got)
    assert any(0 < s < 1 for s in scores)  # not only the trivial 0 (0 is covered by the hand-made cases)


def test_bleu_hand_made_cases():
    # Papineni et al.'s clipping example: unigram precision 2/7, not 7/7
    assert T.clipped_matches("the the the the the the the".split(), ["the cat is on the mat".split()], 1) == (2, 7)
    assert T.corpus_bleu(["a b c d e"], ["a b c d e"]) == 1.0
    assert T.corpus_bleu(["x y z w"], ["a b c d"]) == 0.0                  # no match
    assert T.corpus_bleu(["a b c"], ["a b c"]) == 0.0                      # no 4-gram at all: p_4 = 0/0
    # short hypothesis: p_n = 1 for all n, BP = exp(1 - 8/4)
    hyp, ref = "a b c d", "a b c d e f g h"
    assert T.corpus_bleu([hyp], [ref]) == pytest.approx(math.exp(1 - 8 / 4), rel=1e-15)
    assert T.corpus_bleu([hyp], [ref]) == pytest.approx(sacre_corpus([hyp], [[ref]]), rel=1e-12)
    # closest reference length: |4 - 2| = |4 - 6| -> the shorter, 2, so no penalty
    assert T.closest_ref_length(4, [6, 2]) == 2
    assert T.corpus_bleu([hyp], [["a b", "a b c d e f"]]) == pytest.approx(
        sacre_corpus([hyp], [["a b", "a b c d e f"]]), rel=1e-12)
    assert T.brevity_penalty(0, 3) == 0.0 and T.corpus_bleu([""], ["a b"]) == 0.0
    # corpus BLEU pools the statistics: not the mean of sentence scores
    hyps, refs = ["a b c d e f", "a b c d"], ["a b c d e f", "a b x d"]
    assert T.corpus_bleu(hyps, refs) != pytest.approx(np.mean([T.corpus_bleu([h], [r]) for h, r in zip(hyps, refs)]))
    assert T.corpus_bleu(hyps, refs) == pytest.approx(sacre_corpus(hyps, [[r] for r in refs]), rel=1e-12)


@pytest.mark.parametrize("smooth,value", [("none", None), ("exp", None), ("floor", None), ("floor", 0.3),
                                          ("add-k", None), ("add-k", 2)])
@pytest.mark.parametrize("effective_order", [True, False])
def test_sentence_bleu_equals_sacrebleu_smoothing(smooth, value, effective_order):
    sacrebleu = pytest.importorskip("sacrebleu")
    rng = np.random.default_rng(7)
    nonzero = 0
    for _ in range(40):
        _, refs = random_corpus(rng, 1, int(rng.integers(1, 3)), vocab=5, max_len=9)
        hyps = [noisy_copy(rng, refs[0][0], keep=0.9)]
        want = sacrebleu.sentence_bleu(hyps[0], refs[0], smooth_method=smooth, smooth_value=value,
                                       tokenize="none", use_effective_order=effective_order).score / 100
        got = T.sentence_bleu(hyps[0], refs[0], smooth=smooth, smooth_value=value, effective_order=effective_order)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (hyps, refs)
        nonzero += got > 0
    assert nonzero >= 5


def test_bleu_bad_input():
    with pytest.raises(ValueError, match="references"):
        T.corpus_bleu(["a b"], ["a", "b"])
    with pytest.raises(TypeError, match="hypotheses"):
        T.corpus_bleu("a b", ["a b"])
    with pytest.raises(TypeError, match=r"hypotheses\[0\]"):
        T.corpus_bleu([3], ["a"])
    with pytest.raises(ValueError, match="smooth"):
        T.sentence_bleu("a", "a", smooth="laplace")
    with pytest.raises(ValueError, match="smooth_value"):
        T.sentence_bleu("a", "a", smooth="floor", smooth_value=0)
    with pytest.raises(ValueError, match=r"references\[0\]"):
        T.corpus_bleu(["a"], [[]])
