"""Shared pytest fixtures, and helpers several test files use (``from conftest import accounted, ...``).

pytest puts this folder on ``sys.path`` (rootdir-relative, no ``__init__.py``), so
the plain functions below import like a module: one definition of "every request
is accounted for", "nobody was dialed twice", fictional numbers and a boto3
connection to an emulator, instead of a copy per file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.config import Config

import dialkit
from dialkit.emulator import Emulator, serve
from dialkit.sender import Connection, SendSettings, SendSummary, connect, send


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-ahead-days",
        type=float,
        default=0.0,
        help="run the whole session with the wall clock this many days ahead (time-machine travel, ticking; "
        "monotonic clocks untouched): no test may depend on today's date (make test-future uses 400)",
    )


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--clock-ahead-days")
    if days:
        import time_machine  # a dev dependency; only this option needs it

        traveller = time_machine.travel(datetime.now(timezone.utc) + timedelta(days=days), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller
        # the processes the tests start (notebook kernels, the dialkit command) move ahead too:
        # tests/clock_ahead/sitecustomize.py, first on their PYTHONPATH, reads this variable
        here = str(Path(__file__).parent / "clock_ahead")
        os.environ["DIALKIT_TEST_CLOCK_AHEAD_SECONDS"] = str(days * 86400)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("--clock-ahead-days")
    return f"wall clock moved {days:g} days ahead: {datetime.now(timezone.utc):%Y-%m-%d}" if days else None


_TRAVELLER = pytest.StashKey[Any]()


#: Variables that would make boto3 read a developer's real AWS set-up or call a metadata service.
_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read real credentials and never reach a network beyond loopback.

    boto3's credential chain would otherwise ask the instance metadata service
    (169.254.169.254) when no credentials are set; subprocesses inherit this too.
    """
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running local campaigns endpoint (no faults, seed 0); ``emulator.campaign_id`` is Running."""
    with serve() as emu:
        yield emu


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with a fault profile, e.g. ``emulator_factory(throttle_rate=0.5, seed=3)``.

    Every emulator started through the factory is stopped after the test.
    """
    started: list[Emulator] = []

    def start(**profile: Any) -> Emulator:
        emu = serve(**profile)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


# ---------------------------------------------------------------------------
# Helpers (plain functions)
# ---------------------------------------------------------------------------
class Clock:
    """One UTC clock for the sender (``now=``) and the emulator (``clock=``); moved only by the test (``clock.t``)."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def fictional_phones(n: int, area_codes: tuple[str, ...] = ("212", "312", "415", "617")) -> list[str]:
    """``n`` distinct E.164 numbers in the fictional NXX-555-0100..0199 range, 100 per area code."""
    if n > 100 * len(area_codes):
        raise ValueError(f"only {100 * len(area_codes)} fictional numbers with area codes {area_codes}")
    return [f"+1{area_codes[i // 100]}55501{i % 100:02d}" for i in range(n)]


def customer_contacts(n: int) -> pd.DataFrame:
    """A contact list of ``n`` fictional numbers with ``row`` and a ``customer_id`` attribute (``C-0``...)."""
    return pd.DataFrame(
        {"phone_e164": fictional_phones(n), "row": range(1, n + 1), "customer_id": [f"C-{i}" for i in range(n)]}
    )


def boto_connection(
    emu: Emulator, api: str = "v1", *, attempts: int = 2, read_timeout: float = 5.0, connect_timeout: float = 2.0
) -> Connection:
    """A :class:`Connection` to ``emu`` over a boto3 client whose own retries are set by the test (``attempts``)."""
    service = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}[api]
    cfg = Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        read_timeout=read_timeout,
        connect_timeout=connect_timeout,
    )
    client = boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=cfg,
    )
    return Connection(client, api, emu.endpoint_url, "us-east-1", True, emu.campaign_id)


def send_to(
    emu: Emulator, plan: dialkit.BatchPlan, ledger: Path, settings: SendSettings | None = None, **send_kw: Any
) -> SendSummary:
    """Send ``plan`` to ``emu`` silently through :func:`dialkit.connect` (the connection is closed after)."""
    send_kw.setdefault("listeners", [])
    with connect(emu.endpoint_url, api=plan.api) as conn:
        return send(plan, conn, ledger, settings, **send_kw)


def accounted(ledger: Path, plan: dialkit.BatchPlan) -> pd.DataFrame:
    """Every planned request is in the ledger: succeeded, failed with a code, or pending with a reason."""
    results = dialkit.load_results(ledger)
    assert sorted(results["client_token"]) == sorted(r.client_token for r in plan.requests)
    ok = (
        (results["status"] == "succeeded")
        | ((results["status"] == "failed") & results["failure_code"].notna())
        | (results["status"].isin(["pending", "in_flight"]) & results["pending_reason"].notna())
    )
    assert ok.all(), results[~ok][["status", "failure_code", "pending_reason"]]
    return results


def dialed_once(emu: Emulator, *, someone: bool = False) -> None:
    """The emulator dialed no number twice (and, with ``someone``, dialed at least one)."""
    numbers = Counter(d["phoneNumber"] for d in emu.dial_requests())
    assert numbers or not someone, "nobody was dialed"
    assert not numbers or max(numbers.values()) == 1


#: The small sample contact list shipped with dialkit (fictional numbers).
SMALL = Path(__file__).resolve().parents[1] / "data" / "samples" / "contacts_small.csv"


def send_argv(
    contacts: str | Path,
    ledger: str | Path,
    *extra: str,
    endpoint: str | None = None,
    campaign_id: str | None = None,
    progress: bool = False,
) -> list[str]:
    """The arguments of ``dialkit send CONTACTS --ledger LEDGER [--endpoint URL] [--campaign-id ID]
    --no-progress EXTRA...``: one spelling of a send command line for every test that runs one."""
    argv = ["send", str(contacts), "--ledger", str(ledger)]
    if endpoint is not None:
        argv += ["--endpoint", endpoint]
    if campaign_id is not None:
        argv += ["--campaign-id", campaign_id]
    if not progress:
        argv.append("--no-progress")
    return [*argv, *extra]


def sent_sample(folder: Path, seed: int) -> tuple[Path, Path]:
    """``dialkit send`` of :data:`SMALL` to a seeded emulator: ``(ledger, contact records file)`` in ``folder``."""
    import urllib.request

    from dialkit.cli import main

    ledger = folder / "run.sqlite"
    with serve(seed=seed) as emu:
        argv = send_argv(SMALL, ledger, endpoint=emu.endpoint_url, campaign_id=emu.campaign_id)
        assert main(argv) == 0
        with urllib.request.urlopen(emu.endpoint_url + "/_dialkit/contact-records") as resp:
            (folder / "records.json").write_bytes(resp.read())
    return ledger, folder / "records.json"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``dialkit ARGV`` in this process: (exit status, stdout, stderr); argparse's exit is a status too."""
    from dialkit.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    """``err`` is one line and no traceback (the CLI's promise for every error); returns it."""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()
