"""The project's state: a ledger of what ComboCurve accepted, and one run at a time.

The ledger lets a run send only what changed. It holds one row per (API base URL, resource,
record key): the hash of the record as sent, the run that sent it and when ComboCurve accepted
it. A record is written here only after its 207 result said it was accepted, one transaction
per answered request, so a run killed at any moment leaves a ledger that claims nothing
ComboCurve did not accept; the next run sends the rest. Test and production APIs are
different tenants: the base URL is part of the key.

Storage (`<state>/ledger.sqlite`, SQLite in WAL mode), chosen by measurement: upserting a
million random keys into a SQLite B-tree took 10 to 27 s, far too slow for a first full sync.
So each resource has a columnar *snapshot* (Arrow IPC streams, zstd, in blobs of 65,536
rows: about 30 MB per million keys, its hashes read in 0.03 s) and an append-only *log* with
one row per accepted request (its records as the same columns). Loading merges the two with
numpy, reading only the hash columns; when the log has grown, it is folded into a new
snapshot, a part at a time, in the transaction that empties it, when the resource next starts
(while memory is low, not at the end of a big run).

Tables: `meta` (format, version), `runs`, `resources` (fingerprint, last runs),
`snapshots`, `log`, `verifications`. The columns of a snapshot or log entry: key_hash,
record_hash, run, accepted_at and the identity fields of the resource (dataSource, chosenID,
date...), and combocurve_id where the answer gave one. A log entry of records deleted from
ComboCurve (mirror deletions) holds their keys; loading drops them. `verifications` keeps,
per resource, what the last verify saw in ComboCurve (core.verification): when it started, what
it compared, and a hash of each record it found.

One run at a time: an OS lock on `<state>/run.lock` (filelock: the OS drops it when the
process dies, on Linux and Windows alike, so a kill -9 leaves nothing to clean), with the
holder's pid and start time in `<state>/run.json` for the message of the run that finds it
taken. A dry run and `state` take no lock and write nothing.
"""

import json
import logging
import os
import socket
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from .errors import LedgerError, LockedError

log = logging.getLogger(__name__)

FORMAT = "combocurve-sync ledger"
VERSION = 1
LEDGER_FILE, LOCK_FILE, HOLDER_FILE = "ledger.sqlite", "run.lock", "run.json"
NEW, CHANGED, UNCHANGED = 0, 1, 2
COMBOCURVE_ID = "combocurve_id"  # the column of a record's id in ComboCurve, where known
UNKNOWN_HASH = 0  # a record whose hash is no longer trusted (mapping changed, full refresh)
COMPACT_AT = 0.25  # fold the log into the snapshot once it holds this share of its records
MIN_COMPACT = 50_000  # ...but never for fewer records than this
_IPC = ipc.IpcWriteOptions(compression="zstd")
_SNAPSHOT, _ACCEPTED, _DELETED = 0, 1, 2  # the kinds of stored tables, in the order they apply
_PART = 65_536  # rows of a snapshot part: a fold holds one part at a time, never a whole copy
_LEADING = ("key_hash", "record_hash", "run", "accepted_at")  # the first columns of every table

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL,
                   pid INTEGER);
CREATE TABLE resources (id INTEGER PRIMARY KEY, base_url TEXT NOT NULL, name TEXT NOT NULL,
                        fingerprint TEXT, since TEXT, last_run TEXT, last_success TEXT,
                        UNIQUE (base_url, name));
CREATE TABLE snapshots (resource INTEGER NOT NULL REFERENCES resources (id),
                        part INTEGER NOT NULL, records INTEGER NOT NULL, data BLOB NOT NULL,
                        PRIMARY KEY (resource, part));
CREATE TABLE log (seq INTEGER PRIMARY KEY, resource INTEGER NOT NULL REFERENCES resources (id),
                  records INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
                  data BLOB NOT NULL);
CREATE TABLE verifications (resource INTEGER PRIMARY KEY REFERENCES resources (id),
                            started_at TEXT NOT NULL, fingerprint TEXT NOT NULL,
                            records INTEGER NOT NULL, data BLOB NOT NULL);
