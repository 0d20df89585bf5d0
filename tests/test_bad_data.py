"""Awkward values from real MariaDB and PostgreSQL columns, each with its defined outcome."""

import json
import sqlite3

import pytest

from conftest import SQLITE_SECTION, write_project
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")


def _sync(db, emulator, tmp_path, sql, driver=None):
    project = write_project(tmp_path / "p", db.section(driver), {"wells": sql})
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


def test_mariadb_awkward_values(mariadb, emulator, tmp_path, mysql_driver):
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in MARIADB_ROWS)
    mariadb.run(
        "SET SESSION sql_mode = ''",  # let the zero date in, as old MySQL data has them
        "SET SESSION time_zone = '+05:00'",
        "DROP TABLE IF EXISTS odd",
        """CREATE TABLE odd (label VARCHAR(10), id VARCHAR(12), dt DATETIME NULL,
            ts TIMESTAMP NULL DEFAULT NULL, dtext VARCHAR(20), ntext VARCHAR(20),
            flag TINYINT(1), big BIGINT, dec_value DECIMAL(20, 6), name VARCHAR(40),
            raw VARBINARY(20))""",
        f"INSERT INTO odd VALUES {values}")

    stored, rejected = _sync(mariadb, emulator, tmp_path, """
        SELECT label AS customString1, 'internal' AS dataSource, id AS chosenID,
               dt AS spudDate, ts AS permitDate, dtext AS firstProdDate, ntext AS lateralLength,
               flag AS customBool0, big AS customNumber0, dec_value AS customNumber1,
               name AS wellName, raw AS customString0 FROM odd""", mysql_driver)

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


# -- wrong data, never: far dates, exact numbers, structured values, flags -----------------------


def test_mariadb_values_are_sent_as_what_they_are(mariadb, emulator, tmp_path, mysql_driver):
    mariadb.run(
        "DROP TABLE IF EXISTS truth",
        """CREATE TABLE truth (label VARCHAR(10), id VARCHAR(12), d DATE, dt DATETIME,
            dec_id DECIMAL(12, 2), big DECIMAL(30, 1), flag BIT(1), j JSON, t TIME,
            ntext VARCHAR(20))""",
        """INSERT INTO truth VALUES
            ('far', 'F1', '9999-12-31', '9999-12-31 23:59:59', 123.00, 9007199254740992.0, b'1',
             '{"a": [1, 2.50]}', '26:00:00', '1e3'),
            ('early', 'F2', '0001-01-01', '1000-01-01 00:00:00', 1.00, NULL, b'0', '[]',
             '-01:30:00', ' -2.5 '),
            ('bigdec', 'F3', NULL, NULL, NULL, 9007199254740993.0, NULL, NULL, NULL, NULL),
            ('nantext', 'F4', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN'),
            ('underscore', 'F5', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '1_000'),
            ('arabic', 'F6', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '١٢٣')""")

    stored, rejected = _sync(mariadb, emulator, tmp_path, """
        SELECT label AS customString1, 'internal' AS dataSource, id AS chosenID,
               d AS spudDate, dt AS permitDate, dec_id AS customString2, big AS customNumber0,
               flag AS customBool0, j AS customString3, t AS customString4,
               ntext AS customNumber1
        FROM truth ORDER BY id""", mysql_driver)

    far, early = stored["F1"], stored["F2"]
    assert far["spudDate"].startswith("9999-12-31") and far["permitDate"].startswith("9999-12-31")
    assert early["spudDate"].startswith("0001-01-01")
    assert early["permitDate"].startswith("1000-01-01")
    assert (far["customString2"], early["customString2"]) == ("123", "1")
    assert far["customNumber0"] == 2**53
    assert far["customBool0"] is True and early["customBool0"] is False
    assert far["customString3"] == '{"a": [1, 2.50]}'  # MySQL's JSON is its text
    assert (far["customString4"], early["customString4"]) == ("26:00:00", "-01:30:00")
    assert (far["customNumber1"], early["customNumber1"]) == (1000, -2.5)
    assert rejected == {
        "bigdec": "customNumber0: 9007199254740993.0 is beyond 2^53 and would not arrive exactly",
        "nantext": "customNumber1: 'NaN' is not a number",
        "underscore": "customNumber1: '1_000' is not a number",
        "arabic": "customNumber1: '١٢٣' is not a number",
    }


