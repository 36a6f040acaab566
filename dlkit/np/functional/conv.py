"""Functional core: conv forward/backward."""
__all__ = []
