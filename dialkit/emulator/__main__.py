"""``python -m dialkit.emulator``: same as ``dialkit emulator``."""

from dialkit.emulator import main

raise SystemExit(main(prog="python -m dialkit.emulator"))
