"""Finite Markov decision processes given as arrays, solved exactly (dynamic programming).

An MDP with S states and A actions is two arrays:

- ``P`` of shape (S, A, S): ``P[s, a, s2]`` is the probability of moving to ``s2`` when taking
  action ``a`` in state ``s``. Each row ``P[s, a]`` sums to 1, except in a terminal state, where the
  episode ends: its rows are all 0, so ``V(terminal) = 0`` and nothing is discounted past the end.
- ``R`` of shape (S, A), the expected reward of taking ``a`` in ``s``, or (S, A, S), the reward of
  each transition; (S, A, S) is reduced to ``R[s, a] = sum_s2 P[s, a, s2] R[s, a, s2]``.

The Bellman equations (Bellman 1957; Sutton & Barto 2018, chapters 3-4), with discount ``gamma``:

- of a policy pi: ``V(s) = sum_a pi(a|s) (R[s, a] + gamma sum_s2 P[s, a, s2] V(s2))``, a linear
  system ``(I - gamma P_pi) V = R_pi`` solved exactly by :func:`policy_evaluation`;
- of optimality: ``V*(s) = max_a (R[s, a] + gamma sum_s2 P[s, a, s2] V*(s2))``, solved by iterating it
  (:func:`value_iteration`), a contraction of factor ``gamma`` in the max norm.

Tabular Q-learning (Watkins 1989) needs two small pieces, given here; the chapter writes the loop.
"""
import numbers

import numpy as np

__all__ = ["expected_reward", "q_values", "greedy_policy", "policy_evaluation", "value_iteration",
           "epsilon_greedy", "q_learning_update"]


def _check_gamma(gamma, fn):
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not 0.0 <= gamma <= 1.0:
        raise ValueError(f"{fn}: gamma must be a number in [0, 1], got {gamma!r}")
    return float(gamma)


def _check_P(P, fn):
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError(f"{fn}: P must have shape (S, A, S) with S, A >= 1, got shape {P.shape}")
    sums = P.sum(axis=2)
    if np.any(P < 0) or not np.all((np.abs(sums - 1.0) < 1e-9) | (np.abs(sums) < 1e-12)):
        raise ValueError(f"{fn}: P must hold probabilities: every row P[s, a] >= 0 summing to 1 "
                         "(or all zeros in a terminal state)")
    return P


def expected_reward(P, R):
    """``R[s, a]`` (S, A) from rewards of shape (S, A) (returned as float64) or (S, A, S).

    For (S, A, S): ``R[s, a] = sum_s2 P[s, a, s2] R[s, a, s2]``. P (S, A, S).
    """
    P = _check_P(P, "expected_reward")
    R = np.asarray(R, dtype=np.float64)
    if R.shape == P.shape:
        return np.einsum("ijk,ijk->ij", P, R)
    if R.shape != P.shape[:2]:
        raise ValueError(f"expected_reward: R must have shape (S, A) = {P.shape[:2]} or (S, A, S) = {P.shape}, "
                         f"got {R.shape}")
    return R.copy()


def q_values(P, R, V, gamma):
    """One Bellman backup: ``Q[s, a] = R[s, a] + gamma sum_s2 P[s, a, s2] V[s2]``.

    P (S, A, S), R (S, A) or (S, A, S), V (S,) -> Q (S, A) float64.
    """
    gamma = _check_gamma(gamma, "q_values")
    R = expected_reward(P, R)
    V = np.asarray(V, dtype=np.float64)
    if V.shape != (R.shape[0],):
        raise ValueError(f"q_values: V must have shape (S,) = ({R.shape[0]},), got {V.shape}")
    return R + gamma * (np.asarray(P, dtype=np.float64) @ V)


def greedy_policy(Q):
    """The greedy policy ``pi(s) = argmax_a Q[s, a]`` (ties go to the lowest action). Q (S, A) -> (S,) int."""
    Q = np.asarray(Q, dtype=np.float64)
    if Q.ndim != 2:
        raise ValueError(f"greedy_policy: Q must have shape (S, A), got {Q.shape}")
    return np.argmax(Q, axis=1)


def _policy_matrix(policy, S, A, fn):
    """A deterministic policy (S,) int or a stochastic one (S, A) -> probabilities pi (S, A)."""
    policy = np.asarray(policy)
    if policy.shape == (S,) and np.issubdtype(policy.dtype, np.integer):
        if np.any((policy < 0) | (policy >= A)):
            raise ValueError(f"{fn}: policy actions must lie in [0, {A}), got {policy.min()}..{policy.max()}")
        return np.eye(A)[policy]
    if policy.shape == (S, A):
        pi = policy.astype(np.float64)
        if np.any(pi < 0) or np.any(np.abs(pi.sum(axis=1) - 1.0) > 1e-9):
            raise ValueError(f"{fn}: a stochastic policy must have rows of probabilities summing to 1")
        return pi
    raise ValueError(f"{fn}: policy must be actions (S,) = ({S},) of integer dtype or probabilities "
                     f"(S, A) = ({S}, {A}), got shape {policy.shape} and dtype {policy.dtype}")


