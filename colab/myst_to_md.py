"""MyST Markdown -> the plain Markdown that Colab renders.

Colab shows Jupyter-flavoured Markdown only: every MyST role, target and directive would appear as
literal text. ``Converter.convert(text, glued)`` rewrites one Markdown cell:

- ``{cite}`a,b``` -> "(Rumelhart et al., 1986; Cho et al., 2014)"; ``{cite:t}`` -> "Rumelhart et al. (1986)";
  the keys used are collected for a reference list at the end of the notebook;
- ``{term}`ReLU``` / ``{term}`text <ReLU>``` -> a bold link to the term in the online glossary;
- ``{ref}`label``` / ``{ref}`text <label>``` and ``{doc}`` -> links to the page and anchor of the online book;
- ``{glue:text}`key:fmt``` -> the glued value, as text;
- ``(label)=`` targets are removed; ``{note}``-style directives become blockquotes.
"""
from __future__ import annotations

import functools
import re
from ast import literal_eval
from dataclasses import dataclass, field
from pathlib import Path

from docutils.nodes import make_id
from sphinx.util.nodes import _make_id as sphinx_id

ROLE = re.compile(r"\{(cite(?::[tp])?|term|ref|doc|glue(?::\w+)?)\}`([^`]+)`")
TARGET = re.compile(r"^\(([\w-]+)\)=[ \t]*\n?", re.M)
DIRECTIVE = re.compile(r"^(```+|:::+)\{(\w[\w-]*)\}[ \t]*([^\n]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)  # "text <target>"
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)


def _split_explicit(content):
    m = EXPLICIT.match(content.strip())
    return (m.group(1).strip(), m.group(2).strip()) if m else (None, content.strip())


@functools.lru_cache(maxsize=None)
def _latex_to_text(s):
    """LaTeX (as in a .bib field) -> plain text. Cached: pybtex looks its text backend up through the package
    entry points on every call, which dominated the generation of the whole Colab edition (~90 s -> ~2 s)."""
    from pybtex.richtext import Text

    return Text.from_latex(s).render(_text_backend()).strip()


@functools.lru_cache(maxsize=None)
def _text_backend():
    from pybtex.plugin import find_plugin

    return find_plugin("pybtex.backends", "text")()


@dataclass
class Bibliography:
    entries: dict  # key -> pybtex Entry

    @classmethod
    def load(cls, path):
        from pybtex.database import parse_file

        return cls(dict(parse_file(str(path)).entries))

    def _names(self, key):
        if key not in self.entries:
            raise KeyError(f"citation key {key!r} is not in the bibliography")
        e = self.entries[key]
        people = e.persons.get("author") or e.persons.get("editor") or []
        last = [_latex_to_text(" ".join(p.last_names)) for p in people]
        year = e.fields.get("year", "n.d.")
        if not last:
            names = _latex_to_text(e.fields.get("title", key))
        elif len(last) == 1:
            names = last[0]
        elif len(last) == 2:
            names = f"{last[0]} & {last[1]}"
        else:
            names = f"{last[0]} et al."
        return names, year

    def cite(self, keys, textual=False):
        parts = [self._names(k) for k in keys]
        if textual:
            return "; ".join(f"{n} ({y})" for n, y in parts)
        return "(" + "; ".join(f"{n}, {y}" for n, y in parts) + ")"

    def reference(self, key):
        """One line of the reference list: Authors (year). Title. Venue. doi/url."""
        e = self.entries[key]
        people = e.persons.get("author") or e.persons.get("editor") or []
        authors = ", ".join(_latex_to_text(" ".join(p.first_names + p.middle_names + p.last_names)) for p in people)
        f = e.fields
        venue = f.get("journal") or f.get("booktitle") or f.get("publisher") or f.get("howpublished") or ""
        link = f"https://doi.org/{f['doi']}" if "doi" in f else f.get("url", "")
        parts = [f"{authors} ({f.get('year', 'n.d.')}).", f"{_latex_to_text(f.get('title', ''))}."]
        if venue:
            parts.append(f"*{_latex_to_text(venue)}*.")
        if link:
            parts.append(link)
        return " ".join(parts)


