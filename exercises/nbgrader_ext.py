"""nbgrader preprocessors of the dlbook course (configured in nbgrader_config.py).

- ``OverwriteCellsQuietly``: nbgrader compares a submitted locked cell with the instructor's source,
  hidden tests included, so every honest test cell with hidden tests logs "checksum ... has changed".
  Here a cell equal to what the student was given (the source minus its hidden tests) is restored
  silently; only a real edit of a locked cell is logged, so the warning means tampering.
- ``FeedbackWithoutTracebacks``: the feedback of a graded test cell shows ``ExceptionName: message``
  and nothing else of the error. A traceback quotes the failing line, which is hidden-test code
  (nbgrader issue #917); the messages of dlkit.exercises checks say what was expected and what came back.
"""
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells


class OverwriteCellsQuietly(OverwriteCells):
    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.cell_type == cell.cell_type:
                given = _without_hidden_tests(source.source)
                if given != source.source and cell.source.strip() == given.strip():
                    cell.source = source.source  # what the student was given: no change to report
        return super().preprocess_cell(cell, resources, cell_index)


def _without_hidden_tests(source):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


class FeedbackWithoutTracebacks(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources
