"""The Amazon Connect contact API the emulator answers: ``connect:GetContactAttributes``.

EventBridge contact events carry no contact attributes, so the client-token
attribute that joins a contact to its dial request is not in them; a client
asks the instance for the contact's attributes with ``GetContactAttributes``
(botocore ``connect`` model: ``GET /contact/attributes/{InstanceId}/{InitialContactId}``,
answer ``{"Attributes": {...}}``).  The emulator answers it from the contact
records it would deliver (the dialer model's, or the simulated ones), on the
route the model gives, for requests signed like every other route (SigV4,
service name ``connect``).  Only this operation of the ``connect`` model is
routed; the rest of Amazon Connect is out of the emulator's scope.

Errors are the model's: ``ResourceNotFoundException`` (404) for a contact the
instance does not have (unknown id, or a contact of a campaign on another
instance), ``InvalidRequestException`` (400) for ids outside the model's length
limits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from dialkit.emulator._service import Reply

__all__ = ["CONNECT_OPERATIONS", "ContactApi", "connect_model"]

#: Operations of the ``connect`` model the emulator routes.
CONNECT_OPERATIONS: tuple[str, ...] = ("GetContactAttributes",)


@functools.lru_cache(maxsize=1)
def connect_model() -> ServiceModel:
    """Botocore's ``connect`` service model (read once per process: it is large)."""
    return botocore.session.get_session().get_service_model("connect")


class ContactApi:
    """Answers ``GetContactAttributes`` from the emulator's contact records.

    Parameters:
        records: returns every contact record the emulator would deliver now.
        instance_of: campaign id → the Amazon Connect instance id of that campaign (None: unknown campaign).
    """

    def __init__(
        self,
        records: Callable[[], list[dict[str, Any]]],
        instance_of: Callable[[str], str | None],
    ) -> None:
        self._records = records
        self._instance_of = instance_of

    def _error(self, name: str, message: str) -> Reply:
        status = int(connect_model().shape_for(name).metadata["error"]["httpStatusCode"])
        return Reply(status, {"Message": message}, error_type=name)

    def handle(self, operation: str, params: Mapping[str, str]) -> Reply:
        """The reply to one call of ``operation`` (one of :data:`CONNECT_OPERATIONS`)."""
        if operation != "GetContactAttributes":  # pragma: no cover - only these routes are built
            return Reply(501, {"message": f"The dialkit emulator does not implement {operation}"}, "NotImplemented")
        shape = connect_model().operation_model(operation).input_shape
        assert shape is not None  # the model gives the operation its InstanceId and InitialContactId
        problems = []
        for name in ("InstanceId", "InitialContactId"):
            value = params.get(name, "")
            limits = shape.members[name].metadata
            if not limits.get("min", 0) <= len(value) <= limits.get("max", len(value)):
                problems.append(f"{name} must be {limits.get('min', 0)} to {limits.get('max')} characters")
        if problems:
            return self._error("InvalidRequestException", "; ".join(problems))
        instance_id, contact_id = params["InstanceId"], params["InitialContactId"]
        for record in self._records():
            if record.get("ContactId") != contact_id:
                continue
            campaign = record.get("Campaign")
            campaign_id = campaign.get("CampaignId") if isinstance(campaign, Mapping) else None
            if campaign_id is None or self._instance_of(str(campaign_id)) != instance_id:
                break  # a contact of another instance: not found on this one, as on the service
            attributes = record.get("Attributes")
            return Reply(200, {"Attributes": dict(attributes) if isinstance(attributes, Mapping) else {}})
        return self._error("ResourceNotFoundException", f"Contact {contact_id} not found in instance {instance_id}")
