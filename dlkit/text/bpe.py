"""Byte-pair encoding (BPE) from scratch, as in Sennrich, Haddow and Birch (2016).

A word is split into characters; the last character carries an end-of-word marker, ``"low" ->
("l", "o", "w</w>")`` (the layout of subword-nmt and of Hugging Face ``tokenizers`` with
``end_of_word_suffix="</w>"``). Training repeatedly counts the adjacent symbol pairs over the corpus,
weighted by word frequency, and merges the most frequent pair everywhere. Encoding replays the merges
in the order they were learned; decoding concatenates the symbols and turns each marker into a space.

Words are the whitespace-separated pieces of the text, so ``bpe_decode(bpe_encode(text, merges))``
equals ``" ".join(text.split())``: exact for text whose words are separated by single spaces.
"""
from collections import Counter

__all__ = ["END_OF_WORD", "word_counts", "word_to_symbols", "pair_counts", "merge_symbols", "merge_pair",
           "best_pair", "train_bpe", "bpe_encode_word", "bpe_encode", "bpe_decode"]

END_OF_WORD = "</w>"


def word_counts(words_or_text):
    """``{word: count}`` of a text (str, split on whitespace) or of an iterable of words (str)."""
    if isinstance(words_or_text, str):
        words = words_or_text.split()
    else:
        try:
            words = list(words_or_text)
        except TypeError:
            raise TypeError("words_or_text: expected a str or an iterable of str, "
                            f"got {type(words_or_text).__name__}") from None
        if not all(isinstance(w, str) and w and not any(c.isspace() for c in w) for w in words):
            raise ValueError("words_or_text: every word must be a non-empty str without whitespace")
    return Counter(words)


def word_to_symbols(word, end_of_word=END_OF_WORD):
    """Characters of ``word`` with the marker glued to the last one: ``"low" -> ("l", "o", "w</w>")``."""
    return tuple(word[:-1]) + (word[-1] + end_of_word,)


def pair_counts(vocab):
    """Frequency of every adjacent symbol pair. ``vocab``: ``{symbols (tuple of str): word count}``.

    # count(a, b) = sum over words w of count(w) * #positions i with w_i = a, w_{i+1} = b
    """
    counts = Counter()
    for symbols, freq in vocab.items():
        for a, b in zip(symbols[:-1], symbols[1:]):
            counts[a, b] += freq
    return counts


def merge_symbols(symbols, pair):
    """Replace every occurrence of ``pair`` in the tuple ``symbols``, left to right, by its concatenation."""
    a, b = pair
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def merge_pair(vocab, pair):
    """A new ``{symbols: count}`` in which ``pair`` is merged in every word."""
    return {merge_symbols(symbols, pair): freq for symbols, freq in vocab.items()}


def best_pair(counts):
    """The most frequent pair; ties go to the lexicographically smallest ``(a, b)`` (deterministic)."""
    return min(counts, key=lambda pair: (-counts[pair], pair))


def check_train_args(vocab_size, num_merges, min_frequency, end_of_word):
    """Validate the arguments shared by :func:`train_bpe` and ``train_bpe_fast``."""
    if (vocab_size is None) == (num_merges is None):
        raise ValueError("train_bpe: give exactly one of vocab_size and num_merges")
    for name, value in (("vocab_size", vocab_size), ("num_merges", num_merges), ("min_frequency", min_frequency)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name}: expected a non-negative int, got {value!r}")
    if not isinstance(end_of_word, str) or not end_of_word:
        raise ValueError(f"end_of_word: expected a non-empty str, got {end_of_word!r}")


def merges_budget(vocab_size, num_merges, alphabet):
    """Number of merges to learn: ``num_merges``, or ``vocab_size - len(alphabet)``."""
    if num_merges is not None:
        return num_merges
    if vocab_size < len(alphabet):
        raise ValueError(f"vocab_size: {vocab_size} is smaller than the alphabet ({len(alphabet)} symbols)")
    return vocab_size - len(alphabet)


def train_bpe(words_or_text, vocab_size=None, num_merges=None, min_frequency=2, end_of_word=END_OF_WORD):
    """Learn BPE merges. Give exactly one of ``vocab_size`` and ``num_merges``.

    The base vocabulary (alphabet) is every character of the corpus, plus every word-final character
    with the marker (``"w</w>"``); ``vocab_size = len(alphabet) + num_merges``. Training stops early
    when the most frequent pair occurs fewer than ``min_frequency`` times (subword-nmt's default is 2).
    Tie-breaking: among pairs of equal count the lexicographically smallest ``(a, b)`` is merged.

    Returns ``(merges, vocab)``: ``merges`` the list of pairs ``(a, b)`` in learned order, ``vocab`` the
    list of symbols, the sorted alphabet first, then each merged symbol ``a + b`` in learned order.
    Recounts every pair after every merge: clear but slow; ``train_bpe_fast`` gives the same result.
    """
    check_train_args(vocab_size, num_merges, min_frequency, end_of_word)
    vocab = {word_to_symbols(w, end_of_word): c for w, c in word_counts(words_or_text).items()}
    alphabet = sorted({s for symbols in vocab for s in symbols})
    merges = []
    for _ in range(merges_budget(vocab_size, num_merges, alphabet)):
        counts = pair_counts(vocab)
        if not counts:
            break
        pair = best_pair(counts)
        if counts[pair] < max(min_frequency, 1):
            break
        vocab = merge_pair(vocab, pair)
        merges.append(pair)
    return merges, alphabet + [a + b for a, b in merges]


def bpe_encode_word(word, merges, end_of_word=END_OF_WORD):
    """Symbols of one word after applying ``merges`` one by one, in learned order."""
    symbols = word_to_symbols(word, end_of_word)
    for pair in merges:
        if len(symbols) == 1:
            break
        symbols = merge_symbols(symbols, pair)
    return list(symbols)


def bpe_encode(text, merges, end_of_word=END_OF_WORD):
    """Tokens (str) of ``text`` (split on whitespace). Characters never seen in training stay single symbols.

    Each distinct word is encoded once (a cache), so the cost is (#distinct words) * (#merges).
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    merges = [tuple(m) for m in merges]
    if not all(len(m) == 2 and all(isinstance(s, str) for s in m) for m in merges):
        raise ValueError("merges: expected a list of (str, str) pairs")
    cache, tokens = {}, []
    for word in text.split():
        if word not in cache:
            cache[word] = bpe_encode_word(word, merges, end_of_word)
        tokens.extend(cache[word])
    return tokens


def bpe_decode(tokens, end_of_word=END_OF_WORD):
    """Text of a token list: concatenate, then every end-of-word marker becomes a space (the last one dropped)."""
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens: expected a list of str")
    return "".join(tokens).replace(end_of_word, " ").rstrip(" ")
