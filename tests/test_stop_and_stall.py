"""Nothing hangs, and a stop is quick: a database that stalls mid-read fails its resource in
bounded time, and SIGTERM or Ctrl-C end a run within seconds even while a query computes its
first row or a request waits on a slow API (the query is cancelled on the server, the report is
written, the exit code is 130).

The stall is real: a TCP proxy on 127.0.0.1 between the sync and the database that, after a
number of bytes, stops forwarding anything while keeping every connection open (as a network
partition or a hung proxy does). Each stop is a real signal sent to a real child process.
"""

import json
import os
import signal
import socket
import sqlite3
import threading

import pytest

from conftest import SQLITE_SECTION, run_core, wait_for, write_project
from core.main import start
from production_data import BIG_DAILY_SQL, fill_big

pytestmark = pytest.mark.usefixtures("emulator_credentials")  # the CLI's children inherit them

SLEEPING = {  # a wells query that computes for an hour before its first row
    "mysql": "SELECT 'internal' AS dataSource, 'A1' AS chosenID FROM (SELECT SLEEP(3600) AS s) t",
    "postgres": "SELECT 'internal' AS dataSource, 'A1' AS chosenID FROM pg_sleep(3600)",
    "sqlite": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
              "SELECT 'internal' AS dataSource, 'A1' AS chosenID FROM c WHERE n < 0",
}


class StallingProxy:
    """Forwards TCP to the database until `after` bytes came back; from then on forwards
    nothing, and answers no new connection, while keeping every connection open."""

    def __init__(self, upstream_port: int, after: int):
        self.upstream_port, self.after, self.returned = upstream_port, after, 0
        self.stalled, self.closed = threading.Event(), threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.stalled.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self.sockets.append(upstream)
            for source, target, back in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pump, args=(source, target, back),
                                 daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, back: bool) -> None:
        while not self.stalled.is_set():
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                if back:
                    self.returned += len(data)
                    if self.returned > self.after:
                        self.stalled.set()
            if self.stalled.is_set():
                break
            try:
                target.sendall(data)
            except OSError:
                return
        self.closed.wait()  # hold every connection open, forwarding nothing

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets:
            sock.close()


@pytest.mark.parametrize("database", ["mariadb", "postgres"])
def test_a_database_that_stalls_mid_read_fails_the_resource_in_bounded_time(
        database, request, emulator, tmp_path):
    db = request.getfixturevalue(database)
    fill_big(db)  # 40,000 daily rows of 1 kB each: a read that lasts
    proxy = StallingProxy(5432 if db.kind == "postgres" else 3306, after=3_000_000)
    section = db.section().replace("port = 3306", f"port = {proxy.port}") \
        .replace("port = 5432", f"port = {proxy.port}") + "connect_timeout = 1\n"
    project = write_project(tmp_path / "p", section, {"daily-productions": BIG_DAILY_SQL})
    try:
        report = start(project, base_url=emulator.base_url, limit=0, page_size=1000,
                       max_wait=1)
    finally:
        proxy.close()

    daily = report.resource("daily-productions")
    assert proxy.stalled.is_set() and not report.interrupted
    assert 0 < daily.rows_read < 40000  # what was read before the stall was sent:
    assert daily.records_sent == daily.rows_read and daily.not_sent == 0
    [error] = daily.errors
    assert error.startswith(f"resources/daily-productions.sql: no answer from {db.kind} "
                            f"127.0.0.1:{proxy.port}/{db.name} for 1 s while waiting for rows: "
                            "the database or the network stalled")


def _cli(project, emulator, report_file, *args):
    return run_core(project, "--base-url", emulator.base_url, "--report", report_file, *args,
                    wait=False)


def _waiting_for(child, condition, what: str) -> None:
    """Wait for the child to reach the point to stop it at; never leave it running."""
    try:
        wait_for(condition, 60, what=what, interval=0.05)
    except BaseException:
        child.kill()
        child.communicate()
        raise


def _stopped(child, report_file, signum=signal.SIGTERM) -> tuple[dict, str]:
    """Send the signal; the child must end (an hour-long query or answer would hold it)."""
    child.send_signal(signum)
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "Traceback" not in err and "the run was stopped on request" in out
    report = json.loads(report_file.read_text())
    assert report["interrupted"] == "the run was stopped on request"
    return report["resources"][0], err


def test_sigterm_cancels_a_mariadb_query_computing_its_first_row(mariadb, emulator, tmp_path):
    project = write_project(tmp_path / "p", mariadb.section(), {"wells": SLEEPING["mysql"]})
    report_file = tmp_path / "report.json"
    sleeping = ("SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND "
                "info LIKE '%SLEEP(3600)%' AND info NOT LIKE '%processlist%'")
    child = _cli(project, emulator, report_file)
    _waiting_for(child, lambda: mariadb.rows(sleeping), "the query on the server")

    wells, _ = _stopped(child, report_file)

    assert wells["rows_read"] == 0 and wells["errors"]
    wait_for(lambda: not mariadb.rows(sleeping), 10, what="the query cancelled", interval=0.05)
    assert emulator.requests == []


def test_ctrl_c_cancels_a_postgres_query_computing_its_first_row(postgres, emulator, tmp_path):
    project = write_project(tmp_path / "p", postgres.section(), {"wells": SLEEPING["postgres"]})
    report_file = tmp_path / "report.json"
    sleeping = (f"SELECT pid FROM pg_stat_activity WHERE datname = '{postgres.name}' AND "
                "state = 'active' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()")
    child = _cli(project, emulator, report_file)
    _waiting_for(child, lambda: postgres.rows(sleeping), "the query on the server")

    wells, _ = _stopped(child, report_file, signal.SIGINT)

    assert wells["rows_read"] == 0 and wells["errors"]
    wait_for(lambda: not postgres.rows(sleeping), 10, what="the query cancelled", interval=0.05)


def test_sigterm_interrupts_a_sqlite_query_computing_its_first_row(emulator, tmp_path):
    project = write_project(tmp_path / "p", SQLITE_SECTION, {"wells": SLEEPING["sqlite"]})
    sqlite3.connect(project / "wells.db").close()
    report_file = tmp_path / "report.json"
    child = _cli(project, emulator, report_file)
    _waiting_for(child, lambda: _cpu_seconds(child.pid) > 3, "the query computing")

    wells, _ = _stopped(child, report_file)

    assert wells["rows_read"] == 0 and wells["errors"]


def _cpu_seconds(pid: int) -> float:
    """User CPU time of a process: climbs only while the query computes."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK")


def test_sigterm_ends_a_request_waiting_on_a_slow_api(mariadb, emulator, tmp_path):
    mariadb.run("CREATE TABLE IF NOT EXISTS w (id VARCHAR(12) PRIMARY KEY)",
                "INSERT IGNORE INTO w VALUES ('A1'), ('A2'), ('A3')")
    project = write_project(tmp_path / "p", mariadb.section(), {
        "wells": "SELECT 'internal' AS dataSource, id AS chosenID FROM w ORDER BY id"})
    report_file = tmp_path / "report.json"
    emulator.latency = 3600  # the answer would come in an hour
    child = _cli(project, emulator, report_file)
    _waiting_for(child, lambda: emulator.requests, "the request in flight")

    wells, err = _stopped(child, report_file)

    assert wells["rows_read"] == wells["not_sent"] == 3 and wells["accepted"] == 0
    assert "SIGTERM: stopping after the current page" in err
