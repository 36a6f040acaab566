"""TensorFlow mirror of dlkit.np.layers.attention."""
__all__ = []
