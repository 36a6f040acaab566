"""TensorFlow mirror of dlkit.np.losses: ``keras.losses.Loss`` subclasses written with explicit TF ops.

``call`` returns the per-sample loss (y_pred.shape[:-1]); Keras' ``Loss.__call__`` averages it over the
batch ("sum_over_batch_size"), so instances work in ``model.compile(loss=...)``. Gradients come from
tf.GradientTape. Pass ``dtype="float64"`` to compute in float64 (Keras losses default to float32).
"""
import keras
import tensorflow as tf

from dlkit.np.losses import registry

__all__ = ["EPSILON", "log_softmax", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get"]

from dlkit.shared import EPSILON  # noqa: E402  (shared with dlkit.np)


def log_softmax(z, axis=-1):
    """z - logsumexp(z), stable."""
    return z - tf.reduce_logsumexp(z, axis=axis, keepdims=True)


def _same_rank(t, p):
    """Keras' rule: a trailing axis of size 1 may be missing on one side."""
    if t.shape.rank == p.shape.rank + 1 and t.shape[-1] == 1:
        t = tf.squeeze(t, -1)
    elif p.shape.rank == t.shape.rank + 1 and p.shape[-1] == 1:
        t = tf.expand_dims(t, -1)
    return tf.cast(t, p.dtype), p


class _Base(keras.losses.Loss):
    def __init__(self, from_logits=False, name=None, **kwargs):
        super().__init__(name=name or self._default_name, **kwargs)
        self.from_logits = from_logits


class MeanSquaredError(_Base):
    """Per sample: mean((t - p)^2) over the last axis."""

    _default_name = "mean_squared_error"

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        t, p = _same_rank(y_true, y_pred)
        return tf.reduce_mean(tf.square(t - p), axis=-1)


class MeanAbsoluteError(_Base):
    """Per sample: ``mean |t - p|`` over the last axis."""

    _default_name = "mean_absolute_error"

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        t, p = _same_rank(y_true, y_pred)
        return tf.reduce_mean(tf.abs(t - p), axis=-1)


class BinaryCrossentropy(_Base):
    """Per sample: mean over the last axis of -(t log p + (1 - t) log(1 - p)), p clipped to
    [eps, 1 - eps]; with logits z: ``max(z, 0) - z t + log(1 + exp(-|z|))``."""

    _default_name = "binary_crossentropy"

    def call(self, y_true, y_pred):
        t, p = _same_rank(y_true, y_pred)
        if self.from_logits:
            per = tf.maximum(p, 0) - p * t + tf.math.log1p(tf.exp(-tf.abs(p)))
        else:
            q = tf.clip_by_value(p, EPSILON, 1 - EPSILON)
            per = -(t * tf.math.log(q) + (1 - t) * tf.math.log(1 - q))
        return tf.reduce_mean(per, axis=-1)


class CategoricalCrossentropy(_Base):
    """Per sample: -sum_c t_c log p_c; probabilities renormalised to sum 1 then clipped (as Keras)."""

    _default_name = "categorical_crossentropy"

    def call(self, y_true, y_pred):
        t, p = tf.cast(y_true, y_pred.dtype), y_pred
        if self.from_logits:
            return -tf.reduce_sum(t * log_softmax(p), axis=-1)
        q = tf.clip_by_value(p / tf.reduce_sum(p, axis=-1, keepdims=True), EPSILON, 1 - EPSILON)
        return -tf.reduce_sum(t * tf.math.log(q), axis=-1)


class SparseCategoricalCrossentropy(_Base):
    """Per sample: -log p[y] for integer labels y in [0, C); probabilities are clipped and their log
    treated as logits (as Keras)."""

    _default_name = "sparse_categorical_crossentropy"

    def call(self, y_true, y_pred):
        p = y_pred
        y = tf.convert_to_tensor(y_true)
        if y.shape.rank == p.shape.rank and y.shape[-1] == 1:
            y = tf.squeeze(y, -1)
        y = tf.cast(y, tf.int64)
        z = p if self.from_logits else tf.math.log(tf.clip_by_value(p, EPSILON, 1 - EPSILON))
        onehot = tf.one_hot(y, tf.shape(p)[-1], dtype=p.dtype)
        return -tf.reduce_sum(onehot * log_softmax(z), axis=-1)


_ALL = registry(globals())


def get(identifier):
    """A loss instance from a Keras string, a class, or an instance (returned as is)."""
    if isinstance(identifier, keras.losses.Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, keras.losses.Loss):
        return identifier()
    if isinstance(identifier, str) and identifier in _ALL:
        return _ALL[identifier]()
    raise ValueError(f"unknown loss {identifier!r}; expected one of {sorted(_ALL)} or a Loss instance")
