"""dlkit.np.losses."""
__all__ = []
