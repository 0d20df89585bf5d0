"""Monthly productions: any day names its month, sent as the month's 15th (what ComboCurve
stores); two rows of one well in one month are a duplicate; every writable field arrives."""

import json

import pyarrow.parquet as pq
import pytest

import core
from conftest import write_project
from core.errors import ProjectError
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")

WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID FROM w ORDER BY id"
MONTHLY_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil, gas,
    water, days AS days_on FROM m ORDER BY seq"""
NUMBERS = ["choke", "gas_injection", "water_injection", "co2_injection", "steam_injection",
           "ngl", *(f"custom_number_{i}" for i in range(20))]


def _fill(db, rows: list[tuple]) -> None:
    """rows: (seq, well, day, oil)."""
    db.run("DROP TABLE IF EXISTS m", "DROP TABLE IF EXISTS w",
           "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
           "INSERT INTO w VALUES ('A1'), ('B2')",
           "CREATE TABLE m (seq INT PRIMARY KEY, well VARCHAR(12), day DATE, oil INT, gas INT, "
           "water INT, days INT)")
    db.run("INSERT INTO m VALUES " + ", ".join(
        f"({seq}, '{well}', '{day}', {oil}, {oil * 3}, {oil * 2}, 30)"
        for seq, well, day, oil in rows))


@pytest.fixture
def project(mariadb, tmp_path):
    _fill(mariadb, [(1, "A1", "2024-01-01", 100), (2, "A1", "2024-02-29", 90),
                    (3, "B2", "2024-01-31", 50), (4, "B2", "2024-02-10", 45)])
    return write_project(tmp_path / "p", mariadb.section(),
                         {"wells": WELLS_SQL, "monthly-productions": MONTHLY_SQL})


def test_any_day_names_its_month_and_the_15th_is_sent(project, emulator):
    assert core.preview(project, "monthly-productions")["date"].tolist() == [
        "2024-01-15", "2024-02-15", "2024-01-15", "2024-02-15"]

    report = start(project, base_url=emulator.base_url)

    assert report.ok, report.summary()
    assert [r.name for r in report.resources] == ["wells", "monthly-productions"]
    held = {(m["chosenID"], m["date"]): m for m in emulator.monthly_productions()}
    assert sorted(held) == [("A1", "2024-01-15T00:00:00.000Z"), ("A1", "2024-02-15T00:00:00.000Z"),
                            ("B2", "2024-01-15T00:00:00.000Z"), ("B2", "2024-02-15T00:00:00.000Z")]
    assert held[("B2", "2024-01-15T00:00:00.000Z")]["daysOn"] == 30
    assert held[("A1", "2024-02-15T00:00:00.000Z")]["oil"] == 90


def test_another_day_of_the_same_month_is_the_same_record(mariadb, project, emulator):
    start(project, base_url=emulator.base_url)
    mariadb.run("UPDATE m SET day = '2024-01-20' WHERE seq = 1")  # same month, same values

    again = start(project, base_url=emulator.base_url)

    monthly = again.resource("monthly-productions")
    assert (monthly.unchanged, monthly.records_sent) == (4, 0)


@pytest.mark.parametrize("page_size", [100, 2], ids=["same-page", "later-page"])
def test_two_rows_of_one_well_in_one_month_are_a_duplicate(mariadb, emulator, tmp_path,
                                                           page_size):
    _fill(mariadb, [(1, "A1", "2024-03-01", 100), (2, "B2", "2024-03-01", 7),
                    (3, "A1", "2024-03-31", 120), (4, "A1", "2024-04-30", 80)])
    project = write_project(tmp_path / "p", mariadb.section(),
                            {"wells": WELLS_SQL, "monthly-productions": MONTHLY_SQL})

    report = start(project, limit=0, page_size=page_size, base_url=emulator.base_url)

    monthly = report.resource("monthly-productions")
    assert monthly.unaccounted == 0
    with open(monthly.rejects_file, encoding="utf-8") as handle:
        rejects = {line["row"]: line for line in map(json.loads, handle)}
    if page_size == 100:  # both refused: the API would refuse both in one request
        assert sorted(rejects) == [1, 3] and monthly.accepted == 2
        assert "same well and month as row 3 in the same page" in rejects[1]["reason"]
        assert "same well and month as row 1 in the same page" in rejects[3]["reason"]
    else:  # the first was sent with its page; the second is the duplicate
        assert sorted(rejects) == [3] and monthly.accepted == 3
        assert "same monthly production as row 1, sent earlier" in rejects[3]["reason"]
    assert rejects[3]["values"]["date"] == "2024-03-31"
    assert rejects[3]["fields"] == ["duplicate"]


def test_every_writable_field_arrives_and_daily_fields_are_refused(mariadb, emulator, tmp_path):
    mariadb.run("DROP TABLE IF EXISTS w", "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
                "INSERT INTO w VALUES ('A1')")
    values = ", ".join(f"{n + 1}.5 AS {name}" for n, name in enumerate(NUMBERS))
    project = write_project(tmp_path / "p", mariadb.section(), {
        "wells": WELLS_SQL,
        "monthly-productions": f"""SELECT 'internal' AS data_source, 'A1' AS chosen_id,
            DATE '2024-05-09' AS date, 1 AS oil, 2 AS gas, 3 AS water, 31 AS days_on,
            'SHUT-IN' AS operational_tag, {values}"""})

    report = start(project, base_url=emulator.base_url)

    assert report.ok, report.summary()
    (held,) = emulator.monthly_productions()
    assert (held["oil"], held["daysOn"], held["operationalTag"]) == (1, 31, "SHUT-IN")
    assert held["customNumber19"] == len(NUMBERS) + 0.5 and held["co2Injection"] == 4.5

    (project / "resources" / "monthly-productions.sql").write_text(
        "SELECT 'internal' AS dataSource, 'A1' AS chosenID, DATE '2024-05-09' AS date, "
        "24 AS hours_on")
    with pytest.raises(ProjectError, match="column 'hours_on' is not a ComboCurve monthly "
                                           "production field"):
        start(project, base_url=emulator.base_url)


def test_a_snapshot_holds_the_month_as_sent(project, emulator, tmp_path):
    report = start(project, base_url=emulator.base_url, snapshot_dir=tmp_path / "audit")

    table = pq.read_table(report.resource("monthly-productions").snapshot_file)
    assert str(table.schema.field("date").type) == "date32[day]"
    assert [d.isoformat() for d in table.column("date").to_pylist()] == [
        "2024-01-15", "2024-02-15", "2024-01-15", "2024-02-15"]
    assert set(table.column("status").to_pylist()) == {"OK"}
