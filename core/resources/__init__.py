"""The ComboCurve resources we write to: endpoint, request limits, every writable field, and the
rules each row obeys. Resources are data: one module each, on the machinery of `base`.

Field lists follow ../shared/design/api-contract.md and the public OpenAPI spec. `RESOURCES`
is in upload order: wells first (every other record names a well that must exist), then
daily and monthly productions, then directional surveys and ownership qualifiers.
"""

from types import MappingProxyType

from .base import (
    API_RULES,
    BOOLEAN,
    CHOSEN_ID_RULE,
    DATA_SOURCES,
    DATE,
    MAX_SAFE_INTEGER,
    MONTH,
    NUMBER,
    STRING,
    WELL_ID_RULE,
    Field,
    Need,
    Resource,
    match_key,
)
from .daily import DAILY_PRODUCTIONS
from .monthly import MONTHLY_PRODUCTIONS
from .ownership import OWNERSHIP_QUALIFIERS
from .surveys import DIRECTIONAL_SURVEYS
from .wells import WELLS

RESOURCES = MappingProxyType({r.name: r for r in (
    WELLS, DAILY_PRODUCTIONS, MONTHLY_PRODUCTIONS, DIRECTIONAL_SURVEYS, OWNERSHIP_QUALIFIERS)})
FILE_ALIASES = MappingProxyType({"daily-production": "daily-productions"})


def resource_for_file(stem: str) -> Resource | None:
    """The resource a `resources/<stem>.sql` file feeds, or None for an unknown name."""
    return RESOURCES.get(FILE_ALIASES.get(stem, stem))


__all__ = ["API_RULES", "BOOLEAN", "CHOSEN_ID_RULE", "DAILY_PRODUCTIONS", "DATA_SOURCES", "DATE",
           "DIRECTIONAL_SURVEYS", "FILE_ALIASES", "MAX_SAFE_INTEGER", "MONTH",
           "MONTHLY_PRODUCTIONS", "NUMBER", "OWNERSHIP_QUALIFIERS", "RESOURCES", "STRING",
           "WELLS", "WELL_ID_RULE", "Field", "Need", "Resource", "match_key",
           "resource_for_file"]
