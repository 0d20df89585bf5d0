"""Faults against the emulator and the real databases: every row sent or reported, in bounded time.

Each test checks the report's counts and that nothing was lost: rows read = accepted +
rejected + not sent, and every row not accepted is a line of the rejects file.
"""

import json
import socket
import threading
import time

import pytest

from conftest import closed_port, run_core, wait_for, write_project
from core.client import RetryPolicy
from core.main import start
from production_data import BIG_DAILY_SQL, fill_big

FAST = RetryPolicy(max_wait=5, base_delay=0.05, max_delay=0.2, connect_timeout=2,
                   read_timeout=5)
WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM w ORDER BY id"
DAILY_SQL = ("SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil FROM d "
             "ORDER BY well, day")


pytestmark = pytest.mark.usefixtures("emulator_credentials")


@pytest.fixture(scope="module")
def tables(mariadb):
    """250 wells (3 pages) and 10 days of production for each (25 pages)."""
    mariadb.run("CREATE TABLE w (id VARCHAR(12) PRIMARY KEY, name VARCHAR(40))",
                "CREATE TABLE d (well VARCHAR(12), day DATE, oil INT)",
                "INSERT INTO w SELECT CONCAT('W', seq), CONCAT('WELL ', seq) FROM seq_1_to_250",
                "INSERT INTO d SELECT w.id, DATE_ADD('2024-01-01', INTERVAL s.seq DAY), s.seq "
                "FROM w JOIN seq_0_to_9 s")
    return mariadb


@pytest.fixture
def project(tables, tmp_path):
    return write_project(tmp_path / "p", tables.section(),
                         {"wells": WELLS_SQL, "daily-productions": DAILY_SQL})


def assert_nothing_lost(report) -> None:
    for resource in report.resources:
        assert resource.unaccounted == 0, resource
        not_accepted = resource.rejected + resource.not_sent
        if not_accepted:
            with open(resource.rejects_file, encoding="utf-8") as handle:
                lines = [json.loads(x) for x in handle if f'"{resource.name}"' in x]
            assert len(lines) == not_accepted
            assert all(line["reason"] and line["values"] for line in lines)


def sync(project, emulator, **options):
    options = {"retry": FAST, "limit": 0, "page_size": 100, **options}
    report = start(project, base_url=emulator.base_url, **options)
    assert_nothing_lost(report)
    return report


@pytest.mark.parametrize(("status", "retry_after", "failures"), [
    (429, 0.05, 3), (429, None, 3), (500, None, 2), (502, None, 2), (503, 0, 4), (504, None, 2),
], ids=["429-retry-after", "429-backoff", "500", "502", "503-burst", "504"])
def test_throttling_and_server_errors_are_retried(project, emulator, status, retry_after,
                                                  failures):
    emulator.fail_next(failures, status=status, retry_after=retry_after)

    report = sync(project, emulator, resources=["wells"], concurrency=1)

    wells = report.resource("wells")
    assert report.ok and wells.accepted == 250
    assert wells.requests == 3 + failures
    assert [r.status for r in emulator.requests][:failures] == [status] * failures


@pytest.mark.parametrize("how", ["truncated", "bad-gzip"])
def test_answers_broken_on_the_way_are_retried(project, emulator, how):
    emulator.mangle_next(2, how)

    report = sync(project, emulator, resources=["wells"], concurrency=1)

    wells = report.resource("wells")
    assert report.ok and wells.accepted == 250 and wells.requests == 3 + 2
    assert len(emulator.wells()) == 250


def test_a_redirect_is_not_followed_and_its_rows_are_not_sent(project, emulator):
    emulator.mangle_next(1000, "redirect-loop")

    report = sync(project, emulator, resources=["wells"], concurrency=1)

    wells = report.resource("wells")
    assert wells.accepted == 0 and wells.not_sent == wells.rows_read > 0 and not report.ok
    assert wells.errors == ["PUT /v1/wells: HTTP 307, the API redirects to /v1/wells; set "
                            "base_url to the API's own address"]
    assert [r.status for r in emulator.requests] == [307]  # not followed, not retried


def test_retry_after_is_honoured(project, emulator):
    emulator.fail_next(1, status=429, retry_after=0.6)

    report = sync(project, emulator, resources=["wells"], concurrency=1)

    first, second = emulator.requests[:2]
    assert second.started - first.finished >= 0.55
    assert report.ok


def test_dropped_connections_are_retried(project, emulator):
    emulator.drop_next(2)

    report = sync(project, emulator, resources=["wells"])

    assert report.ok and report.resource("wells").accepted == 250
    assert len(emulator.wells()) == 250


