"""Self-check of Exercise 20 (value iteration on a finite MDP, discounted returns with episode boundaries, the
REINFORCE loss of a softmax policy and its gradient, the advantage with a state-value baseline): independent
references written here (policy iteration with exact linear solves, loops over steps, rows and visits) and
finite differences.

``random_mdp`` and ``optimal_values`` are also used by the graded notebook's test cells. Never imports TensorFlow;
the references never call dlkit (``dlkit.rl`` is blocked while the student's code runs).
"""
import functools
import importlib
import math
import sys

import numpy as np

from dlkit.exercises.checks import check_close, check_dtype, check_shape, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient

from ._core import Task, parts, snapshot, unchanged

GRADCHECK = ("dlkit.gradcheck.eval_numerical_gradient", "dlkit.gradcheck.eval_numerical_gradient_array")
VI_POLICY = (f"{__name__}.optimal_values",)
RETURNS_POLICY = ()
PG_POLICY = ("dlkit.np.activations.softmax", "dlkit.np.activations.softmax_backward",
             "dlkit.np.losses.SparseCategoricalCrossentropy", "dlkit.np.losses.CategoricalCrossentropy",
             "dlkit.np.losses.get") + GRADCHECK
ADV_POLICY = ()
_RL = "dlkit.rl"
TF_POLICY = ("tensorflow.GradientTape",)

__all__ = ["random_mdp", "optimal_values", "forbidden", "VI_POLICY", "RETURNS_POLICY", "PG_POLICY", "ADV_POLICY",
           "TASKS"]


def forbidden(targets):
    """The functions a task may not call: its targets, every public function of ``dlkit.rl`` (value iteration,
    policy evaluation, returns, advantages, the REINFORCE loss, softmax...) and, once TensorFlow is loaded,
    ``tf.GradientTape`` (importing TensorFlow only to forbid it would cost seconds)."""
    module = importlib.import_module(_RL)
    extra = tuple(f"{_RL}.{name}" for name in module.__all__
                  if callable(getattr(module, name)) and not isinstance(getattr(module, name), type))
    return tuple(targets) + extra + (TF_POLICY if "tensorflow" in sys.modules else ())


_Task = functools.partial(Task, forbidden=forbidden)  # the policy is recomputed at each check (see forbidden)


# -- Task 1: value iteration ------------------------------------------------------------------------------------------

def random_mdp(rng, S, A, terminal=0, deterministic=False):
    """(P (S, A, S), R (S, A)): random transitions (each P[s, a] a few successors, or one if ``deterministic``)
    and rewards; the last ``terminal`` states are terminal (all-zero rows)."""
    P = np.zeros((S, A, S))
    for s in range(S - terminal):
        for a in range(A):
            if deterministic:
                P[s, a, rng.integers(S)] = 1.0
            else:
                succ = rng.choice(S, size=min(S, 3), replace=False)
                P[s, a, succ] = rng.dirichlet(np.ones(len(succ)))
    R = np.round(rng.normal(size=(S, A)), 3)
    R[S - terminal:] = 0.0
    return P, R


def _evaluate(P, R, policy, gamma):
    """Exact value of a deterministic policy: solve (I - gamma P_pi) V = R_pi, one row at a time."""
    S = P.shape[0]
    M, b = np.eye(S), np.zeros(S)
    for s in range(S):
        a = int(policy[s])
        b[s] = R[s, a]
        for s2 in range(S):
            M[s, s2] -= gamma * P[s, a, s2]
    return np.linalg.solve(M, b)


def _q(P, R, V, gamma):
    S, A = R.shape
    return np.array([[R[s, a] + gamma * sum(P[s, a, s2] * V[s2] for s2 in range(S)) for a in range(A)]
                     for s in range(S)])


def optimal_values(P, R, gamma):
    """(V*, Q*, pi*) by policy iteration with exact linear solves (gamma < 1); pi* takes the lowest action among
    the maximizers of Q* (up to 1e-9)."""
    P, R = np.asarray(P, dtype=np.float64), np.asarray(R, dtype=np.float64)
    policy = np.zeros(P.shape[0], dtype=int)
    for _ in range(1000):
        V = _evaluate(P, R, policy, gamma)
        Q = _q(P, R, V, gamma)
        better = [next(a for a in range(Q.shape[1]) if Q[s, a] >= Q[s].max() - 1e-9) for s in range(Q.shape[0])]
        new = np.array([policy[s] if Q[s, policy[s]] >= Q[s].max() - 1e-9 else better[s] for s in range(len(Q))])
        if np.array_equal(new, policy):
            return V, Q, np.array(better)
        policy = new
    raise RuntimeError("optimal_values: policy iteration did not converge")


