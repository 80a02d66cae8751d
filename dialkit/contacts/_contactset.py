"""The result of a load: :class:`ContactSet` (accepted and rejected rows, every row accounted for)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dialkit.contacts._normalise import REJECTION_REASONS
from dialkit.masking import mask_text

#: Accepted columns with a handful of distinct values, kept as pandas categoricals (a 10M-row list's
#: ``number_type`` is 1 byte a row instead of ~28): same values, far less memory.
_CATEGORY_COLUMNS: tuple[str, ...] = ("phone_flags", "region", "number_type")


def _category_column(values: list[str]) -> pd.Categorical:
    """A :data:`_CATEGORY_COLUMNS` column: categories are the distinct values, sorted (both readers agree)."""
    return pd.Categorical(values, categories=pd.Index(sorted(set(values)), dtype="str"))


# The result
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class ContactSet:
    """The outcome of :func:`load_contacts`: every source row is in exactly one of two tables.

    ``accepted``: the original columns (as text), then ``row``, ``phone_e164``,
    ``phone_flags`` (``;``-joined :data:`PHONE_FLAGS`, ``""`` when none),
    ``region`` (ISO country code) and ``number_type`` (``MOBILE``, ``FIXED_LINE``,
    ``FIXED_LINE_OR_MOBILE``, ``TOLL_FREE`` …).  The text columns are pandas ``str``;
    ``phone_flags``, ``region`` and ``number_type`` are Categoricals whose categories
    are the values present, sorted (a handful of distinct values: a 10M-row list
    keeps them in 1 byte a row instead of ~30).

    ``rejected``: the original columns, then ``row``, ``reason`` (a Categorical
    over :data:`REJECTION_REASONS`) and ``detail`` (a sentence without the number).
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    phone_column: str
    rows_read: int
    default_region: str
    dedupe: str = "first"
    blank_rows: int = 0
    suppress_size: int = 0
    suppress_unparsed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the do-not-call list as E.164 numbers (a resumed send re-applies it to what the ledger still holds)
    suppress_numbers: frozenset[str] = field(default_factory=frozenset)

    @property
    def reasons(self) -> pd.Series:
        """Rejected-row counts per reason, every reason included (zeros too), in :data:`REJECTION_REASONS` order."""
        counts = self.rejected["reason"].value_counts(sort=False).reindex(list(REJECTION_REASONS), fill_value=0)
        counts = counts.astype("int64")
        counts.index.name = "reason"
        counts.name = "count"
        return counts

    def summary(self) -> dict[str, Any]:
        """Counts only, JSON-able: ``{"rows", "accepted", "rejected", "reasons": {reason: count}}``."""
        return {
            "rows": int(self.rows_read),
            "accepted": int(len(self.accepted)),
            "rejected": int(len(self.rejected)),
            "reasons": {str(k): int(v) for k, v in self.reasons.items()},
        }

    def how_read(self) -> str:
        """How the list was read, in one paragraph an analyst can check before going on.

        Which column was taken as the phone number, which country a number without
        a ``+`` country code was assumed to be in, the counts, the most common
        rejection reasons and the do-not-call list applied.  The file name and
        column name are masked like every text dialkit prints (they can hold numbers).
        """
        name = mask_text(Path(self.source).name if self.source else "the list")
        top = [f"{reason} {int(n):,}" for reason, n in self.reasons.sort_values(ascending=False).items() if n][:4]
        lines = [
            f"Read {self.rows_read:,} rows of {name}: took column {mask_text(self.phone_column)!r} as the phone "
            f"number and assumed region {self.default_region} for numbers written without a +country code.",
            f"{len(self.accepted):,} accepted, {len(self.rejected):,} rejected"
            + (f" ({', '.join(top)})." if top else "."),
        ]
        if self.suppress_size:
            lines.append(f"Do-not-call list applied: {self.suppress_size:,} numbers.")
        else:
            lines.append("No do-not-call list applied (pass suppress= to apply one).")
        return "\n".join(lines)

    def to_csv_rejects(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
        """Write the rejected rows (original values, ``row``, ``reason``, ``detail``) to a CSV for the analyst.

        The file holds the original phone values in full: it is the analyst's copy
        of their own data, to fix and load again.  It is created 0600, and a cell
        a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
        first) gets a leading ``'`` (OWASP); ``'+12125550142`` loads back as the
        number (see :mod:`dialkit._util.files`).  Returns the path written.
        """
        from dialkit._util.files import write_private_csv

        return write_private_csv(self.rejected, path, encoding=encoding)

    def to_csv_accepted(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
        """Write the accepted rows (original values plus the normalised columns) to a CSV (0600, formulas neutralised)."""
        from dialkit._util.files import write_private_csv

        return write_private_csv(self.accepted, path, encoding=encoding, keep=["phone_e164"])  # validated: digits only

    def __len__(self) -> int:
        return int(self.rows_read)

    def __repr__(self) -> str:
        return (
            f"ContactSet(source={mask_text(self.source)!r}, phone_column={mask_text(self.phone_column)!r}, "
            f"rows={self.rows_read}, accepted={len(self.accepted)}, rejected={len(self.rejected)})"
        )
