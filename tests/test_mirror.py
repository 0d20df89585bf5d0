"""Mirror deletions: what this project wrote and the query no longer returns leaves ComboCurve,
and never when the read cannot be trusted.

Against real MariaDB and PostgreSQL and the emulator; the CLI runs as a real subprocess.
"""

import logging

import pytest

import core
from conftest import read_jsonl, run_core, write_project
from core.main import start
from production_data import (
    DAILY_SQL,
    DAYS,
    MONTHLY_SQL,
    MONTHS,
    WELLS,
    WELLS_SQL,
    fill,
    fill_monthly,
    production_project,
)

pytestmark = pytest.mark.usefixtures("emulator_credentials")  # the CLI's children inherit them

MIRRORED = """
    [resources.wells]
    delete_missing = true

    [resources.daily-productions]
    delete_missing = true
    """


def _project(db, tmp_path, settings=MIRRORED):
    return production_project(tmp_path / "p", db, settings)


def _deletes(emulator, since=0):
    return [(r.path, r.query) for r in emulator.requests[since:] if r.method == "DELETE"]


def _stored_days(emulator, chosen_id):
    return sorted(d["date"][:10] for d in emulator.daily_productions()
                  if d["chosenID"] == chosen_id)


def _sync_cli(project, emulator, *args):
    return run_core(project, "--base-url", emulator.base_url, "--limit", "0", *args)


