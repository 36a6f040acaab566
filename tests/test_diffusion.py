"""dlkit.np.functional diffusion helpers against loops, closed forms, Monte Carlo moments and bad inputs."""
import numpy as np
import pytest

from dlkit.np.functional import (alpha_bars, cosine_beta_schedule, ddpm_step, guided_eps, linear_beta_schedule,
                                 q_sample)


def test_linear_schedule_endpoints_and_spacing():
    b = linear_beta_schedule(1000)
    assert b.dtype == np.float64 and b.shape == (1000,)
    assert b[0] == pytest.approx(1e-4, abs=1e-15) and b[-1] == pytest.approx(0.02, abs=1e-15)
    np.testing.assert_allclose(np.diff(b), (0.02 - 1e-4) / 999, rtol=1e-9)
    # Ho et al.'s T = 1000 schedule ends with almost pure noise: alpha_bar_T ~ exp(-sum beta) ~ 4e-5
    assert alpha_bars(b)[-1] < 1e-4


def test_alpha_bars_is_the_loop_product():
    b = np.random.default_rng(0).uniform(0.01, 0.3, 20)
    expected, prod = [], 1.0
    for beta in b:  # the definition, one factor at a time
        prod *= 1.0 - beta
        expected.append(prod)
    np.testing.assert_allclose(alpha_bars(b), expected, rtol=1e-13)


@pytest.mark.parametrize("T,s", [(10, 0.008), (100, 0.008), (1000, 0.0)])
def test_cosine_schedule_matches_the_alpha_bar_formula(T, s):
    f = lambda t: np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2  # noqa: E731
    betas = cosine_beta_schedule(T, s=s)
    assert betas.shape == (T,) and betas.dtype == np.float64
    abar = alpha_bars(betas)
    unclipped = betas < 0.999
    assert unclipped[:-1].all()  # only the last step may be clipped
    np.testing.assert_allclose(abar[:-1], [f(i + 1) / f(0) for i in range(T - 1)], rtol=1e-10, atol=1e-14)
    assert np.all(np.diff(betas) > 0) and abar[-1] < 1e-3  # betas grow; the last step is almost pure noise


def test_q_sample_formula_per_example_and_broadcast():
    rng = np.random.default_rng(1)
    abar = alpha_bars(cosine_beta_schedule(50))
    x0, noise = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    t = np.array([0, 7, 30, 49])
    out = q_sample(x0, t, noise, abar)
    for i in range(4):  # each example with its own step
        np.testing.assert_allclose(out[i], np.sqrt(abar[t[i]]) * x0[i] + np.sqrt(1 - abar[t[i]]) * noise[i],
                                   rtol=1e-13)


def test_q_sample_equals_iterating_the_chain_in_distribution():
    """Monte Carlo: the closed form has the mean and variance of T single noising steps."""
    rng = np.random.default_rng(2)
    betas = linear_beta_schedule(40, 1e-3, 0.1)
    abar = alpha_bars(betas)
    n, x0, t = 200_000, np.array([1.5, -2.0]), 25
    x = np.tile(x0, (n, 1))
    for s in range(t + 1):  # steps 0..t of the forward chain
        x = np.sqrt(1 - betas[s]) * x + np.sqrt(betas[s]) * rng.standard_normal(x.shape)
    direct = q_sample(np.tile(x0, (n, 1)), np.full(n, t), rng.standard_normal((n, 2)), abar)
    mean, var = np.sqrt(abar[t]) * x0, 1 - abar[t]
    se_mean, se_var = np.sqrt(var / n), var * np.sqrt(2 / n)
    for sample in (x, direct):
        assert np.all(np.abs(sample.mean(0) - mean) < 5 * se_mean)
        assert np.all(np.abs(sample.var(0) - var) < 5 * se_var)
    assert abs(np.corrcoef(direct.T)[0, 1]) < 5 / np.sqrt(n)  # independent coordinates


def _posterior_mean(x0, x_t, t, betas):
    """Closed-form mean of q(x_{t-1} | x_t, x_0) (Ho et al., eq. 7), 0-indexed, computed independently."""
    abar = np.cumprod(1 - betas)
    abar_prev = abar[t - 1] if t > 0 else 1.0
    c0 = np.sqrt(abar_prev) * betas[t] / (1 - abar[t])
    ct = np.sqrt(1 - betas[t]) * (1 - abar_prev) / (1 - abar[t])
    return c0 * x0 + ct * x_t


