"""Every Colab notebook (the Colab edition of each chapter, each student exercise) runs in a simulated Colab
runtime (tests/colab_sim.py): its set-up cell installs dlkit from the repository, nothing Colab ships
changes version, and it executes top to bottom alone in an empty folder, GPU cells excluded."""
from __future__ import annotations

import re

import pytest
from conftest import REPO_ROOT, repo_url

from colab_sim import ColabRuntime, clean

CHAPTERS = sorted((REPO_ROOT / "colab").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((REPO_ROOT / "exercises" / "release").glob("*/*.ipynb"))
STATE = {"ran": 0}


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    root = tmp_path_factory.mktemp("colab-runtime")
    runtime = ColabRuntime(root, REPO_ROOT, repo_url()).create()
    runtime.before = runtime.freeze()
    yield runtime
    clean(root)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs_in_colab(path, colab, tmp_path):
    errors = colab.run_notebook(path, tmp_path)
    STATE["ran"] += 1
    assert not errors, f"{path.name} fails in a Colab runtime:\n" + "\n".join(errors)


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
