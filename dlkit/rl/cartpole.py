"""Cart-pole balancing, vectorised over N environments, with the dynamics of gymnasium's ``CartPole-v1``.

The task is Barto, Sutton & Anderson (1983), "Neuronlike adaptive elements that can solve difficult
learning control problems": a pole hinged on a cart that moves on a frictionless track; each step
pushes the cart left (action 0) or right (action 1) with a force of 10 N. The equations of motion,
constants, explicit Euler integrator, termination thresholds, 500-step time limit and reward (+1 per
step, the terminating step included) are those of gymnasium's ``CartPoleEnv`` / ``CartPoleVectorEnv``
(gymnasium 1.x, ``gymnasium/envs/classic_control/cartpole.py``, itself from Sutton's ``pole.c``);
tests/test_rl_cartpole.py checks them step by step against gymnasium. For the derivation of the
accelerations see Florian (2007), "Correct equations for the dynamics of the cart-pole system".

State ``(x, x_dot, theta, theta_dot)``: cart position (m), velocity (m/s), pole angle from upright
(rad) and angular velocity (rad/s). An episode terminates when ``|x| > 2.4`` or
``|theta| > 12 degrees`` and is truncated after 500 steps. States are float64 (gymnasium keeps its state
in float64 too and hands out a float32 copy as the observation).
"""
import math
import numbers

import numpy as np

__all__ = ["CartPole", "cartpole_dynamics", "cartpole_terminated"]

GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS = MASSPOLE + MASSCART
POLEMASS_LENGTH = MASSPOLE * LENGTH  # LENGTH is half the pole's length
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def cartpole_dynamics(states, actions):
    """One Euler step of 0.02 s. states (N, 4) float, actions (N,) in {0, 1} -> next states (N, 4) float64.

    With force ``F = +10`` for action 1 and ``-10`` for action 0, ``m = 0.1``, ``M + m = 1.1``,
    ``l = 0.5`` (half the pole), ``g = 9.8``:
    ``temp = (F + m l theta_dot^2 sin theta) / (M + m)``,
    ``theta_acc = (g sin theta - cos theta temp) / (l (4/3 - m cos^2 theta / (M + m)))``,
    ``x_acc = temp - m l theta_acc cos theta / (M + m)``; then explicit Euler:
    positions advance with the old velocities, velocities with the accelerations.
    """
    s = np.asarray(states, dtype=np.float64)
    a = np.asarray(actions)
    if s.ndim != 2 or s.shape[1] != 4:
        raise ValueError(f"cartpole_dynamics: states must have shape (N, 4), got {s.shape}")
    if a.shape != (s.shape[0],) or not np.all((a == 0) | (a == 1)):
        raise ValueError(f"cartpole_dynamics: actions must be 0 or 1 with shape (N,) = ({s.shape[0]},), "
                         f"got shape {a.shape}")
    x, x_dot, theta, theta_dot = s.T
    force = np.where(a == 1, FORCE_MAG, -FORCE_MAG)
    costheta, sintheta = np.cos(theta), np.sin(theta)
    temp = (force + POLEMASS_LENGTH * np.square(theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * np.square(costheta) / TOTAL_MASS))
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    return np.stack([x + TAU * x_dot, x_dot + TAU * xacc, theta + TAU * theta_dot, theta_dot + TAU * thetaacc],
                    axis=1)


def cartpole_terminated(states):
    """True where the cart left ``[-2.4, 2.4]`` or the pole fell past 12 degrees. states (N, 4) -> (N,) bool."""
    s = np.asarray(states, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != 4:
        raise ValueError(f"cartpole_terminated: states must have shape (N, 4), got {s.shape}")
    x, theta = s[:, 0], s[:, 2]
    return (x < -X_THRESHOLD) | (x > X_THRESHOLD) | (theta < -THETA_THRESHOLD) | (theta > THETA_THRESHOLD)


class CartPole:
    """N cart-poles stepped in parallel, reset automatically when an episode ends.

    ``reset()`` -> states (N, 4) drawn uniformly in ``[-0.05, 0.05]`` (with the same draws as
    gymnasium's ``CartPoleVectorEnv.reset(seed=seed)``, and for N = 1 as ``CartPole-v1``'s).

    ``step(actions)`` with actions (N,) in {0, 1} -> ``(states, rewards, terminated, truncated, info)``:
    states (N, 4) float64, rewards (N,) float64 (1.0 for every step), terminated (N,) bool (pole fell or
    cart left the track), truncated (N,) bool (the episode reached ``max_episode_steps``; both flags can
    be True at once, as with gymnasium's ``TimeLimit``). An environment whose episode ended is reset in
    the same step: its row of ``states`` is already the first state of the next episode, while
    ``info["final_states"]`` (N, 4) holds the states the step reached (before any reset) and
    ``info["episode_lengths"]`` (N,) int the length of each episode that ended at this step (0 elsewhere).
    """

    def __init__(self, n_envs=1, seed=None, max_episode_steps=500):
        for name, value in (("n_envs", n_envs), ("max_episode_steps", max_episode_steps)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"CartPole: {name} must be a positive integer, got {value!r}")
        self.n_envs, self.max_episode_steps = int(n_envs), int(max_episode_steps)
        self.rng = np.random.default_rng(seed)
        self.states = None
        self.steps = np.zeros(self.n_envs, dtype=np.int64)

    def _draw(self, k):
        # gymnasium draws uniform(low, high, size=(4, N)) and transposes
        return self.rng.uniform(-0.05, 0.05, size=(4, k)).T

    def reset(self, seed=None):
        """Start N new episodes (reseeding the generator if ``seed`` is given). Returns states (N, 4)."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.states = self._draw(self.n_envs)
        self.steps = np.zeros(self.n_envs, dtype=np.int64)
        return self.states.copy()

    def step(self, actions):
        """Advance every environment by one step; see the class docstring for what is returned."""
        if self.states is None:
            raise RuntimeError("CartPole.step: call reset() first")
        actions = np.asarray(actions)
        if actions.shape != (self.n_envs,) or not np.all((actions == 0) | (actions == 1)):
            raise ValueError(f"CartPole.step: actions must be 0 or 1 with shape (n_envs,) = ({self.n_envs},), "
                             f"got shape {actions.shape}")
        final = cartpole_dynamics(self.states, actions)
        self.steps += 1
        terminated = cartpole_terminated(final)
        truncated = self.steps >= self.max_episode_steps
        done = terminated | truncated
        lengths = np.where(done, self.steps, 0)
        self.states = final.copy()
        if done.any():
            self.states[done] = self._draw(int(done.sum()))
            self.steps[done] = 0
        info = {"final_states": final, "episode_lengths": lengths}
        return self.states.copy(), np.ones(self.n_envs), terminated, truncated, info
