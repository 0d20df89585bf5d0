"""Per-record checks of the flat resources: wells (PUT and PATCH), daily and monthly rows.

Each check takes (index, record) and returns (errors, fields): the per-record errors of a 207
answer, and the fields to store. Request-wide rules (one dataSource per request) are added by
`validate`; rules that need the store (the well exists, duplicates) by the Store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .fields import (
    DATA_SOURCES,
    LAT_LONG_PAIRS,
    PRODUCTION_READ_ONLY,
    PRODUCTION_RULES,
    WELL_FIELDS,
    WELL_READ_ONLY,
    WELL_RULES,
    error,
    field_errors,
    iso,
    parse_date,
)

Check = Callable[[int, dict], tuple[list[dict], dict]]
_WELL_DATES = frozenset(name for name, kind in WELL_FIELDS.items() if kind == "date")
_IDENTITY = ("dataSource", "chosenID")


def required(name: str, i: int) -> dict[str, str]:
    return error("RequiredFieldError", f"Missing required field: `{name}`", f"[{i}]")


def _identity_errors(i: int, fields: dict) -> list[dict]:
    """dataSource and chosenID are required; for `di` a valid api14 stands in for chosenID.
    A name sent as null (kept in PATCH's fields) is not missing: it has its own error."""
    errors = []
    if "dataSource" not in fields:
        errors.append(required("dataSource", i))
    if "chosenID" not in fields:
        api14 = fields.get("api14")
        accepts_api14 = WELL_RULES["api14"][0]
        if fields.get("dataSource") == "di" and isinstance(api14, str) and accepts_api14(api14):
            fields["chosenID"] = api14  # for drillinginfo the API number is the well's identity
        else:
            errors.append(required("chosenID", i))
    return errors


def _pair_errors(i: int, record: dict, *, null_clears: bool) -> list[dict]:
    """A latitude needs its longitude and the other way round. In PUT a null partner counts as
    absent; in PATCH (`null_clears`) a sent null clears that field and is no gap."""
    errors = []
    for pair in LAT_LONG_PAIRS:
        given = [name for name in pair if record.get(name) is not None]
        if len(given) == 1:
            (missing,) = set(pair) - set(given)
            if not (null_clears and missing in record):
                message = f"`{missing}` is required together with `{given[0]}`"
                errors.append(error("RequiredFieldError", message, f"[{i}].{missing}"))
    return errors


def _canonical_dates(fields: dict) -> dict:
    """Dates are stored, and read back, as the API's UTC timestamps."""
    for name in _WELL_DATES.intersection(fields):
        if fields[name] is not None:
            fields[name] = iso(parse_date(fields[name]))
    return fields


def check_well(i: int, record: dict) -> tuple[list[dict], dict]:
    """PUT: validate one well; its fields to store, nulls dropped (PUT clears what is absent)."""
    errors = field_errors(i, record, WELL_FIELDS, WELL_READ_ONLY, WELL_RULES)
    fields = {name: value for name, value in record.items() if value is not None}
    errors += _identity_errors(i, fields)
    errors += _pair_errors(i, record, null_clears=False)
    return errors, (fields if errors else _canonical_dates(fields))


def check_well_patch(i: int, record: dict) -> tuple[list[dict], dict]:
    """PATCH: like PUT, but a null is kept, for it clears that field; the identity can't be null."""
    errors = field_errors(i, record, WELL_FIELDS, WELL_READ_ONLY, WELL_RULES)
    nulls = frozenset(name for name in _IDENTITY if name in record and record[name] is None)
    for name in sorted(nulls):
        message = f"Required field `{name}` is not nullable"
        errors.append(error("NonNullableFieldError", message, f"[{i}]"))
    fields = dict(record)
    errors += _identity_errors(i, fields)
    errors += _pair_errors(i, record, null_clears=True)
    return errors, (fields if errors else _canonical_dates(fields))


def well_named(i: int, fields: dict) -> list[dict]:
    """A record about a well names it by `well` (its id) or by chosenID and dataSource."""
    if "well" in fields or {"chosenID", "dataSource"} <= fields.keys():
        return []
    message = "Missing required field: `well` (or `chosenID` and `dataSource`)"
    return [error("RequiredFieldError", message, f"[{i}]")]


def production_check(fields_table: dict[str, str]) -> Check:
    """The check of one daily or monthly row, for that resource's field table."""

    def check(i: int, record: dict) -> tuple[list[dict], dict]:
        errors = field_errors(i, record, fields_table, PRODUCTION_READ_ONLY, PRODUCTION_RULES)
        fields = {name: value for name, value in record.items() if value is not None}
        if "date" not in fields:
            errors.append(required("date", i))
        return errors + well_named(i, fields), fields

    return check


def _mixed_source_errors(records: list) -> dict[int, dict]:
    """One dataSource per request: the first record carrying a valid one sets it for the request;
    every later record carrying another valid one gets DifferentDataSourceError."""
    carried = [
        (i, record["dataSource"])
        for i, record in enumerate(records)
        if isinstance(record, dict) and record.get("dataSource") in DATA_SOURCES
    ]
    if not carried:
        return {}
    first = carried[0][1]
    message = "All records of a request must share one dataSource: `{}` after `{}`"
    return {
        i: error("DifferentDataSourceError", message.format(source, first), f"[{i}].dataSource")
        for i, source in carried
        if source != first
    }


def validate(records: list, check: Check) -> list[tuple[list[dict], dict]]:
    """[(errors, fields)] aligned with records: the record checks plus the request-wide ones."""
    mixed = _mixed_source_errors(records)
    checked = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            message = "Each record must be a JSON object"
            checked.append(([error("RequestStructureError", message, f"[{i}]")], {}))
            continue
        errors, fields = check(i, record)
        checked.append((errors + [mixed[i]] if i in mixed else errors, fields))
    return checked


def failure(record: Any, errors: list[dict]) -> dict:
    chosen_id = record.get("chosenID") if isinstance(record, dict) else None
    return {"status": "Error", "code": 400, "chosenID": chosen_id, "errors": errors}


def duplicate_groups(keys: dict[int, tuple]) -> list[list[int]]:
    """Indexes of records sharing a key, for every key held by more than one record."""
    groups = defaultdict(list)
    for i, key in keys.items():
        groups[key].append(i)
    return [group for group in groups.values() if len(group) > 1]


def mark_duplicates(
    checked: list[tuple[list[dict], dict]], keys: dict[int, tuple], name: str, message: str
) -> None:
    """Refuse every record sharing its key with another: each copy gets a `name` error
    locating all the copies."""
    for group in duplicate_groups(keys):
        where = ", ".join(f"[{i}]" for i in group)
        for i in group:
            checked[i][0].append(error(name, message, where))


def first_source(records: list) -> str | None:
    first = records[0] if records else None
    source = first.get("dataSource") if isinstance(first, dict) else None
    return source if isinstance(source, str) else None
