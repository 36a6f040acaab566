"""The nbgrader course in exercises/: layout, metadata, release == generate_assignment(source), no leaks.

Validator runs execute notebooks (a few seconds each); the grading pipeline itself is tested in
tests/test_grading_pipeline.py.
"""
import pathlib
import re
import shutil
import sys

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES))
import fake_students  # noqa: E402
import generate_release  # noqa: E402

sys.path.remove(str(EXERCISES))

ASSIGNMENTS = generate_release.assignments()
EXPECTED = ["ch01_perceptron", "ch02_mlp", "ch03_loss_gd", "ch04_backprop", "ch05_optimizers",
            "ch06_regularization", "ch07_cnn", "ch08_rnn", "ch09_lstm_gru", "ch10_attention", "ch11_transfer",
            "ch12_modern_cnn", "ch13_detection", "ch14_tokens_embeddings",
            "ch15_seq2seq", "ch16_text_pretraining", "ch17_autoencoders",
            "ch18_vae_gan", "ch19_diffusion", "ch20_rl"]
SECRET_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def repo_url():
    text = (ROOT / "_config.yml").read_text()
    return re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, re.M).group(1)


def source_nb(name):
    return nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", as_version=4)


def release_path(name):
    return EXERCISES / "release" / name / f"{name}.ipynb"


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def test_all_chapter_assignments_exist():
    assert set(EXPECTED) <= set(ASSIGNMENTS), f"missing: {set(EXPECTED) - set(ASSIGNMENTS)}"
    for name in ASSIGNMENTS:
        assert release_path(name).exists(), f"run `python exercises/generate_release.py {name}`"


def test_course_config_is_portable():
    text = (EXERCISES / "nbgrader_config.py").read_text()
    assert not re.search(r"['\"](/|[A-Za-z]:\\)", text), "no absolute paths in nbgrader_config.py"
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(EXERCISES)).load_config()
    assert pathlib.Path(cfg.CourseDirectory.root) == EXERCISES
    assert cfg.CourseDirectory.db_url == f"sqlite:///{EXERCISES / 'gradebook.db'}"
    assert cfg.CourseDirectory.course_id == "dlbook"
    assert 30 <= cfg.Execute.timeout <= 600
    # a copy of the course elsewhere points at its own folder and gradebook
    gitignore = (ROOT / ".gitignore").read_text()
    for entry in ("exercises/gradebook.db", "exercises/submitted/", "exercises/autograded/", "exercises/feedback/"):
        assert entry in gitignore


def test_course_config_follows_a_copy(tmp_path):
    for f in ("nbgrader_config.py", "nbgrader_ext.py"):
        shutil.copy(EXERCISES / f, tmp_path)
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert pathlib.Path(cfg.CourseDirectory.root) == tmp_path


def test_release_is_exactly_what_generate_assignment_produces():
    fresh = generate_release.generate()
    try:
        for name, folder in fresh.items():
            diff = generate_release.differences(folder, EXERCISES / "release" / name)
            assert not diff, (f"{name}: release/ is stale; run `python exercises/generate_release.py`:\n"
                              + "\n".join(diff[:20]))
    finally:
        shutil.rmtree(next(iter(fresh.values())).parent.parent, ignore_errors=True)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_solution_or_hidden_test_text_in_release(name):
    src = source_nb(name)
    public = "\n".join(BLOCK.sub("", c.source) for c in src.cells)
    secret = {ln.strip() for c in src.cells for m in BLOCK.finditer(c.source) for ln in m.group(2).splitlines()}
    secret = {ln for ln in secret if len(ln) >= 12 and ln not in public and not ln.startswith("#")}
    assert len(secret) > 10
    for path in (EXERCISES / "release" / name).rglob("*"):
        if path.is_file():
            text = path.read_text()
            release = nbformat.reads(text, as_version=4) if path.suffix == ".ipynb" else None
            body = "\n".join(c.source for c in release.cells) if release else text
            for marker in SECRET_MARKERS:
                assert marker not in text, f"{path.name} contains {marker!r}"
            leaked = [ln for ln in secret if ln in body]
            assert not leaked, f"{path.name} leaks solution/hidden-test lines: {leaked[:5]}"


