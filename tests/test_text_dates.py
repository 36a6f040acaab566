"""dlkit.datasets text data sets: the dates translation task, the reviews with negation, the embeddings
corpus, and the Vocabulary / pad_sequences helpers.

Targets are checked against independent references written here: a date parser of its own (number
words, ordinals, months and weekdays re-implemented from scratch, then ``datetime``), a re-implementation
of the sentiment rule, ``keras.utils.pad_sequences``, and a scikit-learn bag-of-words model that must fail
on the negated / contrast subsets.
"""
import datetime
import re

import numpy as np
import pytest

from dlkit.datasets import (DATE_FORMATS, LONG_DATE_FORMATS, DatesData, Vocabulary, load_dates, make_corpus,
                            make_dates, make_reviews, pad_sequences)

# ----------------------------------------------------------------------------- an independent date parser
UNITS = {w: i for i, w in enumerate("one two three four five six seven eight nine".split(), 1)}
TEENS = {w: i for i, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen "
                                        "nineteen".split(), 10)}
TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
ORDINAL_UNITS = {w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split(), 1)}
ORDINAL_TEENS = {w: i for i, w in enumerate("tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth "
                                                "seventeenth eighteenth nineteenth".split(), 10)}
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def words_to_number(words):
    """'ninety two' -> 92, 'seven' -> 7, 'eleven' -> 11 (0 < n < 100)."""
    if len(words) == 2:
        return TENS[words[0]] + UNITS[words[1]]
    w = words[0]
    return UNITS.get(w) or TEENS.get(w) or TENS[w]


def ordinal_words(words):
    if len(words) == 2:
        return TENS[words[0]] + ORDINAL_UNITS[words[1]]
    w = words[0]
    return ORDINAL_UNITS.get(w) or ORDINAL_TEENS.get(w) or ORDINAL_TENS[w]


def year_words(words):
    if words[:2] == ["two", "thousand"]:
        return 2000 + (UNITS[words[2]] if len(words) == 3 else 0)
    century = 100 * words_to_number(words[:1])
    rest = words[1:]
    if rest == ["hundred"]:
        return century
    if rest[0] == "oh":
        return century + UNITS[rest[1]]
    return century + words_to_number(rest)


