"""Stable 64-bit hashes of normalised records and of their keys, a page at a time.

The ledger compares a record with what ComboCurve accepted by these hashes, so they must not
depend on anything but the values sent: not on column order (fields are hashed in name order),
not on dict order, not on how a float is written (a number is hashed by its IEEE-754 double,
which is exact for every integer the API takes, so 5 and 5.0 are one value, as in JSON). Text
goes through pandas' `hash_array` (SipHash-2-4 with a fixed key, in C: about 40 ns a value,
against 6 us for JSON-encoding and hashing each record); a null hashes apart from every value.
Should a pandas release ever hash text differently, `HASH_CANARY` changes with it and the
ledger resends everything with that reason, instead of silently skipping a change.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .resources import BOOLEAN, NUMBER, Resource

_KEY = "combocurvesync01"  # SipHash key: 16 bytes, fixed forever
_NULL = np.uint64(0x9E3779B97F4A7C15)  # what a null value of any type hashes to
_NUMBER_SALT, _BOOLEAN_SALT = np.uint64(0x2545F4914F6CDD1D), np.uint64(0x1B873593)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves about half of the output bits."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def _text(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(values, encoding="utf8", hash_key=_KEY, categorize=True)


def text_hashes(values: np.ndarray) -> np.ndarray:
    """One uint64 per text of an object array (no nulls): keys compared by hash."""
    return _text(np.asarray(values, dtype=object))


def column_hashes(values: np.ndarray, kind: str) -> np.ndarray:
    """One uint64 per value of a normalised column (None, or the field type's JSON value)."""
    values = np.asarray(values, dtype=object)
    null = pd.isna(values)
    if kind == NUMBER:
        numbers = np.array(np.where(null, 0, values).tolist(), dtype=np.float64)
        hashes = _mix(numbers.view(np.uint64) ^ _NUMBER_SALT)
    elif kind == BOOLEAN:
        hashes = _mix(np.where(null, 0, values).astype(bool).astype(np.uint64) + _BOOLEAN_SALT)
    else:
        hashes = _text(np.where(null, "", values).astype(object))
    hashes[null] = _NULL
    return hashes


def _combine(named: Sequence[tuple[str, np.ndarray]], length: int) -> np.ndarray:
    """Fold named column hashes into one per row, in name order, each bound to its name."""
    total = np.zeros(length, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name, hashes in sorted(named, key=lambda item: item[0]):
            salt = _text(np.array([name], dtype=object))[0]
            total = _mix(total * np.uint64(0x100000001B3) ^ _mix(hashes + salt))
    return total


def field_hashes(records: pd.DataFrame, resource: Resource) -> dict[str, np.ndarray]:
    """Each column's value hashes, typed as its field is: what both the record hashes and
    the key hashes of a page are made of, so that a page is hashed once."""
    return {name: column_hashes(records[name].to_numpy(), resource.fields[name].type)
            for name in records.columns}


def record_hashes(records: pd.DataFrame, resource: Resource,
                  hashed: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The hash of each record as sent: every field in it, by name, typed as the field is
    (`hashed`: the page's `field_hashes`, when already made).

    Never 0, which the ledger keeps for "hash unknown: send again"."""
    hashed = field_hashes(records, resource) if hashed is None else hashed
    hashes = _combine(list(hashed.items()), len(records))
    hashes[hashes == 0] = 1
    return hashes


def group_hashes(hashes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One hash per group of consecutive records (`starts`: where each group begins), bound to
    each record's place in its group and to the group's size: the hash of a whole survey from
    the hashes of its stations. Never 0."""
    sizes = np.diff(np.append(starts, len(hashes)))
    places = np.arange(len(hashes), dtype=np.uint64) - np.repeat(starts, sizes).astype(np.uint64)
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(_mix(hashes ^ _mix(places + _NUMBER_SALT)), starts) \
            if len(hashes) else np.empty(0, np.uint64)
        totals = _mix(sums ^ _mix(sizes.astype(np.uint64)))
    totals[totals == 0] = 1
    return totals


def record_keys(records: pd.DataFrame, resource: Resource,
                hashed: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Each record's key hash and its identity values (the fields the API keys it by);
    `hashed`: the page's `field_hashes`, when already made.

    A record goes by the first of the resource's identity alternatives whose fields it has
    (a well by dataSource + chosenID, else a `di` well by api14); the other identity fields
    are left out of its key, so that adding an api14 to a well known by chosenID keeps its
    key. A record that has none of them is keyed by all its identity fields, as they are.
    Before all of these, a record carrying its ComboCurve id (`id_field`) goes by that id:
    kept apart from `identity` so that the keys of records without one stay as they were."""
    names = list(dict.fromkeys(n for alternative in resource.identity for n in alternative))
    columns = {n: records[n].to_numpy(dtype=object) if n in records
               else np.full(len(records), None, dtype=object) for n in names}
    present = {n: ~pd.isna(values) for n, values in columns.items()}
    chosen = np.full(len(records), -1)
    for index, alternative in enumerate(resource.identity):
        has_all = np.logical_and.reduce([present[n] for n in alternative])
        chosen[(chosen == -1) & has_all] = index
    keys, named = {}, []
    for name, values in columns.items():
        used = np.isin(chosen, [i for i, alt in enumerate(resource.identity) if name in alt])
        kept = used | (chosen == -1)
        keys[name] = np.where(kept, values, None)
        if hashed is not None and name in hashed:
            whole = hashed[name]
        else:
            whole = column_hashes(values, resource.fields[name].type)
        named.append((name, np.where(kept, whole, _NULL)))  # a value left out hashes as null
    frame = pd.DataFrame(keys, index=records.index, dtype=object)
    hashes = _combine(named, len(records))
    if resource.id_field in records:  # a record with its ComboCurve id goes by it first
        ids = records[resource.id_field].to_numpy(dtype=object)
        known = ~pd.isna(ids)
        hashes[known] = _combine([(resource.id_field, column_hashes(ids[known], "string"))],
                                 int(known.sum()))
        frame.insert(0, resource.id_field, ids)
    return hashes, frame


HASH_CANARY = f"{int(_combine([('canary', _text(np.array(['5', None], dtype=object)))], 2)[0]):x}"
