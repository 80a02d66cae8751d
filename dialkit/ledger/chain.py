"""A hash chain over every ledger row, so an edit made after the fact can be detected and named.

Why: a ledger is an SQLite file anyone can open and change; an analyst asked
to *prove* what was sent needs to show that the file is as dialkit wrote it.
Each time a row of a chained table is written (inserted or changed), an entry
is appended to the ``chain`` table with the row's digest: SHA-256 of its table
name and its canonical text, which SQLite itself builds (``quote()`` of every
column, comma-joined, trailing NULLs cut: an auditor can recompute it with the
``sqlite3`` shell and ``sha256sum``).  The entries one transaction writes form
a block; the block's last entry carries its link, SHA-256 of the previous
block's link and the block's row digests in order.  :func:`verify` walks the
blocks and compares every row with the latest digest the chain holds for it,
so it names:

* an **edited** row (its content no longer matches its last digest),
* an **inserted** row (a row the chain never saw),
* a **deleted** row (a key the chain holds whose row is gone),
* an edited, inserted or deleted **chain entry** (its block's link no longer follows).

How it stays cheap: the writer connection carries TEMP triggers (connection
local: invisible to any other program that opens the file) that note the rowid
of each row written in a transaction; just before the transaction commits,
:meth:`Chain.flush` reads those rows once per table, hashes each once and
appends them as one block with one link, inside the same transaction (no extra
fsync).

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

#: The link before the first block (32 zero bytes).
GENESIS = bytes(32)

#: The chain's own table (schema 4).  Digests and links are raw SHA-256 bytes (32 each); ``link`` is set on
#: the last entry of each block (the entries one transaction wrote) and NULL on the others.
CHAIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS chain (
    entry      INTEGER PRIMARY KEY,
    tbl        TEXT NOT NULL,
    row_key    TEXT NOT NULL,
    row_digest BLOB NOT NULL,
    link       BLOB
);
"""

#: A deleted row's digest in the chain (a writer never deletes a chained row; kept for completeness).
TOMBSTONE = b"deleted"

_sha256 = hashlib.sha256


def _canonical_sql(db: sqlite3.Connection, table: str) -> str:
    """SQL giving each row's canonical text: ``quote()`` of every column joined by commas, trailing NULLs cut.

    SQLite builds the text (in C, one pass); Python only hashes it.  Trailing
    NULL columns are cut so that a nullable column a later schema adds at the
    end leaves the digests of older rows as they were (a quoted value never
    ends in ``,``, ``N``, ``U`` or ``L``: text and blobs end in a quote,
    numbers in a digit).
    """
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    text = " || ',' || ".join(f'quote("{c}")' for c in columns)
    key = " || ' ' || ".join(f'"{c}"' for c in CHAINED_TABLES[table])
    return f"SELECT {key}, rtrim({text}, ',NUL') FROM {table}"


def row_digest(table: str, canonical: str) -> bytes:
    """SHA-256 (32 bytes) of a row from its table name and canonical text (see :func:`_canonical_sql`)."""
    return _sha256(f"{table}\x1f{canonical}".encode()).digest()


def block_link(prev: bytes, digests: Iterable[bytes]) -> bytes:
    """A block's link: SHA-256 of the previous link and the row digests of the block's entries, in order."""
    return _sha256(prev + b"".join(digests)).digest()


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()[0])


def _head(db: sqlite3.Connection) -> tuple[int, bytes]:
    row = db.execute("SELECT entry FROM chain ORDER BY entry DESC LIMIT 1").fetchone()
    if not row:
        return 0, GENESIS
    link = db.execute("SELECT link FROM chain WHERE link IS NOT NULL ORDER BY entry DESC LIMIT 1").fetchone()
    return int(row[0]), bytes(link[0]) if link else GENESIS


def _entries(
    db: sqlite3.Connection, sql: dict[str, str], table: str, where: str = "", params: tuple[Any, ...] = ()
) -> list[tuple[str, str, bytes]]:
    """``(table, key, digest)`` of the rows of ``table`` that ``where`` selects, in rowid order."""
    if table not in sql:
        sql[table] = _canonical_sql(db, table)
    cur = db.cursor()
    cur.row_factory = None
    cur.execute(f"{sql[table]} {where} ORDER BY rowid", params)
    prefix = f"{table}\x1f"
    return [(table, str(key), _sha256((prefix + text).encode()).digest()) for key, text in cur]


def _write_block(
    db: sqlite3.Connection, head: tuple[int, bytes], entries: list[tuple[str, str, bytes]]
) -> tuple[int, bytes]:
    """Append one block (the entries of one transaction) after ``head``; returns the new head."""
    if not entries:
        return head
    n, prev = head
    link = block_link(prev, (d for _, _, d in entries))
    last = len(entries) - 1
    db.executemany(
        "INSERT INTO chain (entry, tbl, row_key, row_digest, link) VALUES (?, ?, ?, ?, ?)",
        [(n + i + 1, t, k, d, link if i == last else None) for i, (t, k, d) in enumerate(entries)],
    )
    return n + len(entries), link


