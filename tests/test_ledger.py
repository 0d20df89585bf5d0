"""The ledger: change-only runs, crash safety, one run at a time, `:since`, bad ledgers.

Against real MariaDB, PostgreSQL and SQLite, the emulator, and real subprocesses (SIGKILL,
a second run while one holds the lock, a file-size limit that fills the "disk" mid-run).
"""

import json
import os
import resource
import signal
import sqlite3

import pytest

import core
from conftest import CORE, run_core, wait_for, write_project
from core.errors import LedgerError, LockedError
from core.main import start
from core.state import LEDGER_FILE
from production_data import DAILY_SQL, DAYS, WELLS, WELLS_SQL, fill, production_project

pytestmark = pytest.mark.usefixtures("emulator_credentials")  # the CLI's children inherit them


@pytest.fixture
def project(maria, tmp_path):
    return production_project(tmp_path / "p", maria)


def _puts(emulator, path: str = "/v1/daily-productions") -> list[int]:
    return [r.record_count for r in emulator.requests if r.method == "PUT" and r.path == path]


def _stored_daily(emulator) -> dict:
    return {(d["chosenID"], d["date"][:10]): (d.get("oil"), d.get("gas"))
            for d in emulator.daily_productions()}


# -- change-only runs -----------------------------------------------------------------------


@pytest.mark.parametrize("database", ["mariadb", "postgres"])
def test_a_second_run_sends_nothing(database, request, emulator, tmp_path):
    db = request.getfixturevalue(database)
    fill(db)
    folder = production_project(tmp_path / "p", db)

    first = start(folder, limit=0, base_url=emulator.base_url)
    sent = len(emulator.requests)
    second = start(folder, limit=0, base_url=emulator.base_url)

    assert first.ok and second.ok, second.summary()
    assert len(emulator.requests) == sent  # not one request more
    daily = second.resource("daily-productions")
    assert (daily.rows_read, daily.unchanged, daily.records_sent, daily.requests) == \
        (WELLS * DAYS, WELLS * DAYS, 0, 0)
    assert second.resource("wells").unchanged == WELLS
    assert daily.unaccounted == 0 and "unchanged" in second.summary()
    assert (folder / ".combocurve" / LEDGER_FILE).is_file()


@pytest.mark.parametrize(("change", "expected"), [
    ("UPDATE d SET oil = oil + 1 WHERE well = 'W001' AND day = '2024-01-05'", "number"),
    ("UPDATE d SET gas = NULL WHERE well = 'W002' AND day = '2024-01-06'", "value to null"),
    ("UPDATE d SET tag = 'workover' WHERE well = 'W003' AND day = '2024-01-07'", "null to value"),
    ("UPDATE d SET gas = 0.1 + 0.2 WHERE well = 'W004' AND day = '2024-01-08'", "float"),
    ("UPDATE w SET name = 'RENAMED' WHERE id = 'W005'", "text"),
    ("UPDATE w SET spud = '1999-12-31' WHERE id = 'W006'", "date"),
    ("UPDATE w SET county = NULL WHERE id = 'W007'", "text to null"),
], ids=lambda value: value if " " not in value or len(value) < 20 else None)
def test_a_change_of_any_kind_is_sent(maria, project, emulator, change, expected):
    start(project, limit=0, base_url=emulator.base_url)
    before = len(emulator.requests)

    maria.run(change)
    again = start(project, limit=0, base_url=emulator.base_url)

    changed = [r for r in emulator.requests[before:] if r.method == "PUT"]
    assert [r.record_count for r in changed] == [1], expected
    table = "wells" if change.startswith("UPDATE w") else "daily-productions"
    report = again.resource(table)
    assert (report.changed, report.new, report.accepted) == (1, 0, 1)
    assert report.unchanged == report.rows_read - 1


def test_seven_changed_rows_among_many_go_as_one_request_of_seven(maria, project, emulator):
    start(project, limit=0, base_url=emulator.base_url)
    before = len(emulator.requests)
    picks = [(f"W{i:03d}", f"2024-01-{3 * i + 1:02d}") for i in range(1, 8)]  # 7 pages apart

    for well, day in picks:
        maria.run(f"UPDATE d SET oil = 777000 + {int(well[1:])} WHERE well = '{well}' "
                  f"AND day = '{day}'")
    start(project, limit=0, page_size=20, base_url=emulator.base_url)  # 30 pages of reads

    assert [r.record_count for r in emulator.requests[before:]] == [7]
    stored = _stored_daily(emulator)
    assert [stored[pick][0] for pick in picks] == [777000 + i for i in range(1, 8)]


