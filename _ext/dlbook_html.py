"""Small Sphinx extension of dlbook (loaded through `sphinx.local_extensions` in _config.yml).

1. Chapter labels of chapters not yet in the book. The glossary links each term to the section
   that teaches it, `{ref}`text <ch05-momentum>``. While chapters/05_*.ipynb is not in _toc.yml
   (only_build_toc_files), such a reference would be an "undefined label" warning and break the
   `-W` build. For a `chNN-...` label whose chapter NN is not part of the build, the reference is
   sent to the road map of Chapter 0 (label `ch00-roadmap`) instead, and the build log says so
   (an info message, not a warning, so `-W` still passes). Labels of chapters that ARE built are
   never redirected, so a misspelt label still fails the build. With all twelve chapters (00-11)
   in _toc.yml nothing is redirected; the fallback is kept for chapters added later.

2. Jupyter Book 1 with Sphinx 7.4 emits some inline scripts twice on every page (sphinx-thebe's
`const THEBE_JS_URL = ...`, sphinx-togglebutton's selector); the second `const` declaration is a
JavaScript SyntaxError in the browser console. This extension drops exact duplicates from the
page's script list (same file, same attributes, same inline body), keeping the first occurrence.
tests/test_book.py fails on any console error, so a regression shows up there.
"""


import re

from sphinx.util import logging
from sphinx.util.nodes import make_refnode

CHAPTER_LABEL = re.compile(r"ch(\d\d)-[\w-]+")
FALLBACK = "ch00-roadmap"
logger = logging.getLogger(__name__)


def redirect_unbuilt_chapter_labels(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    m = CHAPTER_LABEL.fullmatch(node.get("reftarget", ""))
    if not m or node["reftarget"] == FALLBACK:
        return None
    if any(doc.startswith(f"chapters/{m.group(1)}_") for doc in env.found_docs):
        return None  # the chapter is built: a missing label is a real error
    labels = env.get_domain("std").labels
    if FALLBACK not in labels:
        return None
    docname, labelid, _ = labels[FALLBACK]
    logger.info(f"dlbook: {node['refdoc']}: chapter {m.group(1)} is not built yet; "
                f"{{ref}}`{node['reftarget']}` points to {FALLBACK}")
    return make_refnode(app.builder, node["refdoc"], docname, labelid, contnode)


def _key(script):
    filename = getattr(script, "filename", script) or ""  # inline scripts come as None or ""
    attributes = getattr(script, "attributes", {}) or {}
    return str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # Run late, after the extensions that add scripts in html-page-context (e.g. MathJax).
    app.connect("missing-reference", redirect_unbuilt_chapter_labels)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
