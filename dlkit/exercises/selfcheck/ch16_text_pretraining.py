"""Self-check of Exercise 16 (masked mean pooling and its gradient, BERT's 80/10/10 masking, top-k / top-p
sampling): independent references written here (loops, one row or one token at a time), finite differences,
and statistical checks of counts with tolerances from Bernstein's inequality for binomial counts.

``check_mlm``, ``check_draws``, ``binomial_band`` and the policies are also used by the graded notebook's test
cells. Never imports TensorFlow; the references never call ``dlkit.text`` or ``dlkit.np``'s pooling (both are
blocked while the student's code runs).

Statistics: a count ``X`` of ``n`` independent events of probability ``p`` is accepted if
``|X - n p| < t`` with ``t = L/3 + sqrt(L^2/9 + 2 L n p (1 - p))``, ``L = ln(2 / DELTA)``: by Bernstein's
inequality ``P(|X - n p| >= t) <= 2 exp(-t^2 / (2 (n p (1 - p) + t/3))) = DELTA = 1e-9``, a proven bound (no
normal approximation, valid for rare events too); for large counts ``t`` is about 6.5 standard deviations.
"""
import functools
import importlib
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from dlkit.exercises.policy import DelegationError, no_delegation

from ._core import StudentError, Task, parts, snapshot, unchanged

DELTA = 1e-9          # the largest probability that a correct answer fails one count
IGNORE = -100
POOL_POLICY = ("dlkit.np.functional.pooling.global_avgpool1d_forward",
               "dlkit.np.functional.pooling.global_avgpool1d_backward",
               f"{__name__}.reference_masked_mean", f"{__name__}.reference_masked_mean_backward")
MLM_POLICY = ("dlkit.text.mlm.mask_tokens",)
SAMPLING_POLICY = ("dlkit.text.decoding.top_k_filter", "dlkit.text.decoding.top_p_filter",
                   "dlkit.text.decoding.sampling_probs", "dlkit.text.decoding.sample_next",
                   "dlkit.text.decoding.sample_decode", f"{__name__}.reference_top_k",
                   f"{__name__}.reference_top_p", f"{__name__}.reference_probs")
TF_POLICY = ("dlkit.tf.layers.GlobalAveragePooling1D", "keras.layers.GlobalAveragePooling1D")

__all__ = ["POOL_POLICY", "MLM_POLICY", "SAMPLING_POLICY", "forbidden", "binomial_band", "check_count",
           "check_mlm", "check_draws", "reference_masked_mean", "reference_masked_mean_backward",
           "reference_top_k", "reference_top_p", "reference_probs", "check_filtered", "TASKS"]


def _exists(target):
    module_name, attr = target.rsplit(".", 1)
    try:
        return hasattr(importlib.import_module(module_name), attr)
    except ImportError:
        return False


def forbidden(targets):
    """The functions a task may not call that exist in this installation (dlkit.text.mlm is recent), plus the
    Keras / dlkit.tf pooling layers once TensorFlow is loaded (importing it only to forbid it would cost time)."""
    extra = TF_POLICY if "tensorflow" in sys.modules else ()
    return tuple(t for t in tuple(targets) + extra if (not t.startswith(("dlkit.tf", "keras"))
                                                       or t.split(".")[0] in sys.modules) and _exists(t))


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- references ---------------------------------------------------------------------------------------------------

def reference_masked_mean(x, mask):
    """(B, d): the mean of x[b, t] over the steps t with mask[b, t] != 0, one row at a time; 0 for an empty row."""
    x, m = np.asarray(x), np.asarray(mask) != 0
    out = np.zeros((x.shape[0], x.shape[2]), dtype=np.float64)
    for b in range(x.shape[0]):
        steps = [x[b, t].astype(np.float64) for t in range(x.shape[1]) if m[b, t]]
        if steps:
            out[b] = sum(steps) / len(steps)
    return out


def reference_masked_mean_backward(dy, mask):
    """(B, T, d): dy[b] / count[b] at the real steps of row b, 0 at padding (and everywhere in an empty row)."""
    dy, m = np.asarray(dy, dtype=np.float64), np.asarray(mask) != 0
    dx = np.zeros((m.shape[0], m.shape[1], dy.shape[1]))
    for b in range(m.shape[0]):
        count = int(m[b].sum())
        for t in range(m.shape[1]):
            if m[b, t]:
                dx[b, t] = dy[b] / count
    return dx


def reference_top_k(logits, k):
    """The k largest logits kept (ties: the smaller id first), the others -inf."""
    logits = np.asarray(logits, dtype=np.float64)
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    out = np.full(len(logits), -np.inf)
    for i in order[:k]:
        out[i] = logits[i]
    return out


