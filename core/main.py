"""`start()`: one sync run, from the project's queries to the API, resource by resource.

Resources go in the API's order (every other record names a well that must exist). Each page
read is normalised (rows the API would refuse are rejected with reasons), assembled (a
survey's stations gathered per well, the qualifier-key limit: `assembly`), sorted against
the run so far and the ledger (a key twice is a duplicate; an unchanged record is not sent),
and what remains fills requests (`uploads`, made by the resource's `writers`), sent while the
next page is read. What ComboCurve accepts goes into the ledger as each answer arrives. A
resource that fails does not stop the next one; a 401 stops the run. Every row read ends up
accepted, rejected, not sent or unchanged, and every row that is neither accepted nor
unchanged is written to the rejects file.
"""

import inspect
import logging
import secrets
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .assembly import Assembled, assembly
from .changes import Changes
from .client import READ_QUOTA, ApiClient, RetryPolicy
from .credentials import Redactor
from .errors import SourceError, SyncError, UsageError
from .hashing import HASH_CANARY
from .mirror import DEFAULT_MAX_DELETE_FRACTION, Mirror
from .project import Project, Query, ResourceSettings, load_project
from .readback import WellIds
from .rejects import AuditLines, RejectsFile, check_writable
from .report import RUN_ID, ResourceReport, RunReport, duration
from .resources import RESOURCES
from .resources.wells import IDENTITY_FIELDS
from .sources import Source
from .state import Ledger, ResourceState, now_utc
from .transform import NORMALISATION_VERSION, map_columns, normalise
from .uploads import Batcher, Uploads
from .writers import RecordsWriter, SurveyWriter, survey_ids

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000
MAX_LIMIT = 2**62
DEFAULT_PAGE_SIZE = 100  # the seed's job; a run of every row (limit 0) takes the largest
AUTO = "auto"  # page size: the API's largest request for each resource
DEFAULT_CONCURRENCY = 4
DEFAULT_RATE_LIMIT = 190  # write requests a minute: the API's quota of 200, less room for the
# gateway's own 60-second window, which does not start with ours
AUDIT_TRAIL_LOST = "the rejects file or snapshot could not be written"
STOPPED_ON_REQUEST = "the run was stopped on request"


@dataclass(frozen=True)
class Options:
    """The knobs of a run, checked once; see `start()` for their meaning."""

    limit: int = DEFAULT_LIMIT
    page_size: int | str = DEFAULT_PAGE_SIZE  # or AUTO
    resources: tuple[str, ...] | None = None
    dry_run: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    rate_limit: int | None = DEFAULT_RATE_LIMIT
    retry: RetryPolicy = RetryPolicy()
    snapshot_dir: Path | None = None
    rejects_dir: Path | None = None
    state: Path | bool | None = None  # the ledger's folder; None: the project's; False: none
    full_refresh: bool = False
    progress: bool = False
    stop: threading.Event | None = None
    delete_missing: bool = False  # mirror deletions for every resource of the run
    max_delete_fraction: float = DEFAULT_MAX_DELETE_FRACTION
    allow_mass_delete: bool = False

    def page_size_for(self, resource) -> int:
        """Records per request for `resource`: the API's largest when auto, else the size
        asked for, clamped to that largest."""
        if self.page_size == AUTO:
            return resource.max_records
        return min(self.page_size, resource.max_records)

    def check(self) -> None:
        largest = max(r.max_records for r in RESOURCES.values())
        if not 0 <= self.limit <= MAX_LIMIT:  # beyond it no database takes the LIMIT + 1
            raise UsageError(f"limit must be 0 (all rows) or more, at most {MAX_LIMIT}, not "
                             f"{self.limit}")
        if self.page_size != AUTO and not (
                isinstance(self.page_size, int) and 1 <= self.page_size <= largest):
            raise UsageError(f"page size must be '{AUTO}' or between 1 and {largest}, not "
                             f"{self.page_size!r}")
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be 1 or more, not {self.concurrency}")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise UsageError(f"rate limit must be 1 or more a minute, not {self.rate_limit}")
        if self.full_refresh and self.state is False:
            raise UsageError("--full-refresh refreshes the ledger: it cannot go with --no-state")
        if not 0 <= self.max_delete_fraction <= 1:
            raise UsageError("max delete fraction must be between 0 and 1 (a share of the "
                             f"ledger's records), not {self.max_delete_fraction}")
        unknown = set(self.resources or ()) - set(RESOURCES)
        if unknown:
            raise UsageError(f"unknown resource {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(RESOURCES)}")


