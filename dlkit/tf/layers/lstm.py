"""TensorFlow mirror of dlkit.np.layers.lstm."""
__all__ = []
