"""Whole-row rules several resources share, built for each resource's own fields.

A rule takes a page of normalised records (API field names, JSON-ready values) and yields
(position, field, message) for each row the API would refuse, so that the row is rejected
with every reason before anything is sent.
"""

import numpy as np
import pandas as pd


def column(records: pd.DataFrame, name: str) -> pd.Series:
    """A column of the page, or nulls when the query has no such column."""
    if name in records:
        return records[name]
    return pd.Series([None] * len(records), index=records.index, dtype=object)


def present(records: pd.DataFrame, name: str) -> np.ndarray:
    return column(records, name).notna().to_numpy()


def required(*names: str):
    def rule(records: pd.DataFrame):
        for name in names:
            for position in np.flatnonzero(~present(records, name)):
                yield position, name, "required"
    return rule


def well_named(records: pd.DataFrame):
    """A record about a well names it by `well` (its ComboCurve id), or by chosenID and
    dataSource."""
    has_well, has_chosen = present(records, "well"), present(records, "chosenID")
    has_source = present(records, "dataSource")
    for position in np.flatnonzero(~has_well & ~has_chosen):
        yield position, "well", "required (or chosenID and dataSource)"
    for position in np.flatnonzero(~has_well & has_chosen & ~has_source):
        yield position, "dataSource", "required with chosenID"


def duplicates(key_names: tuple[str, ...], what: str):
    """The API refuses (or silently merges) two records with one key in a request: refuse all,
    each naming the others. The last key field must be present for a key to count."""
    def rule(records: pd.DataFrame):
        tuples = list(zip(*(column(records, n).tolist() for n in key_names), strict=True))
        if len(set(tuples)) == len(tuples):  # the usual page: no two rows share a key
            return
        keys = pd.DataFrame({n: column(records, n).to_numpy() for n in key_names})
        complete = keys.notna().any(axis=1).to_numpy() & present(records, key_names[-1])
        doubled = keys.duplicated(keep=False).to_numpy() & complete
        if not doubled.any():
            return
        rows = records.index.to_numpy()
        groups = keys[doubled].groupby(list(key_names), dropna=False, sort=False).indices
        for positions in groups.values():
            members = np.flatnonzero(doubled)[positions]
            for position in members:
                others = ", ".join(str(rows[p]) for p in members if p != position)
                yield position, "duplicate", f"{what} as row {others} in the same page"
    return rule
