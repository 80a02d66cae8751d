"""Everything a first real send needs, checked without dialing anyone: the checks behind ``dialkit doctor``.

:func:`doctor` runs one check after another and returns one :class:`Check` per
finding (``ok``, ``warn`` or ``fail``, what was found, what to do):

``endpoint``     where the calls would go (the emulator, a URL, AWS in a region)
``region``       the region, and whether botocore's endpoint data lists the campaigns service there
``rate``         ``--rate`` against the default quota (an assumption: see below)
``credentials``  STS ``GetCallerIdentity``: the credentials resolve, and to which account and identity
``campaign``     the campaign exists (``GetCampaignState``)
``state``        it is ``Running`` (anything else stops a send before a request goes out)
``dialing``      its dialing mode and capacity (``DescribeCampaign``)
``channel``      a v2 campaign has a telephony channel (voice dial requests need one)
``amd``          answering-machine detection, and what the metrics can rest on without it
``window``       the campaign's own calling window (and its time basis) against ``--calling-hours``

Only read-only calls are made: ``sts:GetCallerIdentity``, ``GetCampaignState``
and ``DescribeCampaign``.  Nothing is dialed: no ``PutDialRequestBatch`` or
``PutOutboundRequestBatch`` is ever sent.  A real (non-loopback) endpoint is not
contacted at all unless ``confirm=True`` (``--yes``): without it the checks that
need the network fail with what to pass.

The rate: dialkit's default of 10 calls/s per account and Region for
``PutDialRequestBatch`` / ``PutOutboundRequestBatch`` is an **assumption**.  The
Amazon Connect service quotas page
(https://docs.aws.amazon.com/connect/latest/adminguide/amazon-connect-service-limits.html)
is where AWS lists API throttling quotas; a row for these two operations could
not be found there again, so check your account's quota in the Service Quotas
console (quotas are adjustable per account) and pass it as ``--rate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dialkit.aws.adapters import adapter_for
from dialkit.aws.model import constraints
from dialkit.masking import mask_text
from dialkit.rules import CallingHours
from dialkit.sender import DEFAULT_RATE, Connection, client_config
from dialkit.sender.campaign_settings import (
    CampaignNotVoice,
    describe_campaign,
    require_voice_channel,
    time_basis,
    window_warnings,
)

__all__ = ["STATUSES", "Check", "doctor", "sts_client"]

#: The statuses a check can have, best first.
STATUSES = ("ok", "warn", "fail")
#: The quotas page of Amazon Connect (API throttling quotas are listed there).
QUOTAS_PAGE = "https://docs.aws.amazon.com/connect/latest/adminguide/amazon-connect-service-limits.html"

_NEXT_STEP = {
    "Initialized": "start it (aws connectcampaigns start-campaign --id {id}, or the Connect console)",
    "Paused": "resume it (aws connectcampaigns resume-campaign --id {id}, or the Connect console)",
    "Stopped": "a stopped campaign cannot be restarted: create a new campaign and use its id",
    "Failed": "check the campaign in the Connect console (its flow, queue and source number), then create a new one",
    "Completed": "the campaign has ended: create a new campaign and use its id",
}


@dataclass(frozen=True)
class Check:
    """One finding of :func:`doctor`.

    Attributes:
        name: which check (``credentials``, ``state``, ``window``, ... : see the module docstring).
        status: ``"ok"``, ``"warn"`` (a send works, but read this) or ``"fail"`` (fix it before sending).
        detail: what was found (never a callee's phone number).
        action: what to do; empty when there is nothing to do.
    """

    name: str
    status: str
    detail: str
    action: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")

    def to_dict(self) -> dict[str, str]:
        """The check as a JSON-ready dict (``name``, ``status``, ``detail``, ``action``)."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.status:<4} {self.name}: {self.detail}" + (f" -> {self.action}" if self.action else "")


def sts_client(conn: Connection, *, profile: str | None = None) -> Any:
    """An STS client for the same place and credentials as ``conn``.

    Local (loopback) connections get the emulator's STS (``GetCallerIdentity`` on
    its endpoint) with the same dummy credentials the campaigns client has;
    real ones a client from boto3's credential chain (``profile``) in ``conn.region``.
    Making it contacts nothing.
    """
    import boto3
    from botocore.config import Config

    cfg = client_config()
    if conn.is_local:
        return boto3.client(
            "sts",
            endpoint_url=conn.endpoint_url,
            region_name=conn.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=cfg.merge(Config(proxies={})),
        )
    session = boto3.Session(profile_name=profile, region_name=conn.region or None)
    return session.client("sts", config=cfg)


def _error(exc: Exception) -> tuple[str, str]:
    """(code, message) of a botocore error, masked."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code", "")), mask_text(str(err.get("Message", "")))
    return type(exc).__name__, mask_text(str(exc))


def doctor(
    conn: Connection,
    campaign_id: str | None = None,
    *,
    calling_hours: CallingHours | None = None,
    rate: float = DEFAULT_RATE,
    confirm: bool = False,
    sts: Any = None,
    profile: str | None = None,
    at: datetime | None = None,
    regions: Callable[[str], list[str]] | None = None,
) -> list[Check]:
    """Check everything a first send to ``campaign_id`` needs, without dialing anyone.

    Parameters:
        conn: the :class:`~dialkit.sender.Connection` a send would use (its API, endpoint, region).
        campaign_id: the campaign (default: the connection's, i.e. the emulator's).
        calling_hours: ``--calling-hours`` (callee local time) to compare the campaign's window with.
        rate: the API calls per second a send would make (``--rate``).
        confirm: allow contacting a real (non-loopback) endpoint; without it nothing is contacted there.
        sts: an STS client (default: :func:`sts_client` of ``conn`` and ``profile``).
        profile: the AWS profile, for the default STS client.
        at: the moment whose UTC offsets move a fixed-zone campaign window (default: now).
        regions: the regions botocore lists for a service name (a test seam; default: boto3's
            endpoint data, read from disk).

    Returns:
        the checks, in the order of the module docstring; a send is ready when none has status ``fail``.
        A failing check is a ``fail`` row, never an exception.

    Raises:
        ValueError: ``rate`` is not a number.
    """
    rate = float(rate)
    adapter = adapter_for(conn.api)
    c = constraints(conn.api)
    out: list[Check] = []
    where = conn.endpoint_url or f"AWS {conn.region}"
    if conn.is_local:
        out.append(Check("endpoint", "ok", f"{where} (loopback: the local emulator or another local endpoint)"))
    else:
        out.append(Check("endpoint", "ok", f"{where}: real Amazon Connect outbound campaigns ({c.service_name})"))
    out.append(_region_check(conn, c.service_name, regions))
    out.append(_rate_check(rate))
    cid = campaign_id or conn.campaign_id
    if not conn.is_local and not confirm:
        out.append(
            Check(
                "credentials",
                "fail",
                f"not checked: {where} is a real endpoint and doctor contacts one only when asked",
                "pass --yes (confirm=True) to make doctor's read-only calls (sts:GetCallerIdentity, "
                f"{c.iam_action('GetCampaignState')}, {c.iam_action('DescribeCampaign')}); nothing is dialed",
            )
        )
        return out
    client = sts if sts is not None else sts_client(conn, profile=profile)
    try:
        me = client.get_caller_identity()
        out.append(Check("credentials", "ok", f"account {me.get('Account')} as {me.get('Arn')}"))
    except (ClientError, BotoCoreError) as exc:
        code, message = _error(exc)
        hint = (
            "set up credentials for boto3 (aws configure, AWS_PROFILE, aws sso login)"
            if "Credentials" in code
            else "renew them (aws sso login, or a new session token)"
            if "Expired" in code
            else "check the endpoint URL, the region and the network"
            if isinstance(exc, BotoCoreError)
            else "check the profile and the access key: they are not valid here"
        )
        out.append(Check("credentials", "fail", f"{code}: {message}", hint))
        out.append(Check("campaign", "fail", "not checked: the credentials did not resolve", "fix the credentials"))
        return out
    if not cid:
        out.append(
            Check(
                "campaign", "fail", "no campaign id given", "pass --campaign-id (aws connectcampaigns list-campaigns)"
            )
        )
        return out
    try:
        state = adapter.campaign_state(conn.client, cid)
    except (ClientError, BotoCoreError) as exc:
        code, message = _error(exc)
        if code == "ResourceNotFoundException":
            other = "v2" if conn.api == "v1" else "v1"
            out.append(
                Check(
                    "campaign",
                    "fail",
                    f"campaign {cid} does not exist at {where}",
                    f"check the id (list-campaigns), the region ({conn.region}) and --api (try --api {other})",
                )
            )
        elif code == "AccessDeniedException":
            out.append(
                Check(
                    "campaign",
                    "fail",
                    f"{code}: {message}",
                    f"grant {c.iam_action('GetCampaignState')} and {c.iam_action()} to the role or user",
                )
            )
        else:
            out.append(Check("campaign", "fail", f"{code}: {message}", "check the endpoint and the campaign id"))
        return out
    out.append(Check("campaign", "ok", f"campaign {cid} exists ({c.service_name})"))
    if state == "Running":
        out.append(Check("state", "ok", "Running: dial requests are accepted"))
    else:
        step = _NEXT_STEP.get(state, "make it Running").format(id=cid)
        out.append(Check("state", "fail", f"{state}, not Running: every dial request would be refused", step))
    try:
        d = describe_campaign(conn, cid)
    except (ClientError, BotoCoreError) as exc:
        code, message = _error(exc)
        out.append(
            Check(
                "dialing",
                "warn",
                f"not described ({code}: {message}): channel, answering-machine detection and window not checked",
                f"grant {c.iam_action('DescribeCampaign')} to let doctor (and send's preview) read them",
            )
        )
        return out
    out.append(_dialing_check(d))
    out.append(_channel_check(d))
    out.append(_amd_check(d))
    out.extend(_window_checks(d, calling_hours, at))
    return out


def _region_check(conn: Connection, service: str, regions: Callable[[str], list[str]] | None) -> Check:
    if conn.is_local:
        return Check("region", "ok", f"{conn.region} (the emulator answers any region)")
    if not conn.region:
        return Check("region", "fail", "no AWS region", "pass --region or set the profile's region")
    if regions is None:
        import boto3

        def regions(name: str) -> list[str]:
            return list(boto3.session.Session().get_available_regions(name))

    listed = regions(service)
    if conn.region in listed:
        return Check("region", "ok", f"{conn.region} ({service} is offered there)")
    return Check(
        "region",
        "warn",
        f"{conn.region}: botocore's endpoint data does not list {service} there",
        f"use the region of your Amazon Connect instance (listed: {', '.join(sorted(listed)) or 'none'})",
    )


def _rate_check(rate: float) -> Check:
    if not rate > 0:
        return Check("rate", "fail", f"--rate {rate:g} calls/s: nothing would be sent", "pass a rate above 0")
    basis = (
        f"the default quota of PutDialRequestBatch / PutOutboundRequestBatch is assumed to be {DEFAULT_RATE:g} "
        "calls/s per account and Region (not confirmed on AWS's quotas page)"
    )
    if rate > DEFAULT_RATE:
        return Check(
            "rate",
            "warn",
            f"--rate {rate:g} calls/s is above {DEFAULT_RATE:g}: {basis}",
            "keep it only if your account's quota is raised (Service Quotas console); otherwise 429s slow the send",
        )
    return Check(
        "rate",
        "ok",
        f"--rate {rate:g} calls/s (up to {rate * 25:g} dial requests/s); {basis}",
        "",
    )


def _dialing_check(d: dict[str, Any]) -> Check:
    mode = d.get("dialing_mode") or "unknown"
    capacity = d.get("capacity")
    text = f"{mode} dialing, capacity {capacity if capacity is not None else 'default'}"
    source = d.get("source_phone_number")
    text += f", caller id {source}" if source else ", caller id: the queue's default"
    return Check("dialing", "ok", text)


def _channel_check(d: dict[str, Any]) -> Check:
    try:
        require_voice_channel(d)
    except CampaignNotVoice as exc:
        return Check(
            "channel", "fail", str(exc).split(": it cannot")[0], "add a telephony channel or use another campaign"
        )
    return Check("channel", "ok", "telephony (voice dial requests are placed)")


def _amd_check(d: dict[str, Any]) -> Check:
    amd = d.get("answering_machine_detection")
    agentless = d.get("dialing_mode") == "agentless"
    if amd and amd.get("enabled"):
        return Check(
            "amd",
            "ok",
            "answering-machine detection on: live answers are counted from AnsweringMachineDetectionStatus "
            "(HUMAN_ANSWERED); AMD makes mistakes, so some people count as voicemail and some voicemails as people",
        )
    if agentless:
        return Check(
            "amd",
            "warn",
            "answering-machine detection off and no agents: contact records carry no evidence of who answered, "
            "so answer rates cannot be measured (they say they have no basis)",
            "turn on answerMachineDetectionConfig if answer rates matter",
        )
    return Check(
        "amd",
        "warn",
        "answering-machine detection off: live answers are counted from agent connections "
        "(Agent.ConnectedToAgentTimestamp); a voicemail an agent picks up counts as an answer",
        "turn on answerMachineDetectionConfig to tell people from voicemail",
    )


def _window_checks(d: dict[str, Any], calling_hours: CallingHours | None, at: datetime | None) -> list[Check]:
    warnings = window_warnings(d, calling_hours, at=at)
    tw = d.get("time_windows") or {}
    if not warnings and tw.get("open_hours") is not None:
        return [
            Check(
                "window", "ok", f"the campaign's window ({time_basis(d)}) agrees with --calling-hours {calling_hours}"
            )
        ]
    if not warnings:
        text = f"the campaign has no calling window of its own: --calling-hours {calling_hours} alone hold calls "
        return [Check("window", "ok", text + "to the callee's local hours")]
    action = "pass --calling-hours (callee local time), e.g. 08:00-21:00" if calling_hours is None else ""
    return [Check("window", "warn", w, action) for w in warnings]