def test_three_consecutive_days_gone_at_the_source_are_one_delete(production, tmp_path,
                                                                  emulator):
    project = _project(production, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    well_id = emulator.records("wells", chosenID="W004")[0]["id"]
    production.run("DELETE FROM d WHERE well = 'W004' AND day BETWEEN '2024-01-10' AND "
                 "'2024-01-12'")
    before = len(emulator.requests)

    done = _sync_cli(project, emulator)

    assert done.returncode == 0, done.stdout + done.stderr
    assert _deletes(emulator, before) == [
        ("/v1/daily-productions", f"well={well_id}&startDate=2024-01-10&endDate=2024-01-12")]
    assert [r.method for r in emulator.requests[before:]] == ["DELETE"]  # nothing else sent
    days = _stored_days(emulator, "W004")
    assert len(days) == DAYS - 3 and not {"2024-01-10", "2024-01-11", "2024-01-12"} & set(days)
    assert len(emulator.daily_productions()) == WELLS * DAYS - 3
    assert "daily-productions: deleted 3 records the query no longer returns (1 DELETE " \
           "request)" in done.stdout
    assert "daily-productions: deleting 3 records the query no longer returns, in 1 DELETE " \
           "request, about 1 second at 190 requests a minute" in done.stderr
    trail = next((project / "rejects").glob("*-deletions.jsonl"))
    audit = read_jsonl(trail)
    assert [(a["outcome"], a["key"]["chosenID"], a["key"]["date"]) for a in audit] == [
        ("deleted", "W004", f"2024-01-{day}") for day in (10, 11, 12)]
    assert all(a["request"].startswith("DELETE /v1/daily-productions?well=") for a in audit)
    held = core.ledger(project).set_index("resource").loc["daily-productions", "records"]
    assert held == WELLS * DAYS - 3  # they left the ledger
    again = start(project, limit=0, base_url=emulator.base_url)
    assert again.ok and _deletes(emulator, before) == _deletes(emulator, before)[:1]


def test_three_consecutive_months_gone_are_one_delete(maria, tmp_path, emulator):
    fill_monthly(maria)
    project = write_project(tmp_path / "p", maria.section() + "[resources.monthly-productions]"
                            "\ndelete_missing = true\n",
                            {"wells": WELLS_SQL, "monthly-productions": MONTHLY_SQL})
    start(project, limit=0, base_url=emulator.base_url)
    well_id = emulator.records("wells", chosenID="W006")[0]["id"]
    maria.run("DELETE FROM m WHERE well = 'W006' AND month BETWEEN '2023-04-01' AND "
              "'2023-06-01'")
    before = len(emulator.requests)

    report = start(project, limit=0, base_url=emulator.base_url)

    assert _deletes(emulator, before) == [
        ("/v1/monthly-productions", f"well={well_id}&startDate=2023-04-15&endDate=2023-06-15")]
    assert report.ok and report.resource("monthly-productions").deleted == 3
    kept = sorted(r["date"][:7] for r in emulator.monthly_productions()
                  if r["chosenID"] == "W006")
    assert len(kept) == MONTHS - 3 and not {"2023-04", "2023-05", "2023-06"} & set(kept)


def test_a_well_gone_at_the_source_is_deleted_with_its_rows(maria, tmp_path, emulator, caplog):
    caplog.set_level(logging.INFO, logger="core")
    project = _project(maria, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    maria.run("DELETE FROM d WHERE well = 'W019'", "DELETE FROM w WHERE id = 'W019'")
    before = len(emulator.requests)

    plan = start(project, limit=0, base_url=emulator.base_url, dry_run=True)
    report = start(project, limit=0, base_url=emulator.base_url)

    assert _deletes(emulator, before) == [("/v1/wells", "dataSource=internal&chosenID=W019")]
    assert plan.resource("wells").would_delete == 1
    assert "wells: would DELETE /v1/wells?dataSource=internal&chosenID=W019 (1 record: " \
           "internal W019)" in caplog.messages
    assert f"wells: ... and with them ComboCurve deletes their {DAYS} daily-productions " \
           "records" in caplog.messages
    assert report.ok and report.resource("wells").deleted == 1
    assert report.resource("daily-productions").deleted == 0  # ComboCurve took them along
    assert not emulator.records("wells", chosenID="W019") and not _stored_days(emulator, "W019")
    ledger = core.ledger(project).set_index("resource")["records"]
    assert (ledger["wells"], ledger["daily-productions"]) == (WELLS - 1, (WELLS - 1) * DAYS)


@pytest.mark.parametrize("trouble", ["failing query", "empty result", "limited read"])
def test_an_untrustworthy_read_deletes_nothing_and_says_why(production, tmp_path, emulator,
                                                            trouble):
    project = _project(production, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    if trouble == "failing query":
        production.run("DROP TABLE d")
    elif trouble == "empty result":
        production.run("DELETE FROM d")
    before = len(emulator.requests)

    done = _sync_cli(project, emulator, *(["--limit", "100"] if trouble == "limited read"
                                          else []))

    assert _deletes(emulator, before) == []
    assert len(emulator.daily_productions()) == WELLS * DAYS
    assert core.ledger(project).set_index("resource").loc["daily-productions", "records"] == \
        WELLS * DAYS
    why = {"failing query": "daily-productions: nothing deleted: the query failed",
           "empty result": f"daily-productions: nothing deleted ({WELLS * DAYS} records kept): "
                           "the query returned no rows; an empty result looks like a broken "
                           "query",
           "limited read": "daily-productions: nothing deleted: the read was cut by --limit 100, "
                           "so rows beyond it were not seen (--limit 0 reads them all)"}[trouble]
    assert why in done.stdout, done.stdout
    assert done.returncode == (0 if trouble == "limited read" else 1), done.stderr


def test_a_query_that_fails_midway_deletes_nothing(postgres, tmp_path, emulator):
    """PostgreSQL raises division by zero when the stream reaches the row, after the first
    pages were read: the query failed, whatever was read before."""
    fill(postgres)
    project = _project(postgres, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    failing = DAILY_SQL.replace("oil,", "oil / CASE WHEN well = 'W015' THEN 0 ELSE 1 END AS oil,")
    (project / "resources" / "daily-productions.sql").write_text(failing, encoding="utf-8")
    before = len(emulator.requests)

    report = start(project, limit=0, page_size=50, base_url=emulator.base_url)

    daily = report.resource("daily-productions")
    assert 0 < daily.rows_read < WELLS * DAYS and "division by zero" in daily.errors[0]
    assert daily.deletions_refused == "the query failed" and _deletes(emulator, before) == []


def test_the_threshold_stops_a_mass_deletion(maria, tmp_path, emulator):
    project = _project(maria, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    maria.run("DELETE FROM d WHERE day > '2024-01-27'")  # 3 days of 30: 10% of the ledger
    before = len(emulator.requests)

    refused = _sync_cli(project, emulator)
    allowed = _sync_cli(project, emulator, "--max-delete-fraction", "0.1")

    assert refused.returncode == 1
    assert f"daily-productions: nothing deleted ({WELLS * 3} records kept): {WELLS * 3} of the " \
           f"{WELLS * DAYS} records the ledger holds (10%) are no longer returned by the " \
           "query, more than --max-delete-fraction 0.05; check the query, then allow it with " \
           "--allow-mass-delete" in refused.stdout
    assert allowed.returncode == 0, allowed.stdout
    assert len(_deletes(emulator, before)) == WELLS  # one per well: 3 contiguous days each
    assert len(emulator.daily_productions()) == WELLS * (DAYS - 3)


def test_allow_mass_delete_goes_beyond_the_threshold(maria, tmp_path, emulator):
    project = _project(maria, tmp_path, settings="")
    start(project, limit=0, base_url=emulator.base_url)
    maria.run("DELETE FROM d WHERE well >= 'W010'")

    report = start(project, limit=0, base_url=emulator.base_url, delete_missing=True,
                   allow_mass_delete=True, resources=["daily-productions"])

    assert report.resource("daily-productions").deleted == WELLS * DAYS // 2
    assert len(emulator.daily_productions()) == WELLS * DAYS // 2


def test_a_dry_run_lists_every_planned_deletion(maria, tmp_path, emulator, caplog):
    caplog.set_level(logging.INFO, logger="core")
    project = _project(maria, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    ids = {w["chosenID"]: w["id"] for w in emulator.wells()}
    maria.run("DELETE FROM d WHERE (well = 'W001' AND day IN ('2024-01-02', '2024-01-03', "
              "'2024-01-05')) OR (well = 'W002' AND day = '2024-01-30')")
    before = len(emulator.requests)

    plan = start(project, limit=0, base_url=emulator.base_url, dry_run=True)

    assert emulator.requests[before:] == []
    assert len(emulator.daily_productions()) == WELLS * DAYS
    daily = plan.resource("daily-productions")
    assert (daily.would_delete, daily.delete_requests, daily.deleted) == (4, 3, 0)
    planned = [m for m in caplog.messages if "would DELETE" in m]
    assert planned == [
        f"daily-productions: would DELETE /v1/daily-productions?well={ids['W001']}&startDate="
        "2024-01-02&endDate=2024-01-03 (2 records: internal W001 2024-01-02..2024-01-03)",
        f"daily-productions: would DELETE /v1/daily-productions?well={ids['W001']}&startDate="
        "2024-01-05&endDate=2024-01-05 (1 record: internal W001 2024-01-05)",
        f"daily-productions: would DELETE /v1/daily-productions?well={ids['W002']}&startDate="
        "2024-01-30&endDate=2024-01-30 (1 record: internal W002 2024-01-30)"]
    assert "and deletes 4 records in 3 DELETE requests" in plan.summary()
    assert [line["outcome"] for line in read_jsonl(daily.deletions_file)] == ["planned"] * 4
    real = start(project, limit=0, base_url=emulator.base_url)
    assert real.resource("daily-productions").deleted == 4
    assert len(_deletes(emulator, before)) == 3


def test_a_row_refused_for_a_bad_value_is_not_deleted(maria, tmp_path, emulator):
    project = _project(maria, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    bad = DAILY_SQL.replace("oil,", "CASE WHEN well = 'W003' AND day = '2024-01-04' THEN "
                                    "'lots' ELSE CAST(oil AS CHAR) END AS oil,")
    (project / "resources" / "daily-productions.sql").write_text(bad, encoding="utf-8")
    before = len(emulator.requests)

    report = start(project, limit=0, base_url=emulator.base_url)

    daily = report.resource("daily-productions")
    assert daily.rejected == 1 and daily.deleted == 0 and _deletes(emulator, before) == []
    assert "2024-01-04" in _stored_days(emulator, "W003")


def test_without_a_ledger_nothing_is_deleted(maria, tmp_path, emulator):
    project = _project(maria, tmp_path)
    start(project, limit=0, base_url=emulator.base_url)
    maria.run("DELETE FROM d WHERE well = 'W001' AND day = '2024-01-02'")

    report = start(project, limit=0, base_url=emulator.base_url, state=False)

    assert _deletes(emulator) == [] and report.ok
    assert report.resource("daily-productions").deletions_refused.startswith(
        "there is no ledger (--no-state)")


def test_a_resource_mirror_deletions_do_not_cover_says_so(maria, tmp_path, emulator):
    qualifiers = ("SELECT 'internal' AS dataSource, id AS chosenID, 'base' AS qualifierKey, "
                  "0.5 AS initial_ownership_working_interest, "
                  "0.4 AS initial_ownership_net_revenue_interest FROM w ORDER BY id")
    project = write_project(tmp_path / "p", maria.section() + "[resources.ownership-qualifiers]"
                            "\ndelete_missing = true\n",
                            {"wells": WELLS_SQL, "ownership-qualifiers": qualifiers})

    report = start(project, limit=0, base_url=emulator.base_url)

    owned = report.resource("ownership-qualifiers")
    assert report.ok and owned.accepted == WELLS and _deletes(emulator) == []
    assert owned.deletions_refused.startswith("mirror deletions do not cover "
                                              "ownership-qualifiers yet (they cover wells, ")
    assert "ownership-qualifiers: nothing deleted: mirror deletions do not cover" in \
        report.summary()


def test_a_bad_fraction_is_a_usage_error(maria, tmp_path, emulator):
    project = _project(maria, tmp_path)

    done = _sync_cli(project, emulator, "--max-delete-fraction", "5")

    assert done.returncode == 2 and done.stderr == "Error: max delete fraction must be between " \
        "0 and 1 (a share of the ledger's records), not 5.0\n"
