"""`verify()`: does ComboCurve hold what the database holds? Read back, compared field by field.

Per resource, verify reads the query as a sync does (the same normalisation; rows a sync
would reject are not compared, and it says how many), reads ComboCurve back with GET (the
largest pages, filtered by the project's wells, within the read quota), types ComboCurve's
values as the query's are, and compares the fields the query maps. Each record is equal,
different (field, ComboCurve's value, the database's), only in the database or only in
ComboCurve; every difference is one JSON line. It never writes to ComboCurve or the database.

Which records: those of the query, and those the ledger says this project wrote (a record the
query no longer returns is then only in ComboCurve); rows of the project's wells that neither
knows are read and are only in ComboCurve too.

Reading less next time. A verify keeps in the ledger what it saw: when it started (by the
server's clock) and a hash of each record it found. The next one reads per group of up to 100
wells only what was updated since then (`updatedAt`, a minute's margin for clocks), after
HEAD counts (free) prove that nothing else changed there: a group whose count does not add up
(a record deleted behind our back, old records of a well new to the project) is read whole.
A record not read again is as the last verify saw it: equal when the database's record hashes
the same as what was seen; otherwise it is read again, for its values.
"""

import logging
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .changes import SeenKeys
from .client import READ_QUOTA, ApiClient, RetryPolicy
from .credentials import Redactor
from .errors import LedgerError, SourceError, UploadError, UsageError
from .hashing import HASH_CANARY, record_hashes, record_keys
from .main import loaded, new_run_id, open_source, retry_policy, state_folder
from .project import Project, Query
from .readback import FILTER_VALUES, READS, ROWS, Groups, Reader, WellIds, key_hashes, typed
from .rejects import AuditLines, check_writable
from .report import RUN_ID, counted, duration, table
from .resources import BOOLEAN, NUMBER, RESOURCES, WELLS
from .state import Ledger, Verification, locate, now_utc
from .transform import NORMALISATION_VERSION, map_columns, normalise, object_array

log = logging.getLogger(__name__)

CLOCK_MARGIN = timedelta(minutes=1)  # records updated this long before the last verify: reread
EQUAL, DIFFERENT, ONLY_DATABASE, ONLY_COMBOCURVE = ("equal", "different", "only_in_database",
                                                    "only_in_combocurve")
FULL, SINCE = "full", "since"  # a group of wells read whole, or only what was updated


@dataclass
class ResourceCheck:
    """What verify found for one resource: counts of records, and the GETs it took."""

    name: str
    equal: int = 0
    different: int = 0
    only_in_database: int = 0
    only_in_combocurve: int = 0
    requests: int = 0  # GETs made (a dry run: planned, at least); HEADs are not counted
    differences_file: str | None = None
    rows_read: int = 0
    not_compared: int = 0  # rows a sync would reject (invalid, or a key seen before)
    read: str = FULL  # FULL, or SINCE: only what was updated since the last verify
    errors: list[str] = field(default_factory=list)
    unreachable: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.different or self.only_in_database
                                        or self.only_in_combocurve)

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "name", "equal", "different", "only_in_database", "only_in_combocurve", "requests",
            "differences_file")}