def reference_top_p(logits, p):
    """Tokens in decreasing probability (ties: smaller id first) kept while the mass before them is < p."""
    logits = np.asarray(logits, dtype=np.float64)
    top = max(logits)
    probs = [math.exp(v - top) if v > -np.inf else 0.0 for v in logits]
    total = sum(probs)
    out, before = np.full(len(logits), -np.inf), 0.0
    for i in sorted(range(len(logits)), key=lambda i: (-logits[i], i)):
        if before < p:
            out[i] = logits[i]
        before += probs[i] / total
    return out


def reference_probs(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution sample_next draws from: temperature, then top-k, then top-p, then softmax."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None:
        z = reference_top_k(z, top_k)
    if top_p is not None:
        z = reference_top_p(z, top_p)
    e = np.exp(z - z.max())
    return e / e.sum()


# -- statistical checks -------------------------------------------------------------------------------------------

def binomial_band(n, p, delta=DELTA):
    """(lo, hi): the counts accepted for n independent events of probability p; a correct count falls outside
    with probability < delta (Bernstein's inequality; exact at p = 0 or 1)."""
    if not 0.0 < p < 1.0:
        return n * p - 1e-9, n * p + 1e-9
    L = math.log(2.0 / delta)
    t = L / 3.0 + math.sqrt(L * L / 9.0 + 2.0 * L * n * p * (1.0 - p))
    return n * p - t, n * p + t


def check_count(name, count, n, p, hint=""):
    """``count`` of ``n`` events of probability ``p`` must lie within :func:`binomial_band`."""
    lo, hi = binomial_band(n, p)
    if not lo <= count <= hi:
        more = f". Hint: {hint}" if hint else ""
        raise AssertionError(f"expected about {n * p:.0f} of {n} ({100 * p:.1f}%), got {count} "
                             f"({100 * count / max(n, 1):.1f}%) in {name}; accepted {max(lo, 0):.0f} to "
                             f"{min(hi, n):.0f} (a correct answer falls outside with probability < {DELTA:g}){more}")


def check_mlm(name, token_ids, result, mask_id, vocab_size, special_ids, mask_rate, stats=True):
    """The whole contract of mlm_mask on one call: form, exact properties, then (``stats``) the rates."""
    ids = np.asarray(token_ids)
    inputs, labels, weights = parts(name, result, 3, "(inputs, labels, weights)")
    for label, arr in (("inputs", inputs), ("labels", labels), ("weights", weights)):
        check_true(isinstance(arr, np.ndarray) and arr.shape == ids.shape,
                   f"{name} {label}: expected an array of shape {ids.shape}, got {describe(arr)}")
    for label, arr in (("inputs", inputs), ("labels", labels)):
        check_true(arr.dtype.kind in "iu", f"{name} {label}: expected integer ids, got dtype {arr.dtype}")
    check_dtype(f"{name} weights", weights, np.float64, hint="1.0 at the selected positions, 0.0 elsewhere")
    check_true(np.all((weights == 0) | (weights == 1)), f"{name} weights: expected only 0.0 and 1.0, got "
               f"{describe(np.unique(weights))}")
    selected = weights == 1
    special = np.array(sorted({int(s) for s in special_ids} | {int(mask_id)}), dtype=np.int64)
    selectable = ~np.isin(ids, special)
    bad = selected & ~selectable
    check_true(not bad.any(), f"{name}: expected special tokens ({sorted(int(s) for s in special_ids)}) and the "
               f"mask id {mask_id} never selected, got weight 1 at {int(bad.sum())} of them (e.g. id "
               f"{int(ids[bad][0]) if bad.any() else ''}). Hint: select only among the non-special positions")
    want_labels = np.where(selected, ids, IGNORE)
    wrong = labels != want_labels
    check_true(not wrong.any(), f"{name} labels: expected the original id at the selected positions and {IGNORE} "
               f"elsewhere, got {int(wrong.sum())} wrong entries (e.g. {int(labels[wrong][0]) if wrong.any() else ''}"
               f" instead of {int(want_labels[wrong][0]) if wrong.any() else ''})")
    changed = ~selected & (inputs != ids)
    check_true(not changed.any(), f"{name} inputs: expected the original ids at every position that is not "
               f"selected, got {int(changed.sum())} changed. Hint: the 80/10/10 rule applies to the selected "
               "positions only")
    candidates = np.setdiff1d(np.arange(vocab_size), special)
    ok = np.isin(inputs, candidates) | (inputs == mask_id)
    check_true(np.all(ok[selected]), f"{name} inputs: expected every selected position to hold the mask id or a "
               f"non-special id in [0, {vocab_size}), got {describe(inputs[selected & ~ok][:5])}. Hint: draw random "
               "tokens uniformly among the ids that are neither special nor the mask id")
    if not stats:
        return
    n, m = int(selectable.sum()), int(selected.sum())
    check_count(f"{name}: selected positions among the {n} non-special ones", m, n, mask_rate,
                hint="select every non-special position independently with probability mask_rate")
    vc = len(candidates)
    same = int((selected & (inputs == ids)).sum())
    masked = int((selected & (inputs == mask_id)).sum())
    check_count(f"{name}: selected positions replaced by the mask id", masked, m, 0.8,
                hint="80% of the SELECTED positions become [MASK] (one draw per selected position)")
    check_count(f"{name}: selected positions left unchanged", same, m, 0.1 + 0.1 / vc,
                hint=f"10% kept, plus the random 10% that happen to draw the original id (1 in {vc} here)")
    check_count(f"{name}: selected positions replaced by another token", m - masked - same, m, 0.1 * (1 - 1 / vc),
                hint="10% of the selected positions get a random id (it may equal the original)")
    if vc <= 8:                              # each random id is equally likely
        for c in candidates:
            pool = selected & (ids != c)
            check_count(f"{name}: selected positions (of original id != {c}) replaced by id {c}",
                        int((pool & (inputs == c)).sum()), int(pool.sum()), 0.1 / vc,
                        hint=f"the random token is uniform over the {vc} non-special ids {list(candidates)}")


def check_filtered(name, got, want, hint=""):
    """Filtered logits: -inf exactly where ``want`` has -inf, the input's logits elsewhere."""
    want = np.asarray(want, dtype=np.float64)
    check_true(isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == "f",
               f"{name}: expected a float array of shape {want.shape}, got {describe(got)}")
    kept, got_kept = np.isfinite(want), np.isfinite(got) | np.isnan(got)
    if not np.array_equal(kept, got_kept):
        raise AssertionError(f"{name}: expected the ids {np.flatnonzero(kept).tolist()} kept (the others -inf), got "
                             f"{np.flatnonzero(got_kept).tolist()} kept. Hint: {hint}")
    check_close(f"{name} (the kept logits)", got[kept], want[kept], hint="keep the kept logits as they are")


def check_draws(name, draws, probs, hint=""):
    """``draws`` (ints) must be distributed as ``probs``: never a token of probability 0, counts in the band."""
    probs = np.asarray(probs, dtype=np.float64)
    draws = np.asarray(draws)
    check_true(draws.dtype.kind in "iu" and np.all((draws >= 0) & (draws < len(probs))),
               f"{name}: expected token ids in [0, {len(probs)}), got {describe(draws[:5])}")
    for i, p in enumerate(probs):
        count = int((draws == i).sum())
        if p == 0:
            check_true(count == 0, f"{name}: expected token {i} never drawn (filtered out), got it {count} times of "
                       f"{len(draws)}. Hint: {hint}")
        else:
            check_count(f"{name}: draws of token {i}", count, len(draws), p, hint=hint)


# -- the checks ---------------------------------------------------------------------------------------------------

def _padded(rng, B, T, empty_row=False):
    lengths = rng.integers(1, T + 1, size=B)
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.int64)
    if empty_row:
        mask[-1] = 0
    return mask


