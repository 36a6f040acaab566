"""dlkit.np.model."""
__all__ = []
