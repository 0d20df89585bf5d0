"""Each database driver: its SQLAlchemy URL, connect arguments, session set-up and value
converters, so that whatever the driver, transform gets the same values for the same rows.

| type      | driver (first: default) | SQLAlchemy               | install                      |
| --------- | ----------------------- | ------------------------ | ---------------------------- |
| mysql     | pymysql                 | mysql+pymysql            | always there (pure Python)   |
| mysql     | mysqlclient             | mysql+mysqldb            | extra mysqlclient, C headers |
| mysql     | mariadb                 | mariadb+mariadbconnector | extra mariadb, C headers     |
| postgres  | psycopg                 | postgresql+psycopg       | always there                 |
| sqlserver | pymssql, odbc           | mssql+pymssql, +pyodbc   | extra sqlserver (+ ODBC 18)  |
| sqlite    | sqlite                  | sqlite                   | the standard library         |

MySQL's DATE, DATETIME, TIMESTAMP and TIME arrive as MySQL's own text (transform reads a page
of plain dates at numpy's speed; parsing them one by one costs a third of PyMySQL's time per
row) and BIT as a number (a BIT(1) flag reads as 0 or 1), through each driver's converters.
The C drivers decode rows several times faster than PyMySQL (measured in benchmarks/); they
need the MariaDB or MySQL client library and its headers to build (Debian: `apt install
libmariadb-dev pkg-config`), which is why PyMySQL stays the default.
"""

import difflib
import inspect
import struct
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from ..errors import ProjectError, SourceError
from ..project import CONFIG_FILE, Connection


@dataclass(frozen=True)
class Driver:
    name: str  # as `driver = "..."` in the connection's section
    scheme: str  # SQLAlchemy's dialect+driver
    module: str  # what `import` fails on when it is not installed
    install: str  # how to get it


DRIVERS = {
    "mysql": [Driver("pymysql", "mysql+pymysql", "pymysql", "pip install combocurve-sync"),
              Driver("mysqlclient", "mysql+mysqldb", "MySQLdb",
                     "pip install 'combocurve-sync[mysqlclient]' (it builds against the MariaDB "
                     "or MySQL client library: apt install libmariadb-dev pkg-config)"),
              Driver("mariadb", "mariadb+mariadbconnector", "mariadb",
                     "pip install 'combocurve-sync[mariadb]' (it builds against MariaDB "
                     "Connector/C 3.3 or newer: apt install libmariadb-dev)")],
    "postgres": [Driver("psycopg", "postgresql+psycopg", "psycopg", "pip install combocurve-sync")],
    "sqlserver": [Driver("pymssql", "mssql+pymssql", "pymssql",
                         "pip install 'combocurve-sync[sqlserver]'"),
                  Driver("odbc", "mssql+pyodbc", "pyodbc",
                         "pip install 'combocurve-sync[sqlserver]' and Microsoft's ODBC Driver 18 "
                         "for SQL Server")],
    "sqlite": [Driver("sqlite", "sqlite", "sqlite3", "the standard library")],
}
# [sqlserver] driver = "odbc": Microsoft's ODBC driver through pyodbc, as Windows shops run it.
# ApplicationIntent=ReadOnly sends the session to a readable secondary of an availability
# group when there is one, and is ignored otherwise; options override both defaults.
ODBC_DEFAULTS = {"driver": "ODBC Driver 18 for SQL Server", "ApplicationIntent": "ReadOnly"}
SQL_DATETIMEOFFSET = -155  # the ODBC type code pyodbc cannot decode by itself


def driver_for(connection: Connection) -> Driver:
    """The connection's driver: the one its section names (one of project.DRIVER_NAMES, which
    the project checked), else the type's default."""
    choices = DRIVERS[connection.type]
    if connection.driver is None:
        return choices[0]
    return next(d for d in choices if d.name == connection.driver)


def create_engine(connection: Connection, stream_hold_seconds: int):
    """A SQLAlchemy engine whose every session is read-only, in UTC, and decodes as above."""
    kind, driver = connection.type, driver_for(connection)
    try:
        if kind == "sqlite":
            url = URL.create("sqlite", database=connection.database)
            engine = sa.create_engine(url, poolclass=NullPool)
            setup = [("ATTACH DATABASE ? AS ?", (path, name))  # any path, any name
                     for name, path in connection.attach.items()] + [("PRAGMA query_only = ON",)]
        else:
            check_options(connection)
            engine = sa.create_engine(database_url(connection), poolclass=NullPool,
                                      connect_args=_connect_args(connection, driver))
            setup = _session_setup(kind, stream_hold_seconds)
    except ImportError as exc:  # the C drivers and SQL Server's are optional extras
        missing = "" if exc.name == driver.name else f" ({exc.name})"
        raise SourceError(f"{connection.describe()}: the {driver.name} driver is not "
                          f"installed{missing}; {driver.install}") from None
    if driver.name == "pymysql":
        _share_tls_context(engine)

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
    driver = driver_for(connection)
    options = {k: str(v) for k, v in connection.options.items()}
    if driver.name == "odbc":
        given = {k.lower() for k in options}
        options = {k: v for k, v in ODBC_DEFAULTS.items() if k.lower() not in given} | options
    return URL.create(driver.scheme, username=connection.user,
                      password=connection.password.reveal() if connection.password else None,
                      host=connection.host, port=connection.port, database=connection.database,
                      query=options)


