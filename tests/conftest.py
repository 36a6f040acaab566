"""Shared helpers of the test suite (keep minimal): the repository root, the book's configuration,
its table of contents and chapter notebooks, and the session-scoped book build.

Collection: `pytest` from the repository root collects tests/ and chapters/ only (pyproject's
testpaths); `norecursedirs` there keeps _build/, .venv/ and exercises/ out, so no notebook copy
(e.g. _build/html/_sources/chapters/*.ipynb) is ever collected twice.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
HTML = REPO_ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@functools.lru_cache(maxsize=None)
def config() -> dict:
    return yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))


def repo_url() -> str:
    return config()["repository"]["url"].rstrip("/")


def org_repo() -> str:
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", repo_url())
    assert m, f"repository.url must be https://github.com/<org>/<repo>, got {repo_url()!r}"
    return m.group(1)


def colab_url(path: str) -> str:
    colab = config()["launch_buttons"]["colab_url"].rstrip("/")
    return f"{colab}/github/{org_repo()}/blob/{config()['repository']['branch']}/{path}"


def toc_docs() -> list[str]:
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                docs.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


def toc_chapters() -> list[str]:
    return [d for d in toc_docs() if d.startswith("chapters/")]


def chapter_notebooks() -> list[Path]:
    return sorted((REPO_ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def read_nb(path: Path):
    return nbformat.read(str(path), as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="session")
def built_book() -> Path:
    """`jupyter-book build . --all -W --keep-going` from the repository root, once per session;
    fails with the build log on a non-zero exit or any warning."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else (shutil.which("jupyter-book") or "jupyter-book"),
           "build", ".", "--all", "-W", "--keep-going"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=1200)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or "WARNING" in log:
        pytest.fail(f"`{' '.join(cmd[1:])}` failed (exit {proc.returncode}):\n{log[-8000:]}", pytrace=False)
    return HTML


@pytest.fixture(autouse=True)
def _seed_dlkit():
    """Every test starts from the same dlkit.np random state, so no result depends on test order."""
    from dlkit.np.random import set_seed

    set_seed(0)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the hostile-student grading table (tests/test_grading_pipeline.py) after the run."""
    for line in getattr(config, "dlbook_grading_table", []):
        terminalreporter.write_line(line)