def _pool(S, rng):
    for B, T, d, kind, empty in [(1, 1, 1, "int", False), (3, 5, 4, "bool", False), (4, 6, 3, "float", True),
                                 (2, 7, 2, "scattered", False)]:
        x = rng.normal(size=(B, T, d))
        mask = _padded(rng, B, T, empty)
        if kind == "scattered":
            mask = (rng.random((B, T)) < 0.6).astype(np.int64)
            mask[:, 0] = 1
        mask = mask.astype({"bool": bool, "float": np.float64}.get(kind, np.int64))
        what = f"x {x.shape} and a {kind} mask {mask.shape}" + (" with an all-padding row" if empty else "")
        before = snapshot({"x": x, "mask": mask})
        out = S.masked_mean_pool_forward(x, mask)
        check_close(f"masked_mean_pool_forward on {what}", out, reference_masked_mean(x, mask),
                    hint="the mean over the real steps (mask != 0) only; 0 for a row without real steps")
        dy = rng.normal(size=(B, d))
        dx = S.masked_mean_pool_backward(dy, mask)
        check_close(f"masked_mean_pool_backward on {what}", dx, reference_masked_mean_backward(dy, mask),
                    hint="dy[b] / count[b] at each real step of row b, 0 at padding")
        check_grad(f"masked_mean_pool_backward on {what} vs finite differences", dx, eval_numerical_gradient(
            lambda v: float(np.sum(reference_masked_mean(v, mask) * dy)), x.copy()), tol=1e-6)
        unchanged("masked_mean_pool_forward", {"x": x, "mask": mask}, before)
    x32 = rng.normal(size=(2, 4, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]])
    check_dtype("masked_mean_pool_forward on float32 x with an int mask", S.masked_mean_pool_forward(x32, mask),
                np.float32, hint="float32 in, float32 out: convert the mask to x.dtype before multiplying")
    check_dtype("masked_mean_pool_backward on float32 dy", S.masked_mean_pool_backward(
        np.ones((2, 3), np.float32), mask), np.float32, hint="the gradient has dy's dtype")


