"""Layers: normalization (see module docstring once written)."""
__all__ = []
