"""One exception tree for the whole tool, so callers catch what they mean.

    SyncError                 anything this tool raises on purpose
     +-- ProjectError         the project folder, its TOML or its queries are not usable (exit 2)
     |    +-- LedgerError     the ledger cannot be trusted (corrupt, foreign, newer) or written
     +-- UsageError           an argument out of range (exit 2)
     +-- LockedError          another run of the same project holds its lock (exit 75)
     +-- SourceError          the database could not be reached or a query failed
     +-- UploadError          an HTTP request to ComboCurve failed for good
     |    +-- AuthError       401: the API key or token was refused; the run stops
     +-- RunFailedError       run_job(): a run ended without every row accepted (.report)

Messages are one line, name the file, key, host or request at fault, and never hold a secret.
`SourceError.unreachable` and `UploadError.unreachable` say that no answer came at all (no
database server, no HTTP answer): a run where nothing was reached exits 3, not 1.
"""

__all__ = ["AuthError", "LedgerError", "LockedError", "ProjectError", "RunFailedError",
           "SourceError", "SyncError", "UploadError", "UsageError"]


class SyncError(Exception):
    """Base class of every error this tool raises on purpose."""


class ProjectError(SyncError):
    """The sync project cannot be used as it is; the message says what to fix."""


class LedgerError(ProjectError):
    """The ledger of accepted records cannot be read, trusted or written; nothing is sent on
    a ledger that cannot be trusted, and a run stops sending when it cannot record."""


class UsageError(SyncError):
    """An option given to `start()` or the CLI is out of range."""


class LockedError(SyncError):
    """Another run of the same project is in progress; this one sent nothing."""


class SourceError(SyncError):
    """The database could not be reached, or a resource query failed."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable  # no database server answered at all


class UploadError(SyncError):
    """A request to the ComboCurve API failed and was not (or no longer) retried."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1,
                 unreachable: bool = False):
        super().__init__(message)
        self.status = status  # the HTTP status of the final answer, None if there was none
        self.attempts = attempts
        self.unreachable = unreachable  # no attempt got an HTTP answer (network, proxy, TLS)


class AuthError(UploadError):
    """The API refused the credentials (401); nothing more can succeed in this run."""


class RunFailedError(SyncError):
    """run_job() with check: a row was not accepted, a resource failed, records the query no
    longer returns were left in ComboCurve, or the run stopped.
    `report` is the RunReport; `unreachable` says that nothing could be reached at all."""

    def __init__(self, report):
        self.report = report
        self.unreachable = report.unreachable
        problems = [f"{r.name}: {r.rejected} rejected, {r.not_sent} not sent"
                    + (f", {r.not_deleted} not deleted" if r.not_deleted else "")
                    + (f", {r.errors[0]}" if r.errors else "")
                    for r in report.resources if not r.ok]
        if report.interrupted:
            problems.insert(0, report.interrupted)
        super().__init__(f"run {report.run_id} failed: {'; '.join(problems)}")
