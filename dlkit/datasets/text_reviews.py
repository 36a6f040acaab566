"""Templated movie and product reviews whose sentiment depends on word ORDER.

Three kinds of review (the ``kind`` tag of each example):

* ``"plain"``: ``"the plot was very good"`` -- the adjective decides;
* ``"negated"``: ``"the plot was not good"``, ``"the acting was never boring"`` -- "not" / "never"
  flips the adjective;
* ``"contrast"``: ``"the acting was good but the plot was boring"`` -- two clauses of opposite
  sentiment; the clause AFTER "but" decides (each clause may itself be negated).

The rule (documented, and re-implemented independently in the tests): a clause is positive iff its
adjective is in ``REVIEW_WORDS["positive"]`` XOR the clause contains "not" / "never"; a review's label
(1 positive, 0 negative) is the sentiment of its last clause. Intensifiers ("very", "extremely", ...;
only in clauses without a negator, since "not very good" is merely lukewarm) and openers
("honestly, ...") never change it. Every adjective occurs in both classes, so a bag-of-words model,
which cannot tell "not good" from "good ... not", fails on negated and contrast reviews while doing well
on plain ones (with the default mix, a unigram logistic regression scores about 100% / 1% / 52% on
plain / negated / contrast validation reviews; tests/test_text_datasets.py asserts the gap).
Offline, seeded, pure Python.
"""
import re
import zlib
from typing import NamedTuple

import numpy as np

__all__ = ["REVIEW_WORDS", "REVIEW_KINDS", "ReviewsData", "make_reviews", "load_reviews", "REVIEWS_SPLIT_SEEDS",
           "UNLABELED_REVIEW_KINDS", "UnlabeledReviews", "make_unlabeled_reviews"]

REVIEW_KINDS = ("plain", "negated", "contrast")
REVIEW_WORDS = {
    "positive": ("good", "great", "excellent", "wonderful", "enjoyable", "brilliant", "fun", "charming",
                 "superb", "pleasant"),
    "negative": ("bad", "boring", "awful", "terrible", "dull", "poor", "disappointing", "weak", "annoying",
                 "mediocre"),
    "negators": ("not", "never"),
    "intensifiers": ("very", "really", "extremely", "quite", "truly"),
    "movie": ("the movie", "this film", "the plot", "the acting", "the ending", "the soundtrack", "the story",
              "the dialogue"),
    "product": ("this phone", "the battery", "the screen", "the camera", "this laptop", "the keyboard",
                "the speaker", "the charger"),
    "verbs": ("was", "is"),
    "openers": ("honestly,", "overall,", "i think", "in my opinion,", "to be fair,"),
}
_TOKEN = re.compile(r"[a-z]+|[^\sa-z]")
_P_NEGATED_CLAUSE = 0.2  # probability that a clause of a contrast review is negated


class ReviewsData(NamedTuple):
    """``n`` labelled reviews.

    - ``texts``: list of str, e.g. ``"honestly, the plot was not very good"``.
    - ``tokens``: list of token lists (words and punctuation marks) of the texts.
    - ``labels``: int64 (n,), 1 positive, 0 negative; balanced (``n // 2`` or ``n // 2 + 1`` positives).
    - ``kind``: str array (n,), one of ``REVIEW_KINDS`` ("plain", "negated", "contrast").
    """

    texts: list
    tokens: list
    labels: np.ndarray
    kind: np.ndarray


def _pick(rng, words):
    return words[int(rng.integers(len(words)))]


def _clause(rng, subject, sentiment, negated):
    """One clause "subject verb [not|never|intensifier] adjective" of the given sentiment (0 / 1)."""
    polarity = sentiment ^ int(negated)  # the adjective's own polarity
    words = [subject, _pick(rng, REVIEW_WORDS["verbs"])]
    if negated:
        words.append(_pick(rng, REVIEW_WORDS["negators"]))
    elif rng.random() < 0.5:  # intensify only clauses without negation ("not very good" is only lukewarm)
        words.append(_pick(rng, REVIEW_WORDS["intensifiers"]))
    words.append(_pick(rng, REVIEW_WORDS["positive" if polarity else "negative"]))
    return " ".join(words)


def _review(rng, label, kind):
    subjects = REVIEW_WORDS[_pick(rng, ("movie", "product"))]
    if kind == "contrast":
        first, second = rng.choice(len(subjects), size=2, replace=False)
        text = (_clause(rng, subjects[first], 1 - label, rng.random() < _P_NEGATED_CLAUSE) + " but "
                + _clause(rng, subjects[second], label, rng.random() < _P_NEGATED_CLAUSE))
    else:
        text = _clause(rng, _pick(rng, subjects), label, kind == "negated")
    if rng.random() < 0.3:
        text = _pick(rng, REVIEW_WORDS["openers"]) + " " + text
    return text


def _check_n(n, name, fn):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{fn}: {name} must be an integer >= 1, got {n!r}")
    return int(n)


