"""The scan for test-set misuse in code: a held-out *test* array used to train or to select a model.

Flags, in any call: ``validation_data=`` whose expression names a test array (``x_test``,
``(xm_test, ym_test)``, ``imdb_test``, ...), and ``fit(...)`` / ``train_on_batch(...)`` whose first
argument names one. A name "names a test array" if one of its ``_``-separated parts is ``test`` or
is ``test`` with at most one letter before it (``x_test``, ``X_test``, ``ds_test``, ``xtest``), never ``latest``
or ``contest``.
"""
from __future__ import annotations

import ast
import re

_TEST_PART = re.compile(r"[a-z]?test\d*", re.I)  # test, xtest, Xtest2: one part of a snake_case name
FIT_METHODS = {"fit", "train_on_batch", "fit_generator"}


def _names(node) -> list[str]:
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.append(n.id)
        elif isinstance(n, ast.Attribute):
            out.append(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.append(n.value)  # e.g. tfds split="test"
    return out


def _is_test(node) -> bool:
    return any(_TEST_PART.fullmatch(part) for n in _names(node) for part in n.split("_"))


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())


def find_test_misuse(source: str) -> list[str]:
    """Return one message per misuse found in a code cell's source (empty list: clean)."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:  # not Python (a shell cell, a template): fall back to a line regex
        pattern = re.compile(r"validation_data\s*=\s*\(?\s*[\w\[\]:., ]*test", re.I)
        return [f"validation_data uses test data: {m.group(0)!r}" for m in pattern.finditer(source)]
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "validation_data" and _is_test(kw.value):
                problems.append(f"line {node.lineno}: validation_data={ast.unparse(kw.value)} is test data")
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if fname in FIT_METHODS and node.args and _is_test(node.args[0]):
            problems.append(f"line {node.lineno}: {fname}({ast.unparse(node.args[0])}, ...) trains on test data")
    return problems
