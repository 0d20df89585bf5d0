"""verify: ComboCurve read back and compared with the database, field by field.

Against real MariaDB and PostgreSQL and the emulator, which plays another writer (`edit`,
`remove`) and drops negative volumes while answering OK, as the API does.
"""

import json
import logging
import os
import time
from datetime import timedelta

import pytest

import core
from conftest import read_jsonl, run_core, write_project
from core.client import ApiClient
from core.credentials import BearerToken, Secret
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN
from core.main import start
from core.verification import run_verify
from production_data import (
    DAYS,
    MONTHLY_SQL,
    MONTHS,
    WELLS,
    WELLS_SQL,
    fill_monthly,
    production_project,
)

pytestmark = pytest.mark.usefixtures("emulator_credentials")  # the CLI's children inherit them

REPORT_KEYS = ["name", "equal", "different", "only_in_database", "only_in_combocurve",
               "requests", "differences_file"]


@pytest.fixture
def project(production, tmp_path):
    return production_project(tmp_path / "p", production)


@pytest.fixture
def maria_project(maria, tmp_path):
    return maria, production_project(tmp_path / "p", maria)


def _verify_cli(project, emulator, *args, env=None):
    return run_core("verify", project, "--base-url", emulator.base_url, *args, env=env)


def _differences(path) -> set[tuple]:
    found = read_jsonl(path)
    return {(d["resource"], d["outcome"], d["key"].get("chosenID"), d["key"].get("date"),
             d["field"], json.dumps(d["combocurve"]), json.dumps(d["database"])) for d in found}


def test_verify_after_a_clean_sync_reports_all_equal(project, emulator, tmp_path):
    assert start(project, limit=0, base_url=emulator.base_url).ok

    done = _verify_cli(project, emulator, "--report", str(tmp_path / "report.json"))

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == {"ok": True, "resources": [
        dict(zip(REPORT_KEYS, ["wells", WELLS, 0, 0, 0, 1, None], strict=True)),
        dict(zip(REPORT_KEYS, ["daily-productions", WELLS * DAYS, 0, 0, 0, 1, None],
                 strict=True))]}
    assert "Traceback" not in done.stderr and not (project / "verify").exists()
    assert "daily-productions: verify reads 600 records of ComboCurve in at least 1 GET " \
           "request (1 read unit)" in done.stderr
    for secret in (DEFAULT_API_KEY, DEFAULT_TOKEN):
        assert secret not in done.stdout + done.stderr + json.dumps(report)
    gets = [r for r in emulator.requests if r.method == "GET"]
    assert [r.path for r in gets] == ["/v1/wells", "/v1/daily-productions"]
    assert "take=1000" in gets[0].query and "take=20000" in gets[1].query


def test_three_edits_and_two_dropped_volumes_are_exactly_the_five_differences(
        production, project, emulator, tmp_path):
    production.run("UPDATE d SET oil = -5 WHERE (well = 'W002' AND day = '2024-01-03') OR "
                 "(well = 'W004' AND day = '2024-01-06')")
    emulator.drop_negative_volumes = True  # the 207 says OK and the volume is gone
    sync = start(project, limit=0, base_url=emulator.base_url)
    assert sync.ok, sync.summary()
    emulator.edit("wells", {"chosenID": "W005"}, {"county": "Loving"})
    emulator.edit("daily-productions", {"chosenID": "W007", "date": "2024-01-10"},
                  {"gas": 123.25})
    emulator.edit("daily-productions", {"chosenID": "W009", "date": "2024-01-11"},
                  {"operationalTag": "workover"})

    done = _verify_cli(project, emulator, "--report", str(tmp_path / "report.json"),
                       "--differences-dir", str(tmp_path / "diff"))

    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    wells, daily = report["resources"]
    assert (wells["equal"], wells["different"]) == (WELLS - 1, 1)
    assert (daily["equal"], daily["different"]) == (WELLS * DAYS - 4, 4)
    assert wells["only_in_database"] + wells["only_in_combocurve"] + \
        daily["only_in_database"] + daily["only_in_combocurve"] == 0
    assert wells["differences_file"] == daily["differences_file"]
    assert _differences(daily["differences_file"]) == {
        ("wells", "different", "W005", None, "county", '"Loving"', '"Reeves"'),
        ("daily-productions", "different", "W007", "2024-01-10", "gas", "123.25", "13.5"),
        ("daily-productions", "different", "W009", "2024-01-11", "operationalTag",
         '"workover"', "null"),
        ("daily-productions", "different", "W002", "2024-01-03", "oil", "null", "-5"),
        ("daily-productions", "different", "W004", "2024-01-06", "oil", "null", "-5")}
    assert "daily-productions: differences: " in done.stdout


