"""nbgrader configuration of the dlbook course (run nbgrader commands from this folder).

No absolute paths: the course root is the folder holding this file, and the gradebook is the
sqlite file ``gradebook.db`` next to it (ignored by git).
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "dlbook"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Generous per-cell time limit for a real class; the grading-pipeline test lowers it.
c.Execute.timeout = 120
# What students see in place of the solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# The course's own preprocessors (nbgrader_ext.py, next to this file).
import sys  # noqa: E402

sys.path.insert(0, c.CourseDirectory.root)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearOutput,  # noqa: E402
                                    DeduplicateIds, GetGrades, OverwriteKernelspec)

from nbgrader_ext import FeedbackWithoutTracebacks, OverwriteCellsQuietly  # noqa: E402

# Autograde: nbgrader's own sequence, with OverwriteCells replaced by a version that logs only real
# edits of locked cells (an honest test cell with hidden tests is not "changed").
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCellsQuietly,
                                     CheckCellMetadata]
# Feedback shows every test's score and message (ExceptionName: message) but no line of the hidden
# tests, not even in tracebacks, so they stay secret for the next cohort.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, FeedbackWithoutTracebacks,
                                    CSSHTMLHeaderPreprocessor]
# Never copy notebooks' outputs or checkpoints into the release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
