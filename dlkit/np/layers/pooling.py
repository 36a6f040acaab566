"""Layers: pooling (see module docstring once written)."""
__all__ = []
