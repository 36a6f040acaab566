"""dlkit.np.perceptron."""
__all__ = []
