"""Daily productions: `PUT /v1/daily-productions`, upserted by well and UTC day.

A row names its well by `well` (its ComboCurve id) or by chosenID + dataSource; the well must
exist in ComboCurve, so wells are synced first. Fields not sent keep their stored values.
"""

from .base import (
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
from .rules import duplicates, keyed_by_well, required, well_named

# How a production row names its well, and what it needs for that (daily and monthly alike).
WELL_IDENTITY = (Field("well", STRING, rule=WELL_ID_RULE, identifier=True),
                 Field("chosenID", STRING, identifier=True), DATA_SOURCE)
WELL_NEED = Need("well (or chosenID and dataSource)",
                 (frozenset({"well"}), frozenset({"chosenID", "dataSource"})))
DATED_IDENTITY = (("well", "date"), ("dataSource", "chosenID", "date"))
DATED_KEYS = keyed_by_well("date")  # how the API keys a row: its well and day (or month)

DAILY_PRODUCTIONS = Resource.build("daily-productions", "/v1/daily-productions", 20000,
                                   "daily production", [
    *WELL_IDENTITY,
    Field("date", DATE),
    Field("operationalTag", STRING),
    *fields(NUMBER, """oil gas water choke hoursOn gasLiftInjectionPressure
        bottomHolePressure tubingHeadPressure flowlinePressure casingHeadPressure
        vesselSeparatorPressure gasInjection waterInjection co2Injection steamInjection ngl"""),
    *fields(NUMBER, numbered("customNumber", 20)),
], identity=DATED_IDENTITY,
    needs=(*needs("date"), WELL_NEED),
    row_rules=(required("date"), well_named, duplicates(DATED_KEYS, "same well and day")))
