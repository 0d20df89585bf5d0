"""ComboCurve Sync: read wells and daily productions from a SQL database, PUT them to ComboCurve.

    from core.main import start
    report = start("example")          # or start() in the project folder
    print(report.summary())
"""

from .errors import AuthError, ProjectError, SourceError, SyncError, UploadError, UsageError
from .main import start
from .project import Project, load_project
from .report import ResourceReport, RunReport

__all__ = [
    "AuthError",
    "Project",
    "ProjectError",
    "ResourceReport",
    "RunReport",
    "SourceError",
    "SyncError",
    "UploadError",
    "UsageError",
    "load_project",
    "start",
]
