"""One database connection per resource: the column check's connection carries the stream."""

import pytest
import sqlalchemy as sa

import core.sources
from conftest import write_project
from core.main import start
from core.project import load_project
from core.sources import Source

pytestmark = pytest.mark.usefixtures("emulator_credentials")

WELLS = "SELECT 'internal' AS dataSource, id AS chosenID FROM w ORDER BY id"
DAILY = ("SELECT 'internal' AS dataSource, id AS chosenID, '2024-01-01' AS date, n AS oil "
         "FROM w ORDER BY id")


@pytest.fixture
def project(mariadb, tmp_path):
    mariadb.run("DROP TABLE IF EXISTS w", "CREATE TABLE w (id VARCHAR(12), n INT)",
                "INSERT INTO w SELECT CONCAT('W', seq), seq FROM seq_1_to_250")
    return write_project(tmp_path / "p", mariadb.section(),
                         {"wells": WELLS, "daily-productions": DAILY})


@pytest.fixture
def connections():
    """Every DBAPI connection any engine of this process opens while the test runs."""
    opened = []

    def count(dbapi_connection, _record):
        opened.append(dbapi_connection)

    sa.event.listen(sa.engine.Engine, "connect", count)
    yield opened
    sa.event.remove(sa.engine.Engine, "connect", count)


def test_a_run_opens_one_connection_per_resource(project, emulator, connections):
    report = start(project, limit=0, base_url=emulator.base_url)

    assert report.ok, report.summary()
    assert len(connections) == 2  # wells and daily productions: check and stream on one each


def test_a_connection_dropped_while_set_aside_is_replaced(project, mariadb, connections,
                                                          monkeypatch):
    loaded = load_project(project, require_credentials=False)
    query = loaded.query("wells")
    source = Source(loaded.connection)
    try:
        assert source.columns(query) == ["dataSource", "chosenID"]
        [aside] = connections
        mariadb.run(f"KILL {aside.thread_id()}")  # a server or firewall dropped it
        monkeypatch.setattr(core.sources, "KEEP_ASIDE_UNCHECKED", 0.0)

        rows = sum(len(page) for page in source.pages(query, limit=0, page_size=100))
    finally:
        source.close()

    assert rows == 250 and len(connections) == 2
