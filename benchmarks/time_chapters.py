"""Execute every chapter notebook (as nbval does, in chapters/) and print a table of execution times.

    python benchmarks/time_chapters.py [chapters/07_cnn.ipynb ...]

Budget: each chapter <= 90 s and the whole book <= 15 min on 2 CPU cores. Nothing is written back.
"""
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # cells the book and nbval skip ("Scale it up on a GPU") are skipped here too
        if {"skip-execution", "nbval-skip"} & set(cell.metadata.get("tags", [])):
            cell.source = ""
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - t0


def main(paths):
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paths = [pathlib.Path(p).resolve() for p in paths] or sorted((ROOT / "chapters").glob("*.ipynb"))
    total = 0.0
    print(f"{'chapter':42s} {'seconds':>8s}  budget 90 s")
    for p in paths:
        t = run(p)
        total += t
        print(f"{p.name:42s} {t:8.1f}  {'ok' if t <= 90 else 'OVER'}")
    print(f"{'total':42s} {total:8.1f}  {'ok' if total <= 900 else 'OVER'} (budget 900 s)")


if __name__ == "__main__":
    main(sys.argv[1:])
