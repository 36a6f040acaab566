#!/usr/bin/env python
"""Point this book at another GitHub repository (your fork): links, badges, Colab buttons, set-up cells.

    python tools/retarget.py OWNER/REPO                 # e.g. python tools/retarget.py alice/dlbook
    python tools/retarget.py OWNER/REPO --branch BRANCH --pages-url https://books.example.org/dl/

The repository is named in one place, ``repository.url`` in ``_config.yml``; this command rewrites
that and every committed copy derived from it: the Colab set-up cell of every chapter and exercise
(``dlkit @ git+<url>``), the README badges, the course and exercise tables, Colab and GitHub links
and ``html.baseurl`` (GitHub Pages: ``https://OWNER.github.io/REPO/`` unless ``--pages-url``). It then
regenerates ``exercises/release/`` and the Colab edition ``colab/``. Files are rewritten atomically.
Run the tests afterwards (``pytest tests/test_book.py tests/test_colab_edition.py``).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".md", ".yml", ".yaml", ".toml", ".ipynb", ".py", ".cfg", ".txt", ".html"}
GENERATED = ("exercises/release/", "colab/")  # regenerated from their sources, never edited


def write_atomic(path: Path, text: str):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def tracked_text_files(root: Path):
    out = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True)
    names = out.stdout.splitlines() if out.returncode == 0 else [
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    return [root / n for n in names if Path(n).suffix in TEXT_SUFFIXES and not n.startswith(GENERATED)]


def replacements(cfg, new_repo, new_branch, new_pages):
    old_url = cfg["repository"]["url"].rstrip("/")
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", old_url)
    if not m:
        raise SystemExit(f"_config.yml: repository.url must be https://github.com/OWNER/REPO, got {old_url!r}")
    old_repo, old_branch = f"{m.group(1)}/{m.group(2)}", cfg["repository"].get("branch", "main")
    old_pages = cfg["html"]["baseurl"].rstrip("/") + "/"
    old_badge, new_badge = (re.sub(r"^https?://", "", u).rstrip("/").replace("/", "%2F") for u in (old_pages, new_pages))
    pairs = [(old_pages, new_pages), (old_badge, new_badge),
             (f"github.com/{old_repo}/blob/{old_branch}/", f"github.com/{new_repo}/blob/{new_branch}/"),
             (f"google.com/github/{old_repo}/blob/{old_branch}/", f"google.com/github/{new_repo}/blob/{new_branch}/"),
             (f"github.com/{old_repo}", f"github.com/{new_repo}"),
             (f"google.com/github/{old_repo}/", f"google.com/github/{new_repo}/")]
    return [(a, b) for a, b in pairs if a != b]


def retarget(new_repo, branch=None, pages_url=None, root=ROOT, regenerate=True):
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", new_repo):
        raise SystemExit(f"OWNER/REPO expected (e.g. alice/dlbook), got {new_repo!r}")
    root = Path(root)
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    branch = branch or cfg["repository"].get("branch", "main")
    owner, name = new_repo.split("/")
    pages = (pages_url or f"https://{owner.lower()}.github.io/{name}/").rstrip("/") + "/"
    pairs = replacements(cfg, new_repo, branch, pages)
    changed = []
    for path in tracked_text_files(root):
        text = path.read_text(encoding="utf-8")
        new = text
        for a, b in pairs:
            new = new.replace(a, b)
        if path.name == "_config.yml":
            new = re.sub(r"(?m)^(  branch: ).*$", lambda mm: mm.group(1) + branch, new, count=1)
        if new != text:
            write_atomic(path, new)
            changed.append(str(path.relative_to(root)))
    if regenerate:
        for script in ("exercises/generate_release.py", "colab/generate.py"):
            subprocess.run([sys.executable, script], cwd=root, check=True)
    return changed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", help="OWNER/REPO of your GitHub repository")
    ap.add_argument("--branch", help="branch the links point at (default: repository.branch of _config.yml)")
    ap.add_argument("--pages-url", help="where the book is published (default https://OWNER.github.io/REPO/)")
    ap.add_argument("--no-regenerate", action="store_true", help="do not regenerate exercises/release and colab")
    args = ap.parse_args(argv)
    changed = retarget(args.repo, args.branch, args.pages_url, regenerate=not args.no_regenerate)
    print(f"{len(changed)} files now point at {args.repo}:", *changed, sep="\n  ")


if __name__ == "__main__":
    main()
