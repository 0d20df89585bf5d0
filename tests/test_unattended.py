"""Runs nobody watches: exit codes for schedulers, log files and JSON lines, run_job() for
orchestrators, and the first run with nothing but a token."""

import json
import logging
import os
import re
import subprocess
import threading

import pytest

from conftest import (
    ROOT,
    closed_port,
    read_jsonl,
    run_core,
    sqlite_project,
    wait_for,
    write_project,
)
from conftest import SQLITE_WELLS_SQL as WELLS_SQL
from core import RunFailedError, load_project, run_job
from core.cli import ExitCode
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN
from core.project import DEFAULT_BASE_URL, PUBLIC_TEST_API_KEY


def cli(*argv, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI with no COMBOCURVE_* setting of this shell: only the emulator's key and token."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMBOCURVE_")}
    environment |= {"COMBOCURVE_API_KEY": DEFAULT_API_KEY, "COMBOCURVE_TOKEN": DEFAULT_TOKEN}
    return run_core(*argv, env=environment | (env or {}), timeout=90)


# -- exit codes ------------------------------------------------------------------------------


def test_exit_0_when_every_row_is_accepted(emulator, tmp_path):
    done = cli(sqlite_project(tmp_path / "p"), "--base-url", emulator.base_url)

    assert done.returncode == ExitCode.OK == 0, done.stderr
    assert len(emulator.wells()) == 3


def test_exit_1_when_a_row_is_rejected(emulator, tmp_path):
    done = cli(sqlite_project(tmp_path / "p", ("A1", "not-an-id")), "--base-url",
               emulator.base_url)

    assert done.returncode == ExitCode.FAILED == 1, done.stderr
    assert [w["chosenID"] for w in emulator.wells()] == ["A1"]


@pytest.mark.parametrize("argv", [["--page-size", "0"], ["--no-such-option"]])
def test_exit_2_for_bad_usage_or_an_invalid_project(tmp_path, argv):
    done = cli(sqlite_project(tmp_path / "p"), *argv)
    invalid = cli(ROOT / "tests" / "projects" / "invalid" / "no-type")

    assert done.returncode == invalid.returncode == ExitCode.USAGE == 2
    assert "Traceback" not in done.stderr + invalid.stderr


def test_exit_3_when_the_database_does_not_answer(emulator, tmp_path):
    project = write_project(tmp_path / "p", f"""\
        [connection]
        type = "mysql"
        [mysql]
        host = "127.0.0.1"
        port = {closed_port()}
        user = "reader"
        connect_timeout = 1
        """, {"wells": WELLS_SQL, "daily-productions": "SELECT 1 AS oil"})
    report_file = tmp_path / "report.json"

    done = cli(project, "--base-url", emulator.base_url, "--report", report_file)

    assert done.returncode == ExitCode.UNREACHABLE == 3, done.stderr
    body = json.loads(report_file.read_text())
    assert body["unreachable"] and all(r["unreachable"] for r in body["resources"])
    assert emulator.requests == []


def test_exit_3_when_the_api_does_not_answer(tmp_path):
    done = cli(sqlite_project(tmp_path / "p"), "--base-url", f"http://127.0.0.1:{closed_port()}",
               "--max-wait", "0.3")

    assert done.returncode == ExitCode.UNREACHABLE == 3, done.stderr
    assert "gave up after" in done.stdout


def test_a_database_that_answers_and_refuses_is_not_unreachable(mariadb, emulator, tmp_path):
    """A wrong password is a fault to fix, not an outage to wait out: exit 1, not 3."""
    project = write_project(tmp_path / "p", mariadb.section().replace(
        'user = "root"', 'user = "cc_nobody"\npassword = "Wrong-Pass-3"'), {"wells": WELLS_SQL})

    done = cli(project, "--base-url", emulator.base_url)

    assert done.returncode == ExitCode.FAILED, done.stderr
    assert "Access denied" in done.stdout and "Wrong-Pass-3" not in done.stdout + done.stderr


def test_api_reached_once_is_not_unreachable(emulator, tmp_path):
    """The first page is accepted, then the API goes away: rows got through, so exit 1."""
    project = sqlite_project(tmp_path / "p", [f"W{i}" for i in range(30)])
    emulator.latency = 0.3  # the second request waits this long before it is dropped
    watcher = threading.Thread(target=_drop_all_after_the_first_answer, args=(emulator,),
                               daemon=True)
    watcher.start()

    done = cli(project, "--base-url", emulator.base_url, "--page-size", "10",
               "--concurrency", "1", "--max-wait", "0.3", "--report", tmp_path / "r.json")
    watcher.join()

    body = json.loads((tmp_path / "r.json").read_text())
    assert done.returncode == ExitCode.FAILED, done.stderr
    assert body["resources"][0]["accepted"] == 10 and not body["unreachable"]


def _drop_all_after_the_first_answer(emulator) -> None:
    wait_for(lambda: emulator.requests and emulator.requests[0].finished, 30, interval=0.002,
             fail=False)
    emulator.drop_next(1000)  # every later request: the connection closes without an answer


def test_the_readme_documents_every_exit_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {int(m) for m in re.findall(r"^\| `(\d+)` \|", table, re.MULTILINE)}

    assert documented == {int(code) for code in ExitCode}


# -- logs ------------------------------------------------------------------------------------


def test_log_file_in_json_carries_run_id_resource_request_and_counts(emulator, tmp_path):
    project = sqlite_project(tmp_path / "p", [f"W{i}" for i in range(25)])
    log_file = tmp_path / "logs" / "sync.jsonl"

    done = cli(project, "--base-url", emulator.base_url, "--page-size", "10", "-q",
               "--log-file", log_file, "--log-format", "json")

    assert done.returncode == 0, done.stderr
    lines = read_jsonl(log_file)
    run_ids = {line.get("run_id") for line in lines}
    assert len(run_ids) == 1 and re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run_ids.pop())
    requests = [line for line in lines if "request" in line]
    assert [(p["resource"], p["request"], p["sent"], p["accepted"], p["rejected"])
            for p in requests] == [("wells", 1, 10, 10, 0), ("wells", 2, 10, 10, 0),
                                   ("wells", 3, 5, 5, 0)]
    [counts] = [line for line in lines if "rows_read" in line]
    assert (counts["rows_read"], counts["accepted"], counts["not_sent"], counts["unchanged"]) \
        == (25, 25, 0, 0)
    assert lines[-1]["exit_code"] == 0 and "resource" in lines[-1]["message"]  # the summary
    assert all(line["time"].endswith("Z") and line["level"] for line in lines)


