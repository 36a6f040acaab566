"""Layers: transformer (see module docstring once written)."""
__all__ = []
