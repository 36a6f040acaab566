"""Realistic answers to ch19_diffusion (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_SCHED = '''
def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, timesteps)


def alpha_bars(betas):
    return np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))


def q_sample(x0, t, noise, alpha_bar):
    a = np.asarray(alpha_bar)[t].reshape((-1,) + (1,) * (np.ndim(x0) - 1))
    return np.sqrt(a) * x0 + np.sqrt(1.0 - a) * noise
'''
_LOSS = '''
def ddpm_loss(denoiser, x0, t, noise, alpha_bar):
    x_t = q_sample(x0, t, noise, alpha_bar)
    eps_hat = denoiser(x_t, t)
    err = eps_hat - noise
    return float(np.mean(err ** 2)), 2.0 * err / err.size
'''
_STEP = '''
def guided_eps(eps_cond, eps_uncond, guidance_scale):
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)


def ddpm_step(x_t, t, eps_hat, betas, noise):
    t = np.asarray(t)
    shape = (-1,) + (1,) * (np.ndim(x_t) - 1)
    beta = betas[t].reshape(shape)
    abar = alpha_bars(betas)[t].reshape(shape)
    mean = (x_t - beta / np.sqrt(1.0 - abar) * eps_hat) / np.sqrt(1.0 - beta)
    sigma = np.sqrt(beta) * (t > 0).reshape(shape)
    return mean + sigma * noise
'''


def _edit(source, *pairs):
    """The reference cell with realistic mistakes: each `old` (which must occur exactly once) becomes `new`."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


