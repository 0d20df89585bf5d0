"""Which of a page's valid records to send: each key once per run, and only when new or changed.

A key seen earlier in the run (a second row for the same well and day) is rejected as a
duplicate: two copies in one request are refused by the API, and two in different requests
would leave ComboCurve and the ledger holding whichever answered last. A record whose hash
equals the ledger's is unchanged and is not sent. A grouped resource (a survey's stations) is
sorted a group at a time: one key and one hash for the group, its verdict for all its rows.
"""

from dataclasses import dataclass

import numpy as np

from .assembly import Assembled
from .hashing import field_hashes, group_hashes, record_hashes, record_keys
from .resources import Resource
from .state import CHANGED, NEW, UNCHANGED, ResourceState, locate
from .uploads import Batch, SourceRows


@dataclass
class Sorted:
    """Assembled records sorted out: what to send, what repeats a key, the counts (of rows)."""

    to_send: Batch
    duplicates: list[tuple[int, int]]  # (position, the row that had its key first)
    new: int
    changed: int
    unchanged: int


class SeenKeys:
    """The key hashes of a run so far and the row each was first seen in.

    Sorted runs of keys merged like a log-structured tree: adding a page costs a sort of the
    page, and a run of a million keys holds 12 MB, where a Python set would hold about 70."""

    def __init__(self):
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, their rows)

    def first_rows(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For each key, the row that had it earlier in the run (0: none); then remember the
        page's keys that are new."""
        earlier = np.zeros(len(keys), dtype=np.int64)
        for level_keys, level_rows in self._levels:
            at, found = locate(level_keys, keys)
            found &= earlier == 0
            earlier[found] = level_rows[at[found]]
        unique, first = np.unique(keys, return_index=True)
        repeats = np.ones(len(keys), dtype=bool)
        repeats[first] = False
        again = np.flatnonzero(repeats & (earlier == 0))  # twice in this page
        earlier[again] = rows[first[np.searchsorted(unique, keys[again])]]
        fresh = first[earlier[first] == 0]
        order = np.argsort(keys[fresh], kind="stable")
        self._add(keys[fresh][order], rows[fresh][order])
        return earlier

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each key was seen in the run (mirror deletions keep what was)."""
        found = np.zeros(len(keys), dtype=bool)
        for level_keys, _ in self._levels:
            found |= locate(level_keys, keys)[1]
        return found

    def _add(self, keys: np.ndarray, rows: np.ndarray) -> None:
        if not len(keys):
            return
        self._levels.append((keys, rows.astype(np.int32)))  # two billion rows is enough
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= 2 * len(self._levels[-1][0]):
            newer, older = self._levels.pop(), self._levels.pop()
            self._levels.append(_merged(older, newer))


def _merged(older: tuple, newer: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted levels as one, in linear time and with nothing but the result allocated
    (concatenating and sorting them held three times a level's size at its peak)."""
    (keys_a, rows_a), (keys_b, rows_b) = older, newer
    at = np.searchsorted(keys_a, keys_b, side="right") + np.arange(len(keys_b))
    keys = np.empty(len(keys_a) + len(keys_b), dtype=keys_a.dtype)
    rows = np.empty(len(keys), dtype=rows_a.dtype)
    from_a = np.ones(len(keys), dtype=bool)
    from_a[at] = False
    keys[at], rows[at] = keys_b, rows_b
    keys[from_a], rows[from_a] = keys_a, rows_a
    return keys, rows


class Changes:
    """Sorts each page of one resource's run against the run so far and the ledger."""

    def __init__(self, resource: Resource, state: ResourceState | None):
        self.resource, self.state = resource, state
        self.seen = SeenKeys()

    def sort(self, rows: Assembled) -> Sorted:
        records = rows.records
        hashed = field_hashes(records, self.resource)
        key_hashes, keys = record_keys(records, self.resource, hashed)
        hashes = record_hashes(records, self.resource, hashed)
        numbers = records.index.to_numpy(dtype=np.int64)
        expand = None  # each row's group, for a grouped resource
        if rows.groups is not None and len(records):
            starts = np.flatnonzero(np.diff(rows.groups, prepend=rows.groups[0] - 1))
            expand = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(records))))
            key_hashes_of, hashes = key_hashes[starts], group_hashes(hashes, starts)
            earlier = self.seen.first_rows(key_hashes_of, numbers[starts])
        else:
            key_hashes_of = key_hashes
            earlier = self.seen.first_rows(key_hashes, numbers)
        if self.state is None:
            verdict = np.full(len(key_hashes_of), NEW, dtype=np.int8)
        else:
            verdict = self.state.classify(key_hashes_of, hashes)
        if expand is not None:
            earlier, verdict, hashes = earlier[expand], verdict[expand], hashes[expand]
        first = earlier == 0
        send = np.flatnonzero(first & (verdict != UNCHANGED))
        duplicates = [(int(p), int(earlier[p])) for p in np.flatnonzero(~first)]
        counted = verdict[first]
        batch = Batch(records.iloc[send], rows.pages[send],
                      SourceRows.of(rows.sources.loc[numbers[send]]),
                      key_hashes[send], hashes[send], keys.iloc[send],
                      None if rows.groups is None else rows.groups[send])
        return Sorted(batch, duplicates, int((counted == NEW).sum()),
                      int((counted == CHANGED).sum()), int((counted == UNCHANGED).sum()))
