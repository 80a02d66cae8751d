"""The durable ledger of a send: every request and every outcome, in one SQLite file per run.

Why: nothing sent may ever be lost.  Each request is written (and committed)
*before* the call that carries it goes out, and its outcome after; a run killed
at any moment can therefore be resumed from the file: requests that succeeded
are skipped, requests whose outcome is unknown are resent with their original
client token (the service answers a repeat token with the existing request, so
nobody is dialed twice).

SQLite (stdlib) in WAL mode with synchronous=FULL: a crash mid-write leaves the
last committed transaction intact.  The schema carries a version
(``PRAGMA user_version`` and the ``meta`` table) so later dialkit versions can
read files written by this one, and this one refuses files from a newer one.

A ledger is held by one sender at a time, by two OS locks the OS drops when the
process dies (a killed run never leaves a stale lock behind):

* an exclusive ``flock`` on the **database file itself** (its open file, so its
  device and inode): every path that names the file (a symlink, a hard link, the
  file after a rename) meets the same lock, and no lock file exists that could
  be deleted to let a second sender in.  ``flock`` and SQLite's own ``fcntl``
  byte-range locks do not interact on local file systems, so SQLite's locking is
  untouched.  Keep ledgers on a local disk: on NFS ``flock`` is emulated with
  ``fcntl`` locks, which SQLite's own would replace;
* the sidecar ``<ledger>.lock`` file of earlier dialkit versions (an older
  dialkit sending on the same ledger meets it; on Windows, where ``flock`` does
  not exist, it is the only lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import filelock

from dialkit._util.files import make_private
from dialkit._version import __version__
from dialkit.exceptions import LedgerBusy, LedgerError
from dialkit.ledger.chain import CHAIN_SCHEMA, Chain, ChainReport, chain_existing, verify
from dialkit.planning import BatchPlan

__all__ = [
    "LEDGER_ID_KEY",
    "RULES_META_KEY",
    "SCHEMA_VERSION",
    "STATUSES",
    "Ledger",
    "LedgerRequest",
    "is_ledger_file",
    "ledger_time",
    "plan_digest",
]

#: The ``meta`` key of a ledger's identity: a random id written when the ledger is created (older
#: ledgers get one the next time they are opened for sending).  Copies share it; no two runs do.
LEDGER_ID_KEY = "ledger_id"

#: Bump when the layout changes; readers migrate older versions forward.
#: 1: dialkit 0.1.  2: indexes on ``seq`` and (``status``, ``first_sent_at``) and a ``tally`` of
#: requests per state kept by triggers, so progress and resume cost the same on a ledger of any size.
#: 3: ``requests.time_zone`` (the callee's zone from the contact's ZIP, when the plan found one, so the
#: sender's calling window and the audit use the zone the plan used) and ``sends`` (the campaign rules
#: in force per send, each call tagged with its ``send_id``, so the audit judges every request by the
#: rules of the send that carried it).
#: 4: ``chain`` (a hash chain over every row, :mod:`dialkit.ledger.chain`; the rows of a migrated ledger are
#: chained as found) and ``evidence`` (per request and call: the callee's local time, zone and how it was
#: found, the jurisdiction, the rules and suppression lists by sha256 and the frequency counts at send time).
SCHEMA_VERSION = 4

#: The ``meta`` key :func:`dialkit.send` writes the rules in force under (JSON of ``CampaignRules.describe()``);
#: ``dialkit.audit`` reads it.
RULES_META_KEY = "rules"

#: ``UPDATE ... FROM`` (one statement for a whole answer) needs SQLite 3.33.
_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)

#: Request states.  ``pending``: not sent, or sent and known not to have been
#: accepted; ``in_flight``: sent, outcome unknown (resend with the same token);
#: ``succeeded``/``failed``: the service answered for this request.
STATUSES = ("pending", "in_flight", "succeeded", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    client_token    TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL,
    batch           INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    row             INTEGER,
    phone_e164      TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    failure_code    TEXT,
    dial_request_id TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    pending_reason  TEXT,
    planned_at      TEXT NOT NULL,
    first_sent_at   TEXT,
    last_sent_at    TEXT,
    completed_at    TEXT
);
CREATE INDEX IF NOT EXISTS requests_status ON requests(status, seq);
CREATE TABLE IF NOT EXISTS calls (
    call_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    batch         INTEGER,
    n_items       INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT,
    error_code    TEXT,
    error_message TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    call_id      INTEGER NOT NULL REFERENCES calls(call_id),
    client_token TEXT NOT NULL REFERENCES requests(client_token),
    attempt      INTEGER NOT NULL,
    sent_at      TEXT NOT NULL,
    outcome      TEXT,
    failure_code TEXT,
    PRIMARY KEY (call_id, client_token)
);
"""

#: Schema 2 on top of schema 1: what resume and progress need, at a cost that does not grow
#: with the ledger.  ``tally`` holds how many requests are in each (status, failure_code,
#: has a pending_reason) group; the triggers keep it exact inside every transaction that
#: changes a request, so :meth:`Ledger.counts` reads a handful of rows instead of scanning.
_SCHEMA_2 = """
CREATE INDEX IF NOT EXISTS requests_seq ON requests(seq);
CREATE INDEX IF NOT EXISTS requests_first_sent ON requests(status, first_sent_at);
CREATE TABLE IF NOT EXISTS tally (
    status       TEXT NOT NULL,
    failure_code TEXT NOT NULL,
    no_reason    INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (status, failure_code, no_reason)
);
CREATE TRIGGER IF NOT EXISTS tally_insert AFTER INSERT ON requests BEGIN
    INSERT INTO tally VALUES (NEW.status, coalesce(NEW.failure_code, ''), NEW.pending_reason IS NULL, 1)
        ON CONFLICT (status, failure_code, no_reason) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tally_update AFTER UPDATE OF status, failure_code, pending_reason ON requests
    WHEN OLD.status IS NOT NEW.status OR coalesce(OLD.failure_code, '') IS NOT coalesce(NEW.failure_code, '')
         OR (OLD.pending_reason IS NULL) IS NOT (NEW.pending_reason IS NULL)
BEGIN
    UPDATE tally SET n = n - 1 WHERE status = OLD.status AND failure_code = coalesce(OLD.failure_code, '')
        AND no_reason = (OLD.pending_reason IS NULL);
    INSERT INTO tally VALUES (NEW.status, coalesce(NEW.failure_code, ''), NEW.pending_reason IS NULL, 1)
        ON CONFLICT (status, failure_code, no_reason) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tally_delete AFTER DELETE ON requests BEGIN
    UPDATE tally SET n = n - 1 WHERE status = OLD.status AND failure_code = coalesce(OLD.failure_code, '')
        AND no_reason = (OLD.pending_reason IS NULL);
END;
DELETE FROM tally;
INSERT INTO tally SELECT status, coalesce(failure_code, ''), pending_reason IS NULL, count(*) FROM requests
    GROUP BY 1, 2, 3;
"""

