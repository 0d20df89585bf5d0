"""`python -m core.emulator`: serve the emulator until Ctrl-C or SIGTERM."""

from core.emulator import main

raise SystemExit(main())