@dataclass
class VerifyReport:
    run_id: str
    dry_run: bool = False
    resources: list[ResourceCheck] = field(default_factory=list)
    interrupted: str | None = None
    read_rate: int | None = READ_QUOTA
    differences: list[dict] | None = None  # the difference lines, when kept in memory
    not_covered: list[str] = field(default_factory=list)  # the project's, not read back yet

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.ok for r in self.resources)

    @property
    def unreachable(self) -> bool:
        return bool(self.resources) and all(r.unreachable for r in self.resources)

    def resource(self, name: str) -> ResourceCheck:
        return next(r for r in self.resources if r.name == name)

    def to_dict(self) -> dict:
        """The `--report` JSON."""
        return {"ok": self.ok, "resources": [r.to_dict() for r in self.resources]}

    def to_frame(self) -> pd.DataFrame:
        rows = [asdict(r) | {"ok": r.ok} for r in self.resources]
        return pd.DataFrame(rows).set_index("name") if rows else pd.DataFrame()

    def summary(self) -> str:
        head = ("resource", "equal", "different", "only in database", "only in ComboCurve",
                "GETs", "seconds")
        lines = [head] + [(r.name, str(r.equal), str(r.different), str(r.only_in_database),
                           str(r.only_in_combocurve),
                           f"({r.requests})" if self.dry_run else str(r.requests),
                           f"{r.seconds:.1f}") for r in self.resources]
        text = table(lines)
        if self.dry_run:
            text.append("dry run: nothing was read from ComboCurve but counts; (n) is the GET "
                        "requests a real verify makes at least")
        if self.interrupted:
            text.append(self.interrupted)
        if self.not_covered:
            text.append(f"{', '.join(self.not_covered)}: not verified (verify does not read "
                        "these back yet)")
        for r in self.resources:
            if r.read == SINCE:
                text.append(f"{r.name}: read only what changed since the last verify "
                            "(--full reads everything)")
            if r.not_compared:
                text.append(f"{r.name}: {r.not_compared:,} rows a sync would reject were not "
                            "compared (a dry run of the sync lists them)")
            text += [f"{r.name}: error: {e}" for e in r.errors]
            if r.differences_file:
                text.append(f"{r.name}: differences: {r.differences_file}")
        return "\n".join(text)


def verify(project_dir=None, **options) -> pd.DataFrame:
    """Compare ComboCurve with the database; one row per difference: `resource`, `outcome`
    (different, only_in_database, only_in_combocurve), the record's key (dataSource,
    chosenID, well, date...), `field`, `combocurve` and `database` (a field's values when
    different, else the record's compared fields on the side that has it). An empty frame:
    all equal. `attrs["report"]` holds the counts per resource (the `--report` JSON).

    Takes `run_verify()`'s options; differences are kept in memory, and also written as
    JSON lines when `differences_dir` is given."""
    report = run_verify(project_dir, keep_differences=True, **options)
    keys = list(dict.fromkeys(name for line in report.differences for name in line["key"]))
    frame = pd.DataFrame([{"resource": line["resource"], "outcome": line["outcome"],
                           **line["key"], "field": line["field"],
                           "combocurve": line["combocurve"], "database": line["database"]}
                          for line in report.differences],
                         columns=["resource", "outcome", *keys, "field", "combocurve",
                                  "database"])
    frame.attrs["report"] = report.to_dict()
    return frame


def run_verify(project_dir=None, *, resources=None, base_url: str | None = None, state=None,
               full: bool = False, dry_run: bool = False, differences_dir=None,
               keep_differences: bool = False, read_rate: int | None = READ_QUOTA,
               max_wait: float | None = None, retry: RetryPolicy | None = None,
               stop: threading.Event | None = None) -> VerifyReport:
    """Verify the project in `project_dir` (a folder or a loaded Project) against ComboCurve.

    resources: names to verify (default: every query of the project that can be read back);
    state: the ledger's folder (None: the project's; False: none, so every record is read);
    full: read everything, not only what changed since the last verify; dry_run: read the
    queries and count with HEAD (free), read nothing else, and say how many GETs a verify
    makes; differences_dir: where the JSON lines of differences go (None: nowhere);
    read_rate: read-quota units a minute (None: no pacing); stop: an Event that ends the
    verify at the next request. Raises ProjectError or UsageError for an invalid project or
    option, LedgerError and LockedError as a sync does.
    """
    policy = retry_policy(retry, max_wait)
    if read_rate is not None and read_rate < 1:
        raise UsageError(f"read rate must be 1 or more units a minute, not {read_rate}")
    project = loaded(project_dir, base_url, credentials=True)
    names = _names(project, resources)
    not_covered = [] if resources else [q.resource.name for q in project.queries
                                        if q.resource.name not in READS]
    if differences_dir is not None:  # the differences can be written, or nothing is read
        check_writable(Path(differences_dir), "differences folder")
    job = VerifyJob(project, dry_run=dry_run, full=full, retry=policy, read_rate=read_rate,
                    stop=stop or threading.Event(), keep=keep_differences,
                    folder=Path(differences_dir) if differences_dir else None, state=state)
    job.report.not_covered = not_covered
    if not_covered:
        log.info("%s: not verified: verify does not read these back yet",
                 ", ".join(not_covered))
    return job.execute(names)


