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
    ├── ConfirmationRequired                a real endpoint was not confirmed
    ├── EndpointProblem                     no credentials or region, access denied, unreachable
    ├── ModelNotSupported (RuntimeError)    botocore's service model lacks what was asked for
    ├── CampaignNotRunning                  the campaign is not Running
    ├── CampaignNotFound                    no such campaign at this endpoint
    ├── LedgerError                         the ledger file cannot be used
    │   ├── LedgerBusy                      another sender holds the ledger
    │   └── PlanMismatch                    the plan would add requests to the ledger's run
    ├── ContactRecordsError (ValueError)    contact records cannot be read
    ├── ExperimentError (ValueError)        an experiment cannot be set up or compared as asked
    └── TutorialsError                      the tutorials cannot be found or copied

    UserWarning
    └── ExposureWarning                     experiment arms were called at different local hours

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
    "ConfirmationRequired",
    "ContactFileError",
    "ContactRecordsError",
    "DialkitError",
    "EndpointProblem",
    "ExperimentError",
    "ExposureWarning",
    "LedgerBusy",
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
    """Arms were called at different callee local hours: a difference may be the hour, not the treatment."""


class TutorialsError(DialkitError):
    """The tutorials cannot be found or copied (missing from this install, or the target holds files)."""
