"""The tutorials (notebooks + sample data) are found wherever dialkit is, and copied for the analyst.

The wheel itself is built and installed in tests/test_wheel_install.py (slow); these are the unit tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dialkit.tutorials as tutorials
from dialkit.cli import main
from dialkit.notebooks import NOTEBOOKS_DIR
from dialkit.tutorials import TutorialsError, copy_tutorials, sample_path, tutorial_files, tutorials_root

ROOT = Path(__file__).resolve().parents[1]


def test_in_a_checkout_the_tutorials_are_the_checkout_s_own() -> None:
    assert tutorials_root() == ROOT
    assert NOTEBOOKS_DIR == ROOT / "notebooks"
    assert sample_path("contacts_messy.csv") == ROOT / "data" / "samples" / "contacts_messy.csv"


def test_the_selection_is_the_numbered_notebooks_their_readme_and_the_samples() -> None:
    files = {rel.as_posix() for rel in tutorial_files(ROOT)}
    assert {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")} <= files
    assert {
        "notebooks/README.md",
        "data/samples/contacts_messy.csv",
        "data/samples/contacts_small.xlsx",
        "data/samples/do_not_call.csv",
    } <= files
    assert "data/samples/make_samples.py" not in files and "notebooks/sanitize.cfg" not in files


def test_a_wheel_s_packaged_copy_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = tmp_path / "_tutorials"
    (packaged / "notebooks").mkdir(parents=True)
    (packaged / "data" / "samples").mkdir(parents=True)
    (packaged / "notebooks" / "01_x.ipynb").write_text("{}")
    (packaged / "data" / "samples" / "contacts_messy.csv").write_text("phone\n")
    monkeypatch.setattr(tutorials, "PACKAGED_ROOT", packaged)
    assert tutorials_root() == packaged
    assert sample_path("contacts_messy.csv") == packaged / "data" / "samples" / "contacts_messy.csv"


def test_an_install_without_tutorials_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tutorials, "PACKAGED_ROOT", tmp_path / "none")
    monkeypatch.setattr(tutorials, "_PACKAGE", tmp_path / "site-packages" / "dialkit")
    assert tutorials_root() is None
    with pytest.raises(TutorialsError, match="no tutorial notebooks"):
        copy_tutorials(tmp_path / "dest")
    with pytest.raises(TutorialsError, match="no tutorial notebooks"):
        sample_path("contacts_messy.csv")


def test_unknown_sample_names_the_samples() -> None:
    with pytest.raises(TutorialsError, match="contacts_small.csv"):
        sample_path("nope.csv")


def test_copy_keeps_the_layout_and_refuses_to_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "analyst"
    written = copy_tutorials(dest)
    assert sorted(written) == sorted(dest / rel for rel in tutorial_files(ROOT))
    for rel in tutorial_files(ROOT):
        assert (dest / rel).read_bytes() == (ROOT / rel).read_bytes()
    edited = dest / "notebooks" / "02_preview_batches.ipynb"
    edited.write_text("my edits")
    (dest / "data" / "samples" / "do_not_call.csv").unlink()
    with pytest.raises(TutorialsError, match="nothing was copied.*--force"):
        copy_tutorials(dest)
    assert edited.read_text() == "my edits" and not (dest / "data" / "samples" / "do_not_call.csv").exists()
    copy_tutorials(dest, force=True)
    assert edited.read_bytes() == (ROOT / "notebooks" / "02_preview_batches.ipynb").read_bytes()


def test_copy_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(TutorialsError, match="is a file, not a folder"):
        copy_tutorials(target)


def test_notebooks_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "nb"
    assert main(["notebooks", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {dest / 'notebooks' / '01_load_contacts.ipynb'}" in out
    assert "Start JupyterLab there" in out and f"cd {dest}" in out
    assert main(["notebooks", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dialkit notebooks: error: ") and "--force" in err and err.count("\n") == 1
    assert main(["notebooks", str(dest), "--force"]) == 0
