"""``python -m dialkit.cli``: the same as the ``dialkit`` command."""

from dialkit.cli import main

raise SystemExit(main())
