"""Layers: embedding (see module docstring once written)."""
__all__ = []