def test_quota_429_storm_is_ridden_out(project, emulator):
    emulator.quota_per_minute, emulator.quota_window = 2, 0.5

    report = sync(project, emulator, resources=["wells"], rate_limit=None, concurrency=1)

    assert report.ok and report.resource("wells").accepted == 250
    assert 429 in [r.status for r in emulator.requests]


def test_giving_up_is_bounded_and_counted(project, emulator):
    emulator.fail_next(1000, status=503)
    policy = RetryPolicy(max_wait=0.6, base_delay=0.1, max_delay=0.2)
    began = time.monotonic()

    report = sync(project, emulator, retry=policy, concurrency=1)

    assert time.monotonic() - began < 5
    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert wells.accepted == 0 and wells.not_sent == wells.rows_read > 0
    assert "gave up after" in wells.errors[0] and "--max-wait" in wells.errors[0]
    assert not report.ok and daily.errors  # the next resource still ran (and failed alike)


def test_read_timeouts_are_retried_then_given_up(project, emulator):
    emulator.latency = 1.0
    policy = RetryPolicy(max_wait=0.3, base_delay=0.1, max_delay=0.1, read_timeout=0.2)

    report = sync(project, emulator, retry=policy, resources=["wells"], concurrency=1)

    wells = report.resource("wells")
    assert wells.not_sent > 0 and wells.accepted == 0 and "timed out" in wells.errors[0]


@pytest.mark.parametrize("status", [400, 413, 415])
def test_client_errors_are_never_retried(project, emulator, status):
    emulator.fail_next(1, status=status)

    report = sync(project, emulator, concurrency=1)

    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert [r.status for r in emulator.requests if r.path == "/v1/wells"] == [status]
    assert wells.rejected == 100 and f"HTTP {status}" in wells.errors[0]
    assert wells.requests == 1
    assert daily.requests > 0  # the run went on with the next resource


def test_unauthorised_stops_the_run_with_a_hint(project, emulator, monkeypatch):
    monkeypatch.setenv("COMBOCURVE_TOKEN", "expired-or-wrong")

    report = sync(project, emulator)

    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert "HTTP 401" in wells.errors[0] and "COMBOCURVE_TOKEN" in wells.errors[0]
    assert wells.accepted == 0 and wells.not_sent == wells.rows_read
    assert daily.errors == ["not run: the run stopped at the API's 401 answer"]
    assert {r.status for r in emulator.requests} == {401}
    assert len(emulator.requests) <= 4  # no more than were already in flight


# -- the database side ---------------------------------------------------------------------


def _kill_when_daily_rows_arrive(emulator, kill) -> threading.Thread:
    def watch():
        wait_for(lambda: any(r.path == "/v1/daily-productions" for r in emulator.requests), 10,
                 interval=0.005, fail=False)
        kill()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _big_project(db, tmp_path, rows: int = 40000):
    fill_big(db, rows)
    if db.kind == "postgres":  # MariaDB has the module's tables
        db.run("CREATE TABLE w (id VARCHAR(12) PRIMARY KEY, name VARCHAR(40))",
               "INSERT INTO w SELECT 'W' || g, 'WELL ' || g FROM generate_series(1, 250) g")
    return write_project(tmp_path / "big", db.section(), {"daily-productions": BIG_DAILY_SQL,
                                                         "wells": WELLS_SQL})


def test_mariadb_connection_killed_mid_read(tables, emulator, tmp_path):
    project = _big_project(tables, tmp_path, rows=20000)
    emulator.latency = 0.02

    def kill():
        for row in tables.rows("SELECT id FROM information_schema.processlist "  # this test's
                               "WHERE db = DATABASE() AND info LIKE '%FROM big%' "  # only
                               "AND info NOT LIKE '%processlist%'"):
            tables.run(f"KILL {row['id']}")
    watcher = _kill_when_daily_rows_arrive(emulator, kill)

    report = sync(project, emulator, page_size=100, concurrency=1, rate_limit=None)
    watcher.join()

    daily = report.resource("daily-productions")
    assert daily.errors and "lost the connection to mysql 127.0.0.1:3306" in daily.errors[0]
    assert "resources/daily-productions.sql" in daily.errors[0]
    assert 0 < daily.rows_read < 20000 and daily.accepted == daily.rows_read
    assert not report.ok


def test_postgres_connection_killed_mid_read(postgres, emulator, tmp_path):
    project = _big_project(postgres, tmp_path)
    emulator.latency = 0.05

    def kill():
        postgres.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE (query LIKE '%FROM big%' OR query LIKE 'FETCH%') "
                     "AND datname = current_database() AND pid <> pg_backend_pid()")
    watcher = _kill_when_daily_rows_arrive(emulator, kill)

    report = sync(project, emulator, page_size=100, concurrency=1, rate_limit=None)
    watcher.join()

    daily = report.resource("daily-productions")
    assert daily.errors and "postgres 127.0.0.1:5432" in daily.errors[0]
    assert 0 < daily.rows_read < 40000 and daily.accepted == daily.rows_read


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (a hung database host)."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield listener.getsockname()[1]
    listener.close()


