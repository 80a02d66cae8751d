"""Every exception dialkit raises on purpose lives in dialkit/exceptions.py, drawn in its docstring's tree.

The old homes keep the names (the same class objects), so ``except dialkit.rules.RulesError`` still works.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import dialkit
import dialkit.exceptions as exc

PACKAGE = Path(dialkit.__file__).resolve().parent

#: Exception classes that are not dialkit's to raise: the emulator's answer of the emulated service
#: (turned into an HTTP error response) and the sender's private stop signal.
NOT_RAISED_TO_CALLERS = {("emulator/_service.py", "ApiError"), ("sender/__init__.py", "_Stop")}


def _exception_classes_outside_the_module() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "exceptions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
            if any(b.endswith(("Error", "Exception", "Warning")) or b in exc.__all__ for b in bases):
                if (rel, node.name) not in NOT_RAISED_TO_CALLERS:
                    found.append(f"{rel}: {node.name}")
    return found


def test_no_exception_class_is_defined_outside_the_exceptions_module() -> None:
    assert not _exception_classes_outside_the_module()


def _drawn_tree(doc: str) -> dict[str, str | None]:
    """Class name -> the parent the docstring's tree draws it under (None for a root)."""
    import re

    drawn: dict[str, str | None] = {}
    at_column: dict[int, str] = {}
    for line in doc.splitlines():
        match = re.match(r"^(\s*(?:[│ ]   )*(?:[├└]── )?)([A-Z]\w+)", line)
        if not match or not line.startswith("    "):
            continue
        column = len(match.group(1))
        name = match.group(2)
        drawn[name] = at_column.get(column - 4) if "──" in match.group(1) else None
        at_column[column] = name
    return drawn


def test_the_docstring_tree_draws_every_class_under_its_real_parent() -> None:
    drawn = _drawn_tree(exc.__doc__ or "")
    for name in exc.__all__:
        cls = getattr(exc, name)
        assert name in drawn, f"{name} is not drawn in dialkit/exceptions.py's tree"
        parent = drawn[name]
        if parent is not None:
            assert cls.__mro__[1].__name__ == parent, f"{name} is drawn under {parent}, not its parent"


@pytest.mark.parametrize(
    ("old_home", "name"),
    [
        ("dialkit.rules", "RulesError"),
        ("dialkit.outcomes.records", "ContactRecordsError"),
        ("dialkit.outcomes.experiments", "ExperimentError"),
        ("dialkit.outcomes.experiments", "ExposureWarning"),
        ("dialkit.tutorials", "TutorialsError"),
    ],
)
def test_moved_exceptions_are_still_importable_from_their_old_homes(old_home: str, name: str) -> None:
    assert getattr(importlib.import_module(old_home), name) is getattr(exc, name) is getattr(dialkit, name)


def test_every_error_is_a_dialkit_error() -> None:
    for name in exc.__all__:
        cls = getattr(exc, name)
        assert issubclass(cls, (exc.DialkitError, UserWarning)), name
