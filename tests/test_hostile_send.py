"""Hostile cases against sending (issue 11): resume under changed rules, endpoint and proxy escapes,
exit statuses, one lock through every alias of a ledger.

Every emulator binds to loopback; tests that aim at other hosts patch the socket
layer so that no connection can leave this machine (and assert none was tried).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.exceptions import PlanMismatch
from dialkit.ledger import Ledger
from dialkit.sender.resume import REASON_NOT_IN_PLAN, REASON_SUPPRESSED

pytestmark = pytest.mark.timeout(120)

ANN, BOB, CY, DEE = "+12125550142", "+13125550123", "+14155550177", "+16175550188"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def contact_file(path: Path, *numbers: str) -> Path:
    path.write_text("customer_id,phone\n" + "".join(f"C-{i},{n}\n" for i, n in enumerate(numbers, 1)))
    return path


def stopped_run(ledger: Path, campaign_id: str, *numbers: str, in_flight: int = 0) -> dialkit.BatchPlan:
    """A run stopped before anything was answered: every request pending (the first ``in_flight`` sent)."""
    plan = dialkit.plan_batches(
        pd.DataFrame(
            {
                "phone_e164": list(numbers),
                "row": range(1, len(numbers) + 1),
                "customer_id": [f"C-{i}" for i in range(1, len(numbers) + 1)],
            }
        ),
        campaign_id,
    )
    with Ledger.open(ledger) as led:
        led._bind_plan(plan)
        if in_flight:
            led._begin_call(led.to_send(retry_codes=())[:in_flight], 1, datetime.now(timezone.utc))
    return plan


# ---------------------------------------------------------------------------
# 1. resume re-checks the rules
# ---------------------------------------------------------------------------
def test_resume_applies_the_current_file_and_do_not_call_list(capsys, tmp_path: Path) -> None:
    """Ann, Bob, Cy pending (Bob in flight); resumed with a file of Ann only and Bob on the list: only Ann is dialed."""
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu:
        stopped_run(ledger, emu.campaign_id, BOB, ANN, CY, in_flight=1)
        contacts = contact_file(tmp_path / "today.csv", ANN)
        (tmp_path / "dnc.csv").write_text(f"phone\n{BOB}\n")
        code, out, err = run(
            capsys,
            "send",
            str(contacts),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--do-not-call",
            str(tmp_path / "dnc.csv"),
            "--no-progress",
        )
        assert code == 0, (out, err)
        assert [d["phoneNumber"] for d in emu.dial_requests()] == [ANN]
    results = dialkit.load_results(ledger)
    assert len(results) == 3  # still accounted for
    outcome = {
        (str(r.status), r.pending_reason if isinstance(r.pending_reason, str) else None) for r in results.itertuples()
    }
    assert outcome == {("succeeded", None), ("in_flight", REASON_SUPPRESSED), ("pending", REASON_NOT_IN_PLAN)}
    assert "2 not sent" in out and "do-not-call" in out


def test_resume_withholds_numbers_on_the_list_even_when_the_plan_holds_them(tmp_path: Path) -> None:
    """A library user who planned without suppression but passes today's list: nobody on it is sent."""
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = stopped_run(ledger, emu.campaign_id, ANN, BOB, CY)
        summary = dialkit.send(plan, conn, ledger, listeners=[], suppress=[BOB, "(415) 555-0177"])
        assert [d["phoneNumber"] for d in emu.dial_requests()] == [ANN]
    assert summary.succeeded == 1 and summary.pending == 2 and summary.withheld == 2 and summary.left_to_send == 0
    results = dialkit.load_results(ledger)
    assert (results["pending_reason"] == REASON_SUPPRESSED).sum() == 2


def test_a_plan_that_extends_a_run_is_refused_without_the_flag(capsys, tmp_path: Path) -> None:
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu:
        stopped_run(ledger, emu.campaign_id, ANN, BOB)
        longer = contact_file(tmp_path / "other.csv", ANN, BOB, CY, DEE)
        args = [
            "send",
            str(longer),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--no-progress",
        ]
        code, out, err = run(capsys, *args)
        assert code == 2 and "adds 2 request(s)" in err and "--extend-run" in err and "Traceback" not in err
        assert emu.dial_requests() == []  # refused before anything went out
        code, out, err = run(capsys, *args, "--dry-run")
        assert code == 2 and "--extend-run" in err
        code, out, err = run(capsys, *args, "--extend-run")
        assert code == 0, err
        assert Counter(d["phoneNumber"] for d in emu.dial_requests()) == Counter([ANN, BOB, CY, DEE])
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = stopped_run(tmp_path / "lib.sqlite", emu.campaign_id, ANN)
        bigger = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN, CY]}), emu.campaign_id)
        with pytest.raises(PlanMismatch, match="extend=True"):
            dialkit.send(bigger, conn, tmp_path / "lib.sqlite", listeners=[])
        assert dialkit.send(bigger, conn, tmp_path / "lib.sqlite", listeners=[], extend=True).succeeded == 2
        assert len(plan) == 1