def _names(project: Project, wanted) -> list[str]:
    readable = [q.resource.name for q in project.queries if q.resource.name in READS]
    if not wanted:
        if not readable:
            raise UsageError(f"{project.folder}: no query of this project can be verified yet "
                             f"(verify reads {', '.join(READS)})")
        return readable
    unknown = set(wanted) - set(RESOURCES)
    if unknown:
        raise UsageError(f"unknown resource {', '.join(sorted(unknown))}; choose from "
                         f"{', '.join(RESOURCES)}")
    for name in wanted:
        if name not in READS:
            raise UsageError(f"{name} cannot be verified yet (verify reads {', '.join(READS)})")
        project.query(name)  # a ProjectError when the project has no such query
    return [name for name in readable if name in wanted]


class VerifyJob:
    """One verify of a project's resources: the database, the client, the ledger."""

    def __init__(self, project: Project, *, dry_run: bool, full: bool, retry: RetryPolicy,
                 read_rate: int | None, stop: threading.Event, keep: bool,
                 folder: Path | None, state):
        self.project, self.dry_run, self.full, self.stop = project, dry_run, full, stop
        self.run_id = new_run_id()
        self.report = VerifyReport(self.run_id, dry_run=dry_run, read_rate=read_rate)
        self.source = open_source(project, retry, stop)
        self.redact = Redactor(project.named_secrets())  # defence in depth for every message
        self.client = ApiClient.for_project(project, retry=retry, rate_limit=None,
                                            read_rate=read_rate, stopping=stop)
        self.differences = AuditLines(folder / f"{self.run_id}.jsonl" if folder else None,
                                      "differences file", keep=keep)
        self.state_folder = state_folder(project, state)
        self.ledger: Ledger | None = None
        self.well_ids = WellIds()

    def execute(self, names: list[str]) -> VerifyReport:
        token = RUN_ID.set(self.run_id)
        try:
            if self.state_folder is not None:
                self.ledger = Ledger.read(self.state_folder) if self.dry_run else \
                    Ledger.open(self.state_folder)
                self.well_ids = WellIds.from_ledger(self.ledger, self.project.base_url)
            for name in names:
                self.report.resources.append(self.check(self.project.query(name)))
                if self.stop.is_set():
                    self.report.interrupted = "the verify was stopped on request"
                    break
        finally:
            self.close()
            RUN_ID.reset(token)
        self.report.differences = self.differences.lines
        return self.report

    def check(self, query: Query) -> ResourceCheck:
        check = ResourceCheck(query.resource.name)
        began = time.monotonic()
        try:
            ResourceVerify(self, query, check).run()
        except (SourceError, UploadError) as exc:
            check.errors.append(self.redact(str(exc)))
            check.unreachable = exc.unreachable
        except LedgerError as exc:  # what was seen could not be kept: the next reads it all
            check.errors.append(self.redact(str(exc)))
        check.seconds = time.monotonic() - began
        if failure := self.differences.flush():
            check.errors.append(failure)
        check.differences_file = self.differences.written
        return check

    def close(self) -> None:
        self.source.close()
        self.client.close()
        self.differences.close()
        if self.ledger is not None:
            self.ledger.close()


@dataclass
class Chunk:
    """Up to 100 groups (wells) read by one filter, and what the HEAD counts said."""

    params: list[tuple[str, str]]
    groups: list[str]
    total: int = 0  # records ComboCurve holds for these groups
    updated: int = 0  # ... of which updated since the last verify (SINCE)
    mode: str = FULL

    @property
    def reading(self) -> int:
        """The records a read of this chunk returns, as planned."""
        return self.updated if self.mode == SINCE else self.total


