"""Token <-> id mapping (:class:`Vocabulary`) and Keras-style padding (:func:`pad_sequences`) for the
text data sets of :mod:`dlkit.datasets.text`. Pure Python / NumPy."""
from collections import Counter

import numpy as np

__all__ = ["Vocabulary", "pad_sequences", "PAD", "START", "END", "UNK"]

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"


class Vocabulary:
    """A token <-> id table with reserved ids ``pad=0``, ``start=1``, ``end=2``, ``unknown=3``.

    ``Vocabulary(sequences, min_count=1, max_size=None)`` counts the tokens of ``sequences``, an
    iterable of token sequences: a list of tokens is read word by word, a **string is read character by
    character** (so ``Vocabulary(data.source)`` is a character vocabulary and
    ``Vocabulary(data.source_tokens)`` a word vocabulary). Tokens seen at least ``min_count`` times get
    ids 4, 5, ... in order of decreasing count, ties broken alphabetically (deterministic); ``max_size``
    caps ``len(vocab)`` including the four reserved ids. Id 0 is padding, so encoded batches padded with
    :func:`pad_sequences` work with ``Embedding(mask_zero=True)``.

    Shapes: ``encode`` maps a sequence of ``T`` tokens to ``T`` ids (``T + 2`` with start and end);
    ``encode_batch`` maps ``n`` sequences to an int32 array ``(n, maxlen)``; ``decode`` inverts ``encode``.

    Example::

        vocab = Vocabulary([["the", "cat"], ["the", "dog"]])
        vocab.encode(["the", "cow"])              # [4, 3]  ("cow" is unknown)
        vocab.decode([1, 4, 5, 2, 0, 0])          # ['the', 'cat']
    """

    pad_id, start_id, end_id, unk_id = 0, 1, 2, 3

    def __init__(self, sequences, min_count=1, max_size=None):
        if isinstance(sequences, str):
            raise TypeError("Vocabulary: sequences must be an iterable of token sequences (a list of strings "
                            "or of token lists), got one string; wrap it in a list")
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise ValueError(f"Vocabulary: min_count must be an integer >= 1, got {min_count!r}")
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer))
                                     or max_size < 5):
            raise ValueError(f"Vocabulary: max_size must be None or an integer >= 5, got {max_size!r}")
        counts = Counter()
        for seq in sequences:
            counts.update(seq)
        reserved = (PAD, START, END, UNK)
        kept = sorted((t for t, c in counts.items() if c >= min_count and t not in reserved),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size - len(reserved)]
        self.tokens = list(reserved) + kept  # id -> token
        self.index = {t: i for i, t in enumerate(self.tokens)}  # token -> id
        self.counts = counts

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self.index

    def __repr__(self):
        return f"Vocabulary(size={len(self)}, first={self.tokens[4:9]})"

    def encode(self, sequence, add_start=False, add_end=False):
        """Ids (list of int) of a token sequence (a string is read character by character); unknown tokens
        map to ``unk_id``; ``add_start`` / ``add_end`` put ``start_id`` / ``end_id`` around it."""
        if not isinstance(sequence, (str, list, tuple)):
            raise TypeError(f"Vocabulary.encode: sequence must be a string or a list of tokens, "
                            f"got {type(sequence).__name__}")
        ids = [self.index.get(t, self.unk_id) for t in sequence]
        return ([self.start_id] if add_start else []) + ids + ([self.end_id] if add_end else [])

    def decode(self, ids, stop_at_end=True):
        """Tokens (list of str) of a sequence of ids: padding and start ids are dropped, and everything
        from the first end id on is cut when ``stop_at_end``. ``"".join`` the result for characters,
        ``" ".join`` for words."""
        out = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"Vocabulary.decode: ids must be in [0, {len(self.tokens)}), got {i}")
            if i == self.end_id and stop_at_end:
                break
            if i not in (self.pad_id, self.start_id):
                out.append(self.tokens[i])
        return out

    def encode_batch(self, sequences, maxlen=None, add_start=False, add_end=False, padding="post",
                     truncating="post"):
        """int32 array (n, maxlen) of the encoded ``sequences``, padded with 0 (see :func:`pad_sequences`;
        note the default here is ``padding="post"``, the usual choice for sequence-to-sequence)."""
        return pad_sequences([self.encode(s, add_start, add_end) for s in sequences], maxlen=maxlen,
                             padding=padding, truncating=truncating)


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0):
    """Pad (and cut) a list of ``n`` integer sequences to one array ``(n, maxlen)``; Keras semantics.

    Same arguments and defaults as ``keras.utils.pad_sequences``: ``maxlen=None`` means the longest
    sequence; ``padding="pre"`` puts the ``value`` before the sequence, ``"post"`` after;
    ``truncating="pre"`` drops tokens from the start of a sequence longer than ``maxlen``, ``"post"``
    from its end. Returns an array of ``dtype`` (default int32).
    """
    for name, arg in (("padding", padding), ("truncating", truncating)):
        if arg not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {arg!r}")
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"pad_sequences: sequences must be a list of sequences, got {type(sequences).__name__}")
    lengths = []
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: sequences[{i}] is not a sequence: {s!r}")
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or an integer >= 0, got {maxlen!r}")
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if len(s) == 0 or maxlen == 0:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out
