"""What dialkit knows of AWS itself: the botocore service models it reads its limits from, and the API adapters.

``dialkit.aws.model`` reads constraints (sizes, patterns, enums) from the service
models botocore ships, so dialkit and its emulator check what the service
checks; ``dialkit.aws.adapters`` speaks v1 ``PutDialRequestBatch`` and v2
``PutOutboundRequestBatch`` behind one interface.  Nothing here reads a
contact list or a ledger.
"""

__all__: list[str] = []


def __getattr__(name: str) -> object:
    """Import a submodule on first attribute access (``dialkit.aws.NAME``), like ``dialkit`` itself."""
    import importlib

    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