def test_what_the_api_refused_or_never_got_is_sent_again(maria, project, emulator):
    maria.run("INSERT INTO d VALUES ('NOWELL', '2024-01-01', 1, 1, NULL, NULL)")  # no such well
    first = start(project, limit=0, page_size=100, base_url=emulator.base_url)
    assert first.resource("daily-productions").rejected == 1

    second = start(project, limit=0, page_size=100, base_url=emulator.base_url)
    daily = second.resource("daily-productions")
    assert (daily.records_sent, daily.rejected, daily.unchanged) == (1, 1, WELLS * DAYS)
    with open(daily.rejects_file) as rejects:
        assert "WellNotFoundError" in rejects.read()

    emulator.fail_next(50, 503)  # the API is down: nothing is accepted, nothing recorded
    third = start(project, limit=0, page_size=100, base_url=emulator.base_url, max_wait=0.5,
                  full_refresh=True, resources=["daily-productions"])
    daily = third.resource("daily-productions")
    assert daily.accepted == 0 and daily.not_sent == daily.rows_read > 0
    emulator.reset()
    fourth = start(project, limit=0, page_size=100, base_url=emulator.base_url)
    assert fourth.resource("daily-productions").records_sent == WELLS * DAYS + 1


def test_a_key_seen_twice_in_a_run_is_a_duplicate(maria, tmp_path, emulator):
    maria.run("CREATE TABLE twice AS SELECT * FROM d WHERE well = 'W001'",
              "INSERT INTO twice SELECT well, day, 999999, gas, tag, updated FROM d "
              "WHERE well = 'W001' AND day = '2024-01-01'")  # in the last page, not the first
    folder = write_project(tmp_path / "p", maria.section(), {
        "wells": WELLS_SQL,
        "daily-productions": "SELECT 'internal' AS dataSource, well AS chosenID, day AS date, "
                             "oil FROM twice ORDER BY oil"})

    report = start(folder, limit=0, page_size=10, base_url=emulator.base_url)

    daily = report.resource("daily-productions")
    assert (daily.rows_read, daily.accepted, daily.rejected) == (DAYS + 1, DAYS, 1)
    with open(daily.rejects_file) as rejects:
        line = json.loads(rejects.readline())
    assert line["fields"] == ["duplicate"] and "as row 1, sent earlier" in line["reason"]


def test_full_refresh_and_another_api_send_everything(project, emulator):
    start(project, limit=0, base_url=emulator.base_url)
    refreshed = start(project, limit=0, base_url=emulator.base_url, full_refresh=True)
    assert refreshed.resource("daily-productions").records_sent == WELLS * DAYS

    from core.emulator import Emulator

    with Emulator() as other:  # another base URL: another tenant, which holds nothing yet
        elsewhere = start(project, limit=0, base_url=other.base_url)
        assert elsewhere.resource("daily-productions").records_sent == WELLS * DAYS
        assert len(other.daily_productions()) == WELLS * DAYS
    assert start(project, limit=0, base_url=emulator.base_url).resource(
        "daily-productions").records_sent == 0


def test_a_changed_mapping_resends_everything_and_says_why(maria, project, emulator, caplog):
    start(project, limit=0, base_url=emulator.base_url)
    (project / "resources" / "daily-productions.sql").write_text(
        DAILY_SQL.replace("tag AS operationalTag", "tag AS operationalTag, oil AS ngl"),
        encoding="utf-8")

    again = start(project, limit=0, base_url=emulator.base_url)
    third = start(project, limit=0, base_url=emulator.base_url)

    assert again.resource("daily-productions").records_sent == WELLS * DAYS
    assert again.resource("daily-productions").changed == WELLS * DAYS
    assert "daily-productions: sending every record again: the query's columns changed since " \
           "the last run (added ngl)" in caplog.text
    assert third.resource("daily-productions").records_sent == 0


