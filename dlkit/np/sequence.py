"""dlkit.np.sequence."""
__all__ = []