def test_a_fresh_ledger_and_a_plain_resume_need_no_flag(tmp_path: Path) -> None:
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN, BOB, CY]}), emu.campaign_id)
        assert dialkit.send(plan, conn, tmp_path / "l.sqlite", listeners=[]).succeeded == 3
        again = dialkit.send(plan, conn, tmp_path / "l.sqlite", listeners=[])
        assert again.calls == 0 and again.withheld == 0
        shorter = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN]}), emu.campaign_id)
        assert dialkit.send(shorter, conn, tmp_path / "l.sqlite", listeners=[]).withheld == 0  # all done already


# ---------------------------------------------------------------------------
# 3. endpoint escapes, 4. proxies and credential look-ups before confirmation
# ---------------------------------------------------------------------------
@pytest.fixture
def no_remote_sockets(monkeypatch: pytest.MonkeyPatch) -> list:
    """Record and refuse every connection to a non-loopback address (so no test traffic can leave)."""
    import ipaddress
    import socket

    attempts: list = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create = socket.create_connection

    def loopback(address) -> bool:
        if not isinstance(address, tuple):  # AF_UNIX
            return True
        host = str(address[0])
        try:
            return host == "localhost" or ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def guard(address):
        if not loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"test guard: no connection to {address!r}")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        guard(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


SMALL = Path(__file__).resolve().parents[1] / "data" / "samples" / "contacts_small.csv"
HOSTILE_ENDPOINTS = {
    "http://192.0.2.2:18765\\@127.0.0.1:1": "backslash",  # urllib.parse: 127.0.0.1, urllib3: 192.0.2.2
    "http://192.0.2.2:18765@127.0.0.1:1": "user name",
    "http://user:pw@127.0.0.1:1": "user name",
    "http://127.0.0.1%2f@192.0.2.2:80": "user name",
    "http://127.0.0.1:1 @192.0.2.2": "space",
    "http://127.0.0.1:1/?x=@192.0.2.2": "query",
    "http://127.0.0.1:1#@192.0.2.2": "query or fragment",
    "LOCAL": "lower case",
    "127.0.0.1:8000": "scheme and host",
    "ftp://127.0.0.1:21": "scheme and host",
    "http://": "scheme and host",
}


@pytest.mark.parametrize("endpoint", list(HOSTILE_ENDPOINTS))
def test_hostile_endpoints_are_refused_before_any_connection(
    endpoint, capsys, tmp_path: Path, no_remote_sockets: list
) -> None:
    for extra in ([], ["--yes"]):
        code, out, err = run(
            capsys,
            "send",
            str(SMALL),
            "--endpoint",
            endpoint,
            "--campaign-id",
            "c-1",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--no-progress",
            *extra,
        )
        assert code == 2, (endpoint, out, err)
        assert HOSTILE_ENDPOINTS[endpoint] in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert no_remote_sockets == []
    assert not dialkit.sender._is_loopback_url(endpoint)
    assert not (tmp_path / "l.sqlite").exists()


def test_locality_is_decided_on_the_host_urllib3_connects_to() -> None:
    from dialkit.sender import _check_endpoint_url

    assert _check_endpoint_url("http://127.0.0.1:8765") == ("127.0.0.1", True)
    assert _check_endpoint_url("http://[::1]:8765/prefix") == ("::1", True)
    assert _check_endpoint_url("HTTP://LocalHost:8765") == ("localhost", True)
    assert _check_endpoint_url("https://connect-campaigns.us-east-1.amazonaws.com") == (
        "connect-campaigns.us-east-1.amazonaws.com",
        False,
    )
    assert _check_endpoint_url("http://127.1:80")[1] is False  # not plainly loopback: treated as real (needs --yes)


@pytest.mark.slow
def test_a_real_endpoint_without_yes_makes_no_network_call_and_no_credential_lookup(
    capsys, tmp_path: Path, no_remote_sockets: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.session

    lookups: list = []
    real = botocore.session.Session.get_credentials

    def spy(self, *a, **kw):
        lookups.append(1)
        return real(self, *a, **kw)

    monkeypatch.setattr(botocore.session.Session, "get_credentials", spy)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    for endpoint in ("aws", "http://192.0.2.2:8765"):
        code, out, err = run(
            capsys,
            "send",
            str(SMALL),
            "--endpoint",
            endpoint,
            "--campaign-id",
            "c-1",
            "--region",
            "us-east-1",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--no-progress",
        )
        assert code == 2 and "--yes" in err
    conn = dialkit.connect(None, region="us-east-1")
    plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN]}), "c-1")
    with pytest.raises(dialkit.ConfirmationRequired):
        dialkit.send(plan, conn, tmp_path / "lib.sqlite", listeners=[])
    assert conn.client.created is False
    assert lookups == [] and no_remote_sockets == []
    assert conn.client.meta.region_name == "us-east-1"  # made on first use, after confirmation
    assert lookups and no_remote_sockets == []


class _RecordingProxy:
    """A loopback 'proxy' that records every connection and answers 502."""

    def __init__(self) -> None:
        import socketserver
        import threading

        self.contacted: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.contacted.append(self.request.recv(200).decode("latin-1").split("\r\n")[0])
                self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