def parse_date(text):
    """An independent parser of every documented format -> (date, weekday named or None, format name)."""
    t = text.replace(",", " ,")
    w = t.split()
    weekday = None
    if w[0] in WEEKDAYS or w[0] in [d[:3] for d in WEEKDAYS]:
        weekday = [d for d in WEEKDAYS if d.startswith(w[0])][0]
    if re.fullmatch(r"\d\d\.\d\d\.\d{4}", text):
        d, m, y = map(int, text.split("."))
        return datetime.date(y, m, d), None, "dotted"
    if weekday and w[1] == "," and w[2] == "the":  # "tuesday, the third of march, nineteen ninety two"
        of, comma = w.index("of"), w.index(",", 3)
        return (datetime.date(year_words(w[comma + 1:]), MONTHS.index(w[of + 1]) + 1, ordinal_words(w[3:of])),
                weekday, "weekday_words")
    if w[0] == "the":  # "the third of march nineteen ninety two"
        of = w.index("of")
        return (datetime.date(year_words(w[of + 2:]), MONTHS.index(w[of + 1]) + 1, ordinal_words(w[1:of])),
                None, "ordinal_of")
    if w[0] in MONTHS and w[1] == "the":  # "march the third, nineteen ninety two"
        comma = w.index(",")
        return (datetime.date(year_words(w[comma + 1:]), MONTHS.index(w[0]) + 1, ordinal_words(w[2:comma])),
                None, "month_ordinal")
    if weekday and len(w) == 4:  # "tue 3 mar 1992"
        month = [m for m in MONTHS if m[:3] == w[2]][0]
        return datetime.date(int(w[3]), MONTHS.index(month) + 1, int(w[1])), weekday, "abbreviated"
    if weekday:  # "tuesday, march 3rd, 1992"
        w = w[2:]
    if w[0] in MONTHS:  # "march 3rd, 1992"
        day = re.fullmatch(r"(\d+)(st|nd|rd|th)", w[1])
        d = int(day.group(1))
        assert day.group(2) == ({1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th") if d not in (11, 12, 13) else "th")
        return (datetime.date(int(w[3]), MONTHS.index(w[0]) + 1, d), weekday,
                "weekday_us" if weekday else "us")
    assert len(w) == 3  # "3 march 1992"
    return datetime.date(int(w[2]), MONTHS.index(w[1]) + 1, int(w[0])), None, "day_month"


@pytest.fixture(scope="module")
def dates():
    return make_dates(4000, seed=5)


def test_dates_targets_are_the_parsed_source_dates(dates):
    assert isinstance(dates, DatesData) and len(dates.source) == 4000
    for src, tgt, fmt in zip(dates.source, dates.target, dates.format):
        date, weekday, parsed_fmt = parse_date(src)
        assert tgt == date.isoformat() and datetime.date.fromisoformat(tgt) == date, src
        assert parsed_fmt == fmt, src
        if weekday is not None:
            assert weekday == WEEKDAYS[date.weekday()], f"wrong weekday in {src!r}"
        assert datetime.date(1900, 1, 1) <= date <= datetime.date(2099, 12, 31)
    # the documented examples parse to 1992-03-03 (a Tuesday) and have the documented format
    for fmt, example in DATE_FORMATS.items():
        date, weekday, parsed_fmt = parse_date(example)
        assert date == datetime.date(1992, 3, 3) and parsed_fmt == fmt and weekday in (None, "tuesday")


def test_dates_tokens_and_coverage(dates):
    for src, tgt, st, tt in zip(dates.source, dates.target, dates.source_tokens, dates.target_tokens):
        assert "".join(st) == src.replace(" ", "") and tt == list(tgt) and len(tt) == 10
        assert all(len(tok) == 1 for tok in st if tok.isdigit()), st  # digits are single tokens
    assert set(dates.format) == set(DATE_FORMATS)
    counts = np.array([np.sum(dates.format == f) for f in DATE_FORMATS])
    assert counts.min() > 0.7 * len(dates.format) / len(DATE_FORMATS)  # roughly uniform over formats
    # every special year spelling occurs, and reordering is needed: day-first and month-first formats
    words = {w for s in dates.source_tokens for w in s}
    assert {"oh", "hundred", "thousand"} <= words
    years = np.array([int(t[:4]) for t in dates.target])
    assert years.min() < 1910 and years.max() > 2090
    assert len(set(dates.source)) == len(dates.source)  # no duplicate examples
    # long formats are longer in characters than the others
    length = np.array([len(s) for s in dates.source])
    long = np.isin(dates.format, LONG_DATE_FORMATS)
    assert length[long].min() > np.median(length[~long]) and length[long].mean() > 2.5 * length[~long].mean()


def test_dates_determinism_and_formats_argument():
    a, b, c = make_dates(300, seed=1), make_dates(300, seed=1), make_dates(300, seed=2)
    assert a.source == b.source and a.target == b.target and np.array_equal(a.format, b.format)
    assert a.source != c.source
    long = make_dates(200, seed=0, formats=LONG_DATE_FORMATS)
    assert set(long.format) == set(LONG_DATE_FORMATS)
    assert set(make_dates(50, formats="dotted").format) == {"dotted"}


def test_load_dates_split_is_fixed_and_disjoint():
    split = load_dates(n_train=3000, n_val=500, n_test=500)
    again = load_dates(n_train=3000, n_val=500, n_test=500)
    assert [len(split[p].source) for p in ("train", "val", "test")] == [3000, 500, 500]
    for part in split:
        assert split[part].source == again[part].source
    sources = {p: set(d.source) for p, d in split.items()}
    targets = {p: set(d.target) for p, d in split.items()}
    for p, q in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not sources[p] & sources[q] and not targets[p] & targets[q]
    assert set(split["test"].format) == set(DATE_FORMATS)


@pytest.mark.parametrize("call, match", [
    (lambda: make_dates(0), "n must be"), (lambda: make_dates(2.5), "n must be"),
    (lambda: make_dates(10, formats=["iso"]), "formats must be"), (lambda: make_dates(10, formats=[]), "formats"),
    (lambda: make_dates(10 ** 6, formats="dotted"), "n must be <="),
    (lambda: load_dates(n_val=0), "n_val must be"), (lambda: load_dates(formats=["x"]), "formats must be")])
def test_dates_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- Vocabulary, pad_sequences
def test_vocabulary_round_trip_word_and_char(dates):
    words = Vocabulary(dates.source_tokens)
    chars = Vocabulary(dates.source)
    assert words.tokens[:4] == ["<pad>", "<start>", "<end>", "<unk>"] == chars.tokens[:4]
    assert all(len(t) == 1 for t in chars.tokens[4:]) and "march" in words and len(words) < 120
    for src, toks in zip(dates.source[:500], dates.source_tokens[:500]):
        ids = words.encode(toks, add_start=True, add_end=True)
        assert ids[0] == 1 and ids[-1] == 2 and 3 not in ids
        assert words.decode(ids + [0, 0]) == toks
        assert "".join(chars.decode(chars.encode(src))) == src
    # ids ordered by decreasing count (ties alphabetical), independent count here
    counts = {}
    for s in dates.source_tokens:
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    assert words.tokens[4:] == sorted(counts, key=lambda t: (-counts[t], t))
    assert words.encode(["march", "zzz"]) == [words.index["march"], 3]
    assert words.decode([1, 5, 2, 6]) == [words.tokens[5]] and len(words.decode([5, 2, 6], stop_at_end=False)) == 3
    small = Vocabulary(dates.source_tokens, max_size=10)
    assert len(small) == 10 and small.tokens[4:] == words.tokens[4:10]
    rare = Vocabulary([["a", "a", "b"]], min_count=2)
    assert rare.tokens == ["<pad>", "<start>", "<end>", "<unk>", "a"]
    batch = words.encode_batch(dates.source_tokens[:5], add_end=True)
    assert batch.dtype == np.int32 and batch.shape == (5, max(len(s) for s in dates.source_tokens[:5]) + 1)
    assert all(batch[i, len(s)] == 2 for i, s in enumerate(dates.source_tokens[:5]))
    with pytest.raises(TypeError, match="one string"):
        Vocabulary("abc")
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary([["a"]], min_count=0)
    with pytest.raises(ValueError, match="ids must be"):
        words.decode([len(words)])


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 3, 7])  # (Keras fails on maxlen=0 with truncating="pre")
def test_pad_sequences_matches_keras(padding, truncating, maxlen):
    keras = pytest.importorskip("keras")
    seqs = [[5, 6, 7, 8, 9], [1], [], [2, 3, 4], list(range(10, 17))]
    ours = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=0)
    ref = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=0)
    assert ours.dtype == ref.dtype and np.array_equal(ours, ref)
    assert np.array_equal(pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=-1,
                                        dtype="int64"),
                          keras.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating,
                                                    value=-1, dtype="int64"))


