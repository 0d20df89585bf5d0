"""Queries run as the user wrote them: whatever comments, semicolons or LIMIT close the file, the
sync's own row limit lands where SQL allows it, on every database."""

import sqlite3

import pytest

from conftest import SQLITE_SECTION, write_project
from core.main import start

ROWS = 5  # wells W1..W5 in every database
SELECT = "SELECT 'internal' AS dataSource, id AS chosenID FROM w"

ENDINGS = {  # name: (query text, rows it returns)
    "semicolon-then-comment": (f"{SELECT} ORDER BY id; -- done", ROWS),
    "comment-then-semicolon": (f"{SELECT} ORDER BY id -- done;", ROWS),
    "block-comment": (f"{SELECT} ORDER BY id /* the end */", ROWS),
    "comments-and-semicolons": (f"{SELECT} ORDER BY id;\n/* one */ -- two\n\n;  ", ROWS),
    "own-limit-with-comment": (f"{SELECT} ORDER BY id LIMIT 2 -- two", 2),
    "own-limit-with-block-comment": (f"{SELECT} ORDER BY id LIMIT /* a few */ 3;", 3),
    "own-limit-offset": (f"{SELECT} ORDER BY id LIMIT 2 OFFSET 1; -- skip one", 2),
    "literal-with-comment-marks": (
        "SELECT 'internal' AS dataSource, id AS chosenID, '-- ;/*' AS wellName FROM w "
        "WHERE id <> 'LIMIT 1' -- x", ROWS),
}
MYSQL_ENDINGS = {
    "hash-comment": (f"{SELECT} ORDER BY id # done", ROWS),
    "semicolon-hash-comment": (f"{SELECT} ORDER BY id; # done", ROWS),
    "backslash-quote": (f"{SELECT} WHERE id <> 'it\\'s -- not' # done", ROWS),
}
POSTGRES_ENDINGS = {
    "dollar-quote": (f"{SELECT} WHERE id <> $$ ; -- $$ -- done", ROWS),
    "nested-comment": (f"{SELECT} ORDER BY id /* a /* nested */ comment */", ROWS),
    "limit-all": (f"{SELECT} ORDER BY id LIMIT ALL -- every row", ROWS),
    "cast-and-escape-string": (f"{SELECT} WHERE id::text <> E'\\' -- ' -- done", ROWS),
}


def _dry_run(project, limit: int):
    report = start(project, dry_run=True, limit=limit)
    wells = report.resource("wells")
    assert wells.errors == []
    return wells


def _check(project, rows: int) -> None:
    whole = _dry_run(project, 0)
    assert whole.rows_read == whole.would_send == rows and not whole.more_available
    first = _dry_run(project, 1)
    assert first.rows_read == 1 and first.more_available == (rows > 1)
    default = _dry_run(project, 1000)
    assert default.rows_read == rows and not default.more_available


@pytest.fixture(scope="module")
def mariadb_wells(mariadb):
    mariadb.run("CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
                "INSERT INTO w VALUES ('W1'), ('W2'), ('W3'), ('W4'), ('W5')")
    return mariadb


@pytest.fixture(scope="module")
def postgres_wells(postgres):
    postgres.run("CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
                 "INSERT INTO w VALUES ('W1'), ('W2'), ('W3'), ('W4'), ('W5')")
    return postgres


@pytest.mark.parametrize("ending", [*ENDINGS, *MYSQL_ENDINGS])
def test_mariadb_runs_the_query_as_written(mariadb_wells, tmp_path, ending):
    sql, rows = {**ENDINGS, **MYSQL_ENDINGS}[ending]
    _check(write_project(tmp_path / "p", mariadb_wells.section(), {"wells": sql}), rows)


@pytest.mark.parametrize("ending", [*ENDINGS, *POSTGRES_ENDINGS])
def test_postgres_runs_the_query_as_written(postgres_wells, tmp_path, ending):
    sql, rows = {**ENDINGS, **POSTGRES_ENDINGS}[ending]
    _check(write_project(tmp_path / "p", postgres_wells.section(), {"wells": sql}), rows)


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_sqlite_runs_the_query_as_written(tmp_path, ending):
    sql, rows = ENDINGS[ending]
    project = write_project(tmp_path / "p", SQLITE_SECTION, {"wells": sql})
    with sqlite3.connect(project / "wells.db") as db:
        db.execute("CREATE TABLE w (id TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO w VALUES (?)", [(f"W{i}",) for i in range(1, ROWS + 1)])
    db.close()
    _check(project, rows)
