"""Layers: lstm (see module docstring once written)."""
__all__ = []
