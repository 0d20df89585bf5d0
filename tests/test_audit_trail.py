"""The audit trail cannot be lost: its folders and the report are checked before anything is
sent, a disk that fills during a run stops the sending (and the run says so), and a killed run
leaves whole lines in the rejects file.

A full disk is the kernel's own refusal: the child process runs with RLIMIT_FSIZE, so any file
growing past the limit gets EFBIG ("File too large") as a full disk gets ENOSPC; /dev/full
refuses every write with ENOSPC itself.
"""

import contextlib
import json
import signal
import subprocess
import sys

import pytest

from conftest import CORE, fail_or_skip, read_jsonl, run_core, wait_for, write_project
from core import UsageError
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")  # the CLI's children inherit them

WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM w ORDER BY id"
# every other daily row has oil 'n/a': rejected, so the rejects file grows page by page
DAILY_SQL = ("SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil FROM d "
             "ORDER BY well, day")
# the CLI under a file size limit, as if the disk held only that much more
LIMITED_CLI = """
import resource, runpy, sys
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv[0] = "core"
runpy.run_module("core", run_name="__main__")
"""


@pytest.fixture(scope="module")
def tables(mariadb):
    mariadb.run("CREATE TABLE w (id VARCHAR(12) PRIMARY KEY, name VARCHAR(40))",
                "CREATE TABLE d (well VARCHAR(12), day DATE, oil VARCHAR(8))",
                "INSERT INTO w SELECT CONCAT('W', seq), CONCAT('WELL ', seq) FROM seq_1_to_250",
                "INSERT INTO d SELECT w.id, DATE_ADD('2024-01-01', INTERVAL s.seq DAY), "
                "IF(s.seq % 2, 'n/a', s.seq) FROM w JOIN seq_0_to_9 s")
    return mariadb


@pytest.fixture
def project(tables, tmp_path):
    return write_project(tmp_path / "p", tables.section(),
                         {"wells": WELLS_SQL, "daily-productions": DAILY_SQL})


def cli(project, emulator, *args, file_limit: int | None = None, wait: bool = True):
    # under a file size limit, no ledger: its own full disk is tests/test_ledger.py's
    command = CORE if file_limit is None else \
        [sys.executable, "-c", LIMITED_CLI, str(file_limit), "--no-state"]
    done = run_core(project, "--base-url", emulator.base_url, "--limit", "0", *args,
                    command=command, wait=wait)
    return done if not wait else (done.returncode, done.stdout, done.stderr)