class LastSeen:
    """The last verify's records by the chunk that reads them now, worked out once (its
    table can hold millions): counted for the plan, each chunk's keys for its read, and
    which are in chunks read only for what changed (`in_since`, set when settling)."""

    def __init__(self, memory: Verification, chunks: list[Chunk]):
        self.keys = memory.seen.column("key").to_numpy()
        self.chunk = _chunk_of(memory.seen.column("group"), chunks)  # -1: in no chunk
        self._counts = np.bincount(self.chunk + 1, minlength=len(chunks) + 1)  # [0]: none
        self._by_chunk: np.ndarray | None = None  # keys ordered by chunk, once asked for
        self._bounds: np.ndarray | None = None  # where each chunk's keys start in it
        self.in_since: np.ndarray | None = None

    def count(self, index: int) -> int:
        """The records the last verify saw in chunk `index`."""
        return int(self._counts[index + 1])

    def keys_in(self, index: int) -> np.ndarray:
        """The keys of the records the last verify saw in chunk `index`."""
        if self._by_chunk is None:
            self._by_chunk = self.keys[np.argsort(self.chunk, kind="stable")]
            self._bounds = np.concatenate([[0], np.cumsum(self._counts)])
        return self._by_chunk[self._bounds[index + 1] : self._bounds[index + 2]]


@dataclass
class Found:
    """What the records read for one chunk say, held until the chunk is known complete."""

    equal: int = 0
    different: int = 0
    only_in_combocurve: int = 0
    lines: list[tuple] = field(default_factory=list)  # difference()'s arguments
    matched: list[np.ndarray] = field(default_factory=list)  # positions in the database side
    keys: list[np.ndarray] = field(default_factory=list)
    groups: list[pa.Array] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)

    def seen_keys(self) -> np.ndarray:
        return np.concatenate(self.keys) if self.keys else np.empty(0, np.uint64)


