"""Optimizers with the Keras 3 update formulas and defaults, updating NumPy arrays in place.

``opt.apply_gradients([(grad, param), ...])`` performs one step: optional gradient clipping, decoupled
weight decay ``p -= lr * weight_decay * p`` (Keras applies it in the base class, before the update), then
the optimizer's own rule. State (momentum, velocity, ...) is kept per parameter, keyed by ``id(param)``
together with a reference to the array, so ids cannot be recycled. ``learning_rate`` may be a float or a
schedule ``lr(step)`` evaluated at ``opt.iterations`` (the number of steps already taken).

>>> import numpy as np
>>> w = np.array([1.0, -2.0]); opt = SGD(learning_rate=0.1)
>>> opt.apply_gradients([(np.array([1.0, 1.0]), w)]); w
array([ 0.9, -2.1])
"""
import math

import numpy as np

from dlkit.np import schedules  # noqa: F401  (dlkit.np.optimizers.schedules, as in Keras)
from dlkit.np.schedules import CosineDecay, ExponentialDecay, LearningRateSchedule  # noqa: F401

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "ExponentialDecay", "CosineDecay",
           "LearningRateSchedule", "get"]


class Optimizer:
    """Base class: learning-rate handling, clipping, weight decay, per-parameter state, iterations."""

    _state_names = ()

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue and global_clipnorm can be set")
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._state = {}  # id(param) -> (param, dict of state arrays incl. a scratch buffer "_tmp")

    # -- learning rate ----------------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate used by the next step (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            value = float(value)
            if not value >= 0:
                raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0, got {value}")
        self._learning_rate = value

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self, param):
        entry = self._state.get(id(param))
        if entry is None or entry[0] is not param:
            st = {n: np.zeros_like(param) for n in self._state_names if self._uses_state(n)}
            st["_tmp"] = np.empty_like(param)
            entry = self._state[id(param)] = (param, st)
        return entry[1]

    def _uses_state(self, name):
        return True

    def variables(self):
        """Optimizer state arrays (the scratch buffers excluded)."""
        return [a for _, st in self._state.values() for k, a in st.items() if k != "_tmp"]

    # -- stepping ---------------------------------------------------------------------------------
    def _clip(self, grads):
        if self.clipnorm:
            out = []
            for g in grads:
                n = math.sqrt(float(np.vdot(g, g)))
                out.append(g * (self.clipnorm / max(n, self.clipnorm)))
            return out
        if self.global_clipnorm:
            n = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            scale = self.global_clipnorm * min(1.0 / n if n else math.inf, 1.0 / self.global_clipnorm)
            return [g * scale for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars):
        """One optimisation step on ``[(grad, param), ...]``; params are updated in place."""
        pairs = [(g, p) for g, p in grads_and_vars if g is not None]
        if not pairs:
            return
        lr = self.learning_rate
        grads = [g if (type(g) is np.ndarray and g.dtype == p.dtype) else np.asarray(g, dtype=p.dtype)
                 for g, p in pairs]
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            grads = self._clip(grads)
        wd = self.weight_decay
        for g, (_, p) in zip(grads, pairs):
            if g.shape != p.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} does not match "
                                 f"parameter of shape {p.shape}")
            if wd:
                p -= p * (wd * lr)
            self._update(g, p, lr, self._get_state(p))
        self.iterations += 1

    def apply(self, grads, params):
        """Keras-3 style ``apply(grads, variables)``."""
        self.apply_gradients(zip(grads, params))

    def _update(self, g, p, lr, st):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} learning_rate={self.learning_rate:g} iterations={self.iterations}>"


class SGD(Optimizer):
    """``w -= lr * g``; with momentum ``v = momentum * v - lr * g; w += v``;
    Nesterov: ``v = momentum * v - lr * g; w += momentum * v - lr * g``."""

    _state_names = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, **kwargs):
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a float in [0, 1], got {momentum}")
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _uses_state(self, name):
        return self.momentum != 0

    def _update(self, g, p, lr, st):
        tmp = st["_tmp"]
        np.multiply(g, lr, out=tmp)
        if self.momentum == 0:
            p -= tmp
            return
        m = st["momentum"]
        m *= self.momentum
        m -= tmp
        if self.nesterov:
            p -= tmp
            np.multiply(m, self.momentum, out=tmp)
        else:
            tmp[...] = m
        p += tmp


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g**2``; ``inc = lr * g / sqrt(v + eps)`` (centered: the denominator is
    ``sqrt(v - a**2 + eps)`` with ``a = rho * a + (1 - rho) * g``); momentum: ``m = momentum * m + inc``,
    ``w -= m``; otherwise ``w -= inc``."""

    _state_names = ("velocity", "momentum", "average_gradient")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _uses_state(self, name):
        return {"velocity": True, "momentum": self.momentum > 0, "average_gradient": self.centered}[name]

    def _update(self, g, p, lr, st):
        rho, tmp, v = self.rho, st["_tmp"], st["velocity"]
        np.square(g, out=tmp)
        tmp *= 1 - rho
        v *= rho
        v += tmp
        if self.centered:
            a = st["average_gradient"]
            a *= rho
            np.multiply(g, 1 - rho, out=tmp)
            a += tmp
            np.square(a, out=tmp)
            np.subtract(v, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(v, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        if self.momentum > 0:
            m = st["momentum"]
            m *= self.momentum
            m += tmp
            p -= m
        else:
            p -= tmp


class Adam(Optimizer):
    """``m += (1 - beta_1) * (g - m)``; ``v += (1 - beta_2) * (g**2 - v)``;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + eps)`` with ``t = iterations + 1``
    (AMSGrad uses ``v_hat = max(v_hat, v)`` instead of ``v``)."""

    _state_names = ("momentum", "velocity", "velocity_hat")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _uses_state(self, name):
        return name != "velocity_hat" or self.amsgrad

    def _update(self, g, p, lr, st):
        b1, b2 = self.beta_1, self.beta_2
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m, v, tmp = st["momentum"], st["velocity"], st["_tmp"]
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        np.square(g, out=tmp)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        if self.amsgrad:
            np.maximum(st["velocity_hat"], v, out=st["velocity_hat"])
            v = st["velocity_hat"]
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        p -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay ``w -= lr * weight_decay * w`` (default 0.004, as Keras)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float, got None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, **kwargs)


_ALL = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(identifier):
    """An optimizer from a Keras name (``"adam"``, ``"sgd"``, ``"rmsprop"``, ``"adamw"``; Keras defaults) or
    an :class:`Optimizer` instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _ALL:
        return _ALL[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected an Optimizer instance or one of "
                     f"{sorted(_ALL)}")
