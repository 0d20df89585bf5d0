"""Pure functions from a page of query rows to API records, and the rows the API would refuse.

Values are typed by the field's declared type, never by what one page happens to hold:
- number: JSON numbers; integers stay integers (and a whole DECIMAL or FLOAT is sent as one),
  numeric text is read as a number, NaN is null, infinity and integers beyond 2^53 are refused;
- string: text; INT ids become "123", ids are trimmed, an empty string is null, bytes must be
  UTF-8;
- date: `YYYY-MM-DD`, the UTC day of a DATETIME or TIMESTAMP; MySQL's zero date is null;
- month (a monthly row's date): any day names its month, sent as that month's 15th;
- boolean: true/false, from booleans, 0/1 (TINYINT(1)) or the words true/false/yes/no.
NULL, NaN and NaT become null. A row with any problem is rejected with every reason found.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from pandas.api.types import infer_dtype

from .errors import ProjectError
from .project import shown_path
from .resources import BOOLEAN, DATE, MAX_SAFE_INTEGER, MONTH, NUMBER, Field, Resource

# Bump when a value is sent differently from before: the ledger then resends every record,
# since hashes of the old values say nothing about the new ones.
NORMALISATION_VERSION = 1
_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class Reject:
    """A row not sent, by its 1-based row number in the query result, and why: each problem
    as (field, message), the field being "duplicate" for a key seen twice in a page."""

    row: int
    problems: tuple[tuple[str, str], ...]

    @property
    def reason(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.problems)

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(field for field, _ in self.problems))


@dataclass
class Normalised:
    records: pd.DataFrame  # rows to send: API field names, JSON-ready values, index = row number
    rejects: list[Reject]


def map_columns(resource: Resource, columns: list[str], file: Path) -> dict[str, Field]:
    """Which field each query column feeds; an unknown or doubled column is a ProjectError."""
    where = shown_path(file)
    mapping: dict[str, Field] = {}
    for column in columns:
        found = resource.field_for(column)
        if found is None:
            close = resource.closest_field(column)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise ProjectError(f"{where}: column '{column}' is not a ComboCurve "
                               f"{resource.noun} field{hint}")
        twin = next((c for c, f in mapping.items() if f is found), None)
        if twin is not None:
            raise ProjectError(f"{where}: columns '{twin}' and '{column}' both feed "
                               f"'{found.name}'; keep one")
        mapping[column] = found
    for needed in resource.missing({f.name for f in mapping.values()}):
        raise ProjectError(f"{where}: no column for the required field {needed}")
    return mapping


def normalise(page: pd.DataFrame, resource: Resource, mapping: dict[str, Field]) -> Normalised:
    """Rename and type one page; rows the API would refuse go to `rejects` with reasons."""
    problems: dict[int, list[tuple[str, str]]] = {}
    flagged: set[tuple[int, str]] = set()  # (position, field) already reported: say it once
    columns = {}
    for column, field in mapping.items():
        values, bad = CONVERTERS[field.type](page[column].to_numpy(dtype=object), field)
        for position in np.flatnonzero(bad != None):  # noqa: E711 - elementwise on objects
            problems.setdefault(position, []).append((field.name, bad[position]))
            flagged.add((position, field.name))
        columns[field.name] = values
    records = pd.DataFrame(columns, index=page.index, dtype=object)
    for rule in resource.row_rules:
        for position, name, message in rule(records):
            if (position, name) not in flagged:
                problems.setdefault(position, []).append((name, message))
    if not problems:
        return Normalised(records, [])
    rejected = np.zeros(len(records), dtype=bool)
    rejected[list(problems)] = True
    rows = page.index.to_numpy()
    rejects = [Reject(int(rows[p]), tuple(problems[p])) for p in sorted(problems)]
    return Normalised(records[~rejected], rejects)


# -- one column at a time: (values, problems), each an object array of the page's length ----


def _empty(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output and problem arrays, and the mask of values that are not NULL, NaN or NaT."""
    present = ~pd.isna(values)
    return np.full(len(values), None, dtype=object), np.full(len(values), None, object), present


