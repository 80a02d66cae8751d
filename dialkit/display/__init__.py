"""Views: colours, charts and notebook widgets.  They read dialkit's data structures and change nothing.

``palette`` is plain data (no matplotlib), ``charts``, ``outcome_charts`` and
``rules_charts`` draw with matplotlib, ``widgets`` builds ipywidgets panels.
Each is imported on first use, so importing this package loads neither
matplotlib nor ipywidgets.
"""

from dialkit._util.lazy import submodule_getattr

__all__: list[str] = []


__getattr__ = submodule_getattr(__name__)