def test_proxy_variables_never_route_emulator_traffic(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_remote_sockets: list
) -> None:
    proxy = _RecordingProxy()
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        code, out, err = run(capsys, "send", str(SMALL), "--ledger", str(tmp_path / "a.sqlite"), "--no-progress")
        assert code == 0, err
        with serve(seed=2) as emu:
            code, out, err = run(
                capsys,
                "send",
                str(SMALL),
                "--endpoint",
                emu.endpoint_url,
                "--campaign-id",
                emu.campaign_id,
                "--ledger",
                str(tmp_path / "b.sqlite"),
                "--no-progress",
            )
            assert code == 0, err
            assert emu.dial_requests()
    finally:
        proxy.close()
    assert proxy.contacted == [] and no_remote_sockets == []


# ---------------------------------------------------------------------------
# 7. one lock for every alias of a ledger
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_the_one_sender_lock_follows_symlinks_across_processes(tmp_path: Path) -> None:
    import subprocess
    import sys
    import textwrap

    from dialkit.exceptions import LedgerBusy

    real = tmp_path / "real.sqlite"
    (tmp_path / "aliases").mkdir()
    alias = tmp_path / "aliases" / "alias.sqlite"
    alias.symlink_to(real)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys
        from dialkit.ledger import Ledger
        led = Ledger.open({str(alias)!r})
        print("held", flush=True)
        sys.stdin.readline()
        led.close()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for path in (real, alias):
            with pytest.raises(LedgerBusy):
                Ledger.open(path)
    finally:
        holder.communicate("done\n", timeout=60)
    with Ledger.open(real):  # released: either alias may take it now
        with pytest.raises(LedgerBusy):
            Ledger.open(alias)
    loop = tmp_path / "loop.sqlite"
    loop.symlink_to(loop)
    with pytest.raises(dialkit.LedgerError, match="symlink loop"):
        Ledger.open(loop)


# ---------------------------------------------------------------------------
# 8. exit statuses automation can trust
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_exit_status_3_when_requests_are_left_to_send_again(capsys, tmp_path: Path) -> None:
    """--max-attempts 2 against a throttling dialer: failed (RequestThrottled) and marked to retry: not 0."""
    ledger = tmp_path / "run.sqlite"
    with serve(seed=4, throttle_rate=1.0) as emu:
        args = [
            "send",
            str(SMALL),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--no-progress",
            "--max-attempts",
            "1",
            "--json",
        ]
        code, out, err = run(capsys, *args)
        summary = json.loads(out)
        assert code == 3, (summary, err)
        assert summary["left_to_send"] == summary["total"] and summary["failed"].get("RequestThrottled")
        emu.set_faults(throttle_rate=0.0)
        code, out, err = run(capsys, *args)  # send again with the same ledger: done
        assert code == 0 and json.loads(out)["left_to_send"] == 0


def test_exit_status_4_when_the_campaign_is_not_running_or_the_run_stops(capsys, tmp_path: Path) -> None:
    with serve(seed=4) as emu:
        base = ["--endpoint", emu.endpoint_url, "--campaign-id", emu.campaign_id, "--no-progress"]
        emu.set_campaign_state(emu.campaign_id, "Paused")
        code, out, err = run(capsys, "send", str(SMALL), *base, "--ledger", str(tmp_path / "a.sqlite"))
        assert code == 4 and "Paused" in err and "Traceback" not in err
        emu.set_campaign_state(emu.campaign_id, "Running")
        emu.after_calls(2, lambda e: e.set_campaign_state(e.campaign_id, "Paused"))
        code, out, err = run(capsys, "send", str(SMALL), *base, "--ledger", str(tmp_path / "b.sqlite"))
        assert code == 4 and "stopped:" in out


@pytest.mark.slow
def test_exit_statuses_0_1_2_and_130_and_their_help(capsys, tmp_path: Path, monkeypatch) -> None:
    import dialkit.cli as cli

    assert run(capsys, "send", str(SMALL), "--ledger", str(tmp_path / "ok.sqlite"), "--no-progress")[0] == 0
    assert run(capsys, "send", str(SMALL), "--ledger", str(tmp_path / "ok.sqlite"), "--dry-run")[0] == 0
    bad = tmp_path / "c.csv"
    bad.write_text("phone,first name\n+12125550142,Ada\n")
    assert run(capsys, "plan", str(bad), "--campaign-id", "camp-1", "--attributes", "first name")[0] == 1
    assert run(capsys, "check", str(tmp_path / "missing.csv"))[0] == 2
    with pytest.raises(SystemExit) as usage:
        main(["send", str(SMALL)])  # --ledger missing: argparse's usage error
    assert usage.value.code == 2

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_check", interrupted)
    assert run(capsys, "check", str(SMALL))[0] == 130
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for status in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert f"\n  {status}" in text, status
    usage = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()
    assert "| 3 |" in usage and "| 4 |" in usage and "| 130 |" in usage
