"""The emulator's own field tables and value rules, transcribed from the public spec.

Kept apart from the sync's tables on purpose: the emulator is an independent oracle, so a field
the sync gets wrong is refused here rather than agreed with.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

DATA_SOURCES = ("di", "ihs", "phdwin", "aries", "internal", "other")
# The volumes the API drops when negative while answering OK (the 2023 server's "production
# data" fields of daily and monthly rows).
VOLUME_FIELDS = ("oil", "gas", "water")


def field_table(spec: dict[str, str]) -> dict[str, str]:
    """Expand {kind: "name other prefix0..19"} into {name: kind}: lists read like the contract."""
    table = {}
    for kind, names in spec.items():
        for token in names.split():
            span = re.fullmatch(r"(\w+?)(\d+)\.\.(\d+)", token)
            if span:
                first, last = int(span[2]), int(span[3])
                table.update({f"{span[1]}{n}": kind for n in range(first, last + 1)})
            else:
                table[token] = kind
    return table


WELL_FIELDS = field_table({
    "string": """
        id dataSource chosenID chosenKeyID dataSourceCustomName
        api10 api12 api14 ariesId phdwinId ihsId drillinginfoId tgsId rsegId spgciId
        wellName wellNumber wellType status primaryProduct productionMethod recoveryMethod
        holeDirection fluidType flowPath allocationType elevationType rig padName county state
        country basin play subplay field district abstract block section survey township range
        typeCurveArea currentOperator currentOperatorAlias currentOperatorCode
        currentOperatorTicker previousOperator previousOperatorAlias previousOperatorCode
        previousOperatorTicker leaseName leaseNumber gasGatherer oilGatherer nglGatherer
        landingZone targetFormation toeInLandingZone toeUp parentChildAnyZone
        parentChildSameZone completionDesign firstFracVendor firstTreatmentType refracFracVendor
        refracTreatmentType proppantMeshSize proppantType prmsReservesCategory
        prmsReservesSubCategory prmsResourcesClass customString0..34""",
    "number": """
        surfaceLatitude surfaceLongitude heelLatitude heelLongitude toeLatitude toeLongitude
        lateralLength perfLateralLength measuredDepth trueVerticalDepth upperPerforation
        lowerPerforation grossPerforatedInterval elevation groundElevation tubingDepth tubingId
        casingId chokeSize azimuth acreSpacing horizontalSpacing verticalSpacing
        hzWellSpacingAnyZone hzWellSpacingSameZone vtWellSpacingAnyZone vtWellSpacingSameZone
        stageSpacing drainageArea distanceFromBaseOfZone distanceFromTopOfZone
        footageInLandingZone landingZoneBase landingZoneTop percentInZone formationThicknessMean
        thickness porosity matrixPermeability fractureConductivity initialRespress
        initialRestemp bubblePointPress dewPointPress bg bo rs sg so sw zi oilApiGravity
        oilSpecificGravity gasSpecificGravity gasC1 gasC2 gasC3 gasCo2 gasH2 gasH2o gasH2s gasHe
        gasIc4 gasIc5 gasN2 gasNc4 gasNc5 gasNc6 gasNc7 gasNc8 gasNc9 gasNc10 gasO2
        firstAdditiveVolume firstClusterCount firstFluidVolume firstMaxInjectionPressure
        firstMaxInjectionRate firstPropWeight firstStageCount firstTestFlowTbgPress
        firstTestGasVol firstTestGor firstTestOilVol firstTestWaterVol refracAdditiveVolume
        refracClusterCount refracFluidVolume refracMaxInjectionPressure refracMaxInjectionRate
        refracPropWeight refracStageCount numTreatmentRecords customNumber0..19""",
    "date": """
        firstProdDate spudDate permitDate til completionStartDate completionEndDate
        drillStartDate drillEndDate dateRigRelease refracDate gasAnalysisDate customDate0..19""",
    "boolean": "customBool0..4",
})
# Set by ComboCurve itself; refused rather than silently ignored. `id` is not among them: the
# spec lists it in PUT and PATCH bodies, where it names the well to write.
WELL_READ_ONLY = frozenset([
    "well", "createdAt", "updatedAt", "hasDaily", "hasMonthly", "hasDirectionalSurvey",
    "inptID", "copied", "copiedFrom", "dataPool", "generic", "mostRecentImportDate",
    "mostRecentImportDesc", "mostRecentImportType", "project", "scope",
])

_PRODUCTION_IDENTITY = "well chosenID dataSource"
DAILY_FIELDS = field_table({
    "string": f"{_PRODUCTION_IDENTITY} operationalTag",
    "date": "date",
    "number": """
        oil gas water choke hoursOn gasLiftInjectionPressure bottomHolePressure
        tubingHeadPressure flowlinePressure casingHeadPressure vesselSeparatorPressure
        gasInjection waterInjection co2Injection steamInjection ngl customNumber0..19""",
})
MONTHLY_FIELDS = field_table({
    "string": f"{_PRODUCTION_IDENTITY} operationalTag",
    "date": "date",
    "number": """
        oil gas water choke daysOn gasInjection waterInjection co2Injection steamInjection ngl
        customNumber0..19""",
})
PRODUCTION_READ_ONLY = frozenset({"id", "createdAt", "updatedAt"})
PRODUCTION_IDENTITY = frozenset({*_PRODUCTION_IDENTITY.split(), "date"})

LAT_LONG_PAIRS = (
    ("surfaceLatitude", "surfaceLongitude"),
    ("heelLatitude", "heelLongitude"),
    ("toeLatitude", "toeLongitude"),
)

# A value rule: (accepts(value), what the value must be), checked once the JSON type is right.
Rule = tuple[Callable[[Any], bool], str]


def pattern(regex: str, what: str) -> Rule:
    compiled = re.compile(regex, re.ASCII)
    return (lambda value: compiled.fullmatch(value) is not None), f"must be {what}"


def between(low: float, high: float) -> Rule:
    return (lambda value: low <= value <= high), f"must be between {low} and {high}"


def one_of(choices: tuple[str, ...]) -> Rule:
    return (lambda value: value in choices), f"must be one of {', '.join(choices)}"


OBJECT_ID = pattern(r"[0-9a-f]{24}", "a 24-character hexadecimal id")
DATA_SOURCE_RULE = one_of(DATA_SOURCES)
WELL_RULES: dict[str, Rule] = {
    "id": OBJECT_ID,
    "dataSource": DATA_SOURCE_RULE,
    "chosenID": pattern(r"[A-Za-z0-9]{1,32}", "1 to 32 letters or digits"),
    **{f"api{n}": pattern(rf"\d{{{n}}}", f"a string of exactly {n} digits") for n in (10, 12, 14)},
    **{lat: between(-90, 90) for lat, _ in LAT_LONG_PAIRS},
    **{long: between(-180, 180) for _, long in LAT_LONG_PAIRS},
}
PRODUCTION_RULES: dict[str, Rule] = {"dataSource": DATA_SOURCE_RULE, "well": OBJECT_ID}

_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII
)


def error(name: str, message: str, location: str) -> dict[str, str]:
    return {"name": name, "message": message, "location": location}


@functools.lru_cache(maxsize=8192)  # a page of 20,000 rows holds a few hundred dates
def parse_date(text: str) -> datetime | None:
    """An ISO-8601 date or datetime on a real calendar day, in UTC (naive means UTC)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    """How the API writes a stored date: UTC, milliseconds, a Z (`2021-03-01T00:00:00.000Z`)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day_stamp(day: date) -> str:
    """A calendar day as the API returns it: midnight UTC."""
    return f"{day.isoformat()}T00:00:00.000Z"


def type_ok(kind: str, value: Any) -> bool:
    """Strict JSON types, as the API has them: no "123" for a number, no 1 for a boolean."""
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    return isinstance(value, str)


def value_problem(name: str, kind: str, value: Any, rule: Rule | None) -> tuple[str, str] | None:
    """(error name, message) for a non-null value of a known field, or None when it is fine."""
    if not type_ok(kind, value):
        expected = "an ISO-8601 date string" if kind == "date" else f"a JSON {kind}"
        return "TypeError", f"`{name}` must be {expected}"
    if kind == "date" and parse_date(value) is None:
        return "ValueError", f"`{name}` is not a valid ISO-8601 date: {value!r}"
    if rule is not None and not rule[0](value):
        return "ValueError", f"`{name}` {rule[1]}"
    return None


_NUMBERS = (int, float)  # exact types: a bool is an int, and no number


def field_errors(
    i: int, record: dict, fields: dict[str, str], read_only: frozenset, rules: dict[str, Rule]
) -> list[dict]:
    """Per-field checks: known, writable, strictly typed, valid; null passes (it means no value).
    The common case, a plain number, is decided inline: pages of 20,000 rows pass through."""
    errors = []
    for name, value in record.items():
        kind = fields.get(name)
        if kind is None:
            refusal = (("ReadOnlyFieldError", f"`{name}` is read-only") if name in read_only
                       else ("FieldNameError", f"`{name}` is not a valid field name"))
            errors.append(error(*refusal, f"[{i}].{name}"))
        elif value is None or (kind == "number" and type(value) in _NUMBERS and name not in rules):
            continue
        else:
            problem = value_problem(name, kind, value, rules.get(name))
            if problem:
                errors.append(error(*problem, f"[{i}].{name}"))
    return errors
