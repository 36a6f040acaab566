"""The exercises' policy: write the function the task asks for; calling dlkit's version of it scores 0."""
import contextlib
import importlib

__all__ = ["DelegationError", "no_delegation"]


class DelegationError(AssertionError):
    """The student's function called the dlkit function the task asks them to write."""


@contextlib.contextmanager
def no_delegation(namespace, *targets):
    """Within the block, each dlkit function in ``targets`` ("dlkit.np.functional.conv2d_forward") raises
    DelegationError, in its module and wherever the notebook's ``namespace`` holds it under any name."""
    patched = []
    for target in targets:
        module_name, attr = target.rsplit(".", 1)
        module = importlib.import_module(module_name)
        original = getattr(module, attr)

        def refuse(*args, _target=target, **kwargs):
            raise DelegationError(f"{_target}: expected your own code, got a call to dlkit's version "
                                  "(this task asks you to write it; see the policy at the top)")

        for holder in {id(m): m for m in [module, *_modules_holding(original)]}.values():
            for name, value in list(vars(holder).items()):
                if value is original:
                    patched.append((holder, name, value))
                    setattr(holder, name, refuse)
        for cls, name, value in _class_attributes_holding(original):  # MaxPooling2D._forward = F.maxpool2d_forward
            patched.append((cls, name, value))
            setattr(cls, name, staticmethod(refuse) if isinstance(value, staticmethod) else refuse)
        for name, value in list(namespace.items()):
            if value is original:
                patched.append((namespace, name, value))
                namespace[name] = refuse
    try:
        yield
    finally:
        for holder, name, value in reversed(patched):
            if isinstance(holder, dict):
                holder[name] = value
            else:
                setattr(holder, name, value)


def _class_attributes_holding(obj):
    """(class, name, raw attribute) for every dlkit class that stores ``obj`` as a class attribute."""
    import sys

    found, seen = [], set()
    for n, m in list(sys.modules.items()):
        if not n.startswith("dlkit") or m is None:
            continue
        for cls in vars(m).values():
            if isinstance(cls, type) and cls.__module__.startswith("dlkit") and id(cls) not in seen:
                seen.add(id(cls))
                for name, value in list(vars(cls).items()):
                    if value is obj or (isinstance(value, staticmethod) and value.__func__ is obj):
                        found.append((cls, name, value))
    return found


def _modules_holding(obj):
    """dlkit modules that import ``obj`` under some name (``from .conv import conv2d_forward``)."""
    import sys

    return [m for n, m in list(sys.modules.items()) if n.startswith("dlkit") and m is not None
            and any(v is obj for v in vars(m).values())]
