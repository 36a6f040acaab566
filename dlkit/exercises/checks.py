"""Checks for exercise tests. Every failure message starts with ``name: expected ..., got ...`` (or, for a long
name, ``expected ..., got ... in name``, so that nbgrader's 80-character summaries show both values), then
the largest difference, the tolerance and a hint."""
import numpy as np

__all__ = ["describe", "check_shape", "check_close", "check_grad", "check_true", "check_dtype"]


def _num(x):
    """A number as people write it: 3, not np.int64(3); floats with 6 significant digits."""
    x = np.asarray(x).item() if np.ndim(x) == 0 else x
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x)


def _distinct(a, b):
    """``a`` and ``b`` with enough digits to tell them apart (never "expected 0.274909, got 0.274909")."""
    for digits in range(6, 18):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb:
            return sa, sb
    return repr(a), repr(b)


def describe(value):
    """A short description of what a student's function returned."""
    if value is None:
        return "None (a missing `return`?)"
    try:
        arr = np.asarray(value)
        if arr.dtype.kind in "fiub":
            if arr.ndim == 0:
                return _num(arr)
            return f"{arr.dtype} array {arr.shape} {np.array2string(arr, threshold=6, precision=4)}"
    except Exception:
        pass
    return f"{type(value).__name__}: {value!r}"[:200]


def _fail(name, expected, got, more="", hint=""):
    msg = f"{name}: expected {expected}, got {got}"
    if len(msg) > 80:  # nbgrader's summaries keep 80 characters: expected vs got first, then which check
        msg = f"expected {expected}, got {got} in {name}"
    if more:
        msg += f"; {more}"
    if hint:
        msg += f". Hint: {hint}"
    raise AssertionError(msg)


def check_shape(name, got, expected_shape, hint=""):
    expected_shape = tuple(int(s) for s in expected_shape)
    if got is None:
        _fail(name, f"shape {expected_shape}", "None (a missing `return`?)", hint=hint)
    shape = tuple(int(s) for s in np.shape(got))
    if shape != expected_shape:
        _fail(name, f"shape {expected_shape}", f"shape {shape}", hint=hint)


def check_dtype(name, got, expected_dtype, hint=""):
    expected_dtype = np.dtype(expected_dtype)
    dtype = np.asarray(got).dtype
    if dtype != expected_dtype:
        _fail(name, f"dtype {expected_dtype}", f"dtype {dtype}", hint=hint)


def check_close(name, got, expected, hint="", rtol=1e-5, atol=1e-7):
    """Assert ``got`` == ``expected`` within ``atol + rtol * |expected|`` elementwise."""
    expected = np.asarray(expected, dtype=np.float64)
    if got is None:
        _fail(name, describe(expected), "None (a missing `return`?)", hint=hint)
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(name, "numbers", describe(got), hint=hint)
    if got_arr.shape != expected.shape:
        _fail(name, f"shape {expected.shape}", f"shape {got_arr.shape}", hint=hint)
    if not np.all(np.isfinite(got_arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got_arr))[0]) if got_arr.ndim else ()
        _fail(name, "finite numbers", f"{_num(got_arr[bad])} at index {bad}" if bad else _num(got_arr), hint=hint)
    diff = np.abs(got_arr - expected)
    allowed = atol + rtol * np.abs(expected)
    if np.any(diff > allowed):
        i = np.unravel_index(np.argmax(diff - allowed), expected.shape) if expected.ndim else ()
        where = f" at index {tuple(int(k) for k in i)}" if i else ""
        want, got_s = _distinct(float(expected[i]), float(got_arr[i]))
        _fail(name + where, want, got_s,
              more=f"largest |difference| {float(diff.max()):.3g}, tolerance {atol:g} + {rtol:g}*|expected|",
              hint=hint)


def check_grad(name, analytic, numeric, hint="", tol=1e-6):
    """Compare an analytic gradient with a finite-difference one by relative error."""
    check_shape(name, analytic, np.shape(numeric), hint)
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    err = float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))
    if not err < tol:
        _fail(name, f"relative error < {tol:.0e} vs finite differences", f"{err:.2e}", hint=hint)


def check_true(condition, message):
    """Assert ``condition``; ``message`` should read ``what: expected ..., got ...``."""
    if not condition:
        raise AssertionError(message)
