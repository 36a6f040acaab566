"""dlkit.text.mask_tokens: BERT's 80/10/10 masked-LM corruption (statistics, special tokens, seeds, errors)."""
import numpy as np
import pytest

from dlkit.text import MaskedBatch, mask_tokens

V, MASK, PAD, CLS = 50, 1, 0, 2


def _batch(seed=0, shape=(400, 60)):
    """Random ids in [3, V) with trailing padding of random length and a [CLS] in front."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, V, size=shape)
    ids[:, 0] = CLS
    lengths = rng.integers(2, shape[1] + 1, size=shape[0])
    ids[np.arange(shape[1])[None, :] >= lengths[:, None]] = PAD
    return ids


def _call(ids, seed=0, **kw):
    kw.setdefault("unselectable_ids", (PAD, CLS))
    return mask_tokens(ids, np.random.default_rng(seed), vocabulary_size=V, mask_token_id=MASK, **kw)


def _within(count, n, p, z=5.0):
    """|count - n p| <= z binomial standard deviations (a false alarm has probability < 1e-6)."""
    return abs(count - n * p) <= z * np.sqrt(n * p * (1 - p))


def test_statistics_80_10_10():
    ids = _batch()
    out = _call(ids)
    assert isinstance(out, MaskedBatch)
    selectable = (ids != PAD) & (ids != CLS)
    sel = out.weights > 0
    n, k = int(selectable.sum()), int(sel.sum())
    assert _within(k, n, 0.15)
    masked = sel & (out.inputs == MASK)
    same = sel & (out.inputs == ids)
    other = sel & (out.inputs != MASK) & (out.inputs != ids)
    n_random_ids = V - 3  # ids a random replacement may take: not PAD, CLS, MASK
    assert _within(int(masked.sum()), k, 0.8)
    assert _within(int(other.sum()), k, 0.1 * (1 - 1 / n_random_ids))
    assert _within(int(same.sum()), k, 0.1 + 0.1 / n_random_ids)
    # random replacements are uniform over the non-special ids: never PAD/CLS/MASK, all ids occur
    drawn = out.inputs[other]
    assert not np.isin(drawn, [PAD, CLS, MASK]).any()
    assert set(np.unique(drawn)) <= set(range(3, V))


def test_targets_weights_and_unselected_positions():
    ids = _batch(1)
    out = _call(ids, seed=3)
    np.testing.assert_array_equal(out.targets, ids)
    assert out.inputs.dtype == np.int64 and out.targets.dtype == np.int64 and out.weights.dtype == np.float64
    assert out.inputs.shape == ids.shape == out.weights.shape
    assert set(np.unique(out.weights)) <= {0.0, 1.0}
    np.testing.assert_array_equal(out.inputs[out.weights == 0], ids[out.weights == 0])  # untouched


def test_special_tokens_never_selected_or_changed():
    ids = _batch(2)
    out = _call(ids, seed=5, selection_rate=1.0)
    special = (ids == PAD) | (ids == CLS)
    assert not out.weights[special].any()
    np.testing.assert_array_equal(out.inputs[special], ids[special])
    assert out.weights[~special].all()  # rate 1: every real token selected
    # an existing [MASK] in the input is never selected either
    ids2 = ids.copy()
    ids2[:, 1] = MASK
    assert not _call(ids2, seed=5, selection_rate=1.0).weights[:, 1].any()


def test_rate_edge_cases():
    ids = _batch(3, (50, 20))
    out = _call(ids, selection_rate=1.0, mask_token_rate=1.0, random_token_rate=0.0)
    real = (ids != PAD) & (ids != CLS)
    assert (out.inputs[real] == MASK).all()
    out = _call(ids, selection_rate=1.0, mask_token_rate=0.0, random_token_rate=0.0)
    np.testing.assert_array_equal(out.inputs, ids)
    assert out.weights[real].all()
    assert not _call(ids, selection_rate=0.0).weights.any()


def test_determinism_under_seed():
    ids = _batch(4)
    a, b, c = _call(ids, seed=7), _call(ids, seed=7), _call(ids, seed=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.weights, c.weights)
    rng = np.random.default_rng(11)  # successive calls on one generator differ
    first = mask_tokens(ids, rng, vocabulary_size=V, mask_token_id=MASK)
    second = mask_tokens(ids, rng, vocabulary_size=V, mask_token_id=MASK)
    assert not np.array_equal(first.weights, second.weights)


def test_input_not_modified():
    ids = _batch(5)
    before = ids.copy()
    _call(ids, selection_rate=1.0)
    np.testing.assert_array_equal(ids, before)


@pytest.mark.parametrize("kwargs, match", [
    ({"token_ids": np.zeros(5, dtype=int)}, "token_ids"),
    ({"token_ids": np.zeros((2, 3))}, "token_ids"),
    ({"token_ids": np.full((2, 3), V)}, "token_ids"),
    ({"vocabulary_size": 1}, "vocabulary_size"),
    ({"mask_token_id": V}, "mask_token_id"),
    ({"selection_rate": 1.5}, "selection_rate"),
    ({"mask_token_rate": -0.1}, "mask_token_rate"),
    ({"mask_token_rate": 0.8, "random_token_rate": 0.3}, "random_token_rate"),
    ({"unselectable_ids": (V + 3,)}, "unselectable_ids"),
])
def test_bad_input_raises(kwargs, match):
    args = {"token_ids": _batch(6, (4, 5)), "vocabulary_size": V, "mask_token_id": MASK}
    args.update(kwargs)
    ids = args.pop("token_ids")
    with pytest.raises(ValueError, match=match):
        mask_tokens(ids, np.random.default_rng(0), **args)


def test_rng_must_be_generator():
    with pytest.raises(TypeError, match="rng"):
        mask_tokens(_batch(0, (2, 3)), 0, vocabulary_size=V, mask_token_id=MASK)