ANSWERS = [
    # -- Task 1: the schedule, alpha_bar and q(x_t | x_0) ------------------------------------------------------------
    ("schedule", "wrong", "alpha_bar as 1 - the cumulative SUM of the betas (the first-order approximation)",
     _edit(_SCHED, "return np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))",
           "return 1.0 - np.cumsum(np.asarray(betas, dtype=np.float64))")),
    ("schedule", "wrong", "no cumulative product: alpha_bar[t] = 1 - betas[t] (one step's alpha)",
     _edit(_SCHED, "return np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))",
           "return 1.0 - np.asarray(betas, dtype=np.float64)")),
    ("schedule", "wrong", "1-based steps: alpha_bar[t - 1] (t = 0 silently wraps to the last step)",
     _edit(_SCHED, "a = np.asarray(alpha_bar)[t]", "a = np.asarray(alpha_bar)[np.asarray(t) - 1]")),
    ("schedule", "wrong", "square root missing on alpha_bar: alpha_bar x0 + sqrt(1 - alpha_bar) noise",
     _edit(_SCHED, "return np.sqrt(a) * x0 + np.sqrt(1.0 - a) * noise", "return a * x0 + np.sqrt(1.0 - a) * noise")),
    ("schedule", "wrong", "broadcasts alpha_bar[t][:, None]: right for (N, D) only, not (N,) or images (N, H, W)",
     _edit(_SCHED, "a = np.asarray(alpha_bar)[t].reshape((-1,) + (1,) * (np.ndim(x0) - 1))",
           "a = np.asarray(alpha_bar)[t][:, None]")),
    ("schedule", "wrong", "linear schedule without its endpoint: beta_start + (beta_end - beta_start) i / T",
     _edit(_SCHED, "return np.linspace(beta_start, beta_end, timesteps)",
           "return beta_start + (beta_end - beta_start) * np.arange(timesteps) / timesteps")),
    ("schedule", "correct", "loops: a running product, one example at a time", '''
def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    step = (beta_end - beta_start) / (timesteps - 1)
    return np.array([beta_start + i * step for i in range(timesteps)])


def alpha_bars(betas):
    out = np.empty(len(betas))
    prod = 1.0
    for i, b in enumerate(betas):
        prod = prod * (1.0 - b)
        out[i] = prod
    return out


def q_sample(x0, t, noise, alpha_bar):
    x_t = np.empty(np.shape(x0))
    for n in range(len(x0)):
        a = alpha_bar[t[n]]
        x_t[n] = np.sqrt(a) * x0[n] + np.sqrt(1 - a) * noise[n]
    return x_t
'''),
    ("schedule", "correct", "exp of a cumulative sum of logs, einsum over any trailing axes", '''
def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    return beta_start + (beta_end - beta_start) * np.arange(timesteps) / (timesteps - 1.0)


def alpha_bars(betas):
    return np.exp(np.cumsum(np.log1p(-np.asarray(betas, dtype=float))))


def q_sample(x0, t, noise, alpha_bar):
    a = np.take(alpha_bar, t)
    return np.einsum("n,n...->n...", np.sqrt(a), x0) + np.einsum("n,n...->n...", np.sqrt(1 - a), noise)
'''),
    ("schedule", "correct", "the batch axis moved last so that alpha_bar[t] broadcasts, then moved back", '''
def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, num=timesteps, endpoint=True).astype(np.float64)


def alpha_bars(betas):
    return np.multiply.accumulate(1 - np.array(betas, dtype=np.float64))


def q_sample(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    x_t = np.sqrt(a) * np.moveaxis(x0, 0, -1) + np.sqrt(1 - a) * np.moveaxis(noise, 0, -1)
    return np.moveaxis(x_t, -1, 0)
'''),
    # -- Task 2: the training loss ---------------------------------------------------------------------------------
    ("ddpm_loss", "wrong", "squared errors summed over the features and averaged over the batch only",
     _edit(_LOSS, "return float(np.mean(err ** 2)), 2.0 * err / err.size",
           "return float(np.sum(err ** 2) / len(err)), 2.0 * err / len(err)")),
    ("ddpm_loss", "wrong", "the network trained to predict x0 instead of the noise",
     _edit(_LOSS, "err = eps_hat - noise", "err = eps_hat - x0")),
    ("ddpm_loss", "wrong", "the denoiser is given the clean x0 instead of the noisy x_t",
     _edit(_LOSS, "eps_hat = denoiser(x_t, t)", "eps_hat = denoiser(x0, t)")),
    ("ddpm_loss", "wrong", "1-based time for the network: denoiser(x_t, t + 1)",
     _edit(_LOSS, "eps_hat = denoiser(x_t, t)", "eps_hat = denoiser(x_t, t + 1)")),
    ("ddpm_loss", "wrong", "the gradient forgets the factor 2 of the square",
     _edit(_LOSS, "2.0 * err / err.size", "err / err.size")),
    ("ddpm_loss", "wrong", "the gradient with respect to the noise (the target), not the prediction: sign flipped",
     _edit(_LOSS, "2.0 * err / err.size", "2.0 * (noise - eps_hat) / err.size")),
    ("ddpm_loss", "correct", "x_t written out one example at a time (no q_sample), then one call of the network", '''
def ddpm_loss(denoiser, x0, t, noise, alpha_bar):
    x_t = np.zeros(np.shape(x0))
    for n in range(len(x0)):
        x_t[n] = np.sqrt(alpha_bar[t[n]]) * x0[n] + np.sqrt(1.0 - alpha_bar[t[n]]) * noise[n]
    diff = denoiser(x_t, t) - noise
    M = np.prod(np.shape(diff))
    return (diff * diff).sum() / M, diff * (2.0 / M)
'''),
    ("ddpm_loss", "correct", "Keras-style: the mean over each example's features, then over the batch", '''
def ddpm_loss(denoiser, x0, t, noise, alpha_bar):
    x_t = q_sample(x0, t, noise, alpha_bar)
    eps_hat = np.asarray(denoiser(x_t, t), dtype=np.float64)
    N = eps_hat.shape[0]
    per_example = np.square(eps_hat - noise).reshape(N, -1).mean(axis=1)
    grad = 2 * (eps_hat - noise) / (N * (eps_hat.size // N))
    return per_example.mean(), grad
'''),
    # -- Task 3: guidance and one reverse step ----------------------------------------------------------------------
    ("guided_step", "wrong", "guidance the wrong way round: eps_cond + w (eps_uncond - eps_cond)",
     _edit(_STEP, "return eps_uncond + guidance_scale * (eps_cond - eps_uncond)",
           "return eps_cond + guidance_scale * (eps_uncond - eps_cond)")),
    ("guided_step", "wrong", "Ho and Salimans' (1 + w) eps_cond - w eps_uncond with the guidance scale as their w",
     _edit(_STEP, "return eps_uncond + guidance_scale * (eps_cond - eps_uncond)",
           "return (1 + guidance_scale) * eps_cond - guidance_scale * eps_uncond")),
    ("guided_step", "wrong", "noise added at the last step too (t = 0)",
     _edit(_STEP, "sigma = np.sqrt(beta) * (t > 0).reshape(shape)", "sigma = np.sqrt(beta)")),
    ("guided_step", "wrong", "sigma_t = beta_t instead of sqrt(beta_t)",
     _edit(_STEP, "sigma = np.sqrt(beta) * (t > 0).reshape(shape)", "sigma = beta * (t > 0).reshape(shape)")),
    ("guided_step", "wrong", "alpha_bar_t where alpha_t is needed: divides by sqrt(alpha_bar_t)",
     _edit(_STEP, "* eps_hat) / np.sqrt(1.0 - beta)", "* eps_hat) / np.sqrt(abar)")),
    ("guided_step", "wrong", "square root missing in the noise coefficient: beta_t / (1 - alpha_bar_t)",
     _edit(_STEP, "beta / np.sqrt(1.0 - abar) * eps_hat", "beta / (1.0 - abar) * eps_hat")),
    ("guided_step", "correct", "Ho and Salimans' (1 + w') form with w' = w - 1; a loop over the examples",
     '''
import math


def guided_eps(eps_cond, eps_uncond, guidance_scale):
    w = guidance_scale - 1.0
    return (1.0 + w) * np.asarray(eps_cond) - w * np.asarray(eps_uncond)


def ddpm_step(x_t, t, eps_hat, betas, noise):
    abar, prod = [], 1.0
    for b in betas:
        prod *= 1.0 - b
        abar.append(prod)
    out = np.empty(np.shape(x_t))
    for n in range(len(x_t)):
        s = int(t[n])
        out[n] = (x_t[n] - betas[s] / math.sqrt(1 - abar[s]) * eps_hat[n]) / math.sqrt(1 - betas[s])
        if s > 0:
            out[n] = out[n] + math.sqrt(betas[s]) * noise[n]
    return out
'''),
    ("guided_step", "correct", "a lerp (1 - w) eps_uncond + w eps_cond; DDPM's precomputed coefficient tables", '''
def guided_eps(eps_cond, eps_uncond, guidance_scale):
    return (1 - guidance_scale) * eps_uncond + guidance_scale * eps_cond


def ddpm_step(x_t, t, eps_hat, betas, noise):
    alphas = 1.0 - betas
    sqrt_recip_alphas = 1.0 / np.sqrt(alphas)
    eps_coef = betas / np.sqrt(1.0 - alpha_bars(betas))
    nonzero = np.where(np.asarray(t) == 0, 0.0, 1.0)
    def per_example(v):
        return np.expand_dims(v, tuple(range(1, np.ndim(x_t))))
    mean = per_example(sqrt_recip_alphas[t]) * (x_t - per_example(eps_coef[t]) * eps_hat)
    return mean + per_example(nonzero * np.sqrt(betas[t])) * noise
'''),
]
