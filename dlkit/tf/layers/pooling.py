"""TensorFlow mirror of dlkit.np.layers.pooling."""
__all__ = []
