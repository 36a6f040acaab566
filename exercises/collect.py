#!/usr/bin/env python
"""Make submitted notebooks gradable before ``nbgrader autograde``, and say loudly what needs the instructor.

Run from the course folder (the one holding nbgrader_config.py), after ``nbgrader collect`` or
``nbgrader zip_collect`` and before ``nbgrader autograde``::

    python collect.py ch01_perceptron [ch02_mlp ...]   # or --all; --dry-run only reports

For every ``submitted/<student>/<assignment>/`` folder and every notebook of the assignment it

1. finds the notebook under another name: "Copy of X.ipynb" (Colab's "Save a copy in Drive"), "X (1).ipynb"
   (browser download duplicates), "X-1.ipynb" (Canvas resubmissions), "X copy.ipynb", a notebook in a
   sub-folder, or, failing that, the one notebook holding this assignment's cells; it renames it to X.ipynb
   when there is exactly one candidate and asks the instructor to choose when there are several;
2. upgrades nbformat 4.0-4.4 (Colab saves 4.0 without cell ids) to 4.5, with stable cell ids (the existing
   id, Colab's ``metadata.id`` or the nbgrader grade_id); nbgrader metadata is kept as it is;
3. removes a second copy of a test or read-only cell (same nbgrader grade_id twice: nbgrader would stop
   ``autograde`` for the whole class with a misleading "old metadata format" error); a second copy of a
   solution cell stays, as an ordinary cell (its code still runs);
4. reports deleted test cells (nbgrader puts them back, hidden tests included, because nbgrader_config.py
   sets ``OverwriteCells.add_missing_cells``; collect.py puts one back itself only where nbgrader cannot
   place it) and puts back deleted read-only code cells (the test helpers the tests need);
5. writes a report to stdout and to ``collect_report.csv`` (one row per fix or problem; ``nbgrader export``
   copies it into the grades' "detail" column) and exits with status 1 if a submission needs the
   instructor (no notebook, several candidates, not a notebook), with the command that fixes it.

Every notebook it changes is first copied to ``collect_originals/<assignment>/<student>/``; every write is
atomic (temporary file + os.replace). Running it twice changes nothing the second time.
"""
import argparse
import copy
import csv
import json
import os
import pathlib
import re
import shlex
import shutil
import sys
import tempfile

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
REPORT = "collect_report.csv"
ORIGINALS = "collect_originals"
FIELDS = ["assignment", "student_id", "notebook", "level", "code", "message"]
# level: "fixed" (changed, nothing to do), "note" (graded as is, worth knowing), "attention" (instructor needed)
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_PREFIX = re.compile(r"^copy[ _]of[ _]", re.I)
_SUFFIX = re.compile(r"(?:\s*\(\d+\)|\s*-\s*copy(?:\s*\(\d+\))?|[ _]copy(?:[ _]\d+)?|-\d+|_\d+| \d+)$", re.I)


def name_forms(stem):
    """The stem and every form of it with one more "Copy of"/" (1)"/"-1"/" copy" decoration removed."""
    forms, s = [stem.strip()], stem.strip()
    while True:
        t = _SUFFIX.sub("", _PREFIX.sub("", s)).strip()
        if t == s or not t:
            return forms
        forms.append(t)
        s = t


def nbg(cell):
    return cell.get("metadata", {}).get("nbgrader") or {}


def kind(meta):
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "test"
    if meta.get("locked"):
        return "locked"
    return "other"


