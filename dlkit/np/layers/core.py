"""Layers: core (see module docstring once written)."""
__all__ = []
