"""Layers: conv (see module docstring once written)."""
__all__ = []
