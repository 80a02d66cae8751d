"""Where code lives: modules that must not pull in heavy dependencies, and names kept where they were published."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def _modules_after(code: str) -> list[str]:
    """Top-level module names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_widgets_and_a_send_panel_never_load_matplotlib() -> None:
    """The panel's colours come from dialkit.display.palette (plain data), not from dialkit.display.charts."""
    code = """
import pandas as pd
import dialkit, dialkit.display.widgets
plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": ["+12125550100", "+12125550101"]}),
                            "6b0f5c0e-1d2a-4c8e-9f00-000000000001")
class Conn:
    is_local = True
    endpoint_url = "http://127.0.0.1:1"
panel = dialkit.display.widgets.SendPanel(plan, Conn(), "unused.sqlite")
assert panel._colors["succeeded"] == dialkit.display.palette.OUTCOME_COLORS["succeeded"]
"""
    assert "matplotlib" not in _modules_after(code)


def test_charts_keep_the_names_they_published() -> None:
    import dialkit.display.charts as charts
    import dialkit.display.outcome_charts as outcome_charts
    import dialkit.display.palette as palette
    import dialkit.ledger.results as results
    import dialkit.outcomes.records as contact_records

    for name in ("OUTCOME_COLORS", "FAILURE_CODE_COLORS", "CONTACT_OUTCOME_COLORS", "REJECTION_COLOR"):
        assert getattr(charts, name) is getattr(palette, name)
    assert outcome_charts.DISPOSITION_COLORS is palette.DISPOSITION_COLORS
    assert charts.FAILURE_CODE_GUIDE is results.FAILURE_CODE_GUIDE
    assert set(results.FAILURE_CODE_GUIDE) >= set(results.FAILURE_CODES)
    assert set(contact_records.OUTCOME_ADVICE) | {"expired", "not_dialed", "failed"} == set(contact_records.OUTCOMES)


def test_simulated_contact_records_live_in_the_emulator_with_one_builder() -> None:
    import dialkit.emulator as emulator
    import dialkit.outcomes.records as contact_records
    from dialkit.outcomes.records import simulate_contact_records  # the old path still imports

    assert simulate_contact_records is emulator.simulate_contact_records
    assert contact_records.build_contact_record is emulator.build_contact_record
    requests = [
        {
            "id": f"req-{i}",
            "clientToken": f"t{i}",
            "phoneNumber": f"+121255501{i:02d}",
            "campaignId": "c-1",
            "receivedAt": "2026-11-28T15:00:00.000Z",
            "attributes": {"customer_id": f"C-{i}"},
        }
        for i in range(50)
    ]
    records = emulator.simulate_contact_records(requests, seed=3, expired_rate=0.2, failed_rate=0.2)
    shape = set(
        emulator.build_contact_record(
            contact_id="x",
            campaign_id="c",
            phone="+12125550100",
            attributes=None,
            initiated=__import__("datetime").datetime(2026, 1, 1),
            ended=__import__("datetime").datetime(2026, 1, 1),
            disconnect_reason="EXPIRED",
        )
    )
    assert records and all(set(r) == shape for r in records)
    assert {r["DisconnectReason"] for r in records} >= {"EXPIRED", "CONTACT_FLOW_DISCONNECT"}
    with pytest.raises(AttributeError):
        contact_records.no_such_name  # noqa: B018


