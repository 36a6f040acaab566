"""Embedding layer: integer ids -> dense vectors (Keras name, defaults and weight ``embeddings``).

Forward is a row lookup, ``y = embeddings[ids]``: ids of shape (batch, ...) give (batch, ..., output_dim).
Backward is the transpose of the lookup, a *scatter-add*: every occurrence of id ``k`` adds its
upstream gradient row to ``grads["embeddings"][k]`` (repeated ids accumulate; ``np.add.at``).
Ids are not differentiable: ``backward`` returns zeros shaped like the ids (so generic model code
that chains ``dx`` keeps working).

With ``mask_zero=True`` id 0 is padding: ``compute_mask(ids)`` returns ``ids != 0`` (batch, timesteps),
which ``Sequential``/``Model`` hand to the next layers (RNNs, pooling, attention) as ``mask=``. Id 0
still has an embedding row, so ``input_dim`` must count it (vocabulary size + 1), as in Keras.
"""
import numpy as np

from dlkit.np.base import Layer

__all__ = ["Embedding"]

_INIT_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


class Embedding(Layer):
    """Lookup table ``embeddings (input_dim, output_dim)``, initialised U(-0.05, 0.05) as in Keras.

    Input ids (batch, ...) -> output (batch, ..., output_dim).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 name=None, dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if int(v) != v or v < 1:
                raise ValueError(f"Embedding: {arg} must be a positive integer, got {v!r}")
        self.mask_zero = bool(mask_zero)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _INIT_ALIASES.get(embeddings_initializer, embeddings_initializer)

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)

    def _ids(self, x):
        x = np.asarray(x)
        if x.dtype.kind == "f":
            if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
                raise TypeError(f"Embedding '{self.name}': expected integer ids, got non-integer "
                                f"values of dtype {x.dtype}")
        elif x.dtype.kind not in "iub":
            raise TypeError(f"Embedding '{self.name}': expected integer ids, got dtype {x.dtype}")
        if x.ndim < 1:
            raise ValueError(f"Embedding '{self.name}': expected ids of shape (batch, ...), got a scalar")
        ids = x.astype(np.intp)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids[(ids < 0) | (ids >= self.input_dim)]
            raise IndexError(f"Embedding '{self.name}': ids must lie in [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}), got {bad.size} out-of-range id(s), "
                             f"e.g. {int(bad.flat[0])}")
        return ids

    def _cast_inputs(self, x):
        return self._ids(x)

    def call(self, ids, training=False):
        self._cache = ids
        return self.params["embeddings"][ids]

    def backward(self, dy):
        ids = self._get_cache()
        dy = np.asarray(dy, dtype=self.dtype)
        if dy.shape != ids.shape + (self.output_dim,):
            raise ValueError(f"Embedding '{self.name}': backward expected a gradient of shape "
                             f"{ids.shape + (self.output_dim,)}, got {dy.shape}")
        dW = np.zeros_like(self.params["embeddings"])
        np.add.at(dW, ids.ravel(), dy.reshape(-1, self.output_dim))   # scatter-add
        self.grads["embeddings"] = dW
        return np.zeros(ids.shape, dtype=self.dtype)

    def compute_mask(self, inputs, mask=None):
        """(batch, timesteps) boolean mask, True at real tokens (id != 0); None without ``mask_zero``."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)
