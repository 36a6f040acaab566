#!/usr/bin/env python
"""Generate the Colab edition of every chapter: the same cells, with MyST rendered to plain Markdown.

    python colab/generate.py            # rewrite colab/NN_name.ipynb for every chapter in _toc.yml
    python colab/generate.py --check    # exit 1 if a committed Colab notebook differs from a fresh generation

The online book renders chapters/*.ipynb with Jupyter Book; Colab renders plain Markdown only, so its
launch buttons open colab/*.ipynb instead (see README, "Colab edition"). Citations become
"(Author et al., year)" with a reference list at the end, glossary terms and cross-references become
links into the online book, glued numbers are substituted as text. Code cells and outputs are copied.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from myst_to_md import Bibliography, Converter, Site  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "colab"
MYST_LEFT = re.compile(r"\{[\w:-]+\}`|^\([\w-]+\)=|^(```+|:::+)\{", re.M)


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def toc_docs():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                docs.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [d.removesuffix(".md").removesuffix(".ipynb") for d in docs]


def read_markdown(docname):
    md, nb = ROOT / f"{docname}.md", ROOT / f"{docname}.ipynb"
    if md.is_file():
        return md.read_text(encoding="utf-8")
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def glossary_terms():
    text = (ROOT / "glossary.md").read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S).group(1)
    return {line.strip().lower(): line.strip() for line in block.splitlines()
            if line.strip() and not line[0].isspace() and not line.startswith(":")}


def build_site():
    cfg = config()
    site = Site(cfg["html"]["baseurl"], terms=glossary_terms())
    for doc in toc_docs():
        site.add_document(doc, read_markdown(doc))
    return site


def glued_values(nb):
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            sb = o.get("metadata", {}).get("scrapbook")
            if sb:
                out[sb["name"]] = o["data"][sb["mime_prefix"] + "text/plain"]
    return out


def colab_notebook(path, site, bib):
    nb = json.loads(path.read_text(encoding="utf-8"))
    docname = f"chapters/{path.stem}"
    conv, glued = Converter(site, bib, docname), glued_values(nb)
    cells = []
    for cell in nb["cells"]:
        cell = copy.deepcopy(cell)
        if cell["cell_type"] == "markdown":
            cell["source"] = _lines(conv.convert(_src(cell), glued))
        cells.append(cell)
    note = (f"*This is the Colab edition of a chapter of [dlbook]({site.page(docname)}); the online book has "
            "the same content with cross-references, a glossary and the bibliography.*\n")
    cells.insert(0, {"cell_type": "markdown", "id": "colab-edition", "metadata": {}, "source": _lines(note)})
    refs = conv.references()
    if refs:
        cells.append({"cell_type": "markdown", "id": "colab-references", "metadata": {}, "source": _lines(refs)})
    nb["cells"] = cells
    nb.setdefault("metadata", {})["colab"] = {"provenance": [], "name": path.name}
    return nb


def _lines(text):
    lines = text.splitlines(keepends=True)
    return lines


def dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def chapters():
    return [ROOT / f"{d}.ipynb" for d in toc_docs() if d.startswith("chapters/")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if colab/ is out of date")
    args = ap.parse_args(argv)
    site, bib = build_site(), Bibliography.load(ROOT / config()["bibtex_bibfiles"][0])
    stale = []
    for path in chapters():
        text = dumps(colab_notebook(path, site, bib))
        left = [m.group(0) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown"
                for m in MYST_LEFT.finditer(_src(c))]
        if left:
            raise SystemExit(f"{path.name}: MyST left in the Colab edition: {left[:5]}")
        target = OUT / path.name
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(target.relative_to(ROOT).as_posix())
        else:
            tmp = target.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)  # atomic: never a half-written notebook
    if stale:
        print("out of date (run python colab/generate.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
