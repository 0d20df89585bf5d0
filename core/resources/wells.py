"""Wells: `PUT /v1/wells` (replace each well) or `PATCH /v1/wells` (change the fields sent).

Keyed by dataSource + chosenID (a `di` well may go by its api14 alone). A query with an `id`
column names each well by its ComboCurve id too, as the spec allows: the API then writes that
very well (its chosenID and dataSource must still match it), and the ledger keys it by its id.
"""

import numpy as np

from .base import (
    API_RULES,
    BOOLEAN,
    CHOSEN_ID_RULE,
    DATA_SOURCE,
    DATE,
    NUMBER,
    STRING,
    WELL_ID_RULE,
    Field,
    Need,
    Resource,
    fields,
    needs,
    numbered,
)
from .rules import column, duplicates, present, required

COORDINATE_PAIRS = (("surfaceLatitude", "surfaceLongitude"), ("heelLatitude", "heelLongitude"),
                    ("toeLatitude", "toeLongitude"))


def _chosen_id(records):
    """chosenID is required, except that a `di` well may be known by its api14 alone."""
    stand_in = (column(records, "dataSource") == "di").to_numpy() & present(records, "api14")
    for position in np.flatnonzero(~present(records, "chosenID") & ~stand_in):
        yield position, "chosenID", "required"


def _keys(records) -> list:
    """How the API keys each well: dataSource and chosenID, or the api14 of a `di` well
    standing in for its chosenID (so the two spellings of one well collide); None: no key."""
    sources, chosen, api14 = (column(records, n).tolist()
                              for n in ("dataSource", "chosenID", "api14"))
    return [(s, c) if c is not None else (s, a) if s == "di" and a is not None else None
            for s, c, a in zip(sources, chosen, api14, strict=True)]


def _coordinate_pairs(records):
    for first, second in COORDINATE_PAIRS:
        a, b = present(records, first), present(records, second)
        for position in np.flatnonzero(a != b):
            lone, other = (first, second) if a[position] else (second, first)
            yield position, lone, f"given without {other}"


WELLS = Resource.build("wells", "/v1/wells", 1000, "well", [
    Field("id", STRING, rule=WELL_ID_RULE, identifier=True),
    DATA_SOURCE,
    Field("chosenID", STRING, rule=CHOSEN_ID_RULE, identifier=True),
    *fields(STRING, "chosenKeyID dataSourceCustomName", identifier=True),
    *[Field(name, STRING, rule=rule, identifier=True) for name, rule in API_RULES.items()],
    *fields(STRING, "ariesId phdwinId ihsId drillinginfoId tgsId rsegId spgciId",
            identifier=True),
    *fields(STRING, """wellName wellNumber wellType status primaryProduct productionMethod
        recoveryMethod holeDirection fluidType flowPath allocationType elevationType rig padName
        county state country basin play subplay field district abstract block section survey
        township range typeCurveArea currentOperator currentOperatorAlias currentOperatorCode
        currentOperatorTicker previousOperator previousOperatorAlias previousOperatorCode
        previousOperatorTicker leaseName leaseNumber gasGatherer oilGatherer nglGatherer
        landingZone targetFormation toeInLandingZone toeUp parentChildAnyZone
        parentChildSameZone completionDesign firstFracVendor firstTreatmentType
        refracFracVendor refracTreatmentType proppantMeshSize proppantType prmsReservesCategory
        prmsReservesSubCategory prmsResourcesClass"""),
    *fields(NUMBER, """surfaceLatitude surfaceLongitude heelLatitude heelLongitude toeLatitude
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
    *fields(DATE, """firstProdDate spudDate permitDate til completionStartDate
        completionEndDate drillStartDate drillEndDate dateRigRelease refracDate
        gasAnalysisDate"""),
    *fields(STRING, numbered("customString", 35)),
    *fields(NUMBER, numbered("customNumber", 20)),
    *fields(DATE, numbered("customDate", 20)),
    *fields(BOOLEAN, numbered("customBool", 5)),
], identity=(("dataSource", "chosenID"), ("dataSource", "api14")), id_field="id",
    writes=("put", "patch"),
    needs=(*needs("dataSource"),
           Need("chosenID", (frozenset({"chosenID"}), frozenset({"api14"})))),
    row_rules=(required("dataSource"), _chosen_id, _coordinate_pairs,
               duplicates(_keys, "same well")))

# What a well's own data is, as opposed to the fields that say which well it is: the fields
# a PUT clears when the query leaves them out.
IDENTITY_FIELDS = frozenset({"id", "dataSource", "chosenID"})
