"""Layers: attention (see module docstring once written)."""
__all__ = []
