"""Realistic answers to ch20_rl (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_VI = '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = np.zeros(P.shape[0])
    for sweep in range(100_000):
        Q = R + gamma * (P @ V)
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            break
        V = V_new
    return V_new, np.argmax(R + gamma * (P @ V_new), axis=1)
'''
_RET = '''
def discounted_returns(rewards, dones, gamma):
    r = np.asarray(rewards, dtype=float)
    d = np.asarray(dones, dtype=bool)
    G = np.zeros_like(r)
    g = np.zeros(r.shape[1:])
    for t in reversed(range(r.shape[0])):
        g = np.where(d[t], 0.0, g)
        g = r[t] + gamma * g
        G[t] = g
    return G
'''
_PG = '''
def reinforce_loss(logits, actions, weights):
    n = logits.shape[0]
    rows = np.arange(n)
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -np.mean(weights * log_p[rows, actions])
    p = np.exp(log_p)
    onehot = np.zeros_like(p)
    onehot[rows, actions] = 1.0
    dlogits = (p - onehot) * weights[:, None] / n
    return float(loss), dlogits
'''
_ADV = '''
def advantages(returns, states, actions, Q, probs):
    V = (probs * Q).sum(axis=1)
    return np.asarray(returns, dtype=float) - V[states]
'''


def _edit(source, *pairs):
    """The reference cell with realistic mistakes: each `old` (which must occur exactly once) becomes `new`."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


