"""Ownership qualifiers: the per-record check and the nested `ownership` object, as stored.

The shape follows the public spec: `ownership` holds `name`, `initialOwnership` and
`firstReversion` .. `tenthReversion`; a reversion holds the spec's fields (with
`reversionTiedTo: {type, value}`) and, from the 2023 server, an optional `reversionValue`.
Required fields and defaults are the 2023 server's (the spec marks none): the stored object is
complete, as GET returns it, with the server's defaults filled in and a lease NRI computed from
the NRI and WI when none is sent.
"""

from __future__ import annotations

from typing import Any

from .fields import (
    DATA_SOURCE_RULE,
    OBJECT_ID,
    Rule,
    error,
    field_errors,
    iso,
    one_of,
    parse_date,
    type_ok,
)
from .records import required, well_named

REVERSIONS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
              "ninth", "tenth")
REVERSION_NAMES = tuple(f"{ordinal}Reversion" for ordinal in REVERSIONS)
REVERSION_TYPES = ("Irr", "PayoutWithInvestment", "PayoutWithoutInvestment", "UndiscRoi", "AsOf",
                   "Date", "WhCumOil", "WhCumGas", "WhCumBoe", "Volume")
_STREAM_NRI = ("oilNetRevenueInterest", "gasNetRevenueInterest", "nglNetRevenueInterest",
               "dripCondensateNetRevenueInterest")

# name -> (kind, rule, default); kind "object" nests the schema in the rule's place.
Schema = dict[str, tuple[str, Any, Any]]

INITIAL_OWNERSHIP: Schema = {
    "workingInterest": ("number", None, None),
    "netProfitInterestType": ("string", one_of(("expense", "revenue")), "expense"),
    "netProfitInterest": ("number", None, 0),
    "netRevenueInterest": ("number", None, None),
    "leaseNetRevenueInterest": ("number", None, None),  # computed when absent
    **{name: ("number", None, None) for name in _STREAM_NRI},
}
INITIAL_REQUIRED = ("workingInterest", "netRevenueInterest")

REVERSION_TIED_TO: Schema = {
    "type": ("string", one_of(("as_of", "fpd", "date")), None),
    "value": ("date", None, None),
}
REVERSION: Schema = {
    "reversionType": ("string", one_of(REVERSION_TYPES), None),
    "reversionValue": ("number-or-date", None, None),
    "balance": ("string", one_of(("net", "gross")), "gross"),
    "includeNetProfitInterest": ("string", one_of(("yes", "no")), "yes"),
    "workingInterest": ("number", None, None),
    "revBasisWorkingInterest": ("number", None, None),
    "revBasisNetRevenueInterest": ("number", None, None),
    "netProfitInterest": ("number", None, None),
    "netRevenueInterest": ("number", None, None),
    "leaseNetRevenueInterest": ("number", None, None),
    **{name: ("number", None, None) for name in _STREAM_NRI},
    "reversionTiedTo": ("object", REVERSION_TIED_TO, None),
}
REVERSION_REQUIRED = ("reversionType", "workingInterest", "netRevenueInterest",
                      "leaseNetRevenueInterest", "netProfitInterest")

OWNERSHIP: Schema = {
    "name": ("string", None, "ownership"),
    "initialOwnership": ("object", INITIAL_OWNERSHIP, None),
    **{name: ("object", REVERSION, None) for name in REVERSION_NAMES},
}

QUALIFIER_FIELDS = {"well": "string", "chosenID": "string", "dataSource": "string",
                    "qualifierKey": "string", "ownership": "object"}
_QUALIFIER_RULES: dict[str, Rule] = {"well": OBJECT_ID, "dataSource": DATA_SOURCE_RULE}
_QUALIFIER_READ_ONLY = frozenset({"id", "createdAt", "updatedAt"})


