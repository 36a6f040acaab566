"""Functional core: denoising diffusion (DDPM), the noise schedules, q(x_t | x_0), one reverse step, guidance.

Time steps are 0-indexed: t = 0, ..., T - 1, with ``betas[t]`` the variance of the noise added at step t
and ``alpha_bar[t] = prod_{s <= t} (1 - betas[s])``. Step t of the paper of Ho et al. (2020),
"Denoising diffusion probabilistic models", with t = 1, ..., T, is index t - 1 here.

- forward process: q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), so in closed form
  q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)   (``q_sample``);
- the network predicts the noise eps from (x_t, t); the score of q(x_t) is -eps / sqrt(1 - alpha_bar_t);
- reverse process: one ancestral step ``ddpm_step`` with sigma_t^2 = beta_t;
- classifier-free guidance (Ho & Salimans 2022): ``guided_eps``.
"""
import numbers

import numpy as np

__all__ = ["linear_beta_schedule", "cosine_beta_schedule", "alpha_bars", "q_sample", "ddpm_step", "guided_eps"]


def _check_timesteps(timesteps, fn):
    if isinstance(timesteps, bool) or not isinstance(timesteps, numbers.Integral) or timesteps < 1:
        raise ValueError(f"{fn}: timesteps must be an integer >= 1, got {timesteps!r}")


def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    """Ho et al.'s schedule: ``timesteps`` betas spaced linearly from beta_start to beta_end -> (T,) float64.

    The defaults are the paper's values for T = 1000; for fewer steps the betas must grow (e.g. scaled by
    1000 / T, as Nichol & Dhariwal do) or alpha_bar stays far from 0 at the last step.
    """
    _check_timesteps(timesteps, "linear_beta_schedule")
    if not (isinstance(beta_start, numbers.Real) and isinstance(beta_end, numbers.Real)
            and 0 < beta_start <= beta_end < 1):
        raise ValueError("linear_beta_schedule: beta_start and beta_end must satisfy 0 < beta_start <= beta_end < 1, "
                         f"got beta_start={beta_start!r}, beta_end={beta_end!r}")
    return np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)


