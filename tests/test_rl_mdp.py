"""dlkit.rl MDP pieces: GridWorld's arrays and sampler, exact policy evaluation, value iteration, Q-learning.

References: Russell & Norvig's published utilities of the 4x3 world, transition probabilities worked out by
hand, plain-loop iterative policy evaluation, brute force over every deterministic policy, and frequencies
of sampled transitions.
"""
import itertools
import subprocess
import sys

import numpy as np
import pytest

import dlkit.rl as rl
from dlkit.rl import GridWorld, policy_evaluation, value_iteration

UP, RIGHT, DOWN, LEFT = range(4)


def _random_mdp(S=4, A=3, seed=0, terminal=()):
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    P[list(terminal)] = 0.0
    R = rng.standard_normal((S, A))
    R[list(terminal)] = 0.0
    return P, R


def _loop_policy_evaluation(P, R, pi, gamma, max_sweeps=20000):
    """Iterative policy evaluation with Python loops (Sutton & Barto 2018, section 4.1): an independent reference."""
    S, A = len(R), len(R[0])
    V = [0.0] * S
    for _ in range(max_sweeps):
        new = [sum(pi[s][a] * (R[s][a] + gamma * sum(P[s][a][t] * V[t] for t in range(S))) for a in range(A))
               for s in range(S)]
        if max(abs(x - y) for x, y in zip(new, V)) < 1e-14:
            return np.array(new)
        V = new
    raise AssertionError("the loop reference did not converge")


# ----------------------------------------------------------------------------- GridWorld arrays
def test_russell_norvig_4x3_utilities_and_policy():
    """AIMA (Russell & Norvig, 3rd ed.) Fig. 17.3 utilities and Fig. 17.2 policy, R(s) = -0.04, gamma = 1."""
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.2, step_reward=-0.04)
    V, policy, sweeps = value_iteration(g.P, g.R, 1.0, tol=1e-12)
    published = {(0, 0): 0.812, (0, 1): 0.868, (0, 2): 0.918, (1, 0): 0.762, (1, 2): 0.660,
                 (2, 0): 0.705, (2, 1): 0.655, (2, 2): 0.611, (2, 3): 0.388}
    for (i, j), u in published.items():
        assert abs(V[g.state_of(i, j)] - u) < 6e-4, (i, j, V[g.state_of(i, j)], u)
    assert g.render_policy(policy) == ">>>G\n^#^X\n^<<<"
    assert 10 < sweeps < 200
    assert np.all(V[g.terminal] == 0.0)


def test_transition_probabilities_worked_out_by_hand():
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.2, step_reward=-0.04)
    s = g.state_of
    start = g.start
    assert start == s(2, 0)
    # up from the start: 0.8 up, 0.1 right, 0.1 left into the edge = stay
    expect = {s(1, 0): 0.8, s(2, 1): 0.1, start: 0.1}
    assert {k: round(v, 12) for k, v in enumerate(g.P[start, UP]) if v} == expect
    # left from (1, 2) runs into the wall: stay 0.8, slip up 0.1, slip down 0.1
    expect = {s(1, 2): 0.8, s(0, 2): 0.1, s(2, 2): 0.1}
    assert {k: round(v, 12) for k, v in enumerate(g.P[s(1, 2), LEFT]) if v} == expect
    # right from (0, 2): 0.8 into the goal (+1 - 0.04), 0.1 up = stay, 0.1 down to (1, 2)
    assert g.R[s(0, 2), RIGHT] == pytest.approx(0.8 * 0.96 + 0.2 * -0.04, abs=1e-12)
    assert g.transition_rewards[s(1, 2), RIGHT, s(1, 3)] == pytest.approx(-1.04)
    sums = g.P.sum(axis=2)
    np.testing.assert_allclose(sums[~g.terminal], 1.0, atol=1e-12)
    assert np.all(g.P[g.terminal] == 0) and np.all(g.R[g.terminal] == 0)
    assert g.n_states == 11 and g.P.shape == (11, 4, 11)


