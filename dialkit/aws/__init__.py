"""What dialkit knows of AWS itself: the botocore service models it reads its limits from, and the API adapters.

``dialkit.aws.model`` reads constraints (sizes, patterns, enums) from the service
models botocore ships, so dialkit and its emulator check what the service
checks; ``dialkit.aws.adapters`` speaks v1 ``PutDialRequestBatch`` and v2
``PutOutboundRequestBatch`` behind one interface.  Nothing here reads a
contact list or a ledger.
"""

from dialkit._util.lazy import submodule_getattr

__all__: list[str] = []


__getattr__ = submodule_getattr(__name__)
