"""A stand-in for a Colab runtime, to run a notebook the way a Colab reader does.

- A fresh virtual environment whose "preinstalled" packages are those of the test environment
  except dlkit (symlinked in, as Colab ships numpy, TensorFlow, Keras, scikit-learn, matplotlib,
  pandas, tqdm, pooch ...): the notebook's set-up cell must install dlkit itself.
- A stand-in ``google.colab`` module, imported before the first cell, so the set-up cell takes its
  Colab branch.
- The repository URL of the set-up cell redirected to this checkout (``git+file://``): pip installs
  dlkit from the committed HEAD, exactly as Colab installs it from GitHub.
- The notebook copied alone into an empty folder (no cell may depend on files around it) and executed
  top to bottom with nbclient, cells tagged ``skip-execution`` (the GPU sections) left out.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

RUNNER = r"""
import json, sys, nbformat
from nbclient import NotebookClient
path, allow_errors = sys.argv[1], sys.argv[2] == "1"
nb = nbformat.read(path, as_version=4)
nb.cells = [c for c in nb.cells if "skip-execution" not in c.metadata.get("tags", [])]
nb.cells.insert(0, nbformat.v4.new_code_cell("import google.colab  # the Colab stand-in"))
client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors, resources={"metadata": {"path": "."}})
client.execute()
errors = [o.get("ename", "") + ": " + o.get("evalue", "")[:300] for c in nb.cells if c.cell_type == "code"
          for o in c.outputs if o.output_type == "error"]
print(json.dumps({"errors": errors}))
"""


class ColabRuntime:
    def __init__(self, root: Path, repo: Path, repo_url: str):
        self.root, self.repo, self.repo_url = Path(root), Path(repo), repo_url
        self.python = self.root / "venv" / "bin" / "python"

    def create(self):
        venv.create(self.root / "venv", with_pip=False, symlinks=True)
        site = Path(subprocess.check_output(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
        ours = Path(sysconfig.get_paths()["purelib"])
        for entry in ours.iterdir():  # Colab's preinstalled packages (pip included): everything we have but dlkit
            if "dlkit" in entry.name.lower():
                continue
            if not (site / entry.name).exists():
                (site / entry.name).symlink_to(entry)
        colab = site / "google" / "colab"
        colab.mkdir(parents=True, exist_ok=True)
        (colab / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab (dlbook tests)."""\n')
        self.site = site
        return self

    def freeze(self) -> set[str]:
        out = subprocess.run([str(self.python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True,
                             check=True, env=self._env()).stdout
        return {line.strip() for line in out.splitlines() if line.strip()}

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
        env["PATH"] = f"{self.python.parent}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("MPLBACKEND", "Agg")
        return env

    def run_notebook(self, notebook: Path, workdir: Path, allow_errors=False) -> list[str]:
        """Copy the notebook alone into workdir, point its set-up cell at this checkout, execute it.

        Returns the errors raised by cells (``["NotImplementedError: ..."]``); with allow_errors=False
        the first error stops the run and is returned."""
        workdir.mkdir(parents=True, exist_ok=True)
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = src.replace(self.repo_url, f"file://{self.repo}")
        target = workdir / Path(notebook).name
        target.write_text(json.dumps(nb), encoding="utf-8")
        (workdir / "_run.py").write_text(RUNNER)
        proc = subprocess.run([str(self.python), "_run.py", target.name, "1" if allow_errors else "0"],
                              cwd=workdir, capture_output=True, text=True, env=self._env(), timeout=900)
        (workdir / "_run.py").unlink()
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-12:]
            return ["execution failed: " + "\n".join(tail)]
        return json.loads(proc.stdout.strip().splitlines()[-1])["errors"]


def clean(path: Path):
    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":  # manual use: python tests/colab_sim.py chapters/03_*.ipynb
    import tempfile

    import yaml

    here = Path(__file__).resolve().parents[1]
    tmp = Path(tempfile.mkdtemp(prefix="colab-sim-"))
    rt = ColabRuntime(tmp, here, yaml.safe_load((here / "_config.yml").read_text())["repository"]["url"]).create()
    for nb in sys.argv[1:]:
        print(nb, rt.run_notebook(Path(nb), tmp / Path(nb).stem))
