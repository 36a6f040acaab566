"""Functional core: batch and layer normalization, channels-last (CS231n style).

Both normalize ``xhat = (x - mean) / sqrt(var + eps)`` and return ``y = gamma * xhat + beta``;
they differ in *which* axes the statistics are taken over:

- batch norm: over every axis but the last (batch, and height/width for images), one mean per feature;
- layer norm: over the last axis only, one mean per example (and position).

Variances are biased (divide by the count, as Keras does).
"""
import numpy as np

__all__ = ["batchnorm_forward", "batchnorm_backward", "batchnorm_inference",
           "layernorm_forward", "layernorm_backward"]


def _norm_backward(dout, xhat, inv_std, gamma, axes):
    """Shared backward of ``y = gamma * (x - mean(x)) * inv_std + beta`` with stats over ``axes``.

    dx = inv_std / M * (M * g - sum(g) - xhat * sum(g * xhat)),  g = dout * gamma.
    """
    m = np.prod([xhat.shape[a] for a in axes])
    g = dout * gamma
    sum_g = g.sum(axis=axes, keepdims=True)
    sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
    return (inv_std / m) * (m * g - sum_g - xhat * sum_gx)


def batchnorm_forward(x, gamma, beta, epsilon=1e-3):
    """Batch normalization in training mode, statistics over all axes but the last.

    Inputs:
    - x: (N, D) or (N, H, W, C): features on the last axis
    - gamma, beta: (D,) (or (C,)): scale and shift
    - epsilon: added to the variance

    Returns (out, cache, mean, var): out has x's shape; mean, var: (D,) batch statistics (biased var),
    which the layer uses to update its moving averages.
    """
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    xc = x - mean
    var = np.mean(xc * xc, axis=axes)
    inv_std = 1.0 / np.sqrt(var + epsilon)
    xhat = xc * inv_std
    out = xhat * gamma + beta
    return out, (xhat, inv_std, gamma), mean, var


def batchnorm_backward(dout, cache):
    """Backward of :func:`batchnorm_forward`.

    Inputs: dout: same shape as x; cache from the forward pass.
    Returns (dx, dgamma, dbeta): dx like x; dgamma, dbeta: (D,).
    """
    xhat, inv_std, gamma = cache
    axes = tuple(range(dout.ndim - 1))
    dgamma = (dout * xhat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    dx = _norm_backward(dout, xhat, inv_std, gamma, axes)
    return dx, dgamma, dbeta


def batchnorm_inference(x, gamma, beta, moving_mean, moving_var, epsilon=1e-3):
    """Batch normalization at inference, with the moving statistics (all (D,)); returns (out, cache).

    The result is an affine map of x, so backward is dx = dout * gamma / sqrt(moving_var + eps).
    """
    inv_std = 1.0 / np.sqrt(moving_var + epsilon)
    xhat = (x - moving_mean) * inv_std
    return xhat * gamma + beta, (xhat, inv_std, gamma)


def layernorm_forward(x, gamma, beta, epsilon=1e-3):
    """Layer normalization over the last axis.

    Inputs:
    - x: (..., D), e.g. (N, D) or (N, T, D)
    - gamma, beta: (D,)
    Returns (out, cache); out: (..., D).
    """
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + epsilon)
    xhat = xc * inv_std
    return xhat * gamma + beta, (xhat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Backward of :func:`layernorm_forward`.

    Inputs: dout: (..., D). Returns (dx, dgamma, dbeta): dx: (..., D); dgamma, dbeta: (D,).
    """
    xhat, inv_std, gamma = cache
    batch_axes = tuple(range(dout.ndim - 1))
    dgamma = (dout * xhat).sum(axis=batch_axes)
    dbeta = dout.sum(axis=batch_axes)
    dx = _norm_backward(dout, xhat, inv_std, gamma, (dout.ndim - 1,))
    return dx, dgamma, dbeta
