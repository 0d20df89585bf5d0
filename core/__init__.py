"""ComboCurve Sync: read wells, daily and monthly productions, directional surveys and ownership
qualifiers from a SQL database, and write them to ComboCurve.

    from core.main import start
    report = start("example")          # or start() in the project folder
    print(report.summary())

Notebooks: `preview`, `validate`, `ledger`, `forget` (see core.explore),
`RunReport.to_frame()`, and `verify` (core.verification): ComboCurve read back and compared.
Schedulers and orchestrators: `run_job` (core.job), which raises RunFailedError on failure.

Names are imported on first use, so `python -m core.emulator` does not pay for pandas.
"""

import importlib

_HOMES = {
    "AuthError": "errors", "LedgerError": "errors", "LockedError": "errors",
    "ProjectError": "errors",
    "RunFailedError": "errors", "SourceError": "errors", "SyncError": "errors",
    "UploadError": "errors", "UsageError": "errors",
    "Project": "project", "load_project": "project",
    "ResourceReport": "report", "RunReport": "report",
    "preview": "explore", "validate": "explore", "ledger": "explore", "forget": "explore",
    "start": "main", "run_job": "job", "verify": "verification",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