def _rows(db: sqlite3.Connection, table: str) -> list[tuple[str, bytes]]:
    """Every row of ``table`` as ``(key, digest)``, in rowid order (for :func:`verify`)."""
    return [(k, d) for _, k, d in _entries(db, {}, table)]


def chain_existing(db: sqlite3.Connection) -> tuple[int, bytes]:
    """Chain every row of every chained table as it is now, as one block; returns the head.

    For a new ledger or one migrated to schema 4: call inside the transaction that creates or migrates it.
    """
    sql: dict[str, str] = {}
    entries: list[tuple[str, str, bytes]] = []
    for table in CHAINED_TABLES:
        if _has_table(db, table):
            entries.extend(_entries(db, sql, table))
    return _write_block(db, _head(db), entries)


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
        self._head: tuple[int, bytes] | None = None
        self._sql: dict[str, str] = {}  #: per table, the canonical-text query (columns read once)

    def flush(self) -> None:
        """Chain the rows written since the last flush as one block (inside the open transaction, before COMMIT)."""
        db = self._db
        tables = [r[0] for r in db.execute("SELECT DISTINCT tbl FROM chain_dirty")]
        gone = db.execute("SELECT tbl, row_key FROM chain_gone").fetchall()
        if not tables and not gone:
            return
        entries: list[tuple[str, str, bytes]] = []
        for table in tables:
            entries.extend(
                _entries(db, self._sql, table, "WHERE rowid IN (SELECT rid FROM chain_dirty WHERE tbl = ?)", (table,))
            )
        entries.extend((t, k, TOMBSTONE) for t, k in gone)
        self._head = _write_block(db, self._head if self._head is not None else _head(db), entries)
        db.execute("DELETE FROM chain_dirty")
        if gone:
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


def _walk(
    db: sqlite3.Connection, expect_head: str | None, problems: list[ChainProblem]
) -> tuple[dict[tuple[str, str], tuple[int, bytes]], int, bytes, bool]:
    """Walk the blocks in order, checking each link (problems appended to ``problems``).

    Returns the latest digest per row, the last entry, the head link and
    whether ``expect_head`` was passed (True when None).
    """
    latest: dict[tuple[str, str], tuple[int, bytes]] = {}
    link = GENESIS
    expected_n = 0
    seen_head = expect_head is None
    last = 0
    block: list[bytes] = []
    block_start = 1
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
        block.append(bytes(digest))
        latest[(table, key)] = (entry, bytes(digest))
        last = entry
        if stored is None:
            continue
        if bytes(stored) != block_link(link, block):
            where = _describe_row(table, key) if table in CHAINED_TABLES else table
            problems.append(
                ChainProblem(
                    "chain",
                    table,
                    key,
                    f"chain entries {block_start}..{entry} (the block ending with {where}) do not follow from the "
                    "block before them: the chain was edited there",
                )
            )
        link = bytes(stored)
        block, block_start = [], entry + 1
        seen_head = seen_head or link.hex() == str(expect_head).strip().lower()
    if block:
        problems.append(
            ChainProblem(
                "chain",
                "chain",
                str(last),
                f"chain entries {block_start}..{last} close no block: inserted outside dialkit",
            )
        )
    return latest, last, link, seen_head


def _compare_rows(db: sqlite3.Connection, latest: dict[tuple[str, str], tuple[int, bytes]]) -> list[ChainProblem]:
    """Every row against its latest chain digest: edited, inserted (never chained) and deleted rows."""
    problems: list[ChainProblem] = []
    present: set[tuple[str, str]] = set()
    for table in CHAINED_TABLES:
        if not _has_table(db, table):
            continue
        for key, digest in _rows(db, table):
            present.add((table, key))
            held = latest.get((table, key))
            what = _describe_row(table, key)
            if held is None:
                problems.append(
                    ChainProblem("inserted", table, key, f"{what} is not in the chain: inserted outside dialkit")
                )
            elif held[1] != digest:
                problems.append(
                    ChainProblem(
                        "edited", table, key, f"{what} differs from its chain entry {held[0]}: edited outside dialkit"
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
    return problems


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
            GENESIS.hex(),
            f"no hash chain: this ledger has schema {version}, written before dialkit chained its rows; "
            "it is chained (its rows as found) the next time a send opens it",
        )
    meta = {r[0]: r[1] for r in db.execute("SELECT key, value FROM meta")}
    starts = meta.get("chain_started") or "the chain starts with the ledger"
    problems: list[ChainProblem] = []
    latest, last, link, seen_head = _walk(db, expect_head, problems)
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
    problems.extend(_compare_rows(db, latest))
    return ChainReport(True, last, link.hex(), starts, tuple(problems))