class ResourceVerify:
    """Verify one resource: the database side, the plan, the reads, what is left over."""

    def __init__(self, job: VerifyJob, query: Query, check: ResourceCheck):
        self.job, self.query, self.check = job, query, check
        self.resource, self.spec = query.resource, READS[query.resource.name]
        self.groups = Groups(self.spec)
        self.reader = Reader(job.client, self.resource)
        self.memory: Verification | None = None
        self.last: LastSeen | None = None  # self.memory's records by chunk, once planned
        self.server_time: datetime | None = None
        self.unresolved: set[tuple[str, str]] = set()  # dry run: wells whose id is unknown
        self.again: list[Found] = []  # records read again for their values
        self.vanished: set[int] = set()  # ... that were gone by then

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> None:
        mapping = map_columns(self.resource, self.job.source.columns(
            self.query, since=self.job.project.state.since), self.query.file)
        mapped = list(dict.fromkeys(f.name for f in mapping.values()))
        self.compared = [n for n in mapped if n not in self.spec.names]
        self.fingerprint = {"compared": sorted(self.compared), "normalisation":
                            NORMALISATION_VERSION, "hashing": HASH_CANARY}
        self.read_database(mapping)
        self.memory = self._memory()
        chunks = self.plan()
        if self.job.dry_run or self.job.stop.is_set():
            return
        self.check.read = SINCE if self.memory is not None else FULL
        started = self.server_time or now_utc()
        found = [self.read_chunk(index, chunk) for index, chunk in enumerate(chunks)]
        self.settle(chunks, found)
        self.check.requests = self.reader.gets + self._well_gets
        if self.job.ledger is not None and not self.job.stop.is_set():
            self.job.ledger.save_verify(self.job.project.base_url, self.resource.name,
                                        Verification(started, self.fingerprint,
                                                     self.remembered(found)))

    # -- the database side -----------------------------------------------------------------

    def read_database(self, mapping: dict) -> None:
        """Every row of the query, normalised; kept compactly (Arrow, sorted by key)."""
        seen, parts = SeenKeys(), []
        self._well_gets_before = self.job.well_ids.gets
        pages = self.job.source.pages(self.query, limit=0, page_size=self.spec.take)
        for page in pages:
            self.check.rows_read += len(page)
            checked = normalise(page, self.resource, mapping)
            records = checked.records
            rows = records.index.to_numpy(dtype=np.int64)
            repeated = seen.first_rows(record_keys(records, self.resource)[0], rows) != 0
            self.check.not_compared += len(checked.rejects) + int(repeated.sum())
            records = records[~repeated]
            if self.spec.kind == ROWS:
                records = self._with_wells(records)
            groups = self.groups.of_records(records)
            absent = pd.isna(groups)
            for position in np.flatnonzero(absent if not self.job.dry_run else []):
                self.check.only_in_database += 1  # a row of a well ComboCurve does not hold
                record = records.iloc[position]
                self.difference(ONLY_DATABASE, self._key(record), database=self._values(record))
            records, groups = records[~absent], groups[~absent]
            if len(records):
                parts.append(self._arrow(records, groups))
        table = pa.concat_tables(parts).unify_dictionaries() if parts else self._arrow(
            pd.DataFrame(columns=[*self.spec.names, *self.compared], dtype=object),
            np.empty(0, dtype=object))
        keys = table.column("key").to_numpy()
        _, first = np.unique(keys, return_index=True)  # two rows naming one record: the first
        self.check.not_compared += len(keys) - len(first)
        if self.check.not_compared:
            log.warning("%s: %d rows a sync would reject (invalid, or a key seen earlier) are "
                        "not compared", self.resource.name, self.check.not_compared)
        self.db = table.take(pa.array(first))
        self.db_keys = self.db.column("key").to_numpy()
        self.matched = np.zeros(len(self.db), dtype=bool)

    def _with_wells(self, records: pd.DataFrame) -> pd.DataFrame:
        """Rows with `well`: given by the query, else the id of their chosenID's well."""
        if self.job.dry_run:  # no GET: the wells to find are counted instead
            return WellIds.fill(records, lambda: self.job.well_ids, None,
                                unknown=self.unresolved)
        return WellIds.fill(records, lambda: self.job.well_ids, self.job.client)

    @property
    def _well_gets(self) -> int:
        return self.job.well_ids.gets - self._well_gets_before

    def _arrow(self, records: pd.DataFrame, groups: np.ndarray) -> pa.Table:
        keys = self.groups.keys(records, groups)
        columns = {"key": pa.array(key_hashes(keys), pa.uint64()), "group": _text(groups),
                   "hash": pa.array(self._hashes(records), pa.uint64())}
        for name in (*self.spec.names, *self.compared):
            kind = self.resource.fields[name].type
            values = records[name].tolist() if name in records else [None] * len(records)
            columns[name] = pa.array(values, _ARROW_TYPES[kind]) if kind in _ARROW_TYPES else \
                _text(values)
        return pa.table(columns)

    def _hashes(self, records: pd.DataFrame) -> np.ndarray:
        """The hash of each record's compared fields, as the last verify's are kept."""
        return record_hashes(records[self.compared], self.resource)

    # -- what to read ----------------------------------------------------------------------

    def _memory(self) -> Verification | None:
        """The last verify's record of what it saw, when it can stand for a new read."""
        if self.job.ledger is None or self.job.full:
            return None
        found = self.job.ledger.last_verify(self.job.project.base_url, self.resource.name)
        if found is None or found.fingerprint != self.fingerprint:
            return None
        return found  # its records in key order, as `remembered()` keeps them

    def scope(self) -> set[str]:
        """The groups to read: the query's, and those of what the ledger says was written."""
        groups = set(pc.unique(self.db.column("group")).to_pylist())
        if self.job.ledger is None:
            return groups
        held = self.job.ledger.records(self.job.project.base_url, self.resource.name)
        names = [n for n in ("well", "dataSource", "chosenID", "api14") if n in held.schema.names]
        if not len(held) or not names:
            return groups
        held = held.group_by(names).aggregate([]).to_pandas()  # each well once, not each row
        if self.spec.kind == ROWS:
            held = self._with_wells(held)
        found = self.groups.of_records(held)
        return groups | {g for g in found.tolist() if g is not None}

    def plan(self) -> list[Chunk]:
        """The chunks to read and how, from HEAD counts (free); says what it will cost."""
        chunks = [Chunk(params, groups) for params, groups in Groups.chunks(self.scope())]
        memory = self.memory
        self.last = LastSeen(memory, chunks) if memory is not None else None
        self.server_time = None
        for index, chunk in enumerate(chunks):
            counted = self.reader.count(chunk.params)
            chunk.total = counted.number
            self.server_time = self.server_time or counted.server_time
            if memory is None:
                continue
            seen = self.last.count(index)  # records the last verify saw here
            chunk.updated = self.reader.count(chunk.params + self._since()).number
            if seen <= chunk.total <= seen + chunk.updated:
                chunk.mode = SINCE
        gets = sum(math.ceil(c.reading / self.spec.take) for c in chunks)
        well_gets = self._well_gets  # made to find the ids of wells (rows)
        if self.unresolved:  # a dry run: GETs to find these wells, and one at least a 100 rows
            by_source = pd.Series([s for s, _ in self.unresolved]).value_counts()
            well_gets += int(sum(math.ceil(n / FILTER_VALUES) for n in by_source))
            gets += math.ceil(len(self.unresolved) / FILTER_VALUES)
        self.check.requests = gets + well_gets
        self._say_plan(chunks, gets, well_gets)
        return chunks

    def _since(self) -> list[tuple[str, str]]:
        moment = self.memory.started_at - CLOCK_MARGIN
        return [("updatedAt[gt]", moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"))]

    def _say_plan(self, chunks: list[Chunk], gets: int, well_gets: int) -> None:
        """What the reads will cost, before they start (HEADs are free)."""
        units = gets * self.spec.cost + well_gets * READS[WELLS.name].cost
        rate = self.job.report.read_rate
        quota = f", about {duration(units / rate * 60)} of read quota at {rate} units a " \
                "minute" if rate and units else ""
        since = sum(c.mode == SINCE for c in chunks)
        how = f"; {since} of {len(chunks)} groups of wells only for what changed since the " \
              "last verify" if since else ""
        more = f"; {len(self.unresolved)} wells the ledger knows no id of are found first" \
            if self.unresolved else ""
        log.info("%s: verify reads %s of ComboCurve in at least %s (%s)%s, after %s that "
                 "cost none%s%s", self.resource.name,
                 counted(sum(c.reading for c in chunks), "record"),
                 counted(gets + well_gets, "GET request"), counted(units, "read unit"), quota,
                 counted(self.reader.heads, "HEAD request"), how, more)

    # -- reading ComboCurve ------------------------------------------------------------------

    def read_chunk(self, index: int, chunk: Chunk) -> Found:
        """Read chunk `index` (only what changed, when the last verify can stand for the
        rest), compare what comes; a SINCE chunk whose records do not add up is read whole."""
        if chunk.mode == SINCE:
            found = self._read(chunk, since=True) if chunk.updated else Found()
            known = np.union1d(self.last.keys_in(index), found.seen_keys())
            if len(known) == chunk.total:
                return self._commit(found)
            log.info("%s: %d records where %d were expected in a group of wells; reading it "
                     "whole", self.resource.name, chunk.total, len(known))
            chunk.mode = FULL
        return self._commit(self._read(chunk) if chunk.total else Found())

    def _read(self, chunk: Chunk, *, since: bool = False,
              wanted: np.ndarray | None = None) -> Found:
        found = Found()
        params = chunk.params + (self._since() if since else [])
        name = chunk.params[-1][0]
        for page in self.reader.pages(params):
            self._compare(page, name, found, wanted)
        return found

    def _compare(self, page: list[dict], name: str, found: Found, wanted) -> None:
        """One page of ComboCurve's records against the database side (only the `wanted`
        keys, an array, when given)."""
        fields = [n for n in (*self.spec.names, "api14", *self.compared)
                  if n in self.resource.fields]
        records = typed(page, self.resource, dict.fromkeys(fields))
        if self.resource.name == WELLS.name:
            self.job.well_ids.learn(records["dataSource"].tolist(), records["chosenID"].tolist(),
                                    [w.get("id") for w in page])
        groups = self.groups.of_read(records, name)
        keys = key_hashes(self.groups.keys(records, groups))
        if wanted is not None:
            keep = np.isin(keys, wanted)
            records, groups, keys = records[keep].reset_index(drop=True), groups[keep], keys[keep]
        found.keys.append(keys)
        found.groups.append(_text(groups))
        found.hashes.append(self._hashes(records))
        at, present = locate(self.db_keys, keys)
        for position in np.flatnonzero(~present):
            found.only_in_combocurve += 1
            record = records.iloc[position]
            found.lines.append((ONLY_COMBOCURVE, self._key(record), None,
                                self._values(record), None))
        positions = at[present]
        found.matched.append(positions)
        theirs = records[present]
        ours = self.db.take(pa.array(positions))
        differs = np.zeros(len(positions), dtype=bool)
        changed: list[tuple[str, np.ndarray, list, list]] = []
        for name_ in self.compared:
            mine = object_array(ours.column(name_).to_pylist())
            cc = theirs[name_].to_numpy(dtype=object)
            unequal = ~(cc == mine)  # elementwise: None is None, 5 is 5.0, as JSON means them
            if unequal.any():
                differs |= unequal
                changed.append((name_, unequal, cc, mine))
        found.equal += int((~differs).sum())
        found.different += int(differs.sum())
        for position in np.flatnonzero(differs):
            key = self._key(theirs.iloc[position], ours.slice(position, 1).to_pylist()[0])
            for name_, unequal, cc, mine in changed:
                if unequal[position]:
                    found.lines.append((DIFFERENT, key, name_, _shown(cc[position]),
                                        _shown(mine[position])))

    def _commit(self, found: Found) -> Found:
        check = self.check
        check.equal += found.equal
        check.different += found.different
        check.only_in_combocurve += found.only_in_combocurve
        for outcome, key, name, combocurve, database in found.lines:
            self.difference(outcome, key, name, combocurve, database)
        for positions in found.matched:
            self.matched[positions] = True
        return found

    # -- what was not read -------------------------------------------------------------------

    def settle(self, chunks: list[Chunk], found: list[Found]) -> None:
        """Database records ComboCurve did not answer for, and remembered records not read
        again: equal by their hash, only in the database, or read again for their values."""
        chunk_of = _chunk_of(self.db.column("group"), chunks)
        since = np.array([c.mode == SINCE for c in chunks] + [False], dtype=bool)
        left = np.flatnonzero(~self.matched)
        in_since = since[chunk_of[left]]
        memory_keys = self.last.keys if self.memory else np.empty(0, np.uint64)
        memory_hashes = self.memory.seen.column("hash").to_numpy() if self.memory else \
            np.empty(0, np.uint64)
        at, remembered = locate(memory_keys, self.db_keys[left])
        remembered &= in_since
        same = remembered & (memory_hashes[at] == self.db.column("hash").to_numpy()[left]) \
            if len(memory_keys) else remembered
        self.check.equal += int(same.sum())
        self.matched[left[same]] = True
        wanted = set(self.db_keys[left[remembered & ~same]].tolist())
        if self.memory is not None:  # remembered, in a SINCE chunk, neither read nor ours
            read = np.concatenate([f.seen_keys() for f in found] + [np.empty(0, np.uint64)])
            mine = np.isin(memory_keys, self.db_keys) | np.isin(memory_keys, read)
            self.last.in_since = since[self.last.chunk]
            theirs = ~mine & self.last.in_since
            wanted |= set(memory_keys[theirs].tolist())
        if wanted:
            self._read_again(wanted, chunks)
        for position in np.flatnonzero(~self.matched):
            self.check.only_in_database += 1
            record = self.db.slice(int(position), 1).to_pylist()[0]
            self.difference(ONLY_DATABASE, self._key(record), database=self._values(record))

    def _read_again(self, wanted: set, chunks: list[Chunk]) -> None:
        """Read the wells holding `wanted` records whole, counting only those records."""
        keys = np.fromiter(wanted, np.uint64, len(wanted))
        groups = set(self.memory.seen.filter(pc.is_in(self.memory.seen.column("key"),
                                                      pa.array(keys, pa.uint64())))
                     .column("group").to_pylist())
        in_db = np.isin(self.db_keys, keys)
        groups |= set(pc.filter(self.db.column("group"), pa.array(in_db)).to_pylist())
        for params, members in Groups.chunks(groups):
            self.again.append(self._commit(self._read(Chunk(params, members), wanted=keys)))
        read = np.concatenate([f.seen_keys() for f in self.again] + [np.empty(0, np.uint64)])
        self.vanished = wanted - set(read.tolist())

    def remembered(self, found: list[Found]) -> pa.Table:
        """What ComboCurve holds now, as the next verify starts from it: what was read, and
        what the last verify saw in groups read only for what changed."""
        parts = list(found) + self.again
        keys = np.concatenate([f.seen_keys() for f in parts] + [np.empty(0, np.uint64)])
        groups = pa.chunked_array([g for f in parts for g in f.groups],
                                  type=pa.dictionary(pa.int32(), pa.string()))
        hashes = np.concatenate([h for f in parts for h in f.hashes] + [np.empty(0, np.uint64)])
        table = pa.table({"key": pa.array(keys, pa.uint64()), "group": groups,
                          "hash": pa.array(hashes, pa.uint64())})
        if self.memory is not None:
            gone = np.fromiter(self.vanished, np.uint64, len(self.vanished))
            kept = self.last.in_since & ~np.isin(self.last.keys, np.concatenate([keys, gone]))
            table = pa.concat_tables([table, self.memory.seen.filter(pa.array(kept))],
                                     promote_options="permissive")
        _, first = np.unique(table.column("key").to_numpy(), return_index=True)
        return table.unify_dictionaries().take(pa.array(first))

    # -- showing records ---------------------------------------------------------------------

    def difference(self, outcome: str, key: dict, field_name: str | None = None,
                   combocurve=None, database=None) -> None:
        """One line of the differences: a field that differs, or a record on one side only
        (its compared fields as `combocurve` or `database`)."""
        self.job.differences.add({"run_id": self.job.run_id, "resource": self.resource.name,
                                  "outcome": outcome, "key": key, "field": field_name,
                                  "combocurve": combocurve, "database": database})

    def _key(self, record, ours: dict | None = None) -> dict:
        """A record's key as people know it: dataSource, chosenID, and a row's well and day."""
        def value(name):
            found = record.get(name) if hasattr(record, "get") else None
            if found is None and ours is not None:
                found = ours.get(name)
            return found

        key = {name: value(name) for name in self.spec.names}
        if self.spec.kind == ROWS and key.get("well") and not key.get("chosenID"):
            known = self.job.well_ids.identity_of(key["well"])
            if known:
                key["dataSource"], key["chosenID"] = known
        if self.spec.kind == ROWS and isinstance(key.get("date"), str):
            key["date"] = key["date"][:10]
        return {name: v for name, v in key.items() if v is not None}

    def _values(self, record) -> dict:
        return {name: _shown(record.get(name)) for name in self.compared}


_ARROW_TYPES = {NUMBER: pa.float64(), BOOLEAN: pa.bool_()}


def _text(values) -> pa.Array:
    """Text as Arrow keeps it compactly: each distinct value once (wells, days, sources)."""
    return pa.array(list(values), pa.string()).dictionary_encode()


def _chunk_of(groups: pa.ChunkedArray, chunks: list[Chunk]) -> np.ndarray:
    """The index of the chunk holding each group, -1 for none; looked up once per distinct
    group."""
    where = {group: index for index, chunk in enumerate(chunks) for group in chunk.groups}
    encoded = groups.combine_chunks() if groups.num_chunks else pa.array([], pa.string())
    if not pa.types.is_dictionary(encoded.type):
        encoded = encoded.dictionary_encode()
    lookup = np.array([where.get(g, -1) for g in encoded.dictionary.to_pylist()] + [-1],
                      dtype=np.int64)
    return lookup[encoded.indices.to_numpy(zero_copy_only=False)]


def _shown(value):
    """A value as JSON shows it: whole floats as integers (as the sync sends them)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value
