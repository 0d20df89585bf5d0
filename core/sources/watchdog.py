"""The watchdog of a statement: it ends what the run cannot wait for.

Once the run is asked to stop, or when the database has sent nothing for `stall_seconds` (a
network partition, a proxy that stopped forwarding) while the sync waits on it, the database
is asked to cancel (MySQL's KILL QUERY from a second connection, PostgreSQL's cancel request,
SQLite's interrupt(), the driver's cancel()); a wait that has not ended CANCEL_GRACE seconds
later has its socket shut (PyMySQL, psycopg), which ends any read at once. The C drivers for
MySQL hide their socket: there the cancel is all there is.
"""

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)

CANCEL_GRACE = 2.0  # seconds a cancelled statement has to end before its socket is shut
_WATCH_EVERY = 0.1  # seconds between two looks of a watchdog


class Watchdog:
    """Ends a statement the run cannot wait for: once the run is asked to stop, or when the
    database has sent nothing for `stall_seconds` while the sync waits on it.

    The database is asked to cancel first (MySQL's KILL QUERY from a second connection,
    PostgreSQL's cancel request, SQLite's interrupt()); a wait that has not ended CANCEL_GRACE
    seconds later (the cancel could not get through a dead network) has its socket shut, which
    ends any read at once. `reason` then says why: "stop" or "stall".
    """

    def __init__(self, source, conn):
        self.source, self.reason = source, None
        self._dbapi = conn.connection.dbapi_connection
        kind = source.connection.type
        self._mysql_thread = _thread_id(self._dbapi) if kind == "mysql" else None
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


def _thread_id(dbapi_connection) -> int:
    """The MySQL session id: a method of PyMySQL's and mysqlclient's connections, an attribute
    of MariaDB Connector/Python's."""
    found = dbapi_connection.thread_id
    return found() if callable(found) else found
