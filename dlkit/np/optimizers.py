"""dlkit.np.optimizers."""
__all__ = []
