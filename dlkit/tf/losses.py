"""dlkit.tf.losses."""
__all__ = []