def _clear_mdp(rng, S, A, gamma, terminal, deterministic=False):
    """A random MDP whose optimal actions win by more than 1e-4 (so that the greedy policy is unambiguous)."""
    while True:
        P, R = random_mdp(rng, S, A, terminal, deterministic)
        V, Q, pi = optimal_values(P, R, gamma)
        gaps = np.sort(Q[: S - terminal], axis=1)
        if A == 1 or np.all(gaps[:, -1] - gaps[:, -2] > 1e-4):
            return P, R, V, pi


_VI_HINT = ("start from V = 0; each sweep computes Q[s, a] = R[s, a] + gamma sum_s2 P[s, a, s2] V[s2] for every "
            "state and action, and V_new[s] = max over the ACTIONS; stop at the first sweep with "
            "max |V_new - V| < tol; the policy is the argmax over the actions of Q computed with the final V")


def _value_iteration(S, rng):
    for n, A, gamma, terminal, tol in [(4, 2, 0.9, 1, 1e-10), (6, 3, 0.5, 0, 1e-10), (3, 4, 0.0, 0, 1e-10),
                                       (8, 3, 0.95, 2, 1e-10), (5, 2, 0.8, 1, 1e-2)]:
        P, R, V_star, pi_star = _clear_mdp(rng, n, A, gamma, terminal)
        before = snapshot({"P": P, "R": R})
        what = f"value_iteration(P ({n}, {A}, {n}), R ({n}, {A}), gamma={gamma:g}, tol={tol:g})"
        V, policy = parts(what, S.value_iteration(P, R, gamma, tol), 2, "(V, policy)")
        check_shape(f"{what}: V", V, (n,), hint="one value per state")
        if tol < 1e-6:
            check_close(f"{what}: V", V, V_star, rtol=0, atol=1e-6, hint=_VI_HINT)
            check_shape(f"{what}: policy", policy, (n,), hint="one action per state")
            check_true(np.issubdtype(np.asarray(policy).dtype, np.integer),
                       f"{what}: policy: expected integer actions, got {describe(policy)}")
            check_close(f"{what}: policy", policy, pi_star, rtol=0, atol=0, hint=_VI_HINT)
        else:
            bound = tol * gamma / (1 - gamma)
            err = float(np.max(np.abs(np.asarray(V, dtype=np.float64) - V_star)))
            check_true(err <= bound + 1e-12, f"{what}: expected max |V - V*| <= tol gamma / (1 - gamma) = "
                       f"{bound:.3g}, got {err:.3g}. Hint: {_VI_HINT}")
        unchanged("value_iteration", {"P": P, "R": R}, before)


# -- Task 2: discounted returns ---------------------------------------------------------------------------------------

def _returns_ref(rewards, dones, gamma):
    """G[t] = sum over the steps k >= t of the same episode of gamma^(k - t) r[k], one stream at a time."""
    r = np.asarray(rewards, dtype=np.float64)
    d = np.asarray(dones).astype(bool)
    flat_r, flat_d = (r[:, None], d[:, None]) if r.ndim == 1 else (r, d)
    G = np.zeros(flat_r.shape)
    T, N = flat_r.shape
    for n in range(N):
        for t in range(T):
            total, k = 0.0, t
            while k < T:
                total += gamma ** (k - t) * flat_r[k, n]
                if flat_d[k, n]:
                    break
                k += 1
            G[t, n] = total
    return G[:, 0] if r.ndim == 1 else G


_RET_HINT = ("G_t = r_t + gamma G_{t+1}, computed backwards from the last step, with G_{t+1} replaced by 0 where "
             "dones[t] is True (the episode ended at step t); the first reward is not discounted; time is axis 0")


def _returns(S, rng):
    for T, N, gamma, p_done, ints in [(6, None, 0.9, 0.3, False), (5, 3, 0.5, 0.3, True), (1, 2, 0.9, 0.5, False),
                                      (12, 4, 1.0, 0.2, True), (9, None, 0.0, 0.2, False),
                                      (20, 5, 0.99, 0.1, False)]:
        shape = (T,) if N is None else (T, N)
        rewards = rng.integers(-2, 4, size=shape) if ints else np.round(rng.normal(size=shape), 2)
        dones = rng.random(shape) < p_done
        before = snapshot({"rewards": rewards, "dones": dones})
        what = f"discounted_returns(rewards {shape}{' int' if ints else ''}, dones, gamma={gamma:g})"
        G = S.discounted_returns(rewards, dones, gamma)
        check_close(what, G, _returns_ref(rewards, dones, gamma), hint=_RET_HINT)
        check_dtype(what, G, np.float64, hint="return float64 values (also for integer rewards)")
        unchanged("discounted_returns", {"rewards": rewards, "dones": dones}, before)


