"""Sequence models in dlkit.np: per-token losses/metrics with a time axis and a small Transformer LM API.

- ``sequence_sparse_categorical_crossentropy(y_true, logits, mask=None)``: mean of
  ``-log softmax(logits)[y]`` over the tokens where ``mask`` is true (all tokens without a mask).
  ``y_true (B, T)`` integer ids, ``logits (B, T, V)``, ``mask (B, T)``.
- ``TokenCrossentropy(from_logits=True)``: the same as a ``dlkit.np.losses.Loss`` (``loss(y, logits, mask)``
  then ``loss.backward()`` -> dL/dlogits ``(B, T, V)``).
- ``token_accuracy(y_true, logits, mask=None)``: fraction of (unmasked) tokens whose argmax is right.
- ``SequenceModel(layers)``: chains dlkit.np layers on ``(B, T, ...)`` data; Transformer blocks also get
  the ``padding_mask``. ``compile / fit / evaluate / predict / train_on_batch``.
- ``TransformerLM(vocab_size, seq_len, d_model, num_heads, ff_dim, num_layers)``: a decoder-only
  (GPT-style, pre-norm) language model: token + learned position embedding, causal
  ``TransformerDecoderBlock`` s, a final ``LayerNormalization`` and a ``Dense(vocab_size)`` head
  producing logits; ``generate(prompt, steps)`` decodes greedily (or samples with ``temperature > 0``).
"""
import math
from types import SimpleNamespace

import numpy as np

from dlkit.np import optimizers as optimizers_module
from dlkit.np.layers.core import Dense
from dlkit.np.layers.normalization import LayerNormalization
from dlkit.np.layers.transformer import TokenAndPositionEmbedding, TransformerDecoderBlock
from dlkit.np.losses import Loss, log_softmax
from dlkit.np.random import get_rng

__all__ = ["sequence_sparse_categorical_crossentropy", "TokenCrossentropy", "token_accuracy",
           "SequenceModel", "TransformerLM"]


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
    return float(np.sum((logits.argmax(-1) == y) * m) / max(1.0, float(m.sum())))


class TokenCrossentropy(Loss):
    """Per-token sparse categorical cross-entropy with an optional ``(B, T)`` mask (mean over unmasked
    tokens). ``from_logits=False`` takes probabilities (clipped to [1e-7, 1 - 1e-7] like Keras)."""

    name = "token_crossentropy"

    def __init__(self, from_logits=True):
        self.from_logits = from_logits

    def __call__(self, y_true, y_pred, mask=None):
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


