"""`python -m core [sync] [PROJECT_DIR] ...`: one sync run, a summary out, an exit code back."""

import argparse
import gc
import logging
import signal
import socket
import sys
import threading
from pathlib import Path

from ..job import run_job
from ..main import AUTO, DEFAULT_CONCURRENCY, DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, DEFAULT_RATE_LIMIT
from ..mirror import DEFAULT_MAX_DELETE_FRACTION
from ..report import RunReport
from ..resources import RESOURCES
from . import (
    ExitCode,
    add_output_options,
    add_state_options,
    attempt,
    conclude,
    verb_parser,
)
from .logs import PRINTED

log = logging.getLogger("core.cli")


def parser() -> argparse.ArgumentParser:
    parser = verb_parser("sync", "Sync well and production data from a SQL database to "
                                 "ComboCurve, sending only what changed since the last run.")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=f"rows per resource at most, 0 for all (default {DEFAULT_LIMIT})")
    parser.add_argument("--page-size", type=page_size, default=None, metavar="auto|N",
                        help=f"records per request: N (at most 1000 for wells, 500 for "
                             f"ownership qualifiers, 20000 for daily and monthly productions; "
                             f"survey stations per page, one survey a request), or auto, the "
                             f"largest the API takes (default {DEFAULT_PAGE_SIZE}, and auto "
                             f"with --limit 0)")
    parser.add_argument("--resource", action="append", choices=list(RESOURCES),
                        dest="resources", metavar="NAME",
                        help="sync only this resource (repeatable): " + ", ".join(RESOURCES))
    parser.add_argument("--dry-run", action="store_true",
                        help="read and check everything, send nothing (no credentials needed)")
    parser.add_argument("--base-url", help="the API base URL (default from the project, else "
                                           "https://test-api.combocurve.com)")
    parser.add_argument("--report", type=Path, metavar="FILE", help="write the report as JSON")
    parser.add_argument("--snapshot-dir", type=Path, metavar="DIR",
                        help="write a parquet snapshot of what was sent, per resource")
    parser.add_argument("--rejects-dir", type=Path, metavar="DIR",
                        help="where the rejects file goes (default: PROJECT_DIR/rejects)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"requests in flight (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT,
                        help=f"requests a minute at most (default {DEFAULT_RATE_LIMIT}: the "
                             "API's quota of 200, less room for the gateway's window)")
    parser.add_argument("--max-wait", type=float, default=None, metavar="SECONDS",
                        help="seconds of retry back-off a run may spend (default 600)")
    add_state_options(parser)
    parser.add_argument("--full-refresh", action="store_true",
                        help="send every record, changed or not, and refresh the ledger")
    parser.add_argument("--delete-missing", action="store_true",
                        help="delete from ComboCurve what this project wrote and the queries "
                             "no longer return (as [resources.NAME] delete_missing = true)")
    parser.add_argument("--max-delete-fraction", type=float,
                        default=DEFAULT_MAX_DELETE_FRACTION, metavar="F",
                        help="delete nothing when more than this share of a resource's ledger "
                             f"would go (default {DEFAULT_MAX_DELETE_FRACTION:g})")
    parser.add_argument("--allow-mass-delete", action="store_true",
                        help="delete even beyond --max-delete-fraction")
    add_output_options(parser)
    return parser


def page_size(text: str) -> int | str:
    """--page-size: `auto` or a whole number (its range is checked with the other options)."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is neither auto nor a number") from None


def stop_on_signals() -> threading.Event:
    """Ctrl-C or SIGTERM (a scheduler ending the job) asks the run to stop after the current
    page, with every row accounted for; a second Ctrl-C stops at once.

    Python runs a signal handler only when the main thread comes back to Python code, which a
    query computing inside the database driver (SQLite's, say) may not do for an hour. So the
    signal also wakes a thread, through `signal.set_wakeup_fd`, that sets the stop at once:
    the run's watchdogs then cancel the query and cut the requests still in flight."""
    stop = threading.Event()
    received = []

    def ask(signum, _frame):
        received.append(signum)
        stop.set()
        if len(received) > 1:
            raise KeyboardInterrupt

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    threading.Thread(target=_stop_on_wakeup, args=(reader, writer, stop), name="signals",
                     daemon=True).start()
    signal.signal(signal.SIGINT, ask)
    signal.signal(signal.SIGTERM, ask)
    return stop


def _stop_on_wakeup(reader: socket.socket, _writer: socket.socket,
                    stop: threading.Event) -> None:
    """Set the stop the moment a signal arrives, whatever the main thread is doing. (The
    writer is held here only to stay open: set_wakeup_fd keeps nothing but its number.)"""
    said = False
    while signals := reader.recv(64):
        for signum in signals:
            if signum in (signal.SIGINT, signal.SIGTERM) and not said:
                stop.set()
                said = True
                logging.getLogger("core").warning(
                    "%s: stopping after the current page (Ctrl-C again to stop at once)",
                    signal.Signals(signum).name)


def tune_garbage_collector() -> None:
    """A sync allocates millions of short-lived tuples and dicts and almost no cycles. With
    the default threshold the collector runs every 700 of them, and each full pass walks every
    object pandas and SQLAlchemy made at import: freezing those and collecting per 20,000
    allocations makes a full sync about 15% faster. No collection first (it cost 0.07 s of a
    2 s job): the little garbage of the imports is frozen with the rest. The CLI owns its
    process; the library leaves the collector alone."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def run(args: argparse.Namespace) -> int:
    stop = stop_on_signals()
    tune_garbage_collector()
    report, failed = attempt(args, lambda: run_job(  # with [notify]'s pings and webhook
        args.project_dir, check=False, limit=args.limit, page_size=args.page_size,
        resources=args.resources, dry_run=args.dry_run, base_url=args.base_url,
        concurrency=args.concurrency, rate_limit=args.rate_limit, max_wait=args.max_wait,
        snapshot_dir=args.snapshot_dir, rejects_dir=args.rejects_dir, state=args.state,
        full_refresh=args.full_refresh, progress=sys.stderr.isatty() and not args.quiet,
        stop=stop, delete_missing=args.delete_missing,
        max_delete_fraction=args.max_delete_fraction, allow_mass_delete=args.allow_mass_delete))
    if failed is not None:
        return failed
    return conclude(args, report, then=log_outcome)


def log_outcome(report: RunReport, code: ExitCode) -> None:
    """The counts of each resource and the summary, for log files and collectors."""
    for r in report.resources:
        log.info("%s: %d read, %d unchanged, %d accepted, %d rejected, %d not sent", r.name,
                 r.rows_read, r.unchanged, r.accepted, r.rejected, r.not_sent,
                 extra={"run_id": report.run_id, "resource": r.name, "rows_read": r.rows_read,
                        "unchanged": r.unchanged, "accepted": r.accepted,
                        "rejected": r.rejected, "not_sent": r.not_sent})
    log.info("run %s ended, exit code %d\n%s", report.run_id, code, report.summary(),
             extra={"run_id": report.run_id, PRINTED: True, "exit_code": int(code)})
