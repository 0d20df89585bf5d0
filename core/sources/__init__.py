"""Read resource queries from the company database: streamed pages, the row limit in the SQL.

Lessons this module is built on (see ../shared/design/architecture.md):
- pandas' `read_sql(chunksize=)` buffers the whole result with PyMySQL and psycopg, so pages come
  from a server-side cursor (`stream_results`) instead.
- Stopping a MySQL stream early reads every remaining row, so the limit goes into the SQL.
- MariaDB ignores ORDER BY in a derived table, so the limit is appended to the query itself and
  the query is wrapped only when it ends with a LIMIT of its own.
- Values arrive as the driver made them (object columns, nothing guessed by pandas), so that
  the declared field types decide, not whatever one page happens to hold.
Every session is read-only and pinned to UTC. Nothing waits on the database for ever: a
watchdog ends a statement when the run is stopped, or when the database has sent nothing for
`stall_seconds` (a network partition, a proxy that stopped forwarding).
"""

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .. import sqltext
from ..errors import ProjectError, SourceError
from ..project import CONFIG_FILE, Connection, Query
from .drivers import create_engine
from .watchdog import Watchdog

log = logging.getLogger(__name__)

SINCE = "since"
BEFORE_EVERYTHING = datetime(1900, 1, 1)  # `:since` before any success: every row (SQL Server's
# datetime starts in 1753, smalldatetime in 1900)
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # SQLAlchemy's own bind-parameter pattern
KEEP_ASIDE_UNCHECKED = 30.0  # seconds a connection set aside is used without a ping
DEFAULT_STALL = 600.0  # seconds without an answer from the database: the run's default back-off
# a row limit of the query's own at its end: then the query is wrapped, not appended to
_ENDS_WITH_LIMIT = re.compile(
    r"\b(limit\s+(\d+|all)(\s*(,|offset)\s*\d+)?|offset\s+\d+\s+rows?(\s+fetch\s+.+\s+only)?"
    r"|fetch\s+(first|next)\s+.+\s+only)$", re.IGNORECASE | re.DOTALL)


def limited_sql(sql: str, limit: int, kind: str | None = None) -> str:
    """`sql` returning at most `limit` rows (LIMIT dialects), keeping the query's own order;
    whatever comments and semicolons close the query, the LIMIT lands after its code."""
    body = sqltext.statement(sql, kind)
    if _ENDS_WITH_LIMIT.search(sqltext.masked(body, kind).rstrip()):
        return f"SELECT * FROM (\n{body}\n) AS combocurve_limited LIMIT {limit}"
    return f"{body}\nLIMIT {limit}"


def limited_statements(kind: str, sql: str, limit: int | None) -> list[str]:
    """What runs a query (as written, minus the comments and semicolons that close it) with
    at most `limit` rows (None: no limit). SQL Server caps the session with SET ROWCOUNT: a
    derived table there may not hold the query's ORDER BY, and the query stays exactly as
    written (CTEs, TOP, ORDER BY)."""
    body = sqltext.statement(sql, kind)
    if kind == "sqlserver":  # the session keeps its ROWCOUNT: always set it (0: no cap)
        return [f"SET ROWCOUNT {0 if limit is None else max(int(limit), 1)}", body]
    if limit is None:
        return [body]
    return [limited_sql(body, limit, kind)]


def uses_since(sql: str, kind: str | None = None) -> bool:
    """Whether the query takes the `:since` bind parameter (outside literals and comments)."""
    return SINCE in sqltext.bind_names(sql, kind)


def with_since(sql: str, since: datetime | None, kind: str | None = None):
    """The query as a SQLAlchemy text with `:since` bound by the driver (UTC, naive: the
    session runs in UTC); every other colon word, and `:since` in a literal or a comment, is
    escaped so that it stays as written."""
    pieces = []
    for what, start, stop in sqltext.spans(sql, kind):
        bound = SINCE if what == sqltext.CODE else None
        pieces.append(_BIND.sub(lambda m, bound=bound: m.group(0) if m.group(1) == bound
                                else "\\" + m.group(0), sql[start:stop]))
    moment = since.replace(tzinfo=None) if since is not None else BEFORE_EVERYTHING
    return sa.text("".join(pieces)).bindparams(sa.bindparam(SINCE, moment, type_=sa.DateTime()))


