"""Requests of one resource: records to send gathered into full requests, sent with a few in
flight, and every answer counted, recorded in the ledger, and its refusals written out.

- `Batch`: records of one request (or part of one), with where each came from: its page and
  source row (for the rejects file), its key and hash (for the ledger), and for a grouped
  resource its group (the stations of one survey).
- `Batcher`: fills requests with records to send, `size` records of one dataSource each,
  across source pages: 7 changed records among a million go as one request of 7. A grouped
  resource sends one group a request.
- `Uploads`: at most `concurrency` requests in flight, each made by the resource's writer
  (`core.writers`); answers absorbed in the calling thread
  in the order sent, so counting, rejects, snapshots and the ledger need no locks. What is
  in flight is bounded by requests (`concurrency`) and by bytes (IN_FLIGHT_BYTES), not by
  rows, so that a few large pages can wait on a slow API together.
"""

import logging
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import infer_dtype

from .client import Outcome
from .errors import AuthError, LedgerError, UploadError
from .report import RUN_ID

log = logging.getLogger(__name__)

# Request bodies waiting for an answer, at most: four of the largest daily pages (about 2.5 MB
# of JSON each, and the frames behind them) overlap a slow API, and memory stays flat.
IN_FLIGHT_BYTES = 48 * 2**20


class SourceRows:
    """The rows as the query returned them, kept for the rejects file. A column of one plain
    type (text, whole numbers, floats, dates, bytes, booleans) is held as an Arrow array,
    about a fifth of the memory of its Python objects, so that the largest requests in flight
    hold little; any other column (mixed types, decimals, time zones) keeps its objects, so
    that a reject shows every value exactly as read."""

    __slots__ = ("names", "columns")
    _COMPACT = frozenset({"string", "integer", "floating", "date", "bytes", "boolean", "empty"})

    def __init__(self, names: list[str], columns: list):
        self.names, self.columns = names, columns

    @classmethod
    def of(cls, frame: pd.DataFrame) -> "SourceRows":
        return cls(list(frame.columns), [_compact(frame[name].to_numpy(dtype=object))
                                         for name in frame.columns])

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def take(self, positions) -> "SourceRows":
        positions = np.asarray(positions, dtype=np.int64)
        return SourceRows(self.names, [c.take(pa.array(positions)) if isinstance(c, pa.Array)
                                       else c[positions] for c in self.columns])

    @classmethod
    def join(cls, parts: list["SourceRows"]) -> "SourceRows":
        columns = []
        for pieces in zip(*(p.columns for p in parts), strict=True):
            arrow = all(isinstance(c, pa.Array) for c in pieces)
            if arrow and len({c.type for c in pieces}) == 1:
                columns.append(pa.concat_arrays(list(pieces)))
            else:  # one page's column all null, another's text: back to objects
                columns.append(np.concatenate([_objects(c) for c in pieces]))
        return cls(parts[0].names, columns)

    def row(self, position: int) -> dict:
        return {name: c[position].as_py() if isinstance(c, pa.Array) else c[position]
                for name, c in zip(self.names, self.columns, strict=True)}


def _compact(values: np.ndarray):
    if infer_dtype(values, skipna=True) in SourceRows._COMPACT:
        try:
            return pa.array(values, from_pandas=True)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            pass  # a whole number beyond 64 bits: keep the objects
    return values


def _objects(column) -> np.ndarray:
    if isinstance(column, pa.Array):
        return np.array(column.to_pylist() + [None], dtype=object)[:-1]  # stays 1-dimensional
    return column


