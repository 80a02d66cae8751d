"""A hash chain over every ledger row, so an edit made after the fact can be detected and named.

Why: a ledger is an SQLite file anyone can open and change; an analyst asked
to *prove* what was sent needs to show that the file is as dialkit wrote it.
Each time a row of a chained table is written (inserted or changed), an entry
is appended to the ``chain`` table: the row's digest (SHA-256 of its table,
its key and its non-null column values) and a link, SHA-256 of the previous
entry's link and this entry.  :func:`verify` walks the chain and compares every
row with the latest digest the chain holds for it, so it names:

* an **edited** row (its content no longer matches its last digest),
* an **inserted** row (a row the chain never saw),
* a **deleted** row (a key the chain holds whose row is gone),
* an edited, inserted or deleted **chain entry** (its link no longer follows).

How it stays cheap: the writer connection carries TEMP triggers (connection
local: invisible to any other program that opens the file) that note the rowid
of each row written in a transaction; just before the transaction commits,
:meth:`Chain.flush` reads those rows once per table, hashes them and appends
their entries, inside the same transaction (no extra fsync).

Limits (written down in ``docs/compliance.md``): a chain held in the same
file proves nothing against someone who rewrites the chain as well, with this
code.  Keep the head digest that ``dialkit audit --verify`` prints somewhere
else (a ticket, an e-mail, a write-once bucket) and compare it later with
``--expect-head``: a ledger whose chain still leads to that head is unchanged
up to it.  Rows written before a ledger was migrated to schema 4 were chained
as found at the migration: the chain proves nothing about their history
before that moment, and :func:`verify` says where the chain starts.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CHAINED_TABLES",
    "GENESIS",
    "Chain",
    "ChainProblem",
    "ChainReport",
    "chain_existing",
    "row_digest",
    "verify",
]

#: The tables every row of which is chained, with the columns that name a row (never a phone number).
#: ``tally`` is left out: it is derived from ``requests`` by triggers and rebuilt by migrations.
CHAINED_TABLES: Mapping[str, tuple[str, ...]] = {
    "meta": ("key",),
    "requests": ("client_token",),
    "calls": ("call_id",),
    "attempts": ("call_id", "client_token"),
    "sends": ("send_id",),
    "evidence": ("call_id", "client_token"),
}

#: The link before the first entry.
GENESIS = "0" * 64

#: The chain's own table (schema 4).
CHAIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS chain (
    entry      INTEGER PRIMARY KEY,
    tbl        TEXT NOT NULL,
    row_key    TEXT NOT NULL,
    row_digest TEXT NOT NULL,
    link       TEXT NOT NULL
);
"""

#: A deleted row's digest in the chain (a writer never deletes a chained row; kept for completeness).
TOMBSTONE = "deleted"


def _key_text(table: str, row: Mapping[str, Any]) -> str:
    return " ".join(str(row[c]) for c in CHAINED_TABLES[table])


def row_digest(table: str, columns: Iterable[str], values: Iterable[Any]) -> str:
    """SHA-256 (hex) of a row: its table and its non-null ``column=repr(value)`` pairs in column order.

    Null columns are left out, so a nullable column added by a later schema
    does not change the digest of the rows written before it.
    """
    parts = [table]
    parts.extend(f"{c}={v!r}" for c, v in zip(columns, values) if v is not None)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _link(prev: str, table: str, key: str, digest: str) -> str:
    return hashlib.sha256(f"{prev}\x1e{table}\x1e{key}\x1e{digest}".encode()).hexdigest()


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()[0])


