"""Repository-wide pytest set-up: nbval executes every chapter in an empty temporary folder.

nbval starts each notebook's kernel in the notebook's own folder (chapters/), where a cell could read a
file that a reader who opens the notebook alone (e.g. in Colab) does not have. Here the kernel starts in a
fresh empty folder that is deleted afterwards, so nbval proves, for every chapter, that it runs alone and
writes nothing into the repository. (tests/test_colab_runtime.py adds the Colab install path on top.)
"""
from __future__ import annotations

import shutil
import tempfile


def _empty_folder_kernel(base):
    class EmptyFolderKernel(base):
        """nbval's RunningKernel, started in an empty temporary folder instead of the notebook's."""

        def __init__(self, kernel_name, cwd=None, startup_timeout=60):
            self.folder = tempfile.mkdtemp(prefix="dlbook-nbval-")
            super().__init__(kernel_name, cwd=self.folder, startup_timeout=startup_timeout)

        def stop(self):
            try:
                super().stop()
            finally:
                shutil.rmtree(self.folder, ignore_errors=True)

    return EmptyFolderKernel


def pytest_configure(config):
    try:
        from nbval import plugin
    except ImportError:  # nbval not installed: nothing to adapt
        return
    if not getattr(plugin.RunningKernel, "dlbook_empty_folder", False):
        plugin.RunningKernel = _empty_folder_kernel(plugin.RunningKernel)
        plugin.RunningKernel.dlbook_empty_folder = True
