"""``dlkit.np.models.load_model(path)`` (and ``save_model``), as ``keras.models``; see :mod:`dlkit.np.saving`."""
from dlkit.np.saving import load_model, save_model  # noqa: F401

__all__ = ["load_model", "save_model"]
