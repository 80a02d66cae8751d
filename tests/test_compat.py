"""Old module paths keep importing for one release, as the very same modules, with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest
from packaging.version import Version

import dialkit
from dialkit._compat import MOVED_MODULES, REMOVED_IN


@pytest.mark.parametrize(("old", "new"), sorted(MOVED_MODULES.items()))
def test_an_old_module_path_is_the_new_module_and_warns_once(old: str, new: str) -> None:
    code = (
        "import warnings, importlib\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        f"    old = importlib.import_module({old!r})\n"
        f"    again = importlib.import_module({old!r})\n"
        f"new = importlib.import_module({new!r})\n"
        "assert old is new is again, (old, new)\n"
        "assert new.__spec__.name == new.__name__, new.__spec__.name\n"
        "moved = [w for w in caught if issubclass(w.category, DeprecationWarning) and 'moved to' in str(w.message)]\n"
        f"assert len(moved) == 1 and {new!r} in str(moved[0].message), [str(w.message) for w in caught]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_old_paths_are_attributes_of_the_package_too() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert dialkit.contact_records is importlib.import_module("dialkit.outcomes.records")  # type: ignore[attr-defined]


def test_the_shims_are_gone_by_the_release_that_removes_them() -> None:
    assert Version(dialkit.__version__) < Version(REMOVED_IN), (
        f"dialkit {dialkit.__version__} is the release that removes the old module paths: delete "
        "dialkit/_compat.py's table and hook, this test, and the README's list of moved modules"
    )


#: Every import path the documentation names (README, docs/, notebooks): each must import without warning.
DOCUMENTED_PATHS = [
    "dialkit",
    "dialkit.aws.adapters",
    "dialkit.aws.model",
    "dialkit.cli",
    "dialkit.contacts",
    "dialkit.display.charts",
    "dialkit.display.outcome_charts",
    "dialkit.display.palette",
    "dialkit.display.rules_charts",
    "dialkit.display.widgets",
    "dialkit.emulator",
    "dialkit.exceptions",
    "dialkit.ledger",
    "dialkit.ledger.results",
    "dialkit.masking",
    "dialkit.notebooks",
    "dialkit.outcomes.audit",
    "dialkit.outcomes.dispositions",
    "dialkit.outcomes.experiments",
    "dialkit.outcomes.metrics",
    "dialkit.outcomes.records",
    "dialkit.planning",
    "dialkit.rules",
    "dialkit.sender",
    "dialkit.sender.campaign_settings",
    "dialkit.sender.rehearsal",
    "dialkit.sender.resume",
    "dialkit.tutorials",
]


@pytest.mark.parametrize("path", DOCUMENTED_PATHS)
def test_every_documented_import_path_imports_without_a_warning(path: str) -> None:
    code = f"import warnings\nwarnings.simplefilter('error')\nimport {path}\n"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
