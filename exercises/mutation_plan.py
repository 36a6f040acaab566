"""Which catalogue answers may share one graded submission, and how the shared submissions are judged.

A submission of the mutation catalogue (``mutants/<assignment>.py``) used to be one answer in an otherwise
correct notebook: ~35 answers, ~35 kernel starts and whole-notebook runs per assignment. Here the answers of
DIFFERENT tasks share submissions, and every claim the single-answer submissions proved is still proven by
real nbgrader grading (tests/test_grading_pipeline.py):

* Wrong combinations ``mut-wKK``: the KK-th wrong answer of every task (the reference where a task ran out).
  Every task holding a wrong answer must lose points; every task holding the reference must keep all of them.
* Breakers ``mut-bKK``, one per task but the last, twice: the task's released stub (raises
  NotImplementedError, what a student who skipped the task hands in) and the stub returning NaN (garbage that
  raises nothing). Every OTHER task must keep full marks, the broken task must lose points. This is claim (b),
  "one bug costs one task", for the task's names as a whole: no later cell (given code, reference solutions,
  visible or hidden tests) depends on them; the tests put the reference in via ``using`` (dlkit.exercises).
  The other tasks of a breaker hold the correct alternatives of the catalogue (round robin), which must get
  full marks; correct combinations ``mut-cKK`` take the alternatives left over. Wrong answers never share a
  submission with correct ones, so a wrong answer cannot hide behind a correct one or the reverse.
* Solo submissions ``mut-<task>-<w|c>KK``: one answer, the reference everywhere else (the old scheme, exact),
  for every answer that ``impurities`` flags.

Why a shared submission proves what a solo one proved. Cells run top to bottom, so a task's score depends only
on the cells up to its tests, and an answer of task i can reach task j only through (1) the top-level names
it binds (its functions, what they return, the objects they make), or (2) side effects on state that is not
its own: module attributes, the global random state, files, global objects it writes into. Objects passed to
its functions belong to the caller: its own task's tests (which build them, and check them unchanged), since
no other task calls it (the breakers show). ``impurities`` is a conservative syntactic screen that sends to a
solo submission every answer that could use (2): a write into a name it does not own (or a local alias of
one), a global/nonlocal statement, top-level code beyond definitions and imports, global random or seed
calls, os/sys/open/globals()/setattr/exec...; it also sends there an answer that binds a name another cell
reads that its reference does not bind (or binds it otherwise than that cell's own import), captures another
task's function at definition time (a default argument), lacks a name its released stub binds, or reads a
name that only another task's answer might bind. What remains is (1), and the breakers prove that no other
task depends on task i's names whatever they hold (an exception, NaN, the reference): the tests of a later
task put the earlier references in with ``using``. Hence in a shared submission each task scores what it
scores in a solo one: a wrong answer loses points in its own task by itself and costs none elsewhere, a
correct one gets full marks by itself. The screen is syntactic: it is meant for the course authors'
catalogue, not for adversarial code (``getattr(np, "random").seed()`` would pass it). A flaw in the argument
for an assignment (a hidden test calling another task's function outside ``using``; an answer leaking through
shared state) fails a breaker or a solo submission, as injected faults confirmed; ``mutation.py --alone``
grades one answer per submission to find which answer of a failing shared submission is the culprit.
"""
import ast
import builtins
import collections
import re

import nbformat

BUILTINS = set(dir(builtins)) | {"__file__", "__name__", "get_ipython", "display"}
RNG_OK = {"default_rng", "Generator", "RandomState", "SeedSequence", "PCG64", "Philox", "MT19937", "SFC64"}
STATE_MODULES = {"random", "os", "sys", "importlib", "builtins", "warnings", "gc", "ctypes", "shutil",
                 "subprocess", "pathlib", "io", "pickle", "tempfile", "atexit", "signal", "threading"}
BAD_CALLS = {"globals", "vars", "locals", "setattr", "delattr", "exec", "eval", "compile", "__import__", "open",
             "input", "breakpoint"}
TOP_OK = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _parse(src):
    return ast.parse(re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", src))  # IPython magics and shell lines are not Python


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *parts[::-1]] if isinstance(node, ast.Name) else []


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_nodes(tree):
    """The nodes that run at module level (not inside a function, lambda or class body)."""
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, SCOPES):
            todo.extend(ast.iter_child_nodes(n))


