"""Old module paths, kept importing for one more release.

dialkit's modules moved into sub-packages that follow the pipeline (``contacts``,
``rules``, ``planning``, ``ledger``, ``sender``, ``outcomes``, ``display``,
``aws``, ``cli``).  Code written against the old flat paths keeps working:
``import dialkit.contact_records`` (or ``from dialkit.charts import ...``) gives
the module at its new path, the very same module object, and warns once with a
:class:`DeprecationWarning` naming the new path.

All the shims are this one table and one import hook (a :class:`importlib.abc.MetaPathFinder`),
so removing them is deleting this file's table in release :data:`REMOVED_IN`
(``tests/test_compat.py`` fails once the version reaches it).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

__all__ = ["MOVED_MODULES", "REMOVED_IN", "install"]

#: The release that removes the old paths.
REMOVED_IN = "0.3.0"

#: Old public module path -> where the module lives now.
MOVED_MODULES: dict[str, str] = {
    "dialkit.adapters": "dialkit.aws.adapters",
    "dialkit.auditing": "dialkit.outcomes.audit",
    "dialkit.campaign_settings": "dialkit.sender.campaign_settings",
    "dialkit.charts": "dialkit.display.charts",
    "dialkit.contact_records": "dialkit.outcomes.records",
    "dialkit.dispositions": "dialkit.outcomes.dispositions",
    "dialkit.experiments": "dialkit.outcomes.experiments",
    "dialkit.metrics": "dialkit.outcomes.metrics",
    "dialkit.outcome_charts": "dialkit.display.outcome_charts",
    "dialkit.palette": "dialkit.display.palette",
    "dialkit.rehearsal": "dialkit.sender.rehearsal",
    "dialkit.results": "dialkit.ledger.results",
    "dialkit.resume": "dialkit.sender.resume",
    "dialkit.rules_charts": "dialkit.display.rules_charts",
    "dialkit.widgets": "dialkit.display.widgets",
}


class _AliasLoader(importlib.abc.Loader):
    """Loads an old path as the module at its new path (the same object), warning once."""

    def __init__(self, new_name: str) -> None:
        self.new_name = new_name
        self._real_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new_name}; import it from there (the old path goes in dialkit {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=_caller_depth(),
        )
        module = importlib.import_module(self.new_name)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec on the real module; give it its own back.
        if self._real_spec is not None:
            module.__spec__ = self._real_spec


def _caller_depth() -> int:
    """The stack level of the first frame outside importlib and this file (so the warning names the importer)."""
    frame = sys._getframe(1)
    depth = 1
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen importlib") or frame.f_code.co_filename == __file__
    ):
        frame = frame.f_back  # type: ignore[assignment]
        depth += 1
    return depth


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old paths of :data:`MOVED_MODULES` (and nothing else)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = MOVED_MODULES.get(fullname)
        if new_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new_name))


_FINDER = _MovedModuleFinder()


def install() -> None:
    """Put the finder on :data:`sys.meta_path` (once; ``import dialkit`` does it)."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_FINDER)
