"""What the analyst sees when the service refuses the credentials or answers Conflict, through
``dialkit.send`` and ``dialkit send``: a clear message with the right hint (IAM action names of
the API in use), nothing lost in the ledger, every request accounted for, nobody dialed twice.

The emulator injects the errors (``errors=`` faults) over real HTTP; numbers are fictional.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import accounted, boto_connection, dialed_once, fictional_phones

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.exceptions import EndpointProblem
from dialkit.sender import Backoff, SendSettings, send

pytestmark = pytest.mark.timeout(120)
FAST = Backoff(initial=0.01, multiplier=2.0, maximum=0.05, jitter=0.0)
CREDENTIAL_ERRORS = {
    "AccessDeniedException": "grant connect-campaigns:GetCampaignState and connect-campaigns:{op}",
    "UnrecognizedClientException": "the credentials are not valid here",
    "ExpiredTokenException": "the credentials have expired: renew them",
}
OPERATION = {"v1": "PutDialRequestBatch", "v2": "PutOutboundRequestBatch"}


def plan_for(emu, n: int, api: str = "v1") -> dialkit.BatchPlan:
    frame = pd.DataFrame({"phone_e164": fictional_phones(n), "row": range(1, n + 1)})
    return dialkit.plan_batches(frame, emu.campaign_id, api=api, batch_size=10)


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("error", list(CREDENTIAL_ERRORS))
def test_credentials_refused_before_the_first_call_raise_endpoint_problem(tmp_path: Path, error: str, api: str) -> None:
    with serve(errors={"*": error}) as emu:  # GetCampaignState fails first: nothing is sent
        plan = plan_for(emu, 30, api)
        with pytest.raises(EndpointProblem) as info:
            send(
                plan,
                boto_connection(emu, api),
                tmp_path / "l.sqlite",
                listeners=[],
                settings=SendSettings(backoff=FAST),
            )
        message = str(info.value)
        assert message.startswith(error) and CREDENTIAL_ERRORS[error].format(op=OPERATION[api]) in message
        wrong = OPERATION["v2" if api == "v1" else "v1"]
        assert wrong not in message  # the hint names the IAM actions of the API in use
        assert emu.dial_requests() == []
        results = accounted(tmp_path / "l.sqlite", plan)
        assert (results["status"] == "pending").all() and results["pending_reason"].str.contains(error).all()


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("error", list(CREDENTIAL_ERRORS))
@pytest.mark.slow
def test_credentials_refused_mid_run_stop_with_the_hint_and_resume_dials_nobody_twice(
    tmp_path: Path, error: str, api: str
) -> None:
    ledger = tmp_path / "l.sqlite"
    with serve(errors={OPERATION[api]: error}, errors_after=1) as emu:  # one batch call goes out, then refused
        plan = plan_for(emu, 60, api)
        summary = send(plan, boto_connection(emu, api), ledger, listeners=[], settings=SendSettings(backoff=FAST))
        assert 0 < summary.succeeded < 60 and summary.succeeded + summary.pending == summary.total == 60
        assert summary.succeeded == len(emu.dial_requests())
        assert summary.stopped_reason and summary.stopped_reason.startswith(error)
        assert CREDENTIAL_ERRORS[error].format(op=OPERATION[api]) in summary.stopped_reason
        assert "same ledger" in summary.stopped_reason
        results = accounted(ledger, plan)
        assert (results["attempts"] <= 1).all()  # stopped at once: resending cannot fix credentials
        assert results.loc[results["status"] == "pending", "pending_reason"].str.startswith(error).all()

        emu.set_faults(errors={})  # credentials fixed: the same ledger resumes
        again = send(plan, boto_connection(emu, api), ledger, listeners=[], settings=SendSettings(backoff=FAST))
        assert again.succeeded == 60 and again.pending == 0 and again.stopped_reason is None
        dialed_once(emu, someone=True)
        assert len(emu.dial_requests()) == 60


def test_conflict_is_resent_with_the_same_tokens_until_it_clears(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with serve(errors={"PutDialRequestBatch": "ConflictException"}, errors_after=1) as emu:
        emu.after_calls(3, lambda e: e.set_faults(errors={}))  # calls 2 and 3 conflict, then it clears
        plan = plan_for(emu, 30)
        summary = send(plan, boto_connection(emu), ledger, listeners=[], settings=SendSettings(backoff=FAST))
        assert summary.succeeded == 30 and summary.stopped_reason is None
        statuses = [c["status"] for c in emu.calls() if c["operation"] == "PutDialRequestBatch"]
        assert statuses.count(409) == 2 and statuses[-1] == 200
        accounted(ledger, plan)
        dialed_once(emu, someone=True)


@pytest.mark.slow
def test_a_conflict_that_never_clears_stops_with_advice(tmp_path: Path) -> None:
    with serve(errors={"PutDialRequestBatch": "ConflictException"}) as emu:
        plan = plan_for(emu, 20)
        summary = send(
            plan,
            boto_connection(emu),
            tmp_path / "l.sqlite",
            listeners=[],
            settings=SendSettings(backoff=FAST, max_attempts=3),
        )
        assert summary.succeeded == 0 and summary.pending == 20
        assert "ConflictException" in (summary.stopped_reason or "") and "same ledger" in summary.stopped_reason
        accounted(tmp_path / "l.sqlite", plan)
        assert emu.dial_requests() == []


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_cli_prints_the_hint_for_refused_credentials(capsys, tmp_path: Path, api: str) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n" + "\n".join(fictional_phones(12)) + "\n")
    ledger = tmp_path / "run.sqlite"
    with serve(errors={"GetCampaignState": "AccessDeniedException"}) as emu:
        argv = [
            "send",
            str(contacts),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--api",
            api,
            "--no-progress",
        ]
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2
        assert f"grant connect-campaigns:GetCampaignState and connect-campaigns:{OPERATION[api]}" in err
        assert "Traceback" not in err and emu.dial_requests() == []

        emu.set_faults(errors={OPERATION[api]: "ExpiredTokenException"})  # expires between check and send
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 4 and "stopped: ExpiredTokenException: the credentials have expired" in out
        assert "0 succeeded" in out and "12 pending" in out

        emu.set_faults(errors={})
        code = main(argv)
        out, _ = capsys.readouterr()
        assert code == 0 and "12 succeeded" in out
        dialed_once(emu, someone=True)
