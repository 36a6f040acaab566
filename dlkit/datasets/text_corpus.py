"""A small templated English corpus for word embeddings, byte-pair encoding and masked-LM pretraining.

Sentences are drawn from 31 templates over seven semantic fields (animals, food, vehicles,
professions and their workplaces, colours, countries with their capitals and languages, and gendered
people / family / royalty words). Each field has its own verbs and contexts ("the dog runs in the
field", "the red bus stops at the station", "the doctor works at the hospital", "paris is the capital
of france", "people in rome speak italian", "the queen wears her crown"), a few templates link two
fields ("the farmer feeds the cow"), and inside every slot the words follow a Zipf law (probability
proportional to 1 / rank), so word frequencies spread over more than two orders of magnitude (a
log-log rank-frequency slope near -1).

What it supports (asserted in tests/test_text_datasets.py with a plain count-based PPMI embedding of
12,000 sentences): nearest neighbours inside each field, and the analogies ``a - b + d ~ c`` of
``CORPUS_RELATIONS`` for "capital" (paris - france + italy ~ rome) and "gender" (king - man + woman ~
queen); "language" works as well and "workplace" only for most pairs. A skip-gram model trained briefly
may recover fewer. BPE finds the plural "-s" and verb "-s" / "-ing" endings.

Honest limits: the vocabulary is about 220 words and the grammar 31 fixed templates, so the structure
that embeddings find is the structure written into the templates, not learned from real usage; the
analogies hold because each capital shares its language word with its country and each gender pair
shares one activity ("wears ... crown"). There is no polysemy, no syntax beyond the templates, no
long-range discourse, some sentences are odd ("the dog is red"), and the frequent words are the
template's function words. Rare words are rare only by the Zipf slots. For real text, see the
chapters' GPU sections (IMDb via tensorflow_datasets).
"""
import bisect
from typing import NamedTuple

import numpy as np

__all__ = ["CORPUS_FIELDS", "CORPUS_RELATIONS", "CorpusData", "make_corpus"]

_ANIMALS = ("dog", "cat", "horse", "cow", "rabbit", "goat", "lion", "duck", "pig", "bear")
_ANIMAL_VERBS = (("runs", "running"), ("sleeps", "sleeping"), ("jumps", "jumping"), ("plays", "playing"),
                 ("hides", "hiding"))
_ANIMAL_PLACES = ("field", "forest", "barn", "meadow", "garden")
_ANIMAL_FOOD = ("grass", "hay", "seeds", "carrots", "berries")
_FOODS = ("bread", "rice", "soup", "cheese", "pasta", "salad", "cake", "chicken", "pie", "curry")
_TASTES = ("delicious", "fresh", "sweet", "salty", "spicy")
_MEALS = ("breakfast", "lunch", "dinner")
_VEHICLES = ("car", "bus", "truck", "train", "bike", "taxi", "van", "tram")
_VEHICLE_VERBS = (("drives", "driving"), ("stops", "stopping"), ("turns", "turning"), ("parks", "parking"))
_VEHICLE_PLACES = ("road", "station", "bridge", "corner", "street")
_JOBS = (("doctor", "hospital"), ("teacher", "school"), ("farmer", "farm"), ("pilot", "airport"),
         ("chef", "restaurant"), ("lawyer", "court"), ("baker", "bakery"), ("nurse", "clinic"))
_JOB_VERBS = ("works", "arrives", "waits", "stays")
_COLOURS = ("red", "blue", "green", "black", "white", "yellow", "grey", "brown")
_COUNTRIES = (("france", "paris", "french"), ("germany", "berlin", "german"), ("italy", "rome", "italian"),
              ("spain", "madrid", "spanish"), ("japan", "tokyo", "japanese"), ("russia", "moscow", "russian"),
              ("greece", "athens", "greek"), ("portugal", "lisbon", "portuguese"))
# (male, female, role): roles have their own contexts, pronouns carry the gender
_GENDER = (("man", "woman", "people"), ("boy", "girl", "people"), ("king", "queen", "royal"),
           ("prince", "princess", "royal"), ("father", "mother", "family"), ("son", "daughter", "family"),
           ("brother", "sister", "family"), ("uncle", "aunt", "family"))
# one activity per gender pair, so each pair has an identity beyond its role ("the king wears his crown")
_PAIR_ACTIVITY = {"man": "reads {} newspaper", "boy": "plays with {} ball", "king": "wears {} crown",
                  "prince": "rides to {} castle", "father": "cooks dinner for {} children",
                  "son": "cleans {} room", "brother": "repairs {} bike", "uncle": "brings {} presents"}