@pytest.mark.parametrize("case", ["refused", "silent", "password", "database"])
def test_database_faults_are_one_clear_line(tables, emulator, tmp_path, case, silent_server):
    port, user, password, database = 3306, "root", "", tables.name
    if case == "refused":
        port = closed_port()
    elif case == "silent":
        port = silent_server
    elif case == "password":
        tables.run("CREATE USER IF NOT EXISTS 'cc_reader'@'%' IDENTIFIED BY 'Right-Pass-1'")
        user, password = "cc_reader", "Wrong-Pass-2"
    else:
        database = "cc_no_such_database"
    project = write_project(tmp_path / case, f"""\
        [connection]
        type = "mysql"
        [mysql]
        host = "127.0.0.1"
        port = {port}
        user = "{user}"
        password = "{password}"
        database = "{database}"
        connect_timeout = 1
        """, {"wells": WELLS_SQL})
    began = time.monotonic()

    report = sync(project, emulator)

    assert time.monotonic() - began < 5
    [error] = report.resource("wells").errors
    assert error.startswith(f"mysql 127.0.0.1:{port}/{database}: cannot connect: ")
    assert "\n" not in error and (not password or password not in error)
    assert emulator.requests == []
    expected = {"refused": "Can't connect", "silent": "timed out", "password": "Access denied",
                "database": "Unknown database"}[case]
    assert expected in error


def test_sql_error_names_the_file_and_keeps_the_database_message(tables, emulator, tmp_path):
    project = write_project(tmp_path / "p", tables.section(), {
        "wells": "SELECT id AS chosenID FROM no_such_table",
        "daily-productions": DAILY_SQL})

    report = sync(project, emulator)

    [error] = report.resource("wells").errors
    assert error.startswith("resources/wells.sql: query failed on mysql 127.0.0.1:3306/")
    assert "no_such_table' doesn't exist (error 1146)" in error
    assert report.resource("daily-productions").rows_read == 2500  # the next resource ran


@pytest.mark.parametrize("statement", [
    "DELETE FROM w", "UPDATE w SET name = 'X'", "INSERT INTO w VALUES ('Z1', 'Z')",
    "DROP TABLE w", "CREATE TABLE sneaky (a INT)", "SELECT 1; DELETE FROM w",
])
def test_queries_cannot_change_the_database(tables, emulator, tmp_path, statement):
    project = write_project(tmp_path / "p", tables.section(), {"wells": statement})
    before = tables.rows("SELECT COUNT(*) AS n, MAX(name) AS top FROM w")

    report = sync(project, emulator, dry_run=True)

    [error] = report.resource("wells").errors
    assert error.startswith("resources/wells.sql: query failed on mysql")
    assert tables.rows("SELECT COUNT(*) AS n, MAX(name) AS top FROM w") == before
    assert not tables.rows("SHOW TABLES LIKE 'sneaky'")


@pytest.mark.parametrize("statement", ["DELETE FROM w", "UPDATE w SET name = 'X'"])
def test_mysql_writes_meet_a_read_only_session(tables, emulator, tmp_path, statement):
    project = write_project(tmp_path / "p", tables.section(), {"wells": statement})

    report = sync(project, emulator, dry_run=True)

    assert "READ ONLY transaction (error 1792)" in report.resource("wells").errors[0]


@pytest.mark.parametrize("statement", [
    "DELETE FROM keep RETURNING a AS customNumber0",
    "SELECT 'internal' AS dataSource, 'A1' AS chosenID, nextval('counter') AS customNumber0",
    "SELECT 1 AS customNumber0; DELETE FROM keep",
])
def test_postgres_queries_cannot_change_the_database(postgres, emulator, tmp_path, statement):
    postgres.run("DROP TABLE IF EXISTS keep", "CREATE TABLE keep (a INT)",
                 "INSERT INTO keep VALUES (1)", "DROP SEQUENCE IF EXISTS counter",
                 "CREATE SEQUENCE counter")
    project = write_project(tmp_path / "p", postgres.section(), {"wells": statement})

    report = sync(project, emulator, dry_run=True)

    assert report.resource("wells").errors[0].startswith("resources/wells.sql: query failed")
    assert postgres.rows("SELECT COUNT(*) AS n FROM keep") == [{"n": 1}]
    assert postgres.rows("SELECT last_value, is_called FROM counter") == \
        [{"last_value": 1, "is_called": False}]