def test_pad_sequences_bad_arguments():
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0) and pad_sequences([]).shape == (0, 0)
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="middle")
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=-1)
    with pytest.raises(ValueError, match=r"sequences\[1\]"):
        pad_sequences([[1], 5])


def test_docstring_examples_are_current():
    """The outputs quoted in the docstrings' examples are what the code returns (checked independently of
    the code for the date: the parser above and datetime)."""
    import dlkit.datasets.text_corpus as corpus_module
    import dlkit.datasets.text_dates as dates_module
    import dlkit.datasets.text_reviews as reviews_module

    d = make_dates(3, seed=0)
    assert f"('{d.source[0]}', '{d.target[0]}')" in dates_module.make_dates.__doc__
    assert parse_date(d.source[0])[0].isoformat() == d.target[0]
    r = make_reviews(4, seed=0)
    assert f"('{r.texts[0]}', {r.labels[0]}, '{r.kind[0]}')" in reviews_module.make_reviews.__doc__
    doc = " ".join(corpus_module.make_corpus.__doc__.replace("#", " ").split())
    assert all(f"'{s}'" in doc for s in make_corpus(3, seed=0).sentences)
    vocab = Vocabulary([["the", "cat"], ["the", "dog"]])
    assert vocab.encode(["the", "cow"]) == [4, 3] and vocab.decode([1, 4, 5, 2, 0, 0]) == ["the", "cat"]
