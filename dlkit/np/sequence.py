"""Sequence models in dlkit.np: per-token losses/metrics with a time axis and a small Transformer LM API.

- ``sequence_sparse_categorical_crossentropy(y_true, logits, mask=None)``: mean of
  ``-log softmax(logits)[y]`` over the tokens where ``mask`` is true (all tokens without a mask).
  ``y_true (B, T)`` integer ids, ``logits (B, T, V)``, ``mask (B, T)``.
- ``TokenCrossentropy(from_logits=True)``: the same as a ``dlkit.np.losses.Loss`` (``loss(y, logits, mask)``
  then ``loss.backward()`` -> dL/dlogits ``(B, T, V)``).
- ``token_accuracy(y_true, logits, mask=None)``: fraction of (unmasked) tokens whose argmax is right.
- ``TokenAccuracy()``: the same as a stateful metric (exact over an epoch), ``sample_weight`` = mask.
- ``TransformerLM(vocab_size, seq_len, d_model, num_heads, ff_dim, num_layers)``: a ``dlkit.np.Model`` (the
  functional API, trained by the same ``fit`` / ``train_on_batch``; the mask of scored tokens is the
  ``sample_weight``), a decoder-only
  (GPT-style, pre-norm) language model: token + learned position embedding, causal
  ``TransformerDecoderBlock`` s, a final ``LayerNormalization`` and a ``Dense(vocab_size)`` head
  producing logits; ``generate(prompt, steps)`` decodes greedily (or samples with ``temperature > 0``).
"""
import numpy as np

from dlkit.np.graph import Input
from dlkit.np.metrics import Metric
from dlkit.np.model import Model
from dlkit.np.layers.core import Dense
from dlkit.np.layers.normalization import LayerNormalization
from dlkit.np.layers.transformer import TokenAndPositionEmbedding, TransformerDecoderBlock
from dlkit.np.losses import Loss, log_softmax
from dlkit.np.random import get_rng

__all__ = ["sequence_sparse_categorical_crossentropy", "TokenCrossentropy", "token_accuracy", "TokenAccuracy",
           "TransformerLM"]


def _check_tokens(y_true, logits, mask, who):
    y_true, logits = np.asarray(y_true), np.asarray(logits)
    if logits.ndim != 3:
        raise ValueError(f"{who}: expected logits of shape (batch, seq_len, vocab), got {logits.shape}")
    if y_true.shape != logits.shape[:2]:
        raise ValueError(f"{who}: y_true must have shape (batch, seq_len) = {logits.shape[:2]}, "
                         f"got {y_true.shape}")
    V = logits.shape[-1]
    if y_true.dtype.kind not in "iuf" or (y_true.dtype.kind == "f" and np.any(y_true != np.round(y_true))):
        raise ValueError(f"{who}: y_true must hold integer token ids, got dtype {y_true.dtype}")
    y = y_true.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= V):
        raise ValueError(f"{who}: token ids must be in [0, {V}), got values in [{y.min()}, {y.max()}]")
    if mask is None:
        m = np.ones(y.shape, dtype=logits.dtype)
    else:
        m = np.asarray(mask)
        if m.shape != y.shape:
            raise ValueError(f"{who}: mask must have shape (batch, seq_len) = {y.shape}, got {m.shape}")
        m = m.astype(logits.dtype)
    return y, logits, m


def sequence_sparse_categorical_crossentropy(y_true, logits, mask=None):
    """Mean token cross-entropy over the unmasked tokens: ``sum(mask * nll) / max(1, sum(mask))``."""
    y, logits, m = _check_tokens(y_true, logits, mask, "sequence_sparse_categorical_crossentropy")
    nll = -np.take_along_axis(log_softmax(logits), y[..., None], axis=-1)[..., 0]
    return float(np.sum(nll * m) / max(1.0, float(m.sum())))


def token_accuracy(y_true, logits, mask=None):
    """Fraction of unmasked tokens with ``argmax(logits) == y_true``."""
    y, logits, m = _check_tokens(y_true, logits, mask, "token_accuracy")
    m = m.astype(np.float64)
    return float(np.sum((logits.argmax(-1) == y) * m) / max(1.0, float(m.sum())))