def test_mysql_session_is_utc_read_only_and_patient(tables, emulator, tmp_path):
    project = write_project(tmp_path / "p", tables.section(), {"wells": """\
        SELECT 'internal' AS dataSource, 'S1' AS chosenID,
               @@session.time_zone AS customString0,
               @@session.net_write_timeout AS customNumber0,
               @@session.tx_read_only AS customNumber1"""})

    report = sync(project, emulator, max_wait=900)

    assert report.ok
    [well] = emulator.wells()
    assert well["customString0"] == "+00:00"
    assert well["customNumber0"] >= 900  # a back-off of minutes does not kill the stream
    assert well["customNumber1"] == 1


def test_a_stop_request_ends_the_run_after_the_page_with_every_row_counted(project, emulator):
    stop = threading.Event()
    emulator.latency = 0.05
    watcher = threading.Thread(target=lambda: (  # wells take 3 requests, daily rows 25
        wait_for(lambda: len(emulator.requests) >= 6, 10, interval=0.005, fail=False),
        stop.set()), daemon=True)
    watcher.start()

    report = sync(project, emulator, concurrency=2, stop=stop)

    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert report.interrupted == "the run was stopped on request" and not report.ok
    assert wells.ok and wells.accepted == 250
    assert daily.errors[0].startswith("stopped on request after")
    assert daily.accepted + daily.not_sent == daily.rows_read < 2500 and daily.accepted > 0
    assert len(emulator.daily_productions()) == daily.accepted


def test_sigterm_stops_the_cli_cleanly(project, emulator, tmp_path):
    import signal

    emulator.latency = 0.2
    report_file = tmp_path / "report.json"
    child = run_core(project, "--base-url", emulator.base_url, "--concurrency", "1", "--limit",
                     "0", "--page-size", "100", "--report", report_file, wait=False)
    wait_for(lambda: len(emulator.requests) >= 1, 10, interval=0.005, fail=False)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)

    assert child.returncode == 130, err
    assert "SIGTERM: stopping after the current page" in err and "Traceback" not in err
    assert "the run was stopped on request" in out
    body = json.loads(report_file.read_text())
    wells = body["resources"][0]
    assert body["interrupted"] and wells["rows_read"] == wells["accepted"] + wells["not_sent"]
    assert body["resources"][1]["errors"] == ["not run: the run was stopped on request"]


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("mysql", '{ ssl_ca = "/no/such/ca.pem" }', "[mysql.options] ssl_ca: no file /no/such/ca.pem"),
    ("mysql", '{ ssl_capath = "/no/such/certs" }',
     "[mysql.options] ssl_capath: no folder /no/such/certs"),
    ("mysql", "{ bogus = 1 }", "[mysql.options] bogus is not an option of the mysql driver"),
    ("mysql", '{ sslrootcert = "ca.pem" }',
     "[mysql.options] sslrootcert is not an option of the mysql driver (did you mean "
     "'ssl_cert'?)"),
    ("mysql", '{ password = "x" }', "[mysql.options] password: set it in [mysql] itself"),
    ("postgres", '{ sslrootcert = "/no/such/ca.pem", sslmode = "verify-full" }',
     "[postgres.options] sslrootcert: no file /no/such/ca.pem"),
    ("postgres", '{ ssl_ca = "ca.pem" }',
     "[postgres.options] ssl_ca is not an option of the postgres driver (did you mean "
     "'sslcrl'?)"),
])
def test_driver_options_that_cannot_work_are_project_errors(kind, options, message, tmp_path,
                                                            emulator):
    from core import ProjectError

    port, user = (3306, "root") if kind == "mysql" else (5432, "postgres")
    project = write_project(tmp_path / "p", f"""\
        [connection]
        type = "{kind}"
        [{kind}]
        host = "127.0.0.1"
        port = {port}
        user = "{user}"
        options = {options}
        """, {"wells": WELLS_SQL})

    with pytest.raises(ProjectError) as caught:
        start(project, base_url=emulator.base_url)

    assert str(caught.value) == f"combocurve.toml: {message}"
    assert emulator.requests == []


def test_sqlite_paths_and_names_with_quotes_attach(tmp_path):
    import sqlite3

    folder = tmp_path / "it's here"
    project = write_project(folder, """\
        [connection]
        type = "sqlite"
        [sqlite]
        database = "main's.db"
        attach = { "o'brien \\"x\\"" = "o'brien.db" }
        """, {"wells": "SELECT 'internal' AS dataSource, id AS chosenID "
                       "FROM \"o'brien \"\"x\"\"\".w"})
    sqlite3.connect(folder / "main's.db").close()
    with sqlite3.connect(folder / "o'brien.db") as db:
        db.execute("CREATE TABLE w (id TEXT)")
        db.execute("INSERT INTO w VALUES ('Q1'), ('Q2')")
    db.close()

    report = start(project, dry_run=True)

    wells = report.resource("wells")
    assert wells.errors == [] and wells.would_send == 2
