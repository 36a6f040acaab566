"""Helpers that keep the book's prose as verified as its code.

- ``glue(name, value, fmt)`` formats a computed value and hands the *text* to myst-nb, so the
  Markdown can say ``{glue:text}`name``` instead of a hand-typed number. Gluing the formatted text
  (not the float) means the stored output is exactly what the reader sees, and nbval checks it.
  Choose ``fmt`` so the text survives another CPU (e.g. ``".1%"`` for an accuracy of a float64
  run, ``".2f"`` for a loss); float32 training drifts in the 3rd digit across BLAS kernels.
- ``Checks`` collects the "this equals that" verifications of a section and prints them as one
  table, raising ``AssertionError`` if any fails, so a textbook page shows one compact table instead
  of dozens of ``... == Keras: True`` lines.

Neither needs TensorFlow; ``glue`` works without myst-nb (e.g. in Colab) and then only formats.
"""
from __future__ import annotations

import numpy as np

__all__ = ["glue", "Checks"]


class Glued(str):
    """The text ``glue`` returns: a plain ``str`` that shows nothing when it is the last value of a cell
    (the number belongs in the prose, not in an ``Out[]`` line under the code)."""

    def _ipython_display_(self):
        pass


def glue(name, value, fmt=""):
    """Format ``value`` with ``fmt`` (a ``format()`` spec such as ``".1%"``, ``",d"``, ``".3f"``) and glue the text.

    Returns the formatted text (a ``str`` that a cell can print, and that shows no ``Out[]`` line). ``name`` must be a non-empty string
    without spaces (it is the key used in ``{glue:text}`name```).
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"glue: name must be a non-empty string without spaces, got {name!r}")
    if not isinstance(fmt, str):
        raise TypeError(f"glue: fmt must be a format spec string such as '.1%', got {fmt!r}")
    if isinstance(value, np.generic):
        value = value.item()
    text = Glued(value if isinstance(value, str) and not fmt else format(value, fmt))
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # Colab or a plain Python session: nothing to glue into
        return text
    _myst_glue(name, str(text), display=False)
    return text


class Checks:
    """One table of verifications for a section: ``close``/``equal``/``true``, then ``show()``.

    >>> checks = Checks("NumPy = dlkit.np = Keras")
    >>> checks.close("softmax: NumPy vs dlkit.np", a, b, atol=1e-12)
    >>> checks.equal("predicted classes", pred_np, pred_tf)
    >>> checks.true("dlkit.np beats the linear model", acc_mlp > acc_linear)
    >>> checks.show()   # prints the table; AssertionError naming every failed row

    The table prints tolerances, not the measured differences: a difference of 3e-17 on one CPU
    is 5e-17 on another, and a stored output must reproduce on any machine.
    """

    def __init__(self, title=""):
        self.title = title
        self.rows = []  # (what, criterion, ok, detail)

    def close(self, what, actual, expected, atol=1e-6, rtol=0.0):
        """``|actual - expected| <= atol + rtol * |expected|`` elementwise, and the shapes agree."""
        a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if a.shape != b.shape:
            ok, detail = False, f"shapes {a.shape} vs {b.shape}"
        else:
            err = np.abs(a - b)
            ok = bool(np.all(err <= atol + rtol * np.abs(b)))
            detail = f"max |difference| = {err.max():.3g}" if err.size else ""
        crit = f"|diff| <= {atol:.0e}" + (f" + {rtol:.0e}*|ref|" if rtol else "")
        self.rows.append((what, crit, ok, detail))
        return ok

    def equal(self, what, actual, expected):
        """Exactly equal arrays (or values) of the same shape."""
        ok = bool(np.array_equal(np.asarray(actual), np.asarray(expected)))
        self.rows.append((what, "identical", ok, "" if ok else f"{actual!r} != {expected!r}"[:200]))
        return ok

    def true(self, what, condition):
        """A claim that must hold (e.g. ``loss_after < loss_before``)."""
        ok = bool(condition)
        self.rows.append((what, "holds", ok, ""))
        return ok

    def show(self):
        """Print the table; raise AssertionError listing the failed rows, if any."""
        if not self.rows:
            raise ValueError("Checks.show: nothing was checked")
        width = max(len(r[0]) for r in self.rows)
        cwidth = max(len(r[1]) for r in self.rows)
        lines = [self.title] if self.title else []
        for what, crit, ok, _ in self.rows:
            lines.append(f"{'✓' if ok else '✗'} {what:<{width}}  {crit:<{cwidth}}")
        print("\n".join(lines))
        failed = [f"{what}: {crit} failed ({detail})" for what, crit, ok, detail in self.rows if not ok]
        if failed:
            raise AssertionError("verification failed:\n" + "\n".join(failed))
