"""The nbgrader grading pipeline, proven against honest and hostile students.

For every assignment in exercises/source (in its own temporary copy of the course, with a short per-cell
timeout): generate_assignment, submit the fake students of exercises/fake_students.py (solution, untouched,
tampered, infinite_loop, kernel_kill, invalid_nb, partial) and the mutation catalogue (exercises/mutants/,
planned by exercises/mutation_plan.py), run ONE `nbgrader autograde <assignment>` for all of them,
generate_feedback, export to CSV, and assert every score from the CSV and the gradebook.
Assignments are graded two at a time (DLBOOK_GRADING_WORKERS, default 2). Every subprocess has a timeout.

What is proven, per assignment, by real grading: (a) every catalogue answer is graded; every wrong one loses
points in its task, every correct one gets full marks in its task; (b) "one bug costs one task": each task but
the last, broken on purpose (its stub; its stub returning NaN), costs no point in any other task, and no wrong
answer costs points in a task that holds a correct answer; (c) the fake students get exactly their scores.
The catalogue answers of different tasks share submissions (~2.3x fewer kernel runs than one per answer);
exercises/mutation_plan.py explains why a shared submission proves what one submission per answer proved.

The students whose behaviour does not depend on the assignment (fake_students.ASSIGNMENT_INDEPENDENT:
infinite_loop, which costs a full cell timeout, and kernel_kill) go to the first and the last assignment only
(LOOPED); every other hostile and honest student goes to every assignment.
"""
import concurrent.futures
import csv
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES))
import fake_students  # noqa: E402
import generate_release  # noqa: E402
import mutation  # noqa: E402
import mutation_plan  # noqa: E402

sys.path.remove(str(EXERCISES))

ASSIGNMENTS = generate_release.assignments()
STUDENTS = fake_students.STUDENTS
LOOPED = {ASSIGNMENTS[0], ASSIGNMENTS[-1]}  # the assignments that also get infinite_loop and kernel_kill
CELL_TIMEOUT = 20  # seconds per cell in the test course (the real course uses 120); 10 flaked under load
UNGRADABLE = ("kernel_kill", "invalid_nb")  # hostile notebooks that nbgrader is expected to refuse
WORKERS = int(os.environ.get("DLBOOK_GRADING_WORKERS", "2"))
TEST_CONFIG = f"""
# --- added by tests/test_grading_pipeline.py ---
c.Execute.timeout = {CELL_TIMEOUT}
c.Execute.startup_timeout = 120
"""


def nbgrader(args, cwd, timeout, ok_codes=(0,)):
    """Run one nbgrader command, bounded by ``timeout`` (killed after it).

    Returns the log as ``[(seconds since start, line), ...]``, each line stamped when it arrived.
    """
    cmd = [sys.executable, "-m", "nbgrader", *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=generate_release.nbgrader_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend((time.monotonic() - t0, ln.rstrip("\n"))
                                                         for ln in proc.stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)  # the nbgrader process and the kernels it started
        proc.wait()
        pytest.fail(f"`nbgrader {' '.join(args)}` did not finish within {timeout} s:\n"
                    + "\n".join(ln for _, ln in lines[-40:]))
    reader.join(timeout=30)
    text = "\n".join(ln for _, ln in lines)
    assert proc.returncode in ok_codes, f"`nbgrader {' '.join(args)}` exited with {proc.returncode}:\n{text[-4000:]}"
    return lines


def student_times(lines):
    """Seconds autograde spent on each student (from one 'Creating/updating student' line to the next)."""
    starts = [(m.group(1), t) for t, ln in lines
              for m in [re.search(r"Creating/updating student with ID '([^']+)'", ln)] if m]
    end = lines[-1][0] if lines else 0.0
    return {name: t1 - t0 for (name, t0), (_, t1) in zip(starts, starts[1:] + [(None, end)])}


def grade_assignment(name, base):
    """The whole pipeline for one assignment in ``base/name``; returns what the tests assert on."""
    course = base / name
    course.mkdir(parents=True)
    for f in ("nbgrader_config.py", "nbgrader_ext.py"):
        shutil.copy(EXERCISES / f, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(TEST_CONFIG)
    shutil.copytree(EXERCISES / "source" / name, course / "source" / name)
    t0 = time.perf_counter()
    nbgrader(["generate_assignment", name, "--force"], course, timeout=300)
    students = STUDENTS if name in LOOPED else tuple(s for s in STUDENTS
                                                     if s not in fake_students.ASSIGNMENT_INDEPENDENT)
    expected = fake_students.make_submissions(name, course, students=students)
    made = mutation.make_submissions(name, course)  # the catalogue of realistic answers, shared submissions
    t1 = time.perf_counter()
    # one autograde call for all students; bounded even if every cell of every student hit the timeout
    n_cells = sum(1 for c in nbformat.read(course / "source" / name / f"{name}.ipynb", 4).cells
                  if c.cell_type == "code")
    # autograde exits with 1 because two hostile notebooks (kernel_kill, invalid_nb) cannot be graded
    lines = nbgrader(["autograde", name, "--force"], course, ok_codes=(0, 1),
                     timeout=len(STUDENTS) * (60 + 2 * CELL_TIMEOUT) + n_cells * 30 + len(made) * 60)
    log = "\n".join(ln for _, ln in lines)
    # A submission that nbgrader could not grade at all (no autograded notebook) although it should be gradable is
    # not a grade but a failure of the grader (seen once in CI, for ch01's partial submission; not reproduced): regrade
    # that student once, alone, and report it. A second failure stays a failure and the tests below catch it.
    retried = {}
    for student in [*students, *made]:
        if student in UNGRADABLE or (course / "autograded" / student / name / f"{name}.ipynb").exists():
            continue
        retried[student] = [ln for ln in log.splitlines() if "ERROR" in ln or "Error" in ln][-5:]
        nbgrader(["autograde", name, "--student", student, "--force"], course, ok_codes=(0, 1),
                 timeout=60 + n_cells * (30 + 2 * CELL_TIMEOUT))
    t2 = time.perf_counter()
    nbgrader(["generate_feedback", name, "--force"], course, timeout=300)
    nbgrader(["export", "--to", "grades.csv"], course, timeout=300)
    t3 = time.perf_counter()
    with open(course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == name}
    from nbgrader.api import Gradebook
    cells = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in [*students, *made]:
            try:
                nb = gb.find_submission_notebook(name, name, student)
            except Exception:
                continue
            cells[student] = {g.name: (g.score, g.max_score) for g in nb.grades}
    source_nb = nbformat.read(course / "source" / name / f"{name}.ipynb", 4)
    verdicts = mutation.judge(name, made, cells, source_nb)
    return {"course": course, "students": students, "expected": expected, "retried": retried, "rows": rows,
            "cells": cells, "log": log, "made": made, "verdicts": verdicts,
            "times": student_times(lines), "phases": {"generate": t1 - t0, "autograde": t2 - t1,
                                                    "feedback+export": t3 - t2}}


class Pipeline:
    """Grades assignments lazily in a thread pool (assignments graded WORKERS at a time)."""

    def __init__(self, base, wanted):
        self.base, self.wanted, self.lock, self.futures = base, wanted, threading.Lock(), {}
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, WORKERS))

    def _submit(self, name):
        if name not in self.futures:
            self.futures[name] = self.pool.submit(grade_assignment, name, self.base)

    def get(self, name):
        with self.lock:
            self._submit(name)
            if "PYTEST_XDIST_WORKER" not in os.environ:  # prefetch the next ones (xdist splits them instead)
                i = self.wanted.index(name)
                for nxt in self.wanted[i + 1: i + WORKERS]:
                    self._submit(nxt)
        return self.futures[name].result()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, request):
    wanted = []  # assignments of the selected tests, in order (so -k selections grade nothing else)
    for item in request.session.items:
        name = getattr(item, "callspec", None) and item.callspec.params.get("name")
        if getattr(item, "module", None) is request.module and name and name not in wanted:
            wanted.append(name)
    p = Pipeline(tmp_path_factory.mktemp("course"), wanted)
    yield p
    p.pool.shutdown(wait=True, cancel_futures=True)
    done = {n: f.result() for n, f in p.futures.items() if f.done() and not f.exception()}
    if done:
        lines = ["", "Grading table (score / expected; seconds of autograde per student):",
                 f"{'assignment':22s}" + "".join(f"{s:>20s}" for s in STUDENTS) + f"{'autograde s':>13s}"]
        for name in sorted(done):
            r = done[name]
            cols = []
            for s in STUDENTS:
                if s not in r["students"]:
                    cols.append("-")
                    continue
                got = r["rows"].get(s, {}).get("score", "-")
                exp = r["expected"][s]
                exp = "0" if exp is None else f"{exp:g}"
                cols.append(f"{float(got):g}/{exp} {r['times'].get(s, 0):5.1f}s" if got != "-" else "-")
            lines.append(f"{name:22s}" + "".join(f"{c:>20s}" for c in cols) + f"{r['phases']['autograde']:13.1f}")
        lines += ["", "Mutation testing (exercises/mutants/): realistic answers per task, "
                  "wrong ones caught (lost points in their own task only) / correct ones accepted / "
                  "breakers (stub, NaN) costing no other task:", mutation.HEADER]
        for name in sorted(done):
            lines += mutation.table(name, done[name]["verdicts"])
        lines += ["", "Submissions graded per assignment (fake students + shared catalogue submissions): "
                  + ", ".join(f"{n} {len(done[n]['students'])}+{len(done[n]['made'])}" for n in sorted(done))]
        for name in sorted(done):
            for student, errors in done[name]["retried"].items():
                lines += [f"regraded once (nbgrader produced no notebook): {name}/{student}; last errors:",
                          *("    " + e[:200] for e in errors)]
        request.config.dlbook_grading_table = lines  # printed in the terminal summary (tests/conftest.py)
        out = ROOT / "_build" / "grading-table.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_scores_in_csv(pipeline, name):
    r = pipeline.get(name)
    source_nb = nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", 4)
    total = sum(fake_students.task_points(source_nb).values())
    assert set(r["students"]) <= set(r["rows"]), f"students in the CSV: {sorted(r['rows'])}"
    assert ("infinite_loop" in r["students"]) == (name in LOOPED)
    for student in r["students"]:
        row = r["rows"][student]
        expected = r["expected"][student]
        expected = 0.0 if expected is None else expected
        assert float(row["max_score"]) == total, f"{student}: max_score {row['max_score']} != {total}"
        assert float(row["score"]) == pytest.approx(expected), (
            f"{name}/{student}: score {row['score']}, expected {expected}\n{r['log'][-3000:]}")
    assert float(r["rows"]["solution"]["score"]) == total > 0
    assert 0 < float(r["rows"]["partial"]["score"]) < total
    if name in LOOPED:
        assert 0 < float(r["rows"]["infinite_loop"]["score"]) < total


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_cell_grades_in_gradebook(pipeline, name):
    r = pipeline.get(name)
    source_nb = nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", 4)
    tasks = fake_students.tasks(source_nb)
    order = [sol for sol, _ in tasks]
    solved = {"solution": set(order), "untouched": set(), "tampered": set(),
              "infinite_loop": set(order[:-1]), "partial": set(order[: (len(order) + 1) // 2])}
    for student, ok in solved.items():
        if student not in r["students"]:
            continue
        grades = r["cells"][student]
        for sol, tests in tasks:
            for test_id, points in tests:
                score, max_score = grades[test_id]
                assert max_score == points
                want = points if sol in ok else 0.0
                assert score == want, f"{name}/{student}: cell {test_id} scored {score}, expected {want}"
    # the hostile notebooks that cannot be executed are recorded with no points
    for student in ("kernel_kill", "invalid_nb"):
        assert sum(s or 0 for s, _ in r["cells"].get(student, {}).values()) == 0


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hostile_students_are_contained(pipeline, name):
    r = pipeline.get(name)
    course, log = r["course"], r["log"]
    source_nb = nbformat.read(course / "source" / name / f"{name}.ipynb", 4)
    src_tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade")}
    # tampered: nbgrader restored the locked test cells, hidden tests included
    graded = nbformat.read(course / "autograded" / "tampered" / name / f"{name}.ipynb", 4)
    restored = {c.metadata["nbgrader"]["grade_id"]: c.source for c in graded.cells
                if c.metadata.get("nbgrader", {}).get("grade")}
    assert restored == src_tests
    assert "Attribute 'checksum' for cell" in log
    # infinite loop: the cell was interrupted at the timeout, the rest of the notebook still ran
    if name in LOOPED:
        graded = nbformat.read(course / "autograded" / "infinite_loop" / name / f"{name}.ipynb", 4)
        errors = [o.get("ename") for c in graded.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert {"CellTimeoutError", "KeyboardInterrupt"} & set(errors), errors
        assert r["times"]["infinite_loop"] < CELL_TIMEOUT + 60
    # kernel killed and invalid notebook: reported as errors, nothing autograded, the others graded
    assert ("kernel_kill" in r["students"]) == (name in LOOPED)
    for student in set(UNGRADABLE) & set(r["students"]):
        assert re.search(rf"error processing assignment '{name}' for student '{student}'", log)
        assert not (course / "autograded" / student / name).exists()
    if "kernel_kill" in r["students"]:
        assert "DeadKernelError" in log or "Kernel died" in log


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_shows_scores_not_hidden_tests(pipeline, name):
    r = pipeline.get(name)
    for student in ("solution", "untouched", "tampered", "infinite_loop", "partial"):
        if student not in r["students"]:
            continue
        html = (r["course"] / "feedback" / student / name / f"{name}.html").read_text()
        if student == "solution":  # no traceback quotes a failing line, so no hidden test text at all
            assert "BEGIN HIDDEN TESTS" not in html
        if student == "untouched":  # the teaching messages reach the student
            assert "NotImplementedError" in html
        score = float(r["rows"][student]["score"])
        assert re.search(rf"Score: {score:.1f} / ", html), f"{student}: score {score} not in the feedback"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_autograde_time_budget(pipeline, name):
    """A whole honest submission grades in well under a minute (the issue's budget is 60 s on 2 cores)."""
    r = pipeline.get(name)
    print(name, json.dumps({k: round(v, 1) for k, v in r["times"].items()}), r["phases"])
    assert r["times"]["solution"] < 60


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_mutation_catalogue(pipeline, name):
    """Every task has >= 4 realistic wrong answers, each losing points in its own task and nowhere else, and
    >= 1 alternative correct answer with full marks (exercises/mutants/<name>.py, graded by real nbgrader);
    every task but the last, broken (its stub; the stub returning NaN), costs no point in any other task."""
    r = pipeline.get(name)
    source_nb = nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", 4)
    order = [task for task, _ in fake_students.tasks(source_nb)]
    graded = [(v[1], v[2]) for v in r["verdicts"]]
    assert sorted((t, k) for t, k, *_ in mutation.catalogue(name)) == sorted(
        (t, k) for t, k in graded if k in mutation.KINDS), "some catalogue answers were not graded"
    for task in order:
        kinds = [k for t, k in graded if t == task]
        assert kinds.count("wrong") >= 4 and kinds.count("correct") >= 1, f"{name}/{task}: catalogue {kinds}"
        assert kinds.count("stub") == (task != order[-1]), f"{name}/{task}: breakers {kinds}"
    bad = [f"{sid} ({kind}: {why}): {detail}" for sid, task, kind, why, ok, detail in r["verdicts"] if not ok]
    assert not bad, f"{name}: answers graded wrongly:\n" + "\n".join(bad)


def _visible_text(html_text):
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html_text))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_leaks_no_hidden_test_line(pipeline, name):
    """The feedback of every student (honest, hostile, every catalogue answer) contains no line of hidden-test
    code, not even in a traceback; failing tests still show their message."""
    r = pipeline.get(name)
    source_nb = nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", 4)
    hidden = set()
    for cell in source_nb.cells:
        text = cell.source
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
            hidden |= {ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 12}
    assert hidden, f"{name}: no hidden tests found"
    release = nbformat.read(EXERCISES / "release" / name / f"{name}.ipynb", 4)
    visible = {ln.strip() for c in release.cells for ln in c.source.splitlines()}
    hidden -= visible  # a line that is also in the student's notebook is no secret
    pages = sorted((r["course"] / "feedback").glob(f"*/{name}/{name}.html"))
    assert len(pages) >= len(r["made"]), "feedback missing for some students"
    leaks = [(p.parent.parent.name, ln) for p in pages for ln in hidden if ln in _visible_text(p.read_text())]
    assert not leaks, f"{name}: hidden-test lines in feedback: {leaks[:5]}"
    wrong = list(dict.fromkeys(sid for sid, _, kind, *_ in r["verdicts"] if kind == "wrong"))
    for sid in wrong[:3]:
        text = _visible_text((r["course"] / "feedback" / sid / name / f"{name}.html").read_text())
        assert re.search(r"(AssertionError|DelegationError|\w+Error): \S", text), f"{sid}: no failure message"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_checksum_warnings_mean_tampering(pipeline, name):
    """Only the student who edited locked test cells triggers checksum warnings (hidden tests are not edits)."""
    r = pipeline.get(name)
    warned, current = set(), None
    for line in r["log"].splitlines():
        m = re.search(r"Creating/updating student with ID '([^']+)'", line)
        if m:
            current = m.group(1)
        elif "Attribute 'checksum' for cell" in line:
            warned.add(current)
    assert warned == {"tampered"}, f"checksum warnings for {sorted(warned)}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_mutation_plan_keeps_answers_apart(name):
    """The shared submissions (no grading needed): each catalogue answer in exactly one submission, a task at
    most once per submission, wrong answers never together with a correct answer or a breaker, and a
    submission of its own for every answer that mutation_plan.impurities flags."""
    source_nb = nbformat.read(EXERCISES / "source" / name / f"{name}.ipynb", 4)
    release_nb = nbformat.read(EXERCISES / "release" / name / f"{name}.ipynb", 4)
    order = [task for task, _ in fake_students.tasks(source_nb)]
    answers = mutation.catalogue(name)
    made = mutation_plan.plan(answers, source_nb, release_nb, order)
    placed = sorted((t, kind, code) for slots in made.values() for t, (kind, _, code) in slots.items()
                    if kind in mutation.KINDS)
    assert placed == sorted((t, kind, code) for t, kind, _, code in answers)
    ctx = mutation_plan.context(source_nb, release_nb)
    for sid, slots in made.items():
        kinds = {kind for kind, _, _ in slots.values()}
        assert kinds <= {"wrong"} or "wrong" not in kinds, f"{sid} mixes {sorted(kinds)}"
        assert sum(kind not in mutation.KINDS for kind, _, _ in slots.values()) <= 1, f"{sid}: two breakers"
        if any(mutation_plan.impurities(code, ctx[t]) for t, (kind, _, code) in slots.items()
               if kind in mutation.KINDS):
            assert len(slots) == 1, f"{sid}: a flagged answer shares a submission"
