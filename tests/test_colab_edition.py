"""The Colab edition (colab/*.ipynb): up to date, the chapters' cells, no MyST left, links that resolve."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, chapter_notebooks, code_cells, config, read_nb

sys.path.insert(0, str(REPO_ROOT / "colab"))
from myst_to_md import Bibliography, Converter, Site  # noqa: E402

COLAB = REPO_ROOT / "colab"
MYST = re.compile(r"\{[\w:-]+\}`|^\([\w-]+\)=\s*$|^(```+|:::+)\{", re.M)
BOOK_LINK = re.compile(r"\]\((https://[^)\s]+)\)")


def test_colab_edition_is_up_to_date():
    proc = subprocess.run([sys.executable, str(COLAB / "generate.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, f"run `python colab/generate.py`:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.stem)
def test_colab_notebook_has_the_chapter_cells_and_no_myst(path):
    colab = read_nb(COLAB / path.name)
    assert [c.source for c in code_cells(colab)] == [c.source for c in code_cells(read_nb(path))]
    left = [m.group(0) for c in colab.cells if c.cell_type == "markdown" for m in MYST.finditer(c.source)]
    assert not left, f"{path.name}: MyST constructs left in the Colab edition: {left[:5]}"
    md = "\n".join(c.source for c in read_nb(path).cells if c.cell_type == "markdown")
    if "{cite" in md:
        assert colab.cells[-1].source.startswith("## References"), path.name


def test_links_of_the_colab_edition_resolve_in_the_built_book(built_book):
    base = config()["html"]["baseurl"].rstrip("/") + "/"
    bad, n = [], 0
    for path in sorted(COLAB.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for url in BOOK_LINK.findall(text):
            if not url.startswith(base):
                continue
            n += 1
            page, _, anchor = url[len(base):].partition("#")
            html = built_book / page
            if not html.is_file():
                bad.append(f"{path.name}: {url} (no page)")
            elif anchor and f'id="{anchor}"' not in html.read_text(encoding="utf-8"):
                bad.append(f"{path.name}: {url} (no anchor)")
    assert n > 100, f"only {n} links into the online book: is the base URL right?"
    assert not bad, "\n".join(bad[:20])


BIB = r"""@article{a2000,author={Rumelhart, David E. and Hinton, Geoffrey E. and Williams, Ronald J.},title={Learning},
journal={Nature},year={1986}}
@article{b2000,author={Cho, Kyunghyun and Bengio, Yoshua},title={GRU},year={2014},doi={10.1/x}}
@book{c2000,author={Cauchy, Augustin-Louis},title={M{\'e}thode},year={1847}}
"""


@pytest.fixture
def converter(tmp_path):
    (tmp_path / "r.bib").write_text(BIB)
    site = Site("https://x.org/book/", terms={"relu": "ReLU", "gradient descent": "gradient descent"})
    site.add_document("chapters/01_a", "# 1. Perceptron\n\n(ch01-rule)=\n## 1.2 The rule\n")
    return Converter(site, Bibliography.load(tmp_path / "r.bib"), "chapters/02_b")


def test_converter_renders_every_role(converter):
    text = ("(ch02-x)=\n## Title\n\nAs {cite}`a2000,b2000` and {cite:t}`c2000` showed, {term}`ReLU` and "
            "{term}`descent <gradient descent>` (see {ref}`ch01-rule`, {ref}`that rule <ch01-rule>`, "
            "{doc}`01_a`) reach {glue:text}`acc:.1%` or {glue:text}`word`.\n\n```{note}\nRun it.\n```\n")
    out = converter.convert(text, {"acc": "0.9283", "word": "'stalls'"})
    assert "(ch02-x)=" not in out and out.startswith("## Title")
    assert "(Rumelhart et al., 1986; Cho & Bengio, 2014)" in out and "Cauchy (1847)" in out
    assert "**[ReLU](https://x.org/book/glossary.html#term-ReLU)**" in out
    assert "**[descent](https://x.org/book/glossary.html#term-gradient-descent)**" in out
    assert "[1.2 The rule](https://x.org/book/chapters/01_a.html#ch01-rule)" in out
    assert "[that rule](https://x.org/book/chapters/01_a.html#ch01-rule)" in out
    assert "[1. Perceptron](https://x.org/book/chapters/01_a.html)" in out
    assert "reach 92.8% or stalls." in out and "> **Note**" in out and "> Run it." in out
    refs = converter.references()
    assert refs.startswith("## References") and "Méthode" in refs and "https://doi.org/10.1/x" in refs
    assert not MYST.search(out)


@pytest.mark.parametrize("text, what", [
    ("{cite}`nobody1999`", "nobody1999"), ("{term}`quark`", "quark"), ("{ref}`ch09-none`", "ch09-none"),
    ("{doc}`99_none`", "99_none"), ("{glue:text}`missing`", "missing"),
])
def test_converter_names_what_is_undefined(converter, text, what):
    with pytest.raises(KeyError, match=what):
        converter.convert(text, {})
