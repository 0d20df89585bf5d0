"""`run_job()`: one unattended run, as a scheduler or an orchestrator (Airflow, Dagster,
Prefect) wants it: notifications around `start()`, the RunReport back, an exception on failure.

    from core import run_job, RunFailedError
    report = run_job("/srv/combocurve/project", limit=0, page_size=20000)

The CLI's sync verb is this same call with `check=False`, so that it can turn the report into
an exit code itself.
"""

from pathlib import Path

from .errors import RunFailedError
from .main import Run, prepare
from .notify import Notifier
from .report import RunReport


def run_job(project_dir=None, *, check: bool = True, base_url: str | None = None,
            **options) -> RunReport:
    """Sync the project with its [notify] pings and webhook around the run.

    Takes start()'s options. Raises ProjectError or UsageError for an invalid project or
    option (before any ping: the project's [notify] may itself be what is invalid), whatever
    start() raises (LockedError...) after pinging /fail, and RunFailedError, which holds the
    report, when `check` and a row was not accepted, a resource failed or the run was stopped.
    """
    project, checked = prepare(project_dir, base_url=base_url, **options)  # before any ping
    with Notifier(project.notify, project.network, project=_name(project.folder)) as notifier:
        notifier.started()
        try:
            report = Run(project, checked).execute()
        except BaseException as exc:
            notifier.failed(exc)
            raise
        notifier.finished(report)
    if check and not report.ok:
        raise RunFailedError(report)
    return report


def _name(folder: Path) -> str:
    return folder.resolve().name


__all__ = ["RunFailedError", "run_job"]
