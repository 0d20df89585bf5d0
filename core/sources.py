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

import difflib
import inspect
import logging
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from . import sqltext
from .errors import ProjectError, SourceError
from .project import CONFIG_FILE, Connection, Query

log = logging.getLogger(__name__)

DRIVERS = {"mysql": "mysql+pymysql", "postgres": "postgresql+psycopg",
           "sqlserver": "mssql+pymssql", "sqlite": "sqlite"}
# [sqlserver] driver = "odbc": Microsoft's ODBC driver through pyodbc, as Windows shops run it.
# ApplicationIntent=ReadOnly sends the session to a readable secondary of an availability
# group when there is one, and is ignored otherwise; options override both defaults.
ODBC_DEFAULTS = {"driver": "ODBC Driver 18 for SQL Server", "ApplicationIntent": "ReadOnly"}
SQL_DATETIMEOFFSET = -155  # the ODBC type code pyodbc cannot decode by itself
SINCE = "since"
BEFORE_EVERYTHING = datetime(1900, 1, 1)  # `:since` before any success: every row (SQL Server's
# datetime starts in 1753, smalldatetime in 1900)
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # SQLAlchemy's own bind-parameter pattern
CANCEL_GRACE = 2.0  # seconds a cancelled statement has to end before its socket is shut
DEFAULT_STALL = 600.0  # seconds without an answer from the database: the run's default back-off
_WATCH_EVERY = 0.1  # seconds between two looks of a watchdog
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
    if limit is None:
        return [body]
    if kind == "sqlserver":
        return [f"SET ROWCOUNT {max(int(limit), 1)}", body]  # 0 would mean no cap at all
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

    def __repr__(self) -> str:
        return f"Source({self.connection.describe()})"

    def columns(self, query: Query, *, since: datetime | None = None) -> list[str]:
        """The column names the query returns, found without reading its rows."""
        with self._connect(query) as conn, self._watched(conn, query) as watchdog:
            with watchdog.waiting():
                result = self._execute(conn, query, limit=0, since=since)
            keys = list(result.keys())
            result.close()
            return keys

    def count_rows(self, query: Query) -> int | None:
        """How many rows the query returns, or None when the database cannot say cheaply."""
        body = sqltext.statement(query.sql, self.connection.type)
        sql = f"SELECT COUNT(*) FROM (\n{body}\n) AS combocurve_count"
        try:
            with self._connect(query) as conn, self._watched(conn, query) as watchdog, \
                    watchdog.waiting():
                return int(conn.exec_driver_sql(sql).scalar())
        except SourceError:
            return None

    def pages(self, query: Query, *, limit: int, page_size: int,
              since: datetime | None = None) -> "Pages":
        """The query's rows in pages of `page_size`, at most `limit` rows (0: all); `since`
        is bound to a `:since` parameter of the query, if it has one."""
        return Pages(self, query, limit, page_size, since)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- internals ---------------------------------------------------------------------------

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
        watchdog = _Watchdog(self, conn)
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
            try:
                self._engine = _create_engine(self.connection, self.stream_hold_seconds)
            except ImportError as exc:  # pymssql and pyodbc are an optional extra
                raise SourceError(
                    f"{self.connection.describe()}: the {self.connection.type} driver is not "
                    f"installed ({exc.name}); pip install 'combocurve-sync[sqlserver]'"
                    + (" and Microsoft's ODBC Driver 18 for SQL Server"
                       if self.connection.driver == "odbc" else "")) from None
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
        conn = self.source._connect(self.query)
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


