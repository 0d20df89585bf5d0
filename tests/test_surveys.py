"""Directional surveys: station rows gathered into one document per well, created or updated
one request per well, found once and remembered, and bad stations refused whole."""

import json
import logging

import pyarrow.parquet as pq
import pytest

from conftest import read_jsonl, write_project
from core.client import Answer
from core.main import start
from core.resources.surveys import changes
from core.state import COMBOCURVE_ID, Ledger
from core.writers import _outcome

pytestmark = pytest.mark.usefixtures("emulator_credentials")

WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID FROM w ORDER BY id"
SURVEYS_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, datum AS spatial_data_type,
    md AS measured_depth, tvd AS true_vertical_depth, inc AS inclination, azi AS azimuth,
    ns AS deviation_ns, ew AS deviation_ew, lat AS latitude, lon AS longitude
    FROM s ORDER BY seq"""
PATH = "/v1/directional-surveys"


def _station(seq, well, md, *, datum="NAD83", inc=None, azi=12.5, lat=31.5):
    inc = min(90.0, md / 100) if inc is None else inc
    azi = "NULL" if azi is None else azi
    return (f"({seq}, '{well}', '{datum}', {md}, {md * 0.9:.2f}, {inc}, {azi}, {md * 0.1:.2f}, "
            f"{md * 0.05:.2f}, {lat}, -102.25)")


def _fill(db, stations: list[str], wells=("A1", "B2", "C3")) -> None:
    db.run("DROP TABLE IF EXISTS s", "DROP TABLE IF EXISTS w",
           "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
           "CREATE TABLE s (seq INT PRIMARY KEY, well VARCHAR(12), datum VARCHAR(5), "
           "md DOUBLE PRECISION, tvd DOUBLE PRECISION, inc DOUBLE PRECISION, "
           "azi DOUBLE PRECISION, ns DOUBLE PRECISION, ew DOUBLE PRECISION, "
           "lat DOUBLE PRECISION, lon DOUBLE PRECISION)",
           "INSERT INTO w VALUES " + ", ".join(f"('{w}')" for w in wells))
    db.run("INSERT INTO s VALUES " + ", ".join(stations))


def _good(wells=("A1", "B2", "C3"), count=7) -> list[str]:
    return [_station(n * 100 + i, well, i * 500) for n, well in enumerate(wells)
            for i in range(count)]


@pytest.fixture
def project(mariadb, tmp_path):
    _fill(mariadb, _good())
    return write_project(tmp_path / "p", mariadb.section(),
                         {"wells": WELLS_SQL, "directional-surveys": SURVEYS_SQL})


def _survey_requests(emulator) -> list[tuple[str, str]]:
    """The requests made for surveys: theirs, and the look-ups of wells."""
    return [(r.method, r.path + (f"?{r.query}" if r.query else "")) for r in emulator.requests
            if r.path.startswith(PATH) or (r.path == "/v1/wells" and r.method == "GET")]


def _held(emulator) -> dict[str, dict]:
    return {s["chosenID"]: s for s in emulator.directional_surveys()}


def _ledger_ids(project, base_url) -> dict:
    ledger = Ledger.read(project / ".combocurve")
    held = ledger.records(base_url, "directional-surveys").to_pandas()
    ledger.close()
    return dict(zip(held["chosenID"], held.get(COMBOCURVE_ID, [None] * len(held)), strict=True))


def test_stations_become_one_survey_per_well_across_pages(project, emulator):
    report = start(project, limit=0, page_size=5, base_url=emulator.base_url, concurrency=1)

    assert report.ok, report.summary()
    surveys = report.resource("directional-surveys")
    assert (surveys.rows_read, surveys.accepted, surveys.new) == (21, 21, 21)
    held = _held(emulator)
    assert sorted(held) == ["A1", "B2", "C3"]
    wells = {w["chosenID"]: w["id"] for w in emulator.wells()}
    for chosen_id, survey in held.items():
        assert survey["well"] == wells[chosen_id]
        assert survey["measuredDepth"] == [i * 500 for i in range(7)]
        assert survey["inclination"] == [min(90, i * 5) for i in range(7)]
        assert survey["spatialDataType"] == "NAD83"
    # each survey: looked for by its well (the ledger of wells knows its id), then created
    calls = [(m, p.split("?")[0]) for m, p in _survey_requests(emulator)]
    assert calls == [("GET", PATH), ("POST", PATH)] * 3
    assert surveys.requests == 6


def test_a_survey_is_found_once_then_updated_by_its_id(mariadb, project, emulator):
    start(project, limit=0, base_url=emulator.base_url)
    again = start(project, limit=0, base_url=emulator.base_url)
    assert again.resource("directional-surveys").unchanged == 21
    assert again.resource("directional-surveys").requests == 0

    # a station changes, one goes, one comes: ComboCurve's survey is found by its well (the
    # POST gave no id) and updated in place
    mariadb.run("UPDATE s SET inc = 45.5 WHERE seq = 3", "DELETE FROM s WHERE seq = 5",
                "INSERT INTO s VALUES " + _station(7, "A1", 3600))
    emulator.requests.clear()
    third = start(project, limit=0, base_url=emulator.base_url)

    surveys = third.resource("directional-surveys")
    assert (surveys.unchanged, surveys.changed, surveys.accepted) == (14, 7, 7)
    survey_id = _held(emulator)["A1"]["id"]
    assert _survey_requests(emulator) == [
        ("GET", f"{PATH}?well={emulator.wells()[0]['id']}&take=1"), ("PUT", f"{PATH}/{survey_id}")]
    a1 = _held(emulator)["A1"]
    assert a1["measuredDepth"] == [0, 500, 1000, 1500, 2000, 3000, 3600]
    assert a1["inclination"][3] == 45.5
    assert _ledger_ids(project, emulator.base_url)["A1"] == survey_id

    # the next change goes straight to the survey by the id the ledger kept
    mariadb.run("UPDATE s SET inc = 46 WHERE seq = 3")
    emulator.requests.clear()
    start(project, limit=0, base_url=emulator.base_url)
    assert _survey_requests(emulator) == [("GET", f"{PATH}/{survey_id}"),
                                          ("PUT", f"{PATH}/{survey_id}")]
    assert _held(emulator)["A1"]["inclination"][3] == 46


def test_a_survey_combocurve_holds_already_is_updated_not_created(project, emulator, tmp_path):
    start(project, limit=0, base_url=emulator.base_url, state=tmp_path / "elsewhere")
    emulator.edit("directional-surveys", {"chosenID": "B2"}, {"inclination": [0] * 7})
    emulator.requests.clear()

    report = start(project, limit=0, base_url=emulator.base_url,  # a ledger that knows nothing
                   concurrency=1)

    assert report.ok, report.summary()
    assert [m for m, _ in _survey_requests(emulator)] == ["GET", "PUT"] * 3  # no POST
    assert _held(emulator)["B2"]["inclination"] == [min(90, i * 5) for i in range(7)]
    assert len(emulator.directional_surveys()) == 3


def test_a_survey_deleted_in_combocurve_is_created_again(mariadb, project, emulator):
    start(project, limit=0, base_url=emulator.base_url)
    mariadb.run("UPDATE s SET inc = 45.5 WHERE seq = 3")
    start(project, limit=0, base_url=emulator.base_url)  # finds A1's id and keeps it
    survey_id = _held(emulator)["A1"]["id"]
    emulator.remove("directional-surveys", {"chosenID": "A1"})
    mariadb.run("UPDATE s SET inc = 46 WHERE seq = 3")
    emulator.requests.clear()

    report = start(project, limit=0, base_url=emulator.base_url, concurrency=1)

    assert report.ok, report.summary()
    assert [m for m, _ in _survey_requests(emulator)] == ["GET", "GET", "POST"]
    assert _survey_requests(emulator)[0] == ("GET", f"{PATH}/{survey_id}")
    assert _held(emulator)["A1"]["inclination"][3] == 46


def test_bad_stations_reject_their_whole_survey_with_reasons(mariadb, emulator, tmp_path):
    stations = [
        *[_station(i, "OK1", i * 500) for i in range(4)],
        *[_station(10 + i, "ORDER1", md) for i, md in enumerate([0, 1000, 500, 1500])],
        *[_station(20 + i, "TWICE1", md) for i, md in enumerate([0, 500, 500, 1000])],
        *[_station(30 + i, "HOLE1", i * 500, azi=None if i == 2 else 12.5) for i in range(4)],
        *[_station(40 + i, "STEEP1", i * 500, inc=200 if i == 3 else 10) for i in range(4)],
        *[_station(50 + i, "DATUM1", i * 500, datum="NAD27" if i == 1 else "NAD83")
          for i in range(3)],
        *[_station(60 + i, "NOWELL1", i * 500) for i in range(2)],
        _station(70, "SPLIT1", 0), _station(71, "SPLIT1", 500), _station(72, "OK2", 0),
        _station(73, "SPLIT1", 1000),
    ]
    wells = ("OK1", "OK2", "ORDER1", "TWICE1", "HOLE1", "STEEP1", "DATUM1", "SPLIT1")
    _fill(mariadb, stations, wells)
    project = write_project(tmp_path / "p", mariadb.section(),
                            {"wells": WELLS_SQL, "directional-surveys": SURVEYS_SQL})

    report = start(project, limit=0, page_size=3, base_url=emulator.base_url)

    surveys = report.resource("directional-surveys")
    assert surveys.unaccounted == 0 and surveys.rows_read == len(stations)
    assert surveys.accepted == 4 + 1 + 2  # OK1, OK2, and SPLIT1's first two stations
    assert sorted(_held(emulator)) == ["OK1", "OK2", "SPLIT1"]
    lines = read_jsonl(surveys.rejects_file)
    by_row = {line["row"]: line for line in lines}
    assert len(lines) == surveys.rejected == len(stations) - 7
    assert "measuredDepth: 500 comes after 1000 (row 6)" in by_row[7]["reason"]
    assert "ORDER BY the well, then measuredDepth" in by_row[7]["reason"]
    assert by_row[5]["fields"] == ["survey"] and "station at row 7" in by_row[5]["reason"]
    assert "duplicate depth 500: row 10 is at the same depth" in by_row[11]["reason"]
    assert by_row[15]["reason"] == "azimuth: required" and by_row[15]["fields"] == ["azimuth"]
    assert "station at row 15" in by_row[13]["reason"]
    assert "inclination: 200 must be between 0 and 180" in by_row[20]["reason"]
    assert "spatialDataType: 'NAD27' differs from 'NAD83' at row 21" in by_row[22]["reason"]
    assert "WellNotFoundError: ComboCurve has no well with chosenID 'NOWELL1'" in \
        by_row[24]["reason"] and by_row[24]["outcome"] == "rejected"
    assert "this well's stations came before, from row 26" in by_row[29]["reason"]
    assert "ORDER BY the well" in by_row[29]["reason"]
    assert by_row[29]["values"]["chosenID"] == "SPLIT1"


def test_the_limit_within_a_well_leaves_its_stations_for_a_later_run(project, emulator):
    report = start(project, limit=10, page_size=4, base_url=emulator.base_url)

    surveys = report.resource("directional-surveys")
    assert report.ok, report.summary()
    assert (surveys.rows_read, surveys.accepted, surveys.more_available) == (7, 7, True)
    assert sorted(_held(emulator)) == ["A1"]

    whole = start(project, limit=0, base_url=emulator.base_url)
    assert whole.resource("directional-surveys").unchanged == 7
    assert sorted(_held(emulator)) == ["A1", "B2", "C3"]


def test_a_dry_run_plans_one_request_per_well(project, emulator):
    plan = start(project, limit=0, dry_run=True, base_url=emulator.base_url)

    surveys = plan.resource("directional-surveys")
    assert (surveys.would_send, surveys.requests) == (21, 3)
    assert ("directional-surveys: a real run sends 21 station rows as 3 surveys (21 new, 0 "
            "changed; 0 unchanged, 0 rejected) in 3 requests, one per well") in plan.summary()
    assert emulator.requests == []


def test_retries_and_snapshots_work_for_surveys(project, emulator, tmp_path):
    start(project, limit=0, base_url=emulator.base_url, resources=["wells"])
    emulator.fail_next(2, 503)

    report = start(project, limit=0, base_url=emulator.base_url, concurrency=1,
                   resources=["directional-surveys"], snapshot_dir=tmp_path / "audit",
                   retry=None, max_wait=30)

    surveys = report.resource("directional-surveys")
    assert report.ok, report.summary()
    assert surveys.accepted == 21 and surveys.requests == 6 + 2
    table = pq.read_table(surveys.snapshot_file).to_pandas()
    assert len(table) == 21 and set(table["status"]) == {"created"}
    assert table["measuredDepth"].tolist()[:7] == [i * 500 for i in range(7)]


def test_the_put_body_says_what_to_add_update_and_remove():
    held = {"measuredDepth": [0, 500, 1000], **{name: [1, 2, 3] for name in (
        "trueVerticalDepth", "azimuth", "inclination", "deviationEW", "deviationNS",
        "latitude", "longitude")}}
    wanted = {"dataSource": "internal", "spatialDataType": "NAD83",
              "measuredDepth": [0, 1000, 1500], **{name: [1, 9, 4] for name in (
                  "trueVerticalDepth", "azimuth", "inclination", "deviationEW", "deviationNS",
                  "latitude", "longitude")}}

    body = changes(wanted, held)

    assert body["add"]["measuredDepth"] == [1500] and body["add"]["azimuth"] == [4]
    assert body["update"]["measuredDepth"] == [1000] and body["update"]["latitude"] == [9]
    assert body["remove"] == [500]
    assert (body["dataSource"], body["spatialDataType"]) == ("internal", "NAD83")


def test_an_update_answered_200_with_errors_is_a_failure():
    """ComboCurve answers a PUT whose stations cannot be merged 200 "updated", with the
    errors listed, and changes nothing: the errors decide."""
    answer = Answer(200, {"code": 200, "status": "updated", "errors": [
        {"name": "AddDuplicateItemError", "message": "The measured depth 500 is in the survey "
         "already", "location": "add.measuredDepth[0]"}]}, 1)

    outcome = _outcome(answer, "a" * 24)

    assert not outcome.ok
    assert outcome.message == ("AddDuplicateItemError: The measured depth 500 is in the survey "
                               "already at add.measuredDepth[0]")
    assert _outcome(Answer(200, {"code": 200, "status": "updated", "errors": []}, 1), "x").ok


def test_a_read_that_fails_within_a_well_accounts_for_its_stations(postgres, emulator,
                                                                  tmp_path):
    _fill(postgres, _good())
    # PostgreSQL computes a row when it is fetched: the 7th fails after the first page came
    failing = SURVEYS_SQL.replace("lat AS latitude", "lat + 1 / (seq - 6) * 0 AS latitude")
    project = write_project(tmp_path / "p", postgres.section(),
                            {"wells": WELLS_SQL, "directional-surveys": failing})

    report = start(project, limit=0, page_size=5, base_url=emulator.base_url, progress=True)

    surveys = report.resource("directional-surveys")
    assert surveys.errors and "division by zero" in surveys.errors[0]
    assert surveys.unaccounted == 0
    assert (surveys.rows_read, surveys.not_sent, surveys.accepted) == (5, 5, 0)
    with open(surveys.rejects_file, encoding="utf-8") as handle:
        line = json.loads(handle.readline())
    assert line["outcome"] == "not_sent"
    assert "before this well's stations were all read" in line["reason"]
    assert emulator.directional_surveys() == []


def test_a_long_run_is_announced_as_one_request_per_well(project, emulator, caplog):
    start(project, limit=0, base_url=emulator.base_url)

    with caplog.at_level(logging.WARNING, logger="core"):
        again = start(project, limit=0, rate_limit=2, base_url=emulator.base_url)

    assert again.ok and again.resource("directional-surveys").requests == 0
    assert ("directional-surveys: one request per well (a survey is one document): 3 surveys "
            "in the ledger at 2 requests a minute take about 2 minutes") in caplog.text
