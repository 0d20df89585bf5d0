"""The sync end to end: real MariaDB / PostgreSQL in, the emulator's store and log out."""

import importlib.util
import shutil

import pytest

from conftest import ROOT, load_sample, read_jsonl, write_project
from core.errors import ProjectError
from core.main import start

EXAMPLE = ROOT / "example"


pytestmark = pytest.mark.usefixtures("emulator_credentials")


def _iso_day(value) -> str:
    return value.strftime("%Y-%m-%d")


def test_example_end_to_end_matches_database(sample_mariadb, mariadb_server, api_env, tmp_path):
    report = start(EXAMPLE, rejects_dir=None, state=tmp_path / "state")

    assert report.ok, report.summary()
    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert (wells.rows_read, wells.accepted, wells.requests) == (300, 300, 3)
    assert (daily.rows_read, daily.accepted, daily.requests) == (1000, 1000, 10)
    assert daily.more_available and not wells.more_available

    with mariadb_server.connect() as conn:
        source = {r.id: r for r in conn.exec_driver_sql("SELECT * FROM global.wells")}
        days = list(conn.exec_driver_sql(
            "SELECT * FROM global.daily_productions ORDER BY id LIMIT 1000"))
    stored = {w["chosenID"]: w for w in api_env.wells()}
    assert stored.keys() == source.keys()
    for chosen_id, row in source.items():
        well = stored[chosen_id]
        assert well["dataSource"] == "internal"
        assert well["wellName"] == row.well_name
        assert well["api14"] == row.api_14
        assert well.get("perfLateralLength") == row.perf_lateral_length
        assert well.get("county") == row.county
        assert (well["state"], well["country"]) == (row.state, "US")
    by_key = {(d["chosenID"], d["date"][:10]): d for d in api_env.daily_productions()}
    assert len(by_key) == 1000
    for row in days:
        stored_day = by_key[(row.well, _iso_day(row.date))]
        assert (stored_day.get("oil"), stored_day.get("gas"), stored_day.get("water")) == \
            (row.oil, row.gas, row.water)


def _wells_table(db, count: int, *, start: int = 1) -> None:
    db.run("DROP TABLE IF EXISTS wells",
           "CREATE TABLE wells (id INT PRIMARY KEY, name VARCHAR(40))")
    values = ", ".join(f"({i}, 'W{i}')" for i in range(start, start + count))
    db.run(f"INSERT INTO wells VALUES {values}")


WELLS_BY_INT_ID = {"wells": """\
    SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM wells ORDER BY id"""}


@pytest.mark.parametrize(("rows", "limit", "expected_requests", "more"), [
    (250, 1000, [100, 100, 50], False),
    (1500, 1000, [100] * 10, True),
    (1500, 0, [1000, 500], False),
], ids=["250-rows", "1500-rows-default-limit", "1500-rows-no-limit-largest-requests"])
def test_pages_of_100_up_to_the_limit(mariadb, emulator, tmp_path, rows, limit,
                                      expected_requests, more):
    _wells_table(mariadb, rows)
    project = write_project(tmp_path / "p", mariadb.section(), WELLS_BY_INT_ID)

    report = start(project, limit=limit, base_url=emulator.base_url, concurrency=1)

    counts = [r.record_count for r in emulator.requests if r.method == "PUT"]
    assert counts == expected_requests
    wells = report.resource("wells")
    assert wells.records_sent == wells.accepted == sum(expected_requests)
    assert wells.more_available is more
    assert len(emulator.wells()) == sum(expected_requests)
    assert "more rows remain" in report.summary() if more else True


def test_page_size_auto_and_explicit(mariadb, emulator, tmp_path):
    _wells_table(mariadb, 1500)
    project = write_project(tmp_path / "p", mariadb.section(), WELLS_BY_INT_ID)

    start(project, limit=0, page_size=300, base_url=emulator.base_url, state=False)
    start(project, limit=1200, page_size="auto", base_url=emulator.base_url, state=False)
    plan = start(project, limit=0, dry_run=True, base_url=emulator.base_url, state=False)

    counts = [r.record_count for r in emulator.requests if r.method == "PUT"]
    assert counts == [300] * 5 + [1000, 200]
    assert plan.resource("wells").requests == 2  # the plan uses the page size actually used


def test_wells_go_before_daily_productions(mariadb, emulator, tmp_path):
    mariadb.run("DROP TABLE IF EXISTS w", "CREATE TABLE w (id VARCHAR(12))",
                "INSERT INTO w VALUES ('A1'), ('B2')",
                "DROP TABLE IF EXISTS d", "CREATE TABLE d (well VARCHAR(12), day DATE, oil INT)",
                "INSERT INTO d VALUES ('A1', '2024-01-01', 5), ('B2', '2024-01-01', 7)")
    # written daily first, and named so that it also sorts first
    project = write_project(tmp_path / "p", mariadb.section(), {
        "daily-production": "SELECT 'internal' AS dataSource, well AS chosenID, day AS date, "
                            "oil FROM d",
        "wells": "SELECT 'internal' AS dataSource, id AS chosenID FROM w"})

    report = start(project, base_url=emulator.base_url)

    assert report.ok, report.summary()
    assert [r.name for r in report.resources] == ["wells", "daily-productions"]
    paths = [r.path for r in emulator.requests]
    assert paths == ["/v1/wells", "/v1/daily-productions"]
    assert emulator.requests[0].finished <= emulator.requests[1].started