def atomic_write(path, text):
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_json(path):
    try:
        return json.loads(pathlib.Path(path).read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"{type(e).__name__}: {e}"


def nbgrader_restores_tests(root):
    """Whether the course's nbgrader_config.py sets OverwriteCells.add_missing_cells (nbgrader's default: no).

    Read from the file's text: executing it would import nbconvert and nbgrader, seconds for a yes or no."""
    path = pathlib.Path(root) / "nbgrader_config.py"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return bool(re.search(r"^c\.(?:OverwriteCells|OverwriteCellsQuietly)\.add_missing_cells\s*=\s*True\b", text, re.M))


class Expected:
    """One notebook of the assignment as the students received it (release/, else source/)."""

    def __init__(self, path):
        self.name = path.stem
        nb, err = read_json(path)
        if nb is None:
            raise SystemExit(f"collect.py: cannot read {path}: {err}")
        self.cells = [c for c in nb["cells"] if nbg(c).get("grade_id")]
        self.ids = [nbg(c)["grade_id"] for c in self.cells]
        self.by_id = dict(zip(self.ids, self.cells))


def expected_notebooks(root, assignment):
    for folder in ("release", "source"):
        paths = sorted((root / folder / assignment).glob("*.ipynb"))
        if paths:
            return [Expected(p) for p in paths]
    raise SystemExit(f"collect.py: no notebook in release/{assignment}/ nor source/{assignment}/")


class Collector:
    def __init__(self, root, dry_run=False):
        self.root = pathlib.Path(root).resolve()
        self.dry_run = dry_run
        self.rows = []
        self.restores_tests = nbgrader_restores_tests(self.root)

    # -- reporting ---------------------------------------------------------------------------------------------
    def add(self, assignment, student, notebook, level, code, message):
        self.rows.append(dict(assignment=assignment, student_id=student, notebook=notebook, level=level, code=code,
                              message=message))

    def rel(self, path):
        try:
            return str(pathlib.Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    # -- one assignment ----------------------------------------------------------------------------------------
    def run(self, assignment):
        expected = expected_notebooks(self.root, assignment)
        folders = sorted(p for p in (self.root / "submitted").glob(f"*/{assignment}") if p.is_dir())
        for folder in folders:
            self.student(assignment, folder.parent.name, folder, expected)
        return len(folders)

    def student(self, assignment, student, folder, expected):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts
                       and not p.name.startswith("."))
        notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
        claimed = set()
        names = {e.name for e in expected}
        top = {folder / f"{n}.ipynb" for n in names}  # the notebooks where autograde looks for them
        for exp in expected:
            target = folder / f"{exp.name}.ipynb"
            add = lambda level, code, msg: self.add(assignment, student, exp.name, level, code, msg)  # noqa: E731
            by_name = [p for p in notebooks if p not in top and p not in claimed
                       and exp.name.lower() in [f.lower() for f in name_forms(p.stem)]]
            if target.exists():
                claimed.add(target)
                if by_name:
                    others = ", ".join(repr(str(p.relative_to(folder))) for p in by_name)
                    add("attention", "several-candidates",
                        f"graded {target.name}, but the student also submitted {others}. If one of those is the "
                        f"intended notebook: mv {shlex.quote(str(self.rel(by_name[0])))} "
                        f"{shlex.quote(str(self.rel(target)))} (and delete the others), then re-run collect.py")
                    claimed.update(by_name)
            else:
                found = by_name
                how = "name"
                if not found:  # an unusual name: recognise the notebook by this assignment's cells
                    found = [p for p in notebooks if p not in claimed and p not in top
                             and not any(n.lower() in [f.lower() for f in name_forms(p.stem)] for n in names)
                             and self._holds(p, exp)]
                    how = "content"
                if len(found) == 1:
                    src = found[0]
                    claimed.add(src)
                    add("fixed" if how == "name" else "note", "renamed",
                        f"{'would rename' if self.dry_run else 'renamed'} {str(src.relative_to(folder))!r} to "
                        f"{target.name!r}"
                        + ("" if how == "name" else " (recognised by its nbgrader cells: check it is the right one)"))
                    if not self.dry_run:
                        os.replace(src, target)  # target does not exist (checked above)
                    else:
                        target = src  # nothing renamed: look at the candidate itself
                elif len(found) > 1:
                    claimed.update(found)
                    listing = ", ".join(repr(str(p.relative_to(folder))) for p in found)
                    add("attention", "several-candidates",
                        f"no {target.name} but {len(found)} candidate notebooks: {listing}: autograde will find no notebook. "
                        f"Keep the intended one: mv {shlex.quote(self.rel(found[0]))} {shlex.quote(self.rel(target))}"
                        f" (and delete the others), then re-run collect.py and "
                        f"nbgrader autograde {assignment} --student {shlex.quote(student)} --force")
                    continue
                else:
                    other = [str(p.relative_to(folder)) for p in files if p.name != "timestamp.txt"]
                    what = f"it holds only {', '.join(map(repr, other))}" if other else "the folder is empty"
                    add("attention", "missing",
                        f"no notebook {target.name}: {what}. Ask the student for the .ipynb file (in Colab: "
                        f"File > Download > Download .ipynb), put it at {self.rel(target)}, then re-run collect.py "
                        f"and nbgrader autograde {assignment} --student {shlex.quote(student)} --force")
                    continue
            self.repair(assignment, student, target, exp, add)
        extra = [p for p in notebooks if p not in claimed and p.exists()]
        for p in extra:
            self.add(assignment, student, "", "note", "extra-file",
                     f"{self.rel(p)} is not a notebook of {assignment} and is not graded")

    def _holds(self, path, exp):
        nb, _ = read_json(path)
        return isinstance(nb, dict) and self._holds_cells(nb, exp)

    @staticmethod
    def _holds_cells(nb, exp):
        """Whether ``nb`` has at least one solution or test cell of ``exp`` (by nbgrader grade_id)."""
        cells = nb.get("cells", [])
        ids = {nbg(c).get("grade_id") for c in cells if isinstance(c, dict)} if isinstance(cells, list) else set()
        return bool(ids & {i for i, c in exp.by_id.items() if kind(nbg(c)) in ("solution", "test")})

    # -- one notebook ------------------------------------------------------------------------------------------
    def repair(self, assignment, student, path, exp, add):
        nb, err = read_json(path)
        if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
            add("attention", "not-a-notebook",
                f"{self.rel(path)} is not a notebook ({err or 'not a JSON object'}): autograde will report an "
                f"error and give no points. Ask the student to download the notebook again (.ipynb), replace the "
                f"file, then nbgrader autograde {assignment} --student {shlex.quote(student)} --force")
            return
        original = copy.deepcopy(nb)
        fixes = []
        try:
            nb = self.upgrade(nb, fixes)
        except Exception as e:  # noqa: BLE001 - anything nbformat cannot read is reported, not raised
            add("attention", "not-a-notebook", f"{self.rel(path)} cannot be read as a Jupyter notebook "
                f"({type(e).__name__}: {e}); ask the student for a fresh download")
            return
        if not self._holds_cells(nb, exp):
            add("attention", "wrong-notebook",
                f"{self.rel(path)} holds none of the solution or test cells of {exp.name} (another assignment's "
                f"notebook, or a new notebook?): it would score 0. Ask the student for the right notebook")
            return
        for code, msg in fixes:
            add("fixed", code, msg)
        self.unknown(nb, exp, add)
        self.deduplicate(nb, add)
        self.deleted(nb, exp, add)
        if nb != original and not self.dry_run:
            backup = self.root / ORIGINALS / assignment / student / path.name
            if not backup.exists():
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, backup)
            text = nbformat.writes(nbformat.from_dict(nb), version=4)  # validates (4.5, cell ids)
            atomic_write(path, text)

    def upgrade(self, nb, fixes):
        """nbformat 4.5 with unique valid cell ids; older formats converted (nbgrader metadata untouched)."""
        major, minor = nb.get("nbformat"), nb.get("nbformat_minor", 0)
        if major != 4:
            nb = json.loads(nbformat.writes(nbformat.reads(json.dumps(nb), as_version=4)))
            fixes.append(("upgraded", f"converted nbformat {major} to 4"))
            minor = nb.get("nbformat_minor", 0)
        colab = [k for k in ("colab", "accelerator") if k in nb.get("metadata", {})]
        used, changed = set(), 0
        for i, cell in enumerate(nb["cells"]):
            choices = [cell.get("id"), cell.get("metadata", {}).get("id"), nbg(cell).get("grade_id")]
            new = next((c for c in choices if isinstance(c, str) and CELL_ID.match(c) and c not in used), None)
            if new is None:
                base = f"cell-{i}"
                new = base if base not in used else next(f"{base}-{k}" for k in range(1, 10**6)
                                                           if f"{base}-{k}" not in used)
            used.add(new)
            if cell.get("id") != new:
                cell["id"] = new
                changed += 1
            if "nbgrader" in cell.get("metadata", {}) and not cell["metadata"]["nbgrader"]:
                del cell["metadata"]["nbgrader"]  # an empty nbgrader dict fails nbgrader's metadata check
                fixes.append(("metadata", f"removed empty nbgrader metadata of cell {i}"))
        if minor < 5:
            nb["nbformat_minor"] = 5
            source = f" (saved by Colab: metadata {', '.join(colab)})" if colab else ""
            fixes.append(("upgraded", f"upgraded nbformat 4.{minor} to 4.5{source}, added {changed} cell ids"))
        elif changed:
            fixes.append(("cell-ids", f"repaired {changed} missing or duplicate cell ids"))
        return nb

    @staticmethod
    def unknown(nb, exp, add):
        """nbgrader cells this notebook never had (copied from another notebook): made ordinary cells, else
        nbgrader drops their grade_id and then rejects the rest of their metadata (the student gets no grade)."""
        for i, cell in enumerate(nb["cells"]):
            gid = nbg(cell).get("grade_id")
            if gid is not None and gid not in exp.by_id:
                del cell["metadata"]["nbgrader"]
                add("fixed", "unknown-cell", f"cell {i} had the nbgrader id {gid!r}, which {exp.name} does not "
                    f"have (copied from another notebook?): it is now an ordinary cell")

    def deduplicate(self, nb, add):
        seen, keep = {}, []
        for i, cell in enumerate(nb["cells"]):
            gid = nbg(cell).get("grade_id")
            if gid is None or gid not in seen:
                if gid is not None:
                    seen[gid] = i
                keep.append(cell)
                continue
            k = kind(nbg(cell))
            if k == "solution":  # the student's code: keep it running, but as an ordinary cell
                del cell["metadata"]["nbgrader"]
                keep.append(cell)
                add("fixed", "duplicate-cell", f"solution cell {gid!r} appeared twice (cells {seen[gid]} and {i}):"
                    f" the second copy is now an ordinary cell (its code still runs)")
            else:
                add("fixed", "duplicate-cell", f"{k} cell {gid!r} appeared twice (cells {seen[gid]} and {i}): "
                    f"removed the second copy (nbgrader would have stopped autograde for the whole class)")
        nb["cells"] = keep

    def deleted(self, nb, exp, add):
        """Report deleted graded cells; put back read-only code cells and tests nbgrader cannot place."""
        present = {nbg(c).get("grade_id"): c for c in nb["cells"] if nbg(c).get("grade_id")}
        for j, gid in enumerate(exp.ids):
            if gid in present:
                continue
            cell, k = exp.by_id[gid], kind(nbg(exp.by_id[gid]))
            prev = exp.ids[j - 1] if j else None
            placeable = prev is not None and prev in present and kind(nbg(present[prev])) in ("solution", "test")
            if k == "test" and self.restores_tests and placeable:
                add("note", "deleted-test", f"test cell {gid!r} ({nbg(cell).get('points', 0):g} points) was deleted;"
                    f" nbgrader puts it back, hidden tests included, when grading")
            elif k in ("test", "locked") and cell.get("cell_type") == "code":
                self._insert(nb, exp, j, cell)
                present[gid] = cell
                add("fixed", "restored-cell", f"{k} cell {gid!r} was deleted: put back from the release "
                    f"(nbgrader restores its original source when grading)")
            elif k == "solution":
                add("note", "deleted-solution", f"solution cell {gid!r} was deleted: its tests run against "
                    f"whatever the rest of the notebook defines")

    @staticmethod
    def _insert(nb, exp, j, cell):
        """Insert ``cell`` after the nearest earlier release cell present in ``nb`` (else at the start)."""
        where = {nbg(c).get("grade_id"): i for i, c in enumerate(nb["cells"]) if nbg(c).get("grade_id")}
        pos = next((where[g] + 1 for g in reversed(exp.ids[:j]) if g in where), 0)
        new = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            new["outputs"], new["execution_count"] = [], None
        ids = {c.get("id") for c in nb["cells"]}
        new["id"] = next(x for x in [new.get("id"), nbg(cell)["grade_id"]] + [f"restored-{k}" for k in range(10**6)]
                         if isinstance(x, str) and CELL_ID.match(x) and x not in ids)
        nb["cells"].insert(pos, new)