def bound_names(tree):
    """Global names a cell binds: defs, classes, imports, module-level assignments and loop targets."""
    out = set()
    for n in _module_nodes(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
    return out


def free_names(tree):
    """Names a cell reads but binds nowhere (an over-approximation of local scopes: any binding counts)."""
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    stored |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
               for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a}
    stored |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                  ast.ClassDef))}
    stored |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}
    stored |= bound_names(tree)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - stored


def _owned(fn):
    """Names a function may write into: parameters and locals, except locals that alias a non-local object
    and names it imports."""
    a = fn.args
    params = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
    local = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    alias = {t.id for n in ast.walk(fn) if isinstance(n, ast.Assign)
             and isinstance(n.value, (ast.Name, ast.Attribute, ast.Subscript))
             and _root(n.value) not in params | local for t in n.targets if isinstance(t, ast.Name)}
    modules = {(x.asname or x.name).split(".")[0] for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))
               for x in n.names}  # a module (or a module's object) imported in the function is shared
    return (params | local) - alias - modules | {"self", "cls"}


def imports(tree):
    """{name: what it is bound to} for the names a cell binds with import statements."""
    out = {}
    for n in _module_nodes(tree):
        if isinstance(n, ast.Import):
            out.update({(a.asname or a.name).split(".")[0]: (a.asname and a.name, "") for a in n.names})
        elif isinstance(n, ast.ImportFrom):
            out.update({a.asname or a.name: (n.module, a.name) for a in n.names})
    return out


def context(source_nb, release_nb):
    """Per task: (reference names, stub names, {name another cell reads: its import there or None},
    names any answer may read, names the stubs of earlier tasks bind)."""
    cells = [c for c in source_nb.cells if c.cell_type == "code"]
    trees = [_parse(c.source) for c in cells]
    stubs = {nbg(c)["grade_id"]: bound_names(_parse(c.source)) for c in release_nb.cells
             if c.cell_type == "code" and nbg(c).get("solution")}
    given = set().union(*(bound_names(t) for c, t in zip(cells, trees) if not nbg(c).get("solution")))
    out, earlier = {}, set()
    for cell, tree in zip(cells, trees):
        if not nbg(cell).get("solution"):
            continue
        task, others = nbg(cell)["grade_id"], {}
        for c, t in zip(cells, trees):
            if c is not cell:
                loads = {n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                others.update({name: None for name in loads if name not in others})
                others.update(imports(t))
        out[task] = (bound_names(tree), stubs[task], others, BUILTINS | given | earlier, set(earlier))
        earlier |= stubs[task]
    return out


def impurities(code, ctx):
    """Why ``code`` (an answer of one task) might reach another task other than through its reference names
    (see the module docstring); [] when it cannot and may share a submission."""
    ref, stub, others, readable, earlier = ctx
    try:
        tree = _parse(code)
    except SyntaxError as err:
        return [f"does not parse: {err.msg} (line {err.lineno})"]
    why = []
    mine, mine_imports = bound_names(tree), imports(tree)
    # a name another cell reads may be bound only as there: by the same import (the same module object)
    shadow = sorted(n for n in mine - ref if n in others and (n not in mine_imports
                                                               or mine_imports[n] != others[n]))
    if shadow:
        why.append(f"binds names another cell reads: {shadow}")
    if stub - mine:
        why.append(f"does not bind {sorted(stub - mine)} (the released stub does)")
    if free_names(tree) - readable:
        why.append(f"reads names only another task's answer binds: {sorted(free_names(tree) - readable)}")
    for s in tree.body:
        ok = isinstance(s, TOP_OK) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            ok = all(isinstance(t, ast.Name) for t in targets) and not any(
                isinstance(n, ast.Call) for n in ast.walk(s))
        if not ok:
            why.append(f"line {s.lineno}: a top-level statement that runs code")
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        defaults = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d)]
        if any(isinstance(n, ast.Name) and n.id in earlier for d in defaults for n in ast.walk(d)):
            why.append(f"{fn.name}: a default argument captures another cell's name")
        owned = _owned(fn)
        for n in ast.walk(fn):
            for t in getattr(n, "targets", None) or ([n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign))
                                                      else []):
                for sub in ast.walk(t):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and not isinstance(sub.ctx, ast.Load) \
                            and _root(sub) not in owned:
                        why.append(f"line {n.lineno}: writes into {_root(sub)}, which it does not own")
    for n in ast.walk(tree):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            why.append(f"line {n.lineno}: a {type(n).__name__.lower()} statement")
        if isinstance(n, ast.Call):
            d = _dotted(n.func)
            if d[:1] and d[0] in BAD_CALLS | STATE_MODULES:
                why.append(f"line {n.lineno}: calls {'.'.join(d)}")
            elif len(d) >= 3 and d[-2] == "random" and d[-1] not in RNG_OK:
                why.append(f"line {n.lineno}: uses the global random state ({'.'.join(d)})")
            elif any("seed" in p.lower() for p in d[1:]) or (d and d[-1] in ("seterr", "set_printoptions")):
                why.append(f"line {n.lineno}: changes global state ({'.'.join(d)})")
    return sorted(set(why))


