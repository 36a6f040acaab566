"""Functional core: dense forward/backward."""
__all__ = []
