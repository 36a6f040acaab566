"""Embedding layer: integer ids -> dense vectors (Keras name, defaults and weight ``embeddings``).

Forward is a row lookup, ``y = embeddings[ids]``: ids of shape (batch, ...) give (batch, ..., output_dim).
Backward is the transpose of the lookup, a *scatter-add*: every occurrence of id ``k`` adds its
upstream gradient row to ``grads["embeddings"][k]`` (repeated ids accumulate; ``np.add.at``).
Ids are not differentiable: ``backward`` returns zeros shaped like the ids (so generic model code
that chains ``dx`` keeps working).
"""
import numpy as np

from dlkit.np.base import Layer

__all__ = ["Embedding"]

_INIT_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


class Embedding(Layer):
    """Lookup table ``embeddings (input_dim, output_dim)``, initialised U(-0.05, 0.05) as in Keras."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 name=None, dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if int(v) != v or v < 1:
                raise ValueError(f"Embedding: {arg} must be a positive integer, got {v!r}")
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero=True (Keras masking) is not supported by "
                                      "dlkit.np; pad with an ordinary id instead")
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

    def __call__(self, x, training=False):
        ids = self._ids(x)
        if not self.built:
            self.input_shape = (None,) + tuple(ids.shape[1:])
            self.build(ids.shape)
            self.built = True
        return self.forward(ids, training=training)

    def forward(self, ids, training=False):
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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)
