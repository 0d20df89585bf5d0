"""Monthly productions: `PUT /v1/monthly-productions`, upserted by well and month.

The date names a month: any day of it is that month. ComboCurve stores (and answers) a month
as its 15th, midnight UTC, whatever day was sent (the 2023 server moves every date there; the
public spec only says `format: date`), so the sync sends that 15th (`2024-03-15`): what is
sent is what ComboCurve holds, no time zone can move it to another month, and two rows of one
well in one month (2024-03-01 and 2024-03-31) are the duplicate they are, rejected before
sending with both rows named. Fields are the spec's: hoursOn and the pressures are daily only.
"""

from .base import MONTH, NUMBER, STRING, Field, Resource, fields, needs, numbered
from .daily import DATED_IDENTITY, DATED_KEYS, WELL_IDENTITY, WELL_NEED
from .rules import duplicates, required, well_named

MONTHLY_PRODUCTIONS = Resource.build("monthly-productions", "/v1/monthly-productions", 20000,
                                     "monthly production", [
    *WELL_IDENTITY,
    Field("date", MONTH),
    Field("operationalTag", STRING),
    *fields(NUMBER, """oil gas water choke daysOn gasInjection waterInjection co2Injection
        steamInjection ngl"""),
    *fields(NUMBER, numbered("customNumber", 20)),
], identity=DATED_IDENTITY,
    needs=(*needs("date"), WELL_NEED),
    row_rules=(required("date"), well_named, duplicates(DATED_KEYS, "same well and month")))
