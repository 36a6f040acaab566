"""The ``dlkit-api`` directive of the API reference (api/*.md), loaded through `sphinx.local_extensions`.

    ```{dlkit-api} dlkit.np.layers
    :exclude: Layer
    ```

documents the public members of a module: its docstring (``automodule``, unless ``:no-module-doc:``),
an ``autosummary`` table of the members, then ``autoclass`` / ``autoexception`` / ``autofunction`` /
``autodata`` for each. The members are read from the module at build time: its ``__all__``, or, for a
namespace without ``__all__`` (``dlkit.np.layers``, ``dlkit.np``), every public class, function and
constant in it (star-imported ones included). A layer added to ``dlkit.np.layers`` later therefore
shows up in the table and on the page without editing the page, which plain ``autosummary`` (an
explicit list of names) cannot do.

Options: ``:defined-in: mod1 mod2`` keeps only the members defined in those modules (or their
submodules; names are matched against ``obj.__module__``, so a module that does not exist yet is
no error); ``:exclude: name1 name2`` drops names documented on another page; ``:no-module-doc:``
documents the members without the module's docstring (a module may be documented only once);
``:verbatim: name1 name2`` shows those members' docstrings as written (see ``verbatim_docstring``).

``public_members(module_name, defined_in=(), exclude=())`` is the selection, shared with
tests/test_api_docs.py.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
import types

from docutils.parsers.rst import Parser as RSTParser
from docutils.parsers.rst import directives
from docutils.utils import new_document
from sphinx.ext import autodoc, autosummary
from sphinx.util.docutils import SphinxDirective

VERBATIM: set[str] = set()  # full names whose docstrings are shown as written (option :verbatim:)
LONG_VALUE = 60  # constants whose repr is longer than this are shown without their value


@contextlib.contextmanager
def _quiet_stderr():
    """TensorFlow's C++ runtime writes "WARNING: All log messages before absl::InitializeLog() ..."
    and oneDNN / CUDA notices straight to file descriptor 2 when it is first imported, whatever
    TF_CPP_MIN_LOG_LEVEL says; tests/conftest.py fails the build on any "WARNING" in its log. Python
    errors still raise (and become build warnings through the directive)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_module(module_name: str):
    """``importlib.import_module``; the first import of a ``dlkit.tf`` module imports TensorFlow quietly."""
    if module_name.split(".")[:2] == ["dlkit", "tf"] and "tensorflow" not in sys.modules:
        with _quiet_stderr():
            import tensorflow  # noqa: F401
    return importlib.import_module(module_name)


def _defined_in(obj, modules):
    mod = getattr(obj, "__module__", None) or ""
    return any(mod == m or mod.startswith(m + ".") for m in modules)


def kind(obj) -> str:
    """The autodoc directive that documents ``obj``."""
    if isinstance(obj, type):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def public_members(module_name: str, defined_in=(), exclude=()) -> list[str]:
    """Names documented for ``module_name``: classes first, then functions, then constants."""
    module = import_module(module_name)
    has_all = hasattr(module, "__all__")
    names = list(module.__all__) if has_all else sorted(n for n in vars(module) if not n.startswith("_"))
    selected = []
    for name in names:
        obj = getattr(module, name)
        if name in exclude or isinstance(obj, types.ModuleType) or name.startswith("_"):
            continue
        if not has_all and kind(obj) == "autodata" and not name.isupper():
            continue  # no __all__: skip incidental variables, keep CONSTANTS
        if defined_in and not _defined_in(obj, defined_in):
            continue
        selected.append(name)
    order = {"autoclass": 0, "autoexception": 1, "autofunction": 2, "autodata": 3}
    return sorted(selected, key=lambda n: order[kind(getattr(module, n))])  # stable: source order kept


