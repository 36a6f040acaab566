"""Reinforcement learning in NumPy: finite MDPs solved exactly, a gridworld, discounted returns,
the REINFORCE loss with its hand-written gradient, and a vectorised cart-pole.

Importing ``dlkit.rl`` imports neither TensorFlow nor gymnasium (the tests compare against both).

- :mod:`dlkit.rl.mdp`: Bellman backups, exact policy evaluation, value iteration, Q-learning pieces;
- :mod:`dlkit.rl.gridworld`: ``GridWorld``, a small MDP as arrays ``P[s, a, s2]``, ``R[s, a]``;
- :mod:`dlkit.rl.returns`: discounted returns with episode boundaries, advantages;
- :mod:`dlkit.rl.policy_gradient`: the REINFORCE surrogate loss of a softmax policy, forward/backward;
- :mod:`dlkit.rl.cartpole`: ``CartPole``, gymnasium's ``CartPole-v1`` dynamics over N environments.
"""
from dlkit.rl.cartpole import CartPole, cartpole_dynamics, cartpole_terminated
from dlkit.rl.gridworld import ACTION_NAMES, MAZE_5X5, RUSSELL_NORVIG_4X3, GridWorld
from dlkit.rl.mdp import (epsilon_greedy, expected_reward, greedy_policy, policy_evaluation, q_learning_update,
                          q_values, value_iteration)
from dlkit.rl.policy_gradient import (log_softmax, reinforce_loss_backward, reinforce_loss_forward, sample_actions,
                                      softmax)
from dlkit.rl.returns import advantages, discounted_returns

__all__ = ["GridWorld", "CartPole",
           "expected_reward", "q_values", "greedy_policy", "policy_evaluation", "value_iteration",
           "epsilon_greedy", "q_learning_update",
           "discounted_returns", "advantages",
           "log_softmax", "softmax", "reinforce_loss_forward", "reinforce_loss_backward", "sample_actions",
           "cartpole_dynamics", "cartpole_terminated",
           "RUSSELL_NORVIG_4X3", "MAZE_5X5", "ACTION_NAMES"]