def test_values_typed_by_field(mariadb, emulator, tmp_path):
    mariadb.run(
        "DROP TABLE IF EXISTS typed",
        """CREATE TABLE typed (
            id INT, code VARCHAR(12), lateral_len INT NULL, depth DECIMAL(10,2),
            spud DATETIME NULL, lat DOUBLE NULL, lon DOUBLE NULL)""",
        """INSERT INTO typed VALUES
            (7, '00012', 5280, 1234.50, '2024-03-01 18:30:00', 31.5, -102.25),
            (8, '00013', NULL, 900.00, NULL, NULL, NULL)""")
    project = write_project(tmp_path / "p", mariadb.section(), {"wells": """\
        SELECT 'internal' AS data_source, id AS chosen_id, code AS api_10_alias_unused,
        lateral_len AS perf_lateral_length, depth AS measured_depth, spud AS spud_date,
        lat AS surface_latitude, lon AS surface_longitude FROM typed ORDER BY id"""})
    with pytest.raises(ProjectError, match="api_10_alias_unused"):
        start(project, base_url=emulator.base_url)
    assert emulator.requests == []  # the unknown column stopped the run before any request

    (project / "resources" / "wells.sql").write_text("""\
        SELECT 'internal' AS data_source, id AS chosen_id, code AS custom_string_0,
        lateral_len AS perf_lateral_length, depth AS measured_depth, spud AS spud_date,
        lat AS surface_latitude, lon AS surface_longitude FROM typed ORDER BY id""")
    report = start(project, base_url=emulator.base_url)

    assert report.ok, report.summary()
    first, second = sorted(emulator.wells(), key=lambda w: w["chosenID"])
    assert first["chosenID"] == "7" and type(first["chosenID"]) is str
    assert first["customString0"] == "00012"
    assert first["perfLateralLength"] == 5280 and type(first["perfLateralLength"]) is int
    assert first["measuredDepth"] == 1234.5
    assert second["measuredDepth"] == 900 and type(second["measuredDepth"]) is int
    assert first["spudDate"].startswith("2024-03-01")
    assert (first["surfaceLatitude"], first["surfaceLongitude"]) == (31.5, -102.25)
    assert second.get("perfLateralLength") is None and second.get("spudDate") is None


def test_unknown_column_names_file_column_and_closest_field(mariadb, emulator, tmp_path):
    _wells_table(mariadb, 3)
    project = write_project(tmp_path / "p", mariadb.section(), {
        "wells": "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellNmae FROM wells",
        "daily-productions": "SELECT 'internal' AS dataSource, 'x' AS chosenID, "
                             "'2024-01-01' AS date"})

    with pytest.raises(ProjectError) as caught:
        start(project, base_url=emulator.base_url)

    assert str(caught.value) == ("resources/wells.sql: column 'wellNmae' is not a ComboCurve "
                                 "well field (did you mean 'wellName'?)")
    assert emulator.requests == []


def test_rows_the_api_would_refuse_are_reported_not_sent(mariadb, emulator, tmp_path):
    mariadb.run("DROP TABLE IF EXISTS odd",
                "CREATE TABLE odd (id VARCHAR(40), src VARCHAR(10), api VARCHAR(20), n VARCHAR(9))",
                """INSERT INTO odd VALUES ('GOOD1', 'internal', '42123456789012', '12'),
                   ('BAD-ID', 'internal', NULL, NULL), (NULL, 'internal', NULL, NULL),
                   ('APIBAD', 'internal', '4212', NULL), ('SRC', 'nowhere', NULL, NULL),
                   ('NUM', 'internal', NULL, 'abc'), ('DUP', 'internal', NULL, NULL),
                   ('DUP', 'internal', NULL, NULL)""")
    project = write_project(tmp_path / "p", mariadb.section(), {"wells": """\
        SELECT src AS dataSource, id AS chosenID, api AS api14, n AS lateralLength FROM odd"""})

    report = start(project, base_url=emulator.base_url)

    wells = report.resource("wells")
    assert (wells.rows_read, wells.accepted, wells.rejected, wells.unaccounted) == (8, 1, 7, 0)
    assert [r.record_count for r in emulator.requests] == [1]
    lines = read_jsonl(wells.rejects_file)
    reasons = {line["row"]: line["reason"] for line in lines}
    assert reasons == {
        2: "chosenID: 'BAD-ID' must be 1-32 letters and digits",
        3: "chosenID: required",
        4: "api14: '4212' must be exactly 14 digits",
        5: "dataSource: 'nowhere' is not one of di, ihs, phdwin, aries, internal, other",
        6: "lateralLength: 'abc' is not a number",
        7: "duplicate: same well as row 8 in the same page",
        8: "duplicate: same well as row 7 in the same page",
    }
    assert lines[0]["values"] == {"dataSource": "internal", "chosenID": "BAD-ID",
                                  "api14": None, "lateralLength": None}
    assert [line["fields"] for line in lines] == [
        ["chosenID"], ["chosenID"], ["api14"], ["dataSource"], ["lateralLength"],
        ["duplicate"], ["duplicate"]]
    assert not report.ok


