"""SQL Server as users run it, at the dialect level: no SQL Server can run here, so the
connection strings come from SQLAlchemy's own mssql dialects and the statements are checked
as sent (compiled by the mssql compiler), with the project's real Source and transform code."""

import struct
import sys
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc

from conftest import write_project
from core.credentials import Secret
from core.errors import SourceError
from core.project import Connection, load_project
from core.sources import Source, limited_statements
from core.sources.drivers import database_url, datetimeoffset
from core.transform import to_dates


def odbc_string(connection: Connection) -> str:
    url = database_url(connection)
    (text,), _ = url.get_dialect()().create_connect_args(url)
    return text


def test_odbc_with_a_sql_login():
    text = odbc_string(Connection("sqlserver", "acct-db.corp", 1433, "reader",
                                  Secret("p;w}d=1"), "accounting", driver="odbc"))

    parts = text.split(";")
    assert parts[0] == "DRIVER={ODBC Driver 18 for SQL Server}"
    assert "Server=acct-db.corp,1433" in parts and "Database=accounting" in parts
    assert {"UID=reader", "ApplicationIntent=ReadOnly"} <= set(parts)
    assert "PWD={p;w}}d=1}" in text  # ODBC's braces: ; and } in a password stay in it
    assert "Trusted_Connection" not in text


def test_odbc_with_windows_integrated_authentication():
    text = odbc_string(Connection("sqlserver", "acct-db.corp", 1433, None, None, "accounting",
                                  driver="odbc"))

    assert "Trusted_Connection=Yes" in text.split(";") and "UID=" not in text


def test_odbc_encryption_options_and_driver_override():
    text = odbc_string(Connection(
        "sqlserver", "acct-db.corp", 1433, "reader", None, "accounting", driver="odbc",
        options={"driver": "ODBC Driver 17 for SQL Server", "Encrypt": "yes",
                 "TrustServerCertificate": "yes", "applicationintent": "ReadWrite"}))

    parts = text.split(";")
    assert parts[0] == "DRIVER={ODBC Driver 17 for SQL Server}"
    assert {"Encrypt=yes", "TrustServerCertificate=yes"} <= set(parts)
    assert "ApplicationIntent=ReadOnly" not in parts  # the project's own choice wins


def test_pymssql_stays_the_default_driver():
    url = database_url(Connection("sqlserver", "acct-db", 1433, "reader", Secret("pw"), "acct"))

    assert url.drivername == "mssql+pymssql"


@pytest.mark.parametrize("sql", [
    "SELECT chosen_id AS chosenID FROM dbo.wells ORDER BY chosen_id",
    "WITH w AS (SELECT TOP 50 * FROM dbo.wells) SELECT id AS chosenID FROM w ORDER BY id",
])
def test_the_limit_caps_the_session_and_leaves_the_query_as_written(sql):
    """A derived table (SELECT ... FROM (query)) may not hold ORDER BY on SQL Server, so the
    limit is SET ROWCOUNT: the one more row that tells whether more remain, and 1 (not 0,
    which means no cap) when only the columns are wanted; and 0 (no cap) when every row is
    read, since the session is the one the column check capped."""
    dialect = mssql_pyodbc.dialect()
    compiled = [str(sa.text(s).compile(dialect=dialect))
                for s in limited_statements("sqlserver", sql, 1001)]

    assert compiled == ["SET ROWCOUNT 1001", sql]
    assert limited_statements("sqlserver", sql, 0)[0] == "SET ROWCOUNT 1"
    assert limited_statements("sqlserver", sql, None) == ["SET ROWCOUNT 0", sql]
    assert limited_statements("mysql", sql, 10)[0].endswith("LIMIT 10")


def test_datetimeoffset_becomes_its_utc_day():
    """pyodbc hands DATETIMEOFFSET over as raw ODBC bytes; the converter makes an aware
    datetime, and the date field takes the UTC day: 23:30 at -07:00 is the next day."""
    raw = struct.pack("<6hI2h", 2024, 3, 1, 23, 30, 15, 123_456_700, -7, 0)

    value = datetimeoffset(raw)
    days, bad = to_dates(np.array([value], dtype=object))

    assert value.astimezone(UTC) == datetime(2024, 3, 2, 6, 30, 15, 123456, tzinfo=UTC)
    assert list(days) == ["2024-03-02"] and not any(bad)


def test_project_with_odbc_and_a_windows_login_loads(tmp_path):
    project = write_project(tmp_path / "p", """\
        [connection]
        type = "sqlserver"
        [sqlserver]
        host = "acct-db.corp"
        database = "accounting"
        driver = "odbc"
        options = { Encrypt = "yes", TrustServerCertificate = "no" }
        """, {"wells": "SELECT chosen_id AS chosenID FROM dbo.wells"})

    connection = load_project(project, require_credentials=False).connection

    assert (connection.driver, connection.user) == ("odbc", None)
    assert connection.describe() == "sqlserver acct-db.corp:1433/accounting"


def test_a_missing_odbc_driver_says_how_to_install_it(tmp_path, monkeypatch):
    """sys.modules["pyodbc"] = None stands for a machine without pyodbc, whether or not
    this one has it."""
    monkeypatch.setitem(sys.modules, "pyodbc", None)
    project = load_project(write_project(tmp_path / "p", """\
        [connection]
        type = "sqlserver"
        [sqlserver]
        host = "acct-db.corp"
        driver = "odbc"
        """, {"wells": "SELECT 1 AS chosenID"}), require_credentials=False)

    with pytest.raises(SourceError, match=r"pip install 'combocurve-sync\[sqlserver\]' and "
                                          r"Microsoft's ODBC Driver 18"):
        Source(project.connection).columns(project.queries[0])
