"""A small gridworld MDP: its exact arrays P[s, a, s2] and R[s, a], and a seeded sampler.

The layout is a list of equal-length strings, one character per cell:

- ``.`` a free cell, ``S`` the start cell (exactly one), ``#`` a wall (not a state);
- ``G`` a goal and ``X`` a pit: terminal cells, entering them pays ``goal_reward`` / ``pit_reward``.

The agent moves ``up``, ``right``, ``down`` or ``left`` (actions 0, 1, 2, 3). With probability
``1 - slip`` it moves as intended, with ``slip / 2`` each it moves at a right angle to it (Russell &
Norvig's "stochastic motion"); a move into a wall or off the grid leaves it where it is. Every move
costs ``step_reward``, so the reward of a transition is
``r(s, a, s2) = step_reward + goal_reward [s2 is G] + pit_reward [s2 is X]``.
Terminal states have all-zero rows ``P[s, a] = 0``: the episode ends there (see :mod:`dlkit.rl.mdp`).
"""
import numbers

import numpy as np

__all__ = ["GridWorld", "RUSSELL_NORVIG_4X3", "MAZE_5X5", "ACTION_NAMES"]

ACTION_NAMES = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row, col) offset of each action
_ARROWS = "^>v<"

#: The 4x3 world of Russell and Norvig's textbook "Artificial Intelligence - A Modern Approach", chapter 17;
#: use ``slip=0.2``, ``step_reward=-0.04`` and ``gamma=1`` for its published utilities.
RUSSELL_NORVIG_4X3 = ("...G",
                      ".#.X",
                      "S...")

#: The default 5x5 maze: two shortest routes (8 moves) lead from S to G; only the lower one passes the pit.
MAZE_5X5 = ("S....",
            ".##..",
            "..X#.",
            "#....",
            "..#.G")


