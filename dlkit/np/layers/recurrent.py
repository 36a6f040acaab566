"""Layers: recurrent (see module docstring once written)."""
__all__ = []
