"""TensorFlow mirror of dlkit.np.layers.transformer."""
__all__ = []