class GridWorld:
    """A gridworld MDP with walls, terminal cells and optional slipping; states are the non-wall cells.

    Arrays (S states = non-wall cells numbered row by row, A = 4 actions):

    - ``P`` (S, A, S): transition probabilities, zero rows in terminal states;
    - ``transition_rewards`` (S, A, S): ``r(s, a, s2)``; ``R`` (S, A): its expectation
      ``R[s, a] = sum_s2 P[s, a, s2] r(s, a, s2)``;
    - ``terminal`` (S,) bool, ``cells`` (S, 2) int (row, col) of each state, ``start`` (int).

    ``reset()`` and ``step(action)`` sample episodes from exactly these arrays with a
    ``numpy.random.Generator`` seeded by ``seed``.
    """

    def __init__(self, layout=MAZE_5X5, slip=0.0, step_reward=-0.04, goal_reward=1.0, pit_reward=-1.0,
                 seed=None):
        layout = self._check_layout(layout)
        if isinstance(slip, bool) or not isinstance(slip, numbers.Real) or not 0.0 <= slip <= 1.0:
            raise ValueError(f"GridWorld: slip must be a probability in [0, 1], got {slip!r}")
        for name, value in (("step_reward", step_reward), ("goal_reward", goal_reward), ("pit_reward", pit_reward)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
                raise ValueError(f"GridWorld: {name} must be a finite number, got {value!r}")
        self.layout, self.slip = layout, float(slip)
        self.shape = (len(layout), len(layout[0]))
        self.cells = np.array([(i, j) for i, row in enumerate(layout) for j, c in enumerate(row) if c != "#"])
        self._index = {(int(i), int(j)): s for s, (i, j) in enumerate(self.cells)}
        kinds = [layout[i][j] for i, j in self.cells]
        self.n_states, self.n_actions = len(self.cells), len(ACTION_NAMES)
        self.terminal = np.array([k in "GX" for k in kinds])
        self.start = kinds.index("S")
        enter = np.array([goal_reward if k == "G" else pit_reward if k == "X" else 0.0 for k in kinds])
        S, A = self.n_states, self.n_actions
        self.P = np.zeros((S, A, S))
        for s in np.flatnonzero(~self.terminal):
            for a in range(A):
                # intended move with 1 - slip, each perpendicular move (a +- 1 mod 4) with slip / 2
                for move, p in ((a, 1.0 - self.slip), ((a + 1) % A, self.slip / 2), ((a - 1) % A, self.slip / 2)):
                    self.P[s, a, self._move(s, move)] += p
        # r(s, a, s2) = step_reward + reward of entering s2; nothing happens after a terminal state
        self.transition_rewards = np.where(self.terminal[:, None, None], 0.0,
                                           float(step_reward) + enter[None, None, :]) * np.ones((S, A, S))
        self.R = np.einsum("ijk,ijk->ij", self.P, self.transition_rewards)
        self.rng = np.random.default_rng(seed)
        self.state = None

    @staticmethod
    def _check_layout(layout):
        if isinstance(layout, str) or not all(isinstance(r, str) for r in layout) or len(layout) == 0:
            raise ValueError("GridWorld: layout must be a non-empty list of strings, one per grid row")
        layout = tuple(layout)
        if len({len(r) for r in layout}) != 1 or len(layout[0]) == 0:
            raise ValueError(f"GridWorld: layout rows must all have the same non-zero length, got "
                             f"{[len(r) for r in layout]}")
        bad = set("".join(layout)) - set(".S#GX")
        if bad:
            raise ValueError(f"GridWorld: layout may only contain the characters '.S#GX', got {sorted(bad)}")
        if "".join(layout).count("S") != 1:
            raise ValueError("GridWorld: layout must contain exactly one start cell 'S'")
        if not any(c in "GX" for c in "".join(layout)):
            raise ValueError("GridWorld: layout must contain at least one terminal cell 'G' or 'X'")
        return layout

    def _move(self, s, action):
        """The state reached from ``s`` by a deterministic move (walls and edges block it)."""
        i, j = self.cells[s]
        di, dj = _MOVES[action]
        return self._index.get((int(i + di), int(j + dj)), s)

    def state_of(self, row, col):
        """The state number of the cell (row, col); ValueError for a wall or a cell off the grid."""
        if (row, col) not in self._index:
            raise ValueError(f"GridWorld.state_of: (row, col) = ({row}, {col}) is a wall or off the grid")
        return self._index[(row, col)]

    def reset(self):
        """Start an episode: returns the start state (int)."""
        self.state = self.start
        return self.state

    def step(self, action):
        """Take ``action`` (int in [0, 4)): returns ``(next_state int, reward float, done bool)``.

        ``next_state`` is drawn from ``P[state, action]``; ``done`` is True when it is terminal.
        """
        if self.state is None:
            raise RuntimeError("GridWorld.step: call reset() first (the episode has ended or not begun)")
        if isinstance(action, bool) or not isinstance(action, numbers.Integral) or not 0 <= action < self.n_actions:
            raise ValueError(f"GridWorld.step: action must be an integer in [0, {self.n_actions}), got {action!r}")
        s = self.state
        s2 = int(self.rng.choice(self.n_states, p=self.P[s, action]))
        reward = float(self.transition_rewards[s, action, s2])
        done = bool(self.terminal[s2])
        self.state = None if done else s2
        return s2, reward, done

    def grid_values(self, values):
        """Per-state values (S,) -> a (rows, cols) float array for plotting, NaN on walls."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.n_states,):
            raise ValueError(f"GridWorld.grid_values: values must have shape (S,) = ({self.n_states},), "
                             f"got {values.shape}")
        grid = np.full(self.shape, np.nan)
        grid[self.cells[:, 0], self.cells[:, 1]] = values
        return grid

    def render_policy(self, policy):
        """A deterministic policy (S,) int -> the grid as text: arrows ``^ > v <``, ``#`` walls, ``G`` / ``X``."""
        policy = np.asarray(policy)
        if policy.shape != (self.n_states,) or not np.issubdtype(policy.dtype, np.integer):
            raise ValueError(f"GridWorld.render_policy: policy must be integer actions of shape "
                             f"({self.n_states},), got {policy.shape} {policy.dtype}")
        rows = [list(r.replace(".", " ").replace("S", " ")) for r in self.layout]
        for s, (i, j) in enumerate(self.cells):
            if not self.terminal[s]:
                rows[i][j] = _ARROWS[policy[s]]
        return "\n".join("".join(r) for r in rows)
