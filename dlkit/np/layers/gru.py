"""Layers: gru (see module docstring once written)."""
__all__ = []
