"""dlkit.np.functional vae.py and gan.py: central differences, TF autograd, Keras BCE, Monte Carlo KL, bad input."""
import numpy as np
import pytest

from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.np.functional import (gan_discriminator_loss_backward, gan_discriminator_loss_forward,
                                 gan_generator_loss_backward, gan_generator_loss_forward, gaussian_kl_backward,
                                 gaussian_kl_forward, reparameterize_backward, reparameterize_forward)


def _gaussian(n=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, k)), 0.8 * rng.standard_normal((n, k)), rng.standard_normal((n, k))


# ---------------------------------------------------------------- reparameterization
def test_reparameterize_forward_is_mu_plus_std_times_eps():
    mu, log_var, eps = _gaussian()
    z, _ = reparameterize_forward(mu, log_var, eps)
    np.testing.assert_allclose(z, mu + np.sqrt(np.exp(log_var)) * eps, rtol=1e-14)
    z0, _ = reparameterize_forward(mu, log_var, np.zeros_like(eps))
    np.testing.assert_array_equal(z0, mu)


def test_reparameterized_samples_have_the_right_moments():
    rng = np.random.default_rng(1)
    mu, log_var = np.array([[1.5, -2.0]]), np.array([[np.log(0.25), np.log(4.0)]])
    eps = rng.standard_normal((200_000, 2))
    z, _ = reparameterize_forward(np.repeat(mu, len(eps), 0), np.repeat(log_var, len(eps), 0), eps)
    np.testing.assert_allclose(z.mean(0), mu[0], atol=0.02)
    np.testing.assert_allclose(z.var(0), np.exp(log_var[0]), rtol=0.02)


def test_reparameterize_backward_central_differences_with_fixed_noise():
    mu, log_var, eps = _gaussian(seed=2)
    w = np.random.default_rng(3).standard_normal(mu.shape)  # L = sum(w * z): dL/dz = w
    _, cache = reparameterize_forward(mu, log_var, eps)
    dmu, dlv = reparameterize_backward(w, cache)
    num_mu = eval_numerical_gradient(lambda m: np.sum(w * reparameterize_forward(m, log_var, eps)[0]), mu.copy())
    num_lv = eval_numerical_gradient(lambda v: np.sum(w * reparameterize_forward(mu, v, eps)[0]), log_var.copy())
    assert scaled_rel_error(dmu, num_mu) < 1e-8
    assert scaled_rel_error(dlv, num_lv) < 1e-8