def breakers(release_cell):
    """The two maximal breaks of a task: its released stub, and the stub returning NaN instead of raising."""
    garbage = release_cell.replace("raise NotImplementedError()", 'return float("nan")')
    out = [("stub", "the released stub (raises NotImplementedError)", release_cell)]
    return out + ([("garbage", "the stub returning NaN", garbage)] if garbage != release_cell else [])


def plan(answers, source_nb, release_nb, task_order, alone=False):
    """The submissions: {student id: {task: (kind, why, code)}}; a task not in a submission holds the reference.

    ``answers`` = [(task, kind, why, code), ...] in catalogue order; ``alone``: one submission per answer."""
    ctx = context(source_nb, release_nb)
    release = {nbg(c)["grade_id"]: c.source for c in release_nb.cells if nbg(c).get("solution")}
    queues, subs, solo = collections.defaultdict(list), {}, collections.Counter()
    for task, kind, why, code in answers:
        flags = ["asked for"] if alone else impurities(code, ctx[task])
        if flags:
            solo[task, kind] += 1
            sid = f"mut-{re.sub(r'[^A-Za-z0-9]', '', task)}-{kind[0]}{solo[task, kind]:02d}"
            subs[sid] = {task: (kind, f"{why} [graded alone: {'; '.join(flags)}]", code)}
        else:
            queues[task, kind].append((kind, why, code))
    k = 0
    for task in task_order[:-1]:  # a break in the last task could only cost points in later tasks: none
        for name, why, code in breakers(release[task]):
            k += 1
            subs[f"mut-b{k:02d}"] = {task: (name, why, code), **{
                t: queues[t, "correct"].pop(0) for t in task_order if t != task and queues[t, "correct"]}}
    for kind in ("correct", "wrong"):
        k = 0
        while any(queues[t, kind] for t in task_order):
            k += 1
            subs[f"mut-{kind[0]}{k:02d}"] = {t: queues[t, kind].pop(0) for t in task_order if queues[t, kind]}
    return subs


def judge(made, cells, source_nb):
    """Verdicts [(student, task, kind, why, ok, detail)], one per answer and breaker in ``made``.

    ``cells`` = {student: {grade_id: (score, max_score)}} from the gradebook."""
    tests = {}
    for cell in source_nb.cells:
        meta = nbg(cell)
        if meta.get("solution"):
            tests[meta["grade_id"]] = []
        elif meta.get("grade") and cell.cell_type == "code" and tests:
            tests[list(tests)[-1]].append((meta["grade_id"], float(meta["points"])))
    out = []
    for sid, slots in made.items():
        grades = cells.get(sid)
        if grades is None:
            out += [(sid, t, kind, why, False, "not graded (the notebook did not run)")
                    for t, (kind, why, _) in slots.items()]
            continue
        lost = {t: sum(p - (grades[g][0] or 0) for g, p in cs) for t, cs in tests.items()}
        ref_lost = [t for t in tests if t not in slots and lost[t]]  # a task holding the reference lost points
        for t, (kind, why, _) in slots.items():
            if kind == "correct":
                bad = [t] * bool(lost[t]) + ref_lost
                ok, detail = not bad, f"lost points in {bad}" if bad else ""
            else:  # a wrong answer or a breaker: loses points in its own task, none in the tasks that must keep them
                keep = ref_lost if kind == "wrong" else [u for u in tests if u != t and lost[u]]
                ok = lost[t] > 0 and not keep
                detail = ("got full marks " if not lost[t] else "") + (f"cost points in {keep}" if keep else "")
            out.append((sid, t, kind, why, ok, detail.strip()))
    return out


def read(course, assignment):
    """(source notebook, release notebook) of ``assignment`` in a course folder."""
    return tuple(nbformat.read(course / d / assignment / f"{assignment}.ipynb", as_version=4)
                 for d in ("source", "release"))
