"""Functional core: attention forward/backward."""
__all__ = []
