"""What Dense and Conv2D (and other kernel layers) share: y = activation(affine(x)), a kernel and a bias, their regularizers."""
import numpy as np

from dlkit.np import activations
from dlkit.np.base import Layer


def get_regularizer(identifier):
    if identifier is None:
        return None
    from dlkit.np import regularizers  # lazy: only needed when a regularizer is set
    return regularizers.get(identifier)


class KernelLayer(Layer):
    """Base of layers computing ``activation(affine(x; kernel, bias))``.

    Subclasses implement ``_affine_forward(x) -> (z, cache)`` and
    ``_affine_backward(dz, cache, need_dx) -> (dx, dkernel, dbias)``.
    """

    def __init__(self, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 dtype="float32", name=None, trainable=True):
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)

    def _add_kernel_and_bias(self, kernel_shape, units):
        self.add_weight("kernel", kernel_shape, self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (units,), self.bias_initializer)

    def call(self, x, training=False):
        z, affine_cache = self._affine_forward(x)
        y, act_cache = self.activation.forward(z)
        self._cache = (affine_cache, act_cache)
        return y

    def backward(self, dy):
        affine_cache, act_cache = self._get_cache()
        dz = self.activation.backward(np.asarray(dy, dtype=self.dtype), act_cache)
        dx, dW, db = self._affine_backward(dz, affine_cache, self.input_gradient)
        # a penalty R(W) added to the loss adds dR/dW to the gradient
        if self.kernel_regularizer is not None:
            dW = dW + self.kernel_regularizer.gradient(self.params["kernel"])
        self.grads["kernel"] = dW
        if self.use_bias:
            if self.bias_regularizer is not None:
                db = db + self.bias_regularizer.gradient(self.params["bias"])
            self.grads["bias"] = db
        return dx

    @property
    def losses(self):
        """Regularization penalties of the current weights (what Keras adds to the training loss)."""
        out = []
        if self.built and self.kernel_regularizer is not None:
            out.append(self.kernel_regularizer(self.params["kernel"]))
        if self.built and self.use_bias and self.bias_regularizer is not None:
            out.append(self.bias_regularizer(self.params["bias"]))
        return out


AffineLayer = KernelLayer  # the earlier name
