"""Where the CLI's log lines go: stderr as text (as always), and with `--log-file` a rotating
file; `--log-format json` makes both one JSON object a line, for log collectors.

Every line carries the run id (core.report.RUN_ID) once a run has started; the line of each
answered request carries `resource`, `request` (its number in the resource), `sent`,
`accepted` and `rejected`, and the CLI's closing lines the counts of each resource. What the
CLI prints itself (the summary, an `Error:` line) also goes to the file, so that an
unattended run's file tells the whole story.
"""

import argparse
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

from ..report import RUN_ID

LOG_FILE_BYTES = 10 * 1024 * 1024  # rotated at 10 MiB ...
LOG_FILE_BACKUPS = 5  # ... keeping five old files: 60 MiB at most
FIELDS = ("resource", "request", "sent", "accepted", "rejected", "rows_read", "unchanged",
          "not_sent", "exit_code")  # extra= names a log line may carry, copied to its JSON object
PRINTED = "printed"  # extra={PRINTED: True}: the CLI printed this already; files only


def add_log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-file", type=Path, metavar="FILE",
                        help=f"also log to FILE (INFO and up; -v: DEBUG), rotated at "
                             f"{LOG_FILE_BYTES // 1024 // 1024} MiB, {LOG_FILE_BACKUPS} kept")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="text (default) or json: one object a line with time, level, "
                             "message, run_id, resource, request and counts")


def set_up_logging(args: argparse.Namespace) -> None:
    """Raises OSError when the log file cannot be opened."""
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    json_lines = getattr(args, "log_format", "text") == "json"
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    console.setFormatter(JsonLines() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"))
    if not json_lines:  # in JSON, the printed lines are records like any other
        console.addFilter(lambda record: not getattr(record, PRINTED, False))
    handlers = [console]
    if getattr(args, "log_file", None):
        handlers.append(_file_handler(args.log_file, json_lines, verbose))
    root = logging.getLogger()
    for handler in handlers:
        handler.addFilter(_add_run_id)
        root.addHandler(handler)
    root.setLevel(min(handler.level for handler in handlers))


def _file_handler(path: Path, json_lines: bool, verbose: bool) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8")
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s [%(run_id)s] %(message)s"))
    return handler


def _add_run_id(record: logging.LogRecord) -> bool:
    if not getattr(record, "run_id", None):
        record.run_id = RUN_ID.get() or "-"
    return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, run_id, and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                     timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if getattr(record, "run_id", "-") != "-":
            entry["run_id"] = record.run_id
        entry.update((name, getattr(record, name)) for name in FIELDS if hasattr(record, name))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()