def policy_evaluation(P, R, policy, gamma):
    """Exact value of a policy, by solving the Bellman equation as a linear system.

    P (S, A, S), R (S, A) or (S, A, S), policy (S,) int actions or (S, A) probabilities ``pi(a|s)``
    -> V (S,) float64 solving ``(I - gamma P_pi) V = R_pi``, with
    ``P_pi[s, s2] = sum_a pi(a|s) P[s, a, s2]`` and ``R_pi[s] = sum_a pi(a|s) R[s, a]``.
    With ``gamma = 1`` the system is singular unless the policy ends every episode (ValueError then).
    """
    gamma = _check_gamma(gamma, "policy_evaluation")
    P = _check_P(P, "policy_evaluation")
    R = expected_reward(P, R)
    S, A = R.shape
    pi = _policy_matrix(policy, S, A, "policy_evaluation")
    P_pi = np.einsum("sa,sat->st", pi, P)
    R_pi = np.sum(pi * R, axis=1)
    M = np.eye(S) - gamma * P_pi
    if np.linalg.cond(M) > 1e12:
        raise ValueError("policy_evaluation: I - gamma P_pi is singular: with gamma = 1 the policy must reach a "
                         "terminal state from every state")
    return np.linalg.solve(M, R_pi)


def value_iteration(P, R, gamma, tol=1e-10, max_sweeps=100_000):
    """Solve the Bellman optimality equation by iterating it from ``V = 0``.

    P (S, A, S), R (S, A) or (S, A, S) -> ``(V (S,) float64, policy (S,) int, sweeps int)``.

    One sweep updates every state at once: ``V_{k+1}(s) = max_a (R[s, a] + gamma sum_s2 P[s, a, s2] V_k(s2))``.
    It stops after the first sweep with ``max_s |V_{k+1}(s) - V_k(s)| < tol`` and returns that ``V_{k+1}``,
    the greedy policy with respect to it and the number of sweeps. For ``gamma < 1`` the error left is at
    most ``tol gamma / (1 - gamma)``. RuntimeError if ``max_sweeps`` sweeps do not get there.
    """
    gamma = _check_gamma(gamma, "value_iteration")
    P = _check_P(P, "value_iteration")
    R = expected_reward(P, R)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"value_iteration: tol must be a positive number, got {tol!r}")
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, numbers.Integral) or max_sweeps < 1:
        raise ValueError(f"value_iteration: max_sweeps must be a positive integer, got {max_sweeps!r}")
    V = np.zeros(P.shape[0])
    for sweep in range(1, max_sweeps + 1):
        # Q[s, a] = R[s, a] + gamma sum_s2 P[s, a, s2] V[s2]
        Q = R + gamma * (P @ V)
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, greedy_policy(R + gamma * (P @ V_new)), sweep
        V = V_new
    raise RuntimeError(f"value_iteration: no convergence to tol={tol} in max_sweeps={max_sweeps} sweeps "
                       "(with gamma = 1 some policy may never end its episode)")


def epsilon_greedy(q, epsilon, rng):
    """An action chosen epsilon-greedily from one state's action values. q (A,) -> int in [0, A).

    With probability ``epsilon`` a uniformly random action, otherwise a greedy one (ties broken uniformly
    at random, so that an all-zero initial table does not always pick action 0). ``rng`` is a
    ``numpy.random.Generator``.
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 1 or q.size == 0:
        raise ValueError(f"epsilon_greedy: q must have shape (A,) with A >= 1, got {q.shape}")
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon_greedy: epsilon must be a number in [0, 1], got {epsilon!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"epsilon_greedy: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if rng.random() < epsilon:
        return int(rng.integers(q.size))
    best = np.flatnonzero(q == q.max())
    return int(best[0]) if best.size == 1 else int(rng.choice(best))


def q_learning_update(Q, s, a, r, s_next, done, alpha, gamma):
    """One tabular Q-learning step, in place. Q (S, A) float array; returns the TD error (float).

    ``target = r + gamma (1 - done) max_a2 Q[s_next, a2]`` and ``Q[s, a] += alpha (target - Q[s, a])``.
    ``done`` means ``s_next`` is terminal: nothing is bootstrapped from it.
    """
    if not isinstance(Q, np.ndarray) or Q.ndim != 2 or not np.issubdtype(Q.dtype, np.floating):
        raise ValueError(f"q_learning_update: Q must be a float array of shape (S, A), got "
                         f"{type(Q).__name__} {getattr(Q, 'shape', '')}")
    S, A = Q.shape
    for name, value, hi in (("s", s, S), ("a", a, A), ("s_next", s_next, S)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < hi:
            raise ValueError(f"q_learning_update: {name} must be an integer in [0, {hi}), got {value!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 < alpha <= 1.0:
        raise ValueError(f"q_learning_update: alpha must be a number in (0, 1], got {alpha!r}")
    gamma = _check_gamma(gamma, "q_learning_update")
    target = float(r) + (0.0 if done else gamma * float(Q[s_next].max()))
    td_error = target - float(Q[s, a])
    Q[s, a] += alpha * td_error
    return td_error
