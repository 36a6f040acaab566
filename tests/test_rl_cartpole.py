"""dlkit.rl.CartPole against gymnasium's CartPole-v1: reset draws, dynamics, termination, truncation, auto-reset.

gymnasium is imported inside the tests only (dlkit.rl never imports it).
"""
import numpy as np
import pytest

import dlkit.rl as rl
from dlkit.rl import CartPole
from dlkit.rl import cartpole as cp


def _gym_env(max_episode_steps=500):
    gym = pytest.importorskip("gymnasium")
    return gym.make("CartPole-v1", max_episode_steps=max_episode_steps, disable_env_checker=True)


def _balance(states):
    """A linear controller that keeps the pole up for 500 steps from small starts."""
    return (states[:, 2] + 0.5 * states[:, 3] > 0).astype(np.int64)


def test_constants_are_gymnasiums():
    env = _gym_env().unwrapped
    assert (cp.GRAVITY, cp.MASSCART, cp.MASSPOLE, cp.LENGTH, cp.FORCE_MAG, cp.TAU) == (
        env.gravity, env.masscart, env.masspole, env.length, env.force_mag, env.tau)
    assert (cp.TOTAL_MASS, cp.POLEMASS_LENGTH) == (env.total_mass, env.polemass_length)
    assert (cp.THETA_THRESHOLD, cp.X_THRESHOLD) == (env.theta_threshold_radians, env.x_threshold)
    gym = pytest.importorskip("gymnasium")
    assert env.kinematics_integrator == "euler"
    assert CartPole().max_episode_steps == gym.spec("CartPole-v1").max_episode_steps == 500


@pytest.mark.parametrize("seed", [0, 123])
def test_reset_draws_the_states_gymnasium_draws(seed):
    from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

    env = _gym_env()
    env.reset(seed=seed)
    np.testing.assert_array_equal(CartPole(1).reset(seed=seed)[0], env.unwrapped.state)
    venv = CartPoleVectorEnv(num_envs=5)
    venv.reset(seed=seed)
    states = CartPole(5, seed=seed).reset()
    np.testing.assert_array_equal(states, venv.state.T)
    assert states.dtype == np.float64 and np.all(np.abs(states) <= 0.05)


