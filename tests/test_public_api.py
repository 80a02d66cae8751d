"""The public API is one literal ``__all__`` per public module, complete and importable.

A literal list (not computed) is what ruff, mypy and IDEs read; ``dialkit`` imports its
names lazily, so the list and the name -> module table must agree, and ``import dialkit``
must not pull matplotlib or ipywidgets (charts and widgets load when first used).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import dialkit

PACKAGE = Path(dialkit.__file__).resolve().parent


def _public_modules() -> list[str]:
    """``dialkit`` and every module or package of it whose path has no leading underscore."""
    names = ["dialkit"]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and not any(p.startswith("_") for p in parts):
            names.append(".".join(("dialkit", *parts)))
    return names


def _literal_all(module: str) -> list[str]:
    """The module's ``__all__`` as written in its source; fails unless it is one plain list of strings."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found = [
        node
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ]
    assert len(found) == 1, f"{module}: __all__ must be assigned exactly once at module level"
    value = found[0].value
    assert isinstance(value, ast.List), f"{module}: __all__ must be a list literal, not {type(value).__name__}"
    assert all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts), (
        f"{module}: __all__ must hold string literals only"
    )
    assert not any(
        isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__"
        for node in ast.walk(tree)
    ), f"{module}: __all__ is extended"
    return [e.value for e in value.elts if isinstance(e, ast.Constant)]


@pytest.mark.parametrize("module", _public_modules())
def test_each_public_module_has_a_literal_complete_all(module: str) -> None:
    names = _literal_all(module)
    assert len(names) == len(set(names)), f"{module}: duplicates in __all__"
    mod = importlib.import_module(module)
    assert list(mod.__all__) == names  # nothing computes or edits it at import time
    for name in names:
        assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which it does not define"
        assert not name.startswith("_") or name == "__version__", f"{module}: private name {name!r} exported"


def test_every_top_level_name_is_importable_and_the_lazy_table_matches() -> None:
    names = _literal_all("dialkit")
    table = dialkit._EXPORTS
    assert set(names) == set(table) | {"__version__"}, (
        f"in __all__ only: {sorted(set(names) - set(table) - {'__version__'})}; "
        f"in _EXPORTS only: {sorted(set(table) - set(names))}"
    )
    for name, module in table.items():
        home = importlib.import_module(f"dialkit.{module}")
        assert name in home.__all__, f"dialkit.{name} comes from dialkit.{module}, whose __all__ omits it"
        assert getattr(dialkit, name) is getattr(home, name)
        exec(f"from dialkit import {name}", {})  # the import statement works too


def test_dir_lists_the_names_and_the_lazily_imported_charts_and_widgets() -> None:
    listing = dir(dialkit)
    assert {"display", "outcomes", "emulator", "load_contacts", "send", "__version__"} <= set(listing)
    assert not [n for n in listing if n.startswith("_") and n != "__version__"]
    assert (
        dialkit.display.charts.__name__ == "dialkit.display.charts"
        and dialkit.display.widgets.__name__ == "dialkit.display.widgets"
    )


def test_import_dialkit_does_not_import_matplotlib_or_ipywidgets() -> None:
    code = (
        "import sys, dialkit; dir(dialkit); dialkit.load_contacts; "
        "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'dialkit.display.charts', 'dialkit.display.widgets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_ledger_writer_methods_are_private() -> None:
    """Only send() writes a ledger; load_results / report are the read side."""
    public = {n for n in vars(dialkit.Ledger) if not n.startswith("_")}
    writers = {
        "bind_plan",
        "begin_call",
        "record_response",
        "record_call_error",
        "set_meta",
        "mark_pending_reason",
        "mark_unsent_reason",
        "mark_past_window",
        "transaction",
        "begin_send",
    }
    assert not public & writers
    assert {"open", "read", "close", "meta", "counts"} <= public