ANSWERS = [
    # -- Task 1: value iteration ------------------------------------------------------------------------------------
    ("value_iteration", "wrong", "the maximum over the states instead of the actions (Q.max(axis=0))",
     _edit(_VI, "V_new = Q.max(axis=1)", "V_new = Q.max(axis=0)")),
    ("value_iteration", "wrong", "no discount on the next state's value (R + P @ V, stopped after 10000 sweeps)",
     _edit(_VI, "for sweep in range(100_000):", "for sweep in range(10_000):",
           "Q = R + gamma * (P @ V)", "Q = R + P @ V")),
    ("value_iteration", "wrong", "stops after one sweep (the return inside the loop)", '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = np.zeros(P.shape[0])
    while True:
        Q = R + gamma * P @ V
        V_new = Q.max(axis=1)
        V, delta = V_new, np.max(np.abs(V_new - V))
        return V, np.argmax(R + gamma * P @ V, axis=1)
        if delta < tol:
            break
'''),
    ("value_iteration", "wrong", "loops with >=: ties go to the highest action, not the lowest", '''
def value_iteration(P, R, gamma, tol=1e-10):
    S, A = R.shape
    V = np.zeros(S)
    while True:
        Q = R + gamma * (P @ V)
        V_new = Q.max(axis=1)
        done = np.max(np.abs(V_new - V)) < tol
        V = V_new
        if done:
            break
    Q = R + gamma * (P @ V)
    policy = np.zeros(S, dtype=int)
    for s in range(S):
        best = -np.inf
        for a in range(A):
            if Q[s, a] >= best:
                best, policy[s] = Q[s, a], a
    return V, policy
'''),
    ("value_iteration", "wrong", "the expected next value summed over the wrong index: sum_s P[s, a, s2] V[s]",
     _edit(_VI, "for sweep in range(100_000):", "for sweep in range(10_000):",
           "Q = R + gamma * (P @ V)", "Q = R + gamma * np.einsum('tas,t->sa', P, V)",
           "np.argmax(R + gamma * (P @ V_new), axis=1)",
           "np.argmax(R + gamma * np.einsum('tas,t->sa', P, V_new), axis=1)")),
    ("value_iteration", "wrong", "calls dlkit.rl.value_iteration (policy: scores 0)", '''
import dlkit.rl


def value_iteration(P, R, gamma, tol=1e-10):
    V, policy, _ = dlkit.rl.value_iteration(P, R, gamma, tol)
    return V, policy
'''),
    ("value_iteration", "correct", "loops over states, actions and successors; ties kept by a strict >", '''
def value_iteration(P, R, gamma, tol=1e-10):
    S, A = R.shape
    V = [0.0] * S

    def q(s, a, V):
        return R[s, a] + gamma * sum(P[s, a, t] * V[t] for t in range(S) if P[s, a, t] != 0)

    while True:
        new = [max(q(s, a, V) for a in range(A)) for s in range(S)]
        delta = max(abs(x - y) for x, y in zip(new, V))
        V = new
        if delta < tol:
            break
    policy = []
    for s in range(S):
        best_a = 0
        for a in range(1, A):
            if q(s, a, V) > q(s, best_a, V):
                best_a = a
        policy.append(best_a)
    return np.array(V), np.array(policy)
'''),
    ("value_iteration", "correct", "policy iteration: exact linear solves, improve until the policy is stable", '''
def value_iteration(P, R, gamma, tol=1e-10):
    S, A = R.shape
    idx = np.arange(S)
    policy = np.zeros(S, dtype=int)
    while True:
        V = np.linalg.solve(np.eye(S) - gamma * P[idx, policy], R[idx, policy])
        Q = R + gamma * P @ V
        better = Q.max(axis=1) > Q[idx, policy] + 1e-12
        if not better.any():
            break
        policy = np.where(better, Q.argmax(axis=1), policy)
    return V, np.argmax(Q, axis=1)
'''),
    ("value_iteration", "correct", "einsum and a sweep counter, the policy from Q.argmax(1) after the loop", '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = np.zeros(len(P), dtype=np.float64)
    sweeps = 0
    while True:
        sweeps += 1
        Q = R + gamma * np.einsum("sat,t->sa", P, V)
        delta = np.abs(Q.max(1) - V).max()
        V = Q.max(1)
        if delta < tol:
            break
    Q = R + gamma * np.einsum("sat,t->sa", P, V)
    return V, Q.argmax(1)
'''),
    # -- Task 2: discounted returns ---------------------------------------------------------------------------------
    ("returns", "wrong", "off by one in the discount: the first reward already discounted, gamma^(k - t + 1)", '''
def discounted_returns(rewards, dones, gamma):
    r = np.asarray(rewards, dtype=float)
    flat = r.reshape(len(r), -1)
    d = np.asarray(dones, dtype=bool).reshape(len(r), -1)
    G = np.zeros_like(flat)
    for n in range(flat.shape[1]):
        for t in range(len(flat)):
            for k in range(t, len(flat)):
                G[t, n] += gamma ** (k - t + 1) * flat[k, n]
                if d[k, n]:
                    break
    return G.reshape(r.shape)
'''),
    ("returns", "wrong", "returns not reset at episode ends (dones ignored)",
     _edit(_RET, "        g = np.where(d[t], 0.0, g)\n", "")),
    ("returns", "wrong", "reset one step late: the cut placed after step t instead of before it",
     _edit(_RET, "        g = np.where(d[t], 0.0, g)\n        g = r[t] + gamma * g\n        G[t] = g\n",
           "        g = r[t] + gamma * g\n        G[t] = g\n        g = np.where(d[t], 0.0, g)\n")),
    ("returns", "wrong", "np.zeros_like(rewards) of integer rewards: truncated integer returns",
     _edit(_RET, "G = np.zeros_like(r)", "G = np.zeros_like(rewards)")),
    ("returns", "wrong", "batch-major: the recursion runs over the LAST axis, so (T, N) columns are mixed", '''
def discounted_returns(rewards, dones, gamma):
    r = np.asarray(rewards, dtype=float)
    d = np.asarray(dones, dtype=bool)
    G = np.zeros_like(r)
    g = 0.0 if r.ndim == 1 else np.zeros(r.shape[0])
    for t in reversed(range(r.shape[-1])):
        g = r[..., t] + gamma * g * (1 - d[..., t])
        G[..., t] = g
    return G
'''),
    ("returns", "wrong", "calls dlkit.rl.discounted_returns (policy: scores 0)", '''
from dlkit.rl import discounted_returns as _returns


def discounted_returns(rewards, dones, gamma):
    return _returns(rewards, dones, gamma)
'''),
    ("returns", "correct", "episode by episode: a dot product with the powers of gamma", '''
def discounted_returns(rewards, dones, gamma):
    r = np.array(rewards, dtype=np.float64, ndmin=1)
    d = np.asarray(dones).astype(bool)
    cols_r = r.reshape(r.shape[0], -1)
    cols_d = d.reshape(d.shape[0], -1)
    out = np.empty_like(cols_r)
    for n in range(cols_r.shape[1]):
        ends = list(np.flatnonzero(cols_d[:, n]) + 1)
        start = 0
        for end in ends + [len(cols_r)]:
            seg = cols_r[start:end, n]
            for i in range(len(seg)):
                out[start + i, n] = np.dot(gamma ** np.arange(len(seg) - i), seg[i:])
            start = end
            if start >= len(cols_r):
                break
    return out.reshape(r.shape)
'''),
    ("returns", "correct", "a (T, T) discount matrix per stream: G = M r, M[t, k] = gamma^(k-t) within an episode", '''
def discounted_returns(rewards, dones, gamma):
    r = np.asarray(rewards).astype(float)
    d = np.asarray(dones) != 0
    T = r.shape[0]
    r2, d2 = r.reshape(T, -1), d.reshape(T, -1)
    G = np.zeros(r2.shape)
    for n in range(r2.shape[1]):
        M = np.zeros((T, T))
        for t in range(T):
            k = t
            while k < T:
                M[t, k] = gamma ** (k - t)
                if d2[k, n]:
                    break
                k += 1
        G[:, n] = M @ r2[:, n]
    return G.reshape(r.shape)
'''),
    # -- Task 3: the REINFORCE loss ---------------------------------------------------------------------------------
    ("reinforce", "wrong", "the sign of the gradient: (onehot - p) w / N (gradient ascent on the loss)",
     _edit(_PG, "dlogits = (p - onehot) * weights[:, None] / n", "dlogits = (onehot - p) * weights[:, None] / n")),
    ("reinforce", "wrong", "the loss and gradient summed over the rows instead of averaged",
     _edit(_PG, "loss = -np.mean(weights * log_p[rows, actions])", "loss = -np.sum(weights * log_p[rows, actions])",
           "dlogits = (p - onehot) * weights[:, None] / n", "dlogits = (p - onehot) * weights[:, None]")),
    ("reinforce", "wrong", "softmax without subtracting the maximum: exp(1000) overflows to nan",
     _edit(_PG, "z = logits - logits.max(axis=1, keepdims=True)", "z = logits")),
    ("reinforce", "wrong", "np.log of a (stable) softmax: log(0) = -inf for an action of probability e^-1000",
     _edit(_PG, "log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))",
           "log_p = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))")),
    ("reinforce", "wrong", "gradient only on the logit of the action taken (the softmax couples all logits)",
     _edit(_PG, "dlogits = (p - onehot) * weights[:, None] / n",
           "dlogits = (p - onehot) * onehot * weights[:, None] / n")),
    ("reinforce", "wrong", "the weights forgotten in the gradient",
     _edit(_PG, "dlogits = (p - onehot) * weights[:, None] / n", "dlogits = (p - onehot) / n")),
    ("reinforce", "wrong", "calls dlkit.rl.reinforce_loss_forward/backward (policy: scores 0)", '''
from dlkit.rl import reinforce_loss_backward, reinforce_loss_forward


def reinforce_loss(logits, actions, weights):
    loss, cache = reinforce_loss_forward(logits, actions, weights)
    return loss, reinforce_loss_backward(cache)
'''),
    ("reinforce", "correct", "one row at a time with scipy.special.logsumexp", '''
from scipy.special import logsumexp


def reinforce_loss(logits, actions, weights):
    N, A = logits.shape
    loss = 0.0
    grad = np.zeros((N, A))
    for i in range(N):
        lse = logsumexp(logits[i])
        loss -= weights[i] * (logits[i, actions[i]] - lse)
        grad[i] = np.exp(logits[i] - lse) * weights[i]
        grad[i, actions[i]] -= weights[i]
    return loss / N, grad / N
'''),
    ("reinforce", "correct", "scipy log_softmax, take_along_axis and an identity-matrix one-hot", '''
from scipy.special import log_softmax


def reinforce_loss(logits, actions, weights):
    logp = log_softmax(logits.astype(np.float64), axis=-1)
    chosen = np.take_along_axis(logp, actions[:, None], axis=1)[:, 0]
    loss = -(weights * chosen).sum() / len(actions)
    grad = (np.exp(logp) - np.eye(logits.shape[1])[actions]) * (weights / len(actions))[:, None]
    return loss, grad
'''),
    # -- Task 4: advantages -----------------------------------------------------------------------------------------
    ("advantages", "wrong", "a baseline that leaks the action: Q[s_t, a_t] instead of V(s_t)",
     _edit(_ADV, "return np.asarray(returns, dtype=float) - V[states]",
           "return np.asarray(returns, dtype=float) - Q[states, actions]")),
    ("advantages", "wrong", "the return's Monte Carlo estimate of Q(s, a) as the baseline: the batch mean return of "
     "each (state, action)", '''
def advantages(returns, states, actions, Q, probs):
    G = np.asarray(returns, dtype=float)
    base = np.zeros_like(G)
    for s, a in set(zip(states.ravel().tolist(), actions.ravel().tolist())):
        visits = (states == s) & (actions == a)
        base[visits] = G[visits].mean()
    return G - base
'''),
    ("advantages", "wrong", "the greedy value max_a Q(s, a) instead of the policy's expectation",
     _edit(_ADV, "V = (probs * Q).sum(axis=1)", "V = Q.max(axis=1)")),
    ("advantages", "wrong", "V(s) as the plain mean of Q over the actions (a uniform policy)",
     _edit(_ADV, "V = (probs * Q).sum(axis=1)", "V = Q.mean(axis=1)")),
    ("advantages", "wrong", "normalized advantages (minus the batch mean, over the batch standard deviation)",
     _edit(_ADV, "return np.asarray(returns, dtype=float) - V[states]",
           "A = np.asarray(returns, dtype=float) - V[states]\n    return (A - A.mean()) / (A.std() + 1e-8)")),
    ("advantages", "wrong", "calls dlkit.rl.advantages (policy: scores 0)", '''
import dlkit.rl as rl


def advantages(returns, states, actions, Q, probs):
    return rl.advantages(returns, np.einsum("sa,sa->s", probs, Q)[states])
'''),
    ("advantages", "correct", "one visited step at a time, V(s) as a dot product", '''
def advantages(returns, states, actions, Q, probs):
    out = np.zeros(np.shape(returns))
    for idx in np.ndindex(out.shape):
        s = states[idx]
        out[idx] = returns[idx] - probs[s] @ Q[s]
    return out
'''),
    ("advantages", "correct", "einsum over the visited rows, any shape", '''
def advantages(returns, states, actions, Q, probs):
    baseline = np.einsum("...a,...a->...", probs[states], Q[states])
    return returns.astype(np.float64) - baseline
'''),
]