"""


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Ledger:
    """The project's ledger file; `open()` it for a run, `read()` it to look."""

    def __init__(self, folder: Path, connection: sqlite3.Connection | None, lock=None):
        self.folder, self.path = Path(folder), Path(folder) / LEDGER_FILE
        self._db, self._lock = connection, lock
        self._run: int | None = None

    def __repr__(self) -> str:
        return f"Ledger({self.path})"

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path) -> "Ledger":
        """For a run: take the project's lock, then open (or create) the ledger for writing.
        Raises LockedError when another run holds the lock, LedgerError when the ledger
        cannot be trusted or written."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unwritable(folder, exc) from None
        lock = _take_lock(folder)
        try:
            ledger = cls(folder, _connect(folder / LEDGER_FILE, create=True), lock)
            ledger._check_or_create()
            return ledger
        except BaseException:
            lock.release()
            raise

    @classmethod
    def read(cls, folder: Path) -> "Ledger":
        """For a dry run or a look: no lock, no write; an absent ledger is an empty one."""
        path = Path(folder) / LEDGER_FILE
        if not path.exists():
            return cls(folder, None)
        ledger = cls(folder, _connect(path, create=False))
        ledger._check_or_create()
        return ledger

    def close(self) -> None:
        if self._db is not None:
            try:
                if self._lock is not None:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # the data is safe in the WAL; the next open checkpoints it
            self._db.close()
            self._db = None
        if self._lock is not None:
            (self.folder / HOLDER_FILE).unlink(missing_ok=True)
            self._lock.release()
            self._lock = None

    @property
    def writable(self) -> bool:
        return self._lock is not None

    def _check_or_create(self) -> None:
        with self._reading():
            tables = {row[0] for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and self.writable:
            with self._transaction() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ("format", FORMAT), ("version", str(VERSION))])
            return
        if "meta" in tables and "verifications" not in tables and self.writable:
            with self._transaction() as db:  # a ledger of this version made before verify
                db.execute(_SCHEMA[_SCHEMA.index("CREATE TABLE verifications"):])
        with self._reading():
            meta = dict(self._db.execute("SELECT name, value FROM meta")) \
                if "meta" in tables else {}
        if meta.get("format") != FORMAT:
            raise LedgerError(f"{self.path}: not a ComboCurve Sync ledger (another tool's "
                              "file?); move it away or give the ledger another folder with "
                              "--state or [state] path")
        if int(meta.get("version", 0)) > VERSION:
            raise LedgerError(f"{self.path}: written by a newer ComboCurve Sync (ledger "
                              f"version {meta['version']}; this one reads up to {VERSION}); "
                              "upgrade combocurve-sync, or use another --state folder")

    def _reading(self):
        return _guarded(self.path, "read")

    @contextmanager
    def _transaction(self):
        """One write transaction; any failure (a full disk, a read-only file) rolls it back
        and becomes a LedgerError."""
        with _guarded(self.path, "write"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # -- a run -----------------------------------------------------------------------------

    def begin_run(self, run_id: str, started_at: datetime) -> None:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (run_id, started_at, pid) VALUES (?, ?, ?)",
                (run_id, started_at.isoformat(), os.getpid()))
            self._run = cursor.lastrowid
        _write_holder(self.folder, run_id, started_at)

    def resource(self, base_url: str, name: str, fingerprint: dict, *,
                 full_refresh: bool = False) -> "ResourceState":
        """What the ledger holds for one resource of one API, ready to classify records.

        When the fingerprint (the column mapping, the normalisation version...) differs from
        the one that produced the stored hashes, or on a full refresh, every stored hash is
        marked unknown, so that every record is sent again; keys are kept."""
        row = None
        if self._db is not None:
            with self._reading():
                row = self._db.execute(
                    "SELECT id, fingerprint, since FROM resources WHERE base_url = ? AND "
                    "name = ?", (base_url, name)).fetchone()
        if row is None:
            resource_id, since, stale = None, None, None
            if self.writable:
                with self._transaction() as db:
                    resource_id = db.execute(
                        "INSERT INTO resources (base_url, name, fingerprint) VALUES (?, ?, ?)",
                        (base_url, name, _dump(fingerprint))).lastrowid
            keys, hashes = np.empty(0, np.uint64), np.empty(0, np.uint64)
        else:
            resource_id, stored, since = row[0], row[1], row[2]
            stale = "--full-refresh" if full_refresh else fingerprint_change(
                json.loads(stored) if stored else None, fingerprint)
            if stale and self.writable:
                self._forget_hashes(resource_id, fingerprint)
            elif self.writable and self._log_has_grown(resource_id):
                with self._transaction():
                    self._fold(resource_id)
                pa.default_memory_pool().release_unused()  # before the run needs its memory
            keys, hashes = self._load_hashes(resource_id)
            if stale:
                hashes = np.full(len(keys), UNKNOWN_HASH, dtype=np.uint64)
        return ResourceState(self, resource_id, name, keys, hashes,
                             datetime.fromisoformat(since) if since else None, stale)

    def _load_hashes(self, resource_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The resource's live keys, sorted, and their hashes."""
        table = self._merged(resource_id, ("key_hash", "record_hash"))
        return (table.column("key_hash").to_numpy().astype(np.uint64, copy=False),
                table.column("record_hash").to_numpy().astype(np.uint64, copy=False))

    def _merged(self, resource_id: int, columns=None) -> pa.Table:
        """Snapshot and log as one table, one row per live key, in key order."""
        whole, keep = self._folded(resource_id, columns)
        return whole if keep is None else whole.take(pa.array(keep))

    def _folded(self, resource_id: int, columns=None) -> tuple[pa.Table, np.ndarray | None]:
        """Every stored table of a resource as one (chunked, not copied), and the positions of
        its live keys in key order: each key's last entry, unless that entry deleted it.
        `keep` is None when there is a snapshot alone, folded already."""
        with self._reading():
            cursor = self._db.execute(
                "SELECT data, 0 FROM (SELECT data FROM snapshots WHERE resource = ? ORDER BY "
                "part) UNION ALL SELECT data, CASE deleted WHEN 0 THEN 1 ELSE 2 END FROM "
                "(SELECT data, deleted FROM log WHERE resource = ? ORDER BY seq)",
                (resource_id, resource_id))
            parts = [(_decode(data, self.path, columns), kind) for data, kind in cursor]
        if not parts:
            return (_empty_table().select(list(columns)) if columns else _empty_table()), None
        whole = pa.concat_tables([table for table, _ in parts], promote_options="default")
        if all(kind == _SNAPSHOT for _, kind in parts):
            return whole, None  # the parts of a snapshot are in key order, each key once
        alive = np.concatenate([np.full(len(table), kind != _DELETED) for table, kind in parts])
        return whole, _latest_positions(whole.column("key_hash").to_numpy(), alive)

    def _log_has_grown(self, resource_id: int) -> bool:
        """Whether the log holds enough records to be worth folding into the snapshot (done
        when a resource starts, while memory is low, not at the end of a big run)."""
        with self._reading():
            logged, snapshot = self._db.execute(
                "SELECT (SELECT COALESCE(SUM(records), 0) FROM log WHERE resource = ?), "
                "(SELECT COALESCE(SUM(records), 0) FROM snapshots WHERE resource = ?)",
                (resource_id, resource_id)).fetchone()
        return logged >= max(MIN_COMPACT, COMPACT_AT * snapshot)

    def _fold(self, resource_id: int, *, forget_hashes: bool = False) -> None:
        """Inside a transaction: the log folded into a new snapshot, written a part at a time
        so that a million keys are never held twice; with `forget_hashes`, every hash becomes
        unknown (the next run sends every record again, keys kept)."""
        whole, keep = self._folded(resource_id)
        count = len(whole) if keep is None else len(keep)
        self._db.execute("DELETE FROM log WHERE resource = ?", (resource_id,))
        self._db.execute("DELETE FROM snapshots WHERE resource = ?", (resource_id,))
        for part, start in enumerate(range(0, count, _PART)):
            rows = whole.slice(start, _PART) if keep is None else \
                whole.take(pa.array(keep[start:start + _PART]))
            if forget_hashes:
                rows = rows.set_column(1, "record_hash", pa.array(
                    np.full(len(rows), UNKNOWN_HASH, np.uint64)))
            self._db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?)",
                             (resource_id, part, len(rows), _encode(rows)))

    def _forget_hashes(self, resource_id: int, fingerprint: dict) -> None:
        """Fold the log into a snapshot whose hashes are all unknown, with the new
        fingerprint, in one transaction: a run stopped halfway resends the rest next time."""
        with self._transaction() as db:
            self._fold(resource_id, forget_hashes=True)
            db.execute("UPDATE resources SET fingerprint = ? WHERE id = ?",
                       (_dump(fingerprint), resource_id))

    # -- looking and forgetting ------------------------------------------------------------

    def summary(self) -> list[dict]:
        """Per resource and API: records held, the last run and the last successful one."""
        if self._db is None:
            return []
        with self._reading():
            rows = self._db.execute(
                "SELECT id, base_url, name, since, last_run, last_success FROM resources "
                "ORDER BY base_url, id").fetchall()
        found = []
        for resource_id, base_url, name, since, last_run, last_success in rows:
            keys, _ = self._load_hashes(resource_id)
            verified = self._verification(resource_id, with_data=False)
            found.append({"base_url": base_url, "resource": name, "records": len(keys),
                          "since": since, "last_run": json.loads(last_run or "null"),
                          "last_success": json.loads(last_success or "null"),
                          "last_verify": verified.started_at.isoformat() if verified else None})
        return found

    def records(self, base_url: str, name: str) -> pa.Table:
        """Every record held for a resource of an API: key, hashes, run id, accepted time."""
        if self._db is None:
            return _empty_table()
        resource_id = self.resource_id(base_url, name)
        return self._merged(resource_id) if resource_id is not None else _empty_table()

    def resource_id(self, base_url: str, name: str, *, create: bool = False) -> int | None:
        """The row of a resource of an API; made (with no fingerprint) when `create`."""
        if self._db is None:
            return None
        with self._reading():
            row = self._db.execute("SELECT id FROM resources WHERE base_url = ? AND name = ?",
                                   (base_url, name)).fetchone()
        if row is not None or not create:
            return row[0] if row else None
        with self._transaction() as db:
            return db.execute("INSERT INTO resources (base_url, name) VALUES (?, ?)",
                              (base_url, name)).lastrowid

    def drop(self, resource_id: int, key_hashes: np.ndarray,
             deleted_at: datetime | None = None) -> None:
        """Records deleted from ComboCurve leave the ledger: one log entry of their keys, in
        one transaction. Raises LedgerError when the ledger cannot be written."""
        if not len(key_hashes):
            return
        table = pa.table(_entries(key_hashes, np.zeros(len(key_hashes), np.uint64),
                                  self._run or 0, deleted_at))
        with self._transaction() as db:
            db.execute("INSERT INTO log (resource, records, deleted, data) VALUES (?, ?, 1, ?)",
                       (resource_id, len(key_hashes), _encode(table)))

    def last_verify(self, base_url: str, name: str) -> "Verification | None":
        """What the last verify of a resource saw in ComboCurve, or None."""
        resource_id = self.resource_id(base_url, name)
        return self._verification(resource_id) if resource_id is not None else None

    def _verification(self, resource_id: int, *, with_data: bool = True):
        if self._db is None or not self._has_table("verifications"):
            return None
        with self._reading():
            row = self._db.execute(
                "SELECT started_at, fingerprint, " + ("data" if with_data else "NULL")
                + " FROM verifications WHERE resource = ?", (resource_id,)).fetchone()
        if row is None:
            return None
        table = _decode(row[2], self.path) if with_data else None
        return Verification(datetime.fromisoformat(row[0]), json.loads(row[1]), table)

    def save_verify(self, base_url: str, name: str, verification: "Verification") -> None:
        """Keep what a verify saw, replacing the last one, in one transaction."""
        resource_id = self.resource_id(base_url, name, create=True)
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO verifications VALUES (?, ?, ?, ?, ?)",
                       (resource_id, verification.started_at.isoformat(),
                        _dump(verification.fingerprint), len(verification.seen),
                        _encode(verification.seen)))

    def _has_table(self, name: str) -> bool:
        with self._reading():
            return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                    "name = ?", (name,)).fetchone() is not None

    def forget(self, name: str) -> int:
        """Drop everything held for a resource (every API); returns the records dropped."""
        with self._reading():
            ids = [r[0] for r in self._db.execute("SELECT id FROM resources WHERE name = ?",
                                                   (name,))]
        dropped = sum(len(self._load_hashes(i)[0]) for i in ids)
        with self._transaction() as db:
            for resource_id in ids:  # an open ledger has its verifications table
                db.execute("DELETE FROM verifications WHERE resource = ?", (resource_id,))
                db.execute("DELETE FROM log WHERE resource = ?", (resource_id,))
                db.execute("DELETE FROM snapshots WHERE resource = ?", (resource_id,))
                db.execute("DELETE FROM resources WHERE id = ?", (resource_id,))
        return dropped


