"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization`` (channels-last, Keras defaults).

BatchNormalization normalizes each feature (last axis) with the batch statistics in training and with
moving averages at inference; weights in Keras order ``gamma, beta, moving_mean, moving_variance``.
LayerNormalization normalizes each example over its last axis; weights ``gamma, beta``.
"""
import numpy as np

from dlkit.np.base import Layer
from dlkit.np.functional import normalization as F

__all__ = ["BatchNormalization", "LayerNormalization"]


def _check_axis(layer, axis):
    if axis not in (-1, None):
        raise ValueError(f"{layer}: only axis=-1 (channels-last / feature axis) is supported, got {axis!r}")


class _Norm(Layer):
    """Shared weight handling: ``gamma`` (if scale) and ``beta`` (if center) of shape (features,)."""

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", name=None, dtype="float32", trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        _check_axis(type(self).__name__, axis)
        self.axis, self.epsilon, self.center, self.scale = -1, float(epsilon), center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer

    def check_input(self, x):
        if x.ndim < 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, ..., features), got {x.shape}")
        if self.built and x.shape[-1] != self.features:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, ..., {self.features}), got {x.shape}")

    def build(self, input_shape):
        self.features = int(input_shape[-1])
        if self.scale:
            self.add_weight("gamma", (self.features,), self.gamma_initializer)
        if self.center:
            self.add_weight("beta", (self.features,), self.beta_initializer)

    def _gamma_beta(self):
        one = np.ones(self.features, self.dtype)
        return self.params.get("gamma", one), self.params.get("beta", 0 * one)

    def _store_grads(self, dgamma, dbeta):
        if self.scale:
            self.grads["gamma"] = dgamma.astype(self.dtype, copy=False)
        if self.center:
            self.grads["beta"] = dbeta.astype(self.dtype, copy=False)


class LayerNormalization(_Norm):
    """Normalize each example over its last axis: ``y = gamma * (x - mean) / sqrt(var + eps) + beta``.

    Input (batch, ..., D) -> output of the same shape; ``gamma, beta``: (D,).
    """

    def call(self, x, training=False):
        gamma, beta = self._gamma_beta()
        out, self._cache = F.layernorm_forward(x, gamma, beta, self.epsilon)
        return out

    def backward(self, dy):
        dx, dgamma, dbeta = F.layernorm_backward(np.asarray(dy, self.dtype), self._get_cache())
        self._store_grads(dgamma, dbeta)
        return dx


class BatchNormalization(_Norm):
    """Normalize each feature (last axis) over the batch (and spatial axes).

    Training: batch statistics, and ``moving = momentum * moving + (1 - momentum) * batch``.
    Inference: ``y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta``.
    Input (batch, ..., C) -> same shape; weights (C,) in Keras order gamma, beta, moving_mean,
    moving_variance (the last two are not trainable).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer, **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer

    def build(self, input_shape):
        super().build(input_shape)
        self.add_weight("moving_mean", (self.features,), self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", (self.features,), self.moving_variance_initializer,
                        trainable=False)

    def call(self, x, training=False):
        gamma, beta = self._gamma_beta()
        if training and self.trainable:  # Keras: a frozen BatchNormalization runs in inference mode
            out, cache, mean, var = F.batchnorm_forward(x, gamma, beta, self.epsilon)
            m = self.momentum
            self.params["moving_mean"][...] = m * self.params["moving_mean"] + (1 - m) * mean
            self.params["moving_variance"][...] = m * self.params["moving_variance"] + (1 - m) * var
            self._cache = ("train", cache)
        else:
            out, cache = F.batchnorm_inference(x, gamma, beta, self.params["moving_mean"],
                                               self.params["moving_variance"], self.epsilon)
            self._cache = ("infer", cache)
        return out

    def backward(self, dy):
        mode, cache = self._get_cache()
        dy = np.asarray(dy, self.dtype)
        if mode == "train":
            dx, dgamma, dbeta = F.batchnorm_backward(dy, cache)
        else:
            xhat, inv_std, gamma = cache
            axes = tuple(range(dy.ndim - 1))
            dx, dgamma, dbeta = dy * (gamma * inv_std), (dy * xhat).sum(axis=axes), dy.sum(axis=axes)
        self._store_grads(dgamma, dbeta)
        return dx
