"""What every resource is made of: its fields, the columns a query needs, how a record is keyed.

A query column matches a field by its API name in any letter case and with or without
underscores or dots, so `wellName`, `well_name` and PostgreSQL's folded `wellname` all mean
`wellName`, and `initial_ownership.working_interest` means `initialOwnershipWorkingInterest`.
"""

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

STRING, NUMBER, DATE, MONTH, BOOLEAN = "string", "number", "date", "month", "boolean"
DATA_SOURCES = ("di", "ihs", "phdwin", "aries", "internal", "other")
MAX_SAFE_INTEGER = 2**53  # beyond it a JSON number is not exact for the API's JavaScript side

# Text rules the API enforces on some string fields: (pattern, what a user should read).
CHOSEN_ID_RULE = (re.compile(r"[A-Za-z0-9]{1,32}"), "1-32 letters and digits")
WELL_ID_RULE = (re.compile(r"[0-9a-fA-F]{24}"), "a 24-hex ComboCurve id")
API_RULES = {f"api{n}": (re.compile(rf"\d{{{n}}}"), f"exactly {n} digits") for n in (10, 12, 14)}

# A whole-row rule: given a page of normalised records, yield (position, field, message) for
# each row it refuses.
RowRule = Callable[..., Iterator[tuple[int, str, str]]]


@dataclass(frozen=True)
class Field:
    """One writable field of a resource: its API name, JSON type and text rule, if any.

    `path` is where the value goes in the record sent, when that is not a top-level field of
    its own name (an ownership qualifier's `ownership.initialOwnership.workingInterest`)."""

    name: str
    type: str
    rule: tuple[re.Pattern, str] | None = None
    choices: tuple[str, ...] | None = None
    identifier: bool = False  # surrounding whitespace is trimmed (ids compare exactly)
    path: tuple[str, ...] = ()

    @property
    def nested(self) -> bool:
        return len(self.path) > 1


@dataclass(frozen=True)
class Need:
    """Columns a query must have: any one of the alternatives, each a set of field names."""

    label: str  # how a message names what is missing
    alternatives: tuple[frozenset[str], ...]

    def met_by(self, names: set[str]) -> bool:
        return any(alternative <= names for alternative in self.alternatives)


def needs(*labels: str) -> tuple[Need, ...]:
    """One Need per label, each met by the field of that name."""
    return tuple(Need(label, (frozenset({label}),)) for label in labels)


def fields(kind: str, names: str, **options) -> list[Field]:
    return [Field(name, kind, **options) for name in names.split()]


def numbered(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(count))


def match_key(name: str) -> str:
    """The spelling-insensitive form used to match a column to a field."""
    return name.replace("_", "").replace(".", "").lower()


DATA_SOURCE = Field("dataSource", STRING, choices=DATA_SOURCES, identifier=True)


@dataclass(frozen=True)
class Resource:
    """An API endpoint we write to, with the fields it accepts and the rules its rows obey.

    `identity` is how the API keys a record: alternatives in order of preference, each a
    tuple of fields; a record goes by the first alternative whose fields it all has (a well
    by dataSource + chosenID, or a `di` well by its api14). The ledger keys its rows by it.
    A record carrying ComboCurve's own id in `id_field` goes by it before any alternative.
    `max_records` is the most records one request holds (and one page of rows: a grouped
    resource reads pages of stations and sends one group, one document, per request).
    """

    name: str
    path: str
    max_records: int
    noun: str  # how messages call one record ("well", "daily production")
    identity: tuple[tuple[str, ...], ...]
    fields: MappingProxyType = field(repr=False)
    by_match_key: MappingProxyType = field(repr=False)
    writes: tuple[str, ...] = ("put",)  # how it may be written; the first is the default
    needs: tuple[Need, ...] = ()
    row_rules: tuple[RowRule, ...] = ()
    grouped: bool = False  # rows are stations gathered into one document per key
    id_field: str | None = None  # a record carrying ComboCurve's id goes by it first
    key_limit: tuple[str, int] | None = None  # (field, most distinct values in a company)

    @classmethod
    def build(cls, name: str, path: str, max_records: int, noun: str, fields: list[Field], *,
              identity: tuple[tuple[str, ...], ...], **options) -> "Resource":
        by_name = {f.name: f for f in fields}
        by_key = {match_key(f.name): f for f in fields}
        assert len(by_key) == len(by_name), f"{name}: two fields match the same column"
        assert all(n in by_name for names in identity for n in names), f"{name}: identity"
        return cls(name, path, max_records, noun, identity,
                   MappingProxyType(by_name), MappingProxyType(by_key), **options)

    @property
    def nested(self) -> bool:
        """Whether records are sent as nested objects built from flat columns."""
        return any(f.nested for f in self.fields.values())

    def field_for(self, column: str) -> Field | None:
        """The field a query column feeds, or None when it is no field of this resource."""
        return self.by_match_key.get(match_key(column))

    def closest_field(self, column: str) -> str | None:
        """The field name a misspelt column most likely meant, for 'did you mean' hints."""
        keys = list(self.by_match_key)
        found = difflib.get_close_matches(match_key(column), keys, n=1, cutoff=0.6)
        return self.by_match_key[found[0]].name if found else None

    def missing(self, names: set[str]) -> list[str]:
        """What the query's fields `names` lack of what the resource needs."""
        return [need.label for need in self.needs if not need.met_by(names)]
