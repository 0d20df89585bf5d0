"""Reading ComboCurve back: how each resource is asked for, and its records typed as ours.

Verify and mirror deletions both need it:
- `READS`: per resource, how GET reads it (largest page, read cost) and how its records are
  keyed and filtered. A resource that is not in it cannot be verified or mirrored yet.
- `Groups`: what a GET filters a project's records by, as the API takes it (at most 100
  values a filter): daily and monthly rows by their well's ComboCurve id (GET rows show no
  chosenID), wells by dataSource and chosenID (a `di` well known by its api14, by that).
- `WellIds`: a well's ComboCurve id from its dataSource and chosenID: what the ledger
  recorded when the well was accepted, what a wells read found, else a GET of wells by
  chosenID, 100 at a time.
- `typed()`: ComboCurve's records normalised as the query's are, by `transform`'s own
  converters: ISO timestamps to days, numbers as numbers, absent fields as null.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .client import ApiClient, Counted
from .hashing import text_hashes
from .resources import WELLS, Resource
from .state import COMBOCURVE_ID
from .transform import CONVERTERS, object_array

log = logging.getLogger(__name__)

FILTER_VALUES = 100  # values a GET or DELETE filter takes at most (well, chosenID, id)
SEPARATOR = "\x1f"  # joins the parts of a key or group: no identity holds it
ROWS = "rows"  # daily and monthly rows: keyed by well id and date, filtered by well id
IDENTIFIED = "identified"  # wells: keyed and filtered by dataSource + chosenID (or api14)


@dataclass(frozen=True)
class ReadSpec:
    """How GET reads one resource back."""

    take: int  # the largest page a GET answers
    cost: int  # read-quota units a GET costs
    kind: str  # ROWS or IDENTIFIED
    names: tuple[str, ...]  # the fields that name a record: its key, never compared as values
    period: int = 10  # rows: the characters of `YYYY-MM-DD` a row's date keys (7: a month)


_ROW_NAMES = ("well", "chosenID", "dataSource", "date")
READS = {
    "wells": ReadSpec(take=1000, cost=4, kind=IDENTIFIED,
                      names=("id", "dataSource", "chosenID")),
    "daily-productions": ReadSpec(take=20000, cost=1, kind=ROWS, names=_ROW_NAMES, period=10),
    # a month is sent, kept and answered as its 15th: compared by its YYYY-MM
    "monthly-productions": ReadSpec(take=20000, cost=1, kind=ROWS, names=_ROW_NAMES, period=7),
}


def join(*parts: np.ndarray) -> np.ndarray:
    """Element-wise `a<US>b<US>c` of object arrays of text (None where any part is None)."""
    return object_array([None if None in values else SEPARATOR.join(values)
                         for values in zip(*(p.tolist() for p in parts), strict=True)])


class Groups:
    """A resource's records grouped as GET filters them: `group` strings, each
    `filter<US>name<US>value`, where `filter` is the fixed part of the query (the dataSource
    of wells, nothing for rows) and `name` the filter that takes up to 100 values."""

    def __init__(self, spec: ReadSpec):
        self.spec = spec

    def of_records(self, records: pd.DataFrame) -> np.ndarray:
        """The group of each record (typed, with `well` resolved for rows); None when it has
        none (a row whose well ComboCurve does not hold)."""
        if self.spec.kind == ROWS:
            return self.of_read(records, "well")
        sources, chosen = _column(records, "dataSource"), _column(records, "chosenID")
        by_api = pd.isna(chosen) & (sources == "di") & ~pd.isna(_column(records, "api14"))
        groups = self.of_read(records, "chosenID")
        groups[by_api] = self.of_read(records[by_api], "api14")
        return groups

    def of_read(self, records: pd.DataFrame, name: str) -> np.ndarray:
        """The group of each record read by a filter on `name` (chosenID, api14, well)."""
        count = len(records)
        fixed = _column(records, "dataSource") if self.spec.kind != ROWS else \
            np.full(count, "", dtype=object)
        return join(fixed, np.full(count, name, dtype=object), _column(records, name))

    def keys(self, records: pd.DataFrame, groups: np.ndarray) -> np.ndarray:
        """Each record's compare key: its group, and for rows its day (or month)."""
        if self.spec.kind != ROWS:
            return groups
        dates = _column(records, "date")
        periods = np.array([d[: self.spec.period] if isinstance(d, str) else None
                            for d in dates], dtype=object)
        return join(groups, periods)

    @staticmethod
    def chunks(groups) -> Iterator[tuple[list[tuple[str, str]], list[str]]]:
        """(GET filter params, the groups they select), at most 100 groups a chunk."""
        frame = pd.DataFrame([g.split(SEPARATOR) for g in sorted(set(groups))],
                             columns=["fixed", "name", "value"])
        for (fixed, name), members in frame.groupby(["fixed", "name"], sort=True):
            values = members["value"].tolist()
            for start in range(0, len(values), FILTER_VALUES):
                part = values[start : start + FILTER_VALUES]
                params = ([("dataSource", fixed)] if fixed else []) + [(name, v) for v in part]
                yield params, [SEPARATOR.join((fixed, name, v)) for v in part]


