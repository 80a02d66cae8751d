"""dialkit: from a contact spreadsheet to dialed calls on an Amazon Connect outbound campaign.

The path, each step a function (pure ones take data and return data; I/O sits at the edges)::

    contacts = dialkit.load_contacts("contacts.csv")            # accepted / rejected with a reason
    plan = dialkit.plan_batches(contacts, campaign_id)          # batches of <= 25, idempotent tokens
    with dialkit.connect("local") as conn:                      # the local emulator; None = real AWS
        summary = dialkit.send(plan, conn, "runs/today.sqlite") # ledger written before every call
    results = dialkit.load_results("runs/today.sqlite")         # one row per request

Names are imported lazily, so ``import dialkit`` stays quick and charts or
widgets (matplotlib, ipywidgets) load only when used.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from dialkit._version import __version__

# A library logs; the application decides where it goes (the CLI adds a masked stderr handler).
logging.getLogger("dialkit").addHandler(logging.NullHandler())

# Old module paths (dialkit.contact_records, dialkit.charts, ...) keep importing, with a warning.
from dialkit import _compat  # noqa: E402

_compat.install()

#: The public names, one literal list (visible to ruff, mypy and IDEs); each is imported on first use.
__all__ = [
    "Backoff",
    "Batch",
    "BatchPlan",
    "CLIENT_TOKEN_ATTRIBUTE",
    "CallingHours",
    "CampaignNotFound",
    "CampaignNotRunning",
    "CampaignRules",
    "ConfirmationRequired",
    "Connection",
    "ContactFileError",
    "ContactRecordsError",
    "ContactSet",
    "DISPOSITIONS",
    "DialHistory",
    "DialkitError",
    "ComplianceError",
    "CampaignNotVoice",
    "LedgerDamaged",
    "GarbageAnswer",
    "OutputFileError",
    "EndpointProblem",
    "ExperimentError",
    "ExposureWarning",
    "FAILURE_CODES",
    "FileLimits",
    "FrequencyCap",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "ModelNotSupported",
    "PlanError",
    "PlanMismatch",
    "PlanValidationError",
    "PlannedRequest",
    "Progress",
    "REJECTION_REASONS",
    "RedialRules",
    "RulesError",
    "SendSettings",
    "SendSummary",
    "SuppressionList",
    "TqdmListener",
    "TutorialsError",
    "apply_rules",
    "assign_arms",
    "audit",
    "campaign_metrics",
    "client_token",
    "compare_arms",
    "connect",
    "dashboard",
    "describe_campaign",
    "doctor",
    "join_contact_records",
    "load_attempts",
    "load_contacts",
    "load_results",
    "interleaved_schedule",
    "local_send_schedule",
    "mask_phone",
    "metrics_table",
    "outcome_frame",
    "plan_batches",
    "load_contact_records",
    "load_history",
    "read_contact_records",
    "read_history",
    "redial_candidates",
    "report",
    "plan_experiment",
    "sample_size_per_arm",
    "send",
    "send_on_schedule",
    "__version__",
]

#: Public sub-packages and modules, in the order data flows: reachable as ``dialkit.<name>`` and listed by
#: ``dir(dialkit)``, imported on first use (``display`` pulls matplotlib and ipywidgets only when its
#: ``charts`` or ``widgets`` are used, so ``import dialkit`` does not).
_SUBMODULES = [
    "aws",
    "cli",
    "contacts",
    "display",
    "emulator",
    "exceptions",
    "ledger",
    "masking",
    "notebooks",
    "outcomes",
    "planning",
    "rules",
    "sender",
    "tutorials",
]

# Where each name of __all__ lives (tests/test_public_api.py keeps the two in step).
_EXPORTS: dict[str, str] = {
    "load_contacts": "contacts",
    "ContactSet": "contacts",
    "FileLimits": "contacts",
    "REJECTION_REASONS": "contacts",
    "plan_batches": "planning",
    "BatchPlan": "planning",
    "Batch": "planning",
    "PlannedRequest": "planning",
    "client_token": "planning",
    "connect": "sender",
    "send": "sender",
    "Connection": "sender",
    "Progress": "sender",
    "SendSummary": "sender",
    "Backoff": "sender",
    "SendSettings": "sender",
    "TqdmListener": "sender",
    "Ledger": "ledger",
    "load_results": "ledger.results",
    "load_attempts": "ledger.results",
    "report": "ledger.results",
    "FAILURE_CODES": "ledger.results",
    "mask_phone": "masking",
    "load_contact_records": "outcomes.records",
    "read_contact_records": "outcomes.records",
    "join_contact_records": "outcomes.records",
    "redial_candidates": "outcomes.records",
    "RedialRules": "outcomes.dispositions",
    "DISPOSITIONS": "outcomes.dispositions",
    "campaign_metrics": "outcomes.metrics",
    "dashboard": "display.dashboard",
    "outcome_frame": "outcomes.metrics",
    "assign_arms": "outcomes.experiments",
    "compare_arms": "outcomes.experiments",
    "sample_size_per_arm": "outcomes.experiments",
    "local_send_schedule": "outcomes.experiments",
    "interleaved_schedule": "outcomes.experiments",
    "plan_experiment": "outcomes.experiments",
    "send_on_schedule": "outcomes.experiments",
    "metrics_table": "outcomes.metrics",
    "ExposureWarning": "exceptions",
    "CampaignRules": "rules",
    "CallingHours": "rules",
    "FrequencyCap": "rules",
    "SuppressionList": "rules",
    "DialHistory": "rules",
    "load_history": "rules",
    "read_history": "rules",
    "apply_rules": "rules",
    "audit": "outcomes.audit",
    "describe_campaign": "sender.campaign_settings",
    "doctor": "sender.doctor",
    "RulesError": "exceptions",
    "DialkitError": "exceptions",
    "ComplianceError": "exceptions",
    "CampaignNotVoice": "exceptions",
    "LedgerDamaged": "exceptions",
    "GarbageAnswer": "exceptions",
    "OutputFileError": "exceptions",
    "ContactFileError": "exceptions",
    "PlanError": "exceptions",
    "PlanValidationError": "exceptions",
    "ConfirmationRequired": "exceptions",
    "CampaignNotRunning": "exceptions",
    "CampaignNotFound": "exceptions",
    "LedgerError": "exceptions",
    "LedgerBusy": "exceptions",
    "PlanMismatch": "exceptions",
    "EndpointProblem": "exceptions",
    "ModelNotSupported": "exceptions",
    "ExperimentError": "exceptions",
    "TutorialsError": "exceptions",
    "ContactRecordsError": "exceptions",
    "CLIENT_TOKEN_ATTRIBUTE": "planning",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        from dialkit._compat import MOVED_MODULES

        if f"{__name__}.{name}" in MOVED_MODULES:  # an old module path: the shim warns once
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'dialkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, *_SUBMODULES])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from dialkit.contacts import REJECTION_REASONS, ContactSet, FileLimits, load_contacts
    from dialkit.display.dashboard import dashboard
    from dialkit.exceptions import (
        CampaignNotFound,
        CampaignNotRunning,
        CampaignNotVoice,
        ComplianceError,
        ConfirmationRequired,
        ContactFileError,
        ContactRecordsError,
        DialkitError,
        EndpointProblem,
        ExperimentError,
        ExposureWarning,
        GarbageAnswer,
        LedgerBusy,
        LedgerDamaged,
        LedgerError,
        ModelNotSupported,
        OutputFileError,
        PlanError,
        PlanMismatch,
        PlanValidationError,
        RulesError,
        TutorialsError,
    )
    from dialkit.ledger import Ledger
    from dialkit.ledger.results import FAILURE_CODES, load_attempts, load_results, report
    from dialkit.masking import mask_phone
    from dialkit.outcomes.audit import audit
    from dialkit.outcomes.dispositions import DISPOSITIONS, RedialRules
    from dialkit.outcomes.experiments import (
        assign_arms,
        compare_arms,
        interleaved_schedule,
        local_send_schedule,
        plan_experiment,
        sample_size_per_arm,
        send_on_schedule,
    )
    from dialkit.outcomes.metrics import campaign_metrics, metrics_table, outcome_frame
    from dialkit.outcomes.records import (
        join_contact_records,
        load_contact_records,
        read_contact_records,
        redial_candidates,
    )
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE, Batch, BatchPlan, PlannedRequest, client_token, plan_batches
    from dialkit.rules import (
        CallingHours,
        CampaignRules,
        DialHistory,
        FrequencyCap,
        SuppressionList,
        apply_rules,
        load_history,
        read_history,
    )
    from dialkit.sender import Backoff, Connection, Progress, SendSettings, SendSummary, TqdmListener, connect, send
    from dialkit.sender.campaign_settings import describe_campaign
    from dialkit.sender.doctor import doctor