class SequenceModel:
    """A chain of dlkit.np layers for ``(B, T, ...)`` sequences, trained by explicit backprop.

    ``model(x, padding_mask=None, training=False)``; layers with ``accepts_padding_mask`` (Transformer
    blocks) receive the mask. ``fit(x, y, mask=None, ...)`` masks the loss per token.
    """

    def __init__(self, layers, name=None):
        self.layers = list(layers)
        self.name = name or type(self).__name__.lower()
        self.optimizer, self.loss = None, TokenCrossentropy(from_logits=True)

    def __call__(self, x, padding_mask=None, training=False):
        out = x
        for layer in self.layers:
            if getattr(layer, "accepts_padding_mask", False) and padding_mask is not None:
                out = layer(out, padding_mask=padding_mask, training=training)
            else:
                out = layer(out, training=training)
        return out

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        for layer in self.layers:
            k = len(layer.params)
            layer.set_weights(weights[:k])
            weights = weights[k:]

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    def compile(self, optimizer="adam", loss=None):
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss if loss is not None else TokenCrossentropy(from_logits=True)
        return self

    def train_on_batch(self, x, y, mask=None, padding_mask=None):
        """One gradient step; returns ``(loss, token_accuracy)`` on the batch (before the step)."""
        if self.optimizer is None:
            self.compile()
        logits = self(x, padding_mask=padding_mask, training=True)
        value = float(self.loss(y, logits, mask))
        if not math.isfinite(value):
            raise FloatingPointError(f"{self.name}: loss became {value}; lower the learning rate")
        self.backward(self.loss.backward())
        self.optimizer.apply_gradients(self.parameters())
        return value, token_accuracy(y, logits, mask)

    def fit(self, x, y, mask=None, epochs=1, batch_size=32, shuffle=True, verbose=0, validation_data=None,
            padding_mask=None):
        """Mini-batch training; returns an object with ``.history`` (``loss``, ``token_accuracy`` per
        epoch, and ``val_*`` when ``validation_data=(x, y[, mask])`` is given). ``mask (B, T)`` selects
        the tokens that count in the loss; ``padding_mask (B, T)`` hides padding keys from attention."""
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"{self.name}: x and y have different numbers of samples: {len(x)} vs {len(y)}")
        hist = {"loss": [], "token_accuracy": []}
        rng, n = get_rng(), len(x)
        for epoch in range(epochs):
            perm = rng.permutation(n) if shuffle else np.arange(n)
            tot_l = tot_a = 0.0
            for s in range(0, n, batch_size):
                idx = perm[s:s + batch_size]
                l, a = self.train_on_batch(x[idx], y[idx], None if mask is None else np.asarray(mask)[idx],
                                           None if padding_mask is None else np.asarray(padding_mask)[idx])
                tot_l, tot_a = tot_l + l * len(idx), tot_a + a * len(idx)
            hist["loss"].append(tot_l / n)
            hist["token_accuracy"].append(tot_a / n)
            if validation_data is not None:
                for k, v in self.evaluate(*validation_data).items():
                    hist.setdefault(f"val_{k}", []).append(v)
            if verbose:
                print(f"epoch {epoch + 1}/{epochs} " + " ".join(f"{k}={v[-1]:.4f}" for k, v in hist.items()))
        self.history = SimpleNamespace(history=hist)
        return self.history

    def predict(self, x, batch_size=256, padding_mask=None):
        """Logits ``(B, T, V)`` in inference mode."""
        x = np.asarray(x)
        outs = [self(x[s:s + batch_size], None if padding_mask is None else padding_mask[s:s + batch_size])
                for s in range(0, len(x), batch_size)]
        return np.concatenate(outs)

    def evaluate(self, x, y, mask=None, batch_size=256):
        """``{"loss": ..., "token_accuracy": ...}`` over all (unmasked) tokens."""
        logits = self.predict(x, batch_size)
        return {"loss": sequence_sparse_categorical_crossentropy(y, logits, mask),
                "token_accuracy": token_accuracy(y, logits, mask)}


class TransformerLM(SequenceModel):
    """Decoder-only Transformer language model (pre-norm, learned positions by default).

    ``TransformerLM(vocab_size, seq_len, d_model=64, num_heads=4, ff_dim=128, num_layers=2, dropout=0.0,
    positional="learned", norm_first=True)``; ``model(tokens (B, T)) -> logits (B, T, vocab_size)``
    with ``T <= seq_len``. Logit t predicts token t + 1 (train with ``y = x`` shifted left).
    """

    def __init__(self, vocab_size, seq_len, d_model=64, num_heads=4, ff_dim=128, num_layers=2, dropout=0.0,
                 positional="learned", norm_first=True, dtype="float32", name=None):
        self.vocab_size, self.seq_len = int(vocab_size), int(seq_len)
        layers = [TokenAndPositionEmbedding(vocab_size, seq_len, d_model, positional=positional, dtype=dtype)]
        layers += [TransformerDecoderBlock(num_heads, ff_dim, dropout=dropout, norm_first=norm_first,
                                           dtype=dtype) for _ in range(num_layers)]
        if norm_first:
            layers.append(LayerNormalization(epsilon=1e-5, dtype=dtype))
        layers.append(Dense(vocab_size, dtype=dtype))
        super().__init__(layers, name=name)

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
