"""After the dial: contact records, dispositions, metrics, experiments and the audit of what was sent.

``records`` reads and joins contact records, ``dispositions`` says what happened
to the person and what a redial may do, ``metrics`` turns both into rates with
intervals, ``experiments`` compares arms, ``audit`` shows per request when and
under which rules it went out.
"""

__all__: list[str] = []


def __getattr__(name: str) -> object:
    """Import a submodule on first attribute access (``dialkit.outcomes.NAME``), like ``dialkit`` itself."""
    import importlib

    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
