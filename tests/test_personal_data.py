"""Phone numbers are personal data: none in logs, messages, reprs or committed notebooks."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import phonenumbers
import pytest

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.exceptions import DialkitError
from dialkit.masking import install_log_masking
from dialkit.sender import Backoff, SendSettings, connect, send

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"

pytestmark = pytest.mark.timeout(120)


def full_numbers_in(text: str, numbers: list[str]) -> list[str]:
    """Which of ``numbers`` (E.164) appear in ``text`` in full, in E.164 or national digits."""
    digits_only = re.sub(r"[^\d]", "", text)
    found = []
    for n in numbers:
        national = str(phonenumbers.parse(n, None).national_number)
        if (
            n in text
            or n[1:] in text
            or national in text
            or national in digits_only
            and national in text.replace(" ", "")
        ):
            found.append(n)
    return found


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.slow
def test_no_full_number_in_any_log_line_of_a_full_send(tmp_path: Path, capsys) -> None:
    contacts = dialkit.load_contacts(SMALL)
    numbers = contacts.accepted["phone_e164"].tolist()
    root = logging.getLogger()
    handler = Collect()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # everything: dialkit, botocore (request bodies!), urllib3, the emulator
    try:
        with serve(seed=11, throttle_rate=0.2, reset_rate=0.1, server_error_rate=0.1) as emu:
            emu.after_calls(4, lambda e: e.set_campaign_state(e.campaign_id, "Paused"))
            conn = connect(emu.endpoint_url)
            plan = dialkit.plan_batches(contacts, emu.campaign_id, attributes=["customer_id"])
            summary = send(
                plan, conn, tmp_path / "run.sqlite", listeners=[], settings=SendSettings(backoff=Backoff(0, 1, 0, 0))
            )
            assert summary.stopped_reason  # paused mid-run: the error path was logged too
            emu.set_campaign_state(emu.campaign_id, "Running")
            code = main(
                [
                    "-v",
                    "send",
                    str(SMALL),
                    "--endpoint",
                    emu.endpoint_url,
                    "--campaign-id",
                    emu.campaign_id,
                    "--ledger",
                    str(tmp_path / "run.sqlite"),
                    "--attributes",
                    "customer_id",
                ]
            )
            assert code == 0
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out, err = capsys.readouterr()
    logged = "\n".join(handler.lines)
    assert any("botocore" in line or "Making request" in line for line in handler.lines), "botocore debug was captured"
    assert len(handler.lines) > 50
    leaks = full_numbers_in(logged + out + err, numbers)
    assert not leaks, f"{len(leaks)} numbers appear in full in log output, e.g. {dialkit.mask_phone(leaks[0])}"


def test_install_log_masking_covers_botocore_request_bodies() -> None:
    install_log_masking()
    logger = logging.getLogger("botocore.endpoint")
    handler = Collect()
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("Making request with params: %s", {"body": b'{"phoneNumber": "+12125550142"}'})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert "2125550142" not in handler.lines[0] and "+1212*****42" in handler.lines[0]


def test_reprs_and_error_messages_mask_numbers(tmp_path: Path) -> None:
    contacts = dialkit.load_contacts(SMALL)
    number = contacts.accepted["phone_e164"].iloc[0]
    national = str(phonenumbers.parse(number, None).national_number)
    with serve(seed=2) as emu:
        emu.set_campaign_state(emu.campaign_id, "Paused")
        with connect(emu.endpoint_url) as conn:
            plan = dialkit.plan_batches(contacts, emu.campaign_id)
            texts = [repr(contacts), repr(plan), repr(plan.batches[0]), repr(plan.requests[:3]), repr(conn)]
            with pytest.raises(DialkitError) as info:
                send(plan, conn, tmp_path / "run.sqlite", listeners=[])
            texts.append(str(info.value))
    results = dialkit.load_results(tmp_path / "run.sqlite")
    texts.append(results.to_string())
    for text in texts:
        assert number not in text and national not in text


FICTIONAL = [
    re.compile(r"^\+1\d{3}55501\d{2}$"),  # US/Canada NXX-555-0100..0199
    re.compile(r"^\+442079460\d{3}$"),  # UK 020 7946 0000..0999
    re.compile(r"^\+61491570\d{3}$"),  # AU 0491 570 xxx
    re.compile(r"^\+447700900\d{3}$"),  # UK 07700 900xxx (fictional, invalid to libphonenumber)
]


#: Table text that libphonenumber's matcher can read as a number: a decimal (``0.163265``, ``-0.060``) or a
#: date (``2026-11-23 10``). A phone number written with dots has no group that starts ``0.`` after a non-digit.
_NOT_A_PHONE = re.compile(r"(?<![\d.])-?0\.\d|^\s*\d+\.\d+\s*$|\b\d{4}-\d{2}-\d{2}\b")


def non_fictional_numbers(text: str) -> list[str]:
    """Dialable (valid) numbers in ``text`` outside the fictional ranges.

    International and US formats are read with region US; national formats with a
    trunk 0 (UK, Australia) are read with those regions too.
    """
    found = []
    for region in ("US", "GB", "AU"):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if region != "US" and not match.raw_string.lstrip().startswith("0"):
                continue
            if _NOT_A_PHONE.search(match.raw_string):  # decimals and dates in a table are not phone numbers
                continue
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if not any(p.match(e164) for p in FICTIONAL):
                found.append(e164)
    return found


def notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text())
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for mime, data in out.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append("".join(data) if isinstance(data, list) else str(data))
    return "\n".join(parts)


def test_checker_finds_a_real_looking_number() -> None:
    # NXX-555-1212 is directory assistance, not a person's number, but outside the fictional range
    assert non_fictional_numbers("call (212) 555-1212 now") == ["+12125551212"]
    assert non_fictional_numbers("call 020 7946 1234") == ["+442079461234"]
    assert non_fictional_numbers("call (212) 555-0142 or +44 20 7946 0123") == []
    assert non_fictional_numbers("rate 0.163265, share 0.35") == []  # decimals in a table are not numbers
    assert non_fictional_numbers("2026-11-23 10   03  -0.060    0.272") == []  # a date, decimals
    assert non_fictional_numbers("call 212.555.1212 now") == ["+12125551212"]  # dotted numbers still count


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_carry_no_real_number(path: Path) -> None:
    leaks = non_fictional_numbers(notebook_text(path))
    assert not leaks, f"{path.name} shows {len(leaks)} numbers outside the fictional ranges"


@pytest.mark.parametrize("path", sorted((ROOT / "data" / "samples").glob("*.csv")), ids=lambda p: p.name)
@pytest.mark.slow
def test_sample_data_is_fictional(path: Path) -> None:
    assert non_fictional_numbers(path.read_text(encoding="utf-8", errors="replace")) == []


def test_credentials_come_only_from_the_chain_and_are_never_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASENTINELKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sentinel-secret-never-written")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    real = connect(None)  # real AWS: boto3's chain (here, the environment); nothing is sent
    assert real.client._request_signer._credentials.access_key == "AKIASENTINELKEY00000"
    assert not real.is_local
    with serve(seed=1) as emu:
        with connect(emu.endpoint_url) as local:  # a loopback endpoint never gets your real keys
            assert local.client._request_signer._credentials.access_key == "local"
            plan = dialkit.plan_batches(dialkit.load_contacts(SMALL), emu.campaign_id)
            send(plan, local, tmp_path / "run.sqlite", listeners=[])
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"AKIASENTINELKEY00000" not in data and b"sentinel-secret" not in data, path


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_carry_no_credentials(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key\s*=\s*['\"][^'\"]{8,}", text)


def test_attribute_values_are_masked_on_every_display_path(tmp_path: Path, capsys) -> None:
    """A second number in an attribute (alt_number, a note) must not show in full anywhere numbers are masked."""
    from dialkit.display.widgets import BatchPreview, ContactReview

    alt, noted = "+13125550188", "+14155550177"
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "phone,alt_number,note\n"
        f"+12125550142,{alt},call {noted} first\n"
        f"+12125550199,(312) 555-0188,none\n"
        f"bad,{alt},call {noted} first\n"
    )
    second = [alt, noted]
    # plan --out
    assert (
        main(
            [
                "plan",
                str(contacts),
                "--campaign-id",
                "camp-1",
                "--attributes",
                "alt_number,note",
                "--out",
                str(tmp_path / "plan.csv"),
            ]
        )
        == 0
    )
    assert full_numbers_in((tmp_path / "plan.csv").read_text(), second) == []
    loaded = dialkit.load_contacts(contacts)
    plan = dialkit.plan_batches(loaded, "camp-1", attributes=["alt_number", "note"])
    assert full_numbers_in(plan.to_frame(masked=True).to_string(), second) == []
    assert alt in plan.to_frame().to_string()  # unmasked on request: the plan itself keeps what it sends
    # widgets
    preview = BatchPreview(plan)
    assert full_numbers_in(preview.current_frame.to_string() + preview.table_html, second) == []
    review = ContactReview(loaded)
    assert full_numbers_in(review.filtered.to_string(), second) == []
    # send, then load_results and report --csv
    ledger = tmp_path / "run.sqlite"
    with connect("local") as conn:
        send(
            dialkit.plan_batches(loaded, conn.campaign_id, attributes=["alt_number", "note"]),
            conn,
            ledger,
            listeners=[],
        )
    assert full_numbers_in(dialkit.load_results(ledger).to_string(), second) == []
    assert main(["report", str(ledger), "--csv", str(tmp_path / "report.csv")]) == 0
    assert full_numbers_in((tmp_path / "report.csv").read_text(), second) == []
    capsys.readouterr()


def _mode(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


def test_files_with_personal_data_are_created_private(tmp_path: Path, capsys) -> None:
    import os

    from dialkit.ledger import Ledger

    old = os.umask(0o022)  # the usual umask: new files would be 0644
    try:
        ledger = tmp_path / "run.sqlite"
        with Ledger.open(ledger) as led:
            assert _mode(ledger.with_name("run.sqlite.lock")) == 0o600  # the lock, while held
            led._bind_plan(dialkit.plan_batches(dialkit.load_contacts(SMALL), "camp-1"))
            for side in ("run.sqlite", "run.sqlite-wal", "run.sqlite-shm"):
                assert _mode(tmp_path / side) == 0o600, side
        with serve(seed=1) as emu:
            assert (
                main(
                    [
                        "send",
                        str(SMALL),
                        "--endpoint",
                        emu.endpoint_url,
                        "--campaign-id",
                        emu.campaign_id,
                        "--ledger",
                        str(tmp_path / "cli.sqlite"),
                        "--no-progress",
                    ]
                )
                == 0
            )
        assert main(["check", str(SMALL), "--rejects", str(tmp_path / "rejects.csv")]) == 0
        assert main(["plan", str(SMALL), "--campaign-id", "camp-1", "--out", str(tmp_path / "plan.csv")]) == 0
        assert main(["report", str(tmp_path / "cli.sqlite"), "--csv", str(tmp_path / "report.csv")]) == 0
        for name in ("cli.sqlite", "rejects.csv", "plan.csv", "report.csv"):
            assert _mode(tmp_path / name) == 0o600, name
        old_ledger = tmp_path / "old.sqlite"  # a ledger written 0644 by an older dialkit is tightened on resume
        with Ledger.open(old_ledger):
            pass
        old_ledger.chmod(0o644)
        with Ledger.open(old_ledger):
            assert _mode(old_ledger) == 0o600
    finally:
        os.umask(old)
    capsys.readouterr()


def test_rejects_csv_neutralises_spreadsheet_formulas_and_still_loads(tmp_path: Path, capsys) -> None:
    import csv

    contacts = tmp_path / "c.csv"
    payloads = ['=HYPERLINK("http://example.invalid","x")', "@SUM(1+1)", "-2+3", "+1 212 555 01", "\tcmd"]
    with contacts.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phone", "note"])
        for p in payloads:
            writer.writerow([p, "=1+1"])
        writer.writerow(["+12125550142", "ok"])
    assert main(["check", str(contacts), "--rejects", str(tmp_path / "rejects.csv")]) == 0
    with (tmp_path / "rejects.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["phone"] for r in rows] == ["'" + p for p in payloads]
    assert all(r["note"] == "'=1+1" for r in rows)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
    # the analyst's fix-and-reload loop still works: the ' prefix is Excel's "text" mark and dialkit strips it
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("phone\n'+12125550199\n")
    assert dialkit.load_contacts(fixed).accepted["phone_e164"].tolist() == ["+12125550199"]
    capsys.readouterr()