def test_log_file_in_text_keeps_the_error_and_stderr_stays_one_line(tmp_path):
    log_file = tmp_path / "sync.log"

    done = cli(ROOT / "tests" / "projects" / "invalid" / "no-type", "--log-file", log_file)

    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "ERROR [-] Error: " in log_file.read_text() and "[connection] needs type" in \
        log_file.read_text()


def test_log_file_rotates(tmp_path, monkeypatch):
    from core.cli import logs

    monkeypatch.setattr(logs, "LOG_FILE_BYTES", 2000)
    log_file = tmp_path / "sync.log"
    root = logging.getLogger()
    before = list(root.handlers)
    args = type("Args", (), {"log_file": log_file, "log_format": "text", "verbose": False,
                             "quiet": True})()
    logs.set_up_logging(args)
    try:
        for i in range(100):
            logging.getLogger("core.test").info("line %d of a long enough message", i)
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()

    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated[:3] == ["sync.log", "sync.log.1", "sync.log.2"]
    assert "line 99 " in log_file.read_text()


def test_log_file_that_cannot_be_opened_is_a_usage_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")

    done = cli(sqlite_project(tmp_path / "p"), "--log-file", blocker / "sync.log")

    assert done.returncode == 2 and done.stderr.startswith("Error: --log-file ")


# -- run_job: the orchestrators' call ---------------------------------------------------------


def test_run_job_returns_the_report(emulator, tmp_path, emulator_credentials):
    report = run_job(sqlite_project(tmp_path / "p"), base_url=emulator.base_url)

    assert report.ok and report.resource("wells").accepted == 3


def test_run_job_raises_with_the_report_on_failure(emulator, tmp_path, emulator_credentials):
    with pytest.raises(RunFailedError) as caught:
        run_job(sqlite_project(tmp_path / "p", ("A1", "bad-id")), base_url=emulator.base_url)

    assert caught.value.report.resource("wells").rejected == 1
    assert "wells: 1 rejected, 0 not sent" in str(caught.value) and not caught.value.unreachable


def test_run_job_says_when_nothing_was_reachable(tmp_path, emulator_credentials):
    from core.client import RetryPolicy

    with pytest.raises(RunFailedError) as caught:
        run_job(sqlite_project(tmp_path / "p"), base_url=f"http://127.0.0.1:{closed_port()}",
                retry=RetryPolicy(max_wait=0.2, base_delay=0.05, max_delay=0.1))

    assert caught.value.unreachable and caught.value.report.resource("wells").not_sent == 3


# -- the first run ---------------------------------------------------------------------------


def test_first_run_on_the_test_api_takes_the_public_key(tmp_path, no_api_env, monkeypatch,
                                                        caplog):
    monkeypatch.setenv("COMBOCURVE_TOKEN", "just-a-token")
    project = sqlite_project(tmp_path / "p")

    with caplog.at_level(logging.DEBUG, logger="core.project"):
        loaded = load_project(project)

    assert loaded.base_url == DEFAULT_BASE_URL
    assert loaded.credentials.api_key.reveal() == PUBLIC_TEST_API_KEY
    assert PUBLIC_TEST_API_KEY in (ROOT / "example" / "combocurve.toml").read_text()
    [record] = [r for r in caplog.records if "public test API key" in r.getMessage()]
    assert record.levelno == logging.DEBUG and PUBLIC_TEST_API_KEY not in record.getMessage()


def test_other_apis_still_need_their_key(tmp_path, no_api_env, monkeypatch):
    monkeypatch.setenv("COMBOCURVE_TOKEN", "just-a-token")
    project = sqlite_project(tmp_path / "p", extra="""\
        [combocurve]
        base_url = "https://api.combocurve.com"
        """)

    from core import ProjectError
    with pytest.raises(ProjectError, match="no API credentials"):
        load_project(project)
