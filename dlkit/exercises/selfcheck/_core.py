"""The machinery of the self-check: run each task's check with the student's functions, one line per task.

A task's check is a function ``run(S, rng)``: ``S.name(...)`` calls the student's function ``name`` (looked up
in the notebook's namespace) with the task's delegation policy in force during the call only, so the
references, computed by the check outside these calls, may use dlkit freely. Any exception of the student's
code becomes a FAIL with a readable message; ``NotImplementedError`` means "not attempted".
"""
import contextlib
import io
import warnings

import numpy as np

from dlkit.exercises.checks import check_close, check_true, describe
from dlkit.exercises.isolation import using
from dlkit.exercises.policy import DelegationError, no_delegation

MAX_MESSAGE = 400


class Task:
    """One graded task: its grade_id, the functions it asks for, its check and its delegation policy.

    ``uses`` maps names of earlier tasks' functions to correct versions (plain NumPy) that replace the
    student's during the check, so that a bug costs one task only (like the graded tests)."""

    def __init__(self, grade_id, functions, run, policy=(), uses=None, forbidden=None):
        self.grade_id, self.functions, self.run = grade_id, tuple(functions), run
        self._policy, self.uses, self.forbidden = tuple(policy), dict(uses or {}), forbidden

    @property
    def policy(self):
        """The functions the student's code may not call, computed at each check: ``forbidden(policy)``, if
        given, adds targets that exist only once a library is loaded (importing TensorFlow only to forbid it
        would cost seconds)."""
        return tuple(self.forbidden(self._policy)) if self.forbidden else self._policy


class NotAttempted(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class StudentError(Exception):
    """The student's function raised ``original``: the message says which function, called how, raised what."""

    def __init__(self, message, original=None):
        super().__init__(message)
        self.original = original


class Student:
    """``S.f(*args)`` calls the notebook's ``f`` under the task's delegation policy and records the call."""

    def __init__(self, namespace, policy):
        self._ns, self._policy, self.completed = namespace, policy, set()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if not callable(self._ns.get(name)):
            raise AssertionError(f"{name}: expected a function, got {describe(self._ns.get(name))}")

        def call(*args, **kwargs):
            try:
                with no_delegation(self._ns, *self._policy):
                    # looked up under the policy: `from dlkit... import f` in the notebook is dlkit's f
                    out = self._ns[name](*args, **kwargs)
            except NotImplementedError:
                raise NotAttempted(name) from None
            except DelegationError:
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # noqa: B036 - the student's code may even call sys.exit
                raise StudentError(f"{name}{_signature(args, kwargs)}: expected a result, got "
                                   f"{type(err).__name__}: {err}", err) from None
            self.completed.add(name)
            return out

        return call


def _signature(args, kwargs):
    """``(x (2, 3), 0.5, padding='same')``: how the check called the function, without the values."""
    def short(v):
        if isinstance(v, np.ndarray):
            return f"{v.dtype.name} array {v.shape}" if v.dtype != np.float64 else f"array {v.shape}"
        if isinstance(v, (list, tuple)) and len(v) > 4:
            return f"{type(v).__name__} of {len(v)}"
        text = repr(v)
        return text if len(text) <= 30 else type(v).__name__
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def one_line(message):
    message = " ".join(str(message).split())
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


def run_task(task, namespace, seed):
    """(status, text): (True, "pass"), (False, "FAIL — ..."), or (None, "not attempted...")."""
    missing = [f for f in task.functions if not callable(namespace.get(f))]
    if missing:
        return None, f"not attempted — `{missing[0]}` is not defined (run its cell first)"
    student = Student(namespace, task.policy)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np_state = np.geterr()
            try:
                with using(namespace, **task.uses):
                    task.run(student, np.random.default_rng(seed))
            finally:
                np.seterr(**np_state)
        return True, "pass"
    except KeyboardInterrupt:
        raise
    except NotAttempted as err:
        if not student.completed & set(task.functions):
            return None, "not attempted"
        return False, f"FAIL — {err.name}: expected your code, got NotImplementedError (not written yet)"
    except (AssertionError, StudentError) as err:
        return False, "FAIL — " + one_line(err)
    except BaseException as err:  # noqa: B036 - never raise from check()
        return False, "FAIL — " + one_line(f"{task.grade_id}: could not be checked, {type(err).__name__}: {err} "
                                          "(look at what your functions return)")


# -- small checks shared by the assignments -------------------------------------------------------------------

def parts(name, value, n, what):
    """Check that ``value`` is a tuple/list of ``n`` items and return it; ``what`` names them, "(out, cache)"."""
    check_true(isinstance(value, (tuple, list)) and len(value) == n,
               f"{name}: expected a tuple {what}, got {describe(value)}")
    return tuple(value)


def unchanged(name, arrays, copies):
    """Check that the student's function left its input arrays as they were."""
    for (label, now), before in zip(arrays.items(), copies):
        check_close(f"{label} after {name}", now, before, rtol=0, atol=0,
                    hint="do not modify your inputs in place")


def snapshot(arrays):
    """Copies of the values of a dict of arrays (compare with ``unchanged`` after the call)."""
    return [np.array(v, copy=True) for v in arrays.values()]
