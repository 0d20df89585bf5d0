"""A small production database for tests that sync, verify and mirror: WELLS wells with
DAYS days each, on MariaDB or PostgreSQL, the queries that read them and the project that holds
those; and a big table, for reads that last."""

import textwrap
from pathlib import Path

from conftest import write_project

WELLS = 20
DAYS = 30
WELLS_SQL = """SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName, county,
    lat_len AS perfLateralLength, spud AS spudDate FROM w ORDER BY id"""
DAILY_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil, gas,
    tag AS operationalTag FROM d ORDER BY well, day"""


def fill(db) -> None:
    """WELLS wells and DAYS days of each: 600 daily rows, fresh for every test."""
    db.run("DROP TABLE IF EXISTS d", "DROP TABLE IF EXISTS w",
           "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY, name VARCHAR(40), county VARCHAR(40), "
           "lat_len INT, spud DATE)",
           "CREATE TABLE d (well VARCHAR(12), day DATE, oil INT, gas DOUBLE PRECISION, "
           "tag VARCHAR(20), updated TIMESTAMP NULL, PRIMARY KEY (well, day))")
    wells = ", ".join(f"('W{i:03d}', 'WELL {i}', 'Reeves', {5000 + i}, '2020-01-{i % 28 + 1:02d}')"
                      for i in range(WELLS))
    db.run(f"INSERT INTO w VALUES {wells}")
    days = ", ".join(f"('W{i:03d}', '2024-01-{d + 1:02d}', {i * 100 + d}, {d * 1.5}, NULL, "
                     "'2000-01-01 00:00:00')" for i in range(WELLS) for d in range(DAYS))
    db.run(f"INSERT INTO d VALUES {days}")


def production_project(folder: Path, db, settings: str = "", *, daily_sql: str = DAILY_SQL) -> Path:
    """A project reading the wells (WELLS_SQL) and daily rows (`daily_sql`) of `db`, its
    connection section followed by `settings`."""
    return write_project(folder, db.section() + textwrap.dedent(settings),
                         {"wells": WELLS_SQL, "daily-productions": daily_sql})

MONTHS = 12
MONTHLY_SQL = """SELECT 'internal' AS dataSource, well AS chosenID, month AS date, oil, water
    FROM m ORDER BY well, month"""


def fill_monthly(db) -> None:
    """MONTHS months of 2023 for each of the WELLS wells, dated on their first day (the sync
    sends, and ComboCurve keeps, a month's 15th)."""
    db.run("DROP TABLE IF EXISTS m",
           "CREATE TABLE m (well VARCHAR(12), month DATE, oil INT, water DOUBLE PRECISION, "
           "PRIMARY KEY (well, month))")
    months = ", ".join(f"('W{i:03d}', '2023-{m + 1:02d}-01', {i * 1000 + m}, {m * 2.5})"
                       for i in range(WELLS) for m in range(MONTHS))
    db.run(f"INSERT INTO m VALUES {months}")


# 1 kB a row, made by the query: more than the socket buffers hold, so the database is still
# sending while the test kills or stalls its connection (repeat() is MariaDB's and PostgreSQL's)
BIG_DAILY_SQL = ("SELECT 'internal' AS dataSource, well AS chosenID, day AS date, oil, "
                 "repeat('x', 1000) AS operationalTag FROM big ORDER BY id")


def fill_big(db, rows: int = 40_000) -> None:
    """Table big: `rows` daily rows (id 1 up) over 250 wells W1..W250, 250 a day from
    2020-01-01, oil the row's id."""
    db.run("DROP TABLE IF EXISTS big",
           "CREATE TABLE big (id INT PRIMARY KEY, well VARCHAR(12), day DATE, oil INT)")
    if db.kind == "mysql":
        db.run("INSERT INTO big SELECT seq, CONCAT('W', 1 + seq % 250), "
               f"DATE_ADD('2020-01-01', INTERVAL seq DIV 250 DAY), seq FROM seq_1_to_{rows}")
    else:
        db.run("INSERT INTO big SELECT g, 'W' || (1 + g % 250), DATE '2020-01-01' + g / 250, g "
               f"FROM generate_series(1, {rows}) g")
