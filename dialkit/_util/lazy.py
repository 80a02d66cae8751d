"""A package ``__getattr__`` that imports a submodule the first time it is named.

``dialkit.outcomes``, ``dialkit.display`` and ``dialkit.aws`` keep their
``__init__`` empty of imports (so ``import dialkit`` stays quick and the layers
stay apart) yet let ``dialkit.display.charts`` work after ``import dialkit.display``,
as ``dialkit`` itself does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def submodule_getattr(package: str) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``package.NAME`` imports ``package.NAME`` on first use.

    Private names and names that are not submodules raise :class:`AttributeError`
    as a plain attribute would; an import error inside the submodule itself is
    raised as it is (a broken submodule must not read as a missing one).
    """

    def __getattr__(name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    __getattr__.__doc__ = f"Import a submodule on first attribute access (``{package}.NAME``), like ``dialkit`` itself."
    return __getattr__
