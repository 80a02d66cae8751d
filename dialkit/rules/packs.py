"""Rule packs: the calling rules of a jurisdiction, each rule with the statute or regulator page it comes from.

Why: the campaign rules (:class:`dialkit.rules.CampaignRules`) hold one calling
window and one cap for everyone, while the law that applies depends on where
the callee is: US federal rules allow 8:00-21:00 callee local time, Florida and
Oklahoma end at 20:00 and allow at most 3 calls per 24 hours per person on the
same subject; debt collectors are held to Regulation F's 7 calls in 7 days; UK
guidance forbids redialing within 72 hours a number whose call was abandoned
with answering-machine detection.  A pack bundles such rules; ``--rule-pack us``
(repeatable) adds them to the flags given, and for every callee the strictest
rule that applies wins (calling windows intersect, every cap must hold).

**This is not legal advice.**  Packs are a starting point written from public
sources; laws change, and which rules bind a campaign depends on its purpose
(telemarketing, debt collection, informational), on consent and on exemptions
this code does not know.  Have every pack reviewed by counsel before relying on
it; ``docs/compliance.md`` lists the sources.

Where a callee is (:func:`jurisdictions`): for US numbers, the state of the
ZIP in the contact's ZIP/postcode column where there is one, else the state
libphonenumber's geocoder gives for the number's area code.  A number keeps its
area code when its owner moves (number portability), so a number-only state is
where the number was issued, not necessarily where the person lives: give a ZIP
column where the list has addresses (the moved-number caveat).  Outside the US
the jurisdiction is the number's country (ISO 3166 alpha-2, ``GB``).

Pure: data in, data out; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import pandas as pd
import phonenumbers
from phonenumbers import geocoder

from dialkit._util.zones import find_postcode_column, states_for_postcodes
from dialkit.exceptions import RulesError
from dialkit.rules._values import CallingHours, FrequencyCap

__all__ = [
    "PACKS",
    "RULE_KINDS",
    "US_STATES",
    "PackRule",
    "RulePack",
    "jurisdictions",
    "rule_pack",
    "rule_packs",
]

#: What a rule constrains: a calling window, a cap per person, a pause after an abandoned call, an abandonment rate.
RULE_KINDS: tuple[str, ...] = ("calling_hours", "frequency_cap", "no_redial_after_abandoned", "abandonment")

#: US state and territory names as libphonenumber's geocoder writes them, with their USPS codes.
US_STATES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Washington D.C.": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip
_STATE_CODES = frozenset(US_STATES.values())


@dataclass(frozen=True)
class PackRule:
    """One rule of a pack.

    ``rule_id``: a stable name (``us-fl-hours``).  ``kind``: one of
    :data:`RULE_KINDS`.  ``scope``: where it applies, a country (``US``,
    ``GB``) or a US state as ``US-FL``.  ``source``: the statute or regulator
    page (shown in ``dialkit compliance`` output and in rejection details).
    ``calling_hours`` (kind ``calling_hours``), ``cap`` (``frequency_cap``: at
    most N per number in any D days), ``pause`` (``no_redial_after_abandoned``),
    ``threshold`` and ``window`` (``abandonment``: the largest abandoned share
    of live-answered calls, per campaign, over a rolling window).  ``note``:
    what the code does not check of the rule.
    """

    rule_id: str
    kind: str
    scope: str
    source: str
    calling_hours: CallingHours | None = None
    cap: FrequencyCap | None = None
    pause: timedelta | None = None
    threshold: float | None = None
    window: timedelta | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise RulesError(f"rule {self.rule_id}: kind {self.kind!r} is not one of {', '.join(RULE_KINDS)}")
        needs = {
            "calling_hours": self.calling_hours,
            "frequency_cap": self.cap,
            "no_redial_after_abandoned": self.pause,
            "abandonment": self.threshold if self.window is not None else None,
        }[self.kind]
        if needs is None:
            raise RulesError(f"rule {self.rule_id} ({self.kind}) is missing its setting")
        if not self.source.strip():
            raise RulesError(f"rule {self.rule_id} has no source: every pack rule cites where it comes from")

    def applies_to(self, jurisdiction: str, region: str) -> bool:
        """Whether the rule covers a callee in ``jurisdiction`` (``US-FL``) of country ``region`` (``US``)."""
        return self.scope == jurisdiction or self.scope == region

    def setting(self) -> str:
        """The rule's setting in words (``08:00-20:00``, ``3 per number in any 1 day`` ...)."""
        if self.kind == "calling_hours":
            return f"calls {self.calling_hours} callee local time"
        if self.kind == "frequency_cap":
            assert self.cap is not None
            span = "24 hours" if self.cap.days == 1 else f"{self.cap.days} days"
            return f"at most {self.cap.max_requests} calls per person in any {span}"
        if self.kind == "no_redial_after_abandoned":
            assert self.pause is not None
            return f"no call to a number within {self.pause.total_seconds() / 3600:g} hours after an abandoned call"
        assert self.threshold is not None and self.window is not None
        return (
            f"abandoned calls at most {self.threshold:.0%} of live-answered calls per campaign over "
            f"{_span(self.window)}"
        )

    def describe(self) -> dict[str, Any]:
        """JSON-able: id, kind, scope, setting, source, note."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "scope": self.scope,
            "setting": self.setting(),
            "source": self.source,
            "note": self.note,
        }


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} hours" if hours < 48 else f"{hours / 24:g} days"


@dataclass(frozen=True)
class RulePack:
    """A named set of :class:`PackRule` (``us``, ``us-debt-collection``, ``uk``), with its caveats."""

    name: str
    title: str
    rules: tuple[PackRule, ...]
    caveats: tuple[str, ...] = field(default_factory=tuple)

    def of_kind(self, kind: str) -> tuple[PackRule, ...]:
        """The pack's rules of one kind."""
        return tuple(r for r in self.rules if r.kind == kind)

    def describe(self) -> dict[str, Any]:
        """JSON-able: name, title, rules (with sources), caveats."""
        return {
            "name": self.name,
            "title": self.title,
            "rules": [r.describe() for r in self.rules],
            "caveats": list(self.caveats),
        }


