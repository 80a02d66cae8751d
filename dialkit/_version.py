"""dialkit's version number.

The one number the package metadata, ``dialkit --version`` and the ledger's ``created_by`` read
(pyproject.toml's ``[tool.setuptools.dynamic]``).

A module of its own at the bottom layer, so the ledger and the sender can name the version without
importing the ``dialkit`` facade (which sits above every layer).
"""

__version__ = "0.1.0"