class _Watchdog:
    """Ends a statement the run cannot wait for: once the run is asked to stop, or when the
    database has sent nothing for `stall_seconds` while the sync waits on it.

    The database is asked to cancel first (MySQL's KILL QUERY from a second connection,
    PostgreSQL's cancel request, SQLite's interrupt()); a wait that has not ended CANCEL_GRACE
    seconds later (the cancel could not get through a dead network) has its socket shut, which
    ends any read at once. `reason` then says why: "stop" or "stall".
    """

    def __init__(self, source: Source, conn):
        self.source, self.reason = source, None
        self._dbapi = conn.connection.dbapi_connection
        kind = source.connection.type
        self._mysql_thread = self._dbapi.thread_id() if kind == "mysql" else None
        self._fd = self._dbapi.pgconn.socket if kind == "postgres" else None
        self._waiting_since: float | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._watch, name="query-watchdog", daemon=True).start()

    @contextmanager
    def waiting(self):
        """Around each call that waits on the database."""
        with self._lock:
            self._waiting_since = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._waiting_since = None

    def close(self) -> None:
        self._closed.set()

    def _watch(self) -> None:
        while not self._closed.wait(_WATCH_EVERY):
            with self._lock:
                since = self._waiting_since
            if since is None:
                continue
            if self.source.stop.is_set():
                self._end("stop", since)
            elif time.monotonic() - since >= self.source.stall_seconds:
                self._end("stall", since)
            else:
                continue
            return

    def _end(self, reason: str, since: float) -> None:
        self.reason = reason
        threading.Thread(target=self._cancel, name="query-cancel", daemon=True).start()
        deadline = time.monotonic() + CANCEL_GRACE
        while time.monotonic() < deadline and not self._closed.wait(0.05):
            with self._lock:
                if self._waiting_since != since:
                    return  # the cancel worked
        with self._lock:
            if self._waiting_since == since and not self._closed.is_set():
                self._shut_socket()

    def _cancel(self) -> None:
        connection = self.source.connection
        try:
            if self._mysql_thread is not None:
                self.source.kill_query(self._mysql_thread)
            elif connection.type == "postgres":
                self._dbapi.cancel_safe(timeout=connection.connect_timeout)
            elif connection.type == "sqlite":
                self._dbapi.interrupt()
            elif hasattr(self._dbapi, "cancel"):
                self._dbapi.cancel()
        except Exception as exc:  # whatever the driver says: the socket is shut after the grace
            log.debug("cancelling the query on %s failed: %s", connection.describe(), exc)

    def _shut_socket(self) -> None:
        """Shut the connection's socket both ways: a read blocked on it returns at once."""
        try:
            if self._fd is not None:  # psycopg: the libpq socket, through a duplicate
                with socket.socket(fileno=os.dup(self._fd)) as duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)
            elif getattr(self._dbapi, "_sock", None) is not None:  # PyMySQL
                self._dbapi._sock.shutdown(socket.SHUT_RDWR)
        except OSError as exc:
            log.debug("shutting the socket of %s failed: %s", self.source.connection.describe(),
                      exc)


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


def _create_engine(connection: Connection, stream_hold_seconds: int):
    kind = connection.type
    if kind == "sqlite":
        url = URL.create("sqlite", database=connection.database)
        engine = sa.create_engine(url, poolclass=NullPool)
        setup = [("ATTACH DATABASE ? AS ?", (path, name))  # any path, any name: parameters
                 for name, path in connection.attach.items()] + [("PRAGMA query_only = ON",)]
    else:
        check_options(connection)
        engine = sa.create_engine(database_url(connection), poolclass=NullPool,
                                  connect_args=_connect_args(connection))
        setup = _session_setup(kind, stream_hold_seconds)

    @sa.event.listens_for(engine, "connect")
    def _prepare_session(dbapi_connection, _record):
        _decode_every_value(kind, dbapi_connection)
        if hasattr(dbapi_connection, "add_output_converter"):  # pyodbc
            dbapi_connection.add_output_converter(SQL_DATETIMEOFFSET, datetimeoffset)
        cursor = dbapi_connection.cursor()
        try:
            for statement in setup:
                cursor.execute(*statement)
        finally:
            cursor.close()
        if hasattr(dbapi_connection, "_read_timeout"):  # PyMySQL: a query may compute for long;
            dbapi_connection._read_timeout = None  # the watchdog bounds the silence instead
    return engine


def database_url(connection: Connection) -> URL:
    """The SQLAlchemy URL of a server database (the password inside, so never shown)."""
    odbc = connection.type == "sqlserver" and connection.driver == "odbc"
    options = {k: str(v) for k, v in connection.options.items()}
    if odbc:
        given = {k.lower() for k in options}
        options = {k: v for k, v in ODBC_DEFAULTS.items() if k.lower() not in given} | options
    return URL.create("mssql+pyodbc" if odbc else DRIVERS[connection.type],
                      username=connection.user,
                      password=connection.password.reveal() if connection.password else None,
                      host=connection.host, port=connection.port, database=connection.database,
                      query=options)


def datetimeoffset(raw: bytes) -> datetime:
    """SQL Server's DATETIMEOFFSET as ODBC sends it (SQL_SS_TIMESTAMPOFFSET_STRUCT), as an
    aware datetime, so that transform takes its UTC day like any other timestamp."""
    year, month, day, hour, minute, second, nanos, tz_hours, tz_minutes = \
        struct.unpack("<6hI2h", raw)
    offset = timezone(timedelta(hours=tz_hours, minutes=tz_minutes))
    return datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=offset)


