"""The command line: `python -m core [VERB] [PROJECT_DIR] [options]`.

Verbs, each a thin layer over a library function that a notebook can call too:

    sync       (the default: `python -m core DIR` is `python -m core sync DIR`)

Every verb shares the exit codes below, logs through `logging` to stderr, prints its result
on stdout, and reports an expected error as one `Error: ...` line without a traceback
(`--debug` shows it). A project folder that happens to be named like a verb is reached
with `python -m core sync ./NAME`.
"""

import argparse
import importlib
import logging
import sys
from enum import IntEnum


class ExitCode(IntEnum):
    """What a scheduler can tell from a run's exit code alone."""

    OK = 0  # every row read was accepted (a dry run: would be sent)
    FAILED = 1  # a row was rejected or not sent, or a resource failed
    USAGE = 2  # an invalid project, option or command line
    LOCKED = 75  # another run of the project is in progress (EX_TEMPFAIL: try again later)
    STOPPED = 130  # Ctrl-C or SIGTERM, after the summary and report were written


VERBS = {"sync": "sync"}  # verb -> module of core.cli holding its `parser()` and `run(args)`
DEFAULT_VERB = "sync"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `Error:` line and exit code 2."""

    def error(self, message: str):
        sys.stderr.write(f"Error: {message} (see {self.prog} --help)\n")
        raise SystemExit(ExitCode.USAGE)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """-v, -q and --debug, which every verb takes."""
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    noise.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar and no per-page lines; warnings and the result")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def set_up_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")


def fail(exc: BaseException, args: argparse.Namespace, code: ExitCode) -> int:
    """Report an expected error on one line (a traceback too with --debug)."""
    if getattr(args, "debug", False):
        logging.getLogger("core").exception("traceback")
    sys.stderr.write(f"Error: {exc}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = argv.pop(0) if argv and argv[0] in VERBS else DEFAULT_VERB
    command = importlib.import_module(f".{VERBS[verb]}", __name__)
    args = command.parser().parse_args(argv)
    set_up_logging(args)
    return int(command.run(args))
