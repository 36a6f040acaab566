"""dlkit.datasets."""
