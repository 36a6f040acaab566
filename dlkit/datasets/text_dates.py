"""The dates translation task: a date written in one of eight English formats -> its ISO form.

"tuesday, the third of march, nineteen ninety two" -> "1992-03-03". Day and month come in either
order depending on the format, the year is spelt in word pairs ("nineteen ninety two", "twenty ten",
"two thousand five", "nineteen oh four") or in digits, and weekdays (always the true one, from
``datetime``) are pure distractors, so a model must align and reorder rather than copy. Offline and
seeded; pure Python.
"""
import datetime
import re
from typing import NamedTuple

import numpy as np

__all__ = ["DATE_FORMATS", "LONG_DATE_FORMATS", "DatesData", "make_dates", "load_dates", "DATES_SPLIT_SEEDS"]

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth",
        9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth", 14: "fourteenth",
        15: "fifteenth", 16: "sixteenth", 17: "seventeenth", 18: "eighteenth", 19: "nineteenth",
        20: "twentieth", 30: "thirtieth"}
_MONTHS = ("january february march april may june july august september october november december").split()
_DAYS = ("monday tuesday wednesday thursday friday saturday sunday").split()
_TOKEN = re.compile(r"[a-z]+|\d|[^\sa-z\d]")  # words, single digits, punctuation marks

# format name -> an example (the date 1992-03-03, a Tuesday). Dotted numeric dates are day first.
DATE_FORMATS = {
    "ordinal_of": "the third of march nineteen ninety two",
    "month_ordinal": "march the third, nineteen ninety two",
    "weekday_words": "tuesday, the third of march, nineteen ninety two",
    "us": "march 3rd, 1992",
    "weekday_us": "tuesday, march 3rd, 1992",
    "day_month": "3 march 1992",
    "abbreviated": "tue 3 mar 1992",
    "dotted": "03.03.1992",
}
# the formats whose day and year are spelt in words: 25-70 characters (the others 10-35). In word tokens
# (digits count one each) all formats are 6-11 long, so show the length effect at the character level.
LONG_DATE_FORMATS = ("ordinal_of", "month_ordinal", "weekday_words")
_FIRST_DAY = datetime.date(1900, 1, 1).toordinal()
_N_DAYS = datetime.date(2099, 12, 31).toordinal() - _FIRST_DAY + 1  # 73,049 days, 1900-01-01 .. 2099-12-31