def test_monthly_rows_are_compared_by_their_month(maria, tmp_path, emulator):
    """Any day names its month; the sync sends the 15th and ComboCurve answers it."""
    fill_monthly(maria)
    project = write_project(tmp_path / "p", maria.section(),
                            {"wells": WELLS_SQL, "monthly-productions": MONTHLY_SQL})
    assert start(project, limit=0, base_url=emulator.base_url).ok
    emulator.edit("monthly-productions", {"chosenID": "W003", "date": "2023-05-01"},
                  {"water": 99})

    found = core.verify(project, base_url=emulator.base_url)

    monthly = found.attrs["report"]["resources"][1]
    assert (monthly["name"], monthly["equal"], monthly["different"]) == \
        ("monthly-productions", WELLS * MONTHS - 1, 1)
    assert found[["chosenID", "date", "field", "combocurve", "database"]].values.tolist() == [
        ["W003", "2023-05-15", "water", 99, 10]]


def test_what_the_query_no_longer_returns_is_only_in_combocurve(project, production, emulator):
    start(project, limit=0, base_url=emulator.base_url)
    production.run("DELETE FROM d WHERE well = 'W003' AND day = '2024-01-07'",
                 "DELETE FROM d WHERE well = 'W011'", "DELETE FROM w WHERE id = 'W011'",
                 "INSERT INTO d VALUES ('W001', '2024-02-01', 7, 7, NULL, NULL)")

    found = core.verify(project, base_url=emulator.base_url)

    counts = {r["name"]: r for r in found.attrs["report"]["resources"]}
    assert (counts["wells"]["equal"], counts["wells"]["only_in_combocurve"]) == (WELLS - 1, 1)
    daily = counts["daily-productions"]
    assert (daily["equal"], daily["only_in_combocurve"], daily["only_in_database"]) == \
        (WELLS * DAYS - DAYS - 1, DAYS + 1, 1)
    only_db = found[found["outcome"] == "only_in_database"].iloc[0]
    assert (only_db["chosenID"], only_db["date"], only_db["database"]) == \
        ("W001", "2024-02-01", {"oil": 7, "gas": 7, "operationalTag": None})
    gone = found[(found["outcome"] == "only_in_combocurve") & (found["chosenID"] == "W003")]
    assert gone[["date", "combocurve"]].values.tolist() == [
        ["2024-01-07", {"oil": 306, "gas": 9, "operationalTag": None}]]
    assert list(found.columns[:2]) == ["resource", "outcome"]


def test_the_next_verify_reads_only_what_changed(maria_project, emulator, monkeypatch):
    """The last verify's start is kept in the ledger; the next reads what was updated since
    (updatedAt) and proves the rest unchanged by HEAD counts. No clock margin here: the
    server's clock is the emulator's own."""
    maria, project = maria_project
    monkeypatch.setattr("core.verification.CLOCK_MARGIN", timedelta(0))
    maria.run("UPDATE d SET oil = -5 WHERE well = 'W002' AND day = '2024-01-03'")
    emulator.drop_negative_volumes = True
    start(project, limit=0, base_url=emulator.base_url)
    time.sleep(1.1)  # the records are older than the server's second when the verify starts
    first = run_verify(project, base_url=emulator.base_url)
    emulator.edit("daily-productions", {"chosenID": "W007", "date": "2024-01-10"}, {"gas": 1})
    before = len(emulator.requests)

    second = run_verify(project, base_url=emulator.base_url, keep_differences=True)

    reads = [r for r in emulator.requests[before:] if r.method == "GET"]
    assert [r.path for r in reads] == ["/v1/daily-productions"] * 2  # changed, then the dropped
    assert "updatedAt%5Bgt%5D=" in reads[0].query and "updatedAt" not in reads[1].query
    daily = second.resource("daily-productions")
    assert (daily.read, daily.equal, daily.different) == ("since", WELLS * DAYS - 2, 2)
    assert {(d["key"]["chosenID"], d["field"]) for d in second.differences} == \
        {("W007", "gas"), ("W002", "oil")}
    assert first.resource("daily-productions").different == 1
    assert core.ledger(project).set_index("resource").loc["daily-productions", "last_verify"]

    emulator.remove("daily-productions", {"chosenID": "W010", "date": "2024-01-02"})
    third = run_verify(project, base_url=emulator.base_url, keep_differences=True)

    daily = third.resource("daily-productions")
    assert (daily.only_in_database, daily.different) == (1, 2)  # the count did not add up
    assert {(d["key"]["chosenID"], d["outcome"]) for d in third.differences} == {
        ("W010", "only_in_database"), ("W007", "different"), ("W002", "different")}
    full = run_verify(project, base_url=emulator.base_url, full=True)
    assert [(r.equal, r.different, r.only_in_database) for r in full.resources] == \
        [(r.equal, r.different, r.only_in_database) for r in third.resources]