_REGION = {"japan": "asia"}  # every other country is in europe
_MOODS = ("tired", "happy", "hungry", "late", "ready")

CORPUS_FIELDS = {
    "animals": _ANIMALS, "food": _FOODS, "vehicles": _VEHICLES, "professions": tuple(j for j, _ in _JOBS),
    "colours": _COLOURS, "countries": tuple(c for c, _, _ in _COUNTRIES),
    "capitals": tuple(cap for _, cap, _ in _COUNTRIES), "languages": tuple(lang for _, _, lang in _COUNTRIES),
    "people": tuple(w for m, f, _ in _GENDER for w in (m, f)),
}
# word pairs related the same way, for analogy tests: a - b + d ~ c for pairs (a, b), (c, d)
CORPUS_RELATIONS = {
    "capital": tuple((cap, c) for c, cap, _ in _COUNTRIES),
    "language": tuple((lang, c) for c, _, lang in _COUNTRIES),
    "workplace": tuple((place, j) for j, place in _JOBS),
    "gender": tuple((f, m) for m, f, _ in _GENDER),
}


class CorpusData(NamedTuple):
    """``n`` sentences.

    - ``sentences``: list of str (lower case, words separated by single spaces, no punctuation).
    - ``tokens``: list of word lists (``sentence.split()``).
    - ``field``: str array (n,), the semantic field of the template that produced each sentence: a key
      of ``CORPUS_FIELDS`` (``"countries"`` also covers the sentences about capitals and languages), or
      ``"mixed"`` for the templates that link two fields.
    """

    sentences: list
    tokens: list
    field: np.ndarray


def _country_or_capital(p, coin):
    country, capital, language = p(_COUNTRIES)
    return (country if coin() else capital), language


def _region(country):
    return country, _REGION.get(country, "europe")


def _plural(word):
    return word + ("es" if word.endswith(("s", "x")) else "s")


def _templates():
    """(field, weight, make(p, coin) -> sentence) triples; ``p(words)`` draws a word Zipf-wise, ``coin()``
    is a fair coin (used for gender, so "he" and "she" are equally frequent)."""
    def person(p, coin, roles=("people", "royal", "family")):
        """A gendered word of one of ``roles`` and its pronoun."""
        m, f, _ = p([g for g in _GENDER if g[2] in roles])
        return (m, "he") if coin() else (f, "she")

    def activity(p, coin):
        m, f, _ = p(_GENDER)
        word, poss = (m, "his") if coin() else (f, "her")
        return f"the {word} " + _PAIR_ACTIVITY[m].format(poss)

    def home(p, coin):
        word, pron = person(p, coin, ("royal", "family"))
        if word in ("king", "queen", "prince", "princess"):
            return f"the {word} lives in the palace"
        return f"the {word} visits {'her' if pron == 'she' else 'his'} parents"

    def job(p, coin):
        job_, place = p(_JOBS)
        return f"the {job_} {p(_JOB_VERBS)} at the {place}"

    return [
        ("animals", 4, lambda p, c: f"the {p(_ANIMALS)} {p(_ANIMAL_VERBS)[0]} in the {p(_ANIMAL_PLACES)}"),
        ("animals", 2, lambda p, c: f"the {_plural(p(_ANIMALS))} are {p(_ANIMAL_VERBS)[1]} in the "
                                    f"{p(_ANIMAL_PLACES)}"),
        ("animals", 2, lambda p, c: f"the {p(_ANIMALS)} eats {p(_ANIMAL_FOOD)}"),
        ("animals", 1, lambda p, c: f"a {p(_ANIMALS)} is an animal"),
        ("food", 3, lambda p, c: f"the {person(p, c, ('people',))[0]} eats {p(_FOODS)} for {p(_MEALS)}"),
        ("food", 2, lambda p, c: f"the {p(_FOODS)} tastes {p(_TASTES)}"),
        ("food", 1, lambda p, c: f"we had {p(_FOODS)} for {p(_MEALS)}"),
        ("vehicles", 3, lambda p, c: f"the {p(_COLOURS)} {p(_VEHICLES)} {p(_VEHICLE_VERBS)[0]} at the "
                                     f"{p(_VEHICLE_PLACES)}"),
        ("vehicles", 2, lambda p, c: f"the {_plural(p(_VEHICLES))} are {p(_VEHICLE_VERBS)[1]} on the "
                                     f"{p(_VEHICLE_PLACES)}"),
        ("vehicles", 1, lambda p, c: f"a {p(_VEHICLES)} is a vehicle"),
        ("professions", 3, job),
        ("professions", 2, lambda p, c: f"{person(p, c)[1]} is a {p(_JOBS)[0]}"),
        ("colours", 2, lambda p, c: f"the {p(_ANIMALS + _VEHICLES)} is {p(_COLOURS)}"),
        ("colours", 1, lambda p, c: f"{p(_COLOURS)} is a colour"),
        ("countries", 1, lambda p, c: "{1} is the capital of {0}".format(*p(_COUNTRIES))),
        ("countries", 1, lambda p, c: "the capital of {0} is {1}".format(*p(_COUNTRIES))),
        ("countries", 3, lambda p, c: "people in {0} speak {1}".format(*_country_or_capital(p, c))),
        ("countries", 2, lambda p, c: "{1} is spoken in {0}".format(*_country_or_capital(p, c))),
        ("countries", 1, lambda p, c: f"{p(_COUNTRIES)[1]} is a big city"),
        ("countries", 1, lambda p, c: f"the {person(p, c)[0]} lives in {p(_COUNTRIES)[1]}"),
        ("countries", 1, lambda p, c: "{0} is a country in {1}".format(*_region(p(_COUNTRIES)[0]))),
        ("countries", 1, lambda p, c: f"the {person(p, c)[0]} travels across {p(_COUNTRIES)[0]}"),
        ("countries", 1, lambda p, c: f"the {person(p, c)[0]} flew from {p(_COUNTRIES)[1]} to {p(_COUNTRIES)[1]}"),
        ("people", 3, lambda p, c: "the {0} said that {1} was {2}".format(*person(p, c), p(_MOODS))),
        ("people", 2, lambda p, c: f"the {person(p, c, ('royal',))[0]} rules the kingdom"),
        ("people", 2, home),
        ("people", 2, activity),
        ("people", 1, lambda p, c: f"the {person(p, c, ('people',))[0]} walks in the street"),
        ("mixed", 1, lambda p, c: f"the farmer feeds the {p(_ANIMALS)}"),
        ("mixed", 1, lambda p, c: f"the {p(_JOBS)[0]} drives a {p(_COLOURS)} {p(_VEHICLES)}"),
        ("mixed", 1, lambda p, c: f"the chef cooks {p(_FOODS)} in {p(_COUNTRIES)[1]}"),
    ]


