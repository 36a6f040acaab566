"""tools/retarget.py: one command re-targets a fork; afterwards nothing points at the old repository."""
import shutil
import subprocess
import sys

import yaml
from conftest import REPO_ROOT, config, repo_url

sys.path.insert(0, str(REPO_ROOT / "tools"))
import retarget  # noqa: E402


def copy_of_repo(tmp_path):
    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    dst = tmp_path / "fork"
    for name in files.stdout.splitlines():
        if (REPO_ROOT / name).is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, dst / name)
    return dst


def test_retarget_rewrites_every_link_and_regenerates_the_colab_edition(tmp_path):
    fork = copy_of_repo(tmp_path)
    old, old_pages = repo_url().removeprefix("https://github.com/"), config()["html"]["baseurl"]
    changed = retarget.retarget("alice/mybook", branch="dev", root=fork, regenerate=False)
    subprocess.run([sys.executable, "colab/generate.py"], cwd=fork, check=True, capture_output=True)
    cfg = yaml.safe_load((fork / "_config.yml").read_text())
    assert cfg["repository"]["url"] == "https://github.com/alice/mybook" and cfg["repository"]["branch"] == "dev"
    assert cfg["html"]["baseurl"] == "https://alice.github.io/mybook/"
    assert "README.md" in changed and any(c.startswith("chapters/") for c in changed)
    readme = (fork / "README.md").read_text()
    assert "colab.research.google.com/github/alice/mybook/blob/dev/colab/00_introduction.ipynb" in readme
    assert "alice.github.io%2Fmybook" in readme
    stale = [str(p.relative_to(fork)) for p in fork.rglob("*")
             if p.is_file() and p.suffix in {".md", ".yml", ".ipynb", ".toml", ".py"}
             and not str(p.relative_to(fork)).startswith("exercises/release/")
             and (f"github.com/{old}" in p.read_text(encoding="utf-8", errors="ignore")
                  or f"/github/{old}/" in p.read_text(encoding="utf-8", errors="ignore")
                  or old_pages in p.read_text(encoding="utf-8", errors="ignore"))]
    assert stale == []
    setup = (fork / "chapters" / "02_mlp.ipynb").read_text()
    assert 'REPO_URL = \\"https://github.com/alice/mybook\\"' in setup


def test_bad_repo_name_is_refused(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="OWNER/REPO expected"):
        retarget.retarget("not a repo", root=tmp_path, regenerate=False)