def test_default_maze_prefers_the_route_away_from_the_pit():
    sure, slippery = GridWorld(slip=0.0, step_reward=-0.04), GridWorld(slip=0.2, step_reward=-0.04)
    V, _, _ = value_iteration(sure.P, sure.R, 1.0)
    assert V[sure.start] == pytest.approx(1.0 - 8 * 0.04, abs=1e-9)  # 8 moves, no slipping
    Q = rl.q_values(sure.P, sure.R, V, 1.0)
    assert Q[sure.start, RIGHT] == pytest.approx(Q[sure.start, DOWN], abs=1e-9)  # both routes are shortest
    Vs, policy, _ = value_iteration(slippery.P, slippery.R, 1.0)
    assert policy[slippery.start] == RIGHT
    grid = slippery.grid_values(Vs)
    assert grid.shape == (5, 5) and np.isnan(grid[1, 1]) and grid[0, 0] == Vs[slippery.start]


def test_sampled_transitions_follow_P_and_R():
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.2, seed=3)
    s0, a, n = g.state_of(1, 2), UP, 4000
    counts = np.zeros(g.n_states)
    for _ in range(n):
        g.state = s0
        s2, r, done = g.step(a)
        counts[s2] += 1
        assert r == g.transition_rewards[s0, a, s2] and done == g.terminal[s2]
    p = g.P[s0, a]
    assert np.all(np.abs(counts / n - p) <= 4.5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_episodes_are_seeded_and_end_at_terminal_states():
    def episode(seed):
        g = GridWorld(slip=0.3, seed=seed)
        s, path, done = g.reset(), [], False
        act = np.random.default_rng(0)
        while not done:
            s, r, done = g.step(int(act.integers(4)))
            path.append((s, r))
        with pytest.raises(RuntimeError, match="reset"):
            g.step(0)
        return path, g

    (p1, g), (p2, _), (p3, _) = episode(7), episode(7), episode(8)
    assert p1 == p2 and p1 != p3
    assert g.terminal[p1[-1][0]] and not any(g.terminal[s] for s, _ in p1[:-1])


# ----------------------------------------------------------------------------- exact solutions
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9])
def test_policy_evaluation_matches_loop_iteration(gamma):
    P, R = _random_mdp(S=5, A=3, seed=1, terminal=(4,))
    pi = np.random.default_rng(2).dirichlet(np.ones(3), size=5)
    V = policy_evaluation(P, R, pi, gamma)
    np.testing.assert_allclose(V, _loop_policy_evaluation(P.tolist(), R.tolist(), pi.tolist(), gamma),
                               rtol=0, atol=1e-10)
    det = np.array([0, 2, 1, 1, 0])
    np.testing.assert_allclose(policy_evaluation(P, R, det, gamma), policy_evaluation(P, R, np.eye(3)[det], gamma),
                               atol=1e-14)


def test_policy_evaluation_with_transition_rewards_and_gamma_one():
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.2)
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(4), size=g.n_states)  # every stochastic policy ends the episode eventually
    V3 = policy_evaluation(g.P, g.transition_rewards, pi, 1.0)
    np.testing.assert_allclose(V3, policy_evaluation(g.P, g.R, pi, 1.0), atol=1e-12)
    np.testing.assert_allclose(V3, _loop_policy_evaluation(g.P.tolist(), g.R.tolist(), pi.tolist(), 1.0),
                               atol=1e-9)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_value_iteration_is_the_best_of_all_deterministic_policies(gamma):
    P, R = _random_mdp(S=4, A=3, seed=int(gamma * 100))
    V, policy, sweeps = value_iteration(P, R, gamma, tol=1e-12)
    best = np.max([policy_evaluation(P, R, np.array(p), gamma) for p in itertools.product(range(3), repeat=4)],
                  axis=0)
    np.testing.assert_allclose(V, best, atol=1e-9)
    np.testing.assert_allclose(policy_evaluation(P, R, policy, gamma), V, atol=1e-9)
    # the Bellman optimality equation holds at the fixed point
    np.testing.assert_allclose(V, (R + gamma * P @ V).max(axis=1), atol=1e-11)
    with pytest.raises(RuntimeError, match="max_sweeps"):
        value_iteration(P, R, gamma, tol=1e-12, max_sweeps=sweeps - 1)


