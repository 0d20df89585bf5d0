"""A small production database for tests that sync, verify and mirror: WELLS wells with
DAYS days each, on MariaDB or PostgreSQL, and the queries that read them."""

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