_TEMPLATES = _templates()
_CUM_TEMPLATE = np.cumsum([w for _, w, _ in _TEMPLATES]) / sum(w for _, w, _ in _TEMPLATES)
_ZIPF_CUM = {}  # number of choices k -> cumulative Zipf probabilities (1 / rank, normalised)


def _zipf_cum(k):
    if k not in _ZIPF_CUM:
        w = 1.0 / np.arange(1, k + 1)
        _ZIPF_CUM[k] = (np.cumsum(w) / w.sum()).tolist()
    return _ZIPF_CUM[k]


def make_corpus(n_sentences, seed=0):
    """Generate ``n_sentences`` templated sentences with semantic-field structure (see the module
    docstring for what it holds and its limits).

    Templates are drawn by fixed weights; inside each slot the words (listed in ``CORPUS_FIELDS`` order)
    follow a Zipf law, probability proportional to 1 / rank. Returns a :class:`CorpusData`
    ``(sentences, tokens, field)``; deterministic given ``seed``. 10,000 sentences (5.6 words on
    average) take about 0.03 s.

    Example::

        corpus = make_corpus(3, seed=0)
        corpus.sentences   # ['french is spoken in paris', 'we had chicken for lunch',
                           #  'the rabbit sleeps in the garden']
        text = "\\n".join(corpus.sentences)   # one training text for BPE or a tokenizer
    """
    if isinstance(n_sentences, bool) or not isinstance(n_sentences, (int, np.integer)) or n_sentences < 1:
        raise ValueError(f"make_corpus: n_sentences must be an integer >= 1, got {n_sentences!r}")
    rng = np.random.default_rng(seed)
    which = np.searchsorted(_CUM_TEMPLATE, rng.random(n_sentences), side="right")
    uniforms = iter(rng.random(16 * n_sentences).tolist())  # at most 16 slots per sentence

    def pick(words):
        return words[min(bisect.bisect_right(_zipf_cum(len(words)), next(uniforms)), len(words) - 1)]

    def coin():
        return next(uniforms) < 0.5

    sentences, fields = [], []
    for t in which.tolist():
        field, _, make = _TEMPLATES[t]
        sentences.append(make(pick, coin))
        fields.append(field)
    return CorpusData(sentences, [s.split() for s in sentences], np.array(fields, dtype=str))
