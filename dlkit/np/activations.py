"""Activation functions with Keras names and defaults, and their derivatives.

Each activation has a forward function (``relu(x)``) and an elementwise derivative (``relu_grad(x)``);
softmax instead has ``softmax_backward(dy, y)``, the vector-Jacobian product along the last axis.
``get(name)`` returns an :class:`ActivationFunction` with ``forward(x) -> (y, cache)`` and
``backward(dy, cache) -> dx``, which layers use to chain the derivative into backprop:
``dL/dx = dL/dy * f'(x)`` elementwise.
"""
import math

import numpy as np

__all__ = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu",
           "softmax", "linear_grad", "sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad",
           "elu_grad", "gelu_grad", "softplus_grad", "silu_grad", "softmax_backward",
           "ActivationFunction", "get"]


def linear(x):
    """Identity: f(x) = x. Range (-inf, inf)."""
    return np.asarray(x)


def linear_grad(x):
    """f'(x) = 1."""
    return np.ones_like(x)


def sigmoid(x):
    """Logistic sigmoid: f(x) = 1 / (1 + exp(-x)). Range (0, 1).

    Computed from ``exp(-|x|)`` so it never overflows.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    """f'(x) = s(x) (1 - s(x)), at most 1/4 (at x = 0)."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent: f(x) = (e^x - e^-x) / (e^x + e^-x) = 2 s(2x) - 1. Range (-1, 1)."""
    return np.tanh(x)


def tanh_grad(x):
    """f'(x) = 1 - tanh(x)^2, at most 1 (at x = 0)."""
    return 1 - np.tanh(x) ** 2


def relu(x):
    """Rectified linear unit: f(x) = max(0, x). Range [0, inf)."""
    x = np.asarray(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x):
    """f'(x) = 1 if x > 0 else 0 (we take 0 at x = 0, as TensorFlow does)."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: f(x) = x if x > 0 else negative_slope * x. Range (-inf, inf).

    Keras 3 ``keras.activations.leaky_relu`` defaults to ``negative_slope=0.2``
    (the ``keras.layers.LeakyReLU`` layer defaults to 0.3).
    """
    x = np.asarray(x)
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_grad(x, negative_slope=0.2):
    """f'(x) = 1 if x > 0 else negative_slope."""
    x = np.asarray(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def elu(x, alpha=1.0):
    """Exponential linear unit: f(x) = x if x > 0 else alpha (e^x - 1). Range (-alpha, inf)."""
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_grad(x, alpha=1.0):
    """f'(x) = 1 if x > 0 else alpha e^x."""
    x = np.asarray(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _erf(x):
    from scipy.special import erf  # scipy ships with scikit-learn; imported lazily
    return erf(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit: f(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)). Range (~-0.17, inf).

    ``approximate=True`` uses the tanh form x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    Keras defaults to the exact erf form.
    """
    x = np.asarray(x)
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def gelu_grad(x, approximate=False):
    """f'(x) = Phi(x) + x phi(x), with phi the standard normal density (exact form)."""
    x = np.asarray(x)
    if approximate:
        c = math.sqrt(2 / math.pi)
        u = c * (x + 0.044715 * x ** 3)
        t = np.tanh(u)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * c * (1 + 3 * 0.044715 * x ** 2)
    cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
    pdf = np.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
    return (cdf + x * pdf).astype(x.dtype, copy=False)


def softplus(x):
    """Softplus: f(x) = log(1 + e^x), computed as logaddexp(0, x). Range (0, inf)."""
    return np.logaddexp(0, np.asarray(x))


def softplus_grad(x):
    """f'(x) = sigmoid(x)."""
    return sigmoid(x)


def silu(x):
    """SiLU / swish: f(x) = x sigmoid(x). Range (~-0.28, inf)."""
    x = np.asarray(x)
    return x * sigmoid(x)


def silu_grad(x):
    """f'(x) = s(x) (1 + x (1 - s(x)))."""
    s = sigmoid(x)
    return s * (1 + np.asarray(x) * (1 - s))


def softmax(x, axis=-1):
    """Softmax along ``axis``: y_i = e^{x_i} / sum_j e^{x_j}. Each slice lies in (0, 1) and sums to 1.

    Stable: the maximum is subtracted first (softmax(x) = softmax(x - c) for any constant c).
    """
    x = np.asarray(x)
    z = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return z / np.sum(z, axis=axis, keepdims=True)


def softmax_backward(dy, y, axis=-1):
    """Vector-Jacobian product of softmax: dx = y * (dy - sum(dy * y)).

    The Jacobian is dy_i/dx_j = y_i (delta_ij - y_j); multiplying by the upstream dy gives the formula
    above without forming the (C, C) matrix. ``y`` is the softmax output.
    """
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


class ActivationFunction:
    """An activation usable in backprop: ``forward(x) -> (y, cache)``, ``backward(dy, cache) -> dx``."""

    def __init__(self, name, fn, grad=None, vjp=None, **kwargs):
        self.name, self.fn, self.grad, self.vjp, self.kwargs = name, fn, grad, vjp, kwargs

    def __call__(self, x):
        return self.fn(x, **self.kwargs)

    def forward(self, x):
        y = self.fn(x, **self.kwargs)
        y = np.asarray(y).astype(np.asarray(x).dtype, copy=False)
        return y, (x, y)

    def backward(self, dy, cache):
        x, y = cache
        if self.grad is linear_grad:
            return dy  # dy * 1: skip allocating and multiplying by an array of ones
        if self.vjp is not None:
            return self.vjp(dy, y)
        return dy * self.grad(x, **self.kwargs)

    def __repr__(self):
        return f"<ActivationFunction {self.name}>"


_TABLE = {
    "linear": (linear, linear_grad, None), "sigmoid": (sigmoid, sigmoid_grad, None),
    "tanh": (tanh, tanh_grad, None), "relu": (relu, relu_grad, None),
    "leaky_relu": (leaky_relu, leaky_relu_grad, None), "elu": (elu, elu_grad, None),
    "gelu": (gelu, gelu_grad, None), "softplus": (softplus, softplus_grad, None),
    "silu": (silu, silu_grad, None), "softmax": (softmax, None, softmax_backward),
}
_ALIASES = {"swish": "silu", None: "linear"}


def get(identifier=None):
    """An :class:`ActivationFunction` from a Keras name (``"relu"``), one of this module's functions,
    an ``ActivationFunction``, or ``None`` (linear)."""
    if isinstance(identifier, ActivationFunction):
        return identifier
    if callable(identifier):
        for name, (fn, _, _) in _TABLE.items():
            if identifier is fn:
                identifier = name
                break
        else:
            if hasattr(identifier, "forward") and hasattr(identifier, "backward"):
                return identifier
            raise ValueError(f"activation {identifier!r} has no known derivative; pass a name from "
                             f"{sorted(_TABLE)} or an object with forward(x) and backward(dy, cache)")
    name = _ALIASES.get(identifier, identifier)
    if name not in _TABLE:
        raise ValueError(f"unknown activation {identifier!r}; expected one of {sorted(_TABLE)} or None")
    fn, grad, vjp = _TABLE[name]
    return ActivationFunction(name, fn, grad, vjp)
