"""Masked-language-model (MLM) inputs: BERT's 80/10/10 corruption of a batch of token ids.

BERT (Devlin et al., 2019) trains an encoder to predict tokens it cannot see. In every sequence a
fraction ``selection_rate`` (15%) of the real tokens is *selected*; a selected token is replaced by
the ``[MASK]`` id with probability ``mask_token_rate`` (80%), by a random token with probability
``random_token_rate`` (10%), and left unchanged otherwise (10%). The loss is the cross-entropy of the
original token at the selected positions only. The random and unchanged cases keep the model from
learning that "a real token is never to be predicted": at fine-tuning time there is no ``[MASK]``.

This is the dense form of keras-hub's ``MaskedLMMaskGenerator`` (same rates and defaults; keras-hub
returns the selected positions as a ragged list, here ``weights`` marks them in a ``(B, T)`` array,
ready as the ``sample_weight`` of a per-token loss such as ``dlkit.np.sequence.TokenCrossentropy``).
Unlike keras-hub, every selectable token is selected independently with probability
``selection_rate`` (no cap on the number of predictions), so the count per batch is binomial.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["MaskedBatch", "mask_tokens"]


class MaskedBatch(NamedTuple):
    """The output of :func:`mask_tokens`, all of shape ``(B, T)``.

    - ``inputs``: int64, the corrupted ids the encoder reads;
    - ``targets``: int64, the original ids (the labels; only the selected positions are scored);
    - ``weights``: float64, 1.0 at the selected positions, 0.0 elsewhere (the loss mask).
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray


def _check_rate(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"mask_tokens: {name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _check_ids(token_ids, vocabulary_size, mask_token_id, unselectable_ids):
    ids = np.asarray(token_ids)
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(f"mask_tokens: token_ids must be an integer array of shape (batch, seq_len), "
                         f"got dtype {ids.dtype} and shape {ids.shape}")
    if isinstance(vocabulary_size, bool) or not isinstance(vocabulary_size, (int, np.integer)) \
            or vocabulary_size < 2:
        raise ValueError(f"mask_tokens: vocabulary_size must be an int >= 2, got {vocabulary_size!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary_size):
        raise ValueError(f"mask_tokens: token_ids must lie in [0, vocabulary_size={vocabulary_size}), "
                         f"got values in [{ids.min()}, {ids.max()}]")
    if isinstance(mask_token_id, bool) or not isinstance(mask_token_id, (int, np.integer)) \
            or not 0 <= mask_token_id < vocabulary_size:
        raise ValueError(f"mask_tokens: mask_token_id must be an int in [0, {vocabulary_size}), "
                         f"got {mask_token_id!r}")
    special = np.unique(np.asarray(list(unselectable_ids) + [mask_token_id], dtype=np.int64))
    if special.min() < 0 or special.max() >= vocabulary_size:
        raise ValueError(f"mask_tokens: unselectable_ids must be ids in [0, {vocabulary_size}), "
                         f"got {list(unselectable_ids)!r}")
    return ids.astype(np.int64), special


def mask_tokens(token_ids, rng, *, vocabulary_size, mask_token_id, unselectable_ids=(0,), selection_rate=0.15,
                mask_token_rate=0.8, random_token_rate=0.1):
    """BERT's masked-LM corruption of ``token_ids (B, T)``; returns a :class:`MaskedBatch`.

    1. Every position whose id is not in ``unselectable_ids`` (padding, [CLS], [SEP], ...) nor the
       ``mask_token_id`` is selected independently with probability ``selection_rate``.
    2. Each selected position independently becomes ``mask_token_id`` with probability
       ``mask_token_rate``, a random id with probability ``random_token_rate`` (uniform over the ids
       that are neither unselectable nor the mask id; it may equal the original, as in BERT), and
       keeps its id otherwise.
    3. ``targets`` = the original ids, ``weights`` = 1.0 at the selected positions.

    ``rng`` is a ``numpy.random.Generator`` (the result is a deterministic function of its state).
    Shapes: ``token_ids (B, T)`` int -> ``inputs, targets (B, T)`` int64, ``weights (B, T)`` float64.

    >>> batch = mask_tokens(ids, np.random.default_rng(0), vocabulary_size=len(vocab), mask_token_id=mask_id)
    >>> loss = TokenCrossentropy()(batch.targets, model(batch.inputs), sample_weight=batch.weights)
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"mask_tokens: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    ids, special = _check_ids(token_ids, vocabulary_size, mask_token_id, unselectable_ids)
    selection_rate = _check_rate(selection_rate, "selection_rate")
    mask_token_rate = _check_rate(mask_token_rate, "mask_token_rate")
    random_token_rate = _check_rate(random_token_rate, "random_token_rate")
    if mask_token_rate + random_token_rate > 1.0 + 1e-12:
        raise ValueError(f"mask_tokens: mask_token_rate + random_token_rate must be <= 1, got "
                         f"{mask_token_rate} + {random_token_rate}")
    candidates = np.setdiff1d(np.arange(vocabulary_size), special)  # ids a random replacement may take
    if candidates.size == 0:
        raise ValueError("mask_tokens: every id is special (unselectable or the mask id): no random token to draw")

    selectable = ~np.isin(ids, special)
    selected = selectable & (rng.random(ids.shape) < selection_rate)
    u = rng.random(ids.shape)  # one uniform number decides mask / random / keep for every position
    to_mask = selected & (u < mask_token_rate)
    to_random = selected & (u >= mask_token_rate) & (u < mask_token_rate + random_token_rate)
    inputs = ids.copy()
    inputs[to_mask] = mask_token_id
    inputs[to_random] = candidates[rng.integers(0, candidates.size, size=int(to_random.sum()))]
    return MaskedBatch(inputs, ids, selected.astype(np.float64))
