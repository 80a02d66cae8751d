"""What dialkit declares about itself is true: one version, a licence, the packages it imports, the floors CI tests.

environment.yml against pyproject.toml is tests/test_environment_files.py; the wheel is tests/test_wheel_install.py.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

import dialkit

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

#: Imported only to say what to install when it is missing (never needed for what dialkit does by default).
OPTIONAL_IMPORTS = {
    "xlrd": "dialkit.contacts._io: legacy .xls workbooks; the error says to pip install it or save as .xlsx"
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(*groups: str) -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    for group in groups:
        reqs += [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"][group]]
    return {_norm(r.name): r for r in reqs}


def _imported_top_level(folder: Path) -> dict[str, list[str]]:
    """Top-level modules imported (absolute imports) by the .py files under ``folder``: module -> files."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], []).append(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions that provide it (one scan of site-packages)."""
    return dict(importlib.metadata.packages_distributions())


def _undeclared(folder: Path, declared: dict[str, Requirement], local: set[str]) -> list[str]:
    dists = _distributions()
    problems = []
    for module, files in sorted(_imported_top_level(folder).items()):
        if module in sys.stdlib_module_names or module in local or module in OPTIONAL_IMPORTS or module == "dialkit":
            continue
        owners = {_norm(d) for d in dists.get(module, [])}
        if not owners:
            problems.append(f"{module} (no installed distribution provides it; imported by {files[0]})")
        elif not owners & set(declared):
            problems.append(f"{module} from {sorted(owners)} is not declared (imported by {files[0]})")
    return problems


def test_every_package_dialkit_imports_is_a_declared_dependency() -> None:
    assert _undeclared(ROOT / "dialkit", _declared(), local=set()) == []


def test_every_package_the_tests_and_benchmarks_import_is_declared_or_dev() -> None:
    local = {p.stem for folder in ("tests", "benchmarks") for p in (ROOT / folder).rglob("*.py")}
    declared = _declared("dev")
    assert _undeclared(ROOT / "tests", declared, local) == []
    assert _undeclared(ROOT / "benchmarks", declared, local) == []


def test_the_optional_imports_are_really_optional() -> None:
    for module in OPTIONAL_IMPORTS:
        assert _norm(module) not in _declared("dev"), f"{module} is declared: drop it from OPTIONAL_IMPORTS"


def test_one_version_number() -> None:
    """pyproject reads dialkit._version.__version__ (dialkit.__version__); the installed metadata and ``dialkit --version`` agree with it."""
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dialkit._version.__version__"}
    cli = subprocess.run(
        [sys.executable, "-c", "from dialkit.cli import main; main(['--version'])"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.stdout.strip() == f"dialkit {dialkit.__version__}", cli.stderr
    assert importlib.metadata.version("dialkit") == dialkit.__version__, "reinstall: pip install -e '.[dev]'"
    assert Version(dialkit.__version__)  # a valid version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog and f"## {dialkit.__version__} - " in changelog


def test_licence_file_is_the_declared_licence() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "dialkit contributors" in text


def _floor_pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints" / "floor.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[_norm(req.name)] = Version(spec.version)
    return pins


def _lower_bound(req: Requirement) -> Version | None:
    lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
    return lows[0] if lows else None


def _makefile_list(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    found = re.search(rf"^{name}\s*:=(.*)$", text, re.M)
    assert found, f"no {name} in the Makefile"
    return found.group(1).split()


def test_floor_pins_are_the_declared_floors() -> None:
    """constraints/floor.txt pins each package at exactly the lower bound pyproject.toml declares."""
    declared = _declared("dev")
    for name, pinned in _floor_pins().items():
        assert name in declared, f"floor.txt pins {name}, which pyproject does not declare"
        assert _lower_bound(declared[name]) == pinned, f"{name}: pyproject says {declared[name]}, floor.txt {pinned}"


def test_the_floor_venv_installs_every_pinned_runtime_package_at_its_floor() -> None:
    """Every declared runtime package the floor venv installs (make test-floor) is pinned there, and vice versa."""
    runtime = _declared()
    installed = {_norm(n) for n in _makefile_list("FLOOR_PKGS")}
    pins = _floor_pins()
    assert sorted(n for n in installed if n in runtime and n not in pins) == []
    assert sorted(n for n in pins if n not in installed) == []


def test_the_floor_venv_runs_the_floor_python() -> None:
    """make test-floor uses the lowest Python that requires-python admits (when that Python is on the machine)."""
    requires = PYPROJECT["project"]["requires-python"]
    low = re.fullmatch(r">=\s*(3\.\d+)", requires)
    assert low, requires
    text = (ROOT / "Makefile").read_text()
    assert re.search(rf"^FLOOR_PYTHON\s*\?=.*python{re.escape(low.group(1))}\b", text, re.M), (
        f"FLOOR_PYTHON in the Makefile should look for python{low.group(1)}"
    )
