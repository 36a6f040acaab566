"""Functional core of the GAN losses, on the discriminator's logits (not its probabilities).

The discriminator D outputs a logit a; D = sigmoid(a) is its probability that the input is real.
Binary cross-entropy with logits, as in ``tf.nn.sigmoid_cross_entropy_with_logits``, written stably::

    bce(a, y) = max(a, 0) - a * y + log(1 + exp(-|a|))

Discriminator (Goodfellow et al. 2014): real -> label 1, fake -> label 0, each batch averaged:
``mean(bce(real, 1)) + mean(bce(fake, 0))``.
Generator, non-saturating: ``mean(-log D(G(z))) = mean(bce(fake, 1))``;
saturating (the minimax game's own term): ``mean(log(1 - D(G(z)))) = -mean(bce(fake, 0))``.
"""
import numpy as np

__all__ = ["gan_discriminator_loss_forward", "gan_discriminator_loss_backward",
           "gan_generator_loss_forward", "gan_generator_loss_backward"]


def _logits(name, value, fn):
    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating) or value.size == 0:
        raise ValueError(f"{fn}: {name} must be a non-empty float array of logits, shape (N,) or (N, 1), got "
                         f"{type(value).__name__} with shape {getattr(value, 'shape', None)}")
    if value.ndim not in (1, 2) or (value.ndim == 2 and value.shape[1] != 1):
        raise ValueError(f"{fn}: {name} must have shape (N,) or (N, 1), got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{fn}: {name} must be finite (no nan or inf)")


def _sigmoid(a):
    """Stable logistic function: never evaluates exp of a large positive number."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _bce(a, y):
    """Binary cross-entropy of logits a against the label y (0 or 1), elementwise and stable."""
    return np.maximum(a, 0.0) - a * y + np.log1p(np.exp(-np.abs(a)))


def gan_discriminator_loss_forward(real_logits, fake_logits):
    """Discriminator loss. real_logits (N,) or (N, 1), fake_logits (M,) or (M, 1) -> (loss (scalar), cache).

    ``loss = mean(bce(real_logits, 1)) + mean(bce(fake_logits, 0))``: each batch is averaged separately,
    as two calls of Keras ``BinaryCrossentropy(from_logits=True)`` would. Stable for logits of any size.
    """
    fn = "gan_discriminator_loss_forward"
    _logits("real_logits", real_logits, fn)
    _logits("fake_logits", fake_logits, fn)
    loss = float(np.mean(_bce(real_logits, 1.0)) + np.mean(_bce(fake_logits, 0.0)))
    return loss, (real_logits, fake_logits)


def gan_discriminator_loss_backward(cache):
    """Gradients of the discriminator loss. cache -> (d_real (like real_logits), d_fake (like fake_logits))."""
    real, fake = cache
    # dbce(a, y)/da = sigmoid(a) - y, divided by the batch size of the mean
    d_real = (_sigmoid(real) - 1.0) / real.size
    d_fake = _sigmoid(fake) / fake.size
    return d_real, d_fake


def gan_generator_loss_forward(fake_logits, non_saturating=True):
    """Generator loss. fake_logits (M,) or (M, 1) = D's logits on generated samples -> (loss (scalar), cache).

    ``non_saturating=True``: ``mean(-log D(G(z))) = mean(bce(fake_logits, 1))``, the loss used in practice.
    ``non_saturating=False``: ``mean(log(1 - D(G(z)))) = -mean(bce(fake_logits, 0))``, the minimax game's
    term, whose gradient vanishes when D confidently rejects the samples (logits very negative).
    """
    fn = "gan_generator_loss_forward"
    _logits("fake_logits", fake_logits, fn)
    if not isinstance(non_saturating, (bool, np.bool_)):
        raise ValueError(f"{fn}: non_saturating must be True or False, got {non_saturating!r}")
    if non_saturating:
        loss = float(np.mean(_bce(fake_logits, 1.0)))
    else:
        loss = float(-np.mean(_bce(fake_logits, 0.0)))
    return loss, (fake_logits, bool(non_saturating))


def gan_generator_loss_backward(cache):
    """Gradient of the generator loss with respect to the fake logits. cache -> d_fake (like fake_logits)."""
    fake, non_saturating = cache
    if non_saturating:
        # d(-log sigmoid(a))/da = sigmoid(a) - 1: about -1 when D rejects the sample (a << 0)
        return (_sigmoid(fake) - 1.0) / fake.size
    # d(log(1 - sigmoid(a)))/da = -sigmoid(a): about 0 when D rejects the sample (a << 0)
    return -_sigmoid(fake) / fake.size
