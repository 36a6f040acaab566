"""The API reference (api/*.md, the "API reference" part of the book) and the docstrings it is made of.

(a) every public class of dlkit.np.layers, dlkit.np (Sequential, Model) and dlkit.tf.layers states its
    shape contract in its docstring ("Input (batch, ...) -> output (...)"); a failure lists every offender;
(b) every module named on an api/*.md page exists, and every class of dlkit.np.layers (and of
    dlkit.tf.layers, and Sequential / Model) is documented on some page, which the built HTML confirms.
The pages use the {dlkit-api} directive of _ext/dlbook_api.py; its member selection is reused here.
"""
from __future__ import annotations

import inspect
import re
import sys

import pytest

from conftest import REPO_ROOT, toc_docs

sys.path.insert(0, str(REPO_ROOT / "_ext"))
import dlbook_api  # noqa: E402

API = REPO_ROOT / "api"
BLOCK = re.compile(r"^```\{dlkit-api\}[ \t]+(\S+)[ \t]*\n((?::[\w-]+:.*\n)*)", re.M)
EVAL_RST = re.compile(r"^\.\. auto(?:module|class|function|exception|data)::[ \t]+(\S+)", re.M)
INPUT = re.compile(r"\binputs?\b", re.I)
OUTPUT = re.compile(r"\boutputs?\b", re.I)
# "(batch, ..." or a shape arrow like "(B, T, d) -> (B, T, d)"
SHAPE_TUPLE = re.compile(r"\(batch\b|\((?:B|N|batch)\b[^()\n]*\)`*\s*->\s*`*\(")
MODEL_CLASSES = ("Sequential", "Model")


def api_blocks() -> list[tuple[str, str, dict]]:
    """(page, module, options) of every {dlkit-api} block of api/*.md."""
    blocks = []
    for page in sorted(API.glob("*.md")):
        for m in BLOCK.finditer(page.read_text(encoding="utf-8")):
            options = dict(re.match(r":([\w-]+):[ \t]*(.*)", line).groups() for line in m.group(2).splitlines())
            blocks.append((page.name, m.group(1), options))
    return blocks


def documented_objects() -> dict[int, str]:
    """id(object) -> "page: module.name" for everything the {dlkit-api} blocks document."""
    seen = {}
    for page, module_name, options in api_blocks():
        defined_in = tuple(options.get("defined-in", "").replace(",", " ").split())
        exclude = set(options.get("exclude", "").replace(",", " ").split())
        module = dlbook_api.import_module(module_name)
        for name in dlbook_api.public_members(module_name, defined_in, exclude):
            seen.setdefault(id(getattr(module, name)), f"{page}: {module_name}.{name}")
    return seen


def public_classes(module_name: str) -> dict[str, type]:
    """The classes a namespace exports: its ``__all__``, else every public class in it."""
    module = dlbook_api.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    classes = {n: getattr(module, n) for n in names if isinstance(getattr(module, n), type)}
    if module_name == "dlkit.np":
        classes = {n: c for n, c in classes.items() if n in MODEL_CLASSES}
    return classes


def states_shapes(cls) -> bool:
    doc = cls.__doc__ or ""  # the class's own docstring (a class's __doc__ is never inherited)
    return bool(INPUT.search(doc) and OUTPUT.search(doc)) or bool(SHAPE_TUPLE.search(doc))


# ----------------------------------------------------------------------------- (a) shape contracts
@pytest.mark.parametrize("namespace", ["dlkit.np.layers", "dlkit.np", "dlkit.tf.layers"])
def test_every_public_class_states_its_input_and_output_shapes(namespace):
    classes = public_classes(namespace)
    assert classes, f"{namespace} exports no class"
    twins = public_classes("dlkit.np.layers") if namespace == "dlkit.tf.layers" else {}

    def ok(name, cls):
        # a dlkit.tf layer mirrors its dlkit.np twin (same name, arguments and shapes): either states them
        return name == "Layer" or states_shapes(cls) or (name in twins and states_shapes(twins[name]))

    offenders = sorted(f"{cls.__module__}.{cls.__qualname__} (exported as {namespace}.{name})"
                       for name, cls in classes.items() if not ok(name, cls))
    assert not offenders, (f"{len(offenders)} class(es) of {namespace} do not state their shape contract "
                           "(write 'Input (batch, ...) -> output (...)' in the class docstring):\n  "
                           + "\n  ".join(offenders))


def test_shape_contract_check_can_fail():
    class Documented:
        """Input (batch, d) -> output (batch, units)."""

    class Undocumented:
        """Fully connected layer."""

    assert states_shapes(Documented) and not states_shapes(Undocumented)


# ----------------------------------------------------------------------------- (b) the pages
def test_api_pages_are_in_the_toc_and_name_modules_that_exist():
    pages = {f"api/{p.stem}" for p in API.glob("*.md")}
    assert "api/index" in pages
    assert pages <= set(toc_docs()), f"api pages missing from _toc.yml: {sorted(pages - set(toc_docs()))}"
    blocks = api_blocks()
    assert len(blocks) >= 8
    modules = {m for _, m, _ in blocks}
    for page in API.glob("*.md"):
        modules |= set(EVAL_RST.findall(page.read_text(encoding="utf-8")))
    missing = []
    for name in sorted(modules):
        try:
            dlbook_api.import_module(name)
        except ImportError as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "api/*.md documents modules that do not exist:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("namespace", ["dlkit.np.layers", "dlkit.np", "dlkit.tf.layers"])
def test_every_public_class_is_on_an_api_page(namespace):
    documented = documented_objects()
    missing = sorted(f"{namespace}.{n}" for n, cls in public_classes(namespace).items() if id(cls) not in documented)
    assert not missing, f"not documented on any api/*.md page: {missing}"


def test_summary_fallback_keeps_inline_markup_whole():
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    document = new_document("test", get_default_settings(Parser))
    doc = ["``y = x_1 + x_2 + ... + x_n``; each input's gradient is dy.", "", "More."]
    summary = dlbook_api.extract_summary(doc, document)
    assert summary.count("``") == 2 and summary.startswith("``y = x_1"), summary


# ----------------------------------------------------------------------------- the built HTML
def test_built_api_pages_document_every_layer(built_book):
    html = {p.stem: p.read_text(encoding="utf-8") for p in (built_book / "api").glob("*.html")}
    assert {f"api/{name}" for name in html} >= {d for d in toc_docs() if d.startswith("api/")}
    for page, text in html.items():
        assert ".. auto" not in text and "{dlkit-api}" not in text, f"api/{page}.html shows unparsed directives"
    layers = html["dlkit_np_layers"]
    for name, cls in public_classes("dlkit.np.layers").items():
        assert f'id="dlkit.np.layers.{name}"' in layers, f"dlkit.np.layers.{name} is not on api/dlkit_np_layers.html"
        signature = inspect.signature(cls)
        first = next(iter(signature.parameters), None)
        if first:
            assert re.search(rf'id="dlkit\.np\.layers\.{name}"(?:(?!</dt>).)*?<em class="sig-param">(?:(?!</dt>).)*?{first}', layers, re.S), (
                f"dlkit.np.layers.{name}: signature not rendered")
    tf_page = html["dlkit_tf"]
    for name in public_classes("dlkit.tf.layers"):
        assert f'id="dlkit.tf.layers.{name}"' in tf_page, f"dlkit.tf.layers.{name} is not on api/dlkit_tf.html"
    models = html["dlkit_np_models"]
    for name in public_classes("dlkit.np"):
        assert f'id="dlkit.np.{name}"' in models, f"dlkit.np.{name} is not on api/dlkit_np_models.html"
