"""Reason codes Amazon Connect documents for voice contacts: DisconnectReason and AnsweringMachineDetectionStatus.

One home for the values both the emulator (which writes contact records; its
tests check every value it writes is in these lists) and
:mod:`dialkit.outcomes` (which reads them) use, so neither imports the other.

Sources:

* ``DisconnectReason``: the contact record data model page,
  :data:`DATA_MODEL_PAGE`, "ContactTraceRecord" → "DisconnectReason": the list
  for voice contacts and the list for outbound campaign voice contacts.  The
  preview-discard value is spelled ``OUTBUND_PREVIEW_DISCARDED`` there (sic),
  and is kept as spelled.  botocore's ``connect`` model types the field as a
  free string, so the page is the only list.
* ``AnsweringMachineDetectionStatus``: the enum of botocore's ``connect``
  service model (:data:`MODEL_AMD_STATUSES`, checked against the installed
  botocore by the tests, so a value AWS adds fails a test), plus
  ``AMD_UNRESOLVED_SILENCE``, which the data model page lists and the model
  does not (:data:`PAGE_ONLY_AMD_STATUSES`).
"""

from __future__ import annotations

__all__ = [
    "AMD_STATUSES",
    "CAMPAIGN_DISCONNECT_REASONS",
    "CONNECTED_REASONS",
    "DATA_MODEL_PAGE",
    "DISCONNECT_REASONS",
    "EXPIRED_REASON",
    "MODEL_AMD_STATUSES",
    "PAGE_ONLY_AMD_STATUSES",
    "PREVIEW_DISCARDED_REASON",
    "TELECOM_REASONS",
    "VOICE_DISCONNECT_REASONS",
]

#: The contact record data model page (Amazon Connect Administrator Guide).
DATA_MODEL_PAGE = "https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html"

#: The carrier's view of a call that did not connect (data model page, voice contacts).
TELECOM_REASONS: tuple[str, ...] = (
    "TELECOM_BUSY",
    "TELECOM_NUMBER_INVALID",
    "TELECOM_POTENTIAL_BLOCKING",
    "TELECOM_UNANSWERED",
    "TELECOM_TIMEOUT",
    "TELECOM_ORIGINATOR_CANCEL",
    "TELECOM_PROBLEM",
)

#: A call that connected, by who ended it (data model page, voice contacts).
CONNECTED_REASONS: tuple[str, ...] = (
    "CUSTOMER_DISCONNECT",
    "AGENT_DISCONNECT",
    "THIRD_PARTY_DISCONNECT",
    "BARGED",
    "CONTACT_FLOW_DISCONNECT",
    "OTHER",
)

#: Every DisconnectReason the page lists for voice contacts, in the page's groups.
VOICE_DISCONNECT_REASONS: tuple[str, ...] = (*TELECOM_REASONS, "CUSTOMER_NEVER_ARRIVED", *CONNECTED_REASONS)

#: The request was never dialed: capacity did not reach it before its ``expirationTime``.
EXPIRED_REASON = "EXPIRED"
#: Preview dialing: the agent discarded the contact; spelled as on the data model page.
PREVIEW_DISCARDED_REASON = "OUTBUND_PREVIEW_DISCARDED"
#: Every DisconnectReason the page lists for outbound campaign voice contacts.
CAMPAIGN_DISCONNECT_REASONS: tuple[str, ...] = (
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR",
    "OUTBOUND_RESOURCE_ERROR",
    "OUTBOUND_ATTEMPT_FAILED",
    PREVIEW_DISCARDED_REASON,
    EXPIRED_REASON,
)
#: Every DisconnectReason documented for (outbound campaign) voice contacts.
DISCONNECT_REASONS: tuple[str, ...] = (*VOICE_DISCONNECT_REASONS, *CAMPAIGN_DISCONNECT_REASONS)

#: ``AnsweringMachineDetectionStatus`` enum of botocore's ``connect`` model (tests compare it with botocore's).
MODEL_AMD_STATUSES: tuple[str, ...] = (
    "ANSWERED",
    "UNDETECTED",
    "ERROR",
    "HUMAN_ANSWERED",
    "SIT_TONE_DETECTED",
    "SIT_TONE_BUSY",
    "SIT_TONE_INVALID_NUMBER",
    "FAX_MACHINE_DETECTED",
    "VOICEMAIL_BEEP",
    "VOICEMAIL_NO_BEEP",
    "AMD_UNRESOLVED",
    "AMD_UNANSWERED",
    "AMD_ERROR",
    "AMD_NOT_APPLICABLE",
)
#: Statuses on the data model page that the model's enum lacks.
PAGE_ONLY_AMD_STATUSES: tuple[str, ...] = ("AMD_UNRESOLVED_SILENCE",)
#: Every documented AnsweringMachineDetectionStatus.
AMD_STATUSES: tuple[str, ...] = (*MODEL_AMD_STATUSES, *PAGE_ONLY_AMD_STATUSES)