def by_chosen_id(wells: pd.DataFrame) -> Iterator[tuple[list[tuple[str, str]], pd.DataFrame]]:
    """Wells named by dataSource and chosenID, as requests filter them: per dataSource (in
    order), up to FILTER_VALUES chosenIDs a request, in the frame's order. Yields each
    request's `dataSource=&chosenID=...` params and the rows it names."""
    for source, rows in wells.groupby("dataSource", sort=True):
        for start in range(0, len(rows), FILTER_VALUES):
            part = rows.iloc[start : start + FILTER_VALUES]
            yield [("dataSource", source), *(("chosenID", c) for c in part["chosenID"])], part


def key_hashes(keys: np.ndarray) -> np.ndarray:
    return text_hashes(np.where(pd.isna(keys), "", keys).astype(object))


def _column(records: pd.DataFrame, name: str) -> np.ndarray:
    if name in records:
        return records[name].to_numpy(dtype=object)
    return np.full(len(records), None, dtype=object)


def typed(records: list[dict], resource: Resource, names) -> pd.DataFrame:
    """ComboCurve's records as the query's normalised records: the fields `names`, each
    through the converter of its type. A value the converter refuses (ComboCurve answering
    text for a number) is compared as null, and said."""
    columns = {}
    for name in names:
        raw = object_array([record.get(name) for record in records])
        field = resource.fields[name]
        values, bad = CONVERTERS[field.type](raw, field)
        for position in np.flatnonzero(bad != None):  # noqa: E711 - elementwise on objects
            log.warning("%s: ComboCurve answered %s for %s, compared as null",
                        resource.name, bad[position], name)
        columns[name] = values
    return pd.DataFrame(columns, dtype=object, index=pd.RangeIndex(len(records)))


class Reader:
    """GETs and HEADs of one resource, counted; GETs ask for the largest page."""

    def __init__(self, client: ApiClient, resource: Resource):
        self.client, self.resource, self.spec = client, resource, READS[resource.name]
        self.gets = 0
        self.heads = 0

    def count(self, params: list[tuple[str, str]]) -> Counted:
        self.heads += 1
        return self.client.count(self.resource.path, params)

    def pages(self, params: list[tuple[str, str]]) -> Iterator[list[dict]]:
        for page in self.client.get_pages(self.resource.path,
                                          [*params, ("take", str(self.spec.take))],
                                          cost=self.spec.cost):
            self.gets += 1
            yield page


