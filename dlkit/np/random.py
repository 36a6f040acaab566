"""One seeded NumPy generator shared by dlkit.np (weights, dropout masks, shuffling)."""
import numpy as np

_rng = np.random.default_rng(0)


def set_seed(seed):
    """Make everything dlkit.np draws afterwards reproducible (like ``keras.utils.set_random_seed``)."""
    global _rng
    _rng = np.random.default_rng(seed)
    np.random.seed(seed)


def get_rng(rng=None):
    """``rng`` if given (a Generator or an int seed), else the shared generator."""
    if rng is None:
        return _rng
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)
