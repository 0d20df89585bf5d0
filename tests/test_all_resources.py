"""All five resources, from the sample database in MariaDB and PostgreSQL, through example/'s
own queries, into the emulator; read back, everything ComboCurve holds equals the source."""

from decimal import Decimal

import pytest

from conftest import MARIADB, ROOT, load_sample, write_project
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")

RESOURCES = ["wells", "daily-productions", "monthly-productions", "directional-surveys",
             "ownership-qualifiers"]


class Sample:
    """The sample database in one server, under the schema name `schema` (MariaDB: a database
    of this module's own, so that no other run's `global` can get in the way)."""

    def __init__(self, database, schema: str):
        self.database, self.schema = database, schema

    def rows(self, sql: str) -> list[dict]:
        return self.database.rows(sql.replace("global.", f"{self.schema}."))

    def project(self, folder):
        """A project with example/'s queries, reading this copy of the sample."""
        queries = {file.stem: file.read_text(encoding="utf-8").replace("global.",
                                                                      f"{self.schema}.")
                   for file in (ROOT / "example" / "resources").glob("*.sql")}
        return write_project(folder, self.database.section(), queries)


@pytest.fixture(params=["mariadb", "postgres"])
def sample(request):
    database = request.getfixturevalue(request.param)
    if request.param == "mariadb":
        load_sample(MARIADB, database=database.name)
        return Sample(database, database.name)
    load_sample(database.url)
    return Sample(database, "global")


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _month(value) -> str:
    """How ComboCurve holds a month: its 15th."""
    return f"{value:%Y-%m}-15T00:00:00.000Z"


def test_every_resource_round_trips_from_each_database(sample, emulator, tmp_path):
    project = sample.project(tmp_path / "p")

    report = start(project, limit=0, base_url=emulator.base_url, state=tmp_path / "state")

    assert report.ok, report.summary()
    assert [r.name for r in report.resources] == RESOURCES
    for resource in report.resources:
        assert resource.rows_read == resource.accepted > 0, resource
        assert not resource.more_available

    wells = {w["chosenID"]: w for w in emulator.wells()}
    source_wells = sample.rows("SELECT id, well_name FROM global.wells")
    assert {w["id"]: w["well_name"] for w in source_wells} == \
        {c: w["wellName"] for c, w in wells.items()}

    monthly = {(m["chosenID"], m["date"]): m for m in emulator.monthly_productions()}
    source_monthly = sample.rows("SELECT * FROM global.monthly_productions")
    assert len(monthly) == len(source_monthly) == report.resource("monthly-productions").accepted
    for row in source_monthly:
        held = monthly[(row["well"], _month(row["date"]))]
        assert (held.get("oil"), held.get("gas"), held.get("water"), held.get("daysOn")) == \
            (row["oil"], row["gas"], row["water"], row["days_on"])

    surveys = {s["chosenID"]: s for s in emulator.directional_surveys()}
    stations = sample.rows("SELECT * FROM global.survey_stations ORDER BY well, md")
    assert set(surveys) == {s["well"] for s in stations}
    columns = {"measuredDepth": "md", "trueVerticalDepth": "tvd", "inclination": "inclination",
               "azimuth": "azimuth", "deviationNS": "ns", "deviationEW": "ew",
               "latitude": "latitude", "longitude": "longitude"}
    for chosen_id, survey in surveys.items():
        mine = [s for s in stations if s["well"] == chosen_id]
        assert survey["well"] == wells[chosen_id]["id"]
        assert survey["spatialDataType"] == mine[0]["datum"]
        for field, column in columns.items():
            assert survey[field] == [_number(s[column]) for s in mine], (chosen_id, field)

    qualifiers = {(q["chosenID"], q["qualifierKey"]): q["ownership"]
                  for q in emulator.ownership_qualifiers()}
    ownership = sample.rows("SELECT * FROM global.ownership")
    assert len(qualifiers) == len(ownership) == 410
    for row in ownership:
        held = qualifiers[(row["well"], row["qualifier"])]
        initial = held["initialOwnership"]
        assert held["name"] == row["deck_name"]
        assert (initial["workingInterest"], initial["netRevenueInterest"],
                initial["netProfitInterestType"], initial["netProfitInterest"]) == \
            (_number(row["wi"]), _number(row["nri"]), row["npi_type"], _number(row["npi"]))
        if row["lease_nri"] is not None:
            assert initial["leaseNetRevenueInterest"] == _number(row["lease_nri"])
        for number, name in ((1, "firstReversion"), (2, "secondReversion")):
            reversion = held[name]
            if row[f"rev{number}_type"] is None:
                assert reversion is None
                continue
            assert (reversion["reversionType"], reversion["workingInterest"],
                    reversion["netRevenueInterest"], reversion["leaseNetRevenueInterest"]) == (
                row[f"rev{number}_type"], _number(row[f"rev{number}_wi"]),
                _number(row[f"rev{number}_nri"]), _number(row[f"rev{number}_lease_nri"]))
            tied = reversion["reversionTiedTo"]
            on = row[f"rev{number}_date"]
            assert tied == (None if on is None else
                            {"type": "date", "value": f"{on:%Y-%m-%d}T00:00:00.000Z"})

    writes = len([r for r in emulator.requests if r.method in ("PUT", "POST", "PATCH")])
    again = start(project, limit=0, base_url=emulator.base_url, state=tmp_path / "state")
    assert again.ok, again.summary()
    for resource in again.resources:
        assert resource.unchanged == resource.rows_read and resource.requests == 0, resource
    assert len([r for r in emulator.requests if r.method in ("PUT", "POST", "PATCH")]) == writes