def _mlm(S, rng):
    for B, T, V, special, mask_id, rate in [(250, 60, 30, (0, 1, 2, 3), 3, 0.15), (80, 40, 7, (0, 1, 6), 1, 0.4),
                                            (5, 8, 10, (9,), 9, 1.0), (5, 8, 10, (0, 1), 1, 0.0)]:
        ids = rng.integers(0, V, size=(B, T))
        ids[:, 0] = special[0]
        before = snapshot({"token_ids": ids})
        seed = int(rng.integers(1 << 30))
        what = f"mlm_mask on ids {ids.shape}, vocab {V}, special {special}, mask id {mask_id}, rate {rate}"
        out = S.mlm_mask(ids, np.random.default_rng(seed), mask_id, V, special, rate)
        unchanged("mlm_mask", {"token_ids": ids}, before)
        check_mlm(what, ids, out, mask_id, V, special, rate)
        again = S.mlm_mask(ids, np.random.default_rng(seed), mask_id, V, special, rate)
        check_true(all(np.array_equal(a, b) for a, b in zip(out, again)), f"{what}, twice with the same seed: "
                   "expected the same result, got different ones. Hint: draw every random number from rng")


def _sampling(S, rng):
    for V, scale in [(1, 1.0), (6, 1.0), (12, 3.0), (9, 0.0)]:
        logits = np.round(rng.normal(scale=scale, size=V), 1) + (1000.0 if V == 12 else 0.0)   # ties, huge values
        for k in sorted({1, V, max(1, V // 2)}):
            check_filtered(f"top_k_filter(logits {V}, k={k})", S.top_k_filter(logits.copy(), k),
                           reference_top_k(logits, k),
                           hint="keep exactly k entries, the largest (ties: smaller id first), -inf elsewhere")
        for p in (0.05, 0.5, 0.9, 1.0):
            check_filtered(f"top_p_filter(logits {V}, p={p})", S.top_p_filter(logits.copy(), p),
                           reference_top_p(logits, p),
                           hint="in decreasing probability, keep a token while the mass BEFORE it is < p (so the "
                                "token that crosses p is kept); a stable softmax for large logits")
    logits = np.array([3.0, 2.5, 2.0, 1.0, 0.0, -1.0])
    for temperature, k, p in [(1.0, None, None), (2.0, None, 0.6), (1.0, 3, 0.78)]:
        r = np.random.default_rng(int(rng.integers(1 << 30)))
        draws = [S.sample_next(logits, r, temperature, k, p)]     # the first call through S: errors reported
        try:                                                       # the others under the policy in one block
            with no_delegation(S._ns, *S._policy):
                draws += [S._ns["sample_next"](logits, r, temperature, k, p) for _ in range(1499)]
        except (DelegationError, KeyboardInterrupt):
            raise
        except Exception as err:  # noqa: BLE001
            raise StudentError(f"sample_next: expected a token id, got {type(err).__name__}: {err}") from None
        check_draws(f"sample_next(temperature={temperature}, top_k={k}, top_p={p}), 1500 draws", draws,
                    reference_probs(logits, temperature, k, p),
                    hint="divide by the temperature first, then top-k, then top-p, then softmax and draw with rng")


TASKS = [_Task("masked_pool", ["masked_mean_pool_forward", "masked_mean_pool_backward"], _pool, POOL_POLICY),
         _Task("mlm_mask", ["mlm_mask"], _mlm, MLM_POLICY),
         _Task("sampling", ["top_k_filter", "top_p_filter", "sample_next"], _sampling, SAMPLING_POLICY)]