class Source:
    """One company database: opens read-only UTC sessions and streams query pages.

    `stop`, once set, cancels the statement the sync is waiting on; `stall_seconds` (at least
    the connection's connect_timeout) bounds how long the database may stay silent.
    """

    def __init__(self, connection: Connection, *, stream_hold_seconds: int = 3600,
                 stop: threading.Event | None = None, stall_seconds: float = DEFAULT_STALL):
        self.connection = connection
        self.stream_hold_seconds = stream_hold_seconds  # MySQL net_write_timeout while paused
        self.stop = stop or threading.Event()
        self.stall_seconds = max(stall_seconds, connection.connect_timeout)
        self._engine = None
        self._aside: dict = {}  # query file -> (connection, when set aside) for its pages

    def __repr__(self) -> str:
        return f"Source({self.connection.describe()})"

    def columns(self, query: Query, *, since: datetime | None = None) -> list[str]:
        """The column names the query returns, found without reading its rows. The connection
        stays open, outside any transaction, for the query's pages: one connection per
        resource (each costs a handshake and a TLS session)."""
        conn = self._connect(query)
        try:
            with self._watched(conn, query) as watchdog:
                with watchdog.waiting():
                    result = self._execute(conn, query, limit=0, since=since)
                keys = list(result.keys())
                result.close()
                conn.rollback()  # no snapshot held while other resources run
        except BaseException:
            conn.close()
            raise
        self._set_aside(query, conn)
        return keys

    def pages(self, query: Query, *, limit: int, page_size: int,
              since: datetime | None = None) -> "Pages":
        """The query's rows in pages of `page_size`, at most `limit` rows (0: all); `since`
        is bound to a `:since` parameter of the query, if it has one."""
        return Pages(self, query, limit, page_size, since)

    def close(self) -> None:
        for conn, _ in self._aside.values():
            conn.close()
        self._aside.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- internals ---------------------------------------------------------------------------

    def _set_aside(self, query: Query, conn) -> None:
        previous = self._aside.pop(query.file, None)
        if previous is not None:
            previous[0].close()
        self._aside[query.file] = (conn, time.monotonic())

    def _connection_for(self, query: Query):
        """The connection the column check left for this query, if it is still alive (one
        round trip after a long wait: a server or a firewall may have dropped it), else a
        new one."""
        conn, since = self._aside.pop(query.file, (None, 0.0))
        if conn is not None and time.monotonic() - since > KEEP_ASIDE_UNCHECKED:
            try:
                conn.exec_driver_sql("SELECT 1").close()
                conn.rollback()
            except sa.exc.DBAPIError:
                conn.invalidate()
                conn.close()
                conn = None
        return conn or self._connect(query)

    def _connect(self, query: Query):
        where = self.connection.describe()
        try:
            return self._get_engine().connect().execution_options(
                stream_results=True, no_parameters=True)
        except sa.exc.DBAPIError as exc:
            raise SourceError(f"{where}: cannot connect: {driver_message(exc)}",
                              unreachable=no_server_answered(exc)) from None
        except (TypeError, ValueError) as exc:  # the driver refused an option's value
            raise ProjectError(f"{CONFIG_FILE}: [{self.connection.type}.options]: the driver "
                               f"refused them: {exc}") from None
        except OSError as exc:  # e.g. a certificate file the TLS library cannot read
            raise SourceError(f"{where}: cannot connect: {exc}") from None

    def _execute(self, conn, query: Query, *, limit: int, since: datetime | None = None):
        """Run the query with at most `limit` rows (None: no limit); SQL Server caps the
        session. A query with `:since` has it bound by the driver, never formatted in."""
        kind = self.connection.type
        *setup, sql = limited_statements(kind, query.sql, limit)
        for statement in setup:
            conn.exec_driver_sql(statement)
        if uses_since(query.sql, kind):
            return conn.execution_options(no_parameters=False).execute(
                with_since(sql, since, kind))
        return conn.exec_driver_sql(sql)

    @contextmanager
    def _watched(self, conn, query: Query):
        """A watchdog over the statements of the block; whatever fails in it becomes the
        query's SourceError, saying so when the watchdog ended the statement."""
        watchdog = Watchdog(self, conn)
        try:
            yield watchdog
        except SourceError:
            raise
        except Exception as exc:
            if watchdog.reason is not None:
                raise self.ended_error(query, watchdog.reason) from None
            if isinstance(exc, sa.exc.DBAPIError):
                raise self.query_error(query, exc) from None
            raise
        finally:
            watchdog.close()

    def ended_error(self, query: Query, reason: str) -> SourceError:
        if reason == "stop":
            return SourceError(f"{query.shown}: the query was cancelled: the run was stopped "
                               "on request")
        return SourceError(
            f"{query.shown}: no answer from {self.connection.describe()} for "
            f"{self.stall_seconds:g} s while waiting for rows: the database or the network "
            "stalled, and the query was ended (a query that needs longer to start giving rows "
            "needs a larger --max-wait)")

    def kill_query(self, thread_id: int) -> None:
        """MySQL: end the statement of another session of ours, from a new connection."""
        with self._get_engine().connect() as conn:
            conn.exec_driver_sql(f"KILL QUERY {int(thread_id)}")

    def query_error(self, query: Query, exc: Exception) -> SourceError:
        lost = "lost the connection to" if _connection_lost(exc) else "query failed on"
        return SourceError(f"{query.shown}: {lost} "
                           f"{self.connection.describe()}: {driver_message(exc)}")

    def _get_engine(self):
        if self._engine is None:
            self._engine = create_engine(self.connection, self.stream_hold_seconds)
        return self._engine


