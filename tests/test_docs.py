"""The README and the documentation pages: short, true and linked.

The README is the front door (<= 250 lines: what dialkit is, the two commands, one example, where to
go next); everything else lives in ``docs/`` and is built by ``make docs`` (``mkdocs build --strict``,
which checks the links between pages). These tests hold what mkdocs cannot see: the README's own
links, its example, and that every page in ``docs/`` is in the site's navigation.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _nav_paths(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_paths(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_paths(value)]
    return []


def _mkdocs_config() -> dict:
    class _Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may hold !!python/name tags (e.g. for pymdownx); read it without resolving them
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)  # a SafeLoader subclass


def test_readme_is_at_most_250_lines() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_readme_names_the_two_commands_as_the_makefile_defines_them() -> None:
    readme = README.read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"the Makefile has no {target} target"


def test_readme_links_point_at_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text())
    local = [link for link in links if "://" not in link]
    assert local, "the README links to the documentation pages"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_every_docs_page_is_in_the_navigation() -> None:
    config = _mkdocs_config()
    nav = set(_nav_paths(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md") if "_hooks" not in p.parts}
    assert not pages - nav, f"pages not in mkdocs.yml's nav: {sorted(pages - nav)}"
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert not notebooks - nav, f"notebooks not in mkdocs.yml's nav: {sorted(notebooks - nav)}"


def test_the_readme_example_runs_on_the_sample_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = re.search(r"## A short example\n\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert block is not None, "the README's short example is a python block under '## A short example'"
    shutil.copytree(ROOT / "data" / "samples", tmp_path / "data" / "samples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # the README's own example
    results = namespace["results"]
    summary = namespace["summary"]
    assert len(results) == len(namespace["plan"]) > 0  # type: ignore[arg-type]
    assert summary.left_to_send == 0  # type: ignore[attr-defined]
    assert "phone_e164" not in results.columns  # type: ignore[attr-defined]


def test_every_public_module_has_an_api_reference_entry() -> None:
    """Each public module (no ``_`` in its path) is rendered by a ``::: module`` line in docs/reference/."""
    package = ROOT / "dialkit"
    public = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1] if parts[-1] == "__init__" else ()
        if len(parts) > 1 and not any(p.startswith("_") for p in parts):
            public.add(".".join(parts))
    # packages whose __init__ is only a docstring and submodules: their modules carry the reference
    containers = {"dialkit.aws", "dialkit.display", "dialkit.outcomes"}
    documented = set(
        re.findall(r"^::: (\S+)", "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md")), re.M)
    )
    missing = sorted(public - containers - documented)
    assert not missing, f"public modules without an API reference entry in docs/reference/: {missing}"


@pytest.mark.parametrize("name", ["load_contacts", "plan_batches", "send"])
def test_the_main_path_has_reference_first_docstrings(name: str) -> None:
    """What, then Args / Returns / Raises (google style, rendered by mkdocstrings); rationale in the module."""
    import inspect

    import dialkit

    doc = inspect.getdoc(getattr(dialkit, name)) or ""
    sections = [line for line in doc.splitlines() if line in ("Args:", "Returns:", "Raises:")]
    assert sections == ["Args:", "Returns:", "Raises:"], f"{name}: {sections}"
    params = [p for p in inspect.signature(getattr(dialkit, name)).parameters if p != "deprecated"]
    args = doc.split("Args:", 1)[1].split("Returns:", 1)[0]
    assert [p for p in params if f"\n    {p}:" not in f"\n{args}"] == [], f"{name}: parameters not documented"