@dataclass
class Batch:
    """Records to send, each with its row, page, source row, key and hash (all by position)."""

    records: pd.DataFrame | None  # API field names, JSON-ready values; None once released
    pages: np.ndarray  # the page number each record was read in
    sources: SourceRows  # the rows as the query returned them
    key_hashes: np.ndarray
    record_hashes: np.ndarray
    keys: pd.DataFrame | pa.Table  # the identity fields the ledger keeps
    groups: np.ndarray | None = None  # a grouped resource: each record's group
    rows: np.ndarray | None = None  # the row number of each record in the query result

    def __post_init__(self):
        if self.rows is None:
            self.rows = self.records.index.to_numpy(dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, positions) -> "Batch":
        return Batch(self.records.iloc[positions], self.pages[positions],
                     self.sources.take(positions), self.key_hashes[positions],
                     self.record_hashes[positions], self.keys.iloc[positions],
                     None if self.groups is None else self.groups[positions],
                     self.rows[positions])

    @classmethod
    def join(cls, parts: list["Batch"]) -> "Batch":
        if len(parts) == 1:
            return parts[0]
        return cls(pd.concat([p.records for p in parts]), np.concatenate([p.pages for p in parts]),
                   SourceRows.join([p.sources for p in parts]),
                   np.concatenate([p.key_hashes for p in parts]),
                   np.concatenate([p.record_hashes for p in parts]),
                   pd.concat([p.keys for p in parts]),
                   None if parts[0].groups is None else np.concatenate([p.groups for p in parts]),
                   np.concatenate([p.rows for p in parts]))

    def release(self) -> None:
        """Once the request's body is built: drop the records (a snapshot would still need
        them) and keep the keys as a small Arrow table, so a request in flight holds little."""
        self.records = None
        if isinstance(self.keys, pd.DataFrame):
            self.keys = _key_table(self.keys)

    def keys_at(self, positions: np.ndarray) -> pa.Table:
        """The identity fields of the records at `positions`, as the ledger keeps them."""
        if isinstance(self.keys, pa.Table):
            return self.keys.take(pa.array(positions))
        return _key_table(self.keys.iloc[positions])

    def by_group(self) -> list["Batch"]:
        """One batch per group, in order: a survey's stations."""
        if not len(self):
            return []
        starts = np.flatnonzero(np.diff(self.groups, prepend=-1))
        ends = np.append(starts[1:], len(self))
        return [self.take(np.arange(a, b)) for a, b in zip(starts, ends, strict=True)]

    def by_data_source(self) -> list[tuple[object, "Batch"]]:
        """(dataSource, its records): the API takes one dataSource per request."""
        if "dataSource" not in self.records:
            return [(None, self)]
        codes, sources = pd.factorize(self.records["dataSource"], use_na_sentinel=False)
        if len(sources) <= 1:
            return [(sources[0] if len(sources) else None, self)]
        return [(source, self.take(np.flatnonzero(codes == code)))
                for code, source in enumerate(sources)]

    def values(self, position: int) -> dict:
        """The source row of the record at `position`, as the rejects file shows it."""
        return self.sources.row(position)


def _key_table(keys: pd.DataFrame) -> pa.Table:
    """Identity fields as Arrow text: a few bytes a value, where a DataFrame's objects take
    about fifty."""
    return pa.table({name: pa.array(keys[name].to_numpy(dtype=object), pa.string())
                     for name in keys.columns})


class Batcher:
    """Gathers records to send into requests of `size` records of one dataSource."""

    def __init__(self, size: int, send: Callable[[Batch], None]):
        self.size, self.send = size, send
        self._pending: dict[object, list[Batch]] = {}
        self._counts: dict[object, int] = {}

    def add(self, part: Batch) -> None:
        if part.groups is not None:  # one document a request
            for group in part.by_group():
                self.send(group)
            return
        for source, records in part.by_data_source():
            if not len(records):
                continue
            self._pending.setdefault(source, []).append(records)
            self._counts[source] = self._counts.get(source, 0) + len(records)
            while self._counts[source] >= self.size:
                whole = Batch.join(self._pending[source])
                if len(whole) == self.size:  # a page the size of a request: sent as it is
                    self.send(whole)
                    self._pending[source], self._counts[source] = [], 0
                    break
                self.send(whole.take(np.arange(self.size)))
                rest = whole.take(np.arange(self.size, len(whole)))
                self._pending[source] = [rest]
                self._counts[source] = len(rest)

    def flush(self) -> None:
        """Send what is left: the last, partial request of each dataSource."""
        pending, self._pending, self._counts = self._pending, {}, {}
        for parts in pending.values():
            if parts:
                self.send(Batch.join(parts))


