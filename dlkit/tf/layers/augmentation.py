"""TensorFlow mirror of dlkit.np.layers.augmentation: RandomFlip, RandomTranslation, RandomCrop,
RandomRotation (channels-last).

RandomFlip, RandomTranslation and RandomRotation are Keras' layers (same arguments and defaults as
dlkit.np). RandomCrop is adapted to behave like dlkit.np's: one crop position per image (Keras: one per
batch) and, at inference, the centred aspect-ratio window resized to (height, width), as Keras documents
(Keras 3.15 returns the input unchanged at inference, keras-team/keras#21868).
Note: Keras' preprocessing layers default to ``training=True`` when called outside fit; dlkit.np's
default to ``training=False``.
"""
import keras
import tensorflow as tf

__all__ = ["RandomFlip", "RandomTranslation", "RandomCrop", "RandomRotation"]


class RandomFlip(keras.layers.RandomFlip):
    """Random left-right / top-bottom flips (one coin per image), identity at inference."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, dtype="float32", name=None, **kwargs):
        super().__init__(mode=mode, seed=seed, dtype=dtype, name=name, **kwargs)


class RandomTranslation(keras.layers.RandomTranslation):
    """Random shifts by fractions of the height and width, identity at inference."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, dtype="float32", name=None, **kwargs):
        super().__init__(height_factor, width_factor, fill_mode=fill_mode, interpolation=interpolation,
                         seed=seed, fill_value=fill_value, dtype=dtype, name=name, **kwargs)


class RandomRotation(keras.layers.RandomRotation):
    """Random rotations by a fraction of 2 pi about the centre, identity at inference."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 dtype="float32", name=None, **kwargs):
        super().__init__(factor, fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, dtype=dtype, name=name, **kwargs)


class RandomCrop(keras.layers.RandomCrop):
    """Random (height, width) crop per image in training; centred aspect window + resize otherwise."""

    def __init__(self, height, width, seed=None, dtype="float32", name=None, **kwargs):
        super().__init__(height, width, seed=seed, dtype=dtype, name=name, **kwargs)

    def call(self, inputs, training=True):
        x = tf.cast(tf.convert_to_tensor(inputs), self.compute_dtype)
        h, w = x.shape[1], x.shape[2]
        if training and h >= self.height and w >= self.width:
            n = tf.shape(x)[0]
            h0 = keras.random.randint((n,), 0, h - self.height + 1, seed=self.generator)
            w0 = keras.random.randint((n,), 0, w - self.width + 1, seed=self.generator)
            rows = h0[:, None] + tf.range(self.height)[None]           # (batch, height)
            cols = w0[:, None] + tf.range(self.width)[None]            # (batch, width)
            x = tf.gather(x, rows, axis=1, batch_dims=1)
            return tf.gather(x, cols, axis=2, batch_dims=1)
        out = keras.ops.image.resize(x, (self.height, self.width), crop_to_aspect_ratio=True)
        return tf.cast(out, self.compute_dtype)