def test_one_utc_formatter() -> None:
    from datetime import datetime, timedelta, timezone

    import pandas as pd

    from dialkit._util.utc import utc_iso

    moment = datetime(2026, 11, 28, 16, 0, 5, 123456, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_iso(moment) == "2026-11-28T21:00:05Z"
    assert utc_iso(moment, "minutes") == "2026-11-28T21:00Z"
    assert utc_iso(moment, "milliseconds") == "2026-11-28T21:00:05.123Z"
    assert utc_iso(datetime(2026, 11, 28, 21, 0)) == "2026-11-28T21:00:00Z"  # naive is UTC, as botocore reads it
    assert utc_iso(pd.Timestamp("2026-11-28 16:00", tz="America/New_York")) == "2026-11-28T21:00:00Z"


def test_one_token_bucket_for_the_sender_and_the_emulator() -> None:
    from dialkit._util.token_bucket import TokenBucket
    from dialkit.emulator import serve
    from dialkit.sender import RateLimiter

    assert issubclass(RateLimiter, TokenBucket)
    with serve(rate_limit=3) as emu:
        assert isinstance(emu._service._bucket, TokenBucket)
    now = [0.0]
    bucket = TokenBucket(3, clock=lambda: now[0])  # the emulator's: burst = rate
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 1 / 3
    assert bucket.take() and not bucket.take()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "localhost",
        "LOCALHOST",
        "0.0.0.0",
        "10.0.0.1",
        "example.com",
        "127.1",
        "::ffff:127.0.0.1",
    ],
)
def test_one_loopback_check_for_the_sender_and_the_emulator(host: str) -> None:
    """The sender treats an endpoint as local exactly when the emulator would bind it without allow_remote."""
    from dialkit.emulator import Emulator
    from dialkit.exceptions import EndpointProblem
    from dialkit.sender import _check_endpoint_url

    url = f"http://[{host}]:8765" if ":" in host else f"http://{host}:8765"
    try:
        local = _check_endpoint_url(url)[1]
    except EndpointProblem:
        local = False
    try:
        Emulator(host=host)
        binds = True
    except ValueError:
        binds = False
    assert local == binds


def test_contact_review_masks_every_column_named_like_a_phone_column() -> None:
    """One list of phone-column names (dialkit.contacts.PHONE_COLUMN_NAMES) for loading and for masking on display."""
    from types import SimpleNamespace

    import pandas as pd

    from dialkit.contacts import PHONE_COLUMN_NAMES
    from dialkit.display.widgets import ContactReview

    columns = [*PHONE_COLUMN_NAMES, "Móvil 2", "celular_casa", "Home Phone"]
    rejected = pd.DataFrame(
        {
            "row": [1],
            **{c: ["+12125550142"] for c in columns},
            "reason": ["invalid_number"],
            "detail": ["not a number"],
            "note": ["call after 5"],
        }
    )
    review = ContactReview(SimpleNamespace(rejected=rejected))
    assert set(review._phone_cols) == set(columns)
    assert "+12125550142" not in review.table.value and "call after 5" in review.table.value


def test_one_clock_kind_for_the_emulator_and_its_dialer_model() -> None:
    """The emulator's movable clock and the dialer's simulated clock are the same class: a source, a start,
    a speed, moved only forward."""
    from datetime import datetime, timedelta, timezone

    from dialkit.emulator import DialerModel, Emulator
    from dialkit.emulator._clock import MovableClock

    t0 = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
    emu = Emulator(clock=lambda: t0, dialer=DialerModel(time_scale=0, start=t0 - timedelta(hours=3)))
    dialer = emu.dialer
    assert dialer is not None
    assert isinstance(emu._service._clock, MovableClock) and isinstance(dialer._clock, MovableClock)
    assert emu.advance_clock(timedelta(minutes=5)) == t0 + timedelta(minutes=5)
    assert dialer.advance(hours=1) == t0 - timedelta(hours=2)  # each at its own start and speed
    with pytest.raises(ValueError):
        emu.advance_clock(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        dialer.advance(-1)
    real = [0.0]
    fast = MovableClock(lambda: t0 + timedelta(seconds=real[0]), start=t0, scale=3600)
    real[0] = 2.0
    assert fast.now() == t0 + timedelta(hours=2) and fast.moved == timedelta(0)


def test_send_panel_maps_old_send_keywords_and_warns_where_the_panel_is_made() -> None:
    import pandas as pd

    import dialkit
    from dialkit.display.widgets import SendPanel

    plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": ["+12125550100"]}), "6b0f5c0e-1d2a-4c8e-9f00-000000000001")
    with pytest.warns(DeprecationWarning, match="SendSettings") as caught:
        panel = SendPanel(plan, object(), "unused.sqlite", rate=2, max_attempts=3, confirm=True)
    assert caught[0].filename == __file__
    assert panel.send_kwargs == {"settings": dialkit.SendSettings(rate=2, max_attempts=3), "confirm": True}
