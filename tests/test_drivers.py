"""The MySQL drivers (PyMySQL, mysqlclient, MariaDB Connector/Python): the same rows give the
same request bodies, byte for byte, and the same rejects, whichever driver reads them."""

import pytest

from conftest import write_project
from core.project import DRIVER_NAMES, load_project
from core.sources import Source
from core.sources.drivers import DRIVERS
from core.transform import map_columns, normalise, to_payload

ROWS = 3000
EVERY_TYPE = f"""
    CREATE TABLE every_type AS SELECT
        seq AS n,
        CONCAT('W', seq) AS id,
        IF(seq % 11 = 0, NULL, DATE('2024-01-01') + INTERVAL seq DAY) AS d,
        IF(seq % 13 = 0, NULL, TIMESTAMP('2023-12-31 22:00:00') + INTERVAL seq HOUR) AS dt,
        CAST(TIMESTAMP('2024-01-01 00:00:00.250000') + INTERVAL seq SECOND AS DATETIME(6))
            AS dt6,
        CAST(TIMESTAMP('2024-06-01 23:30:00') + INTERVAL seq MINUTE AS DATETIME) AS ts_like,
        SEC_TO_TIME(CAST(seq AS SIGNED) * 97 - 50000) AS t,
        CAST(seq / 7 AS DECIMAL(20, 6)) AS dec6,
        CAST(seq AS DECIMAL(12, 2)) AS dec_whole,
        seq * 1234567 AS big,
        seq / 3 AS ratio,
        CAST(seq / 3 AS FLOAT) AS f,
        seq % 2 = 0 AS flag,
        IF(seq % 5 = 0, 'PEÑA ''X'' 1H', CONCAT('name ', seq)) AS name,
        IF(seq % 17 = 0, '', CONCAT(' ', seq, ' ')) AS padded,
        JSON_OBJECT('n', seq, 'half', seq / 2) AS j,
        IF(seq % 19 = 0, 'not a number', CAST(seq AS CHAR)) AS ntext
    FROM seq_1_to_{ROWS}"""
QUERY = """SELECT 'internal' AS dataSource, id AS chosenID, d AS spudDate, dt AS permitDate,
    dt6 AS firstProdDate, ts_like AS til, t AS customString0, dec6 AS customNumber0,
    dec_whole AS customString1, big AS customNumber1, ratio AS customNumber2, f AS customNumber3,
    flag AS customBool0, name AS wellName, padded AS customString2, j AS customString3,
    ntext AS lateralLength, dt6 AS customString4
    FROM every_type ORDER BY n"""


@pytest.fixture(scope="module")
def every_type(mariadb):
    mariadb.run("SET SESSION time_zone = '+00:00'", EVERY_TYPE,
                "ALTER TABLE every_type ADD COLUMN bits BIT(1)",
                "UPDATE every_type SET bits = b'1' WHERE n % 3 = 0",
                "UPDATE every_type SET bits = b'0' WHERE n % 3 = 1")
    return mariadb


def _read(db, driver: str, folder) -> tuple[bytes, list]:
    """What a sync would send for QUERY through `driver`, and what it would reject."""
    sql = QUERY.replace("FROM every_type", ", bits AS customBool1 FROM every_type")
    project = load_project(write_project(folder, db.section(driver), {"wells": sql}),
                           require_credentials=False)
    query = project.query("wells")
    source = Source(project.connection)
    try:
        mapping = map_columns(query.resource, source.columns(query), query.file)
        bodies, rejects = [], []
        for page in source.pages(query, limit=0, page_size=700):
            checked = normalise(page, query.resource, mapping)
            bodies.append(to_payload(checked.records))
            rejects += [(r.row, r.reason) for r in checked.rejects]
    finally:
        source.close()
    return b"\n".join(bodies), rejects


def test_every_driver_sends_the_same_bytes(every_type, tmp_path, mysql_driver):
    reference, reference_rejects = _read(every_type, "pymysql", tmp_path / "pymysql")
    body, rejects = _read(every_type, mysql_driver, tmp_path / mysql_driver)

    assert body == reference
    assert rejects == reference_rejects
    assert len(rejects) == ROWS // 19  # 'not a number' in a number field, by every driver
    assert b'"customBool1":true' in body and b'"customString0":"-13:51:43"' in body



def test_the_drivers_a_project_may_name_are_the_drivers_there_are():
    """project.py checks `driver = ...` against its own list (it cannot import the drivers
    without a cycle): the two lists must name the same drivers, default first."""
    assert {kind: tuple(d.name for d in DRIVERS[kind]) for kind in DRIVER_NAMES} == DRIVER_NAMES
    assert all(len(choices) == 1 for kind, choices in DRIVERS.items() if kind not in DRIVER_NAMES)
