"""The Colab path: every Colab notebook (the Colab edition of each chapter, each student exercise) starts in a
simulated Colab runtime (tests/colab_sim.py): its set-up cell installs dlkit from the repository, nothing Colab
ships changes version, and the notebook runs alone in an empty folder, GPU cells excluded.

What is proven where (each chapter is executed in full once per CI run, not twice):
- nbval executes every chapter top to bottom in an empty temporary folder (the repository's conftest.py), so no
  chapter depends on files next to it;
- tests/test_colab_edition.py proves each Colab edition is the chapter's code, regenerated;
- here: every chapter's set-up cell is the same, and after it (in one Colab runtime) every module that any chapter
  imports is importable; one chapter runs top to bottom in the Colab runtime (the whole path end to end); every
  exercise starts there with only its task placeholders failing.
"""
from __future__ import annotations

import ast
import os
import re

import nbformat
import pytest
from conftest import REPO_ROOT, repo_url

from colab_sim import ColabRuntime, clean

CHAPTERS = sorted((REPO_ROOT / "colab").glob("[0-9][0-9]_*.ipynb"))
RUN_IN_FULL = ["14_tokens_embeddings"]  # the end-to-end run: a chapter with TF, tokenizers and the NLP data
EXERCISES = sorted((REPO_ROOT / "exercises" / "release").glob("*/*.ipynb"))
STATE = {"ran": 0}


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "skip-execution" not in c.metadata.get("tags", [])]


def _imports(source):
    """The import statements of a cell (IPython magics dropped), as source lines."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    return [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            and not (isinstance(node, ast.ImportFrom) and node.level)]


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    root = tmp_path_factory.mktemp("colab-runtime")
    runtime = ColabRuntime(root, REPO_ROOT, repo_url()).create()
    runtime.before = runtime.freeze()
    yield runtime
    clean(root)


def test_every_chapter_has_the_same_set_up_cell():
    first = {p.stem: _code(nbformat.read(p, as_version=4))[0].source for p in CHAPTERS}
    assert len(CHAPTERS) >= 15 and len(set(first.values())) == 1, "the set-up cells differ: " + ", ".join(
        k for k, v in first.items() if v != first[CHAPTERS[0].stem])
    assert "pip" in first[CHAPTERS[0].stem] and "google.colab" in first[CHAPTERS[0].stem]


def test_every_chapter_imports_in_colab(colab, tmp_path):
    """One notebook: the set-up cell, then one cell per chapter with every import statement of that chapter."""
    setup = _code(nbformat.read(CHAPTERS[0], as_version=4))[0].source
    cells = [nbformat.v4.new_code_cell(setup)]
    for path in CHAPTERS:
        statements = sorted({st for c in _code(nbformat.read(path, as_version=4))[1:] for st in _imports(c.source)})
        assert statements or path.stem.startswith("00"), f"{path.name}: no import statement found"
        cells.append(nbformat.v4.new_code_cell(f"# {path.stem}\n" + "\n".join(statements)))
    nb = nbformat.v4.new_notebook(cells=cells)
    target = tmp_path / "nb" / "all_chapter_imports.ipynb"
    target.parent.mkdir()
    nbformat.write(nb, target)
    errors = colab.run_notebook(target, tmp_path / "run")
    STATE["ran"] += 1
    assert not errors, "a chapter's import fails in a Colab runtime:\n" + "\n".join(errors)


def test_imports_are_found():
    """The import collector sees imports inside functions and skips magics and relative imports."""
    got = _imports("%matplotlib inline\nimport numpy as np\ndef f():\n    from dlkit.np import layers\nfrom . import x")
    assert got == ["import numpy as np", "from dlkit.np import layers"]


@pytest.mark.parametrize("stem", RUN_IN_FULL)
def test_chapter_runs_in_colab(stem, colab, tmp_path):
    path = REPO_ROOT / "colab" / f"{stem}.ipynb"
    errors = colab.run_notebook(path, tmp_path)
    STATE["ran"] += 1
    assert not errors, f"{path.name} fails in a Colab runtime:\n" + "\n".join(errors)


def test_nbval_runs_chapters_in_an_empty_folder():
    """The repository's conftest.py starts nbval's kernels in an empty temporary folder, removed afterwards."""
    from nbval import plugin

    kernel = plugin.RunningKernel("python3", cwd=str(REPO_ROOT / "chapters"))
    folder = kernel.folder
    try:
        cwd = os.readlink(f"/proc/{kernel.km.provisioner.pid}/cwd")
        assert os.path.samefile(cwd, folder) and not os.listdir(folder)
    finally:
        kernel.stop()
    assert not os.path.exists(folder)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_starts_in_colab(path, colab, tmp_path):
    """A fresh exercise has unsolved tasks: every error must be the `raise NotImplementedError()` placeholder
    (or a test cell failing because of it), never a missing module or a failing set-up cell."""
    errors = colab.run_notebook(path, tmp_path, allow_errors=True)
    STATE["ran"] += 1
    broken = [e for e in errors if re.match(r"(ModuleNotFoundError|ImportError|CalledProcessError|execution failed)", e)]
    assert not broken, f"{path.name} cannot start in a Colab runtime:\n" + "\n".join(broken)
    assert any(e.startswith("NotImplementedError") for e in errors), f"{path.name}: no task placeholder raised"


def test_set_up_cells_change_nothing_colab_ships(colab, tmp_path):
    if not STATE["ran"]:  # run alone: install dlkit the way the first chapter does
        colab.run_notebook(CHAPTERS[0], tmp_path)
    after = colab.freeze()
    added, removed = after - colab.before, colab.before - after
    assert not removed, f"the set-up cells changed packages Colab ships: {sorted(removed)} -> {sorted(added)}"
    assert [a.split(" @ ")[0].split("==")[0].lower() for a in added] == ["dlkit"], sorted(added)
