"""Every exception and warning dialkit raises on purpose, in one module.

Each error says what went wrong and what to do about it; the command line prints it as one line and
exits with status 2. Messages never carry a full phone number (see :mod:`dialkit.masking`).

The tree (``ValueError`` / ``RuntimeError`` beside a class: it is one too, so code that catches those
keeps working)::

    DialkitError
    ├── ContactFileError (ValueError)       a contact file cannot be read as a whole
    ├── PlanError (ValueError)              a plan cannot be made from these arguments
    ├── PlanValidationError (ValueError)    a plan breaks API constraints (.problems)
    ├── RulesError (ValueError)             a campaign rule cannot be used as given
    ├── ExpiryError (ValueError)            a suppression expiry cannot be read for certain
    ├── OutputFileError (OSError)           an output path is a FIFO, a device, a socket or a folder
    ├── ConfirmationRequired                a real endpoint was not confirmed
    ├── EndpointProblem                     no credentials or region, access denied, unreachable
    ├── GarbageAnswer                       the service answered a batch call with garbage
    ├── ModelNotSupported (RuntimeError)    botocore's service model lacks what was asked for
    ├── CampaignNotRunning                  the campaign is not Running
    ├── CampaignNotFound                    no such campaign at this endpoint
    ├── CampaignNotVoice                    a v2 campaign with no telephony channel
    ├── LedgerError                         the ledger file cannot be used
    │   ├── LedgerBusy                      another sender holds the ledger
    │   ├── LedgerDamaged                   a ledger value dialkit never writes
    │   └── PlanMismatch                    the plan would add requests to the ledger's run
    ├── ContactRecordsError (ValueError)    contact records cannot be read
    ├── ComplianceError (ValueError)        a compliance check cannot run as asked
    ├── ExperimentError (ValueError)        an experiment cannot be set up or compared as asked
    └── TutorialsError                      the tutorials cannot be found or copied

    UserWarning
    ├── ExposureWarning                     experiment arms were called at different local hours or dates
    ├── ArmLabelWarning                     arm labels differing only by spaces were merged
    └── EarlyLookWarning                    an arm is below the planned size, the analysis not sequential

Each class is also importable from the module that raises it (``dialkit.rules.RulesError`` is
``dialkit.exceptions.RulesError``), and every name in this module's ``__all__`` from ``dialkit``.
The emulator's ``ApiError`` is not among them: it is the emulated service's answer, turned into an
HTTP error response, never raised to a caller of dialkit.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = [
    "CampaignNotFound",
    "CampaignNotRunning",
    "CampaignNotVoice",
    "ComplianceError",
    "ConfirmationRequired",
    "ContactFileError",
    "ContactRecordsError",
    "DialkitError",
    "EndpointProblem",
    "ArmLabelWarning",
    "EarlyLookWarning",
    "ExperimentError",
    "ExpiryError",
    "ExposureWarning",
    "GarbageAnswer",
    "LedgerBusy",
    "LedgerDamaged",
    "LedgerError",
    "ModelNotSupported",
    "OutputFileError",
    "PlanError",
    "PlanMismatch",
    "PlanValidationError",
    "RulesError",
    "TutorialsError",
]


class DialkitError(Exception):
    """Base class of every error dialkit raises on purpose."""


class ContactFileError(DialkitError, ValueError):
    """A contact file cannot be read as a whole (missing, empty, no phone column, ...)."""


class OutputFileError(DialkitError, OSError):
    """An output path cannot take a file dialkit writes: a FIFO, a device, a socket or a folder."""


class PlanError(DialkitError, ValueError):
    """A batch plan cannot be made from these arguments (bad ttl, campaign id, attributes)."""


class PlanValidationError(DialkitError, ValueError):
    """A plan breaks API constraints; ``.problems`` is :meth:`BatchPlan.validate`'s DataFrame (``code``, ``detail``).

    ``.violations`` (and the ``violations=`` keyword) is the deprecated name of ``.problems``, kept for one release.
    """

    def __init__(self, message: str, problems: Any = None, *, violations: Any = None) -> None:
        super().__init__(message)
        if violations is not None:
            warnings.warn(
                "PlanValidationError(violations=...) is deprecated: use problems=", DeprecationWarning, stacklevel=2
            )
            problems = violations if problems is None else problems
        self.problems = problems

    @property
    def violations(self) -> Any:
        """Deprecated name of :attr:`problems`."""
        warnings.warn("PlanValidationError.violations is deprecated: use .problems", DeprecationWarning, stacklevel=2)
        return self.problems


class ConfirmationRequired(DialkitError):
    """Sending to a non-local endpoint was not explicitly confirmed (``confirm=True`` / ``--yes``)."""


class CampaignNotRunning(DialkitError):
    """The campaign is not in the Running state; nothing more is sent until it is started/resumed."""

    def __init__(self, campaign_id: str, state: str | None, message: str | None = None) -> None:
        self.campaign_id = campaign_id
        self.state = state
        super().__init__(
            message
            or f"campaign {campaign_id} is {state or 'in an unknown state'}, not Running: "
            "start or resume it (StartCampaign / ResumeCampaign), then send again with the same ledger to resume"
        )


class CampaignNotFound(DialkitError):
    """The campaign id does not exist at this endpoint (ResourceNotFoundException)."""


class LedgerError(DialkitError):
    """The ledger file cannot be used (wrong run, newer schema, corrupt)."""


class LedgerBusy(LedgerError):
    """Another sender holds this ledger; two senders on one ledger could dial someone twice."""


class EndpointProblem(DialkitError):
    """The endpoint cannot be used: no credentials or region, access denied, unreachable.

    Raised before anything is sent; the message says what to set or check.
    """


class ModelNotSupported(DialkitError, RuntimeError):
    """The installed botocore's service model lacks something dialkit was asked to use.

    The message names the botocore version in use and the version to upgrade to
    (for example v2 ``ring_timeout`` needs a model with ``RingTimeout``).
    """


class PlanMismatch(LedgerError):
    """Resuming a ledger with a plan that would add requests to it (pass ``extend=True`` / ``--extend-run``)."""


class RulesError(DialkitError, ValueError):
    """A rule cannot be used as given (a calling-hours spelling, a cap, a country, a list); the message says what to write."""


class ContactRecordsError(DialkitError, ValueError):
    """Contact records cannot be read (not JSON, wrong shape): the message names the file and the offset."""


class ExperimentError(DialkitError, ValueError):
    """An experiment cannot be set up or compared as asked (the message says what to change)."""


class ExposureWarning(UserWarning):
    """Arms were called at different callee local hours or dates: a difference may be when, not the treatment."""


class ArmLabelWarning(UserWarning):
    """Arm labels that differed only by surrounding spaces were merged into one arm."""


class EarlyLookWarning(UserWarning):
    """An arm is below the planned size and the comparison is not sequential: its p-value overstates."""


class TutorialsError(DialkitError):
    """The tutorials cannot be found or copied (missing from this install, or the target holds files)."""


class GarbageAnswer(DialkitError):
    """The service answered a batch call with something that is not its answer.

    Invalid UTF-8, wrong JSON types, a body cut short.  What happened to the call's requests is unknown:
    the sender stops, and a later send resends them with the same client tokens.
    """


class CampaignNotVoice(DialkitError):
    """A v2 campaign with no telephony channel was asked to place voice calls: nothing is sent."""


class LedgerDamaged(LedgerError):
    """A ledger holds a value dialkit never writes (a timestamp that is not one, attributes that are not JSON)."""


class ComplianceError(DialkitError, ValueError):
    """The compliance check cannot run as asked (an agent mode, a campaign config, a share); the message says what to fix."""


class ExpiryError(DialkitError, ValueError):
    """An expiry that cannot be read for certain; ``code`` is ``unreadable_expiry`` or ``ambiguous_expiry``."""

    def __init__(self, message: str, code: str = "unreadable_expiry") -> None:
        super().__init__(message)
        self.code = code
