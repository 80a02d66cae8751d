"""environment.yml (conda route) and pyproject.toml (pip route) must name the same packages and bounds.

Conda cannot be installed on the project's machines, so this test is what keeps the
two install routes in agreement.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements() -> dict[str, SpecifierSet]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(data["dependencies"]) + list(data["optional-dependencies"]["dev"])
    return {_norm(Requirement(r).name): Requirement(r).specifier for r in reqs}


def conda_requirements() -> tuple[dict[str, SpecifierSet], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda: dict[str, SpecifierSet] = {}
    pip_section: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section.extend(dep.get("pip", []))
            continue
        name, _, spec = dep.partition(" ")
        conda[_norm(name)] = SpecifierSet(spec.replace(" ", ""))
    return conda, pip_section


def test_same_packages_in_both_files() -> None:
    pip = pyproject_requirements()
    conda, _ = conda_requirements()
    conda.pop("python")
    conda.pop("pip")
    assert sorted(conda) == sorted(pip), (
        f"only in environment.yml: {sorted(set(conda) - set(pip))}; only in pyproject.toml: {sorted(set(pip) - set(conda))}"
    )


def test_same_bounds_in_both_files() -> None:
    pip = pyproject_requirements()
    conda, _ = conda_requirements()
    for name, spec in pip.items():
        assert conda[name] == spec, f"{name}: pyproject says {spec}, environment.yml says {conda[name]}"


def test_python_bound_matches_requires_python() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    conda, _ = conda_requirements()
    assert conda["python"] == SpecifierSet(requires)


def test_environment_installs_dialkit_itself_through_pip() -> None:
    _, pip_section = conda_requirements()
    assert "-e ." in pip_section or "." in pip_section


def test_every_environment_line_has_a_comment() -> None:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    deps = [ln for ln in lines if re.match(r"\s+- [a-z]", ln) and "pip:" not in ln]
    missing = [ln.strip() for ln in deps if "#" not in ln]
    assert not missing, f"environment.yml lines without a comment: {missing}"