def test_a_dry_run_says_how_many_gets_and_reads_nothing(maria_project, emulator, caplog):
    _, project = maria_project
    caplog.set_level(logging.INFO, logger="core")
    start(project, limit=0, base_url=emulator.base_url)
    before = len(emulator.requests)

    plan = run_verify(project, base_url=emulator.base_url, dry_run=True)
    heads = emulator.requests[before:]
    real = run_verify(project, base_url=emulator.base_url)

    assert {r.method for r in heads} == {"HEAD"}
    assert [r.requests for r in plan.resources] == [r.requests for r in real.resources] == [1, 1]
    assert plan.ok and "(1)" in plan.summary()
    assert "wells: verify reads 20 records of ComboCurve in at least 1 GET request (4 read " \
           "units), about 1 second of read quota at 800 units a minute, after 1 HEAD " \
           "request that cost none" in caplog.text


def test_without_a_ledger_wells_are_found_by_chosen_id(maria_project, emulator):
    _, project = maria_project
    start(project, limit=0, base_url=emulator.base_url, state=False)
    before = len(emulator.requests)

    report = run_verify(project, base_url=emulator.base_url, state=False,
                        resources=["daily-productions"])

    gets = [r for r in emulator.requests[before:] if r.method == "GET"]
    assert [r.path for r in gets] == ["/v1/wells", "/v1/daily-productions"]
    assert gets[0].query.count("chosenID=") == WELLS and "dataSource=internal" in gets[0].query
    assert report.ok and report.resource("daily-productions").equal == WELLS * DAYS
    assert report.resource("daily-productions").requests == 2
    assert not (project / ".combocurve").exists()


def test_reads_follow_the_link_header_page_after_page(emulator):
    client = ApiClient(emulator.base_url, Secret(DEFAULT_API_KEY),
                       BearerToken(token=Secret(DEFAULT_TOKEN), audience=emulator.base_url))
    records = [{"chosenID": f"P{i}", "dataSource": "other"} for i in range(25)]
    client.write("PUT", "/v1/wells", json.dumps(records).encode(), len(records))

    pages = list(client.get_pages("/v1/wells", [("dataSource", "other"), ("take", "10")],
                                  cost=4))
    counted = client.count("/v1/wells", [("dataSource", "other")])
    client.close()

    assert [len(page) for page in pages] == [10, 10, 5]
    assert len({w["id"] for page in pages for w in page}) == 25
    gets = [r for r in emulator.requests if r.method == "GET"]
    assert "cursor" not in gets[0].query and all("cursor=" in r.query for r in gets[1:])
    assert counted.number == 25 and counted.server_time is not None


def test_a_query_verify_does_not_read_back_is_said(maria, tmp_path, emulator):
    qualifiers = ("SELECT 'internal' AS dataSource, id AS chosenID, 'base' AS qualifierKey, "
                  "0.5 AS initial_ownership_working_interest, "
                  "0.4 AS initial_ownership_net_revenue_interest FROM w ORDER BY id")
    project = write_project(tmp_path / "p", maria.section(),
                            {"wells": WELLS_SQL, "ownership-qualifiers": qualifiers})
    start(project, limit=0, base_url=emulator.base_url)

    report = run_verify(project, base_url=emulator.base_url)

    assert [r.name for r in report.resources] == ["wells"] and report.ok
    assert report.not_covered == ["ownership-qualifiers"]
    assert "ownership-qualifiers: not verified (verify does not read these back yet)" in \
        report.summary()


def test_verify_needs_a_readable_resource_and_credentials(maria_project, emulator):
    _, project = maria_project
    with pytest.raises(core.UsageError, match="unknown resource nope"):
        run_verify(project, base_url=emulator.base_url, resources=["nope"])

    done = _verify_cli(project, emulator, env={k: v for k, v in os.environ.items()
                                               if k != "COMBOCURVE_TOKEN"})

    assert done.returncode == 2 and done.stderr.startswith("Error: ")
    assert "no API credentials" in done.stderr and done.stderr.count("\n") == 1