@dataclass
class Site:
    """Where things are in the online book: pages, labels (page, anchor, title) and glossary terms."""
    base_url: str
    labels: dict = field(default_factory=dict)  # label -> (docname, title)
    titles: dict = field(default_factory=dict)  # docname -> title
    terms: dict = field(default_factory=dict)  # glossary term, lower case -> its spelling in glossary.md

    def page(self, docname, anchor=None):
        url = f"{self.base_url.rstrip('/')}/{docname}.html"
        return f"{url}#{anchor}" if anchor else url

    def add_document(self, docname, markdown):
        """Record the page title and the labels of one document (all its Markdown, cells joined)."""
        h = HEADING.search(markdown)
        self.titles[docname] = _plain(h.group(1)) if h else docname
        for m in TARGET.finditer(markdown):
            nxt = HEADING.search(markdown, m.end())
            self.labels[m.group(1)] = (docname, _plain(nxt.group(1)) if nxt else self.titles[docname])


def _plain(title):
    """A heading as plain text (roles reduced to their text)."""
    return ROLE.sub(lambda m: _split_explicit(m.group(2))[0] or m.group(2), title).strip()


class Converter:
    def __init__(self, site: Site, bib: Bibliography, docname: str):
        self.site, self.bib, self.docname = site, bib, docname
        self.cited = []  # keys in order of first citation

    def _resolve_doc(self, target):
        if target.startswith("/"):
            return _normalise(target)
        return _normalise(f"{Path(self.docname).parent.as_posix()}/{target}")

    def role(self, name, content, glued):
        if name.startswith("cite"):
            keys = [k.strip() for k in content.split(",") if k.strip()]
            for k in keys:
                if k not in self.cited:
                    self.cited.append(k)
            return self.bib.cite(keys, textual=name == "cite:t")
        if name == "term":
            text, target = _split_explicit(content)
            if target.lower() not in self.site.terms:
                raise KeyError(f"{self.docname}: glossary term {target!r} is not in glossary.md")
            anchor = sphinx_id("term-" + self.site.terms[target.lower()])  # Sphinx keeps the case: term-ReLU
            return f"**[{text or target}]({self.site.page('glossary', anchor)})**"
        if name == "ref":
            text, label = _split_explicit(content)
            if label not in self.site.labels:
                raise KeyError(f"{self.docname}: label {label!r} is defined nowhere in the book")
            doc, title = self.site.labels[label]
            return f"[{text or title}]({self.site.page(doc, make_id(label))})"
        if name == "doc":
            text, target = _split_explicit(content)
            doc = self._resolve_doc(target)
            if doc not in self.site.titles:
                raise KeyError(f"{self.docname}: document {target!r} is not in the book")
            return f"[{text or self.site.titles[doc]}]({self.site.page(doc)})"
        if name.startswith("glue"):
            key, _, fmt = content.partition(":")
            if key not in glued:
                raise KeyError(f"{self.docname}: glue key {key!r} was not glued by any cell")
            return _format_glued(glued[key], fmt)
        raise ValueError(f"unknown role {name}")

    def convert(self, text, glued):
        text = DIRECTIVE.sub(self._directive, text)
        text = TARGET.sub("", text)
        return ROLE.sub(lambda m: self.role(m.group(1), m.group(2), glued), text)

    def _directive(self, m):
        name, arg, body = m.group(2), m.group(3).strip(), m.group(4)
        body = "\n".join(line for line in body.splitlines() if not line.startswith(":"))  # drop :options:
        head = f"**{name.capitalize()}{': ' + arg if arg else ''}**"
        quoted = "\n".join(f"> {line}" if line else ">" for line in body.strip("\n").splitlines())
        return f"> {head}\n>\n{quoted}\n"

    def references(self):
        if not self.cited:
            return None
        lines = ["## References", ""] + [f"- {self.bib.reference(k)}" for k in sorted(
            self.cited, key=lambda k: self.bib.cite([k]))]
        return "\n".join(lines) + "\n"


def _normalise(doc):
    parts = []
    for p in doc.split("/"):
        if p == "..":
            parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts).removesuffix(".md").removesuffix(".ipynb")


def _format_glued(text_plain, fmt):
    try:
        value = literal_eval(text_plain)
    except (SyntaxError, ValueError):
        value = text_plain
    return format(value, fmt) if fmt else str(value)
