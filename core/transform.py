"""Pure functions from a page of query rows to API records, and the rows the API would refuse.

Values are typed by the field's declared type, never by what one page happens to hold, and no
value is ever sent as something it was not:
- number: JSON numbers; integers stay integers (and a whole DECIMAL or FLOAT is sent as one),
  ASCII numeric text is read as a number, a NULL or NaN value is null; infinity, text such as
  'NaN', and exact numbers (integers, DECIMAL, numeric text) beyond 2^53 are refused;
- string: text; INT ids become "123" (and DECIMAL 123.00 too), ids are trimmed, an empty string
  is null, bytes must be UTF-8, JSON and arrays are sent as JSON text, other structured values
  are refused;
- date: `YYYY-MM-DD`, the UTC day of a DATETIME or TIMESTAMP, for every year from 1 to 9999 (no
  nanosecond timestamps on the way); MySQL's zero date is null; an invalid or infinite date is
  refused;
- month (a monthly row's date): any day names its month, sent as that month's 15th;
- boolean: true/false, from booleans, 0/1 (TINYINT(1), BIT(1)) or the words true/false/yes/no.
NULL, NaN and NaT become null. A row with any problem is rejected with every reason found.
"""

import ipaddress
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
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
# numeric text as SQL writes it, ASCII digits only: not '1_000', '١٢٣', 'NaN' or 'inf'
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FIRST_DAY = np.datetime64("0001-01-01")
_PLAIN_TEXT = (str, int, np.integer, uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address,
               ipaddress.IPv4Interface, ipaddress.IPv6Interface, ipaddress.IPv4Network,
               ipaddress.IPv6Network)


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
        for i in np.flatnonzero(present)[~(np.abs(floats) < MAX_SAFE_INTEGER) & ~np.isnan(floats)]:
            out[i], bad[i] = _one_number(values[i])  # infinite, or an exact number to check
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
    """One value of an odd type (text, bool, bytes, a mixed column) as a number, or why not.
    Integers, DECIMALs and numeric text are exact: beyond 2^53 they are refused, as the API's
    doubles would not hold them; a float (DOUBLE) is sent as the double it is."""
    if isinstance(value, bool | np.bool_):
        return None, f"{value!r} is a boolean, not a number"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        if not _NUMBER_TEXT.fullmatch(text):
            return None, f"{value!r} is not a number"
        value = Decimal(text) if any(c in text for c in ".eE") else int(text)
    if isinstance(value, int | np.integer):
        return (int(value), None) if abs(value) <= MAX_SAFE_INTEGER else (None, _too_big(value))
    if isinstance(value, Decimal):
        if value.is_nan():
            return None, None
        if value.is_finite() and abs(value) > MAX_SAFE_INTEGER:
            return None, _too_big(value)
    if isinstance(value, float | Decimal | np.floating):
        number = float(value)
        if math.isnan(number):
            return None, None
        if math.isinf(number):
            return None, f"{value} is infinite, not a number the API takes"
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
    out[positions] = object_array([text or None for text in texts])
    _check_text(out, bad, field)
    return out, bad


def object_array(items: list) -> np.ndarray:
    """A 1-d object array of `items` as they are (np.array would make nested lists 2-d)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _one_string(value):
    """One value as the text the database holds, or why it cannot be sent as text."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), None
        except UnicodeDecodeError:
            return None, f"{value!r} is not valid UTF-8 text"
    if isinstance(value, bool | np.bool_):
        return None, f"{value!r} is a boolean, not text"
    if isinstance(value, _PLAIN_TEXT):
        return str(value), None
    if isinstance(value, float | np.floating):
        return (str(int(value)) if value.is_integer() else str(value)), None
    if isinstance(value, Decimal):  # DECIMAL 123.00 as an id is "123", 1.50 stays "1.50"
        if value == value.to_integral_value():
            return str(int(value)), None
        return format(value, "f"), None
    if isinstance(value, datetime | date | time):
        return value.isoformat(), None
    if isinstance(value, dict | list | tuple):  # PostgreSQL json, jsonb and arrays
        return _json_text(value)
    return None, (f"{value!r} is a {type(value).__name__} value, not text; cast it to text in "
                  "the query")


