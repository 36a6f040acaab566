"""dlkit.rl discounted returns, advantages and the REINFORCE loss of a softmax policy.

References: a forward-summing Python loop for the returns, a per-example math.log loop for the loss,
float64 central differences, the exact gradient of a bandit's expected reward (policy-gradient theorem)
and TensorFlow autograd.
"""
import math

import numpy as np
import pytest

import dlkit.rl as rl
from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.rl import advantages, discounted_returns, reinforce_loss_backward, reinforce_loss_forward


def _loop_returns(rewards, dones, gamma, last_values=None):
    """G_t as a forward sum gamma^(k-t) r_k over the rest of the episode, one stream at a time."""
    rewards, dones = np.atleast_2d(np.asarray(rewards, float).T).T, np.atleast_2d(np.asarray(dones).T).T
    T, N = rewards.shape
    G = np.zeros((T, N))
    for n in range(N):
        for t in range(T):
            total, k = 0.0, t
            while True:
                total += gamma ** (k - t) * rewards[k, n]
                if dones[k, n]:
                    break
                if k == T - 1:  # the rollout stops mid-episode: bootstrap
                    if last_values is not None:
                        total += gamma ** (T - t) * np.atleast_1d(last_values)[n]
                    break
                k += 1
            G[t, n] = total
    return G


def _rollout(T=13, N=4, seed=0, p_done=0.25):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, N)), rng.random((T, N)) < p_done


# ----------------------------------------------------------------------------- returns
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 1.0])
def test_discounted_returns_match_a_forward_loop(gamma):
    r, d = _rollout(seed=int(gamma * 10))
    d[-1, 0], d[-1, 1] = True, False  # an episode boundary at the last step, and a rollout cut mid-episode
    np.testing.assert_allclose(discounted_returns(r, d, gamma), _loop_returns(r, d, gamma), atol=1e-12)
    v = np.array([0.3, -2.0, 1.5, 0.7])
    np.testing.assert_allclose(discounted_returns(r, d, gamma, last_values=v), _loop_returns(r, d, gamma, v),
                               atol=1e-12)


def test_gamma_zero_and_one_and_boundaries():
    r = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    d = np.array([False, True, False, False, True])
    np.testing.assert_array_equal(discounted_returns(r, d, 0.0), r)
    np.testing.assert_array_equal(discounted_returns(r, d, 1.0), [3.0, 2.0, 12.0, 9.0, 5.0])
    # the boundary at the last step: last_values is ignored there
    np.testing.assert_array_equal(discounted_returns(r, d, 1.0, last_values=100.0), [3.0, 2.0, 12.0, 9.0, 5.0])
    d[-1] = False  # a cut rollout bootstraps from last_values
    np.testing.assert_allclose(discounted_returns(r, d, 0.5, last_values=8.0),
                               [2.0, 2.0, 3 + 0.5 * 4 + 0.25 * 5 + 0.125 * 8, 4 + 0.5 * 5 + 0.25 * 8, 5 + 0.5 * 8])
    # one stream (T,) equals the same stream as (T, 1); integer 0/1 dones work
    np.testing.assert_array_equal(discounted_returns(r, d.astype(int), 0.9),
                                  discounted_returns(r[:, None], d[:, None], 0.9)[:, 0])


def test_streams_are_independent():
    r, d = _rollout(N=3, seed=4)
    G = discounted_returns(r, d, 0.95)
    for n in range(3):
        np.testing.assert_array_equal(G[:, n], discounted_returns(r[:, n], d[:, n], 0.95))


