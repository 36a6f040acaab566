"""dlkit: the library the dlbook chapters teach with.

``dlkit.np`` is the NumPy reference (hand-written forward and backward for every layer);
``dlkit.tf`` mirrors it in TensorFlow. Importing ``dlkit`` or ``dlkit.np`` does not import TensorFlow.
"""
__version__ = "0.1.0"
