"""`python -m core verify [PROJECT_DIR] ...`: read ComboCurve back and compare it with the
database; exit 0 when every record is equal, 1 otherwise."""

import argparse
from pathlib import Path

from ..verification import READ_QUOTA, run_verify
from . import add_output_options, add_state_options, attempt, conclude, verb_parser
from .sync import stop_on_signals


def parser() -> argparse.ArgumentParser:
    from ..readback import READS

    parser = verb_parser("verify", "Read the project's records back from ComboCurve and "
                                   "compare them field by field with what the queries return "
                                   "now. Writes nothing to ComboCurve or the database.")
    parser.add_argument("--resource", action="append", choices=list(READS), dest="resources",
                        metavar="NAME",
                        help="verify only this resource (repeatable): " + ", ".join(READS))
    parser.add_argument("--dry-run", action="store_true",
                        help="read the queries and count with HEAD (free); say how many GET "
                             "requests a verify makes, and read nothing else")
    parser.add_argument("--full", action="store_true",
                        help="read everything, not only what changed since the last verify")
    parser.add_argument("--base-url", help="the API base URL (default from the project)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="write the counts per resource as JSON")
    parser.add_argument("--differences-dir", type=Path, metavar="DIR",
                        help="where the JSON lines of differences go (default: "
                             "PROJECT_DIR/verify)")
    parser.add_argument("--read-rate", type=int, default=READ_QUOTA, metavar="UNITS",
                        help=f"read-quota units a minute at most (default {READ_QUOTA}, the "
                             "API's; a wells GET costs 4, a daily GET 1)")
    parser.add_argument("--max-wait", type=float, default=None, metavar="SECONDS",
                        help="seconds of retry back-off the verify may spend (default 600)")
    add_state_options(parser)
    add_output_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    stop = stop_on_signals()
    folder = args.differences_dir or Path(args.project_dir or ".") / "verify"
    report, failed = attempt(args, lambda: run_verify(
        args.project_dir, resources=args.resources, base_url=args.base_url, state=args.state,
        full=args.full, dry_run=args.dry_run, differences_dir=folder, read_rate=args.read_rate,
        max_wait=args.max_wait, stop=stop))
    if failed is not None:
        return failed
    return conclude(args, report)
