"""Your own list in one cell: the upload widget loads what was uploaded, says what it assumed, never crashes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import dialkit
from dialkit.display.upload import ContactUpload

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _upload(widget: ContactUpload, name: str, data: bytes) -> None:
    stamp = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # what the browser sends; never the wall clock
    item = {"name": name, "type": "text/csv", "size": len(data), "content": memoryview(data), "last_modified": stamp}
    widget.file_upload.value = (item,)


def test_an_uploaded_csv_loads_like_the_same_path_and_says_what_it_assumed(tmp_path: Path) -> None:
    data = (SAMPLES / "contacts_small.csv").read_bytes()
    upload = ContactUpload(suppress=SAMPLES / "do_not_call.csv")
    _upload(upload, "my list.csv", data)
    upload.load_button.click()
    direct = dialkit.load_contacts(SAMPLES / "contacts_small.csv", suppress=SAMPLES / "do_not_call.csv")
    assert upload.contacts is not None
    assert upload.contacts.accepted["phone_e164"].tolist() == direct.accepted["phone_e164"].tolist()
    assert "my list.csv" in upload.message.value and "took column" in upload.message.value
    assert "assumed region US" in upload.message.value
    assert not list(Path(__import__("tempfile").gettempdir()).glob("dialkit-upload-*/upload.csv"))  # cleaned up


def test_the_phone_column_and_region_boxes_are_used() -> None:
    data = b"name,mobile\nA,020 7946 0123\nB,020 7946 0456\n"
    upload = ContactUpload()
    _upload(upload, "uk.csv", data)
    upload.phone_column.value = "mobile"
    upload.default_region.value = "GB"
    contacts = upload.load()
    assert contacts is not None and contacts.accepted["phone_e164"].tolist() == ["+442079460123", "+442079460456"]
    assert "assumed region GB" in upload.message.value


def test_nothing_uploaded_or_a_bad_file_is_a_message_not_a_traceback() -> None:
    upload = ContactUpload()
    assert upload.load() is None and "No file uploaded yet" in upload.message.value
    _upload(upload, "empty.csv", b"")
    assert upload.load() is None and "Not loaded:" in upload.message.value
    _upload(upload, "nophone.csv", b"name,city\nA,Leeds\n")
    assert upload.load() is None and "Not loaded:" in upload.message.value


def test_how_read_names_the_column_region_counts_and_list_and_masks_a_number_in_a_file_name(tmp_path: Path) -> None:
    path = tmp_path / "calls for +12125550142.csv"
    path.write_bytes((SAMPLES / "contacts_small.csv").read_bytes())
    text = dialkit.load_contacts(path).how_read()
    assert "+12125550142" not in text and "calls for" in text
    assert "took column 'phone'" in text and "assumed region US" in text and "56 accepted, 4 rejected" in text
    assert "No do-not-call list applied" in text
    with_list = dialkit.load_contacts(path, suppress=SAMPLES / "do_not_call.csv").how_read()
    assert "Do-not-call list applied" in with_list