def write_report(root, rows, assignments):
    """collect_report.csv: this run's rows replace the notes and problems of the same assignments; the fixes of
    earlier runs stay (a notebook renamed or upgraded before is not renamed again, but it was changed)."""
    path = pathlib.Path(root) / REPORT
    kept = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as f:
            kept = [r for r in csv.DictReader(f) if r.get("assignment") not in assignments or r.get("level") == "fixed"]
    key = lambda r: tuple(r.get(k, "") for k in FIELDS)  # noqa: E731
    seen = {key(r) for r in kept}
    rows = [r for r in rows if key(r) not in seen]
    fd, tmp = tempfile.mkstemp(prefix=f".{REPORT}.", suffix=".tmp", dir=root)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(kept + rows)
    os.replace(tmp, path)
    return path


def default_root():
    cwd = pathlib.Path.cwd()
    return cwd if (cwd / "nbgrader_config.py").exists() else HERE


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fix submitted/ before nbgrader autograde (names, Colab format, "
                                 "duplicated or deleted cells) and report what needs the instructor.")
    ap.add_argument("assignments", nargs="*", help="assignment names (folders of source/)")
    ap.add_argument("--all", action="store_true", help="every assignment in source/")
    ap.add_argument("--root", type=pathlib.Path, default=None, help="course folder (default: here)")
    ap.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    args = ap.parse_args(argv)
    root = (args.root or default_root()).resolve()
    names = args.assignments
    if args.all:
        names = sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
    if not names:
        ap.error("name an assignment, or use --all")
    col = Collector(root, dry_run=args.dry_run)
    counts = {name: col.run(name) for name in names}
    if not args.dry_run:
        report = write_report(root, col.rows, set(names))
    attention = [r for r in col.rows if r["level"] == "attention"]
    for name in names:
        rows = [r for r in col.rows if r["assignment"] == name]
        print(f"{name}: {counts[name]} submission folder(s), {sum(r['level'] == 'fixed' for r in rows)} fix(es), "
              f"{sum(r['level'] == 'note' for r in rows)} note(s), "
              f"{sum(r['level'] == 'attention' for r in rows)} need(s) attention")
        for r in rows:
            mark = {"fixed": "fixed    ", "note": "note     ", "attention": "ATTENTION"}[r["level"]]
            print(f"  {mark} {r['student_id']}: {r['message']}")
    if not args.dry_run:
        print(f"report: {report}")
    if attention:
        print(f"\n{len(attention)} submission problem(s) need you (the rest can be graded now):", file=sys.stderr)
        for r in attention:
            print(f"  {r['assignment']} / {r['student_id']}: {r['message']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
