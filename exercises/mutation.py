#!/usr/bin/env python
"""Mutation testing of the course: realistic wrong answers must lose points, in their own task only;
alternative correct answers must get full marks.

The catalogue of an assignment is ``mutants/<assignment>.py``, a list ``ANSWERS`` of
``(task, kind, why, code)``: ``task`` is the grade_id of a solution cell, ``kind`` is ``"wrong"`` or
``"correct"``, ``code`` replaces that cell's whole source in an otherwise correct submission.

    python mutation.py ch03_loss_gd [ch07_cnn ...]   # grade the catalogue with the real nbgrader pipeline

tests/test_grading_pipeline.py grades the catalogue of every assignment together with its fake students
and fails on any answer judged wrongly; it prints the table task x (wrong caught / wrong, correct accepted).
"""
import collections
import importlib.util
import pathlib
import re
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_students  # noqa: E402

KINDS = ("wrong", "correct")


def catalogue(assignment, root=HERE):
    """The answers of ``mutants/<assignment>.py``, checked for form: [(task, kind, why, code), ...]."""
    path = pathlib.Path(root) / "mutants" / f"{assignment}.py"
    if not path.exists():
        return []  # tests/test_grading_pipeline.py requires a catalogue for every task
    spec = importlib.util.spec_from_file_location(f"mutants_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answers = list(module.ANSWERS)
    for a in answers:
        if len(a) != 4 or a[1] not in KINDS or not a[3].strip():
            raise ValueError(f"{path.name}: bad entry {a[:3]!r}: expected (task, 'wrong'|'correct', why, code)")
    return answers


def student_id(task, kind, k):
    return f"mut-{re.sub(r'[^A-Za-z0-9]', '', task)}-{kind[0]}{k:02d}"


def make_submissions(assignment, root):
    """Write one submission per catalogue answer under ``root/submitted``; return {student: (task, kind, why)}."""
    root = pathlib.Path(root)
    source_nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release_nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    tasks = [sol for sol, _ in fake_students.tasks(source_nb)]
    counter, made = collections.Counter(), {}
    for task, kind, why, code in catalogue(assignment):
        if task not in tasks:
            raise ValueError(f"mutants/{assignment}.py: unknown task {task!r}; tasks are {tasks}")
        counter[task, kind] += 1
        sid = student_id(task, kind, counter[task, kind])
        nb = fake_students._with_solutions(release_nb, source_nb, tasks)
        for cell in nb.cells:
            if fake_students._nbg(cell).get("grade_id") == task:
                cell.source = code.strip("\n") + "\n"
        path = root / "submitted" / sid / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        made[sid] = (task, kind, why)
    return made


def judge(assignment, made, cells, source_nb):
    """Verdicts [(student, task, kind, why, ok, detail)]: a wrong answer must lose points in its task and
    nowhere else; a correct answer must get every point. ``cells`` = {student: {grade_id: (score, max)}}."""
    tests = dict(fake_students.tasks(source_nb))
    out = []
    for sid, (task, kind, why) in made.items():
        grades = cells.get(sid)
        if grades is None:
            out.append((sid, task, kind, why, False, "not graded (the notebook did not run)"))
            continue
        lost = {t: sum(p - (grades[g][0] or 0) for g, p in cells_) for t, cells_ in tests.items()}
        if kind == "correct":
            ok = not any(lost.values())
            detail = "" if ok else f"lost points in {[t for t, v in lost.items() if v]}"
        else:
            others = [t for t, v in lost.items() if v and t != task]
            ok = lost[task] > 0 and not others
            detail = "" if ok else (f"also cost points in {others}" if others else "got full marks")
        out.append((sid, task, kind, why, ok, detail))
    return out


def table(assignment, verdicts):
    """Rows 'task  wrong caught/total  correct accepted/total' for one assignment."""
    stats = collections.defaultdict(lambda: [0, 0, 0, 0])
    for _, task, kind, _, ok, _ in verdicts:
        s = stats[task]
        if kind == "wrong":
            s[0] += ok
            s[1] += 1
        else:
            s[2] += ok
            s[3] += 1
    return [f"{assignment:22s}{task:24s}{f'{s[0]}/{s[1]}':>8s}{f'{s[2]}/{s[3]}':>10s}" for task, s in stats.items()]


def grade(assignment, base):
    """Generate, submit the catalogue, autograde (real nbgrader) in ``base/assignment``; return verdicts."""
    import shutil
    import subprocess

    import generate_release
    from nbgrader.api import Gradebook

    course = pathlib.Path(base) / assignment
    course.mkdir(parents=True)
    for f in ("nbgrader_config.py", "nbgrader_ext.py"):
        shutil.copy(HERE / f, course)
    shutil.copytree(HERE / "source" / assignment, course / "source" / assignment)
    env = generate_release.nbgrader_env()
    run = lambda *a: subprocess.run([sys.executable, "-m", "nbgrader", *a], cwd=course, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=1800)
    run("generate_assignment", assignment, "--force")
    made = make_submissions(assignment, course)
    run("autograde", assignment, "--force")
    cells = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sid in made:
            try:
                nb = gb.find_submission_notebook(assignment, assignment, sid)
            except Exception:
                continue
            cells[sid] = {g.name: (g.score, g.max_score) for g in nb.grades}
    source_nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return judge(assignment, made, cells, source_nb)


if __name__ == "__main__":
    import tempfile

    failed = 0
    for name in sys.argv[1:]:
        verdicts = grade(name, tempfile.mkdtemp(prefix="dlbook-mutation-"))
        print(f"{'assignment':22s}{'task':24s}{'wrong':>8s}{'correct':>10s}")
        print("\n".join(table(name, verdicts)))
        for sid, task, kind, why, ok, detail in verdicts:
            if not ok:
                failed += 1
                print(f"  FAIL {sid} ({kind}: {why}): {detail}")
    sys.exit(1 if failed else 0)