def test_the_limit_reads_the_newest_and_the_ledger_skips_what_was_sent(maria, tmp_path,
                                                                       emulator):
    newest_first = DAILY_SQL.replace("ORDER BY well, day", "ORDER BY day DESC, well")
    folder = production_project(tmp_path / "p", maria, daily_sql=newest_first)
    start(folder, limit=0, base_url=emulator.base_url)
    maria.run("INSERT INTO d SELECT well, '2024-01-31', 1, 1, NULL, NULL FROM d "
              "WHERE day = '2024-01-01'")

    daily = start(folder, limit=100, base_url=emulator.base_url).resource("daily-productions")

    assert (daily.rows_read, daily.new, daily.unchanged, daily.accepted) == (100, WELLS, 80, 20)
    assert daily.more_available


# -- a dry run tells the plan ----------------------------------------------------------------


def test_a_dry_run_tells_the_plan_exactly_and_writes_nothing(maria, tmp_path, emulator):
    project = production_project(tmp_path / "p", maria, daily_sql=DAILY_SQL.replace(
        "day AS date", "CASE WHEN day < '2024-03-01' THEN day END AS date"))  # March: no date
    plan = start(project, limit=0, page_size=50, dry_run=True, base_url=emulator.base_url)
    assert not (project / ".combocurve").exists()
    assert plan.resource("daily-productions").requests == WELLS * DAYS // 50

    start(project, limit=0, base_url=emulator.base_url)
    maria.run("UPDATE d SET oil = oil + 1 WHERE day = '2024-01-02'",  # 20 changed
              "INSERT INTO d SELECT well, '2024-02-01', 1, 1, NULL, NULL FROM d "
              "WHERE day = '2024-01-01'")  # 20 new
    maria.run("INSERT INTO d VALUES ('W001', '2024-03-01', 1, 1, NULL, NULL)")  # rejected
    before = len(emulator.requests)

    plan = start(project, limit=0, page_size=15, dry_run=True, base_url=emulator.base_url)
    real = start(project, limit=0, page_size=15, base_url=emulator.base_url)

    planned, done = plan.resource("daily-productions"), real.resource("daily-productions")
    assert (planned.new, planned.changed, planned.unchanged, planned.rejected) == \
        (20, 20, WELLS * DAYS - 20, 1)
    assert (planned.would_send, planned.requests) == (40, 3)
    assert (done.records_sent, done.requests) == (planned.would_send, planned.requests)
    assert len(emulator.requests) - before == 3
    assert "daily-productions: a real run sends 40 records (20 new, 20 changed; 580 " \
           "unchanged, 1 rejected) in 3 requests, about 1 second of quota at 190 requests a " \
           "minute" in plan.summary()


# -- crash safety ----------------------------------------------------------------------------


def test_sigkill_mid_run_then_a_rerun_sends_only_what_was_not_accepted(maria, project,
                                                                       emulator):
    page, concurrency = 25, 3
    pages = -(-WELLS * DAYS // page)
    emulator.latency = 0.15
    child = run_core(project, "--base-url", emulator.base_url, "--limit", "0", "--page-size",
                     page, "--concurrency", concurrency, wait=False)
    wait_for(lambda: len(_puts(emulator)) >= 8, what="8 daily PUTs")
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    first = len(_puts(emulator))
    assert first < pages

    emulator.latency = 0
    rerun = run_core(project, "--base-url", emulator.base_url, "--limit", "0", "--page-size",
                     page, "--concurrency", concurrency, wait=False)
    out, err = rerun.communicate(timeout=120)

    assert rerun.returncode == 0, err
    assert first + len(_puts(emulator)[first:]) <= pages + concurrency
    assert len(_puts(emulator, "/v1/wells")) == 1  # the wells were recorded: not sent again
    rows = maria.rows("SELECT well, day, oil, gas FROM d")
    assert _stored_daily(emulator) == {
        (r["well"], r["day"].isoformat()): (r["oil"], r["gas"] if r["gas"] % 1 else
                                            int(r["gas"])) for r in rows}


def test_one_run_at_a_time(project, emulator, tmp_path):
    emulator.latency = 1.0  # the first run holds the lock for a dozen seconds at least
    first = run_core(project, "--base-url", emulator.base_url, "--limit", "0", "--page-size",
                     "50", "--concurrency", "1", wait=False)
    wait_for(lambda: len(emulator.requests) >= 1, what="the first run's first request")

    second = run_core(project, "--base-url", emulator.base_url, "--report", tmp_path / "r.json",
                      wait=False)
    out, err = second.communicate(timeout=60)
    with pytest.raises(LockedError, match="another run of this project is in progress"):
        start(project, base_url=emulator.base_url)
    dry = start(project, base_url=emulator.base_url, dry_run=True)  # a dry run takes no lock
    first.send_signal(signal.SIGTERM)  # ends after the page in flight
    first.communicate(timeout=120)

    assert second.returncode == 75, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"another run of this project is in progress (pid {first.pid}, started " in err
    assert out == "" and not (tmp_path / "r.json").exists()
    assert dry.ok and first.returncode == 130
    assert all(r.record_count in (WELLS, 50) for r in emulator.requests)  # the first run's


def test_a_full_disk_stops_the_sending_and_the_next_run_sends_the_rest(project, emulator):
    """RLIMIT_FSIZE makes the kernel refuse writes past a size, as a full disk would."""
    start(project, base_url=emulator.base_url, resources=["wells"])  # the ledger exists
    size = (project / ".combocurve" / LEDGER_FILE).stat().st_size

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 24_000, size + 24_000))

    child = run_core(project, "--base-url", emulator.base_url, "--limit", "0", "--page-size",
                     "20", "--concurrency", "1", wait=False, preexec_fn=small_disk)
    out, err = child.communicate(timeout=120)

    assert child.returncode == 1, err
    assert "cannot write the ledger" in out and "Traceback" not in err
    sent = _puts(emulator)
    assert 0 < len(sent) < WELLS * DAYS // 20  # it stopped sending
    rerun = start(project, limit=0, page_size=20, base_url=emulator.base_url)
    daily = rerun.resource("daily-productions")
    assert daily.ok and 0 < daily.unchanged < WELLS * DAYS
    assert len(emulator.daily_productions()) == WELLS * DAYS