class TokenCrossentropy(Loss):
    """Per-token sparse categorical cross-entropy with an optional ``(B, T)`` mask (mean over unmasked
    tokens). ``from_logits=False`` takes probabilities (clipped to [1e-7, 1 - 1e-7] like Keras)."""

    name = "token_crossentropy"

    def __init__(self, from_logits=True):
        self.from_logits = from_logits

    def __call__(self, y_true, y_pred, mask=None, sample_weight=None):
        """``mask`` (alias ``sample_weight``, as ``fit`` passes it) selects the scored tokens."""
        mask = sample_weight if mask is None else mask
        y, p, m = _check_tokens(y_true, y_pred, mask, type(self).__name__)
        if p.dtype.kind != "f":
            p = p.astype(np.float32)
        z = p if self.from_logits else np.log(np.clip(p, 1e-7, 1 - 1e-7))
        logp = log_softmax(z)
        n = max(1.0, float(m.sum()))
        value = -np.sum(np.take_along_axis(logp, y[..., None], axis=-1)[..., 0] * m) / n
        self._cache, self._shape, self._dtype = (y, p, logp, m, n), p.shape, p.dtype
        return p.dtype.type(value)

    def _backward(self, cache):
        y, p, logp, m, n = cache
        d = np.exp(logp)
        np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], axis=-1) - 1, axis=-1)
        d *= (m / n)[..., None]
        if not self.from_logits:  # chain through z = log(clip(p)); d softmax(z)/dz composed with dz/dp
            d = d / np.clip(p, 1e-7, 1 - 1e-7) * ((p >= 1e-7) & (p <= 1 - 1e-7))
        return d


class TokenAccuracy(Metric):
    """Fraction of scored tokens whose argmax is right, exact over all batches (mask = sample_weight)."""

    def __init__(self, name="token_accuracy"):
        super().__init__(name=name)

    def reset_state(self):
        self._hits = self._count = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y, logits, m = _check_tokens(y_true, y_pred, sample_weight, "TokenAccuracy")
        m = m.astype(np.float64)
        self._hits += float(np.sum((logits.argmax(-1) == y) * m))
        self._count += float(m.sum())

    def result(self):
        return self._hits / max(1.0, self._count)


class TransformerLM(Model):
    """Decoder-only Transformer language model (pre-norm, learned positions by default).

    ``TransformerLM(vocab_size, seq_len, d_model=64, num_heads=4, ff_dim=128, num_layers=2, dropout=0.0,
    positional="learned", norm_first=True)``: input token ids (batch, T) with ``T <= seq_len`` -> logits
    (batch, T, vocab_size); logit t predicts token t + 1 (train with ``y = x`` shifted left). A functional
    ``Model``: ``compile`` defaults to ``TokenCrossentropy`` and ``TokenAccuracy``; pass the mask of scored
    tokens as ``sample_weight`` to ``fit``, ``evaluate`` and ``train_on_batch``.
    """

    def __init__(self, vocab_size, seq_len, d_model=64, num_heads=4, ff_dim=128, num_layers=2, dropout=0.0,
                 positional="learned", norm_first=True, dtype="float32", name=None):
        self.vocab_size, self.seq_len = int(vocab_size), int(seq_len)
        ids = Input((None,), dtype="int64", name="token_ids")
        h = TokenAndPositionEmbedding(vocab_size, seq_len, d_model, positional=positional, dtype=dtype)(ids)
        for _ in range(num_layers):
            h = TransformerDecoderBlock(num_heads, ff_dim, dropout=dropout, norm_first=norm_first, dtype=dtype)(h)
        if norm_first:
            h = LayerNormalization(epsilon=1e-5, dtype=dtype)(h)
        super().__init__(ids, Dense(vocab_size, dtype=dtype)(h), name=name or "transformer_lm")
        self.dtype = np.dtype(dtype)
        self.compile()

    def compile(self, optimizer="adam", loss=None, metrics=None):
        super().compile(optimizer, TokenCrossentropy(from_logits=True) if loss is None else loss,
                        [TokenAccuracy()] if metrics is None else metrics)
        return self

    def generate(self, prompt, steps, temperature=0.0, rng=None):
        """Extend ``prompt (B, t0)`` by ``steps`` tokens (greedy if ``temperature == 0``); the context is
        cropped to the last ``seq_len`` tokens. Returns ``(B, t0 + steps)`` int64 ids."""
        tokens = np.asarray(prompt, dtype=np.int64)
        if tokens.ndim != 2:
            raise ValueError(f"{self.name}.generate: expected prompt of shape (batch, t0), got {tokens.shape}")
        rng = get_rng(rng)
        for _ in range(int(steps)):
            logits = self(tokens[:, -self.seq_len:])[:, -1].astype(np.float64)
            if temperature > 0:
                z = logits / temperature
                p = np.exp(z - z.max(-1, keepdims=True))
                p /= p.sum(-1, keepdims=True)
                nxt = np.array([rng.choice(len(q), p=q) for q in p])
            else:
                nxt = logits.argmax(-1)
            tokens = np.concatenate([tokens, nxt[:, None]], axis=1)
        return tokens
