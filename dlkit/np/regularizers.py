"""Weight regularizers with Keras names: ``penalty = reg(w)``, its gradient ``reg.gradient(w)``.

>>> import numpy as np
>>> reg = L2(0.01); float(reg(np.array([1.0, 2.0])))
0.05
"""
import numpy as np

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get"]


class Regularizer:
    def __call__(self, w):
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``; gradient ``l1 * sign(w) + 2 * l2 * w``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        out = 0.0
        if self.l1:
            out += self.l1 * np.sum(np.abs(w))
        if self.l2:
            out += self.l2 * np.sum(np.square(w))
        return out

    def gradient(self, w):
        g = np.zeros_like(w)
        if self.l1:
            g += self.l1 * np.sign(w)
        if self.l2:
            g += (2 * self.l2) * w
        return g

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(L1L2):
    """``l1 * sum(|w|)`` (Keras default l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(L1L2):
    """``l2 * sum(w**2)`` (Keras default l2=0.01); gradient ``2 * l2 * w``."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


_ALL = {"l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": L1L2}


def get(identifier):
    """``None`` -> ``None``; a Regularizer (returned as is), a Keras name ("l1", "l2", "l1_l2") or a
    callable."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _ALL:
        return _ALL[identifier.lower()]()
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown regularizer {identifier!r}; expected None, a Regularizer or one of "
                     f"{sorted(_ALL)}")