def _json_text(value) -> tuple[str | None, str | None]:
    """A structured value as its JSON text (numbers exact), or why it has none."""
    try:
        return orjson.dumps(value, default=_json_part).decode(), None
    except orjson.JSONEncodeError:
        return None, f"{value!r} cannot be written as JSON text"


def _json_part(value):
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))  # 1.50 stays 1.50, digits beyond a double kept
    raise TypeError


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
    """Days as `YYYY-MM-DD`, computed without pandas' nanosecond timestamps (which hold only
    the years 1677-2262 and silently wrap around beyond them)."""
    out, bad, present = _empty(values)
    positions = np.flatnonzero(present)
    items = values[positions].tolist()
    if infer_dtype(values, skipna=True) == "string":
        items = [text.strip() for text in items]
        days = _plain_days(items)
        if days is not None:
            out[positions] = days
            return out, bad
    for i, item in zip(positions, items, strict=True):
        out[i], bad[i] = _one_day(item)
    return out, bad


def _plain_days(texts: list[str]) -> np.ndarray | None:
    """The days of `YYYY-MM-DD` or `YYYY-MM-DD hh:mm:ss` text, as MySQL sends DATE and DATETIME
    (and PostgreSQL its date and timestamp), checked at numpy's speed; None for anything else
    (zero or invalid dates, offsets, infinity, year 0), which _one_day reads one by one."""
    width = len(texts[0])
    if width == 10:
        unit = "D"
        plain = all(len(t) == 10 and t[4] == "-" == t[7] and t[:4].isdigit() for t in texts)
    elif width == 19:  # the time must be plain too: '2024-01-01 02:00+05' is another day in UTC
        unit = "s"
        plain = all(len(t) == 19 and t[4] == "-" == t[7] and t[10] in " T" and
                    t[13] == ":" == t[16] and t[:4].isdigit() for t in texts)
    else:
        return None
    if not plain:
        return None
    try:  # refuses 2021-02-30 and 25:00:00
        moments = np.array(texts, dtype=f"datetime64[{unit}]")
    except ValueError:
        return None
    if (moments < _FIRST_DAY).any():  # year 0, which numpy knows and the API does not
        return None
    return object_array(texts if width == 10 else [t[:10] for t in texts])


def _one_day(value):
    """One value of any type as (its UTC day, None), (None, None) for "no date", or (None,
    why not)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        if not text or text.startswith("0000-00-00"):  # MySQL's zero date: "no date"
            return None, None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:  # also PostgreSQL's 'infinity' and '... BC', year 10000 and on
            return None, f"{text!r} is not a valid date"
        return _utc_day(moment, text)
    if isinstance(value, datetime):  # pandas' Timestamp too
        return _utc_day(value, value)
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, np.datetime64):
        year = value.astype("datetime64[Y]").astype(np.int64) + 1970
        if 1 <= year <= 9999:
            return str(value.astype("datetime64[D]")), None
        return None, f"{value!r} is beyond the years 1-9999"
    return None, f"{value!r} is not a date"


def _utc_day(moment: datetime, shown) -> tuple[str | None, str | None]:
    if moment.utcoffset() is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            return None, f"{shown!r} falls beyond the years 1-9999 in UTC"
    return moment.date().isoformat(), None


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
    out[days] = object_array([f"{day[:8]}15" for day in out[days].tolist()])
    return out, bad


CONVERTERS = {NUMBER: to_numbers, "string": to_strings, DATE: to_dates, MONTH: to_months,
              BOOLEAN: to_booleans}


# -- to the wire --------------------------------------------------------------------------------


def to_payload(records: pd.DataFrame, resource: Resource | None = None) -> bytes:
    """The JSON array sent for these records: exact floats, null for missing, no NaN. A nested
    resource's records are built into their objects by each field's path, leaving out what
    is null (an ownership qualifier's reversions not given)."""
    names = list(records.columns)
    # the columns of one frame are of one length: zip unchecked, a fifth faster on the hot path
    rows = zip(*(records[name].tolist() for name in names))  # noqa: B905
    if resource is not None and resource.nested:
        paths = [resource.fields[name].path or (name,) for name in names]
        records_list = [_nest(paths, row) for row in rows]
    else:
        records_list = [dict(zip(names, row)) for row in rows]  # noqa: B905
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
