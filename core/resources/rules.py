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


def keyed_by_well(*fields: str):
    """How the API keys a record about a well: its well id and `fields`, or its dataSource,
    chosenID and `fields`; None (no key) when a part is missing."""
    def keys_of(records: pd.DataFrame) -> list:
        wells, sources, chosen = (column(records, n).tolist()
                                  for n in ("well", "dataSource", "chosenID"))
        rest = list(zip(*(column(records, n).tolist() for n in fields), strict=True))
        return [None if None in more else (w, *more) if w is not None else
                (s, c, *more) if c is not None else None
                for w, s, c, more in zip(wells, sources, chosen, rest, strict=True)]
    return keys_of


def duplicates(keys_of, what: str):
    """The API refuses (or silently merges) two records with one key in a request: refuse all,
    each naming the others. `keys_of(records)` gives each row's key, None for no key."""
    def rule(records: pd.DataFrame):
        keys = keys_of(records)
        present = [key for key in keys if key is not None]
        if len(set(present)) == len(present):  # the usual page: no two rows share a key
            return
        groups: dict[tuple, list[int]] = {}
        for position, key in enumerate(keys):
            if key is not None:
                groups.setdefault(key, []).append(position)
        rows = records.index.to_numpy()
        for members in groups.values():
            for position in members if len(members) > 1 else ():
                others = ", ".join(str(rows[p]) for p in members if p != position)
                yield position, "duplicate", f"{what} as row {others} in the same page"
    return rule
