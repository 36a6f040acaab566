"""Functional core: pooling forward/backward."""
__all__ = []