def _share_tls_context(engine) -> None:
    """PyMySQL prefers TLS (it falls back to plain text when the server has none) and builds a
    new TLS context, loading the system's certificates, for every connection: about 20 ms each.
    A run makes one and lends it to every connection, TLS still preferred. Only when the
    project gave no TLS options of its own (then PyMySQL requires TLS, with its own context)."""
    shared: dict = {}

    @sa.event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        from pymysql.connections import Connection as PyMySQLConnection

        connection = PyMySQLConnection(*cargs, **cparams, defer_connect=True)
        if getattr(connection, "ssl", False) and not getattr(connection, "_ssl_required", True):
            connection.ctx = shared.setdefault("context", connection.ctx)
        connection.connect()
        return connection


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
    known = _driver_options(driver_for(connection))
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


def _driver_options(driver: Driver) -> set[str] | None:
    """The option names a driver takes, or None when it cannot say (the C drivers)."""
    if driver.name == "pymysql":
        import pymysql

        parameters = inspect.signature(pymysql.connections.Connection.__init__).parameters
        # SQLAlchemy turns these into PyMySQL's ssl={...}
        return set(parameters) - {"self"} | {"ssl_capath", "ssl_cipher", "ssl_check_hostname"}
    if driver.name == "psycopg":
        import psycopg

        return {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}
    return None


def _connect_args(connection: Connection, driver: Driver) -> dict:
    timeout = connection.connect_timeout
    seconds = max(1, round(timeout))  # the C drivers and libpq take whole seconds
    if driver.name == "pymysql":  # read_timeout bounds the handshake; lifted once connected
        return {"connect_timeout": timeout, "read_timeout": timeout, "charset": "utf8mb4",
                "conv": _pymysql_conversions()}
    if driver.name == "mysqlclient":
        return {"connect_timeout": seconds, "charset": "utf8mb4",
                "conv": _mysqlclient_conversions()}
    if driver.name == "mariadb":
        return {"connect_timeout": seconds, "converter": _mariadb_conversions()}
    if driver.name == "psycopg":
        return {"connect_timeout": seconds,
                "options": "-c TimeZone=UTC -c DateStyle=ISO -c default_transaction_read_only=on"}
    if driver.name == "odbc":
        return {"timeout": seconds}  # pyodbc's login time-out
    return {"login_timeout": seconds}


_DATES = ("DATETIME", "TIMESTAMP", "DATE", "TIME")


def _pymysql_conversions() -> dict:
    """PyMySQL's decoders, but dates and TIME stay text ('26:00:00', not a timedelta's
    '1 day, 2:00:00'), and BIT is a number."""
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import conversions, through

    texts = [getattr(FIELD_TYPE, name) for name in _DATES]
    return {**conversions, **dict.fromkeys(texts, through), FIELD_TYPE.BIT: _bits}


def _mysqlclient_conversions() -> dict:
    """mysqlclient hands a converter the value's text (BIT: its bytes): keep the text."""
    from MySQLdb.constants import FIELD_TYPE
    from MySQLdb.converters import conversions

    texts = [getattr(FIELD_TYPE, name) for name in _DATES]
    return {**conversions, **dict.fromkeys(texts, str), FIELD_TYPE.BIT: _bits}


def _mariadb_conversions() -> dict:
    """MariaDB Connector/Python decodes in C and hands a converter the object (or None): write
    it back as the text MySQL sends, one small function per type (a million of them cost about
    0.15 s). A DATETIME(n) or TIME(n) whose fraction is all zeros loses those zeros in the
    text; a date or a number is the same whatever the driver."""
    from mariadb.constants import FIELD_TYPE

    return {FIELD_TYPE.DATE: _date_text, FIELD_TYPE.DATETIME: _datetime_text,
            FIELD_TYPE.TIMESTAMP: _datetime_text, FIELD_TYPE.TIME: _time_text,
            FIELD_TYPE.BIT: _bits}


def _date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime_text(value: datetime | None) -> str | None:
    return None if value is None else str(value)  # 2024-03-01 18:30:00, as MySQL writes it


def _time_text(value: timedelta | None) -> str | None:
    """TIME as MySQL writes it: -01:00:00, 838:59:59."""
    if value is None:
        return None
    sign, left = ("-", -value) if value < timedelta(0) else ("", value)
    minutes, seconds = divmod(left.days * 86400 + left.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    fraction = f".{left.microseconds:06d}" if left.microseconds else ""
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}{fraction}"


def _bits(raw):
    return int.from_bytes(raw, "big") if isinstance(raw, bytes | bytearray) else raw


def _session_setup(kind: str, stream_hold_seconds: int) -> list[tuple]:
    if kind == "mysql":
        return [("SET time_zone = '+00:00'",),
                (f"SET SESSION net_write_timeout = {int(stream_hold_seconds)}",),
                ("SET SESSION TRANSACTION READ ONLY",)]
    return []
