"""dlkit.np.activations."""
__all__ = []
