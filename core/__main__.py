"""`python -m core [VERB] [PROJECT_DIR] ...`: see core.cli for the verbs and exit codes."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
