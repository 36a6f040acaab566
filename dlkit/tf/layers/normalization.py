"""TensorFlow mirror of dlkit.np.layers.normalization."""
__all__ = []