def test_book_does_not_include_exercise_sources():
    import yaml
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert any(p.strip("/").split("/")[0] == "exercises" for p in config.get("exclude_patterns", [])), (
        "the book must not build exercises/ (add it to exclude_patterns in _config.yml)")
    toc = (ROOT / "_toc.yml").read_text()
    assert "exercises/source" not in toc
    build = ROOT / "_build" / "html"
    if build.exists():
        for page in build.rglob("*.html"):
            text = page.read_text(errors="ignore")
            assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, page


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_points_tasks_and_test_cells(name):
    nb = source_nb(name)
    tasks = fake_students.tasks(nb)
    points = fake_students.task_points(nb)
    assert len(tasks) >= 3, f"{name}: {len(tasks)} graded tasks, need >= 3"
    assert sum(points.values()) >= 10, f"{name}: {sum(points.values())} points, need >= 10"
    ids = [nbg(c)["grade_id"] for c in nb.cells if nbg(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    sources = {nbg(c).get("grade_id"): c.source for c in nb.cells}
    for sol, tests in tasks:
        assert tests, f"{name}: task {sol} has no test cell"
        assert points[sol] > 0
        for test_id, _ in tests:
            code = sources[test_id]
            assert code.count("### BEGIN HIDDEN TESTS") == 1 and code.count("### END HIDDEN TESTS") == 1
            visible, hidden = code.split("### BEGIN HIDDEN TESTS")
            hidden = hidden.split("### END HIDDEN TESTS")[0]
            assert re.search(r"\b(check_\w+|assert)\b", visible), f"{test_id}: no visible test"
            assert re.search(r"\b(check_\w+|assert)\b", hidden), f"{test_id}: no hidden test"
            assert "default_rng(" in hidden, f"{test_id}: hidden tests should use fresh random inputs"
    hidden_code = "\n".join(m.group(2) for c in nb.cells for m in BLOCK.finditer(c.source))
    assert re.search(r"dlkit|eval_numerical_gradient|rel_error", hidden_code), (
        f"{name}: hidden tests should compare against references (dlkit or finite differences)")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_cell_metadata(name):
    for kind, nb in (("source", source_nb(name)), ("release", nbformat.read(release_path(name), 4))):
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            meta = nbg(cell)
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{kind}: clear outputs"
            if cell.cell_type == "markdown":
                assert meta.get("locked"), f"{kind}: markdown cell {cell.id} must be read-only"
            if meta.get("solution"):
                assert not meta.get("locked") and not meta.get("grade")
                if kind == "release":
                    assert "raise NotImplementedError()" in cell.source
            if meta.get("grade"):
                assert meta.get("locked") and meta.get("points", 0) > 0 and cell.cell_type == "code"
                assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_first_cell_is_the_colab_setup(name):
    for nb in (source_nb(name), nbformat.read(release_path(name), 4)):
        first = nb.cells[0]
        assert first.cell_type == "code" and nbg(first).get("locked")
        assert 'if "google.colab" in sys.modules:' in first.source
        pip = re.search(r"pip install .*\"dlkit @ git\+(\S+)\"", first.source)
        assert pip and pip.group(1) == repo_url(), first.source
        assert "==" not in first.source, "no version pins: Colab's preinstalled packages must not be downgraded"
        assert "set_seed(" in first.source


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_passes_validator(name):
    from nbgrader.validator import Validator
    result = Validator().validate(str(EXERCISES / "source" / name / f"{name}.ipynb"))
    assert result == {}, f"{name}: the instructor solution fails its own tests:\n{str(result)[:3000]}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_fails_validator(name):
    from nbgrader.validator import Validator
    result = Validator(invert=True).validate(str(release_path(name)))
    assert result == {}, f"{name}: some tests pass on the untouched release notebook:\n{str(result)[:3000]}"


def test_readme_documents_the_course():
    text = (EXERCISES / "README.md").read_text()
    for word in ("generate_assignment", "collect", "autograde", "generate_feedback", "export", "validate",
                 "Colab", "generate_release.py"):
        assert word in text, f"exercises/README.md should explain {word}"
    for name in ASSIGNMENTS:
        colab = f"https://colab.research.google.com/github/{repo_url().split('github.com/')[1]}/blob/main/" \
                f"exercises/release/{name}/{name}.ipynb"
        assert colab in text, f"README: no Colab link for {name}"