def to_numbers(values: np.ndarray, field: Field | None = None):
    out, bad, present = _empty(values)
    kind = infer_dtype(values, skipna=True)
    ints = _as_int64(values[present]) if kind == "integer" else None
    if ints is not None:
        out[present] = ints.astype(object)  # plain Python ints, whatever the driver gave
        for i in np.flatnonzero(present)[np.abs(ints) > MAX_SAFE_INTEGER]:
            out[i], bad[i] = None, _too_big(values[i])
    elif kind in ("floating", "mixed-integer-float", "decimal"):
        floats = np.asarray(values[present].tolist(), dtype=float)
        out[present] = _json_numbers(floats)
        for i in np.flatnonzero(present)[np.isinf(floats)]:
            out[i], bad[i] = None, f"{values[i]!r} is infinite, not a number the API takes"
    else:
        for i in np.flatnonzero(present):
            out[i], bad[i] = _one_number(values[i])
    return out, bad


def _as_int64(values: np.ndarray) -> np.ndarray | None:
    """The integers as an int64 array, or None when one is beyond int64 (BIGINT UNSIGNED)."""
    try:
        return values.astype(np.int64)
    except OverflowError:
        return None


def _json_numbers(floats: np.ndarray) -> np.ndarray:
    """Floats as JSON-ready objects: NaN -> None, whole numbers within 2^53 -> int."""
    result = floats.astype(object)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(floats) & (np.floor(floats) == floats)
        whole &= np.abs(floats) <= MAX_SAFE_INTEGER
    result[whole] = floats[whole].astype(np.int64).astype(object)
    result[np.isnan(floats)] = None
    return result


def _one_number(value):
    """One value of an odd type (text, bool, bytes, a mixed column) as a number, or why not."""
    if isinstance(value, bool | np.bool_):
        return None, f"{value!r} is a boolean, not a number"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        try:
            value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        except ValueError:
            return None, f"{value!r} is not a number"
    if isinstance(value, int | np.integer):
        return (int(value), None) if abs(value) <= MAX_SAFE_INTEGER else (None, _too_big(value))
    if isinstance(value, float | Decimal | np.floating):
        number = float(value)
        if math.isnan(number):
            return None, None
        if math.isinf(number):
            return None, f"{value!r} is infinite, not a number the API takes"
        return _json_numbers(np.array([number]))[0], None
    return None, f"{value!r} is not a number"


def _too_big(value) -> str:
    return f"{value} is beyond 2^53 and would not arrive exactly"


def to_strings(values: np.ndarray, field: Field):
    out, bad, present = _empty(values)
    if infer_dtype(values, skipna=True) == "string":
        out[present] = values[present]
    else:
        for i in np.flatnonzero(present):
            out[i], bad[i] = _one_string(values[i])
    positions = np.flatnonzero(out != None)  # noqa: E711 - elementwise on objects
    texts = out[positions].tolist()
    if field.identifier:  # list comprehensions: several times faster than pandas' .str here
        texts = [text.strip() for text in texts]
    out[positions] = _object_array([text or None for text in texts])
    _check_text(out, bad, field)
    return out, bad


