"""One bug, one task: a task's tests run with the reference functions of earlier tasks."""
import contextlib

import numpy as np

__all__ = ["using", "same_function"]


def same_function(student, reference, *args, rtol=1e-6, atol=1e-8):
    """True if ``student(*args)`` and ``reference(*args)`` agree (any error or mismatch: False)."""
    try:
        got, want = student(*args), reference(*args)
        got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
        return len(got) == len(want) and all(
            np.allclose(np.asarray(g, dtype=float), np.asarray(w, dtype=float), rtol=rtol, atol=atol)
            for g, w in zip(got, want))
    except Exception:
        return False


@contextlib.contextmanager
def using(namespace, probe=None, **references):
    """Within the block, the names in ``references`` of ``namespace`` (the notebook's ``globals()``) are the
    reference functions, so a bug in an earlier task cannot cost points here. With ``probe`` (a tuple of
    arguments per name, ``{"forward": (x, w)}``), prints a note for each student function that differs."""
    saved = {name: namespace.get(name) for name in references}
    for name, args in (probe or {}).items():
        if callable(saved.get(name)) and not same_function(saved[name], references[name], *args):
            print(f"Note: your `{name}` (an earlier task) gives wrong results; this task is graded with a "
                  f"correct `{name}`, so fix it in its own task.")
    namespace.update(references)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                namespace.pop(name, None)
            else:
                namespace[name] = value
