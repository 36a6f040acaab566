"""TensorFlow mirror of dlkit.np.layers.recurrent."""
__all__ = []
