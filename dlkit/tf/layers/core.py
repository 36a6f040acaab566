"""TensorFlow mirror of dlkit.np.layers.core."""
__all__ = []