def _loop_value_iteration(P, R, gamma, tol):
    """Value iteration with Python loops, stopping rule as documented: (V_{k+1}, sweeps)."""
    S, A = len(R), len(R[0])
    V, sweeps = [0.0] * S, 0
    while True:
        sweeps += 1
        new = [max(R[s][a] + gamma * sum(P[s][a][t] * V[t] for t in range(S)) for a in range(A)) for s in range(S)]
        if max(abs(x - y) for x, y in zip(new, V)) < tol:
            return np.array(new), sweeps
        V = new


@pytest.mark.parametrize("gamma, tol", [(0.9, 1e-3), (0.99, 1e-6), (1.0, 1e-4)])
def test_value_iteration_matches_a_loop_sweep_for_sweep(gamma, tol):
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.2)
    V, _, sweeps = value_iteration(g.P, g.R, gamma, tol=tol)
    V_loop, sweeps_loop = _loop_value_iteration(g.P.tolist(), g.R.tolist(), gamma, tol)
    assert sweeps == sweeps_loop
    np.testing.assert_allclose(V, V_loop, rtol=0, atol=1e-13)


def test_value_iteration_with_gamma_zero_is_the_best_immediate_reward():
    P, R = _random_mdp(seed=5)
    V, policy, sweeps = value_iteration(P, R, 0.0)
    np.testing.assert_array_equal(V, R.max(axis=1))
    np.testing.assert_array_equal(policy, R.argmax(axis=1))
    assert sweeps == 2  # the second sweep changes nothing


def test_policy_that_never_ends_is_rejected_at_gamma_one():
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.0)
    bump = np.full(g.n_states, LEFT)  # walks into the left edge for ever
    with pytest.raises(ValueError, match="singular"):
        policy_evaluation(g.P, g.R, bump, 1.0)
    assert np.all(np.isfinite(policy_evaluation(g.P, g.R, bump, 0.9)))


# ----------------------------------------------------------------------------- Q-learning pieces
def test_epsilon_greedy_frequencies_and_ties():
    rng = np.random.default_rng(0)
    q = np.array([0.1, 0.5, -1.0, 0.2])
    assert all(rl.epsilon_greedy(q, 0.0, rng) == 1 for _ in range(50))
    n = 6000
    picks = np.bincount([rl.epsilon_greedy(q, 0.3, rng) for _ in range(n)], minlength=4) / n
    expect = np.full(4, 0.3 / 4) + 0.7 * np.eye(4)[1]
    assert np.all(np.abs(picks - expect) < 4.5 * np.sqrt(expect * (1 - expect) / n))
    tied = np.bincount([rl.epsilon_greedy(np.zeros(3), 0.0, rng) for _ in range(600)], minlength=3)
    assert np.all(tied > 150)  # ties broken at random, not always action 0


def test_q_learning_update_formula():
    Q = np.arange(12, dtype=np.float64).reshape(4, 3)
    td = rl.q_learning_update(Q, 1, 2, r=0.5, s_next=3, done=False, alpha=0.1, gamma=0.9)
    assert td == pytest.approx(0.5 + 0.9 * 11 - 5)
    assert Q[1, 2] == pytest.approx(5 + 0.1 * td)
    Q2 = Q.copy()
    td = rl.q_learning_update(Q2, 0, 0, r=-1.0, s_next=3, done=True, alpha=0.5, gamma=0.9)
    assert td == -1.0 and Q2[0, 0] == -0.5
    assert np.array_equal(np.delete(Q2.ravel(), 0), np.delete(Q.ravel(), 0))  # only Q[s, a] moves