def test_reparameterize_backward_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    mu, log_var, eps = _gaussian(seed=4)
    w = np.random.default_rng(5).standard_normal(mu.shape)
    t_mu, t_lv = tf.Variable(mu), tf.Variable(log_var)
    with tf.GradientTape() as tape:
        ref = tf.reduce_sum(w * (t_mu + tf.exp(0.5 * t_lv) * eps))
    g_mu, g_lv = tape.gradient(ref, [t_mu, t_lv])
    _, cache = reparameterize_forward(mu, log_var, eps)
    dmu, dlv = reparameterize_backward(w, cache)
    np.testing.assert_allclose(dmu, g_mu.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dlv, g_lv.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- KL
def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zeros = np.zeros((4, 3))
    assert gaussian_kl_forward(zeros, zeros)[0] == 0.0
    mu, log_var, _ = _gaussian()
    assert gaussian_kl_forward(mu, log_var)[0] > 0.1


def test_kl_closed_form_matches_monte_carlo():
    rng = np.random.default_rng(6)
    mu, log_var = np.array([[0.7, -1.2, 0.3]]), np.array([[-0.5, 0.4, -1.5]])
    kl, _ = gaussian_kl_forward(mu, log_var)
    n = 400_000
    eps = rng.standard_normal((n, 3))
    z = mu + np.exp(0.5 * log_var) * eps
    log_q = np.sum(-0.5 * eps ** 2 - 0.5 * log_var - 0.5 * np.log(2 * np.pi), axis=1)
    log_p = np.sum(-0.5 * z ** 2 - 0.5 * np.log(2 * np.pi), axis=1)
    ratio = log_q - log_p
    mc, se = ratio.mean(), ratio.std() / np.sqrt(n)
    assert abs(kl - mc) < 5 * se  # the MC estimate's standard error is ~0.003
    assert se < 0.01


def test_kl_is_summed_over_dims_and_averaged_over_the_batch():
    mu, log_var, _ = _gaussian(n=6, k=4, seed=7)
    per_example = [gaussian_kl_forward(mu[i:i + 1], log_var[i:i + 1])[0] for i in range(6)]
    assert abs(gaussian_kl_forward(mu, log_var)[0] - np.mean(per_example)) < 1e-13
    per_dim = [gaussian_kl_forward(mu[:, j:j + 1], log_var[:, j:j + 1])[0] for j in range(4)]
    assert abs(gaussian_kl_forward(mu, log_var)[0] - np.sum(per_dim)) < 1e-13


@pytest.mark.parametrize("dkl", [1.0, 0.3])
def test_kl_backward_central_differences(dkl):
    mu, log_var, _ = _gaussian(seed=8)
    _, cache = gaussian_kl_forward(mu, log_var)
    dmu, dlv = gaussian_kl_backward(cache, dkl)
    num_mu = eval_numerical_gradient(lambda m: dkl * gaussian_kl_forward(m, log_var)[0], mu.copy())
    num_lv = eval_numerical_gradient(lambda v: dkl * gaussian_kl_forward(mu, v)[0], log_var.copy())
    assert scaled_rel_error(dmu, num_mu) < 1e-8
    assert scaled_rel_error(dlv, num_lv) < 1e-8


def test_kl_forward_and_backward_match_tensorflow():
    tf = pytest.importorskip("tensorflow")
    mu, log_var, _ = _gaussian(n=7, k=2, seed=9)
    t_mu, t_lv = tf.Variable(mu), tf.Variable(log_var)
    with tf.GradientTape() as tape:  # the KL of tfp / the Keras VAE example, written with TF ops
        ref = tf.reduce_mean(tf.reduce_sum(-0.5 * (1 + t_lv - tf.square(t_mu) - tf.exp(t_lv)), axis=1))
    g_mu, g_lv = tape.gradient(ref, [t_mu, t_lv])
    kl, cache = gaussian_kl_forward(mu, log_var)
    dmu, dlv = gaussian_kl_backward(cache)
    assert abs(kl - float(ref)) < 1e-12
    np.testing.assert_allclose(dmu, g_mu.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dlv, g_lv.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- GAN losses
def _logits(seed=10, n=6, m=5):
    rng = np.random.default_rng(seed)
    return 2.0 * rng.standard_normal((n, 1)), 2.0 * rng.standard_normal((m, 1))


def test_gan_losses_match_keras_binary_crossentropy():
    keras = pytest.importorskip("keras")
    real, fake = _logits()
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    d_ref = float(bce(np.ones_like(real), real)) + float(bce(np.zeros_like(fake), fake))
    g_ref = float(bce(np.ones_like(fake), fake))
    assert abs(gan_discriminator_loss_forward(real, fake)[0] - d_ref) < 1e-12
    assert abs(gan_generator_loss_forward(fake)[0] - g_ref) < 1e-12
    sat_ref = -float(bce(np.zeros_like(fake), fake))  # mean log(1 - D(G(z)))
    assert abs(gan_generator_loss_forward(fake, non_saturating=False)[0] - sat_ref) < 1e-12
    flat, _ = gan_discriminator_loss_forward(real[:, 0], fake[:, 0])  # (N,) works like (N, 1)
    assert abs(flat - d_ref) < 1e-12


def test_gan_losses_are_stable_for_huge_logits():
    real = np.array([1000.0, -1000.0, 0.0])
    fake = np.array([-1000.0, 1000.0])
    loss, cache = gan_discriminator_loss_forward(real, fake)
    assert np.isfinite(loss) and abs(loss - (1000.0 + np.log(2)) / 3 - 1000.0 / 2) < 1e-9
    d_real, d_fake = gan_discriminator_loss_backward(cache)
    np.testing.assert_allclose(d_real, [0.0, -1 / 3, -1 / 6], atol=1e-15)
    np.testing.assert_allclose(d_fake, [0.0, 0.5], atol=1e-15)
    g, gc = gan_generator_loss_forward(fake)
    assert abs(g - 500.0) < 1e-9 and np.allclose(gan_generator_loss_backward(gc), [-0.5, 0.0], atol=1e-15)
    s, sc = gan_generator_loss_forward(fake, non_saturating=False)
    assert abs(s + 500.0) < 1e-9 and np.allclose(gan_generator_loss_backward(sc), [0.0, -0.5], atol=1e-15)


def test_saturating_gradient_vanishes_where_the_non_saturating_one_does_not():
    rejected = np.array([-8.0])  # D(G(z)) = sigmoid(-8) ~ 3e-4: the discriminator wins
    _, ns = gan_generator_loss_forward(rejected, non_saturating=True)
    _, sat = gan_generator_loss_forward(rejected, non_saturating=False)
    assert abs(gan_generator_loss_backward(ns)[0]) > 0.99
    assert abs(gan_generator_loss_backward(sat)[0]) < 1e-3


def test_gan_backward_central_differences():
    real, fake = _logits(seed=11)
    _, cache = gan_discriminator_loss_forward(real, fake)
    d_real, d_fake = gan_discriminator_loss_backward(cache)
    num_r = eval_numerical_gradient(lambda r: gan_discriminator_loss_forward(r, fake)[0], real.copy())
    num_f = eval_numerical_gradient(lambda f: gan_discriminator_loss_forward(real, f)[0], fake.copy())
    assert scaled_rel_error(d_real, num_r) < 1e-8 and scaled_rel_error(d_fake, num_f) < 1e-8
    for ns in (True, False):
        _, cache = gan_generator_loss_forward(fake, non_saturating=ns)
        num = eval_numerical_gradient(lambda f: gan_generator_loss_forward(f, non_saturating=ns)[0], fake.copy())
        assert scaled_rel_error(gan_generator_loss_backward(cache), num) < 1e-8


def test_gan_backward_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    real, fake = _logits(seed=12)
    t_r, t_f = tf.Variable(real), tf.Variable(fake)
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    with tf.GradientTape(persistent=True) as tape:
        d_loss = tf.reduce_mean(bce(tf.ones_like(t_r), t_r)) + tf.reduce_mean(bce(tf.zeros_like(t_f), t_f))
        g_ns = tf.reduce_mean(-tf.math.log_sigmoid(t_f))
        g_sat = tf.reduce_mean(tf.math.log(1.0 - tf.sigmoid(t_f)))
    gr, gf = tape.gradient(d_loss, [t_r, t_f])
    _, cache = gan_discriminator_loss_forward(real, fake)
    d_real, d_fake = gan_discriminator_loss_backward(cache)
    np.testing.assert_allclose(d_real, gr.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d_fake, gf.numpy(), rtol=1e-12, atol=1e-15)
    for ns, ref in ((True, g_ns), (False, g_sat)):
        loss, cache = gan_generator_loss_forward(fake, non_saturating=ns)
        assert abs(loss - float(ref)) < 1e-12
        np.testing.assert_allclose(gan_generator_loss_backward(cache), tape.gradient(ref, t_f).numpy(),
                                   rtol=1e-10, atol=1e-15)


def _gan_nets(seed=3):
    """A tiny float64 generator (2 -> 8 relu -> 2) and discriminator (2 -> 8 leaky_relu -> 1) from dlkit.np."""
    import dlkit.np as dnp
    dnp.set_seed(seed)
    G = dnp.Sequential([dnp.Input((2,), dtype="float64"), dnp.layers.Dense(8, activation="relu", dtype="float64"),
                        dnp.layers.Dense(2, dtype="float64")])
    D = dnp.Sequential([dnp.Input((2,), dtype="float64"),
                        dnp.layers.Dense(8, activation="leaky_relu", dtype="float64"), dnp.layers.Dense(1, dtype="float64")])
    return G, D


def _generator_step_grads(G, D, z):
    """The chapter's generator step: non-saturating loss, backward through D to its input, then through G."""
    loss, cache = gan_generator_loss_forward(D(G(z, training=True), training=True), non_saturating=True)
    G.backward(D.backward(gan_generator_loss_backward(cache)))
    return loss, [g.copy() for g, _ in G.grads_and_vars()]


def test_generator_backward_through_the_discriminator_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    G, D = _gan_nets()
    z = np.random.default_rng(4).standard_normal((7, 2))
    loss, grads = _generator_step_grads(G, D, z)
    g_w = [tf.Variable(w) for w in G.get_weights()]
    d_w = [tf.constant(w) for w in D.get_weights()]
    with tf.GradientTape() as tape:
        fake = tf.matmul(tf.nn.relu(tf.matmul(z, g_w[0]) + g_w[1]), g_w[2]) + g_w[3]
        pre = tf.matmul(fake, d_w[0]) + d_w[1]
        logits = tf.matmul(tf.maximum(pre, 0.2 * pre), d_w[2]) + d_w[3]  # leaky ReLU; tf.nn's alpha is float32
        ref = tf.reduce_mean(-tf.math.log_sigmoid(logits))
    assert abs(loss - float(ref)) < 1e-12
    for g, gt in zip(grads, tape.gradient(ref, g_w)):
        np.testing.assert_allclose(g, gt.numpy(), rtol=1e-9, atol=1e-12)


def test_generator_backward_through_the_discriminator_central_differences():
    G, D = _gan_nets(seed=3)
    z = np.random.default_rng(4).standard_normal((5, 2))
    _, grads = _generator_step_grads(G, D, z)
    g_w, d_w = G.get_weights(), D.get_weights()

    def loss_of(weights):  # an independent NumPy forward pass: G, D and the non-saturating loss
        fake = np.maximum(z @ weights[0] + weights[1], 0) @ weights[2] + weights[3]
        pre = fake @ d_w[0] + d_w[1]
        return np.mean(np.logaddexp(0, -(np.where(pre > 0, pre, 0.2 * pre) @ d_w[2] + d_w[3])))

    for i, w in enumerate(g_w):
        num = eval_numerical_gradient(lambda v, i=i: loss_of(g_w[:i] + [v] + g_w[i + 1:]), w.copy())
        assert scaled_rel_error(grads[i], num) < 1e-6, i


# ---------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    mu, log_var, eps = _gaussian()
    with pytest.raises(ValueError, match="log_var"):
        reparameterize_forward(mu, log_var[:-1], eps)
    with pytest.raises(ValueError, match="eps"):
        reparameterize_forward(mu, log_var, eps.tolist())
    with pytest.raises(ValueError, match="mu"):
        reparameterize_forward(mu[0], log_var, eps)
    _, cache = reparameterize_forward(mu, log_var, eps)
    with pytest.raises(ValueError, match="dz"):
        reparameterize_backward(mu[:2], cache)
    with pytest.raises(ValueError, match="log_var"):
        gaussian_kl_forward(mu, log_var.astype(int))
    with pytest.raises(ValueError, match="mu"):
        gaussian_kl_forward(np.full_like(mu, np.nan), log_var)
    _, cache = gaussian_kl_forward(mu, log_var)
    with pytest.raises(ValueError, match="dkl"):
        gaussian_kl_backward(cache, dkl="1")
    real, fake = _logits()
    with pytest.raises(ValueError, match="real_logits"):
        gan_discriminator_loss_forward(np.ones((3, 2)), fake)
    with pytest.raises(ValueError, match="fake_logits"):
        gan_discriminator_loss_forward(real, [0.1, 0.2])
    with pytest.raises(ValueError, match="fake_logits"):
        gan_generator_loss_forward(np.array([], dtype=float))
    with pytest.raises(ValueError, match="non_saturating"):
        gan_generator_loss_forward(fake, non_saturating="no")
