"""`start()`: one sync run, from the project's queries to the API, resource by resource.

Wells go before daily productions (a daily row names a well that must exist). Within a
resource, the next page is read and checked while earlier pages are uploading, and up to
`concurrency` requests are in flight, all under the client's quota limiter. A resource that
fails does not stop the next one; a 401 stops the run. Every row read ends up accepted,
rejected or not sent, and every row that is not accepted is written to the rejects file.
"""

import logging
import secrets
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .client import ApiClient, Outcome, RetryPolicy
from .credentials import BearerToken, Redactor
from .errors import AuthError, SourceError, SyncError, UploadError, UsageError
from .project import Project, Query, load_project
from .rejects import RejectsFile, check_writable
from .report import ResourceReport, RunReport
from .resources import RESOURCES
from .sources import Source
from .transform import map_columns, normalise, split_by_data_source, to_payload

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000
MAX_LIMIT = 2**62
DEFAULT_PAGE_SIZE = 100
DEFAULT_CONCURRENCY = 4
DEFAULT_RATE_LIMIT = 200  # write requests a minute: the API's quota per client
ROWS_IN_FLIGHT = 40_000  # rows held by requests not yet answered: two of the largest pages
AUDIT_TRAIL_LOST = "the rejects file or snapshot could not be written"
STOPPED_ON_REQUEST = "the run was stopped on request"


@dataclass(frozen=True)
class Options:
    """The knobs of a run, checked once; see `start()` for their meaning."""

    limit: int = DEFAULT_LIMIT
    page_size: int = DEFAULT_PAGE_SIZE
    resources: tuple[str, ...] | None = None
    dry_run: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    rate_limit: int | None = DEFAULT_RATE_LIMIT
    retry: RetryPolicy = RetryPolicy()
    snapshot_dir: Path | None = None
    rejects_dir: Path | None = None
    progress: bool = False
    stop: threading.Event | None = None

    def check(self) -> None:
        largest = max(r.max_records for r in RESOURCES.values())
        if not 0 <= self.limit <= MAX_LIMIT:  # beyond it no database takes the LIMIT + 1
            raise UsageError(f"limit must be 0 (all rows) or more, at most {MAX_LIMIT}, not "
                             f"{self.limit}")
        if not 1 <= self.page_size <= largest:
            raise UsageError(f"page size must be between 1 and {largest}, not {self.page_size}")
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be 1 or more, not {self.concurrency}")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise UsageError(f"rate limit must be 1 or more a minute, not {self.rate_limit}")
        unknown = set(self.resources or ()) - set(RESOURCES)
        if unknown:
            raise UsageError(f"unknown resource {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(RESOURCES)}")


def start(project_dir=None, *, limit: int = DEFAULT_LIMIT, page_size: int = DEFAULT_PAGE_SIZE,
          resources=None, dry_run: bool = False, base_url: str | None = None,
          concurrency: int = DEFAULT_CONCURRENCY, rate_limit: int | None = DEFAULT_RATE_LIMIT,
          max_wait: float | None = None, retry: RetryPolicy | None = None,
          snapshot_dir=None, rejects_dir=None, progress: bool = False,
          stop: threading.Event | None = None) -> RunReport:
    """Sync the project in `project_dir` (a folder, default the current one, or a Project).

    limit: rows per resource at most (0: all); page_size: rows per request (up to 1000 for
    wells, 20000 for daily productions); resources: names to sync (default: every query of the
    project); dry_run: read and check, send nothing, need no credentials; concurrency:
    requests in flight; rate_limit: requests a minute (None: no pacing); max_wait: seconds of
    back-off a run may spend before failing; snapshot_dir: write parquet snapshots there;
    rejects_dir: where the rejects file goes (default: <project>/rejects); stop: an Event that,
    once set, ends the run after the current page, every row accounted for (the CLI sets it
    on Ctrl-C and SIGTERM).
    Returns a RunReport; raises ProjectError or UsageError only for an invalid project or
    option, and never for a failing database or API, which the report describes.
    """
    policy = retry or RetryPolicy()
    if max_wait is not None:
        policy = RetryPolicy(**{**policy.__dict__, "max_wait": max_wait})
    options = Options(limit=limit, page_size=page_size, dry_run=dry_run,
                      resources=tuple(resources) if resources else None,
                      concurrency=concurrency, rate_limit=rate_limit, retry=policy,
                      snapshot_dir=Path(snapshot_dir) if snapshot_dir else None,
                      rejects_dir=Path(rejects_dir) if rejects_dir else None, progress=progress,
                      stop=stop)
    options.check()
    if isinstance(project_dir, Project):  # already loaded, e.g. in a notebook
        project = project_dir.with_base_url(base_url) if base_url else project_dir
        if not dry_run:
            project.require_credentials()
    else:
        project = load_project(project_dir, require_credentials=not dry_run, base_url=base_url)
    return Run(project, options).execute()