@contextlib.contextmanager
def read_only(folder):
    """A folder nobody may write to, even root: chmod, else the immutable attribute."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    immutable = False
    if _writable(folder):  # root ignores modes
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode \
            == 0
    if _writable(folder):
        fail_or_skip("this machine cannot make a folder read-only for root (no chattr)")
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def _writable(folder) -> bool:
    try:
        (folder / ".probe").write_text("x")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


# -- checked before anything is sent -----------------------------------------------------------


@pytest.mark.parametrize("option", ["rejects_dir", "snapshot_dir"])
@pytest.mark.parametrize("case", ["under-a-file", "a-file", "read-only"])
def test_an_unwritable_audit_folder_stops_the_run_before_sending(project, emulator, tmp_path,
                                                                 option, case):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    context = read_only(tmp_path / "locked") if case == "read-only" else \
        contextlib.nullcontext({"under-a-file": blocker / "rejects", "a-file": blocker}[case])

    with context as folder, pytest.raises(UsageError) as caught:
        start(project, base_url=emulator.base_url, **{option: folder})

    what = {"rejects_dir": "rejects folder", "snapshot_dir": "snapshot folder"}[option]
    assert str(caught.value).startswith(f"{what} {folder}: cannot write there (")
    assert emulator.requests == []


def test_a_full_disk_stops_the_run_before_sending(project, emulator, tmp_path):
    code, out, err = cli(project, emulator, "--rejects-dir", str(tmp_path / "r"), file_limit=1000)

    assert code == 2 and out == "", err
    assert err == f"Error: rejects folder {tmp_path / 'r'}: cannot write there (File too large)\n"
    assert emulator.requests == [] and not (tmp_path / "r").exists()


@pytest.mark.parametrize("case", ["a-folder", "under-a-file", "read-only"])
def test_an_unwritable_report_path_stops_the_run_before_sending(project, emulator, tmp_path,
                                                                case):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    context = read_only(tmp_path / "locked") if case == "read-only" else \
        contextlib.nullcontext(tmp_path if case == "a-folder" else blocker)

    with context as folder:
        report = folder / "report.json" if case != "a-folder" else folder
        code, out, err = cli(project, emulator, "--report", str(report))

    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"Error: --report {report}: it is a folder" if case == "a-folder"
                          else f"Error: --report folder {folder}: cannot write there (")
    assert emulator.requests == []


# -- a disk that fills during the run ------------------------------------------------------------


def test_a_disk_that_fills_stops_the_sending_and_the_summary_says_so(project, emulator,
                                                                     tmp_path):
    rejects, report_file = tmp_path / "rejects", tmp_path / "report.json"

    code, out, err = cli(project, emulator, "--rejects-dir", str(rejects), "--report",
                         str(report_file), "--concurrency", "1", "--page-size", "100",
                         file_limit=40_000)

    assert code == 1 and "Traceback" not in err
    report = json.loads(report_file.read_text())
    wells, daily = report["resources"]
    assert wells["accepted"] == 250
    assert daily["rows_read"] == daily["accepted"] + daily["rejected"] + daily["not_sent"] < 2500
    [error] = daily["errors"]
    assert error.startswith(f"cannot write the rejects file {rejects}/")
    assert error.endswith(": File too large; nothing more was sent")
    assert error in out  # the summary says it too
    [jsonl] = rejects.iterdir()
    lines = read_jsonl(jsonl)  # whole lines only, the failed write undone
    assert 0 < len(lines) < daily["rejected"] + daily["not_sent"]
    daily_requests = [r for r in emulator.requests if r.path == "/v1/daily-productions"]
    assert len(daily_requests) < 25  # it stopped sending


def test_a_snapshot_that_cannot_be_completed_stops_the_run(project, emulator, tmp_path):
    snapshots, report_file = tmp_path / "snap", tmp_path / "report.json"

    code, out, err = cli(project, emulator, "--snapshot-dir", str(snapshots), "--report",
                         str(report_file), file_limit=5_000)

    assert code == 1 and "Traceback" not in err
    wells, daily = json.loads(report_file.read_text())["resources"]
    assert wells["accepted"] == 250 and wells["snapshot_file"].endswith(".parquet.part")
    [error] = wells["errors"]
    assert error.startswith(f"cannot write the snapshot {wells['snapshot_file']}: ")
    assert error.endswith("File too large; nothing more was sent")
    assert daily["errors"] == ["not run: the rejects file or snapshot could not be written"]


def test_a_report_that_cannot_be_written_is_an_error_after_the_summary(project, emulator):
    code, out, err = cli(project, emulator, "--resource", "wells", "--report", "/dev/full")

    assert code == 1 and out.startswith("resource")
    assert err.endswith("Error: cannot write the report /dev/full: No space left on device\n")
    assert "Traceback" not in err


# -- a killed run ----------------------------------------------------------------------------


def test_rejects_reach_the_disk_per_page_and_a_killed_run_leaves_whole_lines(project, emulator,
                                                                           tmp_path):
    assert start(project, base_url=emulator.base_url, resources=["wells"]).ok  # wells exist
    rejects = tmp_path / "rejects"
    emulator.latency = 1.0  # each page's answer takes a second: the run waits on page 1
    child = cli(project, emulator, "--resource", "daily-productions", "--rejects-dir",
                str(rejects), "--page-size", "50", "--concurrency", "1", wait=False)

    def some_lines() -> list[dict]:
        files = list(rejects.glob("*.jsonl")) if rejects.exists() else []
        return read_jsonl(files[0]) if files else []

    lines = wait_for(some_lines, 60, fail=False)  # the kill comes either way
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)

    assert len(lines) % 25 == 0 and lines  # whole pages: 25 of each page's 50 rows are 'n/a'
    assert all(line["reason"] == "oil: 'n/a' is not a number" for line in lines)
    [jsonl] = rejects.iterdir()
    assert len(read_jsonl(jsonl)) >= len(lines)  # whole lines after the kill too
