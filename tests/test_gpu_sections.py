"""Every "Scale it up on a GPU" section runs in CI, in smoke mode, on local data (tests/gpu_smoke.py).

The cells are the reader's code: ``DLBOOK_SMOKE=1`` shrinks sizes and epochs, MNIST files come from
127.0.0.1, tfds from ``tfds.testing.mock_data`` and keras-hub presets from a tiny local preset. Each
section trains a ``dlkit.tf`` model beside its stock-Keras twin after checking that both compute the
same outputs and first-step gradients.
"""
from __future__ import annotations

import re

import nbformat
import pytest
from conftest import REPO_ROOT

from gpu_smoke import GPU_TAG, gpu_cell_indices, outputs_text, run_gpu_section, smoke_env

NOTEBOOKS = sorted((REPO_ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
SECTIONS = [p for p in NOTEBOOKS if gpu_cell_indices(nbformat.read(p, as_version=4))]
RAN: dict[str, int] = {}


def _cells(path):
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_gpu_cells_are_tagged_and_switchable(path):
    """Nothing is left unexecuted: a cell skipped by the book is a GPU cell, and every GPU cell reads the
    smoke switch in its first lines and is skipped by the book build and nbval."""
    cells = _cells(path)
    for i, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not ({"skip-execution", "nbval-skip", GPU_TAG} & set(tags)):
            continue
        assert {"skip-execution", "nbval-skip", GPU_TAG} <= set(tags), f"{path.name} cell {i}: tags {tags}"
        head = "\n".join(cell.source.splitlines()[:8])
        assert 'os.environ.get("DLBOOK_SMOKE")' in head, f"{path.name} cell {i}: no smoke switch in its first lines"
        assert not cell.get("outputs"), f"{path.name} cell {i}: a GPU cell stores no outputs (never run by the build)"
    headings = [c for c in cells if c.cell_type == "markdown" and re.search(r"^#+ .*on a GPU", c.source, re.M)]
    if headings:
        assert gpu_cell_indices(nbformat.read(path, as_version=4)), f"{path.name}: a GPU section without GPU cells"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    env, server = smoke_env(tmp_path_factory.mktemp("gpu-smoke"))
    yield env
    server.stop()


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.stem)
def test_gpu_section_runs_in_smoke_mode(path, smoke, tmp_path):
    n, nb = run_gpu_section(path, smoke, tmp_path)
    RAN[path.name] = n
    text = outputs_text(nb)
    assert "dlkit.tf vs Keras, same weights" in text, f"{path.name}: no dlkit.tf model checked against Keras"
    assert re.search(r"TensorFlow \S+: ", text), f"{path.name}: no dlkit.tf.device_report()"
    assert re.search(r"examples/s", text), f"{path.name}: no throughput printed"


def test_every_gpu_cell_was_executed(capsys):
    expected = {p.name: len(gpu_cell_indices(nbformat.read(p, as_version=4))) for p in SECTIONS}
    assert expected, "no chapter has a GPU section"
    assert RAN == expected, "run the whole file: some GPU sections did not run"
    with capsys.disabled():
        print(f"\nGPU cells executed in smoke mode: {sum(RAN.values())} in {len(RAN)} chapters "
              f"({', '.join(f'{k[:2]}: {v}' for k, v in sorted(RAN.items()))})")
