"""Joining EventBridge contact events to dial requests: fetch each contact's attributes first.

An EventBridge contact event (``detail-type`` "Amazon Connect Contact Event")
names the contact (``contactId``, ``initialContactId``, ``instanceArn``) but
carries none of its attributes, so the client-token attribute that joins a
contact record to its dial request is not there: events alone can be joined
only by guessing that the dial request id is the ContactId, which AWS does not
document.  :func:`fetch_contact_attributes` closes the gap with
``connect:GetContactAttributes`` (InstanceId, InitialContactId → the contact's
attributes): it adds the attributes to each event's ``detail``, so
:func:`dialkit.load_contact_records` reads the token and
:func:`dialkit.join_contact_records` joins by it.

The boto3 ``connect`` client is passed in (the caller chooses credentials,
region, endpoint and retry mode); calls are paced by a token bucket
(``rate`` calls a second; Amazon Connect's API quotas are per account and
adjustable, so the default of 2 a second is a polite assumption, not a quota
read from AWS: set yours), each contact is asked once however many events it
has, and a call that fails is reported for its events, never raised.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from dialkit._util.token_bucket import TokenBucket
from dialkit.outcomes.records import camel_detail

__all__ = ["ERROR_COLUMNS", "FetchedAttributes", "fetch_contact_attributes", "instance_id_of"]

#: Columns of :attr:`FetchedAttributes.errors`.
ERROR_COLUMNS = ("event", "contact_id", "code", "message")


@dataclass(frozen=True)
class FetchedAttributes:
    """What :func:`fetch_contact_attributes` returns.

    Attributes:
        events: copies of the events, each ``detail`` with ``attributes`` added
            when the call succeeded (in the input order; events whose contact
            could not be asked are there unchanged).
        errors: one row per event whose attributes could not be fetched:
            ``event`` (its position in the input), ``contact_id``, ``code``
            (the AWS error code, ``no_contact_id``, ``no_instance_id`` or the
            botocore exception name) and ``message``.
        calls: GetContactAttributes calls made.
    """

    events: list[dict[str, Any]]
    errors: pd.DataFrame
    calls: int


def instance_id_of(instance_arn: str | None) -> str | None:
    """The instance id of an Amazon Connect instance ARN (``arn:aws:connect:REGION:ACCOUNT:instance/ID``)."""
    if not instance_arn or "instance/" not in instance_arn:
        return None
    return instance_arn.split("instance/", 1)[1].split("/", 1)[0] or None


def fetch_contact_attributes(
    client: Any,
    events: Iterable[Mapping[str, Any]],
    *,
    instance_id: str | None = None,
    rate: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchedAttributes:
    """Each event with its contact's attributes, fetched with ``connect:GetContactAttributes``.

    Parameters:
        client: a boto3 ``connect`` client (``boto3.client("connect", ...)``).
        events: EventBridge contact events (camelCase or PascalCase ``detail``).
        instance_id: the Amazon Connect instance; None reads it from each
            event's ``detail.instanceArn``.
        rate: at most this many calls a second (a token bucket, burst 1).
        clock: the time source of the pacing (tests inject it).
        sleep: the wait of the pacing (tests inject it).

    Returns:
        A :class:`FetchedAttributes`.  The contact asked is the event's ``initialContactId`` when it
        has one, else its ``contactId``.  A failed call never raises: the event is listed in
        ``errors`` with the reason.

    Raises:
        ValueError: ``rate`` is not above 0.
    """
    if not rate > 0:
        raise ValueError("rate must be above 0 calls a second")
    bucket = TokenBucket(rate, burst=1, clock=clock)
    out: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    answers: dict[tuple[str, str], dict[str, str] | tuple[str, str]] = {}
    calls = 0
    for position, event in enumerate(events):
        copied = copy.deepcopy(dict(event))
        out.append(copied)
        raw = copied.get("detail")
        detail = camel_detail(raw) if isinstance(raw, Mapping) else {}
        contact = detail.get("initialContactId") or detail.get("contactId")
        instance = instance_id or instance_id_of(detail.get("instanceArn"))
        if not contact:
            errors.append({"event": position, "contact_id": None, "code": "no_contact_id", "message": "no contactId"})
            continue
        if not instance:
            errors.append(
                {
                    "event": position,
                    "contact_id": contact,
                    "code": "no_instance_id",
                    "message": "no detail.instanceArn: pass instance_id",
                }
            )
            continue
        key = (str(instance), str(contact))
        if key not in answers:
            while (wait := bucket.try_acquire()) > 0:
                sleep(wait)
            calls += 1
            try:
                reply = client.get_contact_attributes(InstanceId=key[0], InitialContactId=key[1])
                answers[key] = dict(reply.get("Attributes") or {})
            except ClientError as exc:
                err = exc.response.get("Error", {})
                answers[key] = (str(err.get("Code") or "ClientError"), str(err.get("Message") or exc))
            except BotoCoreError as exc:  # no connection, time-out, bad endpoint
                answers[key] = (type(exc).__name__, str(exc))
        answer = answers[key]
        if isinstance(answer, tuple):
            errors.append({"event": position, "contact_id": contact, "code": answer[0], "message": answer[1]})
            continue
        target = raw if isinstance(raw, dict) else {}
        target["attributes"] = dict(answer)
        copied["detail"] = target
    return FetchedAttributes(out, pd.DataFrame(errors, columns=list(ERROR_COLUMNS)), calls)
