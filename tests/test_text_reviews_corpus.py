"""dlkit.datasets text data sets, part 2: the reviews with negation and the embeddings corpus (the dates task and
the Vocabulary / pad_sequences helpers are in test_text_dates.py).

References written here: a re-implementation of the sentiment rule, a scikit-learn bag-of-words model that must
fail on the negated / contrast subsets, and a count-based (PPMI) embedding that must find the corpus's analogies.
"""
import collections
import re
import subprocess
import sys

import numpy as np
import pytest

from dlkit.datasets import (CORPUS_FIELDS, CORPUS_RELATIONS, REVIEW_KINDS, REVIEW_WORDS, CorpusData, ReviewsData,
                            Vocabulary, load_reviews, make_corpus, make_dates, make_reviews, pad_sequences)

# ----------------------------------------------------------------------------- reviews
POSITIVE = {"good", "great", "excellent", "wonderful", "enjoyable", "brilliant", "fun", "charming", "superb",
            "pleasant"}
NEGATIVE = {"bad", "boring", "awful", "terrible", "dull", "poor", "disappointing", "weak", "annoying", "mediocre"}


def sentiment_rule(text):
    """Independent re-implementation of the documented rule: the last clause decides; a clause is
    positive iff (its adjective is positive) XOR (it contains a negator)."""
    clause = text.split(" but ")[-1].replace(",", " ").split()
    adjectives = [w for w in clause if w in POSITIVE | NEGATIVE]
    assert len(adjectives) == 1, text
    return int((adjectives[0] in POSITIVE) != bool({"not", "never"} & set(clause)))


@pytest.fixture(scope="module")
def reviews():
    return load_reviews()


def test_reviews_labels_follow_the_rule_and_kinds(reviews):
    assert set(REVIEW_WORDS["positive"]) == POSITIVE and set(REVIEW_WORDS["negative"]) == NEGATIVE
    for part, data in reviews.items():
        assert isinstance(data, ReviewsData) and data.labels.dtype == np.int64
        for text, tokens, label, kind in zip(data.texts, data.tokens, data.labels, data.kind):
            assert sentiment_rule(text) == label, text
            negated = bool({"not", "never"} & set(tokens))
            assert kind == ("contrast" if "but" in tokens else "negated" if negated else "plain"), text
            assert " ".join(tokens).replace(" ,", ",") == text
            if kind == "contrast":  # the two clauses have opposite sentiments
                assert sentiment_rule(text.split(" but ")[0]) == 1 - label, text
        n = len(data.labels)
        assert abs(int(data.labels.sum()) - n / 2) <= 0.5  # exactly balanced
        for kind in REVIEW_KINDS:  # and balanced within each kind too (labels independent of kind)
            mask = data.kind == kind
            assert 0.4 < data.labels[mask].mean() < 0.6 and 0.2 < mask.mean() < 0.6, kind
        # every adjective occurs with both labels, so the adjective alone cannot decide
        for adjective in POSITIVE | NEGATIVE:
            has = np.array([adjective in t for t in data.tokens])
            if part == "train":
                assert set(data.labels[has]) == {0, 1}, adjective


def test_reviews_split_is_fixed_disjoint_and_deterministic(reviews):
    sizes = [len(reviews[p].texts) for p in ("train", "val", "test")]
    assert sizes == [4000, 1000, 1000]
    texts = {p: set(d.texts) for p, d in reviews.items()}
    assert [len(texts[p]) for p in ("train", "val", "test")] == sizes  # no duplicates inside a part
    assert not texts["train"] & texts["val"] and not texts["train"] & texts["test"] and not texts["val"] & texts["test"]
    small = load_reviews(n_train=500, n_val=200, n_test=1000)  # a part does not depend on the others' sizes
    assert small["test"].texts == reviews["test"].texts and small["train"].texts != reviews["train"].texts
    a, b, c = make_reviews(200, seed=4), make_reviews(200, seed=4), make_reviews(200, seed=5)
    assert a.texts == b.texts and np.array_equal(a.labels, b.labels) and a.texts != c.texts
    only_plain = make_reviews(100, kind_probs=(1, 0, 0))
    assert set(only_plain.kind) == {"plain"}