def _action_sequences(T, rng):
    return [rng.integers(0, 2, T), np.zeros(T, int), np.ones(T, int), np.arange(T) % 2, (np.arange(T) // 3) % 2]


def test_dynamics_and_termination_match_gymnasium_step_by_step():
    rng = np.random.default_rng(0)
    T = 120
    starts = np.concatenate([rng.uniform(-0.15, 0.15, (5, 4)),
                             [[2.38, 0.5, 0.0, 0.0], [-2.38, -0.6, 0.01, 0.0], [0.0, 0.0, 0.2, 0.3],
                              [0.0, 0.0, -0.2, -0.3], [1.0, 2.0, 0.05, -1.0]]])
    seqs = _action_sequences(T, rng)
    env = _gym_env()
    checked_steps = checked_ends = 0
    for start in starts:
        for actions in seqs:
            env.reset(seed=0)
            env.unwrapped.state = start.copy()
            ours = start[None, :].copy()
            for t in range(T):
                obs, reward, terminated, truncated, _ = env.step(int(actions[t]))
                ours = cp.cartpole_dynamics(ours, actions[t:t + 1])
                assert np.max(np.abs(ours[0] - env.unwrapped.state)) <= 1e-12, (start, t)
                np.testing.assert_array_equal(ours[0].astype(np.float32), obs)
                assert bool(cp.cartpole_terminated(ours)[0]) == terminated and reward == 1.0 and not truncated
                checked_steps += 1
                if terminated:
                    checked_ends += 1
                    break
    assert checked_steps > 500 and checked_ends == len(starts) * len(seqs)


def test_vectorised_steps_match_gymnasium_per_environment():
    """All (start, actions) pairs stepped at once by CartPole, each replayed alone in gymnasium."""
    rng = np.random.default_rng(1)
    T = 60
    starts = rng.uniform(-0.1, 0.1, (6, 4))
    seqs = np.array(_action_sequences(T, rng) + [rng.integers(0, 2, T)])
    ours = CartPole(len(starts), seed=0)
    ours.reset()
    ours.states = starts.copy()
    traj, first_done = [], np.full(len(starts), T)
    for t in range(T):
        s, r, te, tr, info = ours.step(seqs[:, t])
        traj.append(info["final_states"])
        first_done = np.where((te | tr) & (first_done == T), t, first_done)
        assert np.all(r == 1.0)
    env = _gym_env()
    for i, start in enumerate(starts):
        env.reset(seed=0)
        env.unwrapped.state = start.copy()
        for t in range(first_done[i] + 1 if first_done[i] < T else T):
            _, _, terminated, _, _ = env.step(int(seqs[i, t]))
            assert np.max(np.abs(traj[t][i] - env.unwrapped.state)) <= 1e-12
            assert terminated == (t == first_done[i])


@pytest.mark.parametrize("max_steps, T", [(500, 1100), (40, 300)])
def test_auto_reset_episodes_replay_exactly_in_gymnasium(max_steps, T):
    """Cut CartPole's parallel streams into episodes at the done flags; each must be a gymnasium episode."""
    n = 4
    env = CartPole(n, seed=7, max_episode_steps=max_steps)
    states = env.reset()
    act_rng = np.random.default_rng(2)
    episodes = [[] for _ in range(n)]
    current = [{"start": states[i].copy(), "actions": [], "states": [], "term": [], "trunc": []} for i in range(n)]
    for t in range(T):
        # even streams balance (long episodes, truncated), odd streams mostly act at random (terminated)
        random_act = act_rng.integers(0, 2, n)
        actions = np.where(np.arange(n) % 2 == 0, _balance(states), np.where(act_rng.random(n) < 0.7,
                                                                               random_act, _balance(states)))
        new_states, rewards, term, trunc, info = env.step(actions)
        done = term | trunc
        assert np.all(rewards == 1.0)
        np.testing.assert_array_equal(new_states[~done], info["final_states"][~done])
        assert np.all(np.abs(new_states[done]) <= 0.05)  # fresh episodes start near upright
        assert np.all(info["episode_lengths"][~done] == 0)
        for i in range(n):
            ep = current[i]
            ep["actions"].append(int(actions[i]))
            ep["states"].append(info["final_states"][i].copy())
            ep["term"].append(bool(term[i]))
            ep["trunc"].append(bool(trunc[i]))
            if done[i]:
                assert info["episode_lengths"][i] == len(ep["actions"]) <= max_steps
                episodes[i].append(ep)
                current[i] = {"start": new_states[i].copy(), "actions": [], "states": [], "term": [], "trunc": []}
        states = new_states
    all_eps = [ep for eps in episodes for ep in eps] + [ep for ep in current if ep["actions"]]
    n_trunc = sum(ep["trunc"][-1] for eps in episodes for ep in eps)
    n_term = sum(ep["term"][-1] for eps in episodes for ep in eps)
    assert n_trunc >= 2 and n_term >= 5
    gym_env = _gym_env(max_steps)
    for ep in all_eps:
        gym_env.reset(seed=0)
        gym_env.unwrapped.state = ep["start"].copy()
        for a, s, te, tr in zip(ep["actions"], ep["states"], ep["term"], ep["trunc"]):
            _, reward, terminated, truncated, _ = gym_env.step(a)
            assert np.max(np.abs(s - gym_env.unwrapped.state)) <= 1e-12
            assert (terminated, truncated, reward) == (te, tr, 1.0)


def test_runs_are_seeded():
    def run(seed):
        env = CartPole(3, seed=seed)
        s, out = env.reset(), []
        for t in range(80):
            s, *_ = env.step(np.array([t % 2, 1, 0]))
            out.append(s)
        return np.array(out)

    a, b, c = run(5), run(5), run(6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_termination_thresholds_are_strict():
    th = cp.THETA_THRESHOLD
    s = np.array([[2.4, 0, 0, 0], [np.nextafter(2.4, 3), 0, 0, 0], [-2.4, 0, 0, 0], [0, 0, th, 0],
                  [0, 0, np.nextafter(-th, -1), 0], [0, 0, 0.0, 0]])
    np.testing.assert_array_equal(cp.cartpole_terminated(s), [False, True, False, False, True, False])
    assert th == pytest.approx(np.deg2rad(12.0), abs=1e-15)


@pytest.mark.parametrize("call, name", [
    (lambda: CartPole(0), "n_envs"),
    (lambda: CartPole(2, max_episode_steps=0), "max_episode_steps"),
    (lambda: CartPole(2).step(np.zeros(2, int)), "reset"),
    (lambda: _reset(CartPole(2)).step(np.zeros(3, int)), "actions"),
    (lambda: _reset(CartPole(2)).step(np.array([0, 2])), "actions"),
    (lambda: rl.cartpole_dynamics(np.zeros((2, 3)), np.zeros(2, int)), "states"),
    (lambda: rl.cartpole_dynamics(np.zeros((2, 4)), np.zeros(3, int)), "actions"),
    (lambda: rl.cartpole_terminated(np.zeros(4)), "states"),
])
def test_bad_input(call, name):
    with pytest.raises((ValueError, RuntimeError), match=name):
        call()


def _reset(env):
    env.reset()
    return env