_MOVED = (
    "a callee's state comes from the ZIP column where there is one, else from the number's area code; a "
    "number keeps its area code when its owner moves, so without a ZIP a person who moved into Florida or "
    "Oklahoma with an out-of-state number is judged by the other state's (or only the federal) rules"
)
_NOT_ADVICE = "not legal advice: review this pack with counsel before relying on it"

_US_FEDERAL_HOURS = PackRule(
    "us-federal-hours",
    "calling_hours",
    "US",
    "16 CFR 310.4(c) (FTC Telemarketing Sales Rule); 47 CFR 64.1200(c)(1) (FCC, TCPA rules)",
    calling_hours=CallingHours.parse("08:00-21:00"),
)
_US_ABANDONMENT = PackRule(
    "us-abandonment-30d",
    "abandonment",
    "US",
    "16 CFR 310.4(b)(4)(i) (FTC Telemarketing Sales Rule, call abandonment safe harbor); 47 CFR 64.1200(a)(7)(i) (FCC)",
    threshold=0.03,
    window=timedelta(days=30),
    note="a call is abandoned when the person is not connected to a representative within 2 seconds of their "
    "completed greeting; the safe harbor also requires a recorded message on every abandoned call, which "
    "this code cannot see",
)
PACKS: dict[str, RulePack] = {
    "us": RulePack(
        "us",
        "US telemarketing: federal calling hours and abandonment, Florida and Oklahoma state rules",
        (
            _US_FEDERAL_HOURS,
            PackRule(
                "us-fl-hours",
                "calling_hours",
                "US-FL",
                "Fla. Stat. 501.616(6)(a) (Florida Telephone Solicitation Act, as amended by ch. 2021-173)",
                calling_hours=CallingHours.parse("08:00-20:00"),
            ),
            PackRule(
                "us-fl-3-per-24h",
                "frequency_cap",
                "US-FL",
                "Fla. Stat. 501.616(6)(b) (Florida Telephone Solicitation Act, as amended by ch. 2021-173)",
                cap=FrequencyCap(3, 1),
                note="the statute counts calls on the same subject matter; dialkit counts every dial request to "
                "the number in the ledgers given (--history), which is stricter",
            ),
            PackRule(
                "us-ok-hours",
                "calling_hours",
                "US-OK",
                "Okla. Stat. tit. 15, 775C.4 (Oklahoma Telephone Solicitation Act of 2022)",
                calling_hours=CallingHours.parse("08:00-20:00"),
            ),
            PackRule(
                "us-ok-3-per-24h",
                "frequency_cap",
                "US-OK",
                "Okla. Stat. tit. 15, 775C.4 (Oklahoma Telephone Solicitation Act of 2022)",
                cap=FrequencyCap(3, 1),
                note="the statute counts calls on the same subject matter; dialkit counts every dial request, "
                "which is stricter",
            ),
            _US_ABANDONMENT,
        ),
        (_NOT_ADVICE, _MOVED, "other states' telephone solicitation acts are not in this pack"),
    ),
    "us-debt-collection": RulePack(
        "us-debt-collection",
        "US debt collection (CFPB Regulation F): inconvenient hours and the 7-in-7 call frequency presumption",
        (
            PackRule(
                "reg-f-hours",
                "calling_hours",
                "US",
                "12 CFR 1006.6(b)(1)(i) (Regulation F: before 8:00 and after 21:00 at the consumer's location "
                "are presumed inconvenient)",
                calling_hours=CallingHours.parse("08:00-21:00"),
            ),
            PackRule(
                "reg-f-7-in-7",
                "frequency_cap",
                "US",
                "12 CFR 1006.14(b)(2)(i) (Regulation F: more than 7 calls within 7 consecutive days presumed "
                "harassment)",
                cap=FrequencyCap(7, 7),
                note="the presumption counts calls per particular debt; dialkit counts per number, which is "
                "stricter; the 7-day pause after a telephone conversation (1006.14(b)(2)(ii)) needs outcomes "
                "and is not checked",
            ),
        ),
        (_NOT_ADVICE, _MOVED),
    ),
    "uk": RulePack(
        "uk",
        "UK (Ofcom persistent-misuse policy): abandoned calls and the 72-hour no-redial after an AMD abandon",
        (
            PackRule(
                "uk-abandonment-24h",
                "abandonment",
                "GB",
                "Ofcom, Revised statement of policy on the persistent misuse of an electronic communications "
                "network or service (2016): abandoned call rate at most 3% of live calls per campaign per 24 hours",
                threshold=0.03,
                window=timedelta(hours=24),
                note="Ofcom's rate is abandoned / (abandoned + live answered); an information message must be "
                "played on every abandoned call, which this code cannot see",
            ),
            PackRule(
                "uk-72h-no-redial",
                "no_redial_after_abandoned",
                "GB",
                "Ofcom, Revised statement of policy on the persistent misuse of an electronic communications "
                "network or service (2016): no repeat call within 72 hours to a number whose call was abandoned "
                "with answer machine detection, unless a live agent is guaranteed",
                pause=timedelta(hours=72),
                note="checked by `dialkit compliance` from contact records (an abandoned call is only known "
                "after the dial); check/plan/send cannot see it",
            ),
        ),
        (_NOT_ADVICE,),
    ),
}


