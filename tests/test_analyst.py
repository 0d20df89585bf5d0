"""For analysts: dry run, parquet snapshots, the Python API, the CLI's report and exit codes."""

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

import core
from conftest import ROOT, run_core, write_project

WELLS_SQL = """SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName,
    county, lateral AS perfLateralLength, spud AS spudDate FROM w ORDER BY n"""
DAILY_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil, gas
    FROM d ORDER BY well, day"""


pytestmark = pytest.mark.usefixtures("emulator_credentials")


@pytest.fixture(scope="module")
def tables(mariadb):
    """150 wells, the second page of which has no county at all; one bad id; 3 days each."""
    mariadb.run(
        "CREATE TABLE w (n INT, id VARCHAR(12), name VARCHAR(20), county VARCHAR(20), "
        "lateral INT, spud DATE)",
        "INSERT INTO w SELECT seq, CONCAT('W', seq), CONCAT('WELL ', seq), "
        "IF(seq <= 100, 'Reeves', NULL), IF(seq % 7 = 0, NULL, 5000 + seq), "
        "DATE_ADD('2020-01-01', INTERVAL seq DAY) FROM seq_1_to_150",
        "UPDATE w SET id = 'BAD-ID' WHERE n = 42",
        "CREATE TABLE d (well VARCHAR(12), day DATE, oil INT, gas DOUBLE)",
        "INSERT INTO d SELECT w.id, DATE_ADD('2024-01-01', INTERVAL s.seq DAY), s.seq * 10, "
        "s.seq * 1.5 FROM w JOIN seq_0_to_2 s WHERE w.id <> 'BAD-ID'")
    return mariadb


@pytest.fixture
def project(tables, tmp_path):
    return write_project(tmp_path / "p", tables.section(),
                         {"wells": WELLS_SQL, "daily-productions": DAILY_SQL})


def test_dry_run_sends_nothing_and_needs_no_credentials(project, emulator, monkeypatch):
    monkeypatch.delenv("COMBOCURVE_API_KEY")
    monkeypatch.delenv("COMBOCURVE_TOKEN")

    report = core.start(project, dry_run=True, base_url=emulator.base_url)

    assert emulator.requests == []
    wells, daily = report.resource("wells"), report.resource("daily-productions")
    assert (wells.rows_read, wells.would_send, wells.rejected, wells.records_sent) == \
        (150, 149, 1, 0)
    assert (daily.would_send, daily.unaccounted) == (447, 0)
    assert "dry run: nothing was sent" in report.summary()


def test_snapshots_hold_what_was_sent_and_the_answers(project, emulator, tmp_path):
    folder = tmp_path / "snapshots"

    report = core.start(project, base_url=emulator.base_url, snapshot_dir=folder)

    wells = report.resource("wells")
    assert wells.snapshot_file == str(folder / f"{report.run_id}-wells.parquet")
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{report.run_id}-daily-productions.parquet", f"{report.run_id}-wells.parquet"]
    frame = pd.read_parquet(wells.snapshot_file)
    assert len(frame) == wells.records_sent == 149
    assert set(frame["status"]) == {"Created"} and set(frame["code"]) == {201}
    assert frame["run_id"].unique().tolist() == [report.run_id]
    assert frame["page"].tolist() == [1] * 99 + [2] * 50
    assert 42 not in frame["row"].tolist() and frame["row"].max() == 150
    schema = pq.read_schema(wells.snapshot_file)
    assert str(schema.field("county").type) == "string"  # page 2 holds no county at all
    assert str(schema.field("perfLateralLength").type) == "double"
    assert str(schema.field("spudDate").type) == "date32[day]"
    assert frame.loc[frame["row"] == 101, "county"].isna().all()
    assert frame.loc[frame["row"] == 1, "perfLateralLength"].item() == 5001

    again = core.start(project, base_url=emulator.base_url, snapshot_dir=folder,
                       resources=["wells"], full_refresh=True)
    second = pd.read_parquet(again.resource("wells").snapshot_file)
    assert set(second["status"]) == {"OK"}  # replaced, not created, the second time


def test_snapshot_of_a_dry_run_has_no_outcomes(project, tmp_path):
    report = core.start(project, dry_run=True, snapshot_dir=tmp_path / "s",
                        resources=["daily-productions"])

    frame = pd.read_parquet(report.resource("daily-productions").snapshot_file)
    assert len(frame) == 447 and frame["status"].isna().all()
    assert frame["gas"].iloc[1] == 1.5 and str(frame["date"].iloc[0]) == "2024-01-01"


def test_parquet_and_tqdm_are_imported_only_when_asked_for(project):
    # pandas 3 loads pyarrow's core itself; the parquet writer is ours to keep out
    code = ("import sys, core; core.start(sys.argv[1], dry_run=True); "
            "print(sorted(m for m in ('pyarrow.parquet', 'tqdm', 'matplotlib') "
            "if m in sys.modules))")

    done = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)

    assert done.stdout.strip() == "[]", done.stderr


def test_preview_is_the_normalised_first_page(project):
    wells = core.preview(project, "wells")
    daily = core.preview(project, "daily-productions", rows=5)

    assert len(wells) == 99 and 42 not in wells.index  # the bad id would be rejected
    assert list(wells.columns) == ["dataSource", "chosenID", "wellName", "county",
                                   "perfLateralLength", "spudDate"]
    assert str(wells["perfLateralLength"].dtype) == "Int64"
    assert wells.loc[1, "spudDate"] == "2020-01-02"
    assert daily.index.tolist() == [1, 2, 3, 4, 5]
    assert len(core.preview(project, "daily-productions", rows=0)) == 447  # 0: all rows


def test_validate_lists_rejects_with_reasons(project):
    rejects = core.validate(project)

    assert rejects[["resource", "row", "outcome"]].values.tolist() == [["wells", 42, "rejected"]]
    assert rejects["reason"].item() == "chosenID: 'BAD-ID' must be 1-32 letters and digits"
    assert rejects["fields"].item() == ["chosenID"]
    assert rejects["values"].item()["wellName"] == "WELL 42"


def test_a_loaded_project_syncs_and_reports_as_a_frame(project, emulator):
    loaded = core.load_project(project)

    frame = core.start(loaded, base_url=emulator.base_url).to_frame()

    assert frame.loc["wells", "accepted"] == 149 and frame.loc["wells", "rejected"] == 1
    assert not frame.loc["wells", "ok"] and frame.loc["daily-productions", "ok"]


def test_cli_exit_codes_and_report(project, emulator, tmp_path):
    report_file = tmp_path / "report.json"

    rejected = run_core(project, "--base-url", emulator.base_url, "--report", report_file)
    assert rejected.returncode == 1
    assert "rejected and unsent rows with reasons" in rejected.stdout
    assert json.loads(report_file.read_text())["ok"] is False
    assert "INFO daily-productions: request 1: 100 sent, 100 accepted" in rejected.stderr

    clean = run_core(project, "--resource", "daily-productions", "--base-url",
                     emulator.base_url, "--report", report_file, "-q")
    assert clean.returncode == 0, clean.stderr
    assert "daily-productions" in clean.stdout and clean.stderr == ""
    body = json.loads(report_file.read_text())
    assert body["ok"] is True
    assert set(body["resources"][0]) >= {"name", "rows_read", "records_sent", "accepted",
                                         "rejected", "requests", "errors"}

    unreachable = run_core(project, "--base-url", "http://127.0.0.1:9", "--max-wait", "0.5")
    assert unreachable.returncode == 3  # no HTTP answer at all: worth a retry later
    assert "gave up after" in unreachable.stdout and "Traceback" not in unreachable.stderr


def test_progress_bar_per_resource_when_asked(project, emulator, capsys):
    report = core.start(project, base_url=emulator.base_url, progress=True)

    bars = capsys.readouterr().err
    assert report.resource("daily-productions").accepted == 447
    assert "wells: " in bars and "150/150" in bars and "daily-productions: " in bars
