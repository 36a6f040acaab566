"""Data discipline: no chapter, GPU section or exercise trains on, or selects a model with, its test set."""
from __future__ import annotations

import pytest
from conftest import REPO_ROOT, chapter_notebooks, code_cells, read_nb
from data_discipline import find_test_misuse


def all_notebooks():
    nbs = chapter_notebooks()
    for sub in ("source", "release"):
        nbs += sorted((REPO_ROOT / "exercises" / sub).glob("*/*.ipynb"))
    return nbs


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_no_test_set_in_training_or_selection(path):
    problems = []
    for i, cell in enumerate(code_cells(read_nb(path))):  # every code cell, skip-execution GPU cells included
        problems += [f"code cell {i}: {p}" for p in find_test_misuse(cell.source)]
    assert not problems, f"{path.name} uses its test set for training or model selection:\n" + "\n".join(problems)


@pytest.mark.parametrize("bad", [
    "model.fit(x, y, validation_data=(x_test, y_test))",
    "h = m.fit(x_train, y_train,\n      epochs=3, validation_data=(X_test, y_test)).history",
    "classifier.fit(imdb_train, validation_data=imdb_test, epochs=2)",
    "model.fit(ds, validation_data=tfds.load('imdb', split='test'))",
    "model.fit(x_test, y_test, epochs=1)",
    "!pip install foo\nmodel.fit(xm_train, ym_train, validation_data=(xm_test, ym_test))",
    "model.train_on_batch(xtest, ytest)",
])
def test_scanner_flags_misuse(bad):
    assert find_test_misuse(bad), bad


@pytest.mark.parametrize("good", [
    "model.fit(x, y, validation_data=(x_val, y_val))",
    "model.fit(x_train, y_train, validation_split=0.1)",
    "acc = model.evaluate(x_test, y_test)",  # the one final evaluation is allowed
    "latest = model.fit(x_latest, y, validation_data=(x_contest, y_val))",
])
def test_scanner_accepts_clean_code(good):
    assert find_test_misuse(good) == [], good
