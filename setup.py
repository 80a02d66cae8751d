"""Build hook: the wheel carries the tutorial notebooks and sample data as ``dialkit/_tutorials/``.

Everything else about the package is in ``pyproject.toml``.  The notebooks and samples live once in
git (``notebooks/``, ``data/samples/``); at build time they are copied into the package so that an
install from the wheel, outside any checkout, still has them (``dialkit notebooks DIR``,
``dialkit demo``).  The selection is :func:`dialkit.tutorials.tutorial_files`, the one the package
itself uses.  An editable install reads them from the checkout instead.  ``MANIFEST.in`` puts them
in the sdist, so a wheel built from the sdist has them too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from dialkit.tutorials import tutorial_files  # noqa: E402  (the source tree's own selection)


class BuildPyWithTutorials(build_py):
    """``build_py``, then the tutorials copied into ``<build_lib>/dialkit/_tutorials`` (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds them in the checkout
        files = tutorial_files(ROOT)
        if not any(rel.suffix == ".ipynb" for rel in files):
            raise RuntimeError(f"no tutorial notebooks under {ROOT / 'notebooks'}: is MANIFEST.in missing them?")
        target = Path(self.build_lib) / "dialkit" / "_tutorials"
        for rel in files:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, target / rel)


setup(cmdclass={"build_py": BuildPyWithTutorials})