# -- :since -------------------------------------------------------------------------------

SINCE_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil
    FROM d WHERE updated >= :since ORDER BY well, day -- rows changed since the last success"""


@pytest.mark.parametrize("database", ["mariadb", "postgres", "sqlite"])
def test_since_is_the_start_of_the_last_successful_run(database, request, emulator, tmp_path):
    if database == "sqlite":
        path = tmp_path / "db.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE d (well TEXT, day TEXT, oil INT, gas REAL, tag TEXT, "
                         "updated TEXT)")
            conn.executemany("INSERT INTO d VALUES (?, ?, ?, 1.5, NULL, "
                             "'2000-01-01 00:00:00')",
                             [(f"W{i:03d}", f"2024-01-{d + 1:02d}", d) for i in range(WELLS)
                              for d in range(DAYS)])
        section = f'[connection]\ntype = "sqlite"\n[sqlite]\ndatabase = "{path}"\n'

        def run(sql):
            with sqlite3.connect(path) as conn:
                conn.execute(sql)
    else:
        db = request.getfixturevalue(database)
        fill(db)
        section, run = db.section(), db.run
    emulator.sink = True
    folder = write_project(tmp_path / "p", section + '[state]\nsince = "1999-06-01"\n',
                           {"daily-productions": SINCE_SQL})

    first = start(folder, limit=0, base_url=emulator.base_url)
    run("UPDATE d SET oil = 5, updated = '2037-01-01 00:00:00' WHERE day = '2024-01-03'")
    second = start(folder, limit=0, base_url=emulator.base_url)
    third = start(folder, limit=0, base_url=emulator.base_url)

    assert first.resource("daily-productions").rows_read == WELLS * DAYS
    assert (second.resource("daily-productions").rows_read,
            second.resource("daily-productions").accepted) == (WELLS, WELLS)
    assert third.resource("daily-productions").rows_read == WELLS  # still >= the last start
    assert third.resource("daily-productions").unchanged == WELLS


def test_since_before_the_first_run_comes_from_the_project(maria, tmp_path, emulator):
    maria.run("UPDATE d SET updated = '2030-01-01 00:00:00' WHERE day <= '2024-01-02'")
    folder = write_project(tmp_path / "p", maria.section() + '[state]\nsince = 2029-12-31\n',
                           {"daily-productions": SINCE_SQL})
    emulator.sink = True

    report = start(folder, limit=0, base_url=emulator.base_url, state=False)

    assert report.resource("daily-productions").rows_read == 2 * WELLS


def test_since_is_bound_by_the_driver_on_every_dialect():
    from sqlalchemy.dialects import mssql, mysql, postgresql, sqlite

    from core.sources import limited_sql, uses_since, with_since

    sql = limited_sql("SELECT a FROM t WHERE note <> 'x:y :since' AND u >= :since "
                      "-- not :since here, nor :other\nORDER BY a", 1001)
    for dialect in (mssql.dialect(), mysql.dialect(), postgresql.dialect(), sqlite.dialect()):
        compiled = with_since(sql, None).compile(dialect=dialect)
        text = str(compiled)
        assert "1900" not in text and "'x:y :since'" in text and "not :since here" in text
        assert compiled.params == {"since": __import__("datetime").datetime(1900, 1, 1)}
    assert uses_since(sql) and not uses_since("SELECT ':since' -- :since")


# -- bad ledgers and bad places -------------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (b"this is no database at all" * 100, "the ledger cannot be read (file is not a database)"),
    ("foreign", "not a ComboCurve Sync ledger (another tool's file?)"),
    ("newer", "written by a newer ComboCurve Sync (ledger version 99; this one reads up to 1)"),
])
def test_a_ledger_that_cannot_be_trusted_stops_the_run_before_anything_is_sent(
        project, emulator, content, message):
    folder = project / ".combocurve"
    folder.mkdir()
    if content == "foreign":
        with sqlite3.connect(folder / LEDGER_FILE) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
    elif content == "newer":
        start(project, base_url=emulator.base_url, resources=["wells"])
        emulator.reset()
        with sqlite3.connect(folder / LEDGER_FILE) as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE name = 'version'")
    else:
        (folder / LEDGER_FILE).write_bytes(content)

    done = run_core("--base-url", emulator.base_url, project)

    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: {folder / LEDGER_FILE}: {message}")
    assert done.stderr.count("\n") == 1 and emulator.requests == []
    with pytest.raises(LedgerError):
        start(project, base_url=emulator.base_url, dry_run=True)


def test_a_read_only_project_folder_is_one_clear_line(project, emulator):
    # root ignores permission bits: run it without the capabilities that let it
    as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"] \
        if os.geteuid() == 0 else []
    os.chmod(project, 0o555)
    try:
        done = run_core(project, "--base-url", emulator.base_url, "--rejects-dir",
                        project.parent / "rejects", command=[*as_user, *CORE])
    finally:
        os.chmod(project, 0o755)

    assert done.returncode == 2, done.stderr
    assert done.stderr == f"Error: {project / '.combocurve'}: cannot keep the ledger here " \
        "(Permission denied); make the folder writable, move it with [state] path or --state, " \
        "or run with --no-state\n"
    assert emulator.requests == []


# -- looking at and resetting the ledger ----------------------------------------------------


def test_state_shows_the_ledger_and_forget_clears_a_resource(project, emulator):
    start(project, limit=0, base_url=emulator.base_url)

    shown = run_core("state", project)
    frame = core.ledger(project)
    forgot = run_core("state", "--forget", "daily-productions", project)
    after = core.ledger(project)
    again = start(project, limit=0, base_url=emulator.base_url)

    assert shown.returncode == 0, shown.stderr
    assert "daily-productions" in shown.stdout and str(WELLS * DAYS) in shown.stdout
    assert frame.set_index("resource").loc["daily-productions", "records"] == WELLS * DAYS
    assert frame.set_index("resource").loc["wells", "accepted"] == WELLS
    assert frame["base_url"].unique().tolist() == [emulator.base_url]
    assert forgot.stdout.startswith(f"daily-productions: forgot {WELLS * DAYS} records")
    assert after.set_index("resource").loc["wells", "records"] == WELLS
    assert "daily-productions" not in set(after["resource"])
    assert again.resource("daily-productions").records_sent == WELLS * DAYS
    assert again.resource("wells").records_sent == 0


def test_the_ledger_keeps_the_ids_combocurve_gave(project, emulator):
    from core.state import COMBOCURVE_ID, Ledger

    start(project, base_url=emulator.base_url, resources=["wells"])

    ledger = Ledger.read(project / ".combocurve")
    held = ledger.records(emulator.base_url, "wells").to_pandas()
    ledger.close()
    stored = {w["chosenID"]: w["id"] for w in emulator.wells()}
    assert dict(zip(held["chosenID"], held[COMBOCURVE_ID], strict=True)) == stored


def test_state_shows_whole_numbers(project, emulator):
    start(project, limit=0, base_url=emulator.base_url, resources=["wells"])

    shown = run_core("state", project)

    assert shown.returncode == 0, shown.stderr
    assert f" {WELLS} " in shown.stdout and f"{WELLS}.0" not in shown.stdout
    assert str(core.ledger(project)["accepted"].dtype) == "Int64"