def _type_problem(kind: str, value: Any) -> str | None:
    """What the value should have been, or None when its JSON type fits the kind. Here a date
    must also read as one."""
    if kind == "number-or-date":
        fits = type_ok("number", value) or (isinstance(value, str) and parse_date(value))
        return None if fits else "a JSON number or an ISO-8601 date string"
    if kind == "date":
        fits = isinstance(value, str) and parse_date(value) is not None
        return None if fits else "an ISO-8601 date string"
    return None if type_ok(kind, value) else f"a JSON {kind}"


def _check_object(value: dict, schema: Schema, where: str) -> tuple[list[dict], dict]:
    """Validate a nested object against its schema; return errors and the complete object
    (every field of the schema, the default where none was sent, dates as UTC timestamps)."""
    errors, stored = [], {}
    for name in value:
        if name not in schema:
            message = f"`{name}` is not a valid field name"
            errors.append(error("FieldNameError", message, f"{where}.{name}"))
    for name, (kind, rule, default) in schema.items():
        item = value.get(name)
        if item is None:
            stored[name] = default
            continue
        expected = _type_problem(kind, item)
        if expected:
            errors.append(error("TypeError", f"`{name}` must be {expected}", f"{where}.{name}"))
        elif kind == "object":
            nested_errors, stored[name] = _check_object(item, rule, f"{where}.{name}")
            errors += nested_errors
        elif rule is not None and not rule[0](item):
            errors.append(error("ValueError", f"`{name}` {rule[1]}", f"{where}.{name}"))
        else:
            is_date = kind == "date" or (kind == "number-or-date" and isinstance(item, str))
            stored[name] = iso(parse_date(item)) if is_date else item
    return errors, stored


def _missing(value: dict, names: tuple[str, ...], where: str) -> list[dict]:
    return [error("RequiredFieldError", f"Missing required field: `{name}`", where)
            for name in names if value.get(name) is None]


def _lease_nri(initial: dict) -> float:
    """The 2023 server's default lease NRI: NRI * 100 / WI to 8 digits, 100 when WI is 0 or
    the result is over 100."""
    working, net_revenue = initial["workingInterest"], initial["netRevenueInterest"]
    if not working:
        return 100
    lease = round(net_revenue * 100 / working, 8)
    return 100 if lease > 100 else lease


def _check_ownership(i: int, ownership: dict) -> tuple[list[dict], dict]:
    where = f"[{i}].ownership"
    errors, stored = _check_object(ownership, OWNERSHIP, where)
    errors += _missing(ownership, ("initialOwnership",), where)
    initial = ownership.get("initialOwnership")
    if isinstance(initial, dict):
        errors += _missing(initial, INITIAL_REQUIRED, f"{where}.initialOwnership")
    given = [n for n, name in enumerate(REVERSION_NAMES) if ownership.get(name) is not None]
    errors += _missing(ownership, REVERSION_NAMES[: given[-1]] if given else (), where)  # no gap
    for name in REVERSION_NAMES:
        if isinstance(ownership.get(name), dict):
            errors += _missing(ownership[name], REVERSION_REQUIRED, f"{where}.{name}")
    if not errors and stored["initialOwnership"]["leaseNetRevenueInterest"] is None:
        stored["initialOwnership"]["leaseNetRevenueInterest"] = _lease_nri(
            stored["initialOwnership"])
    return errors, stored


def check_qualifier(i: int, record: dict) -> tuple[list[dict], dict]:
    """Validate one ownership qualifier; return its errors and its fields to store."""
    errors = field_errors(i, record, QUALIFIER_FIELDS, _QUALIFIER_READ_ONLY, _QUALIFIER_RULES)
    fields = {name: value for name, value in record.items() if value is not None}
    if "qualifierKey" not in fields:
        errors.append(required("qualifierKey", i))
    errors += well_named(i, fields)
    ownership = fields.get("ownership")
    if ownership is None:
        errors.append(required("ownership", i))
    elif isinstance(ownership, dict):
        ownership_errors, fields["ownership"] = _check_ownership(i, ownership)
        errors += ownership_errors
    return errors, fields