class WellIds:
    """ComboCurve ids of wells by dataSource and chosenID, learnt once, asked for rarely."""

    def __init__(self, known: dict[tuple[str, str], str | None] | None = None):
        self._ids: dict[tuple[str, str], str | None] = dict(known or {})  # None: no such well
        self._names: dict[str, tuple[str, str]] | None = None  # id -> (dataSource, chosenID)
        self.gets = 0  # wells GETs made to find ids

    @classmethod
    def from_ledger(cls, ledger, base_url: str) -> "WellIds":
        """The ids the ledger (a core.state.Ledger, or None) kept of the wells ComboCurve
        accepted from this project, on this API."""
        if ledger is None:
            return cls()
        held = ledger.records(base_url, WELLS.name).to_pandas()
        if held.empty or COMBOCURVE_ID not in held:
            return cls()
        known = held.dropna(subset=[COMBOCURVE_ID, "dataSource", "chosenID"])
        return cls(dict(zip(zip(known["dataSource"], known["chosenID"], strict=True),
                            known[COMBOCURVE_ID], strict=True)))

    def learn(self, sources, chosen, ids) -> None:
        """Ids a read of wells found; they win over the ledger's (a well made anew)."""
        for key in zip(sources, chosen, ids, strict=True):
            if key[0] is not None and key[1] is not None and key[2] is not None:
                self._ids[key[0], key[1]] = key[2]
        self._names = None

    def unknown(self, sources, chosen) -> list[tuple[str, str]]:
        """The (dataSource, chosenID) among these whose id was never learnt nor asked for."""
        return sorted({(s, c) for s, c in zip(sources, chosen, strict=True)
                       if s is not None and c is not None and (s, c) not in self._ids})

    def lookup(self, sources, chosen) -> np.ndarray:
        """The known id of each well, None where unknown or absent: no request."""
        return object_array([self._ids.get((s, c)) for s, c in zip(sources, chosen, strict=True)])

    def resolve(self, client: ApiClient | None, sources, chosen) -> np.ndarray:
        """`lookup`, after a GET of wells by chosenID (100 a request, per dataSource) for
        the wells never asked for; without a client (a dry run), what is known."""
        missing = self.unknown(sources, chosen)
        if client is not None and missing:
            reader = Reader(client, WELLS)
            wells = pd.DataFrame(missing, columns=["dataSource", "chosenID"])
            for params, part in by_chosen_id(wells):
                self._ids.update(((s, c), None) for s, c in zip(  # absent unless found
                    part["dataSource"], part["chosenID"], strict=True))
                for page in reader.pages(params):
                    self.learn([w.get("dataSource") for w in page],
                               [w.get("chosenID") for w in page], [w.get("id") for w in page])
            self.gets += reader.gets
        return self.lookup(sources, chosen)

    @staticmethod
    def fill(records: pd.DataFrame, well_ids: Callable[[], "WellIds"],
             client: ApiClient | None, *, unknown: set | None = None) -> pd.DataFrame:
        """Rows with `well`: theirs, else the id of the well their dataSource and chosenID
        name, `resolve`d with `client` (None: what is known, no request). `well_ids()` is
        called only when a row needs it; `unknown` (a dry run) gathers the wells never
        asked for."""
        wells = _column(records, "well")
        named = pd.isna(wells) & ~pd.isna(_column(records, "chosenID"))
        if named.any():
            ids = well_ids()
            sources = records["dataSource"].to_numpy(dtype=object)[named]
            chosen = records["chosenID"].to_numpy(dtype=object)[named]
            if unknown is not None:
                unknown.update(ids.unknown(sources, chosen))
            wells = wells.copy()
            wells[named] = ids.resolve(client, sources, chosen)
        return records.assign(well=wells)

    def identity_of(self, well: str) -> tuple[str, str] | None:
        """(dataSource, chosenID) of a well id, if known: to show a row's well by its name."""
        if self._names is None:
            self._names = {well: key for key, well in self._ids.items() if well is not None}
        return self._names.get(well)