def rule_pack(name: str) -> RulePack:
    """The pack called ``name`` (:data:`PACKS`: ``us``, ``us-debt-collection``, ``uk``); RulesError otherwise."""
    key = str(name).strip().lower()
    if key not in PACKS:
        raise RulesError(f"--rule-pack {name!r}: no such pack; choose from {', '.join(PACKS)}")
    return PACKS[key]


def rule_packs(names: Iterable[str]) -> tuple[RulePack, ...]:
    """Several packs by name, each once, in the order given."""
    out: list[RulePack] = []
    for n in names:
        pack = rule_pack(n)
        if pack not in out:
            out.append(pack)
    return tuple(out)


@lru_cache(maxsize=65536)
def _state_of_number(e164: str) -> str | None:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "US":
        return None
    text = geocoder.description_for_number(number, "en") or ""
    if text in US_STATES:
        return US_STATES[text]
    tail = text.rsplit(",", 1)[-1].strip()
    return tail if tail in _STATE_CODES else None


@lru_cache(maxsize=65536)
def _region_of(e164: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def jurisdictions(frame: pd.DataFrame, *, postcode_column: str | bool | None = True) -> pd.DataFrame:
    """Where each callee is for the packs: ``region`` (country), ``jurisdiction`` and ``jurisdiction_source``.

    ``jurisdiction`` is ``US-XX`` for a US callee whose state is known (from
    the ZIP column: ``jurisdiction_source`` ``postcode``; else from the number's
    area code: ``number``), else the country code (source ``country``), ``""``
    when not even that is known (``unknown``).  ``postcode_column``: a column
    name, True to find one by name, False/None for none.  A column
    ``jurisdiction`` already in the frame (the ledger's, from the plan) wins.
    Same index as ``frame``.
    """
    if "phone_e164" not in frame.columns:
        raise RulesError("the frame has no phone_e164 column: pass ContactSet.accepted (from dialkit.load_contacts)")
    phones = frame["phone_e164"].astype(object)
    region = (
        frame["region"].astype(object).where(frame["region"].notna(), "")
        if "region" in frame.columns
        else phones.map(lambda p: _region_of(str(p)))
    )
    region = region.map(lambda r: str(r) if isinstance(r, str) else "")
    by_number = pd.Series(
        [_state_of_number(str(p)) if r == "US" else None for p, r in zip(phones.tolist(), region.tolist())],
        index=frame.index,
        dtype=object,
    )
    state = by_number
    source = pd.Series(["number" if s else "" for s in by_number.tolist()], index=frame.index, dtype=object)
    column: str | None
    if postcode_column is True:
        column = find_postcode_column(frame.columns)
    elif postcode_column:
        column = str(postcode_column) if str(postcode_column) in frame.columns else None
    else:
        column = None
    if column is not None:
        by_zip = states_for_postcodes(frame[column], region)
        found = by_zip.notna()
        state = state.where(~found, by_zip)
        source = source.where(~found, "postcode")
    juris = [f"US-{s}" if s else r for s, r in zip(state.tolist(), region.tolist())]
    src = [s if s else ("country" if r else "unknown") for s, r in zip(source.tolist(), region.tolist())]
    out = pd.DataFrame(
        {
            "region": region,
            "jurisdiction": pd.Series(juris, index=frame.index, dtype=object),
            "jurisdiction_source": pd.Series(src, index=frame.index, dtype=object),
        },
        index=frame.index,
    )
    if "jurisdiction" in frame.columns:
        known = frame["jurisdiction"].map(lambda j: j if isinstance(j, str) and j else None)
        found = known.notna()
        out.loc[found, "jurisdiction"] = known[found]
        out.loc[found, "jurisdiction_source"] = "plan"
    return out


def applicable(packs: Sequence[RulePack], kind: str, jurisdiction: str, region: str) -> tuple[PackRule, ...]:
    """The rules of ``kind`` in ``packs`` that cover a callee in ``jurisdiction`` / ``region``."""
    return tuple(r for p in packs for r in p.rules if r.kind == kind and r.applies_to(jurisdiction, region))
