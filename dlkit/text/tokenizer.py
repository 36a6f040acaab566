"""A BPE tokenizer with integer ids, wrapping the functions of :mod:`dlkit.text.bpe`."""
from .bpe import bpe_decode
from .bpe_fast import bpe_encode_fast, train_bpe_fast

__all__ = ["BPETokenizer"]


class BPETokenizer:
    """BPE with integer ids: ``fit`` learns merges, ``encode`` maps text -> ids, ``decode`` ids -> text.

    Uses the fast training and encoding of :mod:`dlkit.text.bpe_fast` (tested equal to the reference).
    Ids: the ``special_tokens`` first (default ``["<pad>", "<unk>"]``, so padding is 0), then the
    vocabulary of :func:`train_bpe`. A symbol outside the vocabulary (an unseen character) encodes to
    ``<unk>``. Shapes: ``encode(text) -> list of int (T,)``; ``decode(ids (T,)) -> str``.
    """

    def __init__(self, vocab_size=None, num_merges=None, min_frequency=2,
                 special_tokens=("<pad>", "<unk>"), unk_token="<unk>"):
        if unk_token not in special_tokens:
            raise ValueError(f"unk_token: {unk_token!r} must be one of special_tokens {list(special_tokens)}")
        self.vocab_size, self.num_merges, self.min_frequency = vocab_size, num_merges, min_frequency
        self.special_tokens, self.unk_token = list(special_tokens), unk_token
        self.merges, self.id_to_token, self.token_to_id = None, None, None

    def fit(self, words_or_text):
        """Train on a text or a list of words; ``vocab_size`` counts the special tokens too."""
        size = None if self.vocab_size is None else self.vocab_size - len(self.special_tokens)
        self.merges, vocab = train_bpe_fast(words_or_text, vocab_size=size, num_merges=self.num_merges,
                                       min_frequency=self.min_frequency)
        self.id_to_token = self.special_tokens + vocab
        self.token_to_id = {t: i for i, t in enumerate(self.id_to_token)}
        return self

    def _check_fitted(self):
        if self.merges is None:
            raise ValueError("BPETokenizer: call fit(...) before encode/decode")

    def tokenize(self, text):
        """Token strings of ``text``."""
        self._check_fitted()
        return bpe_encode_fast(text, self.merges)

    def encode(self, text):
        """Token ids of ``text``."""
        tokens = self.tokenize(text)
        unk = self.token_to_id[self.unk_token]
        return [self.token_to_id.get(t, unk) for t in tokens]

    def decode(self, ids, skip_special_tokens=True):
        """Text of a sequence of ids; special tokens (e.g. padding) are dropped unless asked otherwise."""
        self._check_fitted()
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self.id_to_token)]
        if bad:
            raise ValueError(f"ids: {bad[:5]} out of range [0, {len(self.id_to_token)})")
        special = set(self.special_tokens) if skip_special_tokens else set()
        return bpe_decode([self.id_to_token[i] for i in ids if self.id_to_token[i] not in special])

    def __len__(self):
        self._check_fitted()
        return len(self.id_to_token)
