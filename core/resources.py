"""The ComboCurve resources we write to: endpoint, request limits and every writable field.

Field lists follow ../shared/design/api-contract.md. A query column matches a field by its API
name in any letter case and with or without underscores, so `wellName`, `well_name` and
PostgreSQL's folded `wellname` all mean `wellName`.
"""

import difflib
import re
from dataclasses import dataclass, field
from types import MappingProxyType

STRING, NUMBER, DATE, BOOLEAN = "string", "number", "date", "boolean"
DATA_SOURCES = ("di", "ihs", "phdwin", "aries", "internal", "other")
MAX_SAFE_INTEGER = 2**53  # beyond it a JSON number is not exact for the API's JavaScript side

# Text rules the API enforces on some string fields: (pattern, what a user should read).
CHOSEN_ID_RULE = (re.compile(r"[A-Za-z0-9]{1,32}"), "1-32 letters and digits")
WELL_ID_RULE = (re.compile(r"[0-9a-fA-F]{24}"), "a 24-hex ComboCurve well id")
API_RULES = {f"api{n}": (re.compile(rf"\d{{{n}}}"), f"exactly {n} digits") for n in (10, 12, 14)}


@dataclass(frozen=True)
class Field:
    """One writable field of a resource: its API name, JSON type and text rule, if any."""

    name: str
    type: str
    rule: tuple[re.Pattern, str] | None = None
    choices: tuple[str, ...] | None = None
    identifier: bool = False  # surrounding whitespace is trimmed (ids compare exactly)


def _fields(kind: str, names: str, **options) -> list[Field]:
    return [Field(name, kind, **options) for name in names.split()]


def _numbered(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(count))


def match_key(name: str) -> str:
    """The spelling-insensitive form used to match a column to a field."""
    return name.replace("_", "").lower()


@dataclass(frozen=True)
class Resource:
    """An API endpoint we PUT to, with the fields it accepts.

    `identity` is how the API keys a record: alternatives in order of preference, each a
    tuple of fields; a record goes by the first alternative whose fields it all has (a well
    by dataSource + chosenID, or a `di` well by its api14). The ledger keys its rows by it.
    """

    name: str
    path: str
    max_records: int
    noun: str  # how messages call one record ("well", "daily production")
    identity: tuple[tuple[str, ...], ...]
    fields: MappingProxyType = field(repr=False)
    by_match_key: MappingProxyType = field(repr=False)
    writes: tuple[str, ...] = ("put",)  # how it may be written; the first is the default

    @classmethod
    def build(cls, name: str, path: str, max_records: int, noun: str, fields: list[Field], *,
              identity: tuple[tuple[str, ...], ...], writes: tuple[str, ...] = ("put",)):
        by_name = {f.name: f for f in fields}
        by_key = {match_key(f.name): f for f in fields}
        assert len(by_key) == len(by_name), f"{name}: two fields match the same column"
        assert all(n in by_name for names in identity for n in names), f"{name}: identity"
        return cls(name, path, max_records, noun, identity,
                   MappingProxyType(by_name), MappingProxyType(by_key), writes)

    def field_for(self, column: str) -> Field | None:
        """The field a query column feeds, or None when it is no field of this resource."""
        return self.by_match_key.get(match_key(column))

    def closest_field(self, column: str) -> str | None:
        """The field name a misspelt column most likely meant, for 'did you mean' hints."""
        keys = list(self.by_match_key)
        found = difflib.get_close_matches(match_key(column), keys, n=1, cutoff=0.6)
        return self.by_match_key[found[0]].name if found else None


_DATA_SOURCE = Field("dataSource", STRING, choices=DATA_SOURCES, identifier=True)

