"""make_unlabeled_reviews: determinism, the consistency rule (re-implemented here from the docstring),
no overlap with the held-out parts of load_reviews, bad input."""
import zlib

import numpy as np
import pytest

from dlkit.datasets import REVIEW_WORDS, UNLABELED_REVIEW_KINDS, load_reviews, make_unlabeled_reviews

POS, NEG = set(REVIEW_WORDS["positive"]), set(REVIEW_WORDS["negative"])
NEGATORS = set(REVIEW_WORDS["negators"])


def clause_sentiments(tokens):
    """Independent reading of the rule: every adjective is positive iff it is in the positive list XOR the
    word before it is "not" / "never" (a negated clause has exactly one adjective, right after the negator)."""
    return [int((t in POS) ^ (i > 0 and tokens[i - 1] in NEGATORS)) for i, t in enumerate(tokens) if t in POS | NEG]


@pytest.fixture(scope="module")
def unlabeled():
    return make_unlabeled_reviews(3000, seed=5)


def test_deterministic_and_seeded(unlabeled):
    again = make_unlabeled_reviews(3000, seed=5)
    assert again.texts == unlabeled.texts and again.tokens == unlabeled.tokens
    assert np.array_equal(again.kind, unlabeled.kind)
    assert make_unlabeled_reviews(50, seed=6).texts != unlabeled.texts[:50]


def test_shapes_kinds_and_distinct(unlabeled):
    n = len(unlabeled.texts)
    assert len(unlabeled.tokens) == n and unlabeled.kind.shape == (n,)
    assert set(unlabeled.kind) == set(UNLABELED_REVIEW_KINDS)
    assert len(set(unlabeled.texts)) == n
    share = np.mean(unlabeled.kind == "consistent")
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / n)
    for text, tokens in zip(unlabeled.texts, unlabeled.tokens):
        assert tokens == text.replace(",", " ,").split()


def test_consistent_reviews_share_one_sentiment(unlabeled):
    consistent = [t for t, k in zip(unlabeled.tokens, unlabeled.kind) if k == "consistent"]
    both = {0: 0, 1: 0}
    for tokens in consistent:
        s = clause_sentiments(tokens)
        assert len(s) >= 2 and len(set(s)) == 1, tokens
        assert "and" in tokens and "but" not in tokens
        both[s[0]] += 1
    assert min(both.values()) > 0.4 * len(consistent)  # both sentiments, roughly balanced
    # some reviews do mix negated and plain clauses, so the rule is not just "all adjectives in one list"
    assert any(len({t in POS for t in tok if t in POS | NEG}) == 2 for tok in consistent)


def test_contrast_reviews_flip_at_but(unlabeled):
    for tokens, kind in zip(unlabeled.tokens, unlabeled.kind):
        if kind == "contrast":
            s = clause_sentiments(tokens)
            assert len(s) == 2 and s[0] != s[1] and "but" in tokens
        elif kind in ("plain", "negated"):
            assert len(clause_sentiments(tokens)) == 1


def test_no_held_out_review_can_appear():
    unlabeled = make_unlabeled_reviews(4000, seed=0)
    held = load_reviews()
    held_out = set(held["val"].texts) | set(held["test"].texts)
    assert not held_out & set(unlabeled.texts)
    for text, kind in zip(unlabeled.texts, unlabeled.kind):  # the guarantee, not only this sample
        assert "and" in text.split() or zlib.crc32(text.encode("utf-8")) % 10 < 8
    assert not any(" and " in t for part in held.values() for t in part.texts)


def test_consistent_share_extremes():
    assert set(make_unlabeled_reviews(200, seed=1, consistent_share=1.0).kind) == {"consistent"}
    assert "consistent" not in set(make_unlabeled_reviews(200, seed=1, consistent_share=0.0).kind)
    long = make_unlabeled_reviews(300, seed=1, consistent_share=1.0, max_clauses=5)
    assert max(len(clause_sentiments(t)) for t in long.tokens) > max(
        len(clause_sentiments(t)) for t in make_unlabeled_reviews(300, seed=1, consistent_share=1.0,
                                                                  max_clauses=2).tokens)


@pytest.mark.parametrize("kwargs, name", [({"n": 0}, "n"), ({"n": 2.5}, "n"), ({"n": True}, "n"),
                                          ({"n": 5, "consistent_share": 1.5}, "consistent_share"),
                                          ({"n": 5, "consistent_share": "half"}, "consistent_share"),
                                          ({"n": 5, "max_clauses": 1}, "max_clauses"),
                                          ({"n": 5, "max_clauses": 3.0}, "max_clauses")])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_unlabeled_reviews(**kwargs)