#: Schema 3 on top of schema 2 (added columns are nullable: older rows simply have none).
_SCHEMA_3 = """
ALTER TABLE requests ADD COLUMN time_zone TEXT;
ALTER TABLE calls ADD COLUMN send_id INTEGER;
CREATE TABLE IF NOT EXISTS sends (
    send_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    rules      TEXT
);
"""

#: Schema 4 on top of schema 3: the hash chain and the evidence recorded at send time.
_SCHEMA_4 = (
    CHAIN_SCHEMA
    + """
ALTER TABLE requests ADD COLUMN jurisdiction TEXT;
CREATE TABLE IF NOT EXISTS evidence (
    call_id          INTEGER NOT NULL,
    client_token     TEXT NOT NULL,
    sent_at          TEXT NOT NULL,
    local_time       TEXT,
    time_zones       TEXT,
    time_zone_source TEXT,
    jurisdiction     TEXT,
    rules_sha256     TEXT,
    counts           TEXT,
    PRIMARY KEY (call_id, client_token)
);
"""
)


#: Statements with a trigger body contain ``;`` inside BEGIN ... END: split on the blank-line-free
#: statement boundaries below instead of on every semicolon.
def _statements(script: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    depth = 0
    for line in script.strip().splitlines():
        buf.append(line)
        stripped = line.strip().upper()
        if stripped.startswith("CREATE TRIGGER"):
            depth = 1
        if depth and stripped == "END;":
            depth = 0
        if not depth and stripped.endswith(";"):
            out.append("\n".join(buf).rstrip().rstrip(";"))
            buf = []
    return out


def plan_digest(plan: BatchPlan) -> str:
    """A fingerprint of a plan's requests: SHA-256 of its client tokens in order.

    A token is a hash of (campaign, run id, number), so equal digests mean the
    same requests in the same order (and the same zones found from ZIP codes).
    """
    # a request with a zone from its ZIP adds it, so a plan whose ZIPs changed is bound again; plans
    # without ZIP zones keep the digests they always had
    return hashlib.sha256(
        "\n".join(
            r.client_token if r.time_zone is None else f"{r.client_token} {r.time_zone}"
            for b in plan.batches
            for r in b.requests
        ).encode()
    ).hexdigest()


def _utcnow() -> datetime:
    """Timezone-aware now in UTC (the ledger's clock)."""
    return datetime.now(timezone.utc)


def ledger_time(ts: datetime) -> str:
    """``ts`` in the form the ledger stores times: UTC ISO 8601 with milliseconds (compared as text)."""
    return ts.astimezone(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class LedgerRequest:
    """A request as the ledger holds it (what the sender needs to (re)send it)."""

    client_token: str
    seq: int
    batch: int
    position: int
    phone_e164: str
    attributes: dict[str, str]
    status: str
    attempts: int
    failure_code: str | None
    first_sent_at: str | None = None  #: ISO time of the first send (the client token's 7-day window starts there)
    time_zone: str | None = None  #: the callee's zone from the contact's ZIP, when the plan found one
    jurisdiction: str | None = None  #: the callee's ``US-XX`` state from the contact's ZIP, when the plan found one

    def __repr__(self) -> str:  # never show the number
        from dialkit.masking import mask_phone

        return (
            f"LedgerRequest(client_token={self.client_token!r}, batch={self.batch}, "
            f"phone={mask_phone(self.phone_e164)!r}, status={self.status!r}, attempts={self.attempts})"
        )


class _FileLock:
    """An exclusive, non-blocking OS lock on a sidecar file (released by the OS on process death).

    Taken with the maintained ``filelock`` library: ``flock`` on POSIX, ``LockFileEx``/``msvcrt``
    byte-range locks on Windows, the lock file opened without following a symlink and created
    0600.  ``timeout=0``: a second sender is refused at once, never left waiting.  No soft
    (marker-file) fallback: a marker left by a killed run would refuse every later send, where
    an OS lock dies with its process.  On POSIX the sidecar is removed on release while still
    held; an acquirer that locked the removed file sees it has no name any more and does not
    count it as held (filelock checks ``st_nlink``), so removal never lets two holders in.  On
    Windows filelock removes it after unlocking.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: Any = None

    def acquire(self) -> bool:
        """Take the lock now or return False (held by another sender); OSError if the path cannot be a lock file."""
        lock = filelock.FileLock(self.path, timeout=0, mode=0o600, thread_local=False, fallback_to_soft=False)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            try:
                if os.name != "nt":
                    self.path.unlink(missing_ok=True)  # while still held: see the class docstring
            finally:
                lock.release(force=True)


class _InodeLock:
    """An exclusive, non-blocking ``flock`` on the ledger's database file (its device and inode).

    Held through an open descriptor of the file, so it follows the file, not a
    path: a hard link, a symlink or a renamed path to a ledger in use meets it,
    and there is nothing to delete.  Released when closed or when the process
    dies.  On Windows (no ``flock``) it is a no-op and the sidecar lock alone holds.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock now or return False (another sender holds the file); OSError if it cannot be opened."""
        try:
            import fcntl
        except ImportError:  # Windows: the sidecar lock is the only one
            return True
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def same_file(self, path: Path) -> bool:
        """Whether ``path`` still names the locked file (same device and inode)."""
        if self._fd is None:
            return True
        held, now = os.fstat(self._fd), os.stat(path)
        return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor drops the flock


class _Locks:
    """The two locks of a ledger held for sending: the file's own (:class:`_InodeLock`) and the sidecar."""

    def __init__(self, real: Path) -> None:
        self.sidecar = _FileLock(real.with_name(real.name + ".lock"))
        self.file = _InodeLock(real)
        self.path = self.sidecar.path

    def release(self) -> None:
        try:
            self.file.release()
        finally:
            self.sidecar.release()


class Ledger:
    """One run's ledger file.

    Open it with :meth:`Ledger.open` for sending (takes the lock, creates the
    schema) or :meth:`Ledger.read` for reading only (no lock, refuses a missing
    file).  Use as a context manager.

    Only :func:`dialkit.send` writes a ledger: the writer methods (``_bind_plan``,
    ``_begin_call``, ``_record_response``, ...) are internal, because the order in
    which they run is what makes a resume safe.  Read one with
    :func:`dialkit.load_results`, :func:`dialkit.load_attempts` or :func:`dialkit.report`.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: _Locks | None) -> None:
        self.path = path
        self._db = conn
        self._lock = lock
        self._tally: bool | None = None
        self._tx_depth = 0
        self._send_id: int | None = None  # the send this writer is running (schema 3), tagged on its calls
        self._chain: Chain | None = Chain(conn) if lock is not None else None  # writers chain what they write
        self._evidence: bool | None = None

    # -- opening -----------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Ledger:  # noqa: C901
        """Open (or create) a ledger for sending; raises :class:`LedgerBusy` if another sender holds it."""
        p = Path(path)
        if p.exists() and p.is_dir():
            raise LedgerError(
                f"ledger path {p} is a directory: give a file path such as runs/campaign-2026-11-27.sqlite"
            )
        if p.exists() and not p.is_file():
            raise LedgerError(
                f"ledger path {p} is not a regular file (a device or a pipe, such as /dev/null): "
                "give a file path such as runs/campaign-2026-11-27.sqlite"
            )
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _storage_error(p, exc) from exc
        real = _resolve(p)  # every alias (symlink) of a ledger shares one lock and one file
        lock = _Locks(real)
        busy = LedgerBusy(
            f"ledger {p} is in use by another sender (the ledger file is locked; see also {lock.path}); two "
            "senders on one ledger could dial someone twice. Wait for the other run to finish or stop it, then resume."
        )
        try:
            acquired = lock.sidecar.acquire()
        except OSError as exc:
            raise _storage_error(lock.path, exc, lock=True) from exc
        if not acquired:
            raise busy
        try:
            try:
                if not lock.file.acquire():  # a hard link, a renamed path or a deleted lock file: the file says
                    raise busy
            except OSError as exc:
                raise _storage_error(p, exc) from exc
            _make_ledger_private(real)
            db = cls._connect(real)
            if not lock.file.same_file(real):  # replaced between the lock and the open
                db.close()
                raise busy
            cls._init_schema(db, p)
            led = cls(p, db, lock)
            led._add_ledger_id()
            return led
        except (OSError, sqlite3.Error) as exc:
            lock.release()
            raise _storage_error(p, exc) from exc
        except BaseException:
            lock.release()
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> Ledger:
        """Open an existing ledger for reading (no lock: a report may run beside a send).

        ``busy_timeout``: seconds to wait while another program holds the file
        exclusively (a send in WAL mode never does; an ``sqlite3`` shell in a
        transaction may), before a read fails with ``sqlite3.OperationalError``.
        """
        p = Path(path)
        if not p.is_file():
            raise LedgerError(f"no ledger at {p}: pass the --ledger path of a send (a .sqlite file)")
        db = cls._connect(p, writer=False, busy_timeout=busy_timeout)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version:
                db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise _damaged_ledger(p, exc) from exc
        cls._check_version(version, p)
        if version == 0:
            raise LedgerError(f"{p} is not a dialkit ledger (no schema version): pass the --ledger file of a send")
        return cls(p, db, None)

    @staticmethod
    def _connect(p: Path, *, writer: bool = True, busy_timeout: float = 30.0) -> sqlite3.Connection:
        try:
            if writer:
                db = sqlite3.connect(p, timeout=30, isolation_level=None, check_same_thread=False)
            else:  # read-only; on read-only media (no -shm can be made) the file is read as immutable
                db = _connect_read_only(p, busy_timeout)
            db.row_factory = sqlite3.Row
            if writer:  # a reader leaves the file's journal mode alone
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
            else:
                db.execute("PRAGMA query_only=ON")
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"{p} cannot be opened as a ledger ({exc}): is it a dialkit .sqlite file?") from exc
        return db

    @staticmethod
    def _check_version(version: int, p: Path) -> None:
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {p} has schema version {version}, newer than this dialkit ({__version__}, schema "
                f"{SCHEMA_VERSION}) understands: upgrade dialkit to read or resume it"
            )

    @classmethod
    def _init_schema(cls, db: sqlite3.Connection, p: Path) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        cls._check_version(version, p)
        if version == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise LedgerError(f"{p} is an SQLite file but not a dialkit ledger: choose another --ledger path")
            with _tx(db):
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        db.execute(stmt)
                for stmt in _statements(_SCHEMA_2) + _statements(_SCHEMA_3) + _statements(_SCHEMA_4):
                    db.execute(stmt)
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                db.execute("INSERT INTO meta VALUES ('created_by', ?)", (f"dialkit {__version__}",))
                db.execute("INSERT INTO meta VALUES ('created_at', ?)", (ledger_time(_utcnow()),))
                db.execute("INSERT INTO meta VALUES (?, ?)", (LEDGER_ID_KEY, uuid.uuid4().hex))
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                chain_existing(db)  # the chain starts with the ledger
        if version == 1:
            cls._migrate_1_to_2(db)
            version = 2
        if version == 2:
            cls._migrate_2_to_3(db)
            version = 3
        if version == 3:
            cls._migrate_3_to_4(db)

    def _add_ledger_id(self) -> None:
        """Give a ledger made before ledger ids its id, once, when it is next opened for sending (hash-chained)."""
        if self.ledger_id is None:
            self._set_meta(LEDGER_ID_KEY, uuid.uuid4().hex)

    @staticmethod
    def _migrate_1_to_2(db: sqlite3.Connection) -> None:
        """Schema 1 -> 2: add the ``seq`` index and the trigger-kept ``tally`` (one transaction)."""
        with _tx(db):
            for stmt in _statements(_SCHEMA_2):
                db.execute(stmt)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '2')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('migrated_by', ?)", (f"dialkit {__version__}",))
            db.execute("PRAGMA user_version = 2")

    @staticmethod
    def _migrate_2_to_3(db: sqlite3.Connection) -> None:
        """Schema 2 -> 3: the nullable ``requests.time_zone`` and ``calls.send_id``, and the ``sends`` table."""
        with _tx(db):
            for stmt in _statements(_SCHEMA_3):
                db.execute(stmt)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '3')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('migrated_by', ?)", (f"dialkit {__version__}",))
            db.execute("PRAGMA user_version = 3")

    @staticmethod
    def _migrate_3_to_4(db: sqlite3.Connection) -> None:
        """Schema 3 -> 4: the ``chain`` and ``evidence`` tables; every row already there is chained as found."""
        with _tx(db):
            for stmt in _statements(_SCHEMA_4):
                db.execute(stmt)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '4')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('migrated_by', ?)", (f"dialkit {__version__}",))
            n = db.execute("SELECT count(*) FROM requests").fetchone()[0]
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('chain_started', ?)",
                (
                    f"migrated to schema 4 at {ledger_time(_utcnow())}: the {n} requests and the other rows then present "
                    "were chained as found; the chain proves nothing about them before that moment",
                ),
            )
            db.execute("PRAGMA user_version = 4")
            chain_existing(db)

    def _has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` has ``column`` (a ledger of an older schema opened read-only may not)."""
        return any(r[1] == column for r in self._db.execute(f"PRAGMA table_info({table})"))

    @property
    def _has_tally(self) -> bool:
        """True for schema 2 and later (a schema-1 file opened read-only has no tally)."""
        if self._tally is None:
            self._tally = bool(
                self._db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='tally'").fetchone()[0]
            )
        return self._tally

    def close(self) -> None:
        """Close the file and release the lock."""
        try:
            self._db.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    @contextmanager
    def _transaction(self, *, commit_on: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """One committed transaction around several writes (nested calls join the outer one).

        The sender groups a loop's writes (the answers that came back, the calls
        about to go out) into one commit: one fsync instead of two per call.  An
        exception rolls back, unless it is one of ``commit_on`` (a clean stop:
        what was written is true and is kept).
        """
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._tx_depth = 1
        try:
            yield
        except commit_on:
            self._tx_depth = 0
            self._commit()
            raise
        except BaseException:
            self._tx_depth = 0
            self._db.execute("ROLLBACK")
            if self._chain is not None:
                self._chain.forget()
            raise
        else:
            self._tx_depth = 0
            self._commit()

    def _commit(self) -> None:
        """Chain the rows this transaction wrote (same transaction, no extra fsync), then commit."""
        if self._chain is not None:
            try:
                self._chain.flush()
            except BaseException:
                self._db.execute("ROLLBACK")
                self._chain.forget()
                raise
        self._db.execute("COMMIT")

    # -- meta ----------------------------------------------------------------
    @property
    def ledger_id(self) -> str | None:
        """The ledger's identity (:data:`LEDGER_ID_KEY`), None for a ledger never opened by a dialkit that writes one."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (LEDGER_ID_KEY,)).fetchone()
        return str(row[0]) if row is not None else None

    def meta(self) -> dict[str, str]:
        """The run's metadata: campaign_id, run_id, api, ttl_seconds, schema_version, ledger_id, ..."""
        return {r["key"]: r["value"] for r in self._db.execute("SELECT key, value FROM meta")}

    def _set_meta(self, key: str, value: str) -> None:
        """Record one metadata value (committed)."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def _bind_plan(self, plan: BatchPlan, *, digest: str | None = None) -> int:
        """Record the plan's requests (before anything is sent); returns how many were new.

        A fresh ledger takes the plan's campaign, run id and api.  A ledger that
        already belongs to another campaign, run id or api is refused: resuming
        it with another plan would make new tokens and could dial people twice.
        Requests already in the ledger are kept as they are (that is resume).
        """
        meta = self.meta()
        want = {"campaign_id": plan.campaign_id, "run_id": plan.run_id, "api": plan.api}
        if "campaign_id" in meta:
            clash = {k: (meta.get(k), v) for k, v in want.items() if meta.get(k) != v}
            if clash:
                detail = ", ".join(
                    f"{k} is {old!r} in the ledger but {new!r} in the plan" for k, (old, new) in clash.items()
                )
                raise LedgerError(
                    f"ledger {self.path} belongs to another run ({detail}); use a new --ledger file for a new "
                    "campaign or run id, or plan with the ledger's values to resume it"
                )
        digest = digest or plan_digest(plan)  # the caller may have it already (a 1M-request plan: ~0.1 s)
        settings = {**want, "ttl_seconds": str(int(plan.ttl.total_seconds()))}
        if meta.get("plan_sha256") == digest and all(meta.get(k) == v for k, v in settings.items()):
            return 0  # resume of the very plan already recorded: nothing new, no 1M-row pass
        now = ledger_time(_utcnow())
        with self._transaction():
            for k, v in {**settings, "plan_sha256": digest}.items():
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))
            start = self._db.execute("SELECT coalesce(max(seq), 0) FROM requests").fetchone()[0]
            before = self._total()
            zoned: list[tuple[str, str]] = []
            placed: list[tuple[str, str]] = []

            def rows() -> Iterator[tuple[Any, ...]]:
                for i, r in enumerate(plan.requests, start=1):
                    if r.time_zone is not None:
                        zoned.append((r.time_zone, r.client_token))
                    if r.jurisdiction is not None:
                        placed.append((r.jurisdiction, r.client_token))
                    yield (
                        r.client_token,
                        start + i,
                        r.batch,
                        r.position,
                        r.row,
                        r.phone_e164,
                        json.dumps(dict(r.attributes), sort_keys=True),
                        now,
                        r.time_zone,
                    )

            self._db.executemany(
                "INSERT OR IGNORE INTO requests (client_token, seq, batch, position, row, phone_e164, "
                "attributes, planned_at, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows(),
            )
            if zoned:  # a ledger written before the plan knew a ZIP's zone takes it now (never overwrites one)
                self._db.executemany(
                    "UPDATE requests SET time_zone=? WHERE client_token=? AND time_zone IS NULL", zoned
                )
            self._record_places(placed)
            return self._total() - before

    def _record_places(self, placed: Sequence[tuple[str, str]]) -> None:
        """Keep the ZIP's state per request (``(jurisdiction, client_token)``) for the rule packs at send time.

        Never overwrites one; nothing on a ledger of schema 3 or older opened read-only.
        """
        if placed and self._has_column("requests", "jurisdiction"):
            self._db.executemany(
                "UPDATE requests SET jurisdiction=? WHERE client_token=? AND jurisdiction IS NULL", placed
            )

    def _begin_send(self, rules: str | None, started_at: datetime) -> int:
        """Record the start of a send and the rules in force (JSON, no numbers); its calls carry the id."""
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO sends (started_at, rules) VALUES (?, ?)", (ledger_time(started_at), rules)
            )
            self._send_id = int(cur.lastrowid or 0)
        return self._send_id

    def sends_rows(self) -> list[sqlite3.Row]:
        """Every send recorded (schema 3): ``send_id``, ``started_at``, ``rules``; [] for an older ledger."""
        if not self._db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='sends'").fetchone()[0]:
            return []
        return self._db.execute("SELECT * FROM sends ORDER BY send_id").fetchall()

    def first_send_ids(self) -> dict[str, int | None]:
        """Per client token that went out: the ``send_id`` of the send that carried its first attempt."""
        if not self._has_column("calls", "send_id"):
            return {}
        return {
            r[0]: r[1]
            for r in self._db.execute(
                "SELECT a.client_token, c.send_id FROM (SELECT client_token, min(call_id) AS call_id FROM attempts "
                "GROUP BY client_token) a JOIN calls c USING (call_id)"
            )
        }

    def _total(self) -> int:
        if self._has_tally:
            return int(self._db.execute("SELECT coalesce(sum(n), 0) FROM tally").fetchone()[0])
        return int(self._db.execute("SELECT count(*) FROM requests").fetchone()[0])

    # -- the send protocol ---------------------------------------------------
    @staticmethod
    def _unsent_where(retry_codes: Sequence[str]) -> tuple[str, tuple[str, ...]]:
        marks = ",".join("?" * len(retry_codes)) or "''"
        return (
            f"(status IN ('pending', 'in_flight') OR (status = 'failed' AND failure_code IN ({marks})))",
            tuple(retry_codes),
        )

    def to_send(self, *, retry_codes: Sequence[str]) -> list[LedgerRequest]:
        """Requests still to send, in plan order: pending, in flight, or failed with a retryable code."""
        return list(self.iter_to_send(retry_codes=retry_codes))

    def iter_to_send(self, *, retry_codes: Sequence[str], page: int = 2000) -> Iterator[LedgerRequest]:
        """:meth:`to_send` a page at a time, so the first call can go out before a big ledger is read.

        Pages follow ``seq`` (indexed), so changes the sender makes behind the
        current page never shift what comes next.
        """
        where, params = self._unsent_where(retry_codes)
        # start at the first request still to send, found through the (status, seq) index: on a big
        # ledger that is mostly done, the first page then comes at once
        marks = ",".join("?" * len(retry_codes)) or "''"
        first = self._db.execute(
            "SELECT min(s) FROM (SELECT min(seq) AS s FROM requests WHERE status = 'pending' "
            "UNION ALL SELECT min(seq) FROM requests WHERE status = 'in_flight' "
            f"UNION ALL SELECT min(seq) FROM requests WHERE status = 'failed' AND failure_code IN ({marks}))",
            tuple(retry_codes),
        ).fetchone()[0]
        if first is None:
            return
        after = first - 1
        while True:
            rows = self._db.execute(
                f"SELECT * FROM requests WHERE seq > ? AND {where} ORDER BY seq LIMIT ?", (after, *params, page)
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield self._request(r)
            after = rows[-1]["seq"]

    def count_to_send(self, *, retry_codes: Sequence[str]) -> int:
        """How many :meth:`to_send` would return, without reading them."""
        if self._has_tally:
            rows = self._db.execute("SELECT status, failure_code, sum(n) FROM tally GROUP BY 1, 2").fetchall()
            return sum(
                n
                for status, code, n in rows
                if status in ("pending", "in_flight") or (status == "failed" and code in retry_codes)
            )
        where, params = self._unsent_where(retry_codes)
        return int(self._db.execute(f"SELECT count(*) FROM requests WHERE {where}", params).fetchone()[0])

    @staticmethod
    def _request(r: sqlite3.Row) -> LedgerRequest:
        from dialkit.ledger.stored import parse_attributes  # a damaged row is one clear error, not a traceback

        return LedgerRequest(
            client_token=r["client_token"],
            seq=r["seq"],
            batch=r["batch"],
            position=r["position"],
            phone_e164=r["phone_e164"],
            attributes=parse_attributes(r["attributes"], None, r["row"]),
            status=r["status"],
            attempts=r["attempts"],
            failure_code=r["failure_code"],
            first_sent_at=r["first_sent_at"],
            time_zone=r["time_zone"] if "time_zone" in r.keys() else None,
            jurisdiction=r["jurisdiction"] if "jurisdiction" in r.keys() else None,
        )

    def _begin_call(
        self,
        requests: Sequence[LedgerRequest],
        batch: int | None,
        sent_at: datetime,
        evidence: Sequence[Sequence[Any]] | None = None,
    ) -> int:
        """Write-ahead: mark ``requests`` in flight and record the call, committed before it goes out.

        ``evidence``: per request, ``(client_token, local_time, time_zones, time_zone_source,
        jurisdiction, rules_sha256, counts_json)`` as the sender judged it at ``sent_at``; written to
        the ``evidence`` table (schema 4) in the same transaction.

        One transaction (one fsync) per call, whatever its size, and a few
        statements each covering every request of the call: the sender's one
        writer thread gives up the interpreter lock at every SQLite step, so
        fewer steps mean less waiting behind the HTTP workers.
        """
        ts = ledger_time(sent_at)
        tokens = [r.client_token for r in requests]
        marks = ",".join("?" * len(tokens))
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO calls (batch, n_items, started_at, send_id) VALUES (?, ?, ?, ?)",
                (batch, len(requests), ts, self._send_id),
            )
            call_id = cur.lastrowid
            assert call_id is not None  # an INSERT always sets it
            if tokens:
                self._db.execute(
                    "UPDATE requests SET status='in_flight', attempts=attempts+1, pending_reason=NULL, "
                    f"first_sent_at=coalesce(first_sent_at, ?), last_sent_at=? WHERE client_token IN ({marks})",
                    (ts, ts, *tokens),
                )
                self._db.execute(
                    "INSERT INTO attempts (call_id, client_token, attempt, sent_at) SELECT ?, client_token, "
                    f"attempts, ? FROM requests WHERE client_token IN ({marks})",
                    (call_id, ts, *tokens),
                )
            if evidence and self._evidence_table:
                self._db.executemany(
                    "INSERT OR REPLACE INTO evidence (call_id, client_token, sent_at, local_time, time_zones, "
                    "time_zone_source, jurisdiction, rules_sha256, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(call_id, e[0], ts, *e[1:]) for e in evidence],
                )
        return call_id

    @property
    def _evidence_table(self) -> bool:
        """True for schema 4 and later."""
        if self._evidence is None:
            self._evidence = bool(
                self._db.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='evidence'"
                ).fetchone()[0]
            )
        return self._evidence

    def evidence_rows(self) -> list[sqlite3.Row]:
        """Every evidence row (schema 4), in call order; [] for an older ledger."""
        if not self._evidence_table:
            return []
        return self._db.execute("SELECT * FROM evidence ORDER BY call_id, client_token").fetchall()

    def verify_chain(self, *, expect_head: str | None = None) -> ChainReport:
        """Walk the hash chain and compare every row with it (:func:`dialkit.ledger.chain.verify`)."""
        return verify(self._db, expect_head=expect_head)

    def _record_response(
        self,
        call_id: int,
        succeeded: dict[str, str | None],
        failed: dict[str, tuple[str, str | None]],
        missing: Iterable[str],
        finished_at: datetime,
    ) -> None:
        """Record a 200 answer: per-token successes (id) and failures (code, id).

        Tokens of the call that the answer does not mention (``missing``) go back
        to ``in_flight`` with a reason, so they are resent with the same token.
        One transaction for the whole answer, one statement per kind of outcome.
        """
        ts = ledger_time(finished_at)
        missing = list(missing)
        if not _UPDATE_FROM:
            self._record_response_rowwise(call_id, succeeded, failed, missing, ts)
            return
        with self._transaction():
            if succeeded:
                values = ",".join("(?, ?)" for _ in succeeded)
                self._db.execute(
                    "UPDATE requests SET status='succeeded', failure_code=NULL, dial_request_id=v.column2, "
                    f"completed_at=?, pending_reason=NULL FROM (VALUES {values}) AS v "
                    "WHERE requests.client_token = v.column1",
                    (ts, *[x for token, dial_id in succeeded.items() for x in (token, dial_id)]),
                )
                self._db.execute(
                    f"UPDATE attempts SET outcome='succeeded' WHERE call_id=? AND client_token IN "
                    f"({','.join('?' * len(succeeded))})",
                    (call_id, *succeeded),
                )
            if failed:
                values = ",".join("(?, ?, ?)" for _ in failed)
                params = [x for token, (code, dial_id) in failed.items() for x in (token, code, dial_id)]
                self._db.execute(
                    "UPDATE requests SET status='failed', failure_code=v.column2, "
                    "dial_request_id=coalesce(v.column3, requests.dial_request_id), completed_at=? "
                    f"FROM (VALUES {values}) AS v WHERE requests.client_token = v.column1",
                    (ts, *params),
                )
                self._db.execute(
                    "UPDATE attempts SET outcome=v.column2, failure_code=v.column2 "
                    f"FROM (VALUES {values}) AS v WHERE attempts.call_id=? AND attempts.client_token = v.column1",
                    (*params, call_id),
                )
            if missing:
                marks = ",".join("?" * len(missing))
                self._db.execute(
                    "UPDATE requests SET pending_reason='not in the answer; will resend with the same token' "
                    f"WHERE client_token IN ({marks})",
                    tuple(missing),
                )
                self._db.execute(
                    f"UPDATE attempts SET outcome='missing' WHERE call_id=? AND client_token IN ({marks})",
                    (call_id, *missing),
                )
            self._db.execute("UPDATE calls SET finished_at=?, outcome='ok' WHERE call_id=?", (ts, call_id))

    def _record_response_rowwise(
        self,
        call_id: int,
        succeeded: dict[str, str | None],
        failed: dict[str, tuple[str, str | None]],
        missing: list[str],
        ts: str,
    ) -> None:
        """:meth:`_record_response` for SQLite older than 3.33 (no ``UPDATE ... FROM``)."""
        with self._transaction():
            self._db.executemany(
                "UPDATE requests SET status='succeeded', failure_code=NULL, dial_request_id=?, "
                "completed_at=?, pending_reason=NULL WHERE client_token=?",
                [(dial_id, ts, token) for token, dial_id in succeeded.items()],
            )
            self._db.executemany(
                "UPDATE attempts SET outcome='succeeded' WHERE call_id=? AND client_token=?",
                [(call_id, token) for token in succeeded],
            )
            self._db.executemany(
                "UPDATE requests SET status='failed', failure_code=?, dial_request_id=coalesce(?, dial_request_id), "
                "completed_at=? WHERE client_token=?",
                [(code, dial_id, ts, token) for token, (code, dial_id) in failed.items()],
            )
            self._db.executemany(
                "UPDATE attempts SET outcome=?, failure_code=? WHERE call_id=? AND client_token=?",
                [(code, code, call_id, token) for token, (code, _) in failed.items()],
            )
            self._db.executemany(
                "UPDATE requests SET pending_reason='not in the answer; will resend with the same "
                "token' WHERE client_token=?",
                [(token,) for token in missing],
            )
            self._db.executemany(
                "UPDATE attempts SET outcome='missing' WHERE call_id=? AND client_token=?",
                [(call_id, token) for token in missing],
            )
            self._db.execute("UPDATE calls SET finished_at=?, outcome='ok' WHERE call_id=?", (ts, call_id))

    def _record_call_error(
        self, call_id: int, error_code: str, message: str, *, accepted_nothing: bool, reason: str, finished_at: datetime
    ) -> None:
        """Record a whole-call error.

        ``accepted_nothing``: the service answered with an error, so none of the
        call's requests was taken: they go back to ``pending`` with ``reason``.
        Otherwise (connection reset, time-out) the outcome is unknown: they stay
        ``in_flight`` and are resent with the same token.
        """
        ts = ledger_time(finished_at)
        status = "pending" if accepted_nothing else "in_flight"
        with self._transaction():
            self._db.execute(
                "UPDATE calls SET finished_at=?, outcome='error', error_code=?, error_message=? WHERE call_id=?",
                (ts, error_code, message[:500], call_id),
            )
            self._db.execute(
                "UPDATE requests SET status=?, pending_reason=? WHERE status='in_flight' AND client_token IN "
                "(SELECT client_token FROM attempts WHERE call_id=?)",
                (status, reason, call_id),
            )
            self._db.execute("UPDATE attempts SET outcome='call_error' WHERE call_id=?", (call_id,))

    def _mark_pending_reason(self, tokens: Iterable[str], reason: str) -> None:
        """Say why requests were left unsent (stopped, campaign paused, retry budget spent)."""
        with self._transaction():
            self._db.executemany(
                "UPDATE requests SET pending_reason=? WHERE client_token=? AND status IN ('pending','in_flight','failed')",
                [(reason, token) for token in tokens],
            )

    def _mark_unsent_reason(
        self, reason: str, *, retry_codes: Sequence[str], first_sent_since: str | None = None
    ) -> int:
        """Give every request still to send (see :meth:`to_send`) the pending ``reason``; returns how many.

        ``first_sent_since`` (an ISO time) leaves out requests first sent before
        it: their own reason (e.g. past the token window) must stay.
        """
        where, params = self._unsent_where(retry_codes)
        extra = ""
        if first_sent_since is not None:
            extra = " AND (first_sent_at IS NULL OR first_sent_at >= ?)"
            params = (*params, first_sent_since)
        with self._transaction():
            cur = self._db.execute(f"UPDATE requests SET pending_reason=? WHERE {where}{extra}", (reason, *params))
            return int(cur.rowcount)

    def _mark_past_window(self, reason: str, *, retry_codes: Sequence[str], first_sent_before: str) -> int:
        """Mark every request still to send whose first send is before ``first_sent_before`` (ISO).

        Each gets the pending ``reason``; returns how many.  The sender leaves them unsent (the token
        window).
        """
        marks = ",".join("?" * len(retry_codes)) or "''"
        with self._transaction():  # two statements, each served by the (status, seq) index
            one = self._db.execute(
                "UPDATE requests SET pending_reason=? WHERE status IN ('pending', 'in_flight') AND first_sent_at < ?",
                (reason, first_sent_before),
            ).rowcount
            two = self._db.execute(
                f"UPDATE requests SET pending_reason=? WHERE status = 'failed' AND failure_code IN ({marks}) "
                "AND first_sent_at < ?",
                (reason, *retry_codes, first_sent_before),
            ).rowcount
            return int(one) + int(two)

    # -- reading ---------------------------------------------------------------
    def counts(self, retry_codes: Sequence[str] = ()) -> dict[str, Any]:
        """Totals per request state; the four states are disjoint and sum to ``requests``.

        ``pending`` (not sent yet, or waiting to be resent), ``in_flight`` (sent,
        outcome unknown), ``succeeded`` and ``failed`` (final, per code in
        ``failure_codes``): ``pending + in_flight + succeeded + failed ==
        requests``.  A request that failed with one of ``retry_codes`` and has no
        ``pending_reason`` yet is about to be resent: it is pending, and
        ``retrying`` says how many of the pending ones are such resends (a detail
        inside ``pending``, never added to it).  Once its budget is spent or the
        run stops, it gets a reason and counts as failed with its code.
        """
        if self._has_tally:  # schema 2: a few rows kept exact by triggers, whatever the ledger's size
            groups = self._db.execute("SELECT status, failure_code, no_reason, n FROM tally WHERE n > 0").fetchall()
        else:  # a schema-1 ledger opened read-only: count the requests themselves
            groups = self._db.execute(
                "SELECT status, coalesce(failure_code, ''), pending_reason IS NULL, count(*) FROM requests "
                "GROUP BY 1, 2, 3"
            ).fetchall()
        by_status: dict[str, int] = {}
        codes: dict[str, int] = {}
        retrying = 0
        retry = set(retry_codes)
        for status, code, no_reason, n in groups:
            by_status[status] = by_status.get(status, 0) + n
            if status == "failed":
                if code in retry and no_reason:
                    retrying += n
                else:
                    codes[code] = codes.get(code, 0) + n
        return {
            "requests": sum(by_status.values()),
            "succeeded": by_status.get("succeeded", 0),
            "failed": sum(codes.values()),
            "failure_codes": codes,
            "pending": by_status.get("pending", 0) + retrying,
            "in_flight": by_status.get("in_flight", 0),
            "retrying": retrying,
        }

    def requests_rows(self) -> list[sqlite3.Row]:
        """Every request row, in plan order (for :func:`dialkit.ledger.results.load_results`)."""
        return self._db.execute("SELECT * FROM requests ORDER BY seq").fetchall()

    def attempts_rows(self) -> list[sqlite3.Row]:
        """Every attempt joined with its call, in order (for :func:`dialkit.ledger.results.load_attempts`)."""
        return self._db.execute(
            "SELECT a.client_token, r.batch, a.attempt, a.sent_at, a.outcome, a.failure_code, c.error_code, "
            "a.call_id FROM attempts a JOIN calls c USING (call_id) JOIN requests r USING (client_token) "
            "ORDER BY a.call_id, r.seq"
        ).fetchall()

    def calls_rows(self) -> list[sqlite3.Row]:
        """Every call, in order."""
        return self._db.execute("SELECT * FROM calls ORDER BY call_id").fetchall()


def _connect_read_only(p: Path, busy_timeout: float = 30.0) -> sqlite3.Connection:
    """Open ``p`` read-only; when even that fails (read-only media, WAL files not creatable), as immutable."""
    from urllib.parse import quote

    uri = "file:" + quote(str(p.resolve()))
    db = sqlite3.connect(
        uri + "?mode=ro", uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:  # cannot open (read-only media): try immutable below
        db.close()
    except sqlite3.DatabaseError:  # not a database at all: the caller says so
        return db
    return sqlite3.connect(
        uri + "?immutable=1", uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_ledger_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a dialkit ledger, by its content (never its name).

    True for a regular file that starts with SQLite's header and holds the
    ``meta`` and ``requests`` tables (or that another program holds locked, so
    its tables cannot be listed now: the reader decides).  False for anything
    else: another SQLite database, a ``-wal``/``-shm`` or ``.lock`` sidecar, a
    CSV, a FIFO or a device.
    """
    import stat
    from urllib.parse import quote

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as f:
            if f.read(16) != _SQLITE_MAGIC:
                return False
    except OSError:
        return False
    uri = "file:" + quote(os.path.realpath(os.fspath(path))) + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=1)
    except sqlite3.Error:
        return False
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()
    return {"meta", "requests"} <= names


def _damaged_ledger(p: Path, exc: BaseException) -> LedgerError:
    """The error for a ledger SQLite cannot read (truncated, overwritten, not SQLite)."""
    return LedgerError(
        f"ledger {p} is damaged or not a dialkit ledger ({exc}): restore it from a copy if you have one "
        "(`sqlite3 LEDGER .recover` may rescue its rows); do not resume a different file in its place"
    )


def _storage_error(p: Path, exc: BaseException, *, lock: bool = False) -> LedgerError:
    """One clear error for a storage fault at open: what happened and what to do (nothing was sent)."""
    import errno

    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if isinstance(exc, IsADirectoryError) and lock:
        advice = f"{p} is a directory, not dialkit's lock file: remove or rename it, then send again"
    elif code == errno.ENOSPC or "disk is full" in text or "database or disk is full" in text:
        advice = "the disk is full: free some space, then send again with the same ledger"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        advice = (
            "the ledger or its folder cannot be written (read-only media or permissions): make it writable, "
            "or copy the ledger (with its -wal file) somewhere writable to resume it; `dialkit report` reads it "
            "where it is"
        )
    elif isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
        return _damaged_ledger(p, exc)
    else:
        advice = "check the path, free space and permissions, then send again with the same ledger"
    reason = getattr(exc, "strerror", None) or str(exc)
    return LedgerError(f"cannot use {'the lock ' if lock else 'ledger '}{p} ({reason}): {advice}. Nothing was sent.")


def _resolve(p: Path) -> Path:
    """The file a ledger path really names (symlinks followed), so its lock is shared by every alias."""
    try:
        return p.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise LedgerError(
            f"ledger path {p} cannot be resolved ({type(exc).__name__}: a symlink loop?): give the path of a real file"
        ) from exc


def _make_ledger_private(p: Path) -> None:
    """The ledger holds full numbers: create it 0600 (SQLite gives ``-wal``/``-shm`` the file's mode), tighten old ones."""
    make_private(p)
    for suffix in ("-wal", "-shm"):
        side = p.with_name(p.name + suffix)
        if side.is_file():
            make_private(side)


@contextmanager
def _tx(db: sqlite3.Connection) -> Iterator[None]:
    """One committed transaction (IMMEDIATE, so a writer never deadlocks a reader)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")
