#!/usr/bin/env python
"""Mutation testing of the course: realistic wrong answers must lose points, in their own task only;
alternative correct answers must get full marks.

The catalogue of an assignment is ``mutants/<assignment>.py``, a list ``ANSWERS`` of
``(task, kind, why, code)``: ``task`` is the grade_id of a solution cell, ``kind`` is ``"wrong"`` or
``"correct"``, ``code`` replaces that cell's whole source. What each answer must do, judged from real
nbgrader grades: a wrong answer loses points in its own task and costs none in another task; a correct answer
gets full marks.

    python mutation.py ch03_loss_gd [ch07_cnn ...]   # grade the catalogue with the real nbgrader pipeline
    python mutation.py --alone ch03_loss_gd          # one submission per answer (slower; to find a culprit)

Answers of different tasks share submissions (wrong with wrong, correct with correct), and each task but the
last is broken on purpose twice (its stub; the stub returning NaN) to prove that no other task depends on it;
mutation_plan.py explains why this proves, per answer, what one submission per answer proved, and which
answers still get a submission of their own. tests/test_grading_pipeline.py grades the catalogue of every
assignment together with its fake students and fails on any answer judged wrongly; it prints the table
task x (wrong caught / wrong, correct accepted / correct, breakers ok / breakers).
"""
import collections
import importlib.util
import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_students  # noqa: E402
import mutation_plan  # noqa: E402

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


def make_submissions(assignment, root, alone=False):
    """Write the submissions of ``mutation_plan.plan`` under ``root/submitted``; return them,
    {student: {task: (kind, why, code)}} (a task not listed holds the reference solution)."""
    root = pathlib.Path(root)
    source_nb, release_nb = mutation_plan.read(root, assignment)
    tasks = [sol for sol, _ in fake_students.tasks(source_nb)]
    answers = catalogue(assignment)
    for task, *_ in answers:
        if task not in tasks:
            raise ValueError(f"mutants/{assignment}.py: unknown task {task!r}; tasks are {tasks}")
    made = mutation_plan.plan(answers, source_nb, release_nb, tasks, alone=alone)
    for sid, slots in made.items():
        nb = fake_students._with_solutions(release_nb, source_nb, tasks)
        for cell in nb.cells:
            gid = fake_students._nbg(cell).get("grade_id")
            if fake_students._nbg(cell).get("solution") and gid in slots:
                cell.source = slots[gid][2].strip("\n") + "\n"
        path = root / "submitted" / sid / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return made


def judge(assignment, made, cells, source_nb):
    """Verdicts [(student, task, kind, why, ok, detail)] (see mutation_plan.judge): a wrong answer or a breaker
    loses points in its task and in no task holding a correct answer; a correct answer gets every point."""
    return mutation_plan.judge(made, cells, source_nb)


def table(assignment, verdicts):
    """Rows 'task  wrong caught/total  correct accepted/total  breakers ok/total' for one assignment."""
    stats = collections.defaultdict(lambda: [0] * 6)
    for _, task, kind, _, ok, _ in verdicts:
        i = {"wrong": 0, "correct": 2}.get(kind, 4)
        stats[task][i] += ok
        stats[task][i + 1] += 1
    return [f"{assignment:22s}{task:24s}{f'{s[0]}/{s[1]}':>8s}{f'{s[2]}/{s[3]}':>10s}{f'{s[4]}/{s[5]}':>10s}"
            for task, s in stats.items()]


HEADER = f"{'assignment':22s}{'task':24s}{'wrong':>8s}{'correct':>10s}{'breakers':>10s}"


def grade(assignment, base, alone=False):
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
    made = make_submissions(assignment, course, alone=alone)
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
    print(f"{assignment}: {len(made)} submissions for {len(catalogue(assignment))} catalogue answers")
    return judge(assignment, made, cells, source_nb)


if __name__ == "__main__":
    import tempfile

    failed, alone = 0, "--alone" in sys.argv
    for name in [a for a in sys.argv[1:] if a != "--alone"]:
        verdicts = grade(name, tempfile.mkdtemp(prefix="dlbook-mutation-"), alone=alone)
        print(HEADER)
        print("\n".join(table(name, verdicts)))
        for sid, task, kind, why, ok, detail in verdicts:
            if not ok:
                failed += 1
                print(f"  FAIL {sid} ({kind}: {why}): {detail}")
    sys.exit(1 if failed else 0)
