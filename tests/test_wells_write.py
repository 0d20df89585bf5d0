"""How wells are written: PUT replaces each well (and says what it clears), PATCH changes only
what the query has, and an `id` column names a well by its ComboCurve id."""

import json
import logging

import pytest

from conftest import write_project
from core.main import start
from core.resources import WELLS
from core.state import Ledger

pytestmark = pytest.mark.usefixtures("emulator_credentials")

WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM w ORDER BY id"
PATCH = '\n[resources.wells]\nwrite = "patch"\n'


@pytest.fixture
def wells(mariadb):
    mariadb.run("DROP TABLE IF EXISTS w",
                "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY, name VARCHAR(40), cc CHAR(24))",
                "INSERT INTO w (id, name) VALUES ('A1', 'ALPHA 1H'), ('B2', 'BRAVO 2H')")
    return mariadb


def _project(db, tmp_path, extra: str = "", sql: str = WELLS_SQL):
    return write_project(tmp_path / "p", db.section() + extra, {"wells": sql})


def test_a_dry_run_in_put_mode_says_what_is_cleared(wells, emulator, tmp_path):
    plan = start(_project(wells, tmp_path), dry_run=True, base_url=emulator.base_url)

    left_out = len(WELLS.fields) - 4  # all but id, dataSource, chosenID and wellName
    assert (f"wells: written with PUT, which replaces each well: the {left_out} writable "
            "fields the query leaves out are cleared in ComboCurve for every well sent "
            '([resources.wells] write = "patch" leaves them as they are)') in plan.summary()
    assert plan.resource("wells").notes

    patched = start(_project(wells, tmp_path / "patch", PATCH), dry_run=True,
                    base_url=emulator.base_url)
    assert "cleared" not in patched.summary() and not patched.resource("wells").notes


def test_patch_changes_only_what_the_query_has(wells, emulator, tmp_path):
    start(_project(wells, tmp_path / "first"), base_url=emulator.base_url)
    emulator.edit("wells", {"chosenID": "A1"}, {"county": "Reeves"})  # a geologist's work
    wells.run("UPDATE w SET name = 'ALPHA 1HR' WHERE id = 'A1'",
              "INSERT INTO w (id, name) VALUES ('C3', 'NEW 3H')")  # not in ComboCurve

    report = start(_project(wells, tmp_path, PATCH), base_url=emulator.base_url)

    assert [r.method for r in emulator.requests if r.path == "/v1/wells"] == ["PUT", "PATCH"]
    held = {w["chosenID"]: w for w in emulator.wells()}
    assert (held["A1"]["wellName"], held["A1"]["county"]) == ("ALPHA 1HR", "Reeves")
    assert "C3" not in held
    result = report.resource("wells")
    assert (result.accepted, result.rejected) == (2, 1)
    with open(result.rejects_file, encoding="utf-8") as handle:
        line = json.loads(handle.readline())
    assert line["values"]["chosenID"] == "C3"
    assert line["reason"].startswith("API: WellNotFoundError: No well was found with data "
                                     "source `internal` and chosen id `C3`")


def test_switching_the_write_mode_sends_every_well_again(wells, emulator, tmp_path, caplog):
    project = _project(wells, tmp_path)
    start(project, base_url=emulator.base_url)
    assert start(project, base_url=emulator.base_url).resource("wells").unchanged == 2

    (project / "combocurve.toml").write_text(wells.section() + PATCH, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core"):
        patched = start(project, base_url=emulator.base_url)

    assert patched.resource("wells").records_sent == 2
    assert "wells: sending every record again: it is written with patch now, with put before" \
        in caplog.text
    (project / "combocurve.toml").write_text(wells.section(), encoding="utf-8")
    assert start(project, base_url=emulator.base_url).resource("wells").records_sent == 2


def test_an_id_column_names_each_well_by_its_combocurve_id(wells, emulator, tmp_path):
    start(_project(wells, tmp_path / "first"), base_url=emulator.base_url)
    ids = {w["chosenID"]: w["id"] for w in emulator.wells()}
    wells.run(f"UPDATE w SET cc = '{ids['A1']}', name = 'ALPHA 1HR' WHERE id = 'A1'",
              f"UPDATE w SET cc = '{'f' * 24}' WHERE id = 'B2'")  # an id ComboCurve never gave
    project = _project(wells, tmp_path, PATCH, "SELECT cc AS id, 'internal' AS dataSource, "
                                               "id AS chosenID, name AS wellName FROM w")

    report = start(project, base_url=emulator.base_url)

    result = report.resource("wells")
    assert (result.accepted, result.rejected) == (1, 1)
    assert {w["chosenID"]: w["wellName"] for w in emulator.wells()} == \
        {"A1": "ALPHA 1HR", "B2": "BRAVO 2H"}
    with open(result.rejects_file, encoding="utf-8") as handle:
        assert f"No well was found with id `{'f' * 24}`" in handle.readline()
    ledger = Ledger.read(project / ".combocurve")
    held = ledger.records(emulator.base_url, "wells").to_pandas()
    ledger.close()
    assert held["id"].tolist() == [ids["A1"]]  # keyed by the id it goes by
