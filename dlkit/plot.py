"""dlkit.plot."""