WELLS = Resource.build("wells", "/v1/wells", 1000, "well", [
    _DATA_SOURCE,
    Field("chosenID", STRING, rule=CHOSEN_ID_RULE, identifier=True),
    *_fields(STRING, "chosenKeyID dataSourceCustomName", identifier=True),
    *[Field(name, STRING, rule=rule, identifier=True) for name, rule in API_RULES.items()],
    *_fields(STRING, "ariesId phdwinId ihsId drillinginfoId tgsId rsegId spgciId",
             identifier=True),
    *_fields(STRING, """wellName wellNumber wellType status primaryProduct productionMethod
        recoveryMethod holeDirection fluidType flowPath allocationType elevationType rig padName
        county state country basin play subplay field district abstract block section survey
        township range typeCurveArea currentOperator currentOperatorAlias currentOperatorCode
        currentOperatorTicker previousOperator previousOperatorAlias previousOperatorCode
        previousOperatorTicker leaseName leaseNumber gasGatherer oilGatherer nglGatherer
        landingZone targetFormation toeInLandingZone toeUp parentChildAnyZone
        parentChildSameZone completionDesign firstFracVendor firstTreatmentType
        refracFracVendor refracTreatmentType proppantMeshSize proppantType prmsReservesCategory
        prmsReservesSubCategory prmsResourcesClass"""),
    *_fields(NUMBER, """surfaceLatitude surfaceLongitude heelLatitude heelLongitude toeLatitude
        toeLongitude lateralLength perfLateralLength measuredDepth trueVerticalDepth
        upperPerforation lowerPerforation grossPerforatedInterval elevation groundElevation
        tubingDepth tubingId casingId chokeSize azimuth acreSpacing horizontalSpacing
        verticalSpacing hzWellSpacingAnyZone hzWellSpacingSameZone vtWellSpacingAnyZone
        vtWellSpacingSameZone stageSpacing drainageArea distanceFromBaseOfZone
        distanceFromTopOfZone footageInLandingZone landingZoneBase landingZoneTop percentInZone
        formationThicknessMean thickness porosity matrixPermeability fractureConductivity
        initialRespress initialRestemp bubblePointPress dewPointPress bg bo rs sg so sw zi
        oilApiGravity oilSpecificGravity gasSpecificGravity gasC1 gasC2 gasC3 gasCo2 gasH2
        gasH2o gasH2s gasHe gasIc4 gasIc5 gasN2 gasNc4 gasNc5 gasNc6 gasNc7 gasNc8 gasNc9
        gasNc10 gasO2 firstAdditiveVolume firstClusterCount firstFluidVolume
        firstMaxInjectionPressure firstMaxInjectionRate firstPropWeight firstStageCount
        firstTestFlowTbgPress firstTestGasVol firstTestGor firstTestOilVol firstTestWaterVol
        refracAdditiveVolume refracClusterCount refracFluidVolume refracMaxInjectionPressure
        refracMaxInjectionRate refracPropWeight refracStageCount numTreatmentRecords"""),
    *_fields(DATE, """firstProdDate spudDate permitDate til completionStartDate
        completionEndDate drillStartDate drillEndDate dateRigRelease refracDate
        gasAnalysisDate"""),
    *_fields(STRING, _numbered("customString", 35)),
    *_fields(NUMBER, _numbered("customNumber", 20)),
    *_fields(DATE, _numbered("customDate", 20)),
    *_fields(BOOLEAN, _numbered("customBool", 5)),
], identity=(("dataSource", "chosenID"), ("dataSource", "api14")), writes=("put", "patch"))

DAILY_PRODUCTIONS = Resource.build("daily-productions", "/v1/daily-productions", 20000,
                                   "daily production", [
    Field("well", STRING, rule=WELL_ID_RULE, identifier=True),
    Field("chosenID", STRING, identifier=True),
    _DATA_SOURCE,
    Field("date", DATE),
    Field("operationalTag", STRING),
    *_fields(NUMBER, """oil gas water choke hoursOn gasLiftInjectionPressure
        bottomHolePressure tubingHeadPressure flowlinePressure casingHeadPressure
        vesselSeparatorPressure gasInjection waterInjection co2Injection steamInjection ngl"""),
    *_fields(NUMBER, _numbered("customNumber", 20)),
], identity=(("well", "date"), ("dataSource", "chosenID", "date")))

# In upload order: a daily production names a well that must already exist.
RESOURCES = MappingProxyType({r.name: r for r in (WELLS, DAILY_PRODUCTIONS)})
FILE_ALIASES = MappingProxyType({"daily-production": "daily-productions"})


def resource_for_file(stem: str) -> Resource | None:
    """The resource a `resources/<stem>.sql` file feeds, or None for an unknown name."""
    return RESOURCES.get(FILE_ALIASES.get(stem, stem))
