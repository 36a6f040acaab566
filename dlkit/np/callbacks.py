"""dlkit.np.callbacks."""
__all__ = []
