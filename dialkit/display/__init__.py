"""Views: colours, charts and notebook widgets.  They read dialkit's data structures and change nothing.

``palette`` is plain data (no matplotlib), ``charts``, ``outcome_charts`` and
``rules_charts`` draw with matplotlib, ``widgets`` builds ipywidgets panels.
Each is imported on first use, so importing this package loads neither
matplotlib nor ipywidgets.
"""

__all__: list[str] = []


def __getattr__(name: str) -> object:
    """Import a submodule on first attribute access (``dialkit.display.NAME``), like ``dialkit`` itself."""
    import importlib

    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
