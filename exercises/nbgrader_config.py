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

# ------------------------------------------------------------------------------------------------------------
# Submissions from an LMS or from Colab (README.md, section "Submissions from an LMS or from Colab").
# Workflow: nbgrader zip_collect <a> -> python collect.py <a> -> nbgrader autograde <a> -> nbgrader export.
# ------------------------------------------------------------------------------------------------------------
# A test cell the student deleted is put back (hidden tests included) and graded, instead of scoring 0.
c.OverwriteCells.add_missing_cells = True
# nbgrader zip_collect <assignment>: the files or zip archives downloaded from the LMS go in
# downloaded/<assignment>/archive/; they are extracted to downloaded/<assignment>/extracted/ and copied to
# submitted/<student_id>/<assignment>/<file_id>. One regular expression (matched against the whole path) reads
#   Moodle  "Jane Doe_12345_assignsubmission_file_ch02_mlp.ipynb" (also "..._file_/ch02_mlp.ipynb" when
#           downloaded in folders): student_id = the full name, because Moodle's number is a per-assignment
#           participant number that changes from one assignment to the next;
#   Canvas  "doejane_12345_67890_ch02_mlp.ipynb" and "doejane_LATE_12345_67890_ch02_mlp.ipynb":
#           student_id = 12345, the Canvas user id.
# file_id keeps the student's file name ("Copy of ch02_mlp.ipynb", "ch02_mlp (1).ipynb", "ch02_mlp-1.ipynb"),
# so two files of one student never collide; collect.py renames them to ch02_mlp.ipynb (or asks you to choose).
# Other file types are collected too, so that a student who uploaded only a .py or .pdf is reported by
# collect.py instead of vanishing.
c.ZipCollectApp.extractor_plugin = "nbgrader.plugins.zipcollect.ExtractorPlugin"
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
c.ExtractorPlugin.zip_ext = [".zip", ".gz"]
c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".py", ".pdf", ".html"]
c.FileNameCollectorPlugin.named_regexp = (
    r"^(?:.*[/\\])?"                                            # folders (nbgrader matches the full path)
    r"(?:(?=[a-z0-9-]+_(?:LATE_)?\d+_\d+_)[a-z0-9-]+_(?:LATE_)?)?"  # Canvas: lastnamefirstname_[LATE_]
    r"(?P<student_id>[^/\\_]+)_"                                # Canvas user id, or Moodle full name
    r"(?:\d+_assignsubmission_file_[/\\]?|\d+_)"                # Moodle participant no., or Canvas submission no.
    r"(?P<file_id>[^/\\]+)$"                                    # the student's file name
)
# nbgrader export: nbgrader's grades CSV plus "status" (graded / missing / error / needs-review) and "detail"
# columns (export_plugin.py, next to this file; a copy of this file without it keeps nbgrader's plain CSV).
if os.path.exists(os.path.join(c.CourseDirectory.root, "export_plugin.py")):
    c.ExportApp.plugin_class = "export_plugin.StatusCsvExportPlugin"
