"""Validation of request members against botocore's service model.

The emulator checks what the service checks at its front door: required members,
types, list sizes, string lengths and patterns, enums, number ranges, unions and
timestamps, all read from the shapes botocore ships.  String constraints become
:class:`dialkit.aws.model.StringRule` objects, so the emulator words a violation the
same way as the rest of dialkit and never repeats the offending value (it may be
a phone number).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from dialkit.aws.model import StringRule

#: ISO-8601 date-time as botocore sends it (``2026-11-27T07:00:00Z``), with optional
#: fractional seconds and an optional offset.  A missing offset means UTC, as in botocore.
_ISO8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)

#: At most this many violations are spelled out in one ValidationException message.
_MAX_REPORTED = 10


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime; ValueError if it is not one."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    match = _ISO8601.fullmatch(value.strip())
    if match is None:
        raise ValueError("not an ISO-8601 date-time")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(offset if sign == "+" else -offset)
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    return moment.astimezone(timezone.utc)


@cache
def _string_rule(name: str, min_length: int, max_length: int | None, pattern: str | None) -> StringRule:
    return StringRule(shape=name, min_length=min_length, max_length=max_length, pattern=pattern)


def string_rule(shape: Shape) -> StringRule:
    """The :class:`StringRule` of a botocore string shape (length and pattern from its metadata)."""
    meta = shape.metadata
    return _string_rule(
        shape.name,
        int(meta.get("min", 0)),
        int(meta["max"]) if "max" in meta else None,
        meta.get("pattern"),
    )


def validate(shape: Shape, value: Any, label: str, problems: list[str]) -> None:  # noqa: C901, PLR0912
    """Append to ``problems`` every way ``value`` breaks ``shape`` (``label`` names it in messages)."""
    if value is None:
        return  # absent optional member; required ones are checked by the parent structure
    kind = shape.type_name
    if isinstance(shape, StructureShape):  # botocore builds each shape type as its class
        _validate_structure(shape, value, label, problems)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(f"{label} must be a list")
            return
        meta = shape.metadata
        if "min" in meta and len(value) < int(meta["min"]):
            problems.append(f"{label} has {len(value)} items; the API needs at least {meta['min']}")
        if "max" in meta and len(value) > int(meta["max"]):
            problems.append(f"{label} has {len(value)} items; the API allows at most {meta['max']}")
        for index, item in enumerate(value):
            if item is None:
                problems.append(f"{label}[{index}] must not be null")
            else:
                validate(shape.member, item, f"{label}[{index}]", problems)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            problems.append(f"{label} must be an object (map)")
            return
        for key, item in value.items():
            problems.extend(string_rule(shape.key).violations(key, label=f"a key of {label}"))
            if item is None:
                problems.append(f"a value of {label} is null")
            else:
                validate(shape.value, item, f"a value of {label}", problems)
    elif isinstance(shape, StringShape):
        if shape.enum:
            if value not in shape.enum:
                problems.append(f"{label} must be one of {', '.join(shape.enum)}")
            return
        problems.extend(string_rule(shape).violations(value, label=label))
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{label} must be an integer")
            return
        _check_range(shape, value, label, problems)
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{label} must be a number")
            return
        _check_range(shape, value, label, problems)
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{label} must be true or false")
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if fmt != "iso8601" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        try:
            parse_timestamp(value)
        except ValueError:
            problems.append(f"{label} is not an ISO-8601 timestamp (e.g. 2026-11-27T07:00:00Z)")
    # blobs and documents: accepted as they come


def _validate_structure(shape: StructureShape, value: Any, label: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{label} must be an object")
        return
    prefix = f"{label}." if label else ""
    for name in shape.required_members:
        member = shape.members[name]
        if member.serialization.get("location"):
            continue  # uri/header/query members are checked by the router
        if value.get(name) is None:
            problems.append(f"{prefix}{name} is required")
    present = [name for name, item in value.items() if item is not None and name in shape.members]
    if shape.metadata.get("union") and len(present) != 1:
        options = ", ".join(shape.members)
        problems.append(f"{label or 'the request'} must set exactly one of {options}")
    for name in present:
        member = shape.members[name]
        if member.serialization.get("location"):
            continue
        validate(member, value[name], f"{prefix}{name}", problems)


def _check_range(shape: Shape, value: float, label: str, problems: list[str]) -> None:
    meta = shape.metadata
    if "min" in meta and value < meta["min"]:
        problems.append(f"{label} must be at least {meta['min']}")
    if "max" in meta and value > meta["max"]:
        problems.append(f"{label} must be at most {meta['max']}")


def validate_body(shape: Shape | None, body: Any) -> list[str]:
    """Every violation of an operation's input ``shape`` by the JSON ``body`` (path members excluded)."""
    problems: list[str] = []
    if shape is None:
        return problems
    validate(shape, body if body is not None else {}, "", problems)
    return problems


def summarize(problems: list[str]) -> str:
    """One ValidationException message out of a list of violations, AWS style."""
    count = len(problems)
    shown = problems[:_MAX_REPORTED]
    more = f"; and {count - len(shown)} more" if count > len(shown) else ""
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(shown) + more
