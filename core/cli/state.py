"""`python -m core state [PROJECT_DIR] [--forget RESOURCE]`: what the ledger holds."""

import argparse

from ..errors import LockedError, ProjectError, UsageError
from ..explore import forget, ledger
from ..project import load_project
from ..resources import RESOURCES
from . import ExitCode, add_output_options, add_state_options, fail, verb_parser


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
    try:
        project = load_project(args.project_dir, require_credentials=False)
        for name in args.forget:
            dropped = forget(project, name, args.state)
            print(f"{name}: forgot {dropped:,} records; the next run sends all of them")
        held = ledger(project, args.state)
    except (ProjectError, UsageError) as exc:
        return fail(exc, args, ExitCode.USAGE)
    except LockedError as exc:
        return fail(exc, args, ExitCode.LOCKED)
    if held.empty:
        print("the ledger holds nothing yet: the next run sends every record")
    else:
        print(held.astype(object).where(held.notna(), "-").to_string(index=False))
    return ExitCode.OK
