"""The notebook and script API: look at what would be sent before sending it.

    import core
    project = core.load_project("example", require_credentials=False)
    core.preview(project, "wells")            # first page, as the API would receive it
    core.validate(project)                    # rows that would be rejected, with reasons
    report = core.start("example")            # the sync itself
    report.to_frame()                         # its report as a DataFrame
"""

import pandas as pd

from .main import DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, Options, Run
from .project import Project, load_project
from .rejects import RejectsList
from .sources import Source
from .transform import map_columns, normalise


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
             page_size: int = DEFAULT_PAGE_SIZE) -> pd.DataFrame:
    """A dry run: every row that would be rejected, with its reason, the fields at fault
    (`fields`, a list: group by it) and the row's source values."""
    rejects = RejectsList()
    options = Options(limit=limit, page_size=page_size, dry_run=True,
                      resources=tuple(resources) if resources else None)
    options.check()
    Run(_project(project), options, rejects=rejects).execute()
    columns = ["resource", "row", "page", "outcome", "reason", "fields", "values"]
    return pd.DataFrame(rejects.lines, columns=columns)