def new_run_id() -> str:
    """Sortable and unique: `20261128T081500Z-1a2b3c`."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Batch:
    """Records of one request, with the page they came from (for rejects and snapshots)."""

    page_number: int
    page: pd.DataFrame  # the source rows, by row number
    records: pd.DataFrame


class Run:
    """One run over a project's resources; holds the database, the client and the rejects."""

    def __init__(self, project: Project, options: Options, rejects=None):
        self.project, self.options = project, options
        self.run_id = new_run_id()
        self.report = RunReport(self.run_id, dry_run=options.dry_run)
        self.redact = Redactor(project.named_secrets())  # defence in depth for every message
        self.stop = options.stop or threading.Event()
        self.source = Source(project.connection,  # the database may stall as long as the API
                             stream_hold_seconds=int(options.retry.max_wait) + 600,
                             stop=self.stop, stall_seconds=options.retry.max_wait)
        self.rejects = rejects or RejectsFile(options.rejects_dir or project.folder / "rejects",
                                              self.run_id)
        if options.snapshot_dir is not None:  # the audit trail can be written, or nothing is sent
            check_writable(options.snapshot_dir, "snapshot folder")
        self.client = None if options.dry_run else self._client()
        self.stopped: str | None = None  # why the rest of the run is skipped (401, a stop)

    def _client(self) -> ApiClient:
        credentials = self.project.credentials
        bearer = BearerToken(token=credentials.token, audience=self.project.base_url) \
            if credentials.token else BearerToken(account=credentials.service_account,
                                                  audience=self.project.base_url)
        return ApiClient(self.project.base_url, credentials.api_key, bearer,
                         retry=self.options.retry, rate_limit=self.options.rate_limit,
                         connections=self.options.concurrency, stopping=self.stop)

    def queries(self) -> list[Query]:
        wanted = self.options.resources
        if not wanted:
            return list(self.project.queries)
        return [self.project.query(name) for name in RESOURCES if name in wanted]

    def execute(self) -> RunReport:
        queries = self.queries()
        try:
            mappings = self.check_columns(queries)
            for query in queries:
                mapping = mappings[query.resource.name]
                if self.stop.is_set() and not self.stopped:  # before this resource began
                    self.stopped = self.report.interrupted = STOPPED_ON_REQUEST
                if self.stopped:
                    done = self._failed(query, f"not run: {self.stopped}")
                elif isinstance(mapping, SourceError):
                    done = self._failed(query, self.redact(str(mapping)))
                else:
                    done = self.sync_resource(query, mapping)
                self.report.resources.append(done)
            if self.stop.is_set():  # also when the stop came while the last answers were awaited
                self.report.interrupted = STOPPED_ON_REQUEST
        finally:
            self.close()
        return self.report

    def check_columns(self, queries: list[Query]) -> dict:
        """Each query's columns mapped to fields before anything is sent.

        An unknown column raises ProjectError, stopping the run before any upload; a query the
        database refuses maps to its SourceError, which fails that resource only.
        """
        mappings = {}
        for query in queries:
            try:
                columns = self.source.columns(query)
            except SourceError as exc:
                mappings[query.resource.name] = exc
                continue
            mappings[query.resource.name] = map_columns(query.resource, columns, query.file)
        return mappings

    def close(self) -> None:
        self.source.close()
        self.rejects.close()
        if self.client is not None:
            self.client.close()

    def _failed(self, query: Query, error: str) -> ResourceReport:
        return ResourceReport(query.resource.name, file=query.shown, errors=[error])

    # -- one resource ----------------------------------------------------------------------

    def sync_resource(self, query: Query, mapping: dict) -> ResourceReport:
        resource = query.resource
        report = ResourceReport(resource.name, file=query.shown)
        began = time.monotonic()
        page_size = min(self.options.page_size, resource.max_records)
        if page_size < self.options.page_size:
            log.info("%s: pages of %d rows, the API's maximum per request", resource.name,
                     page_size)
        self._warn_if_long(query, page_size)
        pages = self.source.pages(query, limit=self.options.limit, page_size=page_size)
        snapshot = self._snapshot(resource.name, list(dict.fromkeys(mapping.values())))
        upload = Uploads(self, query, report, snapshot)
        bar = self._progress_bar(resource.name)
        try:
            with closing(iter(pages)) as page_iterator:
                for number, page in enumerate(page_iterator, 1):
                    report.rows_read += len(page)
                    checked = normalise(page, resource, mapping)
                    for reject in checked.rejects:
                        self.reject(report, query, page, reject.row, number, "rejected",
                                    reject.reason, reject.fields)
                    for records in split_by_data_source(checked.records):
                        upload.submit(Batch(number, page, records))
                    bar.update(len(page))
                    log.debug("%s: page %d read, %d rows, %d rejected before sending",
                              resource.name, number, len(page), len(checked.rejects))
                    if self.stop.is_set():
                        self._stopped_by_request(report, upload)
                    self._keep_audit_trail(report, upload, snapshot)
                    if upload.stop_reason:
                        break
        except SourceError as exc:
            if self.stop.is_set():  # the query was cancelled because the run was stopped
                self._stopped_by_request(report, upload)
            else:
                report.errors.append(self.redact(str(exc)))
        finally:
            upload.finish()
            bar.close()
            if snapshot is not None:
                report.snapshot_file = str(snapshot.close())
            self._keep_audit_trail(report, upload, snapshot)
            report.more_available = pages.more_available
            report.seconds = time.monotonic() - began
            if (report.rejected or report.not_sent) and self.rejects.path:
                report.rejects_file = str(self.rejects.path)
        if upload.auth_failed:
            self.stopped = "the run stopped at the API's 401 answer"
        return report

    def _stopped_by_request(self, report: ResourceReport, upload: "Uploads") -> None:
        """The caller asked to stop: what is in flight ends, what is left is not read."""
        self.stopped = self.report.interrupted = STOPPED_ON_REQUEST
        report.errors.append(f"stopped on request after {report.rows_read:,} rows read; the "
                             "rest of the query was not read")
        upload.halt("not sent: the run was stopped on request")

    def _keep_audit_trail(self, report: ResourceReport, upload: "Uploads", snapshot) -> None:
        """Rejects reach the disk once a page; once they (or the snapshot) cannot, nothing
        more is sent and the run says why (the summary and report are still written)."""
        failure = self.rejects.flush() or (snapshot.failed if snapshot is not None else None)
        if failure and self.stopped != AUDIT_TRAIL_LOST:
            self.stopped = AUDIT_TRAIL_LOST
            report.errors.append(f"{self.redact(failure)}; nothing more was sent")
            upload.halt(f"not sent: {failure}")

    def _warn_if_long(self, query: Query, page_size: int) -> None:
        """Say before starting when the page size and the quota imply a run of minutes."""
        rate, resource = self.options.rate_limit, query.resource
        if self.options.dry_run or not rate:
            return
        rows = self.options.limit or self.source.count_rows(query)
        if not rows or -(-rows // page_size) <= rate:
            return
        message = (f"{resource.name}: {rows:,} rows at {page_size} per request and {rate} "
                   f"requests a minute take about {_duration(rows / page_size / rate * 60)}")
        if page_size < resource.max_records:
            quota = _duration(rows / resource.max_records / rate * 60)
            message += f"; --page-size {resource.max_records} takes about {quota} of quota"
        log.warning("%s", message)

    def reject(self, report: ResourceReport, query: Query, page: pd.DataFrame, row: int,
               page_number: int, outcome: str, reason: str, fields: list[str] = ()) -> None:
        """Count one row as rejected or not sent, and write it to the rejects file; `fields`
        names the fields our own checks faulted (empty for the API's and HTTP's verdicts)."""
        if outcome == "rejected":
            report.rejected += 1
        else:
            report.not_sent += 1
        values = page.loc[row].to_dict()
        self.rejects.add(resource=query.resource.name, row=row, page=page_number,
                         outcome=outcome, reason=self.redact(reason), fields=list(fields),
                         values=values)

    def _snapshot(self, resource_name: str, fields: list):
        if self.options.snapshot_dir is None:
            return None
        from .snapshot import Snapshot

        return Snapshot(self.options.snapshot_dir, self.run_id, resource_name, fields)

    def _progress_bar(self, name: str):
        return _ProgressBar(name, self.options.limit) if self.options.progress else _NoBar()


class Uploads:
    """The requests of one resource: at most `concurrency` in flight, answers absorbed in the
    calling thread in the order sent (so counting, rejects and snapshots need no locks).

    The first request that fails for good stops the resource: requests not yet started are
    cancelled and every row they held, or that is submitted later, is counted as not sent.
    """

    def __init__(self, run: Run, query: Query, report: ResourceReport, snapshot):
        self.run, self.query, self.report, self.snapshot = run, query, report, snapshot
        self.pool = None if run.client is None else ThreadPoolExecutor(
            max_workers=run.options.concurrency, thread_name_prefix=f"put-{query.resource.name}")
        self.pending: dict[Future, Batch] = {}
        self.stop_reason: str | None = None
        self.auth_failed = False

    def submit(self, batch: Batch) -> None:
        if self.pool is None:  # dry run: what would be sent is counted and snapshotted
            self.report.would_send += len(batch.records)
            if self.snapshot is not None:
                self.snapshot.add(batch.records, batch.page_number)
            return
        self._wait_for_room(self.run.options.concurrency - 1, len(batch.records))
        if self.stop_reason:
            self._not_sent(batch, self.stop_reason)
            return
        future = self.pool.submit(self.run.client.put, self.query.resource.path,
                                  to_payload(batch.records), len(batch.records))
        self.pending[future] = batch

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

    def _wait_for_room(self, room: int, rows: int = 0) -> None:
        """Absorb answers until at most `room` requests, and room for `rows` more rows, are in
        flight: with big pages, the rows cap keeps memory flat whatever the concurrency."""
        while len(self.pending) > room or (
                self.pending and self.rows_in_flight() + rows > ROWS_IN_FLIGHT):
            future = next(iter(self.pending))  # oldest first: rejects, logs and snapshots
            batch = self.pending.pop(future)  # come in page order whatever answers first
            try:
                result = future.result()
            except UploadError as exc:
                self._failed(batch, exc)
            except CancelledError:
                self._not_sent(batch, self.stop_reason)
            else:
                self._count(batch, result)

    def rows_in_flight(self) -> int:
        return sum(len(batch.records) for batch in self.pending.values())

    def _failed(self, batch: Batch, exc: UploadError) -> None:
        message = self.run.redact(str(exc))
        self.report.requests += exc.attempts
        refused = exc.status is not None and 400 <= exc.status < 500 and exc.status != 401
        if refused:  # the API refused the request as a whole: its rows are rejected
            self.report.records_sent += len(batch.records)
            for row in batch.records.index:
                self.run.reject(self.report, self.query, batch.page, row, batch.page_number,
                                "rejected", message)
            if self.snapshot is not None:
                outcome = Outcome(False, "Error", exc.status, message)
                self.snapshot.add(batch.records, batch.page_number, [outcome] * len(batch.records))
        else:
            self._not_sent(batch, f"not sent: {message}")
        if self.stop_reason is None:
            self.report.errors.append(message)
            self.auth_failed = isinstance(exc, AuthError)
            self.halt("not sent: the API refused the credentials (401)" if self.auth_failed
                      else "not sent: the resource stopped after a request failed")

    def _count(self, batch: Batch, result) -> None:
        report = self.report
        report.requests += result.attempts
        report.records_sent += len(batch.records)
        accepted = 0
        for row, outcome in zip(batch.records.index, result.outcomes, strict=True):
            if outcome.ok:
                accepted += 1
            else:
                self.run.reject(report, self.query, batch.page, row, batch.page_number,
                                "rejected", f"API: {outcome.message}")
        report.accepted += accepted
        # with a progress bar on screen, per-page lines would only garble it
        log.log(logging.DEBUG if self.run.options.progress else logging.INFO,
                "%s: page %d: %d sent, %d accepted, %d rejected by the API",
                self.query.resource.name, batch.page_number, len(batch.records), accepted,
                len(batch.records) - accepted)
        if self.snapshot is not None:
            self.snapshot.add(batch.records, batch.page_number, result.outcomes)

    def _not_sent(self, batch: Batch, reason: str) -> None:
        for row in batch.records.index:
            self.run.reject(self.report, self.query, batch.page, row, batch.page_number,
                            "not_sent", reason)


class _ProgressBar:
    """tqdm on stderr, counting rows up to the limit; it ends at the rows actually read."""

    def __init__(self, name: str, limit: int):
        from tqdm import tqdm

        self._bar = tqdm(total=limit or None, desc=name, unit=" rows", leave=True)

    def update(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        self._bar.total = self._bar.n
        self._bar.refresh()
        self._bar.close()


class _NoBar:
    def update(self, _count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _duration(seconds: float) -> str:
    if seconds >= 90:
        return f"{round(seconds / 60):,} minutes"
    whole = max(1, round(seconds))
    return "1 second" if whole == 1 else f"{whole} seconds"


__all__ = ["DEFAULT_LIMIT", "DEFAULT_PAGE_SIZE", "Run", "SyncError", "start"]
