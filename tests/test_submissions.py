"""Submissions from Colab and from LMS downloads, through the real nbgrader pipeline (issue 13 §5).

One small assignment (ch01_perceptron) in a temporary copy of the course, a class of awkward but honest
submissions (all with the correct solution unless said otherwise):

    colab         "Copy of ch01_perceptron.ipynb" (Colab's "Save a copy in Drive") saved by Colab: nbformat 4.0,
                  no cell ids, Colab metadata ("colab", "accelerator", "outputId")
    download_dup  "ch01_perceptron (1).ipynb" (a browser's second download)
    dup_test      a test cell duplicated (today: autograde stops for the whole class, "old metadata format")
    deleted_test  a test cell deleted (nbgrader puts it back, hidden tests included, and grades it)
    missing       uploaded only a .py file
    absent        in the class list, submitted nothing
    ambiguous     both "Copy of ch01_perceptron.ipynb" and "ch01_perceptron (1).ipynb": the instructor chooses
    Jane Doe      Moodle download (zip, one folder per student: "Jane Doe_12345_assignsubmission_file_/...")
    23456         Canvas download (zip, "doejohn_23456_99999_ch01_perceptron-1.ipynb")

zip_collect -> collect.py -> autograde -> export; every score, every status and every fix is asserted.
"""
import contextlib
import importlib.util
import io
import os
import copy
import csv
import json
import pathlib
import resource
import shutil
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES))
import fake_students  # noqa: E402
import generate_release  # noqa: E402

sys.path.remove(str(EXERCISES))

A = "ch01_perceptron"
TEST_CONFIG = """
# --- added by tests/test_submissions.py ---
c.Execute.timeout = 60  # honest notebooks only: generous, so that a loaded machine cannot fail them
c.Execute.startup_timeout = 120
"""
FULL = {"colab", "download_dup", "dup_test", "deleted_test", "Jane Doe", "23456"}
GRADED_TEST = "test_perceptron_update"  # the test cell duplicated / deleted


