"""dlkit.tf.activations."""
__all__ = []