def test_current_directory_is_the_default_project(mariadb, emulator, tmp_path, monkeypatch):
    _wells_table(mariadb, 2)
    project = write_project(tmp_path / "p", mariadb.section(), WELLS_BY_INT_ID)
    monkeypatch.chdir(project)

    report = start(base_url=emulator.base_url)

    assert report.resource("wells").accepted == 2
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectError, match="is not a ComboCurve Sync project: no combocurve"):
        start()


def test_postgres_end_to_end(postgres, emulator, tmp_path):
    load_sample(postgres.url)
    project = tmp_path / "pg"
    shutil.copytree(EXAMPLE / "resources", project / "resources")
    write_project(project, postgres.section(), {})

    report = start(project, base_url=emulator.base_url, limit=0, page_size=1000)

    assert report.ok, report.summary()
    assert report.resource("wells").accepted == 300
    assert report.resource("daily-productions").accepted == 12600
    rows = postgres.rows("SELECT id, api_14, perf_lateral_length FROM global.wells")
    stored = {w["chosenID"]: w for w in emulator.wells()}
    assert {r["id"]: (r["api_14"], r["perf_lateral_length"]) for r in rows} == \
        {k: (w["api14"], w.get("perfLateralLength")) for k, w in stored.items()}
    assert len(emulator.daily_productions()) == 12600


def test_a_long_run_is_announced_before_it_starts(mariadb, emulator, tmp_path, caplog):
    """The estimate is the row limit, else what the ledger knows: the query is not counted."""
    mariadb.run("DROP TABLE IF EXISTS many", "CREATE TABLE many (id INT)",
                "INSERT INTO many SELECT seq FROM seq_1_to_25000")
    project = write_project(tmp_path / "p", mariadb.section(), {
        "daily-productions": "SELECT 'internal' AS dataSource, id AS chosenID, "
                             "'2024-01-01' AS date FROM many ORDER BY id"})
    emulator.sink = True  # no wells behind these rows: only the announcement matters here
    runs = [start(project, limit=0, page_size=20000, base_url=emulator.base_url),  # all new
            start(project, limit=0, page_size=100, base_url=emulator.base_url),  # ledger: 25k
            start(project, limit=25000, page_size=100, base_url=emulator.base_url)]  # the limit

    assert [r.resource("daily-productions").unchanged for r in runs] == [0, 25000, 25000]
    announced = [r.getMessage() for r in caplog.records if "requests a minute" in r.getMessage()]
    assert announced == 2 * [
        "daily-productions: up to 25,000 rows at 100 per request and 190 requests a minute "
        "take about 79 seconds; --page-size 20000 takes about 1 second of quota"]


def test_sqlserver_without_its_driver_is_a_clear_resource_error(emulator, tmp_path):
    if importlib.util.find_spec("pymssql") is not None:
        pytest.skip("pymssql is installed here; this checks the message when it is not")
    project = write_project(tmp_path / "p", """\
        [connection]
        type = "sqlserver"
        [sqlserver]
        host = "127.0.0.1"
        user = "sa"
        """, WELLS_BY_INT_ID)

    report = start(project, base_url=emulator.base_url)

    assert report.resource("wells").errors == [
        "sqlserver 127.0.0.1:1433: the pymssql driver is not installed; "
        "pip install 'combocurve-sync[sqlserver]'"]
    assert emulator.requests == []


def test_a_page_of_several_data_sources_goes_as_one_request_each(mariadb, emulator, tmp_path):
    mariadb.run("DROP TABLE IF EXISTS mixed", "CREATE TABLE mixed (n INT, src VARCHAR(9))",
                "INSERT INTO mixed VALUES (1, 'internal'), (2, 'di'), (3, 'internal')")
    project = write_project(tmp_path / "p", mariadb.section(), {
        "wells": "SELECT src AS dataSource, CONCAT('M', n) AS chosenID FROM mixed ORDER BY n"})

    report = start(project, base_url=emulator.base_url)

    assert report.ok and report.resource("wells").requests == 2
    assert sorted((r.record_count, r.data_source) for r in emulator.requests) == \
        [(1, "di"), (2, "internal")]  # sent concurrently: any order
    assert {w["chosenID"]: w["dataSource"] for w in emulator.wells()} == \
        {"M1": "internal", "M2": "di", "M3": "internal"}
