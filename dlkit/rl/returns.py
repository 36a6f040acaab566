"""Discounted returns over a batch of rollouts, with episode boundaries, and advantages.

Layout: time first. ``rewards`` and ``dones`` have shape (T,) for one stream of steps or (T, N) for N
environments stepped in parallel (as :class:`dlkit.rl.cartpole.CartPole` does); row ``t`` is step ``t``.
``dones[t]`` is True when the episode ended at step ``t`` (after its reward ``rewards[t]``): the next
row belongs to a new episode, so the sum is cut there.
"""
import numbers

import numpy as np

__all__ = ["discounted_returns", "advantages"]


def discounted_returns(rewards, dones, gamma, last_values=None):
    """Discounted return of every step, computed backwards: rewards, dones (T,) or (T, N) -> G, same shape.

    ``G_t = r_t + gamma (1 - done_t) G_{t+1}`` with ``G_T = last_values`` (default 0): the sum of the
    discounted rewards from step ``t`` to the end of its episode. ``last_values`` ((N,) or a scalar for
    (T,) input) bootstraps a rollout that stops in the middle of an episode with the value estimate of
    the state reached after step ``T - 1``; it is ignored where ``dones[T - 1]`` is True.
    Returns float64.
    """
    r = np.asarray(rewards, dtype=np.float64)
    d = np.asarray(dones)
    if r.ndim not in (1, 2) or r.shape[0] == 0:
        raise ValueError(f"discounted_returns: rewards must have shape (T,) or (T, N) with T >= 1, got {r.shape}")
    if d.shape != r.shape:
        raise ValueError(f"discounted_returns: dones must have the shape of rewards {r.shape}, got {d.shape}")
    if not (d.dtype == bool or np.all((d == 0) | (d == 1))):
        raise ValueError("discounted_returns: dones must be booleans (or 0/1)")
    if not np.all(np.isfinite(r)):
        raise ValueError("discounted_returns: rewards must be finite (no nan or inf)")
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not 0.0 <= gamma <= 1.0:
        raise ValueError(f"discounted_returns: gamma must be a number in [0, 1], got {gamma!r}")
    if last_values is None:
        g = np.zeros(r.shape[1:])
    else:
        g = np.asarray(last_values, dtype=np.float64)
        if g.shape != r.shape[1:]:
            raise ValueError(f"discounted_returns: last_values must have shape {r.shape[1:]} (one per stream), "
                             f"got {g.shape}")
        g = g.copy()
    keep = 1.0 - d.astype(np.float64)
    G = np.empty_like(r)
    for t in range(r.shape[0] - 1, -1, -1):
        # G_t = r_t + gamma (1 - done_t) G_{t+1}
        g = r[t] + gamma * keep[t] * g
        G[t] = g
    return G


def advantages(returns, values):
    """Advantage estimates ``A_t = G_t - V(s_t)``: the return minus a baseline that does not depend on the action.

    returns, values: the same shape, (T,) or (T, N) (any shape works) -> float64 array of that shape.
    The baseline (a value estimate of the state) leaves the policy gradient unbiased and lowers its variance.
    """
    G = np.asarray(returns, dtype=np.float64)
    V = np.asarray(values, dtype=np.float64)
    if G.shape != V.shape:
        raise ValueError(f"advantages: values must have the shape of returns {G.shape}, got {V.shape}")
    return G - V
