"""From rows checked one by one to the records a run sorts and sends: the run-wide step between
`transform.normalise()` and `changes.Changes`.

- Flat resources (wells, daily and monthly rows): a page's valid rows, as they are.
- A key limit (ownership qualifiers: ComboCurve holds 10 qualifier keys a company): the first
  keys of the run are kept; a row bringing one more is rejected, naming the limit.
- Grouped resources (directional surveys): the station rows of each well are gathered into one
  group, held back across pages until the next well begins (so the query must return a well's
  stations together). A group with a station rejected, stations out of depth order or at the
  same depth, or stations disagreeing on the survey's own fields, is rejected whole: a survey
  is one document, and a part of it sent would replace the whole in ComboCurve.

Every row handed in comes out once: as a record, as a refusal, or held back until `finish()`.
"""

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .resources import Field, Resource
from .resources.surveys import group_problems
from .transform import Normalised

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """A row this step refuses: its row and page, why, the fields at fault, its source
    values, and whether it is "rejected" (bad data) or "not_sent" (it may be sent later)."""

    row: int
    page: int
    reason: str
    fields: list[str]
    values: dict
    outcome: str = "rejected"


@dataclass
class Assembled:
    """Records ready to sort: each with its page, its source row (`sources` holds at least
    the records' rows, by row number) and, for a grouped resource, its group."""

    records: pd.DataFrame
    pages: np.ndarray
    sources: pd.DataFrame
    groups: np.ndarray | None = None  # the group of each record, one number per group
    refused: list[Refused] = field(default_factory=list)
    unread: int = 0  # rows handed in earlier and given back as not read (cut by the limit)


def assembly(resource: Resource, mapping: dict[str, Field]):
    """The step for `resource`, for one run."""
    if resource.grouped:
        return Groups(resource, mapping)
    if resource.key_limit:
        return KeyLimit(*resource.key_limit)
    return Flat()


class Flat:
    """Records as they are."""

    def add(self, number: int, page: pd.DataFrame, checked: Normalised) -> Assembled:
        records = checked.records
        return Assembled(records, np.full(len(records), number), page)

    def finish(self, ending: str) -> Assembled | None:
        """What is left once the read ends: "end" (every row read), "limit" (the row limit
        stopped it) or "stopped" (a failure or a stop)."""
        return None


class KeyLimit(Flat):
    """At most `limit` distinct values of `name` in a run: the API's limit per company."""

    def __init__(self, name: str, limit: int):
        self.name, self.limit = name, limit
        self.keys: dict[str, int] = {}  # key -> the row that brought it

    def add(self, number: int, page: pd.DataFrame, checked: Normalised) -> Assembled:
        assembled = super().add(number, page, checked)
        records = assembled.records
        values = records[self.name].tolist() if self.name in records else []
        over = []
        for position, value in enumerate(values):
            if value is None or value in self.keys:
                continue
            if len(self.keys) < self.limit:
                self.keys[value] = int(records.index[position])
            else:
                over.append(position)
        if not over:
            return assembled
        kept = ", ".join(repr(key) for key in self.keys)
        for position in over:
            row = int(records.index[position])
            assembled.refused.append(Refused(
                row, number, f"{self.name}: {values[position]!r} would be qualifier key number "
                f"{self.limit + 1}; ComboCurve holds at most {self.limit} a company (this run "
                f"has {kept})", [self.name], page.loc[row].to_dict()))
        keep = np.ones(len(records), dtype=bool)
        keep[over] = False
        assembled.records, assembled.pages = records[keep], assembled.pages[keep]
        return assembled