def test_bag_of_words_fails_on_negated_and_contrast_reviews(reviews):
    """The claim the data set exists for: a bag-of-words logistic regression, fit on the training part,
    does well on plain reviews and clearly worse on negated and contrast ones (evaluated on val)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    def per_kind_accuracy(ngram_range):
        bow = CountVectorizer(ngram_range=ngram_range, token_pattern=r"[a-z]+")
        model = LogisticRegression(max_iter=2000).fit(bow.fit_transform(reviews["train"].texts),
                                                      reviews["train"].labels)
        pred = model.predict(bow.transform(reviews["val"].texts))
        return {k: float(np.mean(pred[reviews["val"].kind == k] == reviews["val"].labels[reviews["val"].kind == k]))
                for k in REVIEW_KINDS}

    unigrams = per_kind_accuracy((1, 1))
    assert unigrams["plain"] > 0.9
    assert unigrams["negated"] < 0.3  # systematically wrong: it reads "not good" as "good"
    assert unigrams["contrast"] < 0.65 and unigrams["contrast"] < unigrams["plain"] - 0.3
    # a little word order (bigrams: "not good") repairs much of the negated subset: order is what matters
    bigrams = per_kind_accuracy((1, 2))
    assert bigrams["negated"] > unigrams["negated"] + 0.25


@pytest.mark.parametrize("call, match", [
    (lambda: make_reviews(0), "n must be"), (lambda: make_reviews(10, kind_probs=(1, 0)), "kind_probs"),
    (lambda: make_reviews(10, kind_probs=(-1, 1, 1)), "kind_probs"),
    (lambda: make_reviews(20000, kind_probs=(0, 1, 0)), "too large"), (lambda: load_reviews(n_test=-1), "n_test")])
def test_reviews_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- corpus
@pytest.fixture(scope="module")
def corpus():
    return make_corpus(12_000, seed=0)


def test_corpus_determinism_and_fields(corpus):
    a, b = make_corpus(500, seed=3), make_corpus(500, seed=3)
    assert a.sentences == b.sentences and np.array_equal(a.field, b.field)
    assert a.sentences != make_corpus(500, seed=4).sentences
    assert isinstance(corpus, CorpusData) and len(corpus.sentences) == 12_000
    assert all(t == s.split() and s == s.lower() for s, t in zip(corpus.sentences, corpus.tokens))
    words = {w for t in corpus.tokens for w in t}
    assert all(set(field_words) <= words for field_words in CORPUS_FIELDS.values())
    assert all(set(pair) <= words for pairs in CORPUS_RELATIONS.values() for pair in pairs)
    assert set(corpus.field) == set(CORPUS_FIELDS) - {"capitals", "languages"} | {"mixed"}
    for field in set(corpus.field) - {"colours", "mixed"}:  # a field's sentences mention that field's words
        field_words = CORPUS_FIELDS[field] + (CORPUS_FIELDS["capitals"] if field == "countries" else ())
        forms = set(field_words) | {w + "s" for w in field_words} | {w + "es" for w in field_words}  # plurals
        has = [bool(set(t) & forms) for t, f in zip(corpus.tokens, corpus.field) if f == field]
        assert np.mean(has) > 0.9, field


def test_corpus_semantic_fields_cooccur_with_their_own_verbs(corpus):
    """Animals co-occur with animal verbs and vehicles with vehicle verbs far more than the other way."""
    animal_verbs = {"runs", "sleeps", "jumps", "plays", "hides", "running", "sleeping", "jumping", "playing",
                    "hiding"}
    vehicle_verbs = {"drives", "stops", "turns", "parks", "driving", "stopping", "turning", "parking"}
    animals = set(CORPUS_FIELDS["animals"]) | {w + "s" for w in CORPUS_FIELDS["animals"]}
    vehicles = set(CORPUS_FIELDS["vehicles"]) | {w + "s" for w in CORPUS_FIELDS["vehicles"]} | {"buses"}

    def rate(nouns, verbs):  # fraction of sentences with a noun of ``nouns`` that also have a verb of ``verbs``
        with_noun = [set(t) for t in corpus.tokens if set(t) & nouns]
        return sum(bool(s & verbs) for s in with_noun) / len(with_noun)

    assert rate(animals, animal_verbs) > 10 * rate(animals, vehicle_verbs) and rate(animals, animal_verbs) > 0.3
    assert rate(vehicles, vehicle_verbs) > 10 * rate(vehicles, animal_verbs) and rate(vehicles, vehicle_verbs) > 0.3


def test_corpus_word_frequencies_are_zipf_like(corpus):
    counts = np.array(sorted(collections.Counter(w for t in corpus.tokens for w in t).values(), reverse=True))
    rank = np.arange(1, len(counts) + 1)
    slope, _ = np.polyfit(np.log(rank), np.log(counts), 1)
    assert -1.6 < slope < -0.7 and np.corrcoef(np.log(rank), np.log(counts))[0, 1] < -0.9
    assert counts[0] > 300 * counts[-1] and 150 < len(counts) < 400
    # inside a field the words follow the documented 1 / rank law (CORPUS_FIELDS order): counts fall with rank
    word_counts = collections.Counter(w for t in corpus.tokens for w in t)
    for field in ("animals", "food", "vehicles", "colours", "countries", "capitals"):
        c = np.array([word_counts[w] for w in CORPUS_FIELDS[field]], dtype=float)
        rank_corr = np.corrcoef(np.arange(len(c)), np.argsort(np.argsort(-c)))[0, 1]  # Spearman with rank
        assert rank_corr > 0.8 and c[0] > 4 * c[-1], (field, c)


def ppmi_vectors(tokens, window=3):
    """An independent count-based embedding: positive PMI rows of the word-context co-occurrence matrix."""
    vocab = sorted({w for t in tokens for w in t})
    index = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for t in tokens:
        ids = [index[w] for w in t]
        for i, a in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    counts[a, ids[j]] += 1
    total = counts.sum()
    expected = counts.sum(1, keepdims=True) * counts.sum(0, keepdims=True) / total
    with np.errstate(divide="ignore"):
        ppmi = np.maximum(np.log(counts / expected), 0)
    return vocab, index, ppmi / np.linalg.norm(ppmi, axis=1, keepdims=True)


def test_corpus_supports_neighbours_and_analogies(corpus):
    vocab, index, vectors = ppmi_vectors(corpus.tokens)

    def nearest(vector, exclude):
        scores = vectors @ vector
        scores[[index[w] for w in exclude]] = -np.inf
        return vocab[int(np.argmax(scores))]

    for field in ("animals", "vehicles", "food", "colours", "capitals", "people"):  # neighbour in the same field
        words = CORPUS_FIELDS[field]
        assert np.mean([nearest(vectors[index[w]], [w]) in words for w in words]) >= 0.75, field
    for relation in ("capital", "gender"):  # a - b + d ~ c for related pairs (a, b), (c, d)
        pairs = CORPUS_RELATIONS[relation]
        hits = [nearest(vectors[index[a]] - vectors[index[b]] + vectors[index[d]], [a, b, d]) == c
                for a, b in pairs for c, d in pairs if a != c]
        assert np.mean(hits) > 0.7, relation


def test_corpus_bad_arguments():
    for bad in (0, -3, 1.5, True):
        with pytest.raises(ValueError, match="n_sentences must be"):
            make_corpus(bad)


def test_text_datasets_do_not_import_tensorflow():
    code = ("import sys, dlkit.datasets as d; d.make_dates(5); d.make_reviews(5); d.make_corpus(5); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