def _head(db: sqlite3.Connection) -> tuple[int, str]:
    row = db.execute("SELECT entry, link FROM chain ORDER BY entry DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def _append(db: sqlite3.Connection, head: tuple[int, str], entries: Iterable[tuple[str, str, str]]) -> tuple[int, str]:
    """Append ``(table, key, digest)`` entries after ``head``; returns the new head."""
    n, link = head
    out = []
    for table, key, digest in entries:
        n += 1
        link = _link(link, table, key, digest)
        out.append((n, table, key, digest, link))
    if out:
        db.executemany("INSERT INTO chain (entry, tbl, row_key, row_digest, link) VALUES (?, ?, ?, ?, ?)", out)
    return n, link


def _rows(
    db: sqlite3.Connection, table: str, where: str = "", params: tuple[Any, ...] = ()
) -> Iterable[tuple[str, str]]:
    cur = db.execute(f"SELECT * FROM {table} {where}", params)
    columns = [d[0] for d in cur.description]
    idx = [columns.index(c) for c in CHAINED_TABLES[table]]
    for values in cur:
        key = " ".join(str(values[i]) for i in idx)
        yield key, row_digest(table, columns, values)


def chain_existing(db: sqlite3.Connection) -> tuple[int, str]:
    """Chain every row of every chained table as it is now (a new ledger, or one migrated to schema 4).

    Call inside the transaction that creates or migrates the schema; returns the head.
    """
    entries: list[tuple[str, str, str]] = []
    for table in CHAINED_TABLES:
        if _has_table(db, table):
            entries.extend((table, key, digest) for key, digest in _rows(db, table, "ORDER BY rowid"))
    return _append(db, _head(db), entries)


class Chain:
    """The writer's side: TEMP triggers note what a transaction wrote; :meth:`flush` chains it before commit."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS chain_dirty (tbl TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (tbl, rid))"
        )
        db.execute("CREATE TEMP TABLE IF NOT EXISTS chain_gone (tbl TEXT NOT NULL, row_key TEXT NOT NULL)")
        for table, key in CHAINED_TABLES.items():
            if not _has_table(db, table):
                continue
            key_sql = " || ' ' || ".join(f"OLD.{c}" for c in key)
            for event in ("INSERT", "UPDATE"):
                db.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS chain_{table}_{event.lower()} AFTER {event} ON main.{table} "
                    f"BEGIN INSERT OR IGNORE INTO chain_dirty VALUES ('{table}', NEW.rowid); END"
                )
            db.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS chain_{table}_delete AFTER DELETE ON main.{table} "
                f"BEGIN INSERT INTO chain_gone VALUES ('{table}', {key_sql}); END"
            )
        self._head: tuple[int, str] | None = None

    def flush(self) -> None:
        """Chain the rows written since the last flush (call inside the open transaction, before COMMIT)."""
        db = self._db
        tables = [r[0] for r in db.execute("SELECT DISTINCT tbl FROM chain_dirty")]
        gone = db.execute("SELECT tbl, row_key FROM chain_gone").fetchall()
        if not tables and not gone:
            return
        if self._head is None:
            self._head = _head(db)
        entries: list[tuple[str, str, str]] = []
        for table in tables:
            entries.extend(
                (table, key, digest)
                for key, digest in _rows(
                    db, table, "WHERE rowid IN (SELECT rid FROM chain_dirty WHERE tbl = ?) ORDER BY rowid", (table,)
                )
            )
        entries.extend((t, k, TOMBSTONE) for t, k in gone)
        try:
            self._head = _append(db, self._head, entries)
        except sqlite3.IntegrityError:  # another writer's entries (never: the ledger lock) - start from the file
            self._head = _append(db, _head(db), entries)
        db.execute("DELETE FROM chain_dirty")
        db.execute("DELETE FROM chain_gone")

    def forget(self) -> None:
        """After a rollback: the cached head may be ahead of the file, and the noted rows were undone."""
        self._head = None
        self._db.execute("DELETE FROM chain_dirty")
        self._db.execute("DELETE FROM chain_gone")


@dataclass(frozen=True)
class ChainProblem:
    """One thing the chain does not account for: ``kind`` is ``edited``, ``inserted``, ``deleted`` or ``chain``."""

    kind: str
    table: str
    row_key: str
    detail: str


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found.

    ``chained``: the ledger has a chain (schema 4).  ``intact``: no problem.
    ``entries``: chain entries walked; ``head``: the last link (keep it elsewhere
    and compare later).  ``starts``: where the chain starts, in words (created
    with the ledger, or migrated at a given moment with the rows then present
    chained as found).  ``problems``: one :class:`ChainProblem` per row.
    """

    chained: bool
    entries: int
    head: str
    starts: str
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        """True when the ledger has a chain and nothing breaks it."""
        return self.chained and not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for ``dialkit audit --verify --json``)."""
        return {
            "chained": self.chained,
            "intact": self.intact,
            "entries": self.entries,
            "head": self.head,
            "starts": self.starts,
            "problems": [p.__dict__ for p in self.problems],
        }


def _describe_row(table: str, key: str) -> str:
    names = CHAINED_TABLES[table]
    values = key.split(" ", len(names) - 1)
    return f"{table} row " + ", ".join(f"{n}={v}" for n, v in zip(names, values))


def verify(db: sqlite3.Connection, *, expect_head: str | None = None) -> ChainReport:
    """Walk the chain of an open ledger connection and compare every chained row with it.

    ``expect_head``: a head digest kept from an earlier verify; the chain must
    still pass through it (else a ``chain`` problem: rewritten or cut).
    Returns a :class:`ChainReport`; never raises for a broken chain.
    """
    if not _has_table(db, "chain"):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        return ChainReport(
            False,
            0,
            GENESIS,
            f"no hash chain: this ledger has schema {version}, written before dialkit chained its rows; "
            "it is chained (its rows as found) the next time a send opens it",
        )
    meta = {r[0]: r[1] for r in db.execute("SELECT key, value FROM meta")}
    starts = meta.get("chain_started") or "the chain starts with the ledger"
    problems: list[ChainProblem] = []
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    link = GENESIS
    expected_n = 0
    seen_head = expect_head is None
    last = 0
    for entry, table, key, digest, stored in db.execute(
        "SELECT entry, tbl, row_key, row_digest, link FROM chain ORDER BY entry"
    ):
        expected_n += 1
        if entry != expected_n:
            problems.append(
                ChainProblem(
                    "chain", "chain", str(entry), f"chain entries {expected_n}..{entry - 1} are missing (deleted)"
                )
            )
            expected_n = entry
        want = _link(link, table, key, digest)
        if stored != want:
            problems.append(
                ChainProblem(
                    "chain",
                    table,
                    key,
                    f"chain entry {entry} ({_describe_row(table, key) if table in CHAINED_TABLES else table}) does not "
                    "follow from the one before it: the chain was edited here",
                )
            )
        link = stored
        if expect_head is not None and stored == expect_head:
            seen_head = True
        latest[(table, key)] = (entry, digest)
        last = entry
    if not seen_head:
        problems.append(
            ChainProblem(
                "chain",
                "chain",
                "",
                f"the chain no longer passes through the head {str(expect_head)[:16]}... kept earlier: "
                "rewritten or cut",
            )
        )
    present: set[tuple[str, str]] = set()
    for table in CHAINED_TABLES:
        if not _has_table(db, table):
            continue
        for key, digest in _rows(db, table, "ORDER BY rowid"):
            present.add((table, key))
            held = latest.get((table, key))
            if held is None:
                problems.append(
                    ChainProblem(
                        "inserted",
                        table,
                        key,
                        f"{_describe_row(table, key)} is not in the chain: inserted outside dialkit",
                    )
                )
            elif held[1] != digest:
                problems.append(
                    ChainProblem(
                        "edited",
                        table,
                        key,
                        f"{_describe_row(table, key)} differs from its chain entry {held[0]}: edited outside dialkit",
                    )
                )
    for (table, key), (entry, digest) in latest.items():
        if (table, key) not in present and digest != TOMBSTONE and table in CHAINED_TABLES:
            problems.append(
                ChainProblem(
                    "deleted",
                    table,
                    key,
                    f"{_describe_row(table, key)} (chain entry {entry}) is missing: deleted outside dialkit",
                )
            )
    return ChainReport(True, last, link, starts, tuple(problems))
