"""Offline sequence tasks for the RNN chapter: long-range memory tasks and a small character corpus.

* :func:`make_first_symbol_task` -- remember the first symbol of a sequence of random distractors;
* :func:`make_adding_problem` -- Hochreiter & Schmidhuber's adding problem;
* :func:`make_char_corpus` -- a small English text generated from fixed templates (no download), with
  :class:`CharVocab` (encode/decode) and :func:`make_char_windows` (next-character training pairs).

Everything is deterministic given ``seed``.
"""
import numpy as np

__all__ = ["make_first_symbol_task", "make_adding_problem", "make_char_corpus", "CharVocab",
           "make_char_windows"]


def make_first_symbol_task(n, length=30, n_symbols=4, seed=0):
    """Sequences of ``length`` random symbols; the label is the *first* symbol.

    Returns ``x`` int64 (n, length) with ids in [0, n_symbols) and ``y`` int64 (n,) = x[:, 0]. The
    other ``length - 1`` symbols are distractors drawn from the same alphabet, so a model reading the
    whole sequence has to carry one symbol across ``length - 1`` steps (chance accuracy 1 / n_symbols).
    """
    if length < 2 or n_symbols < 2:
        raise ValueError(f"need length >= 2 and n_symbols >= 2, got length={length}, n_symbols={n_symbols}")
    rng = np.random.default_rng(seed)
    x = rng.integers(0, n_symbols, size=(n, length)).astype(np.int64)
    return x, x[:, 0].copy()


def make_adding_problem(n, length=30, seed=0):
    """The adding problem: inputs (n, length, 2) = [uniform value, marker]; exactly two markers are 1,
    one in the first half of the sequence and one in the second. Target (n,) = sum of the two marked
    values (predicting 1.0 always gives MSE ~ 1/6)."""
    if length < 4:
        raise ValueError(f"need length >= 4, got {length}")
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length, 2))
    x[:, :, 0] = rng.uniform(0, 1, size=(n, length))
    half = length // 2
    i = rng.integers(0, half, size=n)
    j = rng.integers(half, length, size=n)
    rows = np.arange(n)
    x[rows, i, 1] = 1.0
    x[rows, j, 1] = 1.0
    return x, x[rows, i, 0] + x[rows, j, 0]


_SUBJECTS = ["the cat", "the dog", "a bird", "the old man", "my sister", "the teacher", "a small fox",
             "the farmer", "our neighbour", "the child"]
_VERBS = ["sees", "likes", "finds", "follows", "paints", "watches", "feeds", "calls"]
_OBJECTS = ["the red ball", "a green tree", "the river", "the big house", "a yellow flower", "the moon",
            "the little boat", "a quiet garden", "the blue sky"]
_ENDINGS = ["", " every morning", " in the rain", " after dinner", " near the hill", " with great joy"]


def make_char_corpus(seed=0, n_sentences=400):
    """A small English corpus built offline from template sentences, e.g.
    "the cat sees the red ball in the rain." Returns one lowercase string (sentences separated by
    spaces, 27 distinct characters at most: letters, space and period)."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(n_sentences):
        s = (f"{_SUBJECTS[rng.integers(len(_SUBJECTS))]} {_VERBS[rng.integers(len(_VERBS))]} "
             f"{_OBJECTS[rng.integers(len(_OBJECTS))]}{_ENDINGS[rng.integers(len(_ENDINGS))]}.")
        parts.append(s)
    return " ".join(parts)


class CharVocab:
    """Character vocabulary: sorted distinct characters of ``text``; ``encode(str) -> int64 ids``,
    ``decode(ids) -> str``; ``len(vocab)`` is the number of characters."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as e:
            raise ValueError(f"CharVocab: character {e.args[0]!r} is not in the vocabulary "
                             f"{''.join(self.chars)!r}") from None

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in np.ravel(ids))


def make_char_windows(ids, seq_len=32, step=None):
    """Next-character training pairs from an id sequence: ``x`` (n, seq_len) and ``y`` (n, seq_len),
    ``y[:, t] = x[:, t + 1]`` in the original text. Windows start every ``step`` (default seq_len)."""
    ids = np.asarray(ids)
    step = step or seq_len
    starts = np.arange(0, len(ids) - seq_len - 1, step)
    if len(starts) == 0:
        raise ValueError(f"text of {len(ids)} characters is too short for windows of {seq_len}")
    idx = starts[:, None] + np.arange(seq_len)
    return ids[idx], ids[idx + 1]
