"""`python -m core schedule PROJECT_DIR --every 1d --at 02:00 [--format F] [--install]
[-- SYNC OPTIONS]`: print, or install, an entry that runs the sync unattended."""

import argparse
from pathlib import Path

from .. import schedule
from ..errors import UsageError
from ..project import load_project
from . import ExitCode, Parser, add_output_options, attempt
from . import sync as sync_verb


class _Parser(Parser):
    """Everything after `--` is kept, unparsed, as the sync options of the entry."""

    def parse_args(self, args=None, namespace=None):
        args = list(args or [])
        cut = args.index("--") if "--" in args else len(args)
        parsed = super().parse_args(args[:cut], namespace)
        parsed.sync_args = args[cut + 1:]
        return parsed


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core schedule",
                    description="Print (or with --install, install) a cron, systemd or Task "
                                "Scheduler entry that runs the sync of PROJECT_DIR unattended, "
                                "logging to PROJECT_DIR/logs/combocurve-sync.log. Sync options "
                                "go after --, e.g. -- --limit 0 --page-size 20000.")
    parser.add_argument("project_dir", help="the sync project folder")
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", metavar="INTERVAL",
                      help="15m (minutes dividing an hour), 6h (hours dividing a day) or 1d")
    when.add_argument("--cron", metavar="EXPRESSION",
                      help='five cron fields, e.g. "0 2 * * *" (or @daily, @hourly...)')
    parser.add_argument("--at", metavar="HH:MM",
                        help="with --every: the first run of the day, local time (00:00)")
    parser.add_argument("--format", choices=schedule.FORMATS, default=None,
                        help="cron, systemd (service + timer) or windows (Task Scheduler "
                             f"XML); default here: {schedule.default_format()}")
    parser.add_argument("--install", action="store_true",
                        help="write the entry: the user's crontab, the systemd unit folder, "
                             "or the XML beside the project (registered on Windows)")
    parser.add_argument("--python", default=None, metavar="PATH",
                        help="the interpreter the entry runs (default: this one)")
    parser.add_argument("--name", default="", help="the entry's name (default: the folder's)")
    parser.add_argument("--unit-dir", type=Path, default=None, metavar="DIR",
                        help="systemd: where units go (default: /etc/systemd/system as root, "
                             "else ~/.config/systemd/user)")
    add_output_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    _, failed = attempt(args, lambda: print_or_install(args))
    return ExitCode.OK if failed is None else failed


def print_or_install(args: argparse.Namespace) -> None:
    files, kind, job = plan(args)
    if args.install:
        for line in schedule.install(files, kind, job):
            print(line)
        return
    for path, text in files.items():
        if len(files) > 1:
            print(f"# {path}")
        print(text, end="" if text.endswith("\n") else "\n")


def plan(args: argparse.Namespace):
    """The entry's files, its format and its job, every input checked first."""
    if args.at and not args.every:
        raise UsageError("--at goes with --every; a --cron expression holds its own time")
    sync_args = list(args.sync_args)
    _check_sync_args(sync_args)
    project = load_project(args.project_dir, require_credentials=False).folder.resolve()
    when = schedule.every(args.every, args.at) if args.every else schedule.parse_cron(args.cron)
    kind = args.format or schedule.default_format()
    job = schedule.Job(project, args.python or schedule.Job.python, tuple(sync_args), args.name)
    return schedule.entries(when, job, kind, unit_dir=args.unit_dir), kind, job


def _check_sync_args(sync_args: list[str]) -> None:
    """A typo in the options would fail every night: refuse it now."""
    if any(a.startswith("--log-file") for a in sync_args):
        raise UsageError("the entry sets --log-file itself; give other sync options after --")

    def refuse(message: str):
        raise UsageError(f"sync options after --: {message}")

    checker = sync_verb.parser()
    checker.error = refuse
    checker.parse_args(["."] + sync_args)
