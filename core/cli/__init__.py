"""The command line: `python -m core [VERB] [PROJECT_DIR] [options]`.

Verbs, each a thin layer over a library function that a notebook can call too:

    sync       (the default: `python -m core DIR` is `python -m core sync DIR`)
    verify     read ComboCurve back and compare it with the database (exit 0: all equal)
    state      what the ledger holds per resource; `--forget RESOURCE` clears one
    schedule   print or install a cron, systemd or Task Scheduler entry for unattended syncs

Every verb shares the exit codes below, logs through `logging` to stderr, prints its result
on stdout, and reports an expected error as one `Error: ...` line without a traceback
(`--debug` shows it). A project folder that happens to be named like a verb is reached
with `python -m core sync ./NAME`.
"""

import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
from enum import IntEnum
from pathlib import Path

from ..errors import LockedError, ProjectError, SyncError, UsageError
from ..rejects import check_writable
from .logs import PRINTED, add_log_options, set_up_logging


class ExitCode(IntEnum):
    """What a scheduler can tell from a run's exit code alone."""

    OK = 0  # every row read was accepted (a dry run: would be sent); verify: all equal
    FAILED = 1  # a row was rejected or not sent, or a resource failed; verify: a difference
    USAGE = 2  # an invalid project, option or command line
    UNREACHABLE = 3  # neither the database nor the API answered at all (worth a retry later)
    LOCKED = 75  # another run of the project is in progress (EX_TEMPFAIL: try again later)
    STOPPED = 130  # Ctrl-C or SIGTERM, after the summary and report were written


# verb -> the module of core.cli holding its `parser()` and `run(args)`
VERBS = {"sync": "sync", "verify": "verify", "state": "state", "schedule": "schedule"}
DEFAULT_VERB = "sync"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `Error:` line and exit code 2."""

    def error(self, message: str):
        sys.stderr.write(f"Error: {message} (see {self.prog} --help)\n")
        raise SystemExit(ExitCode.USAGE)


def verb_parser(verb: str, description: str) -> Parser:
    """A verb's parser, with the project folder every verb takes first."""
    parser = Parser(prog="python -m core" + ("" if verb == DEFAULT_VERB else f" {verb}"),
                    description=description)
    parser.add_argument("project_dir", nargs="?", default=None,
                        help="the sync project folder (default: the current directory)")
    return parser


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """-v, -q, --debug, --log-file and --log-format, which every verb takes."""
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    noise.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar and no per-page lines; warnings and the result")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    add_log_options(parser)


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """Where the ledger is: --state DIR, or --no-state (which becomes state=False)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state", type=Path, metavar="DIR", default=None,
                       help="the ledger's folder (default: [state] path in combocurve.toml, "
                            "else PROJECT_DIR/.combocurve)")
    where.add_argument("--no-state", dest="state", action="store_const", const=False,
                       help="no ledger: send every record read, as a one-shot upload")


def fail(exc: BaseException, args: argparse.Namespace, code: ExitCode) -> int:
    """Report an expected error on one line (a traceback too with --debug)."""
    log = logging.getLogger("core.cli")
    if getattr(args, "debug", False):
        log.exception("traceback")
    sys.stderr.write(f"Error: {exc}\n")
    log.error("Error: %s", exc, extra={PRINTED: True, "exit_code": int(code)})
    return code


def attempt(args: argparse.Namespace, work):
    """(what `work()` returns, None), or (None, the exit code) for an expected error, said on
    one line: an invalid project or option (a --report that cannot be written included), a
    project locked by another run, a stop."""
    try:
        if getattr(args, "report", None):
            check_report_path(args.report)
        return work(), None
    except (ProjectError, UsageError) as exc:
        return None, fail(exc, args, ExitCode.USAGE)
    except LockedError as exc:
        return None, fail(exc, args, ExitCode.LOCKED)
    except SyncError as exc:
        return None, fail(exc, args, ExitCode.FAILED)
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted\n")
        return None, ExitCode.STOPPED


def publish(args: argparse.Namespace, report) -> str | None:
    """The summary on stdout, and the report as JSON in `--report FILE`; None, or why the
    report could not be written."""
    print_summary(report.summary())
    if not args.report:
        return None
    return write_report(args.report, json.dumps(report.to_dict(), indent=2) + "\n")


def conclude(args: argparse.Namespace, report, then=None) -> ExitCode:
    """The end of a verb that made a report (sync, verify): the summary on stdout, the report
    in --report, `then(report, code)` (sync logs its counts there), and the exit code. A
    report that could not be written is the last line a person or a scheduler sees, printed
    and logged."""
    failure = publish(args, report)
    code = exit_code(report, report_lost=bool(failure))
    if then is not None:
        then(report, code)
    if failure:
        sys.stderr.write(f"Error: {failure}\n")
        logging.getLogger("core.cli").error("%s", failure, extra={PRINTED: True})
    return code


def exit_code(report, *, report_lost: bool = False) -> ExitCode:
    """A run's or a verify's exit code, from its report (`interrupted`, `ok`, `unreachable`)."""
    if report.interrupted:
        return ExitCode.STOPPED
    if report.ok and not report_lost:
        return ExitCode.OK
    return ExitCode.UNREACHABLE if report.unreachable else ExitCode.FAILED


def check_report_path(path: Path) -> None:
    """The report is written at the end of the run: make sure now that it can be."""
    if path.is_dir():
        raise UsageError(f"--report {path}: it is a folder; give the path of a file")
    if not path.exists() or path.is_file():  # a device such as /dev/stdout is written as is
        check_writable(path.parent, "--report folder")


def write_report(path: Path, text: str) -> str | None:
    """Write the report whole (a new file renamed into place); None, or why it could not be."""
    data = text.encode("utf-8")
    try:
        if path.exists() and not path.is_file():
            path.write_bytes(data)
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(part, 0o644)
            os.replace(part, path)
        except BaseException:
            os.unlink(part)
            raise
    except OSError as exc:
        return f"cannot write the report {path}: {exc.strerror or exc}"
    return None


def print_summary(text: str) -> None:
    """The summary on stdout; a reader that went away (`| head`) is no reason to fail."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())




def use_the_system_allocator_for_arrow() -> None:
    """Arrow's default allocator (mimalloc) keeps what it frees for later: in a run that makes
    and drops Arrow arrays page after page (the rows kept for rejects, the ledger's entries),
    a million-row sync peaked at 239 MB with it and at 218 MB with the system's allocator, in
    the same time. Set before pyarrow is first imported (a setting of the user's wins); the
    CLI owns its process, the library leaves Arrow's choice alone."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    use_the_system_allocator_for_arrow()  # before a verb's module imports pandas and pyarrow
    verb = argv.pop(0) if argv and argv[0] in VERBS else DEFAULT_VERB
    command = importlib.import_module(f".{VERBS[verb]}", __name__)
    args = command.parser().parse_args(argv)
    try:
        set_up_logging(args)
    except OSError as exc:
        sys.stderr.write(f"Error: --log-file {args.log_file}: {exc.strerror}\n")
        return ExitCode.USAGE
    return int(command.run(args))