def _decode_every_value(kind: str, dbapi_connection) -> None:
    """No value may fail a whole page: what the driver cannot turn into a Python object comes
    as the database's text (or bytes) and transform rejects its row with a reason."""
    if kind == "sqlite":  # invalid UTF-8 in a TEXT value: bytes, not an error for the page
        dbapi_connection.text_factory = _text_or_bytes
    elif kind == "postgres":  # 'infinity', years beyond 9999 or BC, time 24:00: all text
        from psycopg.types.string import TextLoader

        for name in ("date", "timestamp", "timestamptz", "time", "timetz", "interval"):
            dbapi_connection.adapters.register_loader(name, TextLoader)


def _text_or_bytes(raw: bytes) -> str | bytes:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


# Driver options naming a file (or a folder) that must exist; PostgreSQL's sslrootcert may also
# be 'system' (the operating system's certificates).
_FILE_OPTIONS = {"mysql": {"ssl_ca", "ssl_cert", "ssl_key", "read_default_file"},
                 "postgres": {"sslrootcert", "sslcert", "sslkey", "sslcrl", "passfile"}}
_FOLDER_OPTIONS = {"mysql": {"ssl_capath"}, "postgres": {"sslcrldir"}}
_SECTION_KEYS = {"host", "port", "user", "password", "passwd", "database", "db", "dbname",
                 "connect_timeout"}  # set in the section itself, not among the options


def check_options(connection: Connection) -> None:
    """Refuse driver options the driver does not know or that name a missing file, before
    connecting: the driver would raise a TypeError or an OSError with no word of the project."""
    kind = connection.type
    known = _driver_options(kind)
    where = f"{CONFIG_FILE}: [{kind}.options]"
    for name, value in connection.options.items():
        if name in _SECTION_KEYS:
            raise ProjectError(f"{where} {name}: set it in [{kind}] itself")
        if known is not None and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ProjectError(f"{where} {name} is not an option of the {kind} driver{hint}")
        path = Path(str(value)).expanduser()
        if name in _FILE_OPTIONS.get(kind, ()) and value != "system" and not path.is_file():
            raise ProjectError(f"{where} {name}: no file {path}")
        if name in _FOLDER_OPTIONS.get(kind, ()) and not path.is_dir():
            raise ProjectError(f"{where} {name}: no folder {path}")


def _driver_options(kind: str) -> set[str] | None:
    """The option names a driver takes, or None when it cannot say."""
    if kind == "mysql":
        import pymysql

        parameters = inspect.signature(pymysql.connections.Connection.__init__).parameters
        # SQLAlchemy turns these into PyMySQL's ssl={...}
        return set(parameters) - {"self"} | {"ssl_capath", "ssl_cipher", "ssl_check_hostname"}
    if kind == "postgres":
        import psycopg

        return {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}
    return None


def _connect_args(connection: Connection) -> dict:
    timeout = connection.connect_timeout
    if connection.type == "mysql":  # read_timeout bounds the handshake; lifted once connected
        return {"connect_timeout": timeout, "read_timeout": timeout, "charset": "utf8mb4",
                "conv": _mysql_conversions()}
    if connection.type == "postgres":
        return {"connect_timeout": max(1, round(timeout)),
                "options": "-c TimeZone=UTC -c DateStyle=ISO -c default_transaction_read_only=on"}
    if connection.driver == "odbc":
        return {"timeout": max(1, round(timeout))}  # pyodbc's login time-out
    return {"login_timeout": max(1, round(timeout))}


def _mysql_conversions() -> dict:
    """PyMySQL's decoders, but dates stay text: parsing them one by one in Python is a third of
    the driver's time per row, and transform parses a whole page of them at once. TIME stays
    text too ('26:00:00', not a timedelta's '1 day, 2:00:00'), and BIT is a number, so that a
    BIT(1) flag reads as 0 or 1."""
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import conversions, through

    texts = (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.DATE, FIELD_TYPE.TIME)
    return {**conversions, **dict.fromkeys(texts, through), FIELD_TYPE.BIT: _bits}


def _bits(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def _session_setup(kind: str, stream_hold_seconds: int) -> list[tuple]:
    if kind == "mysql":
        return [("SET time_zone = '+00:00'",),
                (f"SET SESSION net_write_timeout = {int(stream_hold_seconds)}",),
                ("SET SESSION TRANSACTION READ ONLY",)]
    return []