def _cardinal(k):
    """0..99 in words: 7 -> 'seven', 42 -> 'forty two'."""
    return _ONES[k] if k < 20 else _TENS[k // 10] + ("" if k % 10 == 0 else " " + _ONES[k % 10])


def _ordinal(k):
    """1..31 in words: 3 -> 'third', 21 -> 'twenty first'."""
    return _ORD[k] if k in _ORD else _TENS[k // 10] + " " + _ORD[k % 10]


def _suffix(k):
    """1 -> '1st', 22 -> '22nd', 13 -> '13th'."""
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def _year_words(y):
    """1900 'nineteen hundred', 1905 'nineteen oh five', 1992 'nineteen ninety two', 2000 'two thousand',
    2005 'two thousand five', 2010 'twenty ten', 2092 'twenty ninety two'."""
    hi, lo = divmod(y, 100)
    if y == 2000 or (y > 2000 and lo < 10):
        return "two thousand" + ("" if lo == 0 else " " + _ONES[lo])
    if lo == 0:
        return _cardinal(hi) + " hundred"
    return _cardinal(hi) + (" oh " + _ONES[lo] if lo < 10 else " " + _cardinal(lo))


def _render(date, fmt):
    d, m, y = date.day, _MONTHS[date.month - 1], date.year
    wd = _DAYS[date.weekday()]
    return {"ordinal_of": f"the {_ordinal(d)} of {m} {_year_words(y)}",
            "month_ordinal": f"{m} the {_ordinal(d)}, {_year_words(y)}",
            "weekday_words": f"{wd}, the {_ordinal(d)} of {m}, {_year_words(y)}",
            "us": f"{m} {_suffix(d)}, {y}",
            "weekday_us": f"{wd}, {m} {_suffix(d)}, {y}",
            "day_month": f"{d} {m} {y}",
            "abbreviated": f"{wd[:3]} {d} {m[:3]} {y}",
            "dotted": f"{d:02d}.{date.month:02d}.{y}"}[fmt]


class DatesData(NamedTuple):
    """``n`` date translation pairs (all lists/arrays of length ``n``).

    - ``source``: list of str, the date in words, e.g. ``"march 3rd, 1992"``.
    - ``target``: list of str, its ISO form ``"1992-03-03"`` (always 10 characters).
    - ``source_tokens``: list of token lists: words, single digits and punctuation marks, e.g.
      ``['march', '3', 'rd', ',', '1', '9', '9', '2']``.
    - ``target_tokens``: list of token lists: the 10 characters of the ISO date.
    - ``format``: str array (n,), the format name (a key of ``DATE_FORMATS``) of each source.
    """

    source: list
    target: list
    source_tokens: list
    target_tokens: list
    format: np.ndarray


def _check_formats(formats, fn):
    if formats is None:
        return tuple(DATE_FORMATS)
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(formats)
    unknown = [f for f in formats if f not in DATE_FORMATS]
    if not formats or unknown:
        raise ValueError(f"{fn}: formats must be None or a non-empty list of {sorted(DATE_FORMATS)}, "
                         f"got unknown {unknown or formats!r}")
    return formats


def _check_n(n, name, fn, minimum=1):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{fn}: {name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _generate(n, rng, days, formats, fn):
    """n distinct (day, format) pairs drawn uniformly from ``days`` (day offsets) x ``formats``."""
    total = len(days) * len(formats)
    if n > total:
        raise ValueError(f"{fn}: n must be <= {total} (the number of distinct dates x formats), got {n}")
    pick = rng.choice(total, size=n, replace=False)
    day_idx, fmt_idx = np.divmod(pick, len(formats))
    source, target, src_tok, tgt_tok, fmt = [], [], [], [], []
    for d, f in zip(days[day_idx].tolist(), fmt_idx.tolist()):
        date = datetime.date.fromordinal(_FIRST_DAY + d)
        s, t = _render(date, formats[f]), date.isoformat()
        source.append(s)
        target.append(t)
        src_tok.append(_TOKEN.findall(s))
        tgt_tok.append(list(t))
        fmt.append(formats[f])
    return DatesData(source, target, src_tok, tgt_tok, np.array(fmt, dtype=str))


def make_dates(n, seed=0, formats=None):
    """Generate ``n`` (date in words, ISO date) pairs, dates uniform in 1900-01-01 .. 2099-12-31.

    Each example is a distinct (date, format) pair: the format is drawn uniformly from ``formats``
    (default: all eight of ``DATE_FORMATS``; pass ``LONG_DATE_FORMATS`` or any subset for long or short
    inputs). Weekdays, where a format has one, are the true weekday of the date. Returns a
    :class:`DatesData` ``(source, target, source_tokens, target_tokens, format)``; deterministic given
    ``seed``. Use :class:`~dlkit.datasets.Vocabulary` to turn tokens (or characters) into ids.

    Lengths: in characters the ``LONG_DATE_FORMATS`` take 27-64 and the others 10-31 (a word-level
    model sees 6-11 tokens in every format, digits counting one each), so compare models on long and
    short inputs at the character level, e.g. by ``np.isin(data.format, LONG_DATE_FORMATS)``.

    Example::

        data = make_dates(3, seed=0)
        data.source[0], data.target[0]   # ('monday, the twenty fourth of may, twenty twenty seven', '2027-05-24')
    """
    n = _check_n(n, "n", "make_dates")
    formats = _check_formats(formats, "make_dates")
    rng = np.random.default_rng(seed)
    return _generate(n, rng, np.arange(_N_DAYS), formats, "make_dates")


# THE split of the dates data set shared by every chapter and exercise. The 73,049 days are shuffled once
# (seed "days") and cut 80/10/10 into train/val/test pools, so a test DATE never occurs in training in any
# format; each part is then drawn from its own pool with its own seed.
DATES_SPLIT_SEEDS = {"days": 16_000, "train": 16_001, "val": 16_002, "test": 16_003}


def load_dates(n_train=8000, n_val=1000, n_test=1000, formats=None):
    """The book's one train/validation/test split of the dates task (see ``make_dates``).

    Returns ``{"train": DatesData, "val": DatesData, "test": DatesData}`` with ``n_train``, ``n_val`` and
    ``n_test`` examples (defaults 8,000 / 1,000 / 1,000). The days of 1900-2099 are split once 80/10/10
    (fixed seed) into disjoint pools, so no date -- hence no source string -- is shared by two parts;
    each part is drawn from its pool with its own fixed seed (``DATES_SPLIT_SEEDS``). ``formats`` restricts
    all three parts to some formats (default all). Select models on ``"val"``; ``"test"`` once, at the end.
    """
    sizes = {"train": _check_n(n_train, "n_train", "load_dates"), "val": _check_n(n_val, "n_val", "load_dates"),
             "test": _check_n(n_test, "n_test", "load_dates")}
    formats = _check_formats(formats, "load_dates")
    days = np.random.default_rng(DATES_SPLIT_SEEDS["days"]).permutation(_N_DAYS)
    cut1, cut2 = int(0.8 * _N_DAYS), int(0.9 * _N_DAYS)
    pools = {"train": days[:cut1], "val": days[cut1:cut2], "test": days[cut2:]}
    return {part: _generate(count, np.random.default_rng(DATES_SPLIT_SEEDS[part]), pools[part], formats,
                            "load_dates")
            for part, count in sizes.items()}