def start(project_dir=None, **options) -> RunReport:
    """Sync the project in `project_dir` (a folder, default the current one, or a Project).

    limit: rows per resource at most (0: all); page_size: records per request (up to 1000 for
    wells, 500 for ownership qualifiers, 20000 for daily and monthly productions; for
    directional surveys the stations of a page, each survey one request), or "auto", the largest
    the API takes; by default 100, and auto when every row is read (limit 0); resources: names
    to sync (default: every query of the project); dry_run: read and check, send nothing, need
    no credentials, and tell what a real run would send; concurrency: requests in flight;
    rate_limit: requests a minute (None: no pacing); max_wait: seconds of back-off a run may
    spend before failing; snapshot_dir: write parquet snapshots there; rejects_dir: where the
    rejects file goes (default: <project>/rejects); state: the ledger's folder (default: the
    project's `[state] path`, else <project>/.combocurve; False: no ledger, every record is
    sent); full_refresh: send every record and refresh the ledger; stop: an Event that, once
    set, ends the run after the current page, every row accounted for (the CLI sets it on Ctrl-C
    and SIGTERM); delete_missing: delete from ComboCurve what this project wrote and the query
    no longer returns, for every resource that can (`[resources.<name>] delete_missing` asks
    it for one; see core.mirror for the guards); max_delete_fraction: the share of a
    resource's ledger a run may delete; allow_mass_delete: delete even more than that.
    Returns a RunReport. Raises ProjectError or UsageError for an invalid project or option
    (`prepare()` checks them before anything runs), LedgerError for a ledger that cannot be
    trusted or written, LockedError when another run of the project holds the ledger; never
    for a failing database or API, which the report describes.
    """
    return Run(*prepare(project_dir, **options)).execute()


def prepare(project_dir=None, *, limit: int = DEFAULT_LIMIT, page_size: int | str | None = None,
            resources=None, dry_run: bool = False, base_url: str | None = None,
            concurrency: int = DEFAULT_CONCURRENCY, rate_limit: int | None = DEFAULT_RATE_LIMIT,
            max_wait: float | None = None, retry: RetryPolicy | None = None,
            snapshot_dir=None, rejects_dir=None, state=None, full_refresh: bool = False,
            progress: bool = False, stop: threading.Event | None = None,
            delete_missing: bool = False,
            max_delete_fraction: float = DEFAULT_MAX_DELETE_FRACTION,
            allow_mass_delete: bool = False) -> tuple[Project, Options]:
    """start()'s project and options, checked, before anything runs: `Run(*prepare(...))`.

    Raises UsageError for an invalid option, ProjectError for an invalid project or missing
    credentials (none are needed for a dry run). run_job() calls it before its first ping.
    """
    policy = retry_policy(retry, max_wait)
    if page_size is None:
        page_size = AUTO if limit == 0 else DEFAULT_PAGE_SIZE
    options = Options(limit=limit, page_size=page_size, dry_run=dry_run,
                      resources=tuple(resources) if resources else None,
                      concurrency=concurrency, rate_limit=rate_limit, retry=policy,
                      snapshot_dir=Path(snapshot_dir) if snapshot_dir else None,
                      rejects_dir=Path(rejects_dir) if rejects_dir else None,
                      state=state if state in (None, False) else Path(state),
                      full_refresh=full_refresh, progress=progress, stop=stop,
                      delete_missing=delete_missing, max_delete_fraction=max_delete_fraction,
                      allow_mass_delete=allow_mass_delete)
    options.check()
    return loaded(project_dir, base_url, credentials=not dry_run), options


def retry_policy(retry: RetryPolicy | None, max_wait: float | None) -> RetryPolicy:
    """`retry` (else the default), with `max_wait` seconds of back-off when given."""
    policy = retry or RetryPolicy()
    if max_wait is not None:
        policy = RetryPolicy(**{**policy.__dict__, "max_wait": max_wait})
    return policy