class Pages:
    """Iterates DataFrame pages (object columns, index = 1-based row number in the result).

    After the iteration, `more_available` tells whether rows beyond the limit exist: the query
    asks for one row more than the limit and that row is never handed out.
    """

    def __init__(self, source: Source, query: Query, limit: int, page_size: int,
                 since: datetime | None = None):
        self.source, self.query, self.limit, self.page_size = source, query, limit, page_size
        self.since = since
        self.rows_read = 0
        self.more_available = False

    def __iter__(self) -> Iterator[pd.DataFrame]:
        conn = self.source._connection_for(self.query)
        finished, result = False, None
        try:
            with self.source._watched(conn, self.query) as watchdog:
                with watchdog.waiting():
                    result = self.source._execute(conn, self.query,
                                                  limit=self.limit + 1 if self.limit else None,
                                                  since=self.since)
                keys = list(result.keys())
                partitions = result.partitions(self.page_size)
                while True:
                    with watchdog.waiting():
                        rows = next(partitions, None)
                    if rows is None:
                        break
                    if self.limit and self.rows_read + len(rows) > self.limit:
                        rows = rows[: self.limit - self.rows_read]
                        self.more_available = True
                    if rows:
                        yield self._frame(keys, rows)
                    if self.more_available:
                        break
            finished = True
        finally:
            if finished:
                conn.close()
            elif not conn.closed:  # stopped early: drop the connection, don't read the rest
                _forget_unread_rows(result)
                conn.invalidate()
                conn.close()

    def _frame(self, keys: list[str], rows) -> pd.DataFrame:
        start = self.rows_read + 1
        self.rows_read += len(rows)
        index = pd.RangeIndex(start, start + len(rows))
        # plain tuples make numpy's copy C-level; on SQLAlchemy Rows it is 50 times slower
        grid = np.array([tuple(row) for row in rows], dtype=object)
        if grid.shape != (len(rows), len(keys)):  # values that are sequences (arrays, JSON)
            grid = np.empty((len(rows), len(keys)), dtype=object)
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    grid[i, j] = value
        return pd.DataFrame(grid, columns=keys, index=index, dtype=object, copy=False)


def _forget_unread_rows(result) -> None:
    """PyMySQL would read a dropped stream to its end when the result is collected; say no."""
    unread = getattr(getattr(result, "cursor", None), "_result", None)
    if getattr(unread, "unbuffered_active", False):
        unread.unbuffered_active = False


def driver_message(exc: Exception) -> str:
    """The database's own words for an error, on one line, without SQLAlchemy's wrapping."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    if len(args) == 2 and isinstance(args[0], int):  # PyMySQL: (code, message)
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(orig)
    return " ".join(text.split())


# Connect errors that mean no database server answered (as opposed to one that refused us)
_NO_ANSWER_CODES = {2003, 2005, 2006, 2013,  # PyMySQL: can't connect, unknown host, gone, lost
                    20002, 20003, 20009}  # pymssql (FreeTDS): failed, timed out, unavailable
_NO_ANSWER_STATES = {"08001", "08S01", "HYT00"}  # ODBC: can't connect, link failure, time-out
_SQLSTATE = re.compile(r"[0-9A-Z]{5}")


def no_server_answered(exc: Exception) -> bool:
    """True when a connection failed before any database server answered (refused, unknown
    host, timed out); False when a server answered and refused (password, database name)."""
    orig = getattr(exc, "orig", None) or exc
    first = orig.args[0] if getattr(orig, "args", None) else None
    if isinstance(first, int):  # PyMySQL and pymssql: (code, message)
        return first in _NO_ANSWER_CODES
    if isinstance(first, str) and _SQLSTATE.fullmatch(first):  # pyodbc: (sqlstate, message)
        return first in _NO_ANSWER_STATES
    return "FATAL:" not in str(orig)  # libpq prefixes what a server said with its severity


def _connection_lost(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    code = orig.args[0] if orig is not None and orig.args else None
    return bool(getattr(exc, "connection_invalidated", False)) or code in (2006, 2013)