def _object_array(items: list) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _one_string(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, f"{value!r} is not valid UTF-8 text"
    if isinstance(value, bool | np.bool_):
        return None, f"{value!r} is a boolean, not text"
    if isinstance(value, float | np.floating) and value.is_integer():
        return str(int(value)), None
    if isinstance(value, datetime | date):
        return value.isoformat(), None
    return str(value), None


def _check_text(out: np.ndarray, bad: np.ndarray, field: Field) -> None:
    """Enum choices and patterns (chosenID, api14...), on the values that are present."""
    if field.choices is None and field.rule is None:
        return
    positions = np.flatnonzero(out != None)  # noqa: E711 - elementwise on objects
    texts = out[positions].tolist()
    if field.choices is not None:
        allowed = set(field.choices)
        wrong = [p for p, text in zip(positions, texts, strict=True) if text not in allowed]
        why = f"is not one of {', '.join(field.choices)}"
    else:
        match = field.rule[0].fullmatch
        wrong = [p for p, text in zip(positions, texts, strict=True) if not match(text)]
        why = f"must be {field.rule[1]}"
    for position in wrong:
        bad[position] = f"{out[position]!r} {why}"
        out[position] = None


def to_dates(values: np.ndarray, field: Field | None = None):
    out, bad, present = _empty(values)
    kind = infer_dtype(values, skipna=True)
    if kind == "string":
        texts = [text.strip() for text in values[present].tolist()]
        days = _plain_days(texts)
        if days is not None:
            out[present] = days
            return out, bad
        values = values.copy()
        values[present] = _object_array(texts)
        blank = np.array([not text or text.startswith("0000-00-00") for text in texts])
        present[np.flatnonzero(present)[blank]] = False  # MySQL's zero date: "no date"
    elif kind not in ("datetime", "datetime64", "date"):
        values = values.copy()
        for i in np.flatnonzero(present):
            values[i], bad[i] = _one_date(values[i])
            present[i] = values[i] is not None
    if not present.any():
        return out, bad
    stamps = pd.to_datetime(pd.Series(values[present], dtype=object), errors="coerce",
                            utc=True, format="ISO8601")
    days = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    invalid = stamps.isna().to_numpy()
    text[invalid] = None
    out[present] = text
    for i in np.flatnonzero(present)[invalid]:
        bad[i] = f"{values[i]!r} is not a valid date"
    return out, bad


def _plain_days(texts: list[str]) -> np.ndarray | None:
    """The days of `YYYY-MM-DD[ hh:mm:ss]` text, as MySQL sends DATE and DATETIME, checked at
    numpy's speed; None for anything else (zero or invalid dates, offsets), left to pandas."""
    if not all(len(text) == 10 or (len(text) == 19 and text[10] == " ") for text in texts):
        return None
    heads = [text[:10] for text in texts]
    try:
        np.array(heads, dtype="datetime64[D]")  # refuses 2021-02-30 and 0000-00-00
    except ValueError:
        return None
    return _object_array(heads)


def _one_date(value):
    """A value of a mixed column as (something to_datetime reads or None for "no date", why
    not)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        return (None if not text or text.startswith("0000-00-00") else text), None
    if isinstance(value, date | np.datetime64):
        return value, None
    return None, f"{value!r} is not a date"


def to_booleans(values: np.ndarray, field: Field | None = None):
    out, bad, present = _empty(values)
    for i in np.flatnonzero(present):
        value = values[i]
        word = str(value).strip().lower()
        if isinstance(value, bool | np.bool_):
            out[i] = bool(value)
        elif isinstance(value, int | np.integer | str) and word in _TRUE | _FALSE:
            out[i] = word in _TRUE
        else:
            bad[i] = f"{value!r} is not true or false"
    return out, bad


def to_months(values: np.ndarray, field: Field | None = None):
    """Any day of a month as that month's 15th (`2024-03-15`): how ComboCurve stores a month
    (see core/resources/monthly.py)."""
    out, bad = to_dates(values, field)
    days = np.flatnonzero(out != None)  # noqa: E711 - elementwise on objects
    out[days] = _object_array([f"{day[:8]}15" for day in out[days].tolist()])
    return out, bad


CONVERTERS = {NUMBER: to_numbers, "string": to_strings, DATE: to_dates, MONTH: to_months,
              BOOLEAN: to_booleans}


# -- to the wire --------------------------------------------------------------------------------


def split_by_data_source(records: pd.DataFrame) -> list[pd.DataFrame]:
    """One frame per dataSource (the API takes one per request), in order of first appearance."""
    if "dataSource" not in records or records["dataSource"].nunique(dropna=False) <= 1:
        return [records]
    groups = records.groupby("dataSource", dropna=False, sort=False)
    return [group for _, group in groups]


def to_payload(records: pd.DataFrame, resource: Resource | None = None) -> bytes:
    """The JSON array sent for these records: exact floats, null for missing, no NaN. A nested
    resource's records are built into their objects by each field's path, leaving out what
    is null (an ownership qualifier's reversions not given)."""
    names = list(records.columns)
    rows = zip(*(records[name].tolist() for name in names), strict=True)
    if resource is not None and resource.nested:
        paths = [resource.fields[name].path or (name,) for name in names]
        records_list = [_nest(paths, row) for row in rows]
    else:
        records_list = [dict(zip(names, row, strict=True)) for row in rows]
    return orjson.dumps(records_list, option=orjson.OPT_SERIALIZE_NUMPY)


def _nest(paths: list[tuple[str, ...]], values) -> dict:
    record: dict = {}
    for path, value in zip(paths, values, strict=True):
        if value is None:
            continue
        target = record
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return record
