"""dialkit installed from its wheel, outside any checkout, still works.

The wheel is built the way ``python -m build`` builds it, offline: an sdist from a copy of the
source tree (so ``MANIFEST.in`` is what decides what it holds), then the wheel from the unpacked
sdist (so ``setup.py`` copies the tutorials from what the sdist carries).  It is installed with
``--no-deps`` into a fresh venv that sees this venv's packages through a ``.pth`` line (this
venv's editable dialkit is not importable there: its own ``.pth`` is not processed), and the
``dialkit`` command runs from a temporary folder: ``--version``, ``notebooks DIR``, ``check`` on
the copied sample, ``demo``, and notebook 01 executed where it was copied to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import dialkit
from dialkit.tutorials import tutorial_files

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert out.returncode == 0, f"{args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def _source_copy(dest: Path) -> Path:
    """The files a release is made from, as a fresh clone would have them (no build output, no caches)."""
    dest.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_tutorials", ".ipynb_checkpoints")
    for name in ("dialkit", "notebooks", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


def _build_wheel(tmp: Path) -> Path:
    src = _source_copy(tmp / "src")
    hook = "import sys; from setuptools import build_meta as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"
    sdist = src / "dist" / _run([sys.executable, "-c", hook, "build_sdist", "dist"], cwd=src).stdout.split()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "sdist", filter="data")
    (unpacked,) = (tmp / "sdist").iterdir()
    wheel = _run([sys.executable, "-c", hook, "build_wheel", str(tmp / "wheel")], cwd=unpacked).stdout.split()[-1]
    return tmp / "wheel" / wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    purelib = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip()
    )
    (purelib / "_outer_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the dependencies
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        cwd=tmp,
    )
    work = tmp / "work"  # outside the checkout
    work.mkdir()
    return {
        "wheel": wheel,
        "venv": venv,
        "python": python,
        "dialkit": venv / "bin" / "dialkit",
        "work": work,
        "purelib": purelib,
    }


def test_the_wheel_carries_the_tutorials_and_the_licence(installed: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    shipped = {n.removeprefix("dialkit/_tutorials/") for n in names if n.startswith("dialkit/_tutorials/")}
    assert shipped == {rel.as_posix() for rel in tutorial_files(ROOT)}
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_installed_package_is_the_wheel_and_reports_one_version(installed: dict[str, Path]) -> None:
    where = _run([str(installed["python"]), "-c", "import dialkit; print(dialkit.__file__)"], cwd=installed["work"])
    assert Path(where.stdout.strip()).is_relative_to(installed["purelib"])
    version = _run([str(installed["dialkit"]), "--version"], cwd=installed["work"]).stdout.strip()
    meta = _run(
        [str(installed["python"]), "-c", "import importlib.metadata as m; print(m.version('dialkit'))"],
        cwd=installed["work"],
    ).stdout.strip()
    assert version == f"dialkit {meta}" == f"dialkit {dialkit.__version__}"


def test_notebooks_command_copies_and_refuses_to_overwrite(installed: dict[str, Path]) -> None:
    dest = installed["work"] / "my-notebooks"
    out = _run([str(installed["dialkit"]), "notebooks", str(dest)], cwd=installed["work"]).stdout
    for rel in tutorial_files(ROOT):
        assert (dest / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
        assert f"wrote {dest / rel}" in out
    assert "jupyter" in out and f"cd {dest}" in out
    again = subprocess.run(
        [str(installed["dialkit"]), "notebooks", str(dest)],
        cwd=installed["work"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "--force" in again.stderr and "nothing was copied" in again.stderr
    (dest / "notebooks" / "01_load_contacts.ipynb").write_text("{}")  # an edited notebook survives only --force
    _run([str(installed["dialkit"]), "notebooks", str(dest), "--force"], cwd=installed["work"])
    assert (dest / "notebooks" / "01_load_contacts.ipynb").read_bytes() == (
        ROOT / "notebooks" / "01_load_contacts.ipynb"
    ).read_bytes()

    check = _run(
        [str(installed["dialkit"]), "check", "my-notebooks/data/samples/contacts_messy.csv", "--json"],
        cwd=installed["work"],
    )
    assert json.loads(check.stdout)["rows"] == 3000


def test_demo_runs_from_the_wheel(installed: dict[str, Path]) -> None:
    out = _run(
        [str(installed["dialkit"]), "demo", "--out", "demo-out", "--no-notebooks", "--no-progress"],
        cwd=installed["work"],
    ).stdout
    assert str(installed["purelib"] / "dialkit" / "_tutorials" / "data" / "samples" / "contacts_messy.csv") in out
    assert "3000 rows" in out and (installed["work"] / "demo-out" / "demo-ledger.sqlite").is_file()
    # the notebooks step of the demo (left out above: minutes) runs the wheel's own notebooks
    found = _run(
        [
            str(installed["python"]),
            "-c",
            "from dialkit.notebooks import find_notebooks; print('\\n'.join(str(p) for p in find_notebooks()))",
        ],
        cwd=installed["work"],
    ).stdout.split()
    assert [Path(p).name for p in found] == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert all(Path(p).is_relative_to(installed["purelib"] / "dialkit" / "_tutorials" / "notebooks") for p in found)


def test_a_copied_notebook_runs_where_it_was_copied(installed: dict[str, Path]) -> None:
    """Notebook 01 finds ``../data/samples`` and writes ``../out/notebooks`` relative to itself."""
    dest = installed["work"] / "nb-run"
    _run([str(installed["dialkit"]), "notebooks", str(dest)], cwd=installed["work"])
    code = (
        "from dialkit.notebooks import execute_in_place; "
        f"execute_in_place(['01'], notebooks_dir={str(dest / 'notebooks')!r})"
    )
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    _run([str(installed["python"]), "-c", code], cwd=installed["work"], env=env)
    assert any((dest / "out" / "notebooks").iterdir())