class DlkitApi(SphinxDirective):
    required_arguments = 1
    option_spec = {"defined-in": directives.unchanged, "exclude": directives.unchanged,
                   "no-module-doc": directives.flag, "verbatim": directives.unchanged}

    def run(self):
        module_name = self.arguments[0]
        defined_in = tuple((self.options.get("defined-in") or "").replace(",", " ").split())
        exclude = set((self.options.get("exclude") or "").replace(",", " ").split())
        try:
            names = public_members(module_name, defined_in, exclude)
            module = import_module(module_name)
        except Exception as exc:  # noqa: BLE001  (reported as a build warning: -W fails the build)
            return [self.state.document.reporter.warning(
                f"dlkit-api: cannot import {module_name}: {exc!r}", line=self.lineno)]
        lines = [f".. currentmodule:: {module_name}" if "no-module-doc" in self.options
                 else f".. automodule:: {module_name}", ""]
        if names:
            lines += [".. autosummary::", "   :nosignatures:", ""] + [f"   {n}" for n in names] + [""]
        for name in names:
            obj = getattr(module, name)
            directive = kind(obj)
            lines.append(f".. {directive}:: {name}")
            if directive in ("autoclass", "autoexception"):
                lines += ["   :members:", "   :show-inheritance:"]
            elif directive == "autodata" and len(repr(obj)) > LONG_VALUE:
                lines.append("   :no-value:")
            lines.append("")
        source = inspect.getsourcefile(module)
        if source:
            self.env.note_dependency(source)
        # The generated text is reStructuredText (autodoc directives), but in a MyST page
        # ``self.state.nested_parse`` would read it as Markdown; parse it as {eval-rst} does.
        document = self.state.document
        sub = new_document(document["source"], document.settings)
        sub.reporter = document.reporter
        pad = "\n" * max(self.lineno - 1, 0)  # warnings point at the directive's line
        verbatim = {f"{module_name}.{n}" for n in (self.options.get("verbatim") or "").replace(",", " ").split()}
        VERBATIM.update(verbatim)
        try:
            RSTParser().parse(pad + "\n".join(lines) + "\n", sub)
        finally:
            VERBATIM.difference_update(verbatim)
        return list(sub.children)


def drop_type_docstring(app, what, name, obj, options, lines):
    """A constant without a ``#:`` comment would show the docstring of its type (``dict()`` -> new
    empty dictionary ...), which says nothing about the constant and is not valid reST."""
    if what in ("data", "attribute") and not isinstance(obj, type) and not callable(obj):
        type_doc = inspect.getdoc(type(obj)) or ""
        if lines and "\n".join(lines).strip() == type_doc.strip():
            lines.clear()


def verbatim_docstring(app, what, name, obj, options, lines):
    """``:verbatim: Name``: the docstrings of ``Name`` and its members are shown as a literal block,
    a stopgap for docstrings whose reST has errors (a build warning each under ``-W``) in modules
    this page does not own; the object stays documented (signature, members, summary table)."""
    if lines and any(name == v or name.startswith(v + ".") for v in VERBATIM):
        lines[:] = ["(Docstring shown as written.)", "", "::", ""] + [f"   {line}" for line in lines] + [""]


def _summary_is_broken(summary, settings):
    from docutils import nodes
    from docutils.parsers.rst.states import RSTStateMachine, state_classes

    document = new_document("", settings)
    document.reporter = autosummary.NullReporter()
    RSTStateMachine(state_classes, "Body").run([summary], document)
    return any(document.findall(nodes.system_message))


def extract_summary(doc, document):
    """``autosummary.extract_summary``, except that a summary whose inline markup the sentence split
    broke (``"``y = x_1 + x_2 + ... + x_n``; ..."`` cut after ``"..."``: Sphinx 7 checks the whole
    docstring instead of the cut sentence) falls back to the whole first paragraph."""
    summary = _extract_summary(list(doc), document)
    if summary and _summary_is_broken(summary, document.settings):
        lines = [line.strip() for line in doc]
        while lines and not lines[0]:
            lines.pop(0)
        summary = " ".join(lines[:lines.index("")] if "" in lines else lines)
    return summary


_extract_summary = autosummary.extract_summary
autosummary.extract_summary = extract_summary

# Keras layers define ``__new__(cls, *args, **kwargs)``, which autodoc would show as the signature of
# every dlkit.tf layer ("Dense(*args, **kwargs)"); skipping it makes autodoc read ``__init__``.
autodoc._CLASS_NEW_BLACKLIST.extend(["keras.src.layers.layer.Layer.__new__",
                                     "keras.src.ops.operation.Operation.__new__"])


def setup(app):
    app.add_directive("dlkit-api", DlkitApi)
    app.add_css_file("dlbook_api.css")  # _assets/dlbook_api.css (html_static_path): phone-width layout
    app.connect("autodoc-process-docstring", drop_type_docstring)
    app.connect("autodoc-process-docstring", verbatim_docstring)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
