"""Awkward values from real MariaDB and PostgreSQL columns, each with its defined outcome."""

import json

import pytest

from conftest import write_project
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")


def _sync(db, emulator, tmp_path, sql):
    project = write_project(tmp_path / "p", db.section(), {"wells": sql})
    report = start(project, base_url=emulator.base_url)
    wells = report.resource("wells")
    assert wells.unaccounted == 0 and not wells.errors
    stored = {w["chosenID"]: w for w in emulator.wells()}
    rejected = {}
    if wells.rejects_file:
        with open(wells.rejects_file, encoding="utf-8") as handle:
            for line in map(json.loads, handle):
                values = {k.lower(): v for k, v in line["values"].items()}
                rejected[values["customstring1"]] = line["reason"]
    return stored, rejected


MARIADB_ROWS = [
    # label, chosen id, datetime, timestamp (entered at +05:00), text date, number text,
    # tinyint(1), bigint, decimal, name, varbinary name
    ("zero", "Z1", "0000-00-00 00:00:00", None, None, None, None, None, None, "A", None),
    ("tz", "T1", "2024-01-01 02:00:00", "2024-01-01 02:00:00", None, None, None, None, None,
     "A", None),
    ("baddate", "D1", None, None, "2021-02-30", None, None, None, None, "A", None),
    ("numtext", "N1", None, None, None, " 12.5 ", None, None, None, "A", None),
    ("nonnum", "N2", None, None, None, "12 ft", None, None, None, "A", None),
    ("flag", "F1", None, None, None, None, 1, None, None, "A", None),
    ("big", "B1", None, None, None, None, None, 2**53 + 1, None, "A", None),
    ("safe", "B2", None, None, None, None, None, 2**53, "1234.567891", "A", None),
    ("blank", "E1", None, None, None, None, None, None, None, "", None),
    ("spaces", "  S1  ", None, None, None, None, None, None, None, "PEÑA 1H", None),
    ("utf8", "U1", None, None, None, None, None, None, None, "A", "caf\u00e9"),
    ("notutf8", "U2", None, None, None, None, None, None, None, "A", b"\xff\xfe"),
]


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def test_mariadb_awkward_values(mariadb, emulator, tmp_path):
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in MARIADB_ROWS)
    mariadb.run(
        "SET SESSION sql_mode = ''",  # let the zero date in, as old MySQL data has them
        "SET SESSION time_zone = '+05:00'",
        """CREATE TABLE odd (label VARCHAR(10), id VARCHAR(12), dt DATETIME NULL,
            ts TIMESTAMP NULL DEFAULT NULL, dtext VARCHAR(20), ntext VARCHAR(20),
            flag TINYINT(1), big BIGINT, dec_value DECIMAL(20, 6), name VARCHAR(40),
            raw VARBINARY(20))""",
        f"INSERT INTO odd VALUES {values}")

    stored, rejected = _sync(mariadb, emulator, tmp_path, """
        SELECT label AS customString1, 'internal' AS dataSource, id AS chosenID,
               dt AS spudDate, ts AS permitDate, dtext AS firstProdDate, ntext AS lateralLength,
               flag AS customBool0, big AS customNumber0, dec_value AS customNumber1,
               name AS wellName, raw AS customString0 FROM odd""")

    assert stored["Z1"].get("spudDate") is None  # MySQL's zero date is "no date"
    assert stored["T1"]["spudDate"].startswith("2024-01-01")  # DATETIME: as written
    assert stored["T1"]["permitDate"].startswith("2023-12-31")  # TIMESTAMP: its UTC day
    assert rejected["baddate"] == "firstProdDate: '2021-02-30' is not a valid date"
    assert stored["N1"]["lateralLength"] == 12.5
    assert rejected["nonnum"] == "lateralLength: '12 ft' is not a number"
    assert stored["F1"]["customBool0"] is True
    assert rejected["big"] == ("customNumber0: 9007199254740993 is beyond 2^53 and would not "
                               "arrive exactly")
    assert stored["B2"]["customNumber0"] == 2**53
    assert stored["B2"]["customNumber1"] == 1234.567891
    assert stored["E1"].get("wellName") is None
    assert stored["S1"]["wellName"] == "PEÑA 1H"
    assert stored["U1"]["customString0"] == "café"
    assert rejected["notutf8"] == "customString0: b'\\xff\\xfe' is not valid UTF-8 text"
    assert len(stored) + len(rejected) == len(MARIADB_ROWS)


def test_postgres_awkward_values(postgres, emulator, tmp_path):
    postgres.run(
        """CREATE TABLE odd (label TEXT, id TEXT, x DOUBLE PRECISION, n NUMERIC,
            at TIMESTAMPTZ, flag BOOLEAN)""",
        """INSERT INTO odd VALUES
            ('nan', 'P1', 'NaN', 'NaN', NULL, NULL),
            ('inf', 'P2', 'Infinity', NULL, NULL, NULL),
            ('tz', 'P3', 1.25, 10.50, '2024-01-01 02:00:00+05', true),
            ('neg', 'P4', '-Infinity', NULL, NULL, false)""")

    stored, rejected = _sync(postgres, emulator, tmp_path, """
        SELECT label AS customString1, 'internal' AS dataSource, id AS chosenID, x AS azimuth,
               n AS customNumber0, at AS spudDate, flag AS customBool0 FROM odd""")

    assert stored["P1"].get("azimuth") is None and stored["P1"].get("customNumber0") is None
    assert rejected["inf"] == "azimuth: inf is infinite, not a number the API takes"
    assert rejected["neg"] == "azimuth: -inf is infinite, not a number the API takes"
    assert stored["P3"]["azimuth"] == 1.25 and stored["P3"]["customNumber0"] == 10.5
    assert stored["P3"]["spudDate"].startswith("2023-12-31")
    assert stored["P3"]["customBool0"] is True
