"""TensorFlow mirror of dlkit.np.layers.normalization: ``BatchNormalization``, ``LayerNormalization``.

Same arguments, defaults and weight names/order as dlkit.np and Keras (gamma, beta[, moving_mean,
moving_variance]), written with explicit TF ops (``tf.nn.moments``, ``tf.math.rsqrt``).
"""
import tensorflow as tf
import keras

__all__ = ["BatchNormalization", "LayerNormalization"]


class _Norm(keras.layers.Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if axis not in (-1, None):
            raise ValueError(f"{type(self).__name__}: only axis=-1 is supported, got {axis!r}")
        self.axis, self.epsilon, self.center, self.scale = -1, float(epsilon), center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer

    def build(self, input_shape):
        self.features = int(input_shape[-1])
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=(self.features,),
                                         initializer=self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=(self.features,),
                                        initializer=self.beta_initializer)

    def _check(self, x):
        if x.shape.rank is not None and (x.shape.rank < 2 or x.shape[-1] != self.features):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape "
                             f"(batch, ..., {self.features}), got {tuple(x.shape)}")

    def _affine(self, xhat):
        if self.gamma is not None:
            xhat = xhat * tf.cast(self.gamma, xhat.dtype)
        if self.beta is not None:
            xhat = xhat + tf.cast(self.beta, xhat.dtype)
        return xhat

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}


class LayerNormalization(_Norm):
    """``y = gamma * (x - mean) / sqrt(var + eps) + beta`` over the last axis of (batch, ..., D)."""

    def call(self, x):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        self._check(x)
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return self._affine((x - mean) * tf.math.rsqrt(var + self.epsilon))


class BatchNormalization(_Norm):
    """Batch statistics (over all axes but the last) in training, moving averages at inference."""

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
        self.moving_mean = self.add_weight(name="moving_mean", shape=(self.features,),
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(self.features,),
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)

    def call(self, x, training=None):
        x = tf.convert_to_tensor(x, self.compute_dtype)
        self._check(x)
        mm = tf.cast(self.moving_mean, x.dtype)
        mv = tf.cast(self.moving_variance, x.dtype)
        if training and self.trainable:
            axes = list(range(x.shape.rank - 1))
            mean, var = tf.nn.moments(x, axes=axes)
            self.moving_mean.assign(tf.cast(mm * self.momentum + mean * (1.0 - self.momentum),
                                            self.moving_mean.dtype))
            self.moving_variance.assign(tf.cast(mv * self.momentum + var * (1.0 - self.momentum),
                                                self.moving_variance.dtype))
        else:
            mean, var = mm, mv
        return self._affine((x - mean) * tf.math.rsqrt(var + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}