def loaded(project_dir, base_url: str | None, *, credentials: bool) -> Project:
    """The project of a folder (default the current one), or a Project already loaded (e.g.
    in a notebook), on `base_url` when given; its credentials checked when `credentials`."""
    if not isinstance(project_dir, Project):
        return load_project(project_dir, require_credentials=credentials, base_url=base_url)
    project = project_dir.with_base_url(base_url) if base_url else project_dir
    if credentials:
        project.require_credentials()
    return project


def open_source(project: Project, retry: RetryPolicy, stop: threading.Event) -> Source:
    """The project's database for a run: it may stall as long as the API may."""
    return Source(project.connection, stream_hold_seconds=int(retry.max_wait) + 600,
                  stop=stop, stall_seconds=retry.max_wait)


# start() takes prepare()'s keywords: say so to help(), notebooks' completion and editors
start.__signature__ = inspect.signature(prepare).replace(return_annotation=RunReport)


def new_run_id() -> str:
    """Sortable and unique: `20261128T081500Z-1a2b3c`."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def state_folder(project: Project, state=None) -> Path | None:
    """Where the project's ledger lives: `state` if given, None for no ledger (False)."""
    if state is False:
        return None
    return Path(state) if state is not None else project.state_folder


class Run:
    """One run over a project's resources; holds the database, the client, the ledger and
    the rejects."""

    def __init__(self, project: Project, options: Options, rejects=None):
        self.project, self.options = project, options
        self.run_id, self.started_at = new_run_id(), now_utc()
        self.report = RunReport(self.run_id, dry_run=options.dry_run,
                                rate_limit=options.rate_limit)
        self.redact = Redactor(project.named_secrets())  # defence in depth for every message
        self.stop = options.stop or threading.Event()
        self.source = open_source(project, options.retry, self.stop)
        self.rejects = rejects or RejectsFile(options.rejects_dir or project.folder / "rejects",
                                              self.run_id)
        if options.snapshot_dir is not None:  # the audit trail can be written, or nothing is sent
            check_writable(options.snapshot_dir, "snapshot folder")
        self.deletions = AuditLines(  # beside the rejects file, whose folder was checked
            self.rejects.path.with_name(f"{self.run_id}-deletions.jsonl")
            if self.rejects.path else None, "deletions file", keep=not self.rejects.path)
        self._well_ids: WellIds | None = None
        self.client = None if options.dry_run else self._client()
        self.ledger: Ledger | None = None
        self.stopped: str | None = None  # why the rest of the run is skipped (401, a stop)

    def _client(self) -> ApiClient:
        """Reads (a survey found, a well's id) are paced as writes are: not at all when the
        run sets no rate."""
        rate = self.options.rate_limit
        return ApiClient.for_project(self.project, retry=self.options.retry, rate_limit=rate,
                                     read_rate=READ_QUOTA if rate else None,
                                     connections=self.options.concurrency, stopping=self.stop)

    def queries(self) -> list[Query]:
        wanted = self.options.resources
        if not wanted:
            return list(self.project.queries)
        return [self.project.query(name) for name in RESOURCES if name in wanted]

    def execute(self) -> RunReport:
        queries = self.queries()
        run_id = RUN_ID.set(self.run_id)  # for log lines of this thread (see core.report)
        try:
            self._open_ledger()
            mappings = self.check_columns(queries)
            for query in queries:
                mapping = mappings[query.resource.name]
                if self.stop.is_set() and not self.stopped:  # before this resource began
                    self.stopped = self.report.interrupted = STOPPED_ON_REQUEST
                if self.stopped:
                    done = self._failed(query, f"not run: {self.stopped}")
                elif isinstance(mapping, SourceError):
                    done = self._failed(query, self.redact(str(mapping)), mapping.unreachable)
                    if Mirror.wanted(self, query.resource):
                        done.deletions_refused = "the query failed"
                else:
                    done = self.sync_resource(query, mapping)
                self.report.resources.append(done)
            if self.stop.is_set():  # also when the stop came while the last answers were awaited
                self.report.interrupted = STOPPED_ON_REQUEST
        finally:
            self.close()
            RUN_ID.reset(run_id)
        return self.report

    def _open_ledger(self) -> None:
        """A real run locks the project and records in its ledger; a dry run only reads it."""
        folder = state_folder(self.project, self.options.state)
        if folder is None:
            return
        if self.options.dry_run:
            self.ledger = Ledger.read(folder)
        else:
            self.ledger = Ledger.open(folder)
            self.ledger.begin_run(self.run_id, self.started_at)

    def check_columns(self, queries: list[Query]) -> dict:
        """Each query's columns mapped to fields before anything is sent.

        An unknown column raises ProjectError, stopping the run before any upload; a query the
        database refuses maps to its SourceError, which fails that resource only.
        """
        mappings = {}
        for query in queries:
            try:
                columns = self.source.columns(query, since=self.project.state.since)
            except SourceError as exc:
                mappings[query.resource.name] = exc
                continue
            mappings[query.resource.name] = map_columns(query.resource, columns, query.file)
        return mappings

    def close(self) -> None:
        self.source.close()
        self.rejects.close()
        self.deletions.close()
        if self.client is not None:
            self.client.close()
        if self.ledger is not None:
            self.ledger.close()

    def well_ids(self) -> WellIds:
        """ComboCurve ids of wells (for deleting rows), from the ledger as it is when first
        asked: after this run's wells were recorded."""
        if self._well_ids is None:
            self._well_ids = WellIds.from_ledger(self.ledger, self.project.base_url)
        return self._well_ids

    def _failed(self, query: Query, error: str, unreachable: bool = False) -> ResourceReport:
        return ResourceReport(query.resource.name, file=query.shown, errors=[error],
                              unreachable=unreachable)

    # -- one resource ----------------------------------------------------------------------

    def sync_resource(self, query: Query, mapping: dict) -> ResourceReport:
        resource = query.resource
        settings = self.project.settings_for(resource.name)
        report = ResourceReport(resource.name, file=query.shown, grouped=resource.grouped,
                                notes=write_notes(resource, settings, mapping))
        began, started_at = time.monotonic(), now_utc()
        page_size = self.options.page_size_for(resource)
        if self.options.page_size not in (AUTO, page_size):
            log.info("%s: pages of %d rows, the API's maximum per request", resource.name,
                     page_size)
        state = self._resource_state(query, mapping, settings)
        self._warn_if_long(query, page_size, state)
        pages = self.source.pages(query, limit=self.options.limit, page_size=page_size,
                                  since=self._since(state))
        snapshot = self._snapshot(resource.name, list(dict.fromkeys(mapping.values())))
        upload = Uploads(self, query, report, snapshot, state,
                         self._writer(resource, settings, state))
        flow = Flow(query, mapping, report, Changes(resource, state),
                    Batcher(page_size, upload.submit), assembly(resource, mapping),
                    Mirror(self, query, mapping, state, report)
                    if Mirror.wanted(self, resource) else None)
        bar = self._progress_bar(resource.name)
        read_to_end, query_failed = False, None
        try:
            with closing(iter(pages)) as page_iterator:
                for number, page in enumerate(page_iterator, 1):
                    self._read_page(flow, number, page)
                    bar.update(len(page))
                    if self.stop.is_set():
                        self._stopped_by_request(report, upload)
                    self._keep_audit_trail(report, upload, snapshot)
                    if upload.stop_reason:
                        break
                else:
                    read_to_end = True
        except SourceError as exc:
            if self.stop.is_set():  # the query was cancelled because the run was stopped
                self._stopped_by_request(report, upload)
            else:
                report.errors.append(self.redact(str(exc)))
                report.unreachable = exc.unreachable
                query_failed = "the query failed"
        finally:
            try:  # rows read before a failure or a stop are still accounted for
                ending = "limit" if pages.more_available else "end" if read_to_end \
                    else "stopped"
                self._sort(flow, flow.assembly.finish(ending))
                flow.batcher.flush()
            finally:
                upload.finish()
                bar.close()
            report.more_available = pages.more_available
            report.seconds = time.monotonic() - began
            if snapshot is not None:
                report.snapshot_file = str(snapshot.close())
            self._keep_audit_trail(report, upload, snapshot)
            if (report.rejected or report.not_sent) and self.rejects.path:
                report.rejects_file = str(self.rejects.path)
        if flow.mirror is not None:
            flow.mirror.finish(flow.changes.seen, refusal=query_failed or self._incomplete(
                upload, pages.more_available))
        if not upload.ledger_failed:
            self._finish_state(state, report, started_at)
        if upload.auth_failed:
            self.stopped = "the run stopped at the API's 401 answer"
        return report

    def _incomplete(self, upload: Uploads, more_available: bool) -> str | None:
        """Why the run cannot tell what the query no longer returns, if it cannot."""
        if more_available:
            return (f"the read was cut by --limit {self.options.limit:,}, so rows beyond it "
                    "were not seen (--limit 0 reads them all)")
        if self.stopped or upload.stop_reason:
            return f"the resource did not run to its end ({self.stopped or upload.stop_reason})"
        return None

    def _read_page(self, flow: "Flow", number: int, page) -> None:
        """One page: rejected rows written out, the rest assembled, sorted and queued."""
        query, report = flow.query, flow.report
        report.rows_read += len(page)
        checked = normalise(page, query.resource, flow.mapping)
        if flow.mirror is not None:  # a row refused still exists at the source: it stays
            flow.mirror.keep(page, [reject.row for reject in checked.rejects])
        for reject in checked.rejects:
            self.reject(report, query, reject.row, number, "rejected", reject.reason,
                        reject.fields, page.loc[reject.row].to_dict())
        rejected, unchanged = report.rejected, report.unchanged
        self._sort(flow, flow.assembly.add(number, page, checked))
        log.debug("%s: page %d read, %d rows, %d rejected before sending, %d unchanged",
                  query.resource.name, number, len(page), report.rejected - rejected +
                  len(checked.rejects), report.unchanged - unchanged)

    def _sort(self, flow: "Flow", assembled: Assembled | None) -> None:
        """Assembled records: refusals and duplicates written out, the rest sorted against
        the ledger and queued."""
        if assembled is None:
            return
        query, report = flow.query, flow.report
        report.rows_read -= assembled.unread
        for refused in assembled.refused:
            self.reject(report, query, refused.row, refused.page, refused.outcome,
                        refused.reason, refused.fields, refused.values)
        found = flow.changes.sort(assembled)
        for position, earlier in found.duplicates:
            row = int(assembled.records.index[position])
            self.reject(report, query, row, int(assembled.pages[position]), "rejected",
                        duplicate_reason(query.resource, earlier), ["duplicate"],
                        assembled.sources.loc[row].to_dict())
        report.new += found.new
        report.changed += found.changed
        report.unchanged += found.unchanged
        flow.batcher.add(found.to_send)

    def _writer(self, resource, settings: ResourceSettings, state: ResourceState | None):
        """What makes the resource's requests: records PUT (or PATCH), or surveys one by one,
        with the ComboCurve ids the ledger holds (none are needed in a dry run)."""
        if not resource.grouped:
            return RecordsWriter(resource, settings.write.upper())
        if self.client is None or self.ledger is None:
            return SurveyWriter(resource, {})
        return SurveyWriter(resource, survey_ids(state.held()), self.well_ids())

    def _resource_state(self, query: Query, mapping: dict,
                        settings: ResourceSettings) -> ResourceState | None:
        """What the ledger holds for this resource; says so when every record goes again."""
        if self.ledger is None:
            return None
        fingerprint = {"mapping": {column: field.name for column, field in mapping.items()},
                       "normalisation": NORMALISATION_VERSION, "hashing": HASH_CANARY}
        if settings.write != query.resource.writes[0]:  # PATCH sends what PUT would not clear
            fingerprint["write"] = settings.write
        state = self.ledger.resource(self.project.base_url, query.resource.name, fingerprint,
                                     full_refresh=self.options.full_refresh)
        if state.stale:
            log.warning("%s: sending every record again: %s", query.resource.name, state.stale)
        return state

    def _since(self, state: ResourceState | None) -> datetime | None:
        """`:since` in a query: the start of the resource's last successful run, else the
        project's `[state] since`, else None (everything)."""
        return (state.since if state is not None else None) or self.project.state.since

    def _finish_state(self, state: ResourceState | None, report: ResourceReport,
                      started_at: datetime) -> None:
        """Tell the ledger how the resource ended. Only a complete success moves `:since` on:
        every row read was accepted or unchanged, nothing was left unread."""
        if state is None or self.options.dry_run:
            return
        succeeded = (report.ok and not report.more_available and not self.stop.is_set())
        counts = {k: getattr(report, k) for k in ("rows_read", "accepted", "rejected",
                                                  "not_sent", "unchanged", "requests")}
        try:
            state.finish(self.run_id, started_at, counts, succeeded)
        except SyncError as exc:
            report.errors.append(self.redact(str(exc)))

    def _stopped_by_request(self, report: ResourceReport, upload: Uploads) -> None:
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

    def _warn_if_long(self, query: Query, page_size: int, state: ResourceState | None) -> None:
        """Say before starting when the page size and the quota imply a run of minutes. The
        rows are the limit, else what the ledger knows of the resource; no query is counted.
        A grouped resource takes one request per well: the surveys the ledger knows, else at
        most one per row of the limit."""
        rate, resource = self.options.rate_limit, query.resource
        known = state.known if state is not None else 0
        rows = self.options.limit or known
        if resource.grouped and not self.options.dry_run and rate:
            wells = known or self.options.limit
            if wells > rate:
                what = f"{wells:,} surveys in the ledger" if known else f"up to {wells:,} wells"
                log.warning("%s: one request per well (a survey is one document): %s at %d "
                            "requests a minute take about %s", resource.name, what, rate,
                            duration(wells / rate * 60))
            return
        if self.options.dry_run or not rate or not rows or -(-rows // page_size) <= rate:
            return
        message = (f"{resource.name}: up to {rows:,} rows at {page_size} per request and {rate} "
                   f"requests a minute take about {duration(rows / page_size / rate * 60)}")
        if page_size < resource.max_records:
            quota = duration(rows / resource.max_records / rate * 60)
            message += f"; --page-size {resource.max_records} takes about {quota} of quota"
        log.warning("%s", message)

    def reject(self, report: ResourceReport, query: Query, row: int, page_number: int,
               outcome: str, reason: str, fields: list[str] = (), values: dict = None) -> None:
        """Count one row as rejected or not sent, and write it to the rejects file; `fields`
        names the fields our own checks faulted (empty for the API's and HTTP's verdicts)."""
        if outcome == "rejected":
            report.rejected += 1
        else:
            report.not_sent += 1
        self.rejects.add(resource=query.resource.name, row=row, page=page_number,
                         outcome=outcome, reason=self.redact(reason), fields=list(fields),
                         values=values or {})

    def _snapshot(self, resource_name: str, fields: list):
        if self.options.snapshot_dir is None:
            return None
        from .snapshot import Snapshot

        return Snapshot(self.options.snapshot_dir, self.run_id, resource_name, fields)

    def _progress_bar(self, name: str):
        return _ProgressBar(name, self.options.limit) if self.options.progress else _NoBar()


@dataclass
class Flow:
    """One resource's way through a run: its query and column mapping, its report, and the
    steps its records take (assembled, sorted against the ledger, gathered into requests)."""

    query: Query
    mapping: dict
    report: ResourceReport
    changes: Changes
    batcher: Batcher
    assembly: object  # core.assembly: Flat, KeyLimit or Groups
    mirror: Mirror | None = None  # mirror deletions, when asked for


def duplicate_reason(resource, earlier: int) -> str:
    if resource.grouped:
        return (f"duplicate: this well's stations came before, from row {earlier}; ORDER BY "
                "the well so that each survey's stations come together")
    return f"duplicate: same {resource.noun} as row {earlier}, sent earlier in this run"


def write_notes(resource, settings: ResourceSettings, mapping: dict) -> list[str]:
    """What a user must know of how the resource is written: a PUT of wells replaces each
    well, clearing every writable field the query leaves out."""
    if "patch" not in resource.writes or settings.write != "put":
        return []
    sent = {f.name for f in mapping.values()}
    left_out = [name for name in resource.fields if name not in sent | IDENTITY_FIELDS]
    if not left_out:
        return []
    return [f"written with PUT, which replaces each well: the {len(left_out)} writable fields "
            f"the query leaves out are cleared in ComboCurve for every well sent "
            f"([resources.{resource.name}] write = \"patch\" leaves them as they are)"]


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


__all__ = ["DEFAULT_LIMIT", "DEFAULT_PAGE_SIZE", "Run", "SyncError", "start"]
