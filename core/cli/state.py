"""`python -m core state [PROJECT_DIR] [--forget RESOURCE]`: what the ledger holds."""

import argparse

from ..explore import forget, ledger
from ..project import load_project
from ..resources import RESOURCES
from . import ExitCode, add_output_options, add_state_options, attempt, verb_parser


def parser() -> argparse.ArgumentParser:
    parser = verb_parser("state", "Show what the project's ledger holds: per API and "
                                  "resource, the records ComboCurve accepted and the last "
                                  "successful run.")
    add_state_options(parser)
    parser.add_argument("--forget", action="append", choices=list(RESOURCES), default=[],
                        metavar="RESOURCE",
                        help="clear what the ledger holds for a resource, so that the next "
                             "run sends all of it (repeatable)")
    add_output_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    held, failed = attempt(args, lambda: forget_then_look(args))
    if failed is not None:
        return failed
    if held.empty:
        print("the ledger holds nothing yet: the next run sends every record")
    else:
        print(held.astype(object).where(held.notna(), "-").to_string(index=False))
    return ExitCode.OK


def forget_then_look(args: argparse.Namespace):
    """Clear what --forget names, then read what the ledger holds."""
    project = load_project(args.project_dir, require_credentials=False)
    for name in args.forget:
        dropped = forget(project, name, args.state)
        print(f"{name}: forgot {dropped:,} records; the next run sends all of them")
    return ledger(project, args.state)
