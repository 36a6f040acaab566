"""TensorFlow mirror of dlkit.np.layers.gru."""
__all__ = []