def test_advantages_are_returns_minus_baseline():
    r, d = _rollout(seed=2)
    G = discounted_returns(r, d, 0.9)
    V = np.random.default_rng(3).standard_normal(G.shape)
    A = advantages(G, V)
    assert A.dtype == np.float64 and A.shape == G.shape
    np.testing.assert_allclose(A + V, G, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(advantages(G, np.zeros_like(G)), G)


@pytest.mark.parametrize("call, name", [
    (lambda: discounted_returns(np.zeros(3), np.zeros(4, bool), 0.9), "dones"),
    (lambda: discounted_returns(np.zeros((3, 2, 2)), np.zeros((3, 2, 2), bool), 0.9), "rewards"),
    (lambda: discounted_returns(np.zeros(0), np.zeros(0, bool), 0.9), "rewards"),
    (lambda: discounted_returns(np.array([1.0, np.nan]), np.zeros(2, bool), 0.9), "rewards"),
    (lambda: discounted_returns(np.zeros(3), np.array([0, 2, 0]), 0.9), "dones"),
    (lambda: discounted_returns(np.zeros(3), np.zeros(3, bool), 1.1), "gamma"),
    (lambda: discounted_returns(np.zeros(3), np.zeros(3, bool), -0.1), "gamma"),
    (lambda: discounted_returns(np.zeros((3, 2)), np.zeros((3, 2), bool), 0.9, last_values=np.zeros(3)),
     "last_values"),
    (lambda: advantages(np.zeros(3), np.zeros(4)), "values"),
])
def test_returns_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ----------------------------------------------------------------------------- REINFORCE loss
def _batch(n=7, A=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((n, A)), rng.integers(0, A, n), rng.standard_normal(n)


def _loop_loss(logits, actions, weights):
    total = 0.0
    for z, a, w in zip(logits.tolist(), actions.tolist(), weights.tolist()):
        total += w * math.log(math.exp(z[a]) / sum(math.exp(v) for v in z))
    return -total / len(weights)


def test_forward_matches_loop_and_is_stable():
    z, a, w = _batch()
    loss, _ = reinforce_loss_forward(z, a, w)
    assert loss == pytest.approx(_loop_loss(z, a, w), abs=1e-14)
    big, _ = reinforce_loss_forward(z + 1000.0, a, w)  # exp(1000) overflows without the max shift
    assert big == pytest.approx(loss, abs=1e-12)
    huge, _ = reinforce_loss_forward(np.array([[800.0, -800.0]]), np.array([1]), np.array([1.0]))
    assert huge == pytest.approx(1600.0)
    np.testing.assert_allclose(rl.softmax(z).sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(np.exp(rl.log_softmax(z)), rl.softmax(z), atol=1e-15)


@pytest.mark.parametrize("seed, scale", [(0, 1.0), (1, 3.0), (2, 0.1)])
def test_backward_central_differences(seed, scale):
    z, a, w = _batch(seed=seed, scale=scale)
    _, cache = reinforce_loss_forward(z, a, w)
    dz = reinforce_loss_backward(cache)
    num = eval_numerical_gradient(lambda v: reinforce_loss_forward(v, a, w)[0], z.copy(), h=1e-5)
    assert scaled_rel_error(dz, num) < 1e-7
    np.testing.assert_allclose(reinforce_loss_backward(cache, dloss=-2.5), -2.5 * dz, rtol=1e-14)
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-15)  # shifting a row of logits changes nothing


def test_surrogate_gradient_is_the_policy_gradient_of_a_bandit():
    """With every action weighted by its probability, -dloss/dz is exactly grad_z E_pi[r]."""
    rng = np.random.default_rng(5)
    z, r = rng.standard_normal(5), rng.standard_normal(5)
    pi = rl.softmax(z)
    actions = np.arange(5)
    # E_a[grad log pi(a) r(a)] = sum_a pi(a) r(a) grad log pi(a); the loss averages over N = 5 rows
    _, cache = reinforce_loss_forward(np.tile(z, (5, 1)), actions, 5 * pi * r)
    grad_J = -reinforce_loss_backward(cache).sum(axis=0)
    num = eval_numerical_gradient(lambda v: rl.softmax(v) @ r, z.copy(), h=1e-6)
    assert scaled_rel_error(grad_J, num) < 1e-8


def test_forward_and_backward_match_tensorflow_autograd():
    tf = pytest.importorskip("tensorflow")
    z, a, w = _batch(n=9, A=3, seed=7, scale=2.0)
    logits = tf.Variable(z)
    with tf.GradientTape() as tape:
        logp = tf.nn.log_softmax(logits)
        chosen = tf.gather(logp, a, batch_dims=1)
        loss_tf = -tf.reduce_mean(tf.stop_gradient(tf.constant(w)) * chosen)
    grad_tf = tape.gradient(loss_tf, logits).numpy()
    loss, cache = reinforce_loss_forward(z, a, w)
    assert loss == pytest.approx(float(loss_tf), abs=1e-13)
    np.testing.assert_allclose(reinforce_loss_backward(cache), grad_tf, rtol=0, atol=1e-14)
    # the same loss as Keras' weighted sparse cross-entropy (what a dlkit.tf / Keras policy would minimise)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=a, logits=z)
    assert loss == pytest.approx(float(tf.reduce_mean(w * ce)), abs=1e-13)


def test_sample_actions_follow_the_softmax():
    rng = np.random.default_rng(0)
    for row in ([2.0, 0.0, -1.0, -50.0], [-1.0, 0.0, 0.5, 1.0]):
        z = np.tile([row], (20000, 1))
        counts = np.bincount(rl.sample_actions(z, rng), minlength=4) / len(z)
        p = rl.softmax(z[0])
        assert np.all(np.abs(counts - p) < 4.5 * np.sqrt(p * (1 - p) / len(z)) + 1e-12)
    assert np.bincount(rl.sample_actions(np.tile([[2.0, 0.0, -1.0, -50.0]], (20000, 1)), rng), minlength=4)[3] == 0
    a1 = rl.sample_actions(z[:50], np.random.default_rng(3))
    assert np.array_equal(a1, rl.sample_actions(z[:50], np.random.default_rng(3))) and a1.dtype == np.int64


@pytest.mark.parametrize("call, name", [
    (lambda: reinforce_loss_forward(np.zeros(3), np.zeros(3, int), np.ones(3)), "logits"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2), int), np.zeros(3, int), np.ones(3)), "logits"),
    (lambda: reinforce_loss_forward(np.full((3, 2), np.inf), np.zeros(3, int), np.ones(3)), "logits"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2)), np.zeros(3), np.ones(3)), "actions"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2)), np.array([0, 2, 1]), np.ones(3)), "actions"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2)), np.zeros(2, int), np.ones(3)), "actions"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2)), np.zeros(3, int), np.ones(4)), "weights"),
    (lambda: reinforce_loss_forward(np.zeros((3, 2)), np.zeros(3, int), np.array([1, np.nan, 1])), "weights"),
    (lambda: reinforce_loss_forward(np.zeros((0, 2)), np.zeros(0, int), np.ones(0)), "N >= 1"),
    (lambda: reinforce_loss_backward(reinforce_loss_forward(np.zeros((3, 2)), np.zeros(3, int), np.ones(3))[1],
                                     dloss=np.nan), "dloss"),
    (lambda: rl.sample_actions(np.zeros((3, 2)), 0), "rng"),
    (lambda: rl.sample_actions(np.zeros(3), np.random.default_rng()), "logits"),
])
def test_reinforce_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
