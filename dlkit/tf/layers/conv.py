"""TensorFlow mirror of dlkit.np.layers.conv."""
__all__ = []
