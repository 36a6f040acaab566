"""The REINFORCE surrogate loss of a softmax policy, forward and backward, and sampling actions from it.

A policy network outputs ``logits`` (N, A) for N visited states; ``pi(a|s) = softmax(logits)[a]``.
The policy-gradient theorem with the log-derivative trick (Williams 1992; Sutton et al. 2000) gives

    ``grad J = E[ sum_t grad log pi(a_t|s_t) w_t ]``

with weights ``w_t`` = the return ``G_t`` (REINFORCE) or the advantage ``G_t - b(s_t)`` (with a baseline).
It is the gradient of the surrogate loss ``L = -mean_i(w_i log pi(a_i|s_i))`` in which the weights are
constants (no gradient flows into them); descending L ascends J.
"""
import numbers

import numpy as np

__all__ = ["log_softmax", "softmax", "reinforce_loss_forward", "reinforce_loss_backward", "sample_actions"]


def log_softmax(logits):
    """Numerically stable ``log softmax`` on the last axis: ``z - max(z) - log sum exp(z - max(z))``.

    logits (..., A) -> (..., A) float64.
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax(logits):
    """``exp(z_a) / sum_b exp(z_b)`` on the last axis, computed stably. logits (..., A) -> (..., A) float64."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_inputs(logits, actions, weights, fn):
    if not isinstance(logits, np.ndarray) or logits.ndim != 2 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(f"{fn}: logits must be a float array of shape (N, A), got {type(logits).__name__} "
                         f"with shape {getattr(logits, 'shape', None)}")
    if not np.all(np.isfinite(logits)):
        raise ValueError(f"{fn}: logits must be finite (no nan or inf)")
    n, A = logits.shape
    actions = np.asarray(actions)
    if actions.shape != (n,) or not np.issubdtype(actions.dtype, np.integer):
        raise ValueError(f"{fn}: actions must be integers of shape (N,) = ({n},), got shape {actions.shape} "
                         f"and dtype {actions.dtype}")
    if np.any((actions < 0) | (actions >= A)):
        raise ValueError(f"{fn}: actions must lie in [0, A) = [0, {A}), got {actions.min()}..{actions.max()}")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)):
        raise ValueError(f"{fn}: weights must be finite floats of shape (N,) = ({n},), got shape {weights.shape}")
    if n == 0:
        raise ValueError(f"{fn}: logits must hold at least one row (N >= 1)")
    return actions, weights


def reinforce_loss_forward(logits, actions, weights):
    """REINFORCE surrogate loss. logits (N, A) float, actions (N,) int, weights (N,) -> (loss float, cache).

    ``loss = -(1/N) sum_i weights_i log softmax(logits_i)[actions_i]``, the log-probability computed with
    :func:`log_softmax` (stable for large logits). ``weights`` are returns or advantages, treated as
    constants.
    """
    actions, weights = _check_inputs(logits, actions, weights, "reinforce_loss_forward")
    logp = log_softmax(logits)
    n = logits.shape[0]
    loss = -float(np.sum(weights * logp[np.arange(n), actions]) / n)
    return loss, (np.exp(logp), actions, weights)


def reinforce_loss_backward(cache, dloss=1.0):
    """Gradient of the REINFORCE loss. cache, dloss (scalar dL/dloss) -> dlogits (N, A) float64.

    ``dlogits = dloss (softmax(logits) - onehot(actions)) weights[:, None] / N``, from
    ``d log softmax(z)_a / dz_b = [a = b] - softmax(z)_b``.
    """
    if isinstance(dloss, bool) or not isinstance(dloss, numbers.Real) or not np.isfinite(dloss):
        raise ValueError(f"reinforce_loss_backward: dloss must be a finite number, got {dloss!r}")
    probs, actions, weights = cache
    n = probs.shape[0]
    # dL/dz = (p - onehot(a)) w / N
    dlogits = probs.copy()
    dlogits[np.arange(n), actions] -= 1.0
    return float(dloss) * dlogits * (weights / n)[:, None]


def sample_actions(logits, rng):
    """One action per row drawn from ``softmax(logits)``: logits (N, A) -> actions (N,) int64.

    Inverse-CDF sampling with one uniform draw per row from ``rng`` (a ``numpy.random.Generator``).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"sample_actions: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"sample_actions: logits must have shape (N, A) with A >= 1, got {logits.shape}")
    cdf = np.cumsum(softmax(logits), axis=1)
    u = rng.random((logits.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), logits.shape[1] - 1).astype(np.int64)
