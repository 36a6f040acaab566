"""dlkit.tf.device."""
__all__ = []