class Uploads:
    """The requests of one resource.

    The first request that fails for good stops the resource: requests not yet started are
    cancelled and every record they held, or that is submitted later, is counted as not sent.
    So does a ledger that can no longer be written.
    """

    def __init__(self, run, query, report, snapshot, state, writer):
        self.run, self.query, self.report = run, query, report
        self.snapshot, self.state = snapshot, state  # state: the ledger's ResourceState
        self.writer = writer  # makes each request of the resource (core.writers)
        self.pool = None if run.client is None else ThreadPoolExecutor(
            max_workers=run.options.concurrency, thread_name_prefix=f"put-{query.resource.name}",
            initializer=RUN_ID.set, initargs=(run.run_id,))
        self.pending: dict[Future, Batch] = {}
        self.bytes_in_flight: dict[Future, int] = {}
        self.stop_reason: str | None = None
        self.auth_failed = False
        self.ledger_failed = False
        self.answered = 0  # requests answered, for the log lines

    def submit(self, batch: Batch) -> None:
        if self.pool is None:  # dry run: the requests a real run would send, and their records
            self.report.requests += 1
            self.report.would_send += len(batch)
            if self.snapshot is not None:
                self.snapshot.add(batch.records, batch.pages)
            return
        self._absorb_answered()
        request = self.writer.prepare(batch)
        if self.snapshot is None and batch.groups is None:
            batch.release()
        self._wait_for_room(self.run.options.concurrency - 1, request.size)
        if self.stop_reason:
            self._not_sent(batch, self.stop_reason)
            return
        future = self.pool.submit(self.writer.send, self.run.client, request)
        self.pending[future] = batch
        self.bytes_in_flight[future] = request.size

    def halt(self, reason: str) -> None:
        """Send nothing more: requests not started are cancelled, their rows not sent."""
        if self.stop_reason is None:
            self.stop_reason = reason
        for future in self.pending:
            future.cancel()

    def finish(self) -> None:
        """Wait for every request in flight and count its answer."""
        try:
            self._wait_for_room(0)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def _absorb_answered(self) -> None:
        """Count answers that have come, oldest first, so that the ledger records a page as
        soon as it can (a run killed now resends only what was really in flight)."""
        while self.pending and next(iter(self.pending)).done():
            self._absorb_oldest()

    def _wait_for_room(self, room: int, size: int = 0) -> None:
        """Absorb answers until at most `room` requests, and room for a body of `size` bytes,
        are in flight: with big pages, the bytes cap keeps memory flat."""
        while len(self.pending) > room or (
                self.pending and sum(self.bytes_in_flight.values()) + size > IN_FLIGHT_BYTES):
            self._absorb_oldest()

    def _absorb_oldest(self) -> None:
        future = next(iter(self.pending))  # oldest first: rejects, logs, snapshots and the
        batch = self.pending.pop(future)  # ledger come in page order whatever answers first
        del self.bytes_in_flight[future]
        try:
            result = future.result()
        except UploadError as exc:
            self._failed(batch, exc)
        except CancelledError:
            self._not_sent(batch, self.stop_reason)
        else:
            self._count(batch, result)

    def _failed(self, batch: Batch, exc: UploadError) -> None:
        message = self.run.redact(str(exc))
        self.report.requests += exc.attempts
        refused = exc.status is not None and 400 <= exc.status < 500 and exc.status != 401
        if refused:  # the API refused the request as a whole: its rows are rejected
            self.report.records_sent += len(batch)
            self._reject_all(batch, "rejected", message)
            if self.snapshot is not None:
                outcome = Outcome(False, "Error", exc.status, message)
                self.snapshot.add(batch.records, batch.pages, [outcome] * len(batch))
        else:
            self._not_sent(batch, f"not sent: {message}")
        if self.stop_reason is None:
            self.report.errors.append(message)
            self.report.unreachable = exc.unreachable and not self.report.accepted
            self.auth_failed = isinstance(exc, AuthError)
            self.halt("not sent: the API refused the credentials (401)" if self.auth_failed
                      else "not sent: the resource stopped after a request failed")

    def _count(self, batch: Batch, result) -> None:
        report = self.report
        report.requests += result.attempts
        report.records_sent += len(batch)
        accepted = np.fromiter((o.ok for o in result.outcomes), dtype=bool, count=len(batch))
        report.accepted += int(accepted.sum())
        self.answered += 1
        self._record(batch, accepted, result.outcomes)
        for position in np.flatnonzero(~accepted):
            self._reject(batch, position, "rejected",
                         f"API: {result.outcomes[position].message}")
        # with a progress bar on screen, per-page lines would only garble it
        log.log(logging.DEBUG if self.run.options.progress else logging.INFO,
                "%s: request %d: %d sent, %d accepted, %d rejected by the API",
                self.query.resource.name, self.answered, len(batch), accepted.sum(),
                len(batch) - accepted.sum(),
                extra={"resource": self.query.resource.name, "request": self.answered,
                       "sent": len(batch), "accepted": int(accepted.sum()),
                       "rejected": len(batch) - int(accepted.sum())})
        if self.snapshot is not None:
            self.snapshot.add(batch.records, batch.pages, result.outcomes)

    def _record(self, batch: Batch, accepted: np.ndarray, outcomes) -> None:
        """What the API accepted goes into the ledger, one transaction per answer; a ledger
        that cannot be written stops the sending (those records go again next time)."""
        if self.state is None or self.ledger_failed:
            return
        positions = np.flatnonzero(accepted)
        if batch.groups is not None:  # one ledger entry per survey, not per station
            positions = positions[np.unique(batch.key_hashes[positions], return_index=True)[1]]
        try:
            ids = [outcomes[p].id for p in positions]
            self.state.record(batch.key_hashes[positions], batch.record_hashes[positions],
                              batch.keys_at(positions),
                              ids=ids if any(i is not None for i in ids) else None)
        except LedgerError as exc:
            message = self.run.redact(str(exc))
            self.report.errors.append(message)
            self.ledger_failed = True
            self.halt("not sent: the ledger could not be written, so the run stopped sending")
            log.error("%s", message)

    def _not_sent(self, batch: Batch, reason: str) -> None:
        self._reject_all(batch, "not_sent", reason)

    def _reject_all(self, batch: Batch, outcome: str, reason: str) -> None:
        for position in range(len(batch)):
            self._reject(batch, position, outcome, reason)

    def _reject(self, batch: Batch, position: int, outcome: str, reason: str) -> None:
        self.run.reject(self.report, self.query, int(batch.rows[position]),
                        int(batch.pages[position]), outcome, reason,
                        values=batch.values(position))

