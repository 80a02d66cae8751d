"""A local Amazon Connect outbound campaigns endpoint that speaks the real wire protocol.

moto and LocalStack do not implement PutDialRequestBatch, so dialkit ships its
own emulator: a real HTTP server on loopback that answers unmodified boto3
clients and the AWS CLI for ``connectcampaigns`` (v1) and ``connectcampaignsv2``
(v2).  Routes, status codes, member names and error shapes come from the
botocore service models.  It validates like the service, keeps a log of
accepted dial requests, and injects faults on demand (throttling, per-item
failures, 500s, lost and late responses, AccessDenied, invalid or expired
credentials, Conflict), all seeded so runs repeat.  Its clock is its own
(``clock=``, :meth:`Emulator.advance_clock`, ``POST /_dialkit/clock``): client
tokens are forgotten 7 days after they were accepted, as on the service.  An opt-in
dialer model (:class:`DialerModel`) dials what it accepts: a buffer, lines and
agents, expiry, answers that depend on the callee's local hour, a simulated clock; who
answers and how calls end (busy, rang out, not in service, voicemail, AMD mistakes,
people who never answer, fewer answers on later attempts) is :class:`CalleeModel`.
Calls to the campaigns API must be SigV4-signed, as AWS requires (any
credentials do); STS ``GetCallerIdentity`` is answered too.

    >>> from dialkit.emulator import serve
    >>> with serve(seed=7) as emu:                                  # doctest: +SKIP
    ...     client = boto3.client("connectcampaigns", endpoint_url=emu.endpoint_url,
    ...                           region_name="us-east-1",
    ...                           aws_access_key_id="x", aws_secret_access_key="x")
    ...     client.put_dial_request_batch(id=emu.campaign_id, dialRequests=[...])
    ...     emu.dial_requests()

From a shell: ``dialkit emulator --port 4566`` or ``python -m dialkit.emulator``.
"""

from __future__ import annotations

from dialkit.emulator._callees import DEFAULT_HOUR_PROFILE, CalleeModel
from dialkit.emulator._cli import main
from dialkit.emulator._dialer import Dialer, DialerModel
from dialkit.emulator._emulator import Emulator, serve
from dialkit.emulator._faults import FaultProfile
from dialkit.emulator._records import build_contact_record, simulate_contact_records, to_firehose_text

__all__ = [
    "DEFAULT_HOUR_PROFILE",
    "CalleeModel",
    "Dialer",
    "DialerModel",
    "Emulator",
    "FaultProfile",
    "build_contact_record",
    "main",
    "serve",
    "simulate_contact_records",
    "to_firehose_text",
]
