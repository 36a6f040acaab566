"""Functional core: normalization forward/backward."""
__all__ = []