def cosine_beta_schedule(timesteps, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal's cosine schedule -> betas (T,) float64.

    alpha_bar(t) = f(t) / f(0) with f(t) = cos(((t / T) + s) / (1 + s) * pi / 2)^2, and
    betas[i] = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta) (the clip keeps the last step
    from being pure noise, beta = 1). Unclipped, alpha_bars(betas)[i] = f(i + 1) / f(0).
    """
    _check_timesteps(timesteps, "cosine_beta_schedule")
    if not isinstance(s, numbers.Real) or not s >= 0:
        raise ValueError(f"cosine_beta_schedule: s must be a number >= 0, got {s!r}")
    if not isinstance(max_beta, numbers.Real) or not 0 < max_beta <= 1:
        raise ValueError(f"cosine_beta_schedule: max_beta must be in (0, 1], got {max_beta!r}")
    f = np.cos((np.arange(timesteps + 1, dtype=np.float64) / timesteps + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1.0 - f[1:] / f[:-1], max_beta)


def alpha_bars(betas):
    """Cumulative products alpha_bar[t] = prod_{s <= t} (1 - betas[s]): betas (T,) -> (T,) float64."""
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0 or not np.all((betas > 0) & (betas <= 1)):
        raise ValueError(f"alpha_bars: betas must be a non-empty 1-D array with values in (0, 1], got shape "
                         f"{betas.shape}")
    return np.cumprod(1.0 - betas)


def _check_t(t, n, size, fn):
    """t: an int array of shape (n,) (one step per example) with 0 <= t < size."""
    t = np.asarray(t)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"{fn}: t must be an integer array of shape ({n},), one step per example, got "
                         f"dtype {t.dtype} and shape {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= size):
        raise ValueError(f"{fn}: t must lie in [0, {size - 1}] (the schedule has {size} steps), got values in "
                         f"[{t.min()}, {t.max()}]")
    return t


def _per_example(values, t, ndim):
    """values[t] reshaped to (N, 1, ..., 1) to broadcast over an array with ndim axes."""
    return values[t].reshape((-1,) + (1,) * (ndim - 1))


def q_sample(x0, t, noise, alpha_bar):
    """A draw of x_t from q(x_t | x_0): x0 (N, ...), t (N,) int, noise (N, ...) ~ N(0, I), alpha_bar (T,).

    x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise, each example at its own step -> (N, ...).
    """
    x0 = np.asarray(x0)
    noise = np.asarray(noise)
    if x0.ndim < 1 or noise.shape != x0.shape:
        raise ValueError(f"q_sample: noise must have the shape of x0 (N, ...), got x0 {x0.shape} and noise "
                         f"{noise.shape}")
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    if alpha_bar.ndim != 1 or alpha_bar.size == 0:
        raise ValueError(f"q_sample: alpha_bar must be a non-empty 1-D array (T,), got shape {alpha_bar.shape}")
    t = _check_t(t, len(x0), len(alpha_bar), "q_sample")
    a = _per_example(alpha_bar, t, x0.ndim)
    return np.sqrt(a) * x0 + np.sqrt(1.0 - a) * noise


def ddpm_step(x_t, t, eps_hat, betas, noise):
    """One ancestral step x_t -> x_{t-1} of DDPM: x_t, eps_hat, noise (N, ...), t (N,) int, betas (T,).

    mean = (x_t - beta_t / sqrt(1 - alpha_bar_t) * eps_hat) / sqrt(1 - beta_t)   (Ho et al., Algorithm 2)
    x_{t-1} = mean + sigma_t * noise with sigma_t^2 = beta_t, and no noise where t == 0 (the last step
    returns the mean). When eps_hat is the noise that made x_t from x_0, the mean equals the mean of the
    posterior q(x_{t-1} | x_t, x_0).
    """
    x_t, eps_hat, noise = np.asarray(x_t), np.asarray(eps_hat), np.asarray(noise)
    for name, arr in (("eps_hat", eps_hat), ("noise", noise)):
        if x_t.ndim < 1 or arr.shape != x_t.shape:
            raise ValueError(f"ddpm_step: {name} must have the shape of x_t (N, ...), got {arr.shape} and "
                             f"x_t {x_t.shape}")
    betas = np.asarray(betas, dtype=np.float64)
    alpha_bar = alpha_bars(betas)
    t = _check_t(t, len(x_t), len(betas), "ddpm_step")
    beta = _per_example(betas, t, x_t.ndim)
    mean = (x_t - beta / np.sqrt(1.0 - _per_example(alpha_bar, t, x_t.ndim)) * eps_hat) / np.sqrt(1.0 - beta)
    sigma = np.sqrt(beta) * (t > 0).reshape(beta.shape)                     # no noise at the last step
    return mean + sigma * noise


def guided_eps(eps_cond, eps_uncond, guidance_scale):
    """Classifier-free guidance: eps_uncond + w (eps_cond - eps_uncond), arrays of one shape -> that shape.

    Convention (Ho & Salimans' 1 + w): w = guidance_scale = 1 is the plain conditional prediction, w = 0 the
    unconditional one, w > 1 extrapolates away from the unconditional prediction (stronger conditioning).
    """
    eps_cond, eps_uncond = np.asarray(eps_cond), np.asarray(eps_uncond)
    if eps_cond.shape != eps_uncond.shape:
        raise ValueError(f"guided_eps: eps_cond and eps_uncond must have the same shape, got {eps_cond.shape} "
                         f"and {eps_uncond.shape}")
    if isinstance(guidance_scale, bool) or not isinstance(guidance_scale, numbers.Real) \
            or not np.isfinite(guidance_scale) or guidance_scale < 0:
        raise ValueError(f"guided_eps: guidance_scale must be a finite number >= 0, got {guidance_scale!r}")
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)
