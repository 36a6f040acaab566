"""``nbgrader export`` plugin of the dlbook course (configured at the end of nbgrader_config.py).

``StatusCsvExportPlugin`` writes nbgrader's grades CSV (same columns, same numbers) plus two columns, so that a
missing or failed submission never passes for an honest 0:

- ``status``: ``graded``; ``missing`` (nothing submitted, or no notebook in the student's folder);
  ``error`` (a notebook was submitted but not autograded: autograde failed, e.g. the kernel died or the file is
  not a notebook, or was not run yet); ``needs-review`` (collect.py asked for the instructor, e.g. several
  candidate notebooks, or a cell waits for manual grading);
- ``detail``: why, and the fixes collect.py made (from ``collect_report.csv``).

Every row that is not ``graded`` is also logged as a warning at the end of the export. Students with a folder
in ``submitted/`` whom the gradebook does not know yet (autograde not run) are listed too, as ``error``.
"""
import csv
import glob
import os

from traitlets import Bool, Unicode

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score", "status", "detail"]


class StatusCsvExportPlugin(ExportPlugin):
    """nbgrader's CSV export with a ``status`` column (graded / missing / error / needs-review) and a ``detail``."""

    collect_report = Unicode("collect_report.csv",
                             help="collect.py's report, relative to the course root").tag(config=True)
    blank_ungraded_scores = Bool(False, help="Leave raw_score and score empty (instead of 0) for missing and "
                                 "error rows, so that an LMS import cannot take them for a grade").tag(config=True)

    def _coursedir(self):
        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is None:
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(parent=self)
        return coursedir

    def _report(self, root):
        path = os.path.join(root, self.collect_report)
        rows = {}
        if os.path.exists(path):
            with open(path, newline="", encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    rows.setdefault((r["assignment"], r["student_id"]), []).append(r)
        return rows

    def status(self, gradebook, coursedir, assignment, student_id, report):
        """(status, detail) of one student's submission of one assignment."""
        notes = report.get((assignment.name, student_id), [])
        attention = [r["message"] for r in notes if r["level"] == "attention"]
        fixes = [r["message"] for r in notes if r["level"] != "attention"]
        detail = lambda *parts: "; ".join(p for p in parts if p)  # noqa: E731
        submitted = coursedir.format_path(coursedir.submitted_directory, student_id, assignment.name)
        autograded = coursedir.format_path(coursedir.autograded_directory, student_id, assignment.name)
        names = [nb.name for nb in assignment.notebooks]
        on_disk = [n for n in names if os.path.exists(os.path.join(submitted, f"{n}.ipynb"))]
        try:
            submission = gradebook.find_submission(assignment.name, student_id)
        except MissingEntry:
            submission = None
        if submission is None and not os.path.isdir(submitted):
            return "missing", detail("nothing submitted", *attention)
        if not on_disk:
            ambiguous = [r["message"] for r in notes if r["level"] == "attention" and r["code"] != "missing"]
            if ambiguous:
                return "needs-review", detail(*attention)
            return "missing", detail(*(attention or [f"no notebook in {os.path.relpath(submitted, coursedir.root)}"]))
        if submission is None:
            return "error", detail("not autograded yet: run nbgrader autograde", *attention)
        not_graded = [n for n in on_disk if not os.path.exists(os.path.join(autograded, f"{n}.ipynb"))]
        unscored = [g.name for nb in submission.notebooks for g in nb.grades
                    if g.auto_score is None and g.manual_score is None and not g.needs_manual_grade]
        if not_graded or unscored:
            what = (f"{', '.join(not_graded)} not autograded (autograde failed or was not run: see its log)"
                    if not_graded else f"cells without a score: {', '.join(unscored)}")
            again = f"after fixing: nbgrader autograde {assignment.name} --student '{student_id}' --force"
            return "error", detail(what, *attention, "" if any("nbgrader autograde" in a for a in attention) else again)
        missing = [n for n in names if n not in on_disk]
        if attention or missing or submission.needs_manual_grade:
            return "needs-review", detail(*attention, *(f"notebook {n} missing" for n in missing),
                                          "cells wait for manual grading" if submission.needs_manual_grade else "",
                                          *fixes)
        return "graded", detail(*fixes)

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        coursedir = self._coursedir()
        report = self._report(coursedir.root)
        wanted_students = [str(s) for s in self.student]
        wanted_assignments = [str(a) for a in self.assignment]
        self.log.info("Exporting grades with their status to %s", dest)
        known = {s.id: s for s in gradebook.students}
        flagged = []
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for assignment in gradebook.assignments:
                if wanted_assignments and assignment.name not in wanted_assignments:
                    continue
                pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment.name)
                on_disk = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(pattern) if os.path.isdir(p))
                ids = list(known) + [d for d in on_disk if d not in known]
                for student_id in ids:
                    if wanted_students and student_id not in wanted_students:
                        continue
                    student = known.get(student_id)
                    row = dict(assignment=assignment.name, duedate=assignment.duedate, student_id=student_id,
                               last_name=getattr(student, "last_name", None),
                               first_name=getattr(student, "first_name", None),
                               email=getattr(student, "email", None), max_score=assignment.max_score)
                    try:
                        submission = gradebook.find_submission(assignment.name, student_id)
                    except MissingEntry:
                        row.update(timestamp=None, raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                    else:
                        penalty = submission.late_submission_penalty
                        row.update(timestamp=submission.timestamp, raw_score=submission.score,
                                   late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
                    row["status"], row["detail"] = self.status(gradebook, coursedir, assignment, student_id, report)
                    if row["status"] in ("missing", "error") and self.blank_ungraded_scores:
                        row["raw_score"] = row["score"] = None
                    if row["status"] != "graded":
                        flagged.append(row)
                    writer.writerow({k: "" if v is None else str(v) for k, v in row.items()})
        if flagged:
            self.log.warning("%d submission(s) are not simply graded (see the status and detail columns of %s):",
                             len(flagged), dest)
            for r in flagged:
                self.log.warning("  %s / %s: %s - %s", r["assignment"], r["student_id"], r["status"].upper(),
                                 r["detail"])