# -- Task 3: the REINFORCE loss ---------------------------------------------------------------------------------------

def _reinforce_ref(logits, actions, weights):
    """(loss, dlogits), one row at a time with a stable log-sum-exp."""
    N, A = logits.shape
    loss, grad = 0.0, np.zeros((N, A))
    for i in range(N):
        m = max(logits[i])
        lse = m + math.log(sum(math.exp(z - m) for z in logits[i]))
        loss -= weights[i] * (logits[i, actions[i]] - lse) / N
        for b in range(A):
            p = math.exp(logits[i, b] - lse)
            grad[i, b] = weights[i] * (p - (b == actions[i])) / N
    return loss, grad


_PG_HINT = ("L = -(1/N) sum_i w_i log softmax(z_i)[a_i], with log softmax(z) = z - max(z) - log sum exp(z - max(z)); "
            "dL/dz_i = w_i (softmax(z_i) - onehot(a_i)) / N")


def _reinforce(S, rng):
    for N, A, scale in [(1, 2, 1.0), (5, 3, 1.0), (8, 4, 3.0), (6, 2, 1000.0), (4, 5, 300.0)]:
        logits = rng.normal(scale=scale, size=(N, A))
        actions = rng.integers(A, size=N)
        weights = rng.normal(scale=2.0, size=N)
        before = snapshot({"logits": logits, "actions": actions, "weights": weights})
        what = f"reinforce_loss(logits ({N}, {A}) of scale {scale:g}, actions, weights)"
        with np.errstate(all="ignore"):
            loss, dlogits = parts(what, S.reinforce_loss(logits, actions, weights), 2, "(loss, dlogits)")
        want_loss, want_grad = _reinforce_ref(logits, actions, weights)
        check_close(f"{what}: loss", loss, want_loss, hint=_PG_HINT)
        check_close(f"{what}: dlogits", dlogits, want_grad, hint=_PG_HINT)
        check_dtype(f"{what}: dlogits", dlogits, np.float64, hint="return float64 values")
        if scale < 10:
            num = eval_numerical_gradient(lambda z: _reinforce_ref(z, actions, weights)[0], logits.copy())
            check_close(f"{what}: dlogits vs finite differences", dlogits, num, hint=_PG_HINT, rtol=1e-5,
                        atol=1e-7)
        unchanged("reinforce_loss", {"logits": logits, "actions": actions, "weights": weights}, before)


# -- Task 4: advantages ---------------------------------------------------------------------------------------------

def _advantages_ref(returns, states, actions, Q, probs):
    """A_t = G_t - sum_a pi(a|s_t) Q[s_t, a], one visit at a time (the action taken plays no part)."""
    G = np.asarray(returns, dtype=np.float64)
    out = np.zeros(G.shape)
    for idx in np.ndindex(G.shape):
        s = int(states[idx])
        out[idx] = G[idx] - sum(probs[s, a] * Q[s, a] for a in range(Q.shape[1]))
    return out


_ADV_HINT = ("A_t = G_t - V(s_t) with V(s) = sum_a pi(a|s) Q[s, a]: the expected value of Q under the policy, the "
             "same for every action taken in s (a baseline that depends on the action a_t biases the gradient)")


def _advantages(S, rng):
    for T, N, nS, A in [(6, None, 3, 2), (5, 3, 4, 3), (1, None, 2, 4), (10, 2, 6, 2), (25, None, 5, 3)]:
        shape = (T,) if N is None else (T, N)
        Q = rng.normal(size=(nS, A))
        probs = rng.dirichlet(np.ones(A), size=nS)
        states, actions = rng.integers(nS, size=shape), rng.integers(A, size=shape)
        returns = Q[states, actions] + rng.normal(scale=0.5, size=shape)
        arrays = {"returns": returns, "states": states, "actions": actions, "Q": Q, "probs": probs}
        before = snapshot(arrays)
        what = f"advantages(returns {shape}, states, actions, Q ({nS}, {A}), probs)"
        adv = S.advantages(returns, states, actions, Q, probs)
        check_close(what, adv, _advantages_ref(returns, states, actions, Q, probs), hint=_ADV_HINT)
        check_dtype(what, adv, np.float64, hint="return float64 values")
        unchanged("advantages", arrays, before)


TASKS = [_Task("value_iteration", ["value_iteration"], _value_iteration, VI_POLICY),
         _Task("returns", ["discounted_returns"], _returns, RETURNS_POLICY),
         _Task("reinforce", ["reinforce_loss"], _reinforce, PG_POLICY),
         _Task("advantages", ["advantages"], _advantages, ADV_POLICY)]
