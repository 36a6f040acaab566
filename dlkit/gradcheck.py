"""Numerical gradients by central differences, to check hand-written backward passes (CS231n style)."""
import numpy as np


def rel_error(a, b, floor=1e-8):
    """``max(|a - b| / max(floor, |a| + |b|))`` over the elements, as in CS231n (shapes must match)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))))


def scaled_rel_error(analytic, numeric, scale=1e-3):
    """rel_error in which entries far smaller than the tensor's largest are judged against that scale.

    Central differences carry an absolute noise of about ``eps * |f| / h``; for a gradient entry a thousand
    times smaller than the largest one that noise alone can exceed 1e-7 relative, so the floor of the
    denominator is ``scale * max(|analytic|, |numeric|)``. A wrong backward still gives errors ~1e-1.
    """
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    top = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    return rel_error(a, n, floor=max(1e-300, scale * top))


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """Gradient of a scalar function ``f(x)`` at ``x`` (modified in place and restored).

    # df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient of ``sum(f(x) * df)`` w.r.t. ``x``: the vector-Jacobian product a backward pass computes."""
    df = np.asarray(df)
    return eval_numerical_gradient(lambda v: np.sum(np.asarray(f(v)) * df), x, h=h)


def check_layer(layer, x, h=1e-5, seed=0, training=False):
    """Relative errors of ``layer.backward`` against central differences, for the input and every weight.

    ``x`` and the layer should be float64. Returns ``{"x": err, "<weight>": err, ...}`` measured with
    :func:`scaled_rel_error`; asserts nothing.
    Stochastic layers should be checked with ``training=False`` or a fixed mask.
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    y = layer(x, training=training)
    dy = rng.standard_normal(np.shape(y))
    dx = layer.backward(dy)
    analytic = {"x": dx, **{k: np.array(g) for k, g in layer.grads.items()}}

    def loss_of(_):
        return np.sum(layer(x, training=training) * dy)

    errors = {"x": scaled_rel_error(dx, eval_numerical_gradient(loss_of, x, h=h))}
    for name in layer.grads:
        numeric = eval_numerical_gradient(loss_of, layer.params[name], h=h)
        errors[name] = scaled_rel_error(analytic[name], numeric)
    return errors
