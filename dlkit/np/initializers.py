"""Weight initializers with Keras names and formulas: ``init(shape, dtype, rng) -> array``."""
import math

import numpy as np

from dlkit.np.random import get_rng


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them; conv kernels are (kh, kw, in, out)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def zeros(shape, dtype="float32", rng=None):
    return np.zeros(shape, dtype=dtype)


def ones(shape, dtype="float32", rng=None):
    return np.ones(shape, dtype=dtype)


def random_normal(shape, dtype="float32", rng=None, mean=0.0, stddev=0.05):
    return get_rng(rng).normal(mean, stddev, size=shape).astype(dtype)


def random_uniform(shape, dtype="float32", rng=None, minval=-0.05, maxval=0.05):
    return get_rng(rng).uniform(minval, maxval, size=shape).astype(dtype)


def truncated_normal(shape, dtype="float32", rng=None, mean=0.0, stddev=0.05):
    """Normal samples redrawn until within two standard deviations (as TF does)."""
    rng = get_rng(rng)
    out = rng.normal(size=shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.normal(size=int(bad.sum()))
        bad = np.abs(out) > 2
    return (mean + stddev * out).astype(dtype)


def _variance_scaling(shape, dtype, rng, scale, mode, distribution):
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    var = scale / max(1.0, n)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * var)
        return get_rng(rng).uniform(-limit, limit, size=shape).astype(dtype)
    # 0.8796... is the std of a unit normal truncated at +-2; Keras divides by it
    return truncated_normal(shape, dtype, rng, stddev=math.sqrt(var) / 0.87962566103423978)


def glorot_uniform(shape, dtype="float32", rng=None):
    """Xavier/Glorot uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    return _variance_scaling(shape, dtype, rng, 1.0, "fan_avg", "uniform")


def glorot_normal(shape, dtype="float32", rng=None):
    """Xavier/Glorot normal: truncated N(0, 2 / (fan_in + fan_out))."""
    return _variance_scaling(shape, dtype, rng, 1.0, "fan_avg", "normal")


def he_uniform(shape, dtype="float32", rng=None):
    """He/Kaiming uniform: U(-l, l) with l = sqrt(6 / fan_in)."""
    return _variance_scaling(shape, dtype, rng, 2.0, "fan_in", "uniform")


def he_normal(shape, dtype="float32", rng=None):
    """He/Kaiming normal: truncated N(0, 2 / fan_in)."""
    return _variance_scaling(shape, dtype, rng, 2.0, "fan_in", "normal")


def lecun_normal(shape, dtype="float32", rng=None):
    return _variance_scaling(shape, dtype, rng, 1.0, "fan_in", "normal")


def orthogonal(shape, dtype="float32", rng=None, gain=1.0):
    """Orthogonal matrix (Keras' default for recurrent kernels)."""
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = get_rng(rng).normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).reshape(shape).astype(dtype)


_ALL = {f.__name__: f for f in (zeros, ones, random_normal, random_uniform, truncated_normal,
                                  glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal,
                                  orthogonal)}
_ALL.update(xavier_uniform=glorot_uniform, xavier_normal=glorot_normal)


def get(identifier):
    """An initializer from its Keras name (``"glorot_uniform"``) or a callable."""
    if callable(identifier):
        return identifier
    try:
        return _ALL[identifier]
    except KeyError:
        raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(_ALL)}") from None
