"""Fake (honest and hostile) student submissions, made by editing the release notebooks with nbformat.

Used by tests/test_grading_pipeline.py; instructors can also dry-run the grading of an assignment::

    python fake_students.py ch01_perceptron      # writes submitted/<student>/ch01_perceptron/
    nbgrader autograde ch01_perceptron && nbgrader export

Each student returns the score they must get, computed from the *source* notebook's tasks: a task is a
solution cell together with the autograded test cells that follow it (up to the next solution cell).

Which students depend on the assignment. solution, untouched and partial score this assignment's tasks;
tampered proves that THIS assignment's test cells (hidden ones included) are locked and restored by nbgrader
(a test cell left unlocked would let it keep its edits). infinite_loop (an endless loop in the last task) and
kernel_kill (the kernel exits in the last task) prove nbgrader's handling of a cell timeout and of a dead
kernel: what runs before the last task does not change that handling, so tests/test_grading_pipeline.py
submits them (ASSIGNMENT_INDEPENDENT) to two assignments only; each costs a whole run, the loop a cell timeout
on top. invalid_nb (not JSON) is refused before any kernel starts: free, so it goes everywhere.
"""
import copy
import math
import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
STUDENTS = ("solution", "untouched", "tampered", "infinite_loop", "kernel_kill", "invalid_nb", "partial")
ASSIGNMENT_INDEPENDENT = ("infinite_loop", "kernel_kill")  # graded on a few assignments only (see above)


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def tasks(source_nb):
    """[(solution grade_id, [(test grade_id, points), ...]), ...] in notebook order."""
    out = []
    for cell in source_nb.cells:
        meta = _nbg(cell)
        if meta.get("solution"):
            out.append((meta["grade_id"], []))
        elif meta.get("grade") and cell.cell_type == "code":
            if not out:
                raise ValueError(f"test cell {meta['grade_id']} comes before any solution cell")
            out[-1][1].append((meta["grade_id"], float(meta["points"])))
    return out


def task_points(source_nb):
    return {sol: sum(p for _, p in tests) for sol, tests in tasks(source_nb)}


def _with_solutions(release_nb, source_nb, solved):
    """The release notebook with the instructor's code pasted into the solution cells in ``solved``."""
    src = {_nbg(c).get("grade_id"): c.source for c in source_nb.cells if _nbg(c).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        if _nbg(cell).get("solution") and gid in solved:
            cell.source = src[gid]
    return nb


def _prepend(nb, grade_id, code):
    for cell in nb.cells:
        if _nbg(cell).get("grade_id") == grade_id:
            cell.source = code + "\n" + cell.source
            return nb
    raise KeyError(grade_id)


def make_submissions(assignment, root=HERE, students=STUDENTS):
    """Write ``submitted/<student>/<assignment>/<assignment>.ipynb`` under ``root``; return expected scores.

    Needs ``root/release/<assignment>`` (run ``nbgrader generate_assignment`` first).
    """
    root = pathlib.Path(root)
    source_nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release_nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    points = task_points(source_nb)
    order = list(points)
    total, last = sum(points.values()), order[-1]
    first_half = order[: math.ceil(len(order) / 2)]
    tampered = copy.deepcopy(release_nb)
    for cell in tampered.cells:
        if _nbg(cell).get("grade"):
            cell.source = "pass"
    variants = {
        "solution": (_with_solutions(release_nb, source_nb, order), total),
        "untouched": (release_nb, 0.0),
        "tampered": (tampered, 0.0),
        # an endless loop in the last task: only that task is lost, the cell is interrupted at the timeout
        "infinite_loop": (_prepend(_with_solutions(release_nb, source_nb, order), last, "while True:\n    pass"),
                          total - points[last]),
        # the kernel dies in the last task: nbgrader cannot finish executing the notebook
        "kernel_kill": (_prepend(_with_solutions(release_nb, source_nb, order), last, "import os\nos._exit(1)"),
                        None),
        "invalid_nb": ("this is {not a notebook", 0.0),
        "partial": (_with_solutions(release_nb, source_nb, first_half), sum(points[t] for t in first_half)),
    }
    expected = {}
    for student in students:
        nb, score = variants[student]
        path = root / "submitted" / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, str(path))
        expected[student] = score
    return expected


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(p.name for p in (HERE / "source").iterdir() if p.is_dir()):
        print(name, make_submissions(name))
