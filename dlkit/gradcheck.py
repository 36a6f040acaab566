"""dlkit.gradcheck."""
