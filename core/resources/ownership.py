"""Ownership qualifiers: `PUT /v1/ownership-qualifiers`, replaced whole by well + qualifierKey.

The record sent holds a nested `ownership` object: `name`, `initialOwnership` and up to ten
reversions, `firstReversion` .. `tenthReversion`. A query gives it as flat columns by one
naming rule: **a column names a field of `ownership` by its path in it, the parts joined**,
in any of the usual spellings: `initialOwnership.workingInterest`,
`initialOwnershipWorkingInterest` or `initial_ownership_working_interest`;
`first_reversion_reversion_tied_to_value` is `firstReversion.reversionTiedTo.value`; `name`
is `ownership.name`. The record is nested when its request body is built; the ledger hashes
the flat record, which carries the same values.

Fields and enums are the public spec's (the 2023 server's `reversionValue` is not in the spec
and not sent); what is required is the 2023 server's: initialOwnership needs workingInterest
and netRevenueInterest, a reversion its reversionType, workingInterest, netRevenueInterest,
leaseNetRevenueInterest and netProfitInterest, and no reversion may be skipped. ComboCurve
holds at most 10 qualifier keys a company.
"""

import numpy as np

from .base import DATE, NUMBER, STRING, Field, Resource, needs
from .daily import WELL_IDENTITY, WELL_NEED
from .rules import duplicates, keyed_by_well, present, required, well_named

MAX_QUALIFIER_KEYS = 10
REVERSIONS = tuple(f"{ordinal}Reversion" for ordinal in (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth"))
REVERSION_TYPES = ("Irr", "PayoutWithInvestment", "PayoutWithoutInvestment", "UndiscRoi",
                   "AsOf", "Date", "WhCumOil", "WhCumGas", "WhCumBoe", "Volume")
_STREAM_NRI = ("oilNetRevenueInterest", "gasNetRevenueInterest", "nglNetRevenueInterest",
               "dripCondensateNetRevenueInterest")
# (path below the object, type, choices)
INITIAL_OWNERSHIP = (
    ("workingInterest", NUMBER, None),
    ("netProfitInterestType", STRING, ("expense", "revenue")),
    ("netProfitInterest", NUMBER, None),
    ("netRevenueInterest", NUMBER, None),
    ("leaseNetRevenueInterest", NUMBER, None),
    *((name, NUMBER, None) for name in _STREAM_NRI),
)
REVERSION = (
    ("reversionType", STRING, REVERSION_TYPES),
    ("balance", STRING, ("net", "gross")),
    ("includeNetProfitInterest", STRING, ("yes", "no")),
    *((name, NUMBER, None) for name in (
        "workingInterest", "revBasisWorkingInterest", "revBasisNetRevenueInterest",
        "netProfitInterest", "netRevenueInterest", "leaseNetRevenueInterest", *_STREAM_NRI)),
    ("reversionTiedTo.type", STRING, ("as_of", "fpd", "date")),
    ("reversionTiedTo.value", DATE, None),
)
INITIAL_REQUIRED = ("workingInterest", "netRevenueInterest")
REVERSION_REQUIRED = ("reversionType", "workingInterest", "netRevenueInterest",
                      "leaseNetRevenueInterest", "netProfitInterest")


def flat_name(path: tuple[str, ...]) -> str:
    """The naming rule: `("initialOwnership", "workingInterest")` ->
    `initialOwnershipWorkingInterest`."""
    return path[0] + "".join(part[0].upper() + part[1:] for part in path[1:])


def _ownership_field(parent: str, path: str, kind: str, choices) -> Field:
    parts = (parent, *path.split("."))
    return Field(flat_name(parts), kind, choices=choices, path=("ownership", *parts))


def _reversion_fields(reversion: str) -> list[Field]:
    return [_ownership_field(reversion, *spec) for spec in REVERSION]


def _member(parent: str, name: str) -> str:
    return flat_name((parent, name))


def _reversions(records):
    """A reversion given needs its required fields, and every reversion before it."""
    given = {reversion: np.logical_or.reduce([present(records, f.name)
                                             for f in _reversion_fields(reversion)])
             for reversion in REVERSIONS}
    later = np.zeros(len(records), dtype=bool)
    for index in range(len(REVERSIONS) - 1, -1, -1):
        reversion = REVERSIONS[index]
        for position in np.flatnonzero(later & ~given[reversion]):
            yield position, reversion, "missing, but a later reversion is given (reversions " \
                                       "go in order, none skipped)"
        for name in REVERSION_REQUIRED:
            member = _member(reversion, name)
            for position in np.flatnonzero(given[reversion] & ~present(records, member)):
                yield position, member, f"required when {reversion} is given"
        later |= given[reversion]


INITIAL_REQUIRED_FIELDS = tuple(_member("initialOwnership", name) for name in INITIAL_REQUIRED)

OWNERSHIP_QUALIFIERS = Resource.build(
    "ownership-qualifiers", "/v1/ownership-qualifiers", 500, "ownership qualifier", [
        *WELL_IDENTITY,
        Field("qualifierKey", STRING, identifier=True),
        Field("name", STRING, path=("ownership", "name")),
        *[_ownership_field("initialOwnership", *spec) for spec in INITIAL_OWNERSHIP],
        *[f for reversion in REVERSIONS for f in _reversion_fields(reversion)],
    ], identity=(("well", "qualifierKey"), ("dataSource", "chosenID", "qualifierKey")),
    needs=(*needs("qualifierKey"), WELL_NEED, *needs(*INITIAL_REQUIRED_FIELDS)),
    row_rules=(required("qualifierKey"), well_named, required(*INITIAL_REQUIRED_FIELDS),
               _reversions,
               duplicates(keyed_by_well("qualifierKey"), "same well and qualifier key")),
    key_limit=("qualifierKey", MAX_QUALIFIER_KEYS))