def test_q_learning_with_these_helpers_finds_q_star():
    g = GridWorld(rl.RUSSELL_NORVIG_4X3, slip=0.0, seed=0)
    gamma = 0.9
    V, _, _ = value_iteration(g.P, g.R, gamma, tol=1e-12)
    Q_star = rl.q_values(g.P, g.R, V, gamma)
    Q, rng = np.zeros((g.n_states, 4)), np.random.default_rng(1)
    for _ in range(300):  # exploring (epsilon = 1) while learning the greedy values: off-policy
        s, done = g.reset(), False
        while not done:
            a = rl.epsilon_greedy(Q[s], 1.0, rng)
            s2, r, done = g.step(a)
            rl.q_learning_update(Q, s, a, r, s2, done, alpha=1.0, gamma=gamma)
            s = s2
    live = ~g.terminal
    np.testing.assert_allclose(Q[live], Q_star[live], atol=1e-9)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, name", [
    (lambda: value_iteration(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), 1.5), "gamma"),
    (lambda: value_iteration(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), 0.9, tol=0), "tol"),
    (lambda: value_iteration(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), 0.9, max_sweeps=0), "max_sweeps"),
    (lambda: value_iteration(np.ones((3, 2, 2)) / 2, np.zeros((3, 2)), 0.9), "P must have shape"),
    (lambda: value_iteration(np.ones((3, 2, 3)), np.zeros((3, 2)), 0.9), "P must hold probabilities"),
    (lambda: value_iteration(np.ones((3, 2, 3)) / 3, np.zeros((2, 3)), 0.9), "R must have shape"),
    (lambda: policy_evaluation(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), np.array([0, 1]), 0.9), "policy"),
    (lambda: policy_evaluation(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), np.array([0, 1, 2]), 0.9), "policy"),
    (lambda: policy_evaluation(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), np.ones((3, 2)), 0.9), "policy"),
    (lambda: rl.q_values(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), np.zeros(4), 0.9), "V must"),
    (lambda: rl.epsilon_greedy(np.zeros(3), 1.5, np.random.default_rng()), "epsilon"),
    (lambda: rl.epsilon_greedy(np.zeros(3), 0.1, 0), "rng"),
    (lambda: rl.epsilon_greedy(np.zeros((2, 3)), 0.1, np.random.default_rng()), "q must"),
    (lambda: rl.q_learning_update(np.zeros((3, 2)), 3, 0, 0.0, 0, False, 0.1, 0.9), "s must"),
    (lambda: rl.q_learning_update(np.zeros((3, 2)), 0, 2, 0.0, 0, False, 0.1, 0.9), "a must"),
    (lambda: rl.q_learning_update(np.zeros((3, 2)), 0, 0, 0.0, 0, False, 0.0, 0.9), "alpha"),
    (lambda: rl.q_learning_update(np.zeros((3, 2), dtype=int), 0, 0, 0.0, 0, False, 0.1, 0.9), "Q must"),
    (lambda: GridWorld(slip=-0.1), "slip"),
    (lambda: GridWorld(step_reward=float("nan")), "step_reward"),
    (lambda: GridWorld(["S.", "..."]), "same"),
    (lambda: GridWorld(["S.", ".Z"]), "characters"),
    (lambda: GridWorld(["S.", ".S"]), "start"),
    (lambda: GridWorld(["S.", ".."]), "terminal"),
    (lambda: GridWorld("S.G"), "list of strings"),
    (lambda: GridWorld().step(0), "reset"),
    (lambda: GridWorld(seed=0).state_of(1, 1), "wall"),
    (lambda: GridWorld().grid_values(np.zeros(3)), "values"),
    (lambda: GridWorld().render_policy(np.zeros(3, dtype=int)), "policy"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, RuntimeError), match=name):
        call()


def test_gridworld_step_rejects_bad_actions():
    g = GridWorld()
    g.reset()
    for bad in (4, -1, 1.0, True):
        with pytest.raises(ValueError, match="action"):
            g.step(bad)


def test_importing_dlkit_rl_imports_neither_tensorflow_nor_gymnasium():
    code = ("import sys, dlkit, dlkit.rl; bad = sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('tensorflow', 'keras', 'gymnasium')); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
