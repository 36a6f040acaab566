#!/usr/bin/env python
"""Regenerate ``release/`` (the student notebooks) from ``source/`` with ``nbgrader generate_assignment``.

    python generate_release.py            # rewrite release/ for every assignment in source/
    python generate_release.py ch02_mlp   # only these assignments
    python generate_release.py --check    # exit 1 if release/ differs from a fresh generation

nbgrader runs in a temporary copy of the course, so no gradebook.db is left behind; the output is
deterministic (nbgrader's checksums are content hashes and cell ids come from the source notebooks).
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def assignments(root=HERE):
    return sorted(p.name for p in (pathlib.Path(root) / "source").iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").exists())


def nbgrader_env():
    """Environment for nbgrader subprocesses: the venv's bin first on PATH (nbgrader calls alembic)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def generate(names=None, root=HERE, timeout=600):
    """Run generate_assignment in a temporary copy of the course; return {name: generated folder}."""
    names = list(names or assignments(root))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dlbook-release-"))
    for f in ("nbgrader_config.py", "nbgrader_ext.py"):
        shutil.copy(pathlib.Path(root) / f, tmp)
    for name in names:
        shutil.copytree(pathlib.Path(root) / "source" / name, tmp / "source" / name)
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force"]
    proc = subprocess.run(cmd, cwd=tmp, env=nbgrader_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or "| ERROR]" in proc.stderr + proc.stdout:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return {name: tmp / "release" / name for name in names}


def normalise(nb_path):
    """Notebook JSON with sorted keys, the form we compare and commit."""
    return json.loads(pathlib.Path(nb_path).read_text())


def differences(expected_dir, actual_dir):
    """Human-readable differences between two release folders of one assignment (empty if identical)."""
    expected_dir, actual_dir = pathlib.Path(expected_dir), pathlib.Path(actual_dir)
    rel = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())  # noqa: E731
    out = []
    if rel(expected_dir) != rel(actual_dir):
        out.append(f"files differ: {rel(expected_dir)} vs {rel(actual_dir)}")
    for name in rel(expected_dir):
        a, b = expected_dir / name, actual_dir / name
        if not b.exists():
            continue
        if not name.endswith(".ipynb"):
            if a.read_bytes() != b.read_bytes():
                out.append(f"{name}: contents differ")
            continue
        na, nb = normalise(a), normalise(b)
        for key in ("metadata", "nbformat", "nbformat_minor"):
            if na.get(key) != nb.get(key):
                out.append(f"{name}: notebook {key} differs: {na.get(key)!r} vs {nb.get(key)!r}")
        if len(na["cells"]) != len(nb["cells"]):
            out.append(f"{name}: {len(na['cells'])} cells vs {len(nb['cells'])}")
        for i, (ca, cb) in enumerate(zip(na["cells"], nb["cells"])):
            for key in sorted(set(ca) | set(cb)):
                if ca.get(key) != cb.get(key):
                    out.append(f"{name}: cell {i} ({ca.get('id')}) field {key!r} differs")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Regenerate exercises/release from exercises/source.")
    ap.add_argument("names", nargs="*", help="assignments (default: all in source/)")
    ap.add_argument("--check", action="store_true", help="only compare, exit 1 on differences")
    args = ap.parse_args(argv)
    fresh = generate(args.names)
    bad = False
    for name, folder in fresh.items():
        target = HERE / "release" / name
        if args.check:
            diff = differences(folder, target) if target.exists() else ["missing from release/"]
            bad |= bool(diff)
            print(f"{name}: " + ("up to date" if not diff else "OUT OF DATE\n  " + "\n  ".join(diff)))
        else:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(folder, target)
            print(f"{name}: wrote {target.relative_to(HERE)}")
    shutil.rmtree(next(iter(fresh.values())).parent.parent, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