def test_postgres_values_are_sent_as_what_they_are(postgres, emulator, tmp_path):
    postgres.run(
        """CREATE TABLE truth (label TEXT, id TEXT, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ,
            n NUMERIC, j JSONB, arr INT[], nums NUMERIC[], span INTERVAL, t TIME,
            r INT4RANGE, flag BIT(1))""",
        """INSERT INTO truth VALUES
            ('far', 'P1', '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 18:00:00-05',
             123.00, '{"a": [1, 2.5], "b": null}', '{1,2,3}', '{1.50,2}', '26 hours',
             '24:00:00', NULL, B'1'),
            ('early', 'P2', '0001-01-01', '0001-01-01 00:00:00', '1500-01-01 00:00:00+05',
             -9007199254740992, '"text"', '{}', NULL, NULL, '00:00:01', NULL, B'0'),
            ('infdate', 'P3', 'infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL),
            ('neginf', 'P4', NULL, '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL),
            ('bc', 'P5', '0044-03-15 BC', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL),
            ('y10k', 'P6', NULL, NULL, '9999-12-31 23:00:00-05', NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL),
            ('bignum', 'P7', NULL, NULL, NULL, 9007199254740993, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL),
            ('range', 'P8', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '[1,5)',
             NULL)""")

    stored, rejected = _sync(postgres, emulator, tmp_path, """
        SELECT label AS customString1, 'internal' AS dataSource, id AS chosenID,
               d AS spudDate, ts AS permitDate, tz AS firstProdDate, n AS customNumber0,
               n AS customString2, j AS customString3, arr AS customString4,
               nums AS customString5, span AS customString6, t AS customString7,
               r AS customString8, flag AS customBool0
        FROM truth ORDER BY id""")

    far, early = stored["P1"], stored["P2"]
    assert [far[f][:10] for f in ("spudDate", "permitDate", "firstProdDate")] == \
        ["9999-12-31"] * 3
    assert [early[f][:10] for f in ("spudDate", "permitDate", "firstProdDate")] == \
        ["0001-01-01", "0001-01-01", "1499-12-31"]
    assert (far["customNumber0"], far["customString2"]) == (123, "123")
    assert early["customNumber0"] == -(2**53)
    assert far["customString3"] == '{"a":[1,2.5],"b":null}'
    assert early["customString3"] == "text"  # a JSON scalar is its value
    assert (far["customString4"], early["customString4"]) == ("[1,2,3]", "[]")
    assert far["customString5"] == "[1.50,2]"
    assert (far["customString6"], far["customString7"]) == ("26:00:00", "24:00:00")
    assert far["customBool0"] is True and early["customBool0"] is False
    assert rejected == {
        "infdate": "spudDate: 'infinity' is not a valid date",
        "neginf": "permitDate: '-infinity' is not a valid date",
        "bc": "spudDate: '0044-03-15 BC' is not a valid date",
        "y10k": "firstProdDate: '10000-01-01 04:00:00+00' is not a valid date",
        "bignum": "customNumber0: 9007199254740993 is beyond 2^53 and would not arrive exactly",
        "range": "customString8: Range(1, 5, '[)') is a Range value, not text; cast it to text in "
                 "the query",
    }


def test_sqlite_text_that_is_not_utf8_rejects_its_row_only(emulator, tmp_path):
    project = write_project(tmp_path / "p", SQLITE_SECTION, {
        "wells": "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName, "
                 "id AS customString1 FROM w ORDER BY id"})
    with sqlite3.connect(project / "wells.db") as db:
        db.execute("CREATE TABLE w (id TEXT, name TEXT)")
        db.execute("INSERT INTO w VALUES ('S1', 'ok'), ('S2', CAST(X'FF41' AS TEXT)), "
                   "('S3', 'caf\u00e9')")
    db.close()

    report = start(project, base_url=emulator.base_url)

    wells = report.resource("wells")
    assert wells.errors == [] and (wells.rows_read, wells.accepted, wells.rejected) == (3, 2, 1)
    assert {w["chosenID"]: w["wellName"] for w in emulator.wells()} == {"S1": "ok", "S3": "café"}
    with open(wells.rejects_file, encoding="utf-8") as handle:
        [line] = map(json.loads, handle)
    assert line["reason"] == "wellName: b'\\xffA' is not valid UTF-8 text"
