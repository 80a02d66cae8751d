"""Planning: accepted contacts → batches of dial requests with idempotent client tokens.

Pure: takes data, returns data.  No network and no clock: the absolute
``expirationTime`` of a request is stamped by the sender when the batch goes
out, never here, so a plan made in the morning is still good in the afternoon.

Client tokens are deterministic (campaign, run id, number → token).  The service
remembers a token for 7 days and answers a repeat with the existing request
instead of dialing again, so re-running a notebook or a command with the same
run id cannot dial anyone twice.  To dial the same people again on purpose
(for example to redial EXPIRED contacts) plan with a new ``run_id``.

Each request also carries its client token as a contact attribute named
:data:`CLIENT_TOKEN_ATTRIBUTE` (on by default, ``token_attribute=False`` turns it
off).  A dial request's attributes become the contact's attributes, so contact
records carry the token back: the join from a record to its request then needs
no guess about which service id equals which.  The token counts towards the
32,768-byte attribute total like any other attribute.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pandas as pd

from dialkit.aws.model import MAX_ATTRIBUTES_BYTES, MAX_TTL, MIN_TTL, ApiVersion, attributes_size, constraints
from dialkit.exceptions import PlanError, PlanValidationError
from dialkit.masking import PHONE_E164, PHONE_MASKED, mask_attributes, mask_phone

if TYPE_CHECKING:  # pragma: no cover
    from dialkit.contacts import ContactSet

__all__ = [
    "CLIENT_TOKEN_ATTRIBUTE",
    "DEFAULT_RUN_ID",
    "TOKEN_PREFIX",
    "AttributeSpec",
    "Batch",
    "BatchPlan",
    "PlanBatches",
    "PlannedRequest",
    "client_token",
    "client_tokens",
    "plan_batches",
]

#: The run id used when none is given: re-planning the same list for the same
#: campaign gives the same tokens, which is the safe default.
DEFAULT_RUN_ID = "default"
_RUN_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
TOKEN_PREFIX = "dk1"
#: The reserved contact attribute that carries each request's client token (it fits the
#: model's AttributeName pattern ``[a-zA-Z0-9\-_]+``).  A contact column of this name is refused.
CLIENT_TOKEN_ATTRIBUTE = "dialkit_client_token"

AttributeSpec = Sequence[str] | Mapping[str, str] | None


def client_token(campaign_id: str, run_id: str, phone_e164: str) -> str:
    r"""The idempotency token of one dial request.

    A hash, so the token never carries the number itself, and so the same
    (campaign, run, number) always gives the same token.  It fits the model's
    ``ClientToken`` pattern ``[a-zA-Z0-9_\-.]*`` and length (47 of 200 chars).
    """
    digest = hashlib.sha256(f"{campaign_id}\x1f{run_id}\x1f{phone_e164}".encode()).hexdigest()
    return f"{TOKEN_PREFIX}-{digest[:43]}"


def client_tokens(campaign_id: str, run_id: str, phones: Iterable[str]) -> list[str]:
    """:func:`client_token` for many numbers of one campaign and run (the shared prefix is hashed once)."""
    start = hashlib.sha256(f"{campaign_id}\x1f{run_id}\x1f".encode())
    copy = start.copy
    out: list[str] = []
    append = out.append
    prefix = f"{TOKEN_PREFIX}-"
    for phone in phones:
        h = copy()
        h.update(phone.encode())
        append(prefix + h.hexdigest()[:43])
    return out


@dataclass(frozen=True, repr=False)
class PlannedRequest:
    """One dial request of a plan.  Its repr masks the number."""

    batch: int  #: 1-based batch number
    position: int  #: 1-based position inside the batch
    client_token: str
    phone_e164: str
    attributes: Mapping[str, str]
    row: int | None = None  #: the source row of the contact, when known
    #: the callee's IANA zone found from the contact's ZIP/postcode column at plan time (None: from the number);
    #: the ledger keeps it so the sender's calling window and the audit use the zone the plan used
    time_zone: str | None = None
    #: the callee's US state as ``US-FL``, from the contact's ZIP at plan time (None: from the number when
    #: needed); the ledger keeps it so the sender applies a state's rule pack to the state the plan used
    jurisdiction: str | None = None

    def __repr__(self) -> str:
        return (
            f"PlannedRequest(batch={self.batch}, position={self.position}, "
            f"client_token={self.client_token!r}, phone={mask_phone(self.phone_e164)!r}, "
            f"attributes={len(self.attributes)} keys, row={self.row})"
        )


@dataclass(frozen=True, repr=False)
class Batch:
    """Up to 25 requests that go out in one API call."""

    number: int
    requests: tuple[PlannedRequest, ...]

    def __len__(self) -> int:
        return len(self.requests)

    def __iter__(self) -> Iterator[PlannedRequest]:
        return iter(self.requests)

    def __repr__(self) -> str:
        return f"Batch(number={self.number}, requests={len(self.requests)})"


class _PlanColumns:
    """A plan's requests held column-wise: numbers, source rows and attribute values, in send order.

    Batches and their :class:`PlannedRequest` objects (and client tokens) are
    made when they are looked at, a block at a time, so a plan of ten million
    requests costs its columns, not ten million objects.  Columns are Python
    lists or pyarrow (chunked) arrays of text (a ContactSet's columns are used without a copy).
    """

    __slots__ = ("campaign_id", "run_id", "size", "phones", "rows", "attrs", "token_attribute", "n", "zones", "states")

    def __init__(
        self,
        campaign_id: str,
        run_id: str,
        size: int,
        phones: Any,
        rows: Any,
        attrs: dict[str, Any],
        token_attribute: str | None = None,
        zones: list[str | None] | None = None,
        states: list[str | None] | None = None,
    ) -> None:
        self.campaign_id = campaign_id
        self.states = states  #: per request, ``US-XX`` from its ZIP (None: none found); None when no ZIP placed anyone
        self.zones = zones  #: per request, the zone from its ZIP (None: none found); None when no ZIP placed anyone
        self.token_attribute = token_attribute  #: also send each request's token under this attribute name
        self.run_id = run_id
        self.size = size
        self.phones = phones
        self.rows = rows
        self.attrs = attrs
        self.n = len(phones)

    @staticmethod
    def _texts(col: Any, start: int, stop: int) -> list[str]:
        if isinstance(col, list):
            return col[start:stop]
        texts: list[str] = col.slice(start, stop - start).to_pylist()  # a pyarrow string array without nulls
        return texts

    def requests(self, start: int, stop: int) -> list[PlannedRequest]:
        """Requests ``start``..``stop - 1`` (0-based, in send order)."""
        stop = min(stop, self.n)
        if start >= stop:
            return []
        phones = self._texts(self.phones, start, stop)
        tokens = client_tokens(self.campaign_id, self.run_id, phones)
        rows = self.rows[start:stop] if isinstance(self.rows, list) else self.rows[start:stop].tolist()
        attrs = {
            name: [_as_text(v) for v in self._texts(col, start, stop)] if not isinstance(col, list) else col[start:stop]
            for name, col in self.attrs.items()
        }
        names = list(attrs)
        token_name = self.token_attribute
        size = self.size
        zones = self.zones[start:stop] if self.zones is not None else None
        states = self.states[start:stop] if self.states is not None else None
        out: list[PlannedRequest] = []
        append = out.append
        for k, phone in enumerate(phones):
            i = start + k
            attributes = {name: attrs[name][k] for name in names} if names else {}
            if token_name is not None:
                attributes[token_name] = tokens[k]
            # fields in order: batch, position, client_token, phone_e164, attributes, row
            append(
                PlannedRequest(
                    i // size + 1,
                    i % size + 1,
                    tokens[k],
                    phone,
                    attributes,
                    rows[k],
                    zones[k] if zones is not None else None,
                    states[k] if states is not None else None,
                )
            )
        return out

    def batch(self, number: int) -> Batch:
        """Batch ``number`` (1-based)."""
        start = (number - 1) * self.size
        return Batch(number, tuple(self.requests(start, start + self.size)))


class PlanBatches(Sequence[Batch]):
    """The batches of a :class:`BatchPlan`: a read-only sequence that makes each batch when it is looked at.

    Indexing, slicing, ``len``, iteration and comparison with a tuple work as
    on the tuple of batches it stands for.  Iterating makes batches a block
    at a time (tokens are hashed per block), so going through a big plan once
    is cheap in memory.
    """

    _BLOCK = 2048  # batches made per step when iterating

    def __init__(self, columns: _PlanColumns) -> None:
        self._columns = columns
        self._count = -(-columns.n // columns.size) if columns.n else 0

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._columns.batch(k + 1) for k in range(*index.indices(self._count)))
        k = index.__index__()
        if k < 0:
            k += self._count
        if not 0 <= k < self._count:
            raise IndexError("batch index out of range")
        return self._columns.batch(k + 1)

    def __iter__(self) -> Iterator[Batch]:
        cols, size = self._columns, self._columns.size
        for first in range(0, self._count, self._BLOCK):
            last = min(first + self._BLOCK, self._count)
            requests = cols.requests(first * size, last * size)
            for k in range(last - first):
                yield Batch(first + k + 1, tuple(requests[k * size : (k + 1) * size]))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlanBatches):
            other = tuple(other)
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PlanBatches({self._count} batches)"


@dataclass(frozen=True, repr=False)
class BatchPlan:
    """Batches of dial requests for one campaign and run, ready to send.

    Make one with :func:`plan_batches`.  ``validate()`` lists every API
    constraint the plan breaks; the sender refuses a plan that breaks any.
    """

    campaign_id: str
    run_id: str
    ttl: timedelta
    api: str
    batches: Sequence[Batch]  #: a :class:`PlanBatches` (batches are made when looked at)
    attribute_map: Mapping[str, str] = field(default_factory=dict)
    #: The attribute name carrying each request's client token, or None when not sent.
    token_attribute: str | None = None

    # -- views -------------------------------------------------------------
    @property
    def requests(self) -> list[PlannedRequest]:
        """Every request, in send order."""
        if isinstance(self.batches, PlanBatches):
            return self.batches._columns.requests(0, self.batches._columns.n)
        return [r for b in self.batches for r in b.requests]

    def client_tokens(self) -> list[str]:
        """Every request's client token, in send order (without making the request objects)."""
        if isinstance(self.batches, PlanBatches):
            cols = self.batches._columns
            return client_tokens(self.campaign_id, self.run_id, cols._texts(cols.phones, 0, cols.n))
        return [r.client_token for r in self.requests]

    def __len__(self) -> int:
        if isinstance(self.batches, PlanBatches):
            return self.batches._columns.n
        return sum(len(b) for b in self.batches)

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)

    def __repr__(self) -> str:
        return (
            f"BatchPlan(campaign_id={self.campaign_id!r}, run_id={self.run_id!r}, api={self.api!r}, "
            f"requests={len(self)}, batches={len(self.batches)}, ttl={self.ttl})"
        )

    def expiration_time(self, now: datetime) -> datetime:
        """The absolute expiry for a batch sent at ``now``: timezone-aware UTC ``now + ttl``."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return (now + self.ttl).astimezone(timezone.utc)

    def to_frame(self, *, masked: bool = False) -> pd.DataFrame:
        """One row per request: batch, position, client_token, the phone, row, attributes, code, detail.

        The phone column is ``phone_e164`` (the number, E.164), or with
        ``masked=True`` ``phone_masked`` (its masked form; phone-like text inside
        attribute values is masked too): for display and sharing.  ``code`` and
        ``detail`` hold this request's problems from :meth:`validate` (codes and
        ``field: detail`` sentences joined by ``"; "``, ``""`` when it has none).
        """
        codes: dict[tuple[int, int], list[str]] = {}
        details: dict[tuple[int, int], list[str]] = {}
        v: Any  # one problem row: batch and position are ints (position NaN for a whole batch), code and detail text
        for v in self.validate().itertuples(index=False):
            if not pd.isna(v.position):
                key = (int(v.batch), int(v.position))
                if v.code not in codes.setdefault(key, []):
                    codes[key].append(v.code)
                details.setdefault(key, []).append(f"{v.field}: {v.detail}")
        phone = PHONE_MASKED if masked else PHONE_E164
        rows = []
        for r in self.requests:
            rows.append(
                {
                    "batch": r.batch,
                    "position": r.position,
                    "client_token": r.client_token,
                    phone: mask_phone(r.phone_e164) if masked else r.phone_e164,
                    "row": r.row,
                    "attributes": mask_attributes(r.attributes) if masked else dict(r.attributes),
                    "code": "; ".join(codes.get((r.batch, r.position), [])),
                    "detail": "; ".join(details.get((r.batch, r.position), [])),
                }
            )
        columns = ["batch", "position", "client_token", phone, "row", "attributes", "code", "detail"]
        frame = pd.DataFrame(rows, columns=columns)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def summary(self) -> dict[str, Any]:
        """JSON-able counts: requests, batches, largest batch, ttl seconds, and the plan's problems.

        ``problems`` counts distinct problems (:meth:`problems`: one bad attribute
        name is one problem however many requests carry it) and
        ``requests_with_problems`` the requests that have at least one.
        """
        problems = self.validate()
        groups = group_problems(problems)
        return {
            "campaign_id": self.campaign_id,
            "run_id": self.run_id,
            "api": self.api,
            "requests": len(self),
            "batches": len(self.batches),
            "largest_batch": max((len(b) for b in self.batches), default=0),
            "ttl_seconds": int(self.ttl.total_seconds()),
            "problems": int(len(groups)),
            "requests_with_problems": _requests_with_problems(problems),
        }

    # -- validation --------------------------------------------------------
    def validate(self) -> pd.DataFrame:  # noqa: C901, PLR0912
        """Every API constraint the plan breaks, all at once: one row per request and problem.

        Returns a DataFrame with columns ``batch, position, client_token, field,
        code, detail`` (empty when the plan is good).  ``code`` is a short
        snake_case name (:data:`PROBLEM_CODES`) to group on; ``detail`` says
        what is wrong and what to do.  Plan-wide problems (campaign id, ttl, a
        batch's size) have no position.  Rules come from the service model that
        botocore ships, plus the documented 30 s – 15 min expiry window and the
        documented 32,768 UTF-8 bytes across all attributes of one contact
        (every key plus every value, the client-token attribute included).
        Messages never contain a phone number.  :meth:`problems` groups them.
        """
        c = constraints(self.api)
        out: list[dict[str, Any]] = []

        def add(req: PlannedRequest | None, fld: str, code: str, detail: str, batch: int | None = None) -> None:
            out.append(
                {
                    "batch": req.batch if req else batch,
                    "position": req.position if req else None,
                    "client_token": req.client_token if req else "",
                    "field": fld,
                    "code": code,
                    "detail": detail,
                }
            )

        for p in c.campaign_id.violations(self.campaign_id, label="campaign_id"):
            add(None, "campaign_id", "campaign_id_invalid", p)
        if not self.campaign_id:
            add(None, "campaign_id", "campaign_id_empty", "campaign_id must not be empty")
        if not (MIN_TTL <= self.ttl <= MAX_TTL):
            add(None, "ttl", "ttl_out_of_range", f"ttl {self.ttl} is outside the service window {MIN_TTL} – {MAX_TTL}")
        seen: dict[str, PlannedRequest] = {}
        for b in self.batches:
            if not (c.min_batch <= len(b) <= c.max_batch):
                add(
                    None,
                    "batch",
                    "batch_size",
                    f"batch has {len(b)} requests; the API takes {c.min_batch}–{c.max_batch}",
                    b.number,
                )
            for r in b.requests:
                for p in c.client_token.violations(r.client_token, label="client_token"):
                    add(r, "client_token", "client_token_invalid", p)
                if r.client_token in seen and seen[r.client_token].phone_e164 != r.phone_e164:
                    first = seen[r.client_token]
                    add(
                        r,
                        "client_token",
                        "duplicate_client_token",
                        f"the client token of batch {first.batch} position {first.position}, on a different "
                        "number: the service would answer this request with the first one's id and never dial it",
                    )
                elif r.client_token in seen:
                    first = seen[r.client_token]
                    add(
                        r,
                        "client_token",
                        "duplicate_number",
                        f"duplicate of batch {first.batch} position "
                        f"{first.position} (same number twice: the service would not dial it a second time)",
                    )
                else:
                    seen[r.client_token] = r
                for p in c.phone_number.violations(r.phone_e164, label="phone_e164"):
                    add(r, "phone_e164", "phone_invalid", p)
                if not r.phone_e164:
                    add(r, "phone_e164", "phone_empty", "phone_e164 is empty")
                for key, value in r.attributes.items():
                    for p in c.attribute_key.violations(key, label=f"attribute name {key[:40]!r}"):
                        add(r, "attributes", "attribute_name_invalid", p)
                    for p in c.attribute_value.violations(value, label=f"attribute {key[:40]!r} value"):
                        add(r, "attributes", "attribute_value_invalid", p)
                size = attributes_size(r.attributes)
                if size > MAX_ATTRIBUTES_BYTES:
                    add(
                        r,
                        "attributes",
                        "attributes_too_large",
                        f"attributes total {size:,} UTF-8 bytes (keys and "
                        f"values); Amazon Connect allows at most {MAX_ATTRIBUTES_BYTES:,} per contact: send fewer "
                        "or shorter attributes",
                    )
        frame = pd.DataFrame(out, columns=["batch", "position", "client_token", "field", "code", "detail"])
        for col in ("batch", "position"):
            frame[col] = frame[col].astype("Int64")
        return frame

    def problems(self) -> pd.DataFrame:
        """The plan's problems grouped: one row per distinct problem, with how many requests it is on.

        One bad attribute name on 2,715 requests is one problem on 2,715
        requests.  See :func:`group_problems` for the columns.
        """
        return group_problems(self.validate())

    def raise_for_problems(self) -> None:
        """Raise :class:`PlanValidationError` (carrying :meth:`validate`'s rows) if the plan breaks any rule."""
        v = self.validate()
        if len(v):
            first = v.drop_duplicates(subset=["code", "field"])  # one example of each kind, as the request has it
            head = "; ".join(f"{r.code}: {r.detail}" for r in first.head(3).itertuples(index=False))
            raise PlanValidationError(
                f"the plan breaks API constraints: {describe_problems(v)}, e.g. {head}. "
                "See plan.problems() (grouped) or plan.validate() (per request); fix the data or the attribute "
                "choice and plan again.",
                problems=v,
            )

    def raise_for_violations(self) -> None:
        """Deprecated name of :meth:`raise_for_problems` (kept for one release)."""
        warnings.warn(
            "BatchPlan.raise_for_violations() is deprecated: use raise_for_problems()", DeprecationWarning, stacklevel=2
        )
        self.raise_for_problems()

    def fingerprint(self) -> str:
        """A short hash of the plan's tokens in order: tells whether two plans are the same."""
        h = hashlib.sha256(json.dumps(self.client_tokens()).encode())
        return h.hexdigest()[:16]


#: The ``code`` of every problem :meth:`BatchPlan.validate` can report.
PROBLEM_CODES: tuple[str, ...] = (
    "campaign_id_invalid",
    "campaign_id_empty",
    "ttl_out_of_range",
    "batch_size",
    "client_token_invalid",
    "duplicate_number",
    "duplicate_client_token",
    "phone_invalid",
    "phone_empty",
    "attribute_name_invalid",
    "attribute_value_invalid",
    "attributes_too_large",
)

#: Problems whose per-request detail names the request itself (a size, the first duplicate): grouped by code,
#: with this detail instead.
_GROUP_DETAIL = {
    "duplicate_number": "the same number more than once (same client token): the service would not dial it a "
    "second time; keep one row per number",
    "duplicate_client_token": "one client token on two different numbers: the service answers the second "
    "request with the first one's id and never dials it; give every request its own token",
    "attributes_too_large": f"attributes total more than {MAX_ATTRIBUTES_BYTES:,} UTF-8 bytes (keys and values) per "
    "contact: send fewer or shorter attributes",
}


def group_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Rows of :meth:`BatchPlan.validate` grouped into distinct problems, largest first.

    Columns: ``code, field, detail, requests`` (requests with this problem; 0
    for a plan-wide one), ``first_batch`` and ``first_position`` (where it first
    occurs).  Rows with the same code, field and detail are one problem.
    """
    columns = ["code", "field", "detail", "requests", "first_batch", "first_position"]
    if problems.empty:
        return pd.DataFrame(columns=columns)
    frame = problems.copy()
    frame["detail"] = [_GROUP_DETAIL.get(c, d) for c, d in zip(frame["code"], frame["detail"])]
    frame["_request"] = _request_keys(frame)  # a duplicate shares its first's token: count places, not tokens
    keys = ["code", "field", "detail"]
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        requests=("_request", lambda t: int(t.dropna().nunique())),
        first_batch=("batch", "first"),
        first_position=("position", "first"),
    ).reset_index()
    out = out.sort_values("requests", ascending=False, kind="stable").reset_index(drop=True)
    for col in ("first_batch", "first_position"):
        out[col] = out[col].astype("Int64")
    out["requests"] = out["requests"].astype("int64")
    return out[columns]


def _request_keys(problems: pd.DataFrame) -> pd.Series:
    """``"batch/position"`` of each row about a request; NA for a plan-wide one."""
    keys = problems["batch"].astype("string") + "/" + problems["position"].astype("string")
    return keys.where(problems["position"].notna())


def _requests_with_problems(problems: pd.DataFrame) -> int:
    return int(_request_keys(problems).dropna().nunique()) if len(problems) else 0


def describe_problems(problems: pd.DataFrame) -> str:
    """``"1 problem on 2,715 requests"`` for :meth:`BatchPlan.validate`'s rows (``"no problems"`` when empty).

    Problems that concern the plan as a whole (campaign id, ttl, a batch's size) are counted as
    ``plan-wide``: ``"2 problems on 40 requests (1 plan-wide)"``.
    """
    if problems.empty:
        return "no problems"
    groups = group_problems(problems)
    n = len(groups)
    requests = _requests_with_problems(problems)
    plan_wide = int((groups["requests"] == 0).sum())
    text = f"{n:,} problem{'' if n == 1 else 's'}"
    if requests:
        text += f" on {requests:,} request{'' if requests == 1 else 's'}"
        if plan_wide:
            text += f" ({plan_wide:,} plan-wide)"
    else:
        text += " (plan-wide)"
    return text


def _attribute_map(attributes: AttributeSpec, columns: Sequence[str]) -> dict[str, str]:
    """Normalise the attribute choice to ``{attribute_name: column}``."""
    if attributes is None:
        return {}
    if isinstance(attributes, str):
        attributes = [attributes]
    if isinstance(attributes, Mapping):
        mapping = {str(k): str(v) for k, v in attributes.items()}
    else:
        mapping = {str(col): str(col) for col in attributes}
    if CLIENT_TOKEN_ATTRIBUTE in mapping:
        raise PlanError(
            f"attribute name {CLIENT_TOKEN_ATTRIBUTE!r} is reserved: dialkit sends each request's client token under "
            "it so contact records join back to the ledger; map that column to another name, e.g. "
            f"attributes={{'my_token': {mapping[CLIENT_TOKEN_ATTRIBUTE]!r}}}"
        )
    missing = [col for col in mapping.values() if col not in columns]
    if missing:
        raise PlanError(
            f"attribute column(s) {missing} are not in the contacts; available columns: {list(columns)}. "
            "Pass attributes= as a list of column names or a {attribute_name: column} mapping."
        )
    return mapping


def _as_text(value: Any) -> str:
    """An attribute value as the API wants it: a string; missing values become ''."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _accepted_frame(contacts: Any) -> pd.DataFrame:
    frame = getattr(contacts, "accepted", contacts)
    if not isinstance(frame, pd.DataFrame):
        raise PlanError("contacts must be a ContactSet (from load_contacts) or a DataFrame with a phone_e164 column")
    if "phone_e164" not in frame.columns:
        raise PlanError(
            "contacts have no phone_e164 column: pass the result of dialkit.load_contacts(...) "
            "(or its .accepted DataFrame), not the raw spreadsheet"
        )
    return frame


def plan_batches(
    contacts: ContactSet | pd.DataFrame,
    campaign_id: str,
    *,
    attributes: AttributeSpec = None,
    ttl: timedelta = timedelta(minutes=10),
    run_id: str | None = None,
    api: ApiVersion = "v1",
    batch_size: int | None = None,
    token_attribute: bool = True,
    postcode_column: str | bool = True,
) -> BatchPlan:
    """Cut accepted contacts into batches of dial requests, in input order.

    Pure: no network and no clock (the sender stamps each request's expiry when it goes out).

    Args:
        contacts: A :class:`~dialkit.ContactSet` (its ``accepted`` rows) or a frame with ``phone_e164``.
        campaign_id: The campaign's id (Connect console or ``ListCampaigns``).
        attributes: Contact columns to send as contact attributes: a list of column names (the name is
            the attribute name) or a mapping ``{attribute_name: column}``; values are sent as text
            ('' when missing).
        ttl: How long each request may wait to be dialed, within the service's 30 s – 15 min.
        run_id: Goes into every client token (default ``"default"``): the same campaign, run id and
            number always give the same token; a new run id dials the same people again on purpose.
        api: ``"v1"`` (``connectcampaigns``) or ``"v2"`` (``connectcampaignsv2``).
        batch_size: Requests per call; default the API maximum (25).
        token_attribute: Also send each client token as the reserved contact attribute
            :data:`CLIENT_TOKEN_ATTRIBUTE`, so contact records join back to the ledger by token.
        postcode_column: A ZIP/postcode column name, True to find one by name (``zip``, ...), False for
            none; where a US ZIP places a callee, its zone goes into the request and the ledger.

    Returns:
        A :class:`BatchPlan`; its per-request problems (attribute names or values the API forbids,
        over-long numbers) are in :meth:`BatchPlan.validate` / :meth:`BatchPlan.problems`.

    Raises:
        PlanError: A bad ``ttl``, ``campaign_id``, ``run_id``, ``batch_size`` or attribute column
            (unknown, or mapped to the reserved token attribute).
    """
    c = constraints(api)
    if not isinstance(campaign_id, str) or not campaign_id:
        raise PlanError(
            "campaign_id must be a non-empty string (the campaign's id from the Connect console or ListCampaigns)"
        )
    problems = c.campaign_id.violations(campaign_id, label="campaign_id")
    if problems:
        raise PlanError(f"campaign id is not valid for the {c.service_name} API: {'; '.join(problems)}")
    if not isinstance(ttl, timedelta):
        raise PlanError(f"ttl must be a datetime.timedelta, not {type(ttl).__name__}")
    if not (MIN_TTL <= ttl <= MAX_TTL):
        raise PlanError(
            f"ttl {ttl} is outside the service's window: a dial request must expire between "
            f"{int(MIN_TTL.total_seconds())} s and {int(MAX_TTL.total_seconds() // 60)} min after it is sent"
        )
    run = DEFAULT_RUN_ID if run_id is None else run_id
    if not isinstance(run, str) or not _RUN_ID.fullmatch(run):
        raise PlanError("run_id must be 1–64 characters of letters, digits, '_', '-' or '.'")
    size = c.max_batch if batch_size is None else batch_size
    if not isinstance(size, int) or not (c.min_batch <= size <= c.max_batch):
        raise PlanError(f"batch_size must be between {c.min_batch} and {c.max_batch} (the API's limit)")

    frame = _accepted_frame(contacts)
    mapping = _attribute_map(attributes, list(frame.columns))
    phones = _text_column(frame["phone_e164"])
    rows = _row_column(frame["row"]) if "row" in frame.columns else [None] * len(frame)
    attrs = {name: _text_column(frame[col]) for name, col in mapping.items()}
    token_name = CLIENT_TOKEN_ATTRIBUTE if token_attribute else None
    zones, states = _postcode_places(frame, postcode_column)
    columns = _PlanColumns(campaign_id, run, size, phones, rows, attrs, token_name, zones, states)
    return BatchPlan(
        campaign_id=campaign_id,
        run_id=run,
        ttl=ttl,
        api=api,
        batches=PlanBatches(columns),
        attribute_map=mapping,
        token_attribute=token_name,
    )


def _postcode_places(
    frame: pd.DataFrame, postcode_column: str | bool
) -> tuple[list[str | None] | None, list[str | None] | None]:
    """Each row's zone and ``US-XX`` state from its ZIP (None where the ZIP places nobody).

    Each list is None when no row has one.
    """
    zones = _postcode_zones(frame, postcode_column)
    if zones is None:
        return None, None
    from dialkit._util.zones import find_postcode_column, states_for_postcodes

    column = find_postcode_column(frame.columns) if postcode_column is True else str(postcode_column)
    states = states_for_postcodes(frame[column], frame["region"] if "region" in frame.columns else None)
    found = [f"US-{s}" if isinstance(s, str) and s else None for s in states.tolist()]
    return zones, (found if any(found) else None)


def _postcode_zones(frame: pd.DataFrame, postcode_column: str | bool) -> list[str | None] | None:
    """Each row's zone from its ZIP (None where the ZIP places nobody), or None when no row has one."""
    from dialkit._util.zones import find_postcode_column, time_zones_for_postcodes

    if postcode_column is True:
        column = find_postcode_column(frame.columns)
    elif postcode_column:
        column = str(postcode_column)
        if column not in frame.columns:
            raise PlanError(f"the postcode column {column!r} is not among the contact columns")
    else:
        column = None
    if column is None or not len(frame):
        return None
    zones = time_zones_for_postcodes(frame[column], frame["region"] if "region" in frame.columns else None)
    if not zones.notna().any():
        return None
    return [z if isinstance(z, str) else None for z in zones.tolist()]


def _text_column(series: pd.Series) -> Any:
    """A column as the API wants its values (text, '' when missing).

    The pyarrow string array (or chunked array) behind it when it already is one without gaps (no copy:
    a 10M-row column is not held twice), else a list of :func:`_as_text` values.
    """
    values = series.array
    if isinstance(values, pd.arrays.ArrowStringArray):
        arr = values.__arrow_array__()
        if arr.null_count == 0:
            return arr
    return [_as_text(v) for v in series.tolist()]


def _row_column(series: pd.Series) -> Any:
    """Source row numbers: an int64 numpy array when there are no gaps, else a list of int or None."""
    if series.dtype == "int64":
        return series.to_numpy()
    return [None if r is None or pd.isna(r) else int(r) for r in series.tolist()]