def _check_probs(kind_probs, fn):
    try:
        p = np.asarray(kind_probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: kind_probs must be 3 numbers (plain, negated, contrast), got {kind_probs!r}") \
            from None
    if p.shape != (3,) or not np.all(np.isfinite(p)) or p.min() < 0 or p.sum() <= 0:
        raise ValueError(f"{fn}: kind_probs must be 3 non-negative numbers (plain, negated, contrast) with a "
                         f"positive sum, got {kind_probs!r}")
    return p / p.sum()


def _bucket(text):
    """A platform-independent hash bucket 0..9 of a text: 0-7 train, 8 val, 9 test (see load_reviews)."""
    return zlib.crc32(text.encode("utf-8")) % 10


def _generate(n, rng, kind_probs, buckets, fn):
    labels = rng.permutation(np.arange(n) % 2).astype(np.int64)
    kinds = rng.choice(len(REVIEW_KINDS), size=n, p=kind_probs)
    texts, seen = [], set()
    for label, k in zip(labels.tolist(), kinds.tolist()):
        for _ in range(1000):  # re-draw duplicates (and, in load_reviews, texts of another part)
            text = _review(rng, label, REVIEW_KINDS[k])
            if text not in seen and (buckets is None or _bucket(text) in buckets):
                break
        else:
            raise ValueError(f"{fn}: n={n} is too large, the templates ran out of distinct reviews")
        seen.add(text)
        texts.append(text)
    return ReviewsData(texts, [_TOKEN.findall(t) for t in texts], labels,
                       np.array([REVIEW_KINDS[k] for k in kinds.tolist()], dtype=str))


def make_reviews(n, seed=0, kind_probs=(0.5, 0.25, 0.25)):
    """Generate ``n`` distinct templated reviews with sentiment labels (see the module docstring for the
    labelling rule).

    Each review is ``"plain"``, ``"negated"`` or ``"contrast"`` with probabilities ``kind_probs``;
    labels are balanced and independent of the kind. Returns a :class:`ReviewsData`
    ``(texts, tokens, labels, kind)``; deterministic given ``seed``. The templates hold about 8,000
    distinct negated reviews, so keep ``n * kind_probs[1]`` below about 5,000 (a ValueError says so).

    Example::

        data = make_reviews(4, seed=0)
        data.texts[0], data.labels[0], data.kind[0]   # ('this laptop is weak', 0, 'plain')
        plain = data.kind == "plain"                   # report accuracy per kind with masks like this
    """
    n = _check_n(n, "n", "make_reviews")
    p = _check_probs(kind_probs, "make_reviews")
    return _generate(n, np.random.default_rng(seed), p, None, "make_reviews")


# THE split of the reviews data set shared by every chapter and exercise. A text belongs to one part by a
# fixed hash of its characters (crc32 mod 10: 0-7 train, 8 val, 9 test), so the parts are disjoint whatever
# their sizes; each part is drawn with its own seed.
REVIEWS_SPLIT_SEEDS = {"train": 16_101, "val": 16_102, "test": 16_103}
_REVIEW_BUCKETS = {"train": frozenset(range(8)), "val": frozenset({8}), "test": frozenset({9})}


def load_reviews(n_train=4000, n_val=1000, n_test=1000, kind_probs=(0.5, 0.25, 0.25)):
    """The book's one train/validation/test split of the reviews data set (see ``make_reviews``).

    Returns ``{"train": ReviewsData, "val": ReviewsData, "test": ReviewsData}`` with ``n_train``, ``n_val``
    and ``n_test`` reviews (defaults 4,000 / 1,000 / 1,000). Every possible text belongs to exactly one
    part (a fixed hash of the text), so no review is shared by two parts and each part does not depend on
    the others' sizes; each part has its own fixed seed (``REVIEWS_SPLIT_SEEDS``). Select models on
    ``"val"``; touch ``"test"`` once, at the end.
    """
    sizes = {"train": _check_n(n_train, "n_train", "load_reviews"),
             "val": _check_n(n_val, "n_val", "load_reviews"), "test": _check_n(n_test, "n_test", "load_reviews")}
    p = _check_probs(kind_probs, "load_reviews")
    return {part: _generate(count, np.random.default_rng(REVIEWS_SPLIT_SEEDS[part]), p, _REVIEW_BUCKETS[part],
                            "load_reviews")
            for part, count in sizes.items()}


# --- Unlabeled text for masked-LM pretraining (chapter 16) -------------------------------------------------
UNLABELED_REVIEW_KINDS = ("consistent", "plain", "negated", "contrast")


class UnlabeledReviews(NamedTuple):
    """``n`` reviews WITHOUT labels (see ``make_unlabeled_reviews``).

    - ``texts``: list of str, e.g. ``"the plot was superb, the acting was charming and the ending was fun"``.
    - ``tokens``: list of token lists (words and punctuation marks) of the texts.
    - ``kind``: str array (n,), one of ``UNLABELED_REVIEW_KINDS``.
    """

    texts: list
    tokens: list
    kind: np.ndarray


def _list_clause(rng, subject, sentiment, max_adjectives=3):
    """"subject verb [intensifier] adj1[, adj2] and adj3": 1..max_adjectives adjectives of one polarity."""
    k = int(rng.integers(1, max_adjectives + 1))
    words = REVIEW_WORDS["positive" if sentiment else "negative"]
    adjectives = [words[i] for i in rng.choice(len(words), size=k, replace=False)]
    head = [subject, _pick(rng, REVIEW_WORDS["verbs"])]
    if rng.random() < 0.3:
        head.append(_pick(rng, REVIEW_WORDS["intensifiers"]))
    listed = adjectives[0] if k == 1 else ", ".join(adjectives[:-1]) + " and " + adjectives[-1]
    return " ".join(head) + " " + listed


def _consistent_review(rng, max_clauses):
    """2..max_clauses clauses of ONE sentiment about distinct subjects, joined by ", " and a final " and "."""
    subjects = REVIEW_WORDS[_pick(rng, ("movie", "product"))]
    k = int(rng.integers(2, max_clauses + 1))
    sentiment = int(rng.integers(2))
    clauses = [_clause(rng, subjects[s], sentiment, True) if rng.random() < _P_NEGATED_CLAUSE
               else _list_clause(rng, subjects[s], sentiment)
               for s in rng.choice(len(subjects), size=k, replace=False)]
    text = ", ".join(clauses[:-1]) + " and " + clauses[-1]
    if rng.random() < 0.3:
        text = _pick(rng, REVIEW_WORDS["openers"]) + " " + text
    return text


def make_unlabeled_reviews(n, seed=0, consistent_share=0.75, max_clauses=3):
    """``n`` distinct reviews without labels, for masked-LM pretraining: text with the structure of real reviews.

    A real review tends to stay on one side: "the plot was superb, the acting was charming and the ending
    was fun". A share ``consistent_share`` of the reviews are of kind ``"consistent"``: 2 to
    ``max_clauses`` clauses about distinct subjects, all of the SAME sentiment (a clause is positive iff its
    adjective is positive XOR it contains "not" / "never", the rule of ``make_reviews``), joined by ", "
    and a final " and " (so the text contains the token "and"); a clause is negated with probability 0.2
    ("the battery was never bad"), otherwise it lists 1 to 3 adjectives of its sentiment ("the acting was
    superb, charming and fun"). The rest are ``"plain"``, ``"negated"`` and
    ``"contrast"`` reviews of ``make_reviews`` in its default proportions 2 : 1 : 1. Predicting a hidden
    adjective of a consistent review requires knowing the polarity of the others, which is what a masked
    language model trained on this text can learn (chapter 16); the text was designed to contain it.

    No text can be a review of the validation or test part of ``load_reviews``: consistent reviews
    contain "and", which no labelled review does, and the other kinds are kept only if their text hashes
    to the training part's buckets. Returns :class:`UnlabeledReviews` ``(texts, tokens, kind)``;
    deterministic given ``seed``; the words are those of ``REVIEW_WORDS`` plus "and" and ",".

    Example::

        u = make_unlabeled_reviews(1000, seed=0)
        u.texts[0], u.kind[0]
    """
    fn = "make_unlabeled_reviews"
    n = _check_n(n, "n", fn)
    if isinstance(consistent_share, bool) or not isinstance(consistent_share, (int, float, np.floating)) \
            or not 0.0 <= consistent_share <= 1.0:
        raise ValueError(f"{fn}: consistent_share must be a number in [0, 1], got {consistent_share!r}")
    if isinstance(max_clauses, bool) or not isinstance(max_clauses, (int, np.integer)) or not 2 <= max_clauses <= 8:
        raise ValueError(f"{fn}: max_clauses must be an integer from 2 to 8, got {max_clauses!r}")
    rng = np.random.default_rng(seed)
    texts, kinds, seen = [], [], set()
    for _ in range(n):
        consistent = rng.random() < consistent_share
        kind = "consistent" if consistent else REVIEW_KINDS[int(rng.choice(3, p=(0.5, 0.25, 0.25)))]
        for _ in range(1000):  # re-draw duplicates and texts outside the training part's buckets
            text = (_consistent_review(rng, int(max_clauses)) if consistent
                    else _review(rng, int(rng.integers(2)), kind))
            if text not in seen and (consistent or _bucket(text) in _REVIEW_BUCKETS["train"]):
                break
        else:
            raise ValueError(f"{fn}: n={n} is too large, the templates ran out of distinct reviews")
        seen.add(text)
        texts.append(text)
        kinds.append(kind)
    return UnlabeledReviews(texts, [_TOKEN.findall(t) for t in texts], np.array(kinds, dtype=str))