@dataclass(frozen=True)
class Verification:
    """What a verify saw of one resource in ComboCurve: when it started (the server's
    clock), what it compared (`fingerprint`), and `seen`, a table of every record found:
    key (its compare key's hash), group (what a GET filters it by: a well id, or a
    well's identity) and hash (of its compared fields, normalised)."""

    started_at: datetime
    fingerprint: dict
    seen: pa.Table


def _entries(key_hashes: np.ndarray, record_hashes: np.ndarray, run: int,
             moment: datetime | None) -> dict[str, pa.Array]:
    """The columns every log entry starts with: keys, hashes (0 for a deletion), the run and
    when ComboCurve answered (now, unless told)."""
    count, at = len(key_hashes), int((moment or now_utc()).timestamp())
    return {"key_hash": pa.array(key_hashes, pa.uint64()),
            "record_hash": pa.array(record_hashes, pa.uint64()),
            "run": pa.array(np.full(count, run, np.uint32)),
            "accepted_at": pa.array(np.full(count, at, np.uint32))}


def locate(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `keys` is in `sorted_keys`, and whether it is there at all. `at` is only
    meaningful where `found`: an empty `sorted_keys` finds nothing, and its `at` (zeros) must
    not index an array that goes with it."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=np.intp), np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return at, sorted_keys[at] == keys


class ResourceState:
    """The ledger's view of one resource during a run: classify pages, record answers."""

    def __init__(self, ledger: Ledger, resource_id: int | None, name: str, keys: np.ndarray,
                 hashes: np.ndarray, since: datetime | None, stale: str | None):
        self.ledger, self.resource_id, self.name = ledger, resource_id, name
        self._keys, self._hashes = keys, hashes  # sorted by key
        self.since = since  # start of the last successful run of this resource
        self.stale = stale  # why every record is sent again, if it is

    @property
    def known(self) -> int:
        return len(self._keys)

    def held(self) -> pa.Table:
        """Everything the ledger holds for this resource, in key order: key_hash,
        record_hash, run, accepted_at, the identity fields, and combocurve_id where known."""
        if self.resource_id is None or self.ledger._db is None:
            return _empty_table()
        return self.ledger._merged(self.resource_id)

    def classify(self, key_hashes: np.ndarray, record_hashes: np.ndarray) -> np.ndarray:
        """NEW, CHANGED or UNCHANGED for each record, against what ComboCurve accepted."""
        verdict = np.full(len(key_hashes), NEW, dtype=np.int8)
        if not len(self._keys):
            return verdict
        at, known = locate(self._keys, key_hashes)
        verdict[known] = CHANGED
        verdict[known & (self._hashes[at] == record_hashes)] = UNCHANGED
        return verdict

    def record(self, key_hashes: np.ndarray, record_hashes: np.ndarray, keys,
               accepted_at: datetime | None = None, ids=None) -> None:
        """Write records ComboCurve accepted, in one transaction (`keys`: their identity
        fields, an Arrow table of text; `ids`: their ComboCurve ids where the answer gave
        them, kept as `combocurve_id`). Raises LedgerError when the ledger cannot be written."""
        if not len(key_hashes):
            return
        columns = _entries(key_hashes, record_hashes, self.ledger._run, accepted_at)
        for name in keys.column_names:
            columns[name] = keys.column(name)
        if ids is not None:
            columns[COMBOCURVE_ID] = pa.array(list(ids), pa.string())
        data = _encode(pa.table(columns))
        with self.ledger._transaction() as db:
            db.execute("INSERT INTO log (resource, records, data) VALUES (?, ?, ?)",
                       (self.resource_id, len(key_hashes), data))

    def finish(self, run_id: str, started_at: datetime, counts: dict, succeeded: bool) -> None:
        """After the resource: its last run, and its last success (which `:since` starts
        from)."""
        outcome = _dump({"run_id": run_id, "started_at": started_at.isoformat(),
                         "ended_at": now_utc().isoformat(), **counts})
        with self.ledger._transaction() as db:
            db.execute("UPDATE resources SET last_run = ? WHERE id = ?",
                       (outcome, self.resource_id))
            if succeeded:
                db.execute("UPDATE resources SET last_success = ?, since = ? WHERE id = ?",
                           (outcome, started_at.isoformat(), self.resource_id))


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def _guarded(path: Path, doing: str):
    """Turns SQLite's, the disk's and Arrow's errors into one-line LedgerErrors naming the
    file."""
    try:
        yield
    except (sqlite3.Error, OSError, pa.ArrowException) as exc:
        raise _ledger_error(path, doing, exc) from None


def _ledger_error(path: Path, doing: str, exc: BaseException) -> LedgerError:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if doing == "write":
        return LedgerError(f"{path}: cannot write the ledger ({message}); records accepted "
                           "since the last write are sent again next time")
    return LedgerError(f"{path}: the ledger cannot be read ({message}); nothing is sent on a "
                       "ledger that cannot be trusted: move it away (the next run then sends "
                       "every record again) or give another folder with --state")


def _unwritable(folder: Path, exc: OSError) -> LedgerError:
    return LedgerError(f"{folder}: cannot keep the ledger here ({exc.strerror or exc}); make "
                       "the folder writable, move it with [state] path or --state, or run "
                       "with --no-state")


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
        if create:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a killed process
            db.execute("PRAGMA journal_size_limit = 67108864")
        else:
            db.execute("PRAGMA query_only = ON")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.Error as exc:
        if create and isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
            raise _unwritable(path.parent, OSError(str(exc))) from None
        raise _ledger_error(path, "read", exc) from None


def _take_lock(folder: Path):
    from filelock import FileLock, Timeout

    lock = FileLock(folder / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(f"{folder}: another run of this project is in progress "
                          f"({_holder(folder)}); this one sent nothing") from None
    except OSError as exc:
        raise _unwritable(folder, exc) from None
    return lock


def _write_holder(folder: Path, run_id: str, started_at: datetime) -> None:
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id,
              "started_at": started_at.isoformat()}
    try:
        (folder / HOLDER_FILE).write_text(json.dumps(holder) + "\n", encoding="utf-8")
    except OSError as exc:
        raise _unwritable(folder, exc) from None


def _holder(folder: Path) -> str:
    try:
        holder = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return f"pid {holder['pid']}, started {holder['started_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "it has just started"


def fingerprint_change(stored: dict | None, current: dict) -> str | None:
    """Why hashes made under `stored` cannot be compared with hashes made under `current`."""
    if stored is None or stored == current:
        return None
    changed = [key for key in {**stored, **current} if stored.get(key) != current.get(key)]
    if "mapping" in changed:
        old, new = stored.get("mapping") or {}, current["mapping"]
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        moved = sorted(c for c in set(old) & set(new) if old[c] != new[c])
        parts = [f"{what} {', '.join(columns)}" for what, columns in
                 (("added", added), ("removed", removed), ("remapped", moved)) if columns]
        return "the query's columns changed since the last run (" + "; ".join(parts) + ")"
    if "write" in changed:  # absent: the resource's default way
        return (f"it is written with {current.get('write') or 'put'} now, with "
                f"{stored.get('write') or 'put'} before")
    if "normalisation" in changed or "hashing" in changed:
        return ("this version of ComboCurve Sync normalises values differently from the one "
                "that wrote the ledger")
    return f"{', '.join(changed)} changed since the last run"


def _dump(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _encode(table: pa.Table) -> memoryview:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema, options=_IPC) as writer:
        writer.write_table(table)
    return memoryview(sink.getvalue())  # SQLite reads it where it is: no copy


def _decode(data: bytes, path: Path, columns=None) -> pa.Table:
    """A stored table; leading columns only are read (not even decompressed) when asked."""
    try:
        fields = None
        if columns and all(name in _LEADING for name in columns):
            fields = sorted(_LEADING.index(name) for name in columns)
        reader = ipc.open_stream(pa.py_buffer(data),
                                 options=ipc.IpcReadOptions(included_fields=fields))
        table = reader.read_all()
        return table.select(list(columns)) if columns else table
    except (pa.ArrowException, KeyError) as exc:
        raise _ledger_error(path, "read", exc) from None


def _empty_table() -> pa.Table:
    return pa.table({"key_hash": pa.array([], pa.uint64()),
                     "record_hash": pa.array([], pa.uint64()),
                     "run": pa.array([], pa.uint32()), "accepted_at": pa.array([], pa.uint32())})


def _latest_positions(keys: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Positions of each key's last entry, in key order, leaving out keys deleted last."""
    backwards = keys[::-1]
    _, first = np.unique(backwards, return_index=True)
    last = len(keys) - 1 - first
    return last[alive[last]]
