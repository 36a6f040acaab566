"""Functional core of the variational autoencoder: the reparameterized sample and the Gaussian KL term.

An encoder outputs, for each example, the mean ``mu`` and the log-variance ``log_var`` of a diagonal
Gaussian q(z|x) = N(mu, diag(exp(log_var))). Sampling is written as a deterministic function of the
parameters and of noise drawn outside the function (the reparameterization trick, Kingma & Welling 2014;
Rezende et al. 2014):

    z = mu + exp(0.5 * log_var) * eps,   eps ~ N(0, I)

so gradients reach mu and log_var. The KL divergence of q(z|x) from the prior N(0, I) has a closed form:

    KL = 0.5 * sum_j (exp(log_var_j) + mu_j^2 - 1 - log_var_j)

summed over the latent dimensions and averaged over the batch.
"""
import numbers

import numpy as np

__all__ = ["reparameterize_forward", "reparameterize_backward", "gaussian_kl_forward", "gaussian_kl_backward"]


def _float_array(name, value, fn, ndim=2):
    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating) or value.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be a float array of shape (N, K), got {type(value).__name__} "
                         f"with shape {getattr(value, 'shape', None)} and dtype {getattr(value, 'dtype', None)}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{fn}: {name} must be finite (no nan or inf)")


def _same_shape(fn, **arrays):
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"{fn}: " + ", ".join(shapes) + f" must have the same shape (N, K), got {shapes}")


def reparameterize_forward(mu, log_var, eps):
    """The reparameterized sample. mu, log_var, eps (N, K) float -> (z (N, K), cache).

    ``z = mu + exp(0.5 * log_var) * eps``: ``eps`` is standard normal noise drawn by the caller
    (fix it to make the sample, and the gradient check, deterministic).
    """
    for name, a in (("mu", mu), ("log_var", log_var), ("eps", eps)):
        _float_array(name, a, "reparameterize_forward")
    _same_shape("reparameterize_forward", mu=mu, log_var=log_var, eps=eps)
    std = np.exp(0.5 * log_var)
    z = mu + std * eps
    return z, (std, eps)


def reparameterize_backward(dz, cache):
    """Gradients of the reparameterized sample. dz (N, K) = dL/dz, cache -> (dmu (N, K), dlog_var (N, K))."""
    std, eps = cache
    _float_array("dz", dz, "reparameterize_backward")
    _same_shape("reparameterize_backward", dz=dz, cache_eps=eps)
    # dz/dmu = 1
    dmu = dz.copy()
    # dz/dlog_var = 0.5*exp(0.5*log_var)*eps
    dlog_var = dz * 0.5 * std * eps
    return dmu, dlog_var


def gaussian_kl_forward(mu, log_var):
    """KL(N(mu, diag exp(log_var)) || N(0, I)). mu, log_var (N, K) float -> (kl (scalar float), cache).

    The KL of each example is summed over its K latent dimensions; the result is the mean over the N
    examples: ``0.5 / N * sum(exp(log_var) + mu**2 - 1 - log_var)``. It is >= 0, and 0 exactly when
    mu = 0 and log_var = 0.
    """
    for name, a in (("mu", mu), ("log_var", log_var)):
        _float_array(name, a, "gaussian_kl_forward")
    _same_shape("gaussian_kl_forward", mu=mu, log_var=log_var)
    var = np.exp(log_var)
    kl = float(0.5 * np.sum(var + mu * mu - 1.0 - log_var) / mu.shape[0])
    return kl, (mu, var)


def gaussian_kl_backward(cache, dkl=1.0):
    """Gradients of the batch-mean KL. cache, dkl (scalar, dL/dkl) -> (dmu (N, K), dlog_var (N, K))."""
    if not isinstance(dkl, numbers.Real) or not np.isfinite(dkl):
        raise ValueError(f"gaussian_kl_backward: dkl must be a finite number, got {dkl!r}")
    mu, var = cache
    n = mu.shape[0]
    # dKL/dmu = mu / N
    dmu = float(dkl) * mu / n
    # dKL/dlog_var = 0.5 * (exp(log_var) - 1) / N
    dlog_var = float(dkl) * 0.5 * (var - 1.0) / n
    return dmu, dlog_var
