"""TensorFlow mirror of dlkit.np.layers.embedding."""
__all__ = []