class Groups:
    """Station rows gathered into one group per well, in the order the query returns them."""

    def __init__(self, resource: Resource, mapping: dict[str, Field]):
        identity = {name for alternative in resource.identity for name in alternative}
        self.columns = [column for column, f in mapping.items() if f.name in identity]
        self.name, self.noun = resource.name, resource.noun
        self.next_group = 0
        self.held: tuple | None = None  # (sources, pages, ids, records, rejected) of one well

    def add(self, number: int, page: pd.DataFrame, checked: Normalised) -> Assembled:
        ids = [tuple(_plain(v) for v in row) for row in
               zip(*(page[c].tolist() for c in self.columns), strict=True)]
        part = (page, np.full(len(page), number), ids, checked.records,
                {r.row: r for r in checked.rejects})
        sources, pages, ids, records, rejected = _joined(self.held, part)
        cut = len(ids) - 1
        while cut > 0 and ids[cut - 1] == ids[-1]:
            cut -= 1
        done = records.index.isin(sources.index[:cut])
        held_rows = set(sources.index[cut:].tolist())
        self.held = (sources.iloc[cut:], pages[cut:], ids[cut:], records[~done],
                     {row: r for row, r in rejected.items() if row in held_rows})
        return self._gather(sources.iloc[:cut], pages[:cut], ids[:cut], records[done],
                            rejected)

    def finish(self, ending: str) -> Assembled | None:
        """The last well. When the query was read to its end, its group. When the row limit
        fell within its stations, they are given back as not read, as rows beyond the limit
        are: a part of a survey is not the survey (a run with a higher limit sends it). When
        the read failed or was stopped, they are not sent."""
        if self.held is None:
            return None
        sources, pages, ids, records, rejected = self.held
        self.held = None
        if ending == "end":
            return self._gather(sources, pages, ids, records, rejected)
        if ending == "limit":
            log.info("%s: the row limit fell within the stations of the last well; its %d "
                     "valid stations are left for a run with a higher limit", self.name,
                     len(records))
            return Assembled(records.iloc[:0], pages[:0], sources, None, unread=len(records))
        why = ("not sent: the read stopped before this well's stations were all read, so its "
               "survey may be incomplete")
        valid = np.flatnonzero(records.index.get_indexer(sources.index) >= 0)
        refused = [Refused(int(sources.index[i]), int(pages[i]), why, [],
                           sources.iloc[i].to_dict(), "not_sent") for i in valid]
        return Assembled(records.iloc[:0], pages[:0], sources, None, refused)

    def _gather(self, sources, pages, ids, records, rejected) -> Assembled:
        """The groups of complete wells; a group with any problem is refused whole."""
        at = records.index.get_indexer(sources.index)  # each source row's record, or -1
        starts = [i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1]]
        keep, groups, refused = [], [], []
        for first, last in zip(starts, [*starts[1:], len(ids)][:len(starts)], strict=True):
            positions = at[first:last][at[first:last] >= 0]
            stations = records.iloc[positions]
            problems = self._problems(sources.index[first:last], stations, rejected)
            if problems is None:
                keep.append(positions)
                groups.append(np.full(len(positions), self.next_group))
                self.next_group += 1
                continue
            for row, page in zip(stations.index, pages[first:last][at[first:last] >= 0],
                                 strict=True):
                reason, faulted = problems.get(row, problems[None])
                refused.append(Refused(int(row), int(page), reason, faulted,
                                       sources.loc[row].to_dict()))
        kept = np.concatenate(keep) if keep else np.empty(0, dtype=np.int64)
        page_numbers = np.empty(len(records), dtype=np.int64)
        page_numbers[at[at >= 0]] = pages[at >= 0]
        return Assembled(records.iloc[kept], page_numbers[kept], sources,
                         np.concatenate(groups) if groups else np.empty(0, np.int64), refused)

    def _problems(self, rows, stations: pd.DataFrame, rejected: dict) -> dict | None:
        """None for a good survey; else {row: (reason, fields)} for its valid stations, with
        the reason every other station shares under None."""
        bad = [row for row in rows if row in rejected]
        if bad:
            first = rejected[bad[0]]
            return {None: (f"survey: not sent, as the station at row {bad[0]} of this "
                           f"{self.noun} is rejected ({first.reason})", ["survey"])}
        found = group_problems(stations)
        if not found:
            return None
        index = stations.index
        by_row: dict = {}
        for position, name, message in found:
            reason, faulted = by_row.get(index[position], ("", []))
            by_row[index[position]] = (f"{reason}; {name}: {message}" if reason
                                       else f"{name}: {message}", [*faulted, name])
        row, (reason, _) = next(iter(by_row.items()))
        by_row[None] = (f"survey: not sent, as the station at row {row} of this {self.noun} "
                        f"is rejected ({reason})", ["survey"])
        return by_row


def _plain(value):
    """A value as it identifies a well for grouping: text trimmed, bytes decoded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.strip() or None
    return None if pd.isna(value) else str(value)


def _joined(held: tuple | None, part: tuple) -> tuple:
    """The rows held back from earlier pages, then this page's."""
    if held is None:
        return part
    sources, pages, ids, records, rejected = held
    page, numbers, new_ids, new_records, new_rejected = part
    return (pd.concat([sources, page]), np.concatenate([pages, numbers]), ids + new_ids,
            pd.concat([records, new_records]), {**rejected, **new_rejected})
