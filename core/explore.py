"""The notebook and script API: look at what would be sent before sending it.

    import core
    project = core.load_project("example", require_credentials=False)
    core.preview(project, "wells")            # first page, as the API would receive it
    core.validate(project)                    # rows that would be rejected, with reasons
    report = core.start("example")            # the sync itself
    report.to_frame()                         # its report as a DataFrame
    core.ledger("example")                    # what ComboCurve accepted, per resource
"""

import pandas as pd

from .errors import UsageError
from .main import DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, Options, Run, state_folder
from .project import Project, load_project
from .rejects import RejectsList
from .sources import Source
from .state import Ledger
from .transform import map_columns, normalise

COUNTS = ("rows_read", "accepted", "rejected", "not_sent", "unchanged", "requests")


def _project(project) -> Project:
    if isinstance(project, Project):
        return project
    return load_project(project, require_credentials=False)


def preview(project, resource: str = "wells", rows: int | None = None) -> pd.DataFrame:
    """The records a sync would send for `resource`: the first page, or the first `rows`
    (0: all of them).

    Columns carry the API's field names, index the row number in the query result; rows that
    would be rejected are left out (see `validate`). Dtypes are pandas' nullable ones, so an
    integer column stays integer.
    """
    project = _project(project)
    query = project.query(resource)
    source = Source(project.connection)
    try:
        mapping = map_columns(query.resource, source.columns(query), query.file)
        limit = DEFAULT_PAGE_SIZE if rows is None else rows
        page_size = min(limit or query.resource.max_records, query.resource.max_records)
        pages = source.pages(query, limit=limit, page_size=page_size)
        frames = [normalise(page, query.resource, mapping).records for page in pages]
    finally:
        source.close()
    if not frames:
        return pd.DataFrame(columns=list(dict.fromkeys(f.name for f in mapping.values())))
    return pd.concat(frames).convert_dtypes()


def validate(project, resources=None, *, limit: int = DEFAULT_LIMIT,
             page_size: int | str = DEFAULT_PAGE_SIZE) -> pd.DataFrame:
    """A dry run: every row that would be rejected, with its reason, the fields at fault
    (`fields`, a list: group by it) and the row's source values."""
    rejects = RejectsList()
    options = Options(limit=limit, page_size=page_size, dry_run=True,
                      resources=tuple(resources) if resources else None)
    options.check()
    Run(_project(project), options, rejects=rejects).execute()
    columns = ["resource", "row", "page", "outcome", "reason", "fields", "values"]
    return pd.DataFrame(rejects.lines, columns=columns)


def ledger(project, state=None) -> pd.DataFrame:
    """What the project's ledger holds, one row per API and resource: the records ComboCurve
    accepted, the last run, the last successful run (where `:since` starts) with its
    counts, and when the last verify started. `state`: the ledger's folder, if not the
    project's own."""
    store = Ledger.read(_ledger_folder(_project(project), state))
    try:
        held = store.summary()
    finally:
        store.close()
    rows = []
    for entry in held:
        last, success = entry["last_run"] or {}, entry["last_success"] or {}
        rows.append({"base_url": entry["base_url"], "resource": entry["resource"],
                     "records": entry["records"], "last_run": last.get("run_id"),
                     "last_run_started": last.get("started_at"),
                     "last_success": success.get("run_id"),
                     "last_success_started": success.get("started_at"),
                     **{name: success.get(name) for name in COUNTS},
                     "last_verify": entry["last_verify"]})
    columns = ["base_url", "resource", "records", "last_run", "last_run_started",
               "last_success", "last_success_started", *COUNTS, "last_verify"]
    # counts stay whole numbers where a resource has no success yet (Int64, not float)
    return pd.DataFrame(rows, columns=columns).astype({name: "Int64" for name in COUNTS})


def forget(project, resource: str, state=None) -> int:
    """Clear what the ledger holds for `resource` (every API): its next run sends all of it.
    Takes the project's lock, like a run. Returns the number of records forgotten."""
    project = _project(project)
    project.query(resource)  # a resource of this project, or a ProjectError saying so
    store = Ledger.open(_ledger_folder(project, state))
    try:
        return store.forget(resource)
    finally:
        store.close()


def _ledger_folder(project: Project, state):
    folder = state_folder(project, state)
    if folder is None:
        raise UsageError("state=False means no ledger: there is nothing to look at")
    return folder