@pytest.mark.parametrize("t", [0, 1, 17, 59])
def test_ddpm_step_mean_is_the_posterior_mean_with_the_true_noise(t):
    rng = np.random.default_rng(3)
    betas = cosine_beta_schedule(60)
    x0, eps = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    tt = np.full(5, t)
    x_t = q_sample(x0, tt, eps, alpha_bars(betas))
    mean = ddpm_step(x_t, tt, eps, betas, np.zeros_like(x0))
    np.testing.assert_allclose(mean, _posterior_mean(x0, x_t, t, betas), rtol=1e-9, atol=1e-12)
    if t == 0:  # the last reverse step recovers x_0 exactly and adds no noise
        np.testing.assert_allclose(ddpm_step(x_t, tt, eps, betas, rng.standard_normal((5, 4))), x0, atol=1e-10)


def test_ddpm_step_noise_scale_and_mixed_steps():
    rng = np.random.default_rng(4)
    betas = linear_beta_schedule(30, 1e-3, 0.2)
    x_t, eps, z = (rng.standard_normal((3, 2)) for _ in range(3))
    t = np.array([0, 5, 29])
    out = ddpm_step(x_t, t, eps, betas, z) - ddpm_step(x_t, t, eps, betas, np.zeros_like(z))
    np.testing.assert_allclose(out, np.sqrt(betas[t])[:, None] * z * (t > 0)[:, None], rtol=1e-12, atol=0)
    for i in range(3):  # one example at a time = the batch
        one = ddpm_step(x_t[i:i + 1], t[i:i + 1], eps[i:i + 1], betas, z[i:i + 1])
        np.testing.assert_allclose(one[0], ddpm_step(x_t, t, eps, betas, z)[i], rtol=1e-13)


def test_guided_eps_convention():
    rng = np.random.default_rng(5)
    c, u = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(guided_eps(c, u, 1.0), c, rtol=1e-14)
    np.testing.assert_allclose(guided_eps(c, u, 0.0), u, rtol=1e-14)
    np.testing.assert_allclose(guided_eps(c, u, 3.0), 3 * c - 2 * u, rtol=1e-12)


@pytest.mark.parametrize("call,arg", [
    (lambda: linear_beta_schedule(0), "timesteps"),
    (lambda: linear_beta_schedule(10, 0.1, 0.01), "beta_start"),
    (lambda: cosine_beta_schedule(2.5), "timesteps"),
    (lambda: cosine_beta_schedule(10, s=-1), "s"),
    (lambda: alpha_bars(np.array([0.1, 1.5])), "betas"),
    (lambda: q_sample(np.zeros((2, 3)), np.array([0, 1]), np.zeros((2, 4)), np.ones(5) * 0.5), "noise"),
    (lambda: q_sample(np.zeros((2, 3)), np.array([0, 5]), np.zeros((2, 3)), np.ones(5) * 0.5), "t"),
    (lambda: q_sample(np.zeros((2, 3)), np.array([0.0, 1.0]), np.zeros((2, 3)), np.ones(5) * 0.5), "t"),
    (lambda: q_sample(np.zeros((2, 3)), np.array([1]), np.zeros((2, 3)), np.ones(5) * 0.5), "t"),
    (lambda: ddpm_step(np.zeros((2, 3)), np.array([0, 1]), np.zeros((2, 2)), np.full(4, 0.1), np.zeros((2, 3))),
     "eps_hat"),
    (lambda: ddpm_step(np.zeros((2, 3)), np.array([0, 1]), np.zeros((2, 3)), np.full(4, 0.1), np.zeros(3)),
     "noise"),
    (lambda: ddpm_step(np.zeros((2, 3)), np.array([-1, 1]), np.zeros((2, 3)), np.full(4, 0.1), np.zeros((2, 3))),
     "t"),
    (lambda: guided_eps(np.zeros(3), np.zeros(4), 1.0), "eps_cond"),
    (lambda: guided_eps(np.zeros(3), np.zeros(3), -1.0), "guidance_scale"),
    (lambda: guided_eps(np.zeros(3), np.zeros(3), np.nan), "guidance_scale"),
])
def test_bad_inputs_name_the_argument(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()
