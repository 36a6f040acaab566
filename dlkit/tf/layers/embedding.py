"""TensorFlow mirror of dlkit.np.layers.embedding: ``tf.gather`` of rows of ``embeddings``.

``mask_zero=True``: ``compute_mask(ids)`` is ``ids != 0``; Keras attaches it to the output and hands it
to the next layers' ``mask`` argument.
"""
import keras
import tensorflow as tf

__all__ = ["Embedding"]


class Embedding(keras.layers.Layer):
    """Lookup table ``embeddings (input_dim, output_dim)``, initialised U(-0.05, 0.05)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.mask_zero = bool(mask_zero)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer)

    def call(self, inputs):
        ids = tf.cast(inputs, tf.int32)
        tf.debugging.assert_non_negative(ids, message=f"Embedding '{self.name}': ids must be >= 0")
        tf.debugging.assert_less(ids, self.input_dim, message=f"Embedding '{self.name}': ids must be "
                                 f"< input_dim={self.input_dim}")
        return tf.gather(self.embeddings, ids)

    def compute_mask(self, inputs, mask=None):
        return keras.ops.not_equal(inputs, 0) if self.mask_zero else None   # symbolic-safe

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)
