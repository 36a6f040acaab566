"""dlkit.np.metrics."""
__all__ = []