def cpu():
    """CPU seconds used so far by this process and its finished subprocesses (nbgrader and its kernels)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@contextlib.contextmanager
def phase(phases, name):
    t, c = time.monotonic(), cpu()
    yield
    phases[name] = (round(time.monotonic() - t, 1), round(cpu() - c, 1))  # (wall s, CPU s)


def run(args, cwd, timeout, ok=(0,)):
    proc = subprocess.run(args, cwd=cwd, env=generate_release.nbgrader_env(), capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode in ok, f"{' '.join(map(str, args))} exited with {proc.returncode}:\n{out[-4000:]}"
    return proc.returncode, proc.stdout, proc.stderr


def nbgrader(args, cwd, timeout=300, ok=(0,)):
    return run([sys.executable, "-m", "nbgrader", *args], cwd, timeout, ok)


def colab_saved(nb):
    """``nb`` as Colab writes it: nbformat 4.0, no cell ids (Colab keeps its own in metadata.id), Colab metadata."""
    d = json.loads(nbformat.writes(nb))
    d["nbformat_minor"] = 0
    d["metadata"] = {"accelerator": "GPU", "colab": {"provenance": [], "name": f"{A}.ipynb", "gpuType": "T4"},
                     "kernelspec": {"name": "python3", "display_name": "Python 3"}, "language_info": {"name": "python"}}
    for i, cell in enumerate(d["cells"]):
        del cell["id"]
        cell["metadata"]["id"] = f"Zq{i:02d}xKc7-L_u"
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            cell["metadata"]["outputId"] = f"0c4e{i:04d}-8b1d-4f3a-9e2c-5d6f7a8b9c0d"
            cell["execution_count"] = i
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran in Colab\n"]}]
    return json.dumps(d, indent=2)


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else nbformat.writes(content))


def grade_ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    t0, c0 = time.monotonic(), cpu()
    course = tmp_path_factory.mktemp("submissions") / "course"
    course.mkdir()
    for f in ("nbgrader_config.py", "nbgrader_ext.py", "export_plugin.py"):
        shutil.copy(EXERCISES / f, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(TEST_CONFIG)
    shutil.copytree(EXERCISES / "source" / A, course / "source" / A)
    phases = {}
    with phase(phases, "generate_assignment"):
        nbgrader(["generate_assignment", A, "--force"], course)

    source = nbformat.read(course / "source" / A / f"{A}.ipynb", 4)
    release = nbformat.read(course / "release" / A / f"{A}.ipynb", 4)
    good = fake_students._with_solutions(release, source, [t for t, _ in fake_students.tasks(source)])
    at = grade_ids(good).index(GRADED_TEST)
    sub = course / "submitted"
    write(sub / "colab" / A / f"Copy of {A}.ipynb", colab_saved(good))
    write(sub / "download_dup" / A / f"{A} (1).ipynb", good)
    dup = copy.deepcopy(good)
    twin = copy.deepcopy(dup.cells[at])
    twin.id = "my-copy"
    dup.cells.insert(at + 1, twin)
    write(sub / "dup_test" / A / f"{A}.ipynb", dup)
    deleted = copy.deepcopy(good)
    del deleted.cells[at]
    write(sub / "deleted_test" / A / f"{A}.ipynb", deleted)
    write(sub / "missing" / A / f"{A}.py", "def perceptron_predict(X, w, b): ...\n")
    write(sub / "ambiguous" / A / f"Copy of {A}.ipynb", good)
    write(sub / "ambiguous" / A / f"{A} (1).ipynb", release)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "dlbook") as gb:  # the class list
        gb.add_student("absent", first_name="Ann", last_name="Absent")

    # LMS downloads: Moodle (one folder per student) and Canvas (flat), through nbgrader zip_collect
    archive = course / "downloaded" / A / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "moodle.zip", "w") as z:
        z.writestr(f"Jane Doe_12345_assignsubmission_file_/{A}.ipynb", nbformat.writes(good))
    with zipfile.ZipFile(archive / "canvas.zip", "w") as z:
        z.writestr(f"doejohn_23456_99999_{A}-1.ipynb", nbformat.writes(good))
        z.writestr("doejohn_23456_99999_notes.txt", "not collected")
    with phase(phases, "zip_collect"):
        zip_log = nbgrader(["zip_collect", A], course)
    snapshot = {p.relative_to(sub).as_posix() for p in sub.rglob("*") if p.is_file()}

    with phase(phases, "collect.py"):
        rc, out, err = run([sys.executable, str(EXERCISES / "collect.py"), A, "--root", str(course)], course,
                           timeout=120, ok=(0, 1))
    (course / "collect.log").write_text(out + err)
    spec = importlib.util.spec_from_file_location("dlbook_collect", EXERCISES / "collect.py")
    collect_py = importlib.util.module_from_spec(spec)  # the second run in this process: one start-up less
    spec.loader.exec_module(collect_py)
    with contextlib.redirect_stdout(io.StringIO()) as out2, contextlib.redirect_stderr(io.StringIO()):
        rc2 = collect_py.main([A, "--root", str(course)])  # a second run changes nothing
    out2 = out2.getvalue()
    with open(course / "collect_report.csv", newline="") as f:
        report = list(csv.DictReader(f))

    with phase(phases, "autograde"):
        _, ag_out, ag_err = nbgrader(["autograde", A, "--force"], course, timeout=600, ok=(0, 1))
    (course / "autograde.log").write_text(ag_out + ag_err)  # kept with the course, for post-mortems
    with phase(phases, "export"):
        _, ex_out, ex_err = nbgrader(["export", "--to", "grades.csv"], course)
    with open(course / "grades.csv", newline="") as f:
        grades = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}
    cells = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sid in grades:
            try:
                cells[sid] = {g.name: (g.score, g.max_score) for g in gb.find_submission_notebook(A, A, sid).grades}
            except Exception:
                pass
    return dict(course=course, good=good, snapshot=snapshot, zip_log=zip_log, collect=(rc, out, err),
                collect2=(rc2, out2), report=report, autograde=ag_out + ag_err, export=ex_out + ex_err, grades=grades,
                cells=cells,
                seconds=time.monotonic() - t0, cpu=cpu() - c0, phases=phases)


def test_zip_collect_reads_moodle_and_canvas_names(course):
    assert {"Jane Doe/ch01_perceptron/ch01_perceptron.ipynb",
            "23456/ch01_perceptron/ch01_perceptron-1.ipynb"} <= course["snapshot"]
    assert not any("notes.txt" in p for p in course["snapshot"])


def test_collect_report_names_every_fix_and_problem(course):
    rc, out, err = course["collect"]
    assert rc == 1, "missing and ambiguous submissions need the instructor: collect.py must exit 1"
    rows = {(r["student_id"], r["code"], r["level"]) for r in course["report"]}
    for expected in [("colab", "upgraded", "fixed"), ("colab", "renamed", "fixed"),
                     ("download_dup", "renamed", "fixed"), ("dup_test", "duplicate-cell", "fixed"),
                     ("deleted_test", "deleted-test", "note"), ("missing", "missing", "attention"),
                     ("ambiguous", "several-candidates", "attention"), ("23456", "renamed", "fixed")]:
        assert expected in rows, f"{expected} not in collect_report.csv:\n{out}"
    assert not [r for r in course["report"] if r["student_id"] == "Jane Doe"], "nothing to fix for Jane Doe"
    for student in FULL - {"colab"}:
        assert (student, "upgraded", "fixed") not in rows
    assert "renamed 'Copy of ch01_perceptron.ipynb' to 'ch01_perceptron.ipynb'" in out
    assert "renamed 'ch01_perceptron (1).ipynb' to 'ch01_perceptron.ipynb'" in out
    assert "renamed 'ch01_perceptron-1.ipynb' to 'ch01_perceptron.ipynb'" in out
    assert "upgraded nbformat 4.0 to 4.5 (saved by Colab" in out
    assert f"test cell '{GRADED_TEST}' appeared twice" in out
    assert f"test cell '{GRADED_TEST}' (3 points) was deleted" in out
    # the problems are repeated at the end, on stderr, each with the command that fixes it
    assert "missing: no notebook ch01_perceptron.ipynb: it holds only 'ch01_perceptron.py'" in err
    assert "ambiguous: no ch01_perceptron.ipynb but 2 candidate notebooks" in err and "mv " in err
    # idempotent: the second run fixes nothing more and keeps the first run's fixes in the report
    rc2, out2 = course["collect2"]
    assert rc2 == 1 and " fixed " not in out2 and "0 fix(es)" in out2


def test_collect_upgrades_colab_notebooks_keeping_nbgrader_metadata(course):
    sub = course["course"] / "submitted"
    for sid in ("colab",):
        nb = nbformat.read(sub / sid / A / f"{A}.ipynb", 4)
        assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
        nbformat.validate(nb)
        assert [c.id for c in nb.cells] == [c.metadata["id"] for c in nb.cells]  # Colab's own ids, kept
        assert nb.metadata["colab"]["name"] == f"{A}.ipynb" and nb.metadata["accelerator"] == "GPU"
        assert [c.metadata.get("nbgrader") for c in nb.cells] == [c.metadata.get("nbgrader")
                                                                  for c in course["good"].cells]
        original = course["course"] / "collect_originals" / A / sid
        assert len(list(original.glob("*.ipynb"))) == 1, "the student's original file is kept"
    nb = nbformat.read(sub / "dup_test" / A / f"{A}.ipynb", 4)
    assert grade_ids(nb) == grade_ids(course["good"])
    assert {p.name for p in (sub / "ambiguous" / A).iterdir()} == {f"{A} (1).ipynb", f"Copy of {A}.ipynb"}


def test_every_honest_submission_gets_full_marks(course):
    grades, log = course["grades"], course["autograde"]
    assert "old version" not in log, "a duplicated cell must not stop autograde"
    for sid in sorted(FULL):
        row = grades[sid]
        assert float(row["score"]) == float(row["max_score"]) == 10.0, f"{sid}: {row}\n{log[-3000:]}"
        assert row["status"] == "graded", f"{sid}: {row}"
    assert "renamed 'Copy of ch01_perceptron.ipynb'" in grades["colab"]["detail"]
    assert "upgraded nbformat 4.0 to 4.5" in grades["colab"]["detail"]
    assert "renamed 'ch01_perceptron-1.ipynb'" in grades["23456"]["detail"]


def test_deleted_test_cell_is_restored_and_graded(course):
    assert f"Missing grade cell {GRADED_TEST} encountered, adding to notebook" in course["autograde"]
    assert course["cells"]["deleted_test"][GRADED_TEST] == (3.0, 3.0)
    graded = nbformat.read(course["course"] / "autograded" / "deleted_test" / A / f"{A}.ipynb", 4)
    restored = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == GRADED_TEST]
    assert len(restored) == 1 and "was missing from the submission" in restored[0].source
    assert "BEGIN HIDDEN TESTS" in restored[0].source, "the restored cell runs the hidden tests too"
    ids = grade_ids(graded)
    assert ids.index(GRADED_TEST) == ids.index("perceptron_update") + 1, "put back right after its task"


def test_export_marks_missing_and_problem_submissions(course):
    grades = course["grades"]
    assert grades["missing"]["status"] == "missing"
    assert "ch01_perceptron.py" in grades["missing"]["detail"]
    assert grades["absent"]["status"] == "missing" and "nothing submitted" in grades["absent"]["detail"]
    assert grades["ambiguous"]["status"] == "needs-review"
    assert "candidate notebooks" in grades["ambiguous"]["detail"]
    for sid in ("missing", "absent", "ambiguous"):
        assert float(grades[sid]["score"]) == 0.0  # nbgrader's number is kept; the status says why
    assert set(grades) == FULL | {"missing", "absent", "ambiguous"}
    # ... and the export says so on the terminal too
    assert "3 submission(s) are not simply graded" in course["export"]
    for sid, status in (("missing", "MISSING"), ("absent", "MISSING"), ("ambiguous", "NEEDS-REVIEW")):
        assert f"{A} / {sid}: {status}" in course["export"]


def test_collect_edge_cases(course, tmp_path):
    """collect.py alone (no nbgrader run): unusual names, deleted read-only cells, cells nbgrader cannot place,
    wrong or broken files, --dry-run."""
    root = tmp_path / "course"
    shutil.copytree(course["course"] / "release", root / "release")
    shutil.copy(course["course"] / "nbgrader_config.py", root)
    good, sub = course["good"], root / "submitted"
    write(sub / "untitled" / A / "Untitled0.ipynb", good)  # a new name: recognised by its cells
    write(sub / "nested" / A / "work" / f"{A}.ipynb", good)  # in a sub-folder
    no_setup = copy.deepcopy(good)
    no_setup.cells = [c for c in no_setup.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "setup_01"]
    stray = copy.deepcopy(good.cells[grade_ids(good).index(GRADED_TEST)])  # a test cell from another notebook
    stray.id, stray.metadata["nbgrader"]["grade_id"] = "stray", "test_relu_from_ch02"
    no_setup.cells.append(stray)
    write(sub / "no_setup" / A / f"{A}.ipynb", no_setup)
    no_task = copy.deepcopy(good)  # solution AND test cell deleted: nbgrader 0.9 could not place the test
    no_task.cells = [c for c in no_task.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") not in ("perceptron_update", GRADED_TEST)]
    write(sub / "no_task" / A / f"{A}.ipynb", no_task)
    other = copy.deepcopy(good)
    other.cells = [c for c in other.cells if not c.metadata.get("nbgrader")]
    write(sub / "wrong" / A / f"{A}.ipynb", other)
    write(sub / "broken" / A / f"{A}.ipynb", "this is {not a notebook")
    before = {p: p.read_bytes() for p in sub.rglob("*") if p.is_file()}
    spec = importlib.util.spec_from_file_location("dlbook_collect", EXERCISES / "collect.py")
    collect_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(collect_py)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert collect_py.main([A, "--root", str(root), "--dry-run"]) == 1
    assert before == {p: p.read_bytes() for p in sub.rglob("*") if p.is_file()}, "--dry-run changed a file"
    assert not (root / "collect_report.csv").exists()
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
        assert collect_py.main([A, "--root", str(root)]) == 1
    out = out.getvalue()
    with open(root / "collect_report.csv", newline="") as f:
        rows = {(r["student_id"], r["code"], r["level"]) for r in csv.DictReader(f)}
    assert {("untitled", "renamed", "note"), ("nested", "renamed", "fixed"), ("no_setup", "restored-cell", "fixed"),
            ("no_task", "restored-cell", "fixed"), ("no_task", "deleted-solution", "note"),
            ("wrong", "wrong-notebook", "attention"), ("broken", "not-a-notebook", "attention"),
            ("no_setup", "unknown-cell", "fixed")} <= rows, out
    for sid in ("untitled", "nested", "no_setup", "no_task"):
        nb = nbformat.read(sub / sid / A / f"{A}.ipynb", 4)
        nbformat.validate(nb)
        expected = [g for g in grade_ids(good) if sid != "no_task" or g != "perceptron_update"]
        expected += [None] if sid == "no_setup" else []  # the stray cell, now an ordinary cell
        assert grade_ids(nb) == expected, f"{sid}: {grade_ids(nb)}"
