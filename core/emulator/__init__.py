"""A local emulator of the ComboCurve REST API: every resource the sync writes and reads.

Start it from a shell; the first line printed is the base URL::

    python -m core.emulator                          # free port, default key and token
    python -m core.emulator --port 8080 --quota 200 --read-quota 800 --latency 0.05
    python -m core.emulator --public-key service-account.pub.pem --issuer sync@example.com
    python -m core.emulator --tls-cert server.pem --tls-key server.key   # https://...

or in-process (a test fixture)::

    from core.emulator import Emulator, DEFAULT_API_KEY, DEFAULT_TOKEN
    with Emulator() as emu:
        headers = {"x-api-key": DEFAULT_API_KEY, "Authorization": f"Bearer {DEFAULT_TOKEN}"}
        requests.put(f"{emu.base_url}/v1/wells", json=[...], headers=headers, timeout=10)
        emu.wells()        # what was stored
        emu.requests       # what was asked, in order (never headers)

It is an independent test oracle: it imports nothing from the rest of ``core`` and keeps its own
field tables, transcribed from design/api-contract.md, the public OpenAPI spec
(api-evangelist/combocurve, 2026) and the 2023 server (zpiazza-combocurve/
multi-language-bazel-monorepo, projects/external-combocurve). Where those disagree it follows
the spec; where the spec is silent, the 2023 server. ``api.py`` routes, ``records.py``,
``ownership.py`` and ``surveys.py`` check records, ``store.py`` keeps them, ``paging.py`` reads.

Endpoints (``/v1/...``; another path 404, another method 405 with ``Allow``)::

    wells                 GET HEAD PUT PATCH DELETE   wells/{id}                 GET DELETE
    daily-productions     GET HEAD PUT DELETE
    monthly-productions   GET HEAD PUT DELETE
    directional-surveys   GET HEAD POST               directional-surveys/{id}   GET PUT DELETE
    ownership-qualifiers  GET HEAD PUT                ownership-qualifiers/{id}  GET

Every request is checked in this order: the route; injected faults (``drop_next``,
``fail_next``, ``mangle_next``: an answer cut off in its body, a broken gzip body, or a
redirect to itself); the credentials (401, gateway body ``{"code": 16, ...}``: ``x-api-key`` and a
bearer that is the static token or, with ``public_key``, an RS256 JWT whose signature, ``exp``,
``aud`` and ``iss`` are verified); the quotas (429 ``{"code": 8}``, no ``Retry-After``): each
PUT, PATCH and POST costs 1 of ``quota_per_minute``, each GET costs read units of
``read_quota_per_minute`` (a wells or surveys list 4, a daily, monthly or qualifier list 1, a
well or qualifier by id 1), HEAD and DELETE cost nothing; then the endpoint.

Writes of records (PUT/PATCH wells, PUT rows and qualifiers): ``Content-Type:
application/json`` (415), at most 24 MB (413), strict JSON (400 ``SyntaxError``), an array (400
``RequestStructureError``) of 1..1000 wells, 1..20000 daily or monthly rows, 1..500 qualifiers
(400 ``RecordCountError``); then one result per record in a 207 (valid records are written even
when others fail): unknown fields ``FieldNameError``, read-only ones ``ReadOnlyFieldError``
(location ``[i].field``), strict JSON types ``TypeError``, real ISO-8601 dates, enums, the
chosenID rule, api10/12/14 digits, lat/long ranges ``ValueError``, required fields and lat/long
pairs ``RequiredFieldError``, one dataSource per request ``DifferentDataSourceError``.

- Wells, keyed by (chosenID, dataSource). PUT replaces the whole well (omitted or null fields
  are cleared; id and createdAt survive). An ``id`` in the record names the well when one has
  it (then chosenID and dataSource must match: ``KeyFieldModificationError``); an unknown id is
  ignored and the key decides, as the 2023 server creates a well then. PATCH changes only the
  fields sent, a null clears its field; chosenID and dataSource stay required and can't be null
  (``NonNullableFieldError``); a well that does not exist is that record's
  ``WellNotFoundError`` at ``[i]``. Both answer ``{status, code, id, chosenID, dataSource,
  createdAt, updatedAt}``. Dates are kept as the API returns them: ``2021-03-01T00:00:00.000Z``.
- Daily and monthly rows name their well by ``well`` or chosenID + dataSource
  (``WellNotFoundError``), are keyed by (well, UTC day) or (well, month) and merged field by
  field (omitted or null keep their value); two records of one key in a request are all
  refused (``DuplicateProductionError``, location ``[0], [2]``). A month is kept, and answered,
  as its 15th (``2024-03-15T00:00:00.000Z``), as the 2023 server does: any date names its
  month, mid-month is safe from time zones. Monthly fields are the spec's (customNumber0..19;
  the 2023 server knew 0..4). With ``drop_negative_volumes``, negative oil, gas and water
  (``VOLUME_FIELDS``) are not stored while the answer says OK, as the API does.
- Ownership qualifiers are keyed by (well, qualifierKey) and replaced whole; the answer is
  ``{status: "OK", code: 200, well, qualifierKey}`` for new and replaced ones alike (2023).
  ``ownership`` is ``{name, initialOwnership, firstReversion .. tenthReversion}``; the field
  lists are the spec's, plus the 2023 server's optional ``reversionValue``; required fields and
  defaults are the 2023 server's (the spec marks none): initialOwnership needs workingInterest
  and netRevenueInterest, a reversion reversionType, workingInterest, netRevenueInterest,
  leaseNetRevenueInterest and netProfitInterest, and no reversion may be skipped. The stored
  object is complete: defaults filled in, absent reversions null, and a lease NRI computed from
  NRI and WI when none is sent. At most 10 qualifier keys a company
  (``OwnershipQualifierLimitError``); a well named twice with one key: both
  ``DuplicateOwnershipQualifierError``; no such well: ``OwnershipQualifierNotFoundError``.
- Directional surveys: one document per well. POST ``{chosenID, dataSource, spatialDataType,
  projectID?, measuredDepth, trueVerticalDepth, azimuth, inclination, deviationEW,
  deviationNS, latitude, longitude}`` (equal, non-empty arrays; depths, TVD, azimuth,
  inclination >= 0, inclination <= 180, lat/long in range; a depth twice is refused, which the
  2023 server lets through) stores the stations in depth order and answers 201 ``{code: 201,
  status: "created", errors: []}`` without the id, as the API: find it with GET ``?well=``. A
  second POST for the well replaces its stations (same id). Errors answer 400 ``{code, status:
  "error", errors}``. dataSource may be the wells' (``internal``) or the 2023 server's
  (``Internal``, ``PDWin``...). PUT ``/{id}`` ``{add, update, remove, spatialDataType?}`` adds
  stations with new depths, replaces stations at existing depths, removes listed depths
  (``AddDuplicateItemError``, ``UpdateNotFoundItemError``, ``DeleteNotFoundItemError``); any
  such error leaves the survey unchanged yet answers 200 "updated" with the errors, as the 2023
  server does: read ``errors``. Coordinates are kept as sent (no datum conversion).
- DELETE answers 204 with ``X-Delete-Count``. Wells ``?id=`` (up to 100) or ``?chosenID=`` (up
  to 100) with ``&dataSource=`` (``RequiredFilterError`` otherwise); a well takes its rows,
  survey and qualifiers with it. Rows ``?well=<id>`` (exactly one) with optional ``startDate``
  and ``endDate``, inclusive, by the day or month a write keys them by.

Reads: GET lists answer a JSON array with a ``Link`` header, HEAD the count in
``X-Query-Count``. ``take`` (default 25, at most 1000 wells, 20000 rows, 100 surveys, 200
qualifiers whose default is 100), ``skip``, ``sort`` (``field`` or ``-field``; send ``+`` as
``%2B``, a bare ``+`` is a space and refused), ``cursor``; skip with cursor is a 400
``ValidationError``. Default order: newest first by id; rows by well then date. As the 2023
server pages: a GET without ``skip`` whose sort can follow a cursor (the default, or ``id``)
links ``next`` with ``cursor=<base64>`` and ``first``; otherwise skip links ``next``, ``prev``,
``first``; HEAD adds ``last``. Links are ``<url>;rel="next"``, comma-separated, no spaces.
Filters: wells chosenID, api10/12/14, county, state, wellName, currentOperator (up to 100
values each), dataSource, inptID; rows well (up to 100) and date; surveys well, chosenID with
dataSource, project, ``measures=false``; qualifiers well, chosenID, qualifierKey; and
createdAt/updatedAt everywhere but surveys. Dates take ``[gt] [ge] [lt] [le]``; a row's date
compares by its day or month. An unknown filter is a 400 ``FieldNameError``. GET rows show
no chosenID or dataSource, surveys no spatialDataType, as the API.

For tests: ``records(resource, **where)`` (copies of what is held, also
``wells()``, ``daily_productions()``, ``monthly_productions()``, ``directional_surveys()``,
``ownership_qualifiers()``), ``edit(resource, where, changes)`` and ``remove(resource,
where)`` to change the store as another writer would (bumping updatedAt), ``requests`` (method,
path, query, status, record_count, data_source, timings; never headers), ``reset()``.
Settable while running: ``latency``, ``quota_per_minute``, ``read_quota_per_minute``,
``quota_window``, ``sink``, ``drop_negative_volumes``; faults ``fail_next(n, status,
retry_after)`` and ``drop_next(n)`` (connection closed without an answer). ``sink`` mode checks
credentials and whole requests of record writes only, and stores nothing: for benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hmac
import logging
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .api import MAX_BODY_BYTES, Api, Request, allowed_methods, quota_cost, route
from .fields import VOLUME_FIELDS
from .replies import MANGLES, timestamp
from .replies import Reply as _Reply
from .replies import gateway_error as _gateway_error
from .replies import json_reply as _json_reply
from .replies import request_error as _request_error
from .store import DAILY, MONTHLY, QUALIFIERS, RESOURCES, SURVEYS, WELLS, Store

__all__ = ["DEFAULT_API_KEY", "DEFAULT_TOKEN", "MAX_BODY_BYTES", "RESOURCES", "VOLUME_FIELDS",
           "Emulator", "RequestRecord", "main"]

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "AIzaSyCtjb6vep5dWTyrQNvoVBkKYWBH3WeGG2E"
DEFAULT_TOKEN = "emulator-token"

_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")
_QUOTA_MESSAGES = {
    kind: f"Quota exceeded for quota metric '{kind.title()} requests' and limit "
          f"'{kind.title()} requests per minute'"
    for kind in ("write", "read")
}


@dataclass
class RequestRecord:
    """One request as seen by the emulator; never its headers, which carry the credentials."""

    method: str
    path: str
    status: int | None = None  # None while in flight, or when the connection was dropped
    record_count: int | None = None  # records in the body: None for reads or a body not read
    data_source: str | None = None  # the first record's dataSource
    started: float = 0.0  # time.monotonic()
    finished: float | None = None
    query: str = ""  # the query string as sent (`take=1000&cursor=...`)


class _QuotaWindow:
    """The gateway's per-minute quota: units spent over a rolling window. Refused requests
    spend nothing, so a client backing off gets through once the window frees up."""

    def __init__(self) -> None:
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0

    def take(self, units: int, limit: int, window: float) -> bool:
        """Spend `units` if they fit under `limit` in the last `window` seconds."""
        now = time.monotonic()
        while self._spent and self._spent[0][0] <= now - window:
            self._total -= self._spent.popleft()[1]
        if self._total + units > limit:
            return False
        self._spent.append((now, units))
        self._total += units
        return True


def _injected_failure(status: int, retry_after: float | None) -> _Reply:
    """The answer of a request spoilt by fail_next."""
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    phrase = HTTPStatus(status).phrase
    code = 8 if status == 429 else 14  # RESOURCE_EXHAUSTED, UNAVAILABLE
    return _json_reply(status, {"code": code, "message": f"{phrase} (injected)"}, headers)


class Emulator:
    """The ComboCurve API over real HTTP, with a store to inspect and edit, faults to inject.

    `token=None` accepts JWTs only (needs `public_key`). `tls=(certfile, keyfile)` serves HTTPS.
    Settable while running: `latency`, `quota_per_minute` (writes), `read_quota_per_minute`
    (read units), `quota_window` (seconds, 60), `sink`, `drop_negative_volumes`. Read:
    `base_url`, `requests`, `sink_records`. Faults (drop, fail) hit requests on a known route,
    before the credentials are checked, as a load balancer's would. The gateway's state sits
    behind one lock, the store behind its own.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str = DEFAULT_API_KEY,
        token: str | None = DEFAULT_TOKEN,
        public_key: str | bytes | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        latency: float = 0.0,
        quota_per_minute: int | None = None,
        sink: bool = False,
        read_quota_per_minute: int | None = None,
        drop_negative_volumes: bool = False,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.api_key, self.token = api_key, token
        self._public_key = None
        if public_key is not None:
            pem = public_key.encode() if isinstance(public_key, str) else public_key
            self._public_key = load_pem_public_key(pem)
        self.audience, self.issuer = audience, issuer
        self._settings = (latency, quota_per_minute, sink, read_quota_per_minute,
                          drop_negative_volumes)
        self._tls = None
        if tls is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)
        self.base_url = ""
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._api = Api(self)
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Serve in a daemon thread; `base_url` is known once this returns."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = _Server((self.host, self.port), self, self._tls)
        host, port = self._server.server_address[:2]
        self.base_url = f"{'https' if self._tls else 'http'}://{host}:{port}"
        thread = threading.Thread(  # a short poll interval makes stop() quick
            target=self._server.serve_forever, args=(0.05,), name="combocurve-emulator", daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open keep-alive connections, as a server going away would."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- inspection and faults ----------------------------------------------------------------

    def reset(self) -> None:
        """Back to the state just after construction: empty store and log, no pending faults,
        latency, quotas, sink and the volume-dropping switch as given to the constructor."""
        with self._lock:
            self.store = Store()
            self.requests.clear()
            # Pending faults: name -> (requests left to spoil, what the fault needs to act).
            self._faults: dict[str, tuple[int, Any]] = {
                "drop": (0, None), "fail": (0, None), "mangle": (0, None)}
            self._quotas = {"write": _QuotaWindow(), "read": _QuotaWindow()}
            self.sink_records = 0
            (self.latency, self.quota_per_minute, self.sink, self.read_quota_per_minute,
             self.drop_negative_volumes) = self._settings
            self.quota_window = 60.0  # seconds; tests shorten it to see the window free up

    def records(self, resource: str, **where: Any) -> list[dict]:
        """Copies of what ComboCurve holds for `resource` ("wells", "daily-productions",
        "monthly-productions", "directional-surveys", "ownership-qualifiers"), in the API's
        order, optionally only those whose fields equal `where`. Rows also show their well's
        chosenID and dataSource, surveys their spatialDataType, which GET does not."""
        with self.store.lock:
            return copy.deepcopy(self.store.matching(resource, where))

    def wells(self, data_source: str | None = None) -> list[dict]:
        """Copies of the stored wells (with id, createdAt, updatedAt), oldest first."""
        return self.records(WELLS, **({} if data_source is None else {"dataSource": data_source}))

    def daily_productions(self) -> list[dict]:
        """Copies of the stored daily rows (well, chosenID, dataSource, date, measures, times)."""
        return self.records(DAILY)

    def monthly_productions(self) -> list[dict]:
        """Copies of the stored monthly rows; `date` is the 15th of the row's month."""
        return self.records(MONTHLY)

    def directional_surveys(self) -> list[dict]:
        return self.records(SURVEYS)

    def ownership_qualifiers(self) -> list[dict]:
        return self.records(QUALIFIERS)

    def edit(self, resource: str, where: dict, changes: dict) -> int:
        """Change stored records as another writer would (a person in the UI, another
        connector): set the fields in `changes` (None removes one; dotted names reach into
        objects, e.g. "ownership.initialOwnership.workingInterest") on every record whose
        fields equal `where` (a row's `date`: any date of its day or month), and bump their
        updatedAt. Returns how many records changed; a record's key can't be edited."""
        with self.store.lock:
            return self.store.edit(resource, where, changes, timestamp())

    def remove(self, resource: str, where: dict) -> int:
        """Delete stored records as another writer would (a well takes its rows, survey and
        qualifiers with it). Returns how many records matched `where`."""
        with self.store.lock:
            return self.store.remove(resource, where)

    def count_sink(self, records: int) -> None:
        with self._lock:
            self.sink_records += records

    def fail_next(self, n: int, status: int = 429, retry_after: float | None = None) -> None:
        """Answer the next `n` API requests with `status` (and `Retry-After` when given)."""
        if HTTPStatus(status) < 400:  # HTTPStatus() refuses unknown codes
            raise ValueError(f"fail_next needs an HTTP error status, not {status}")
        self._arm_fault("fail", n, (status, retry_after))

    def mangle_next(self, n: int, how: str) -> None:
        """Break the answers to the next `n` API requests, `how` being one of MANGLES: a
        "truncated" or "bad-gzip" answer comes after the request was handled (its records are
        written: the answer is what gets lost); a "redirect-loop" answer instead of handling."""
        if how not in MANGLES:
            raise ValueError(f"mangle_next: how must be one of {', '.join(MANGLES)}, not {how!r}")
        self._arm_fault("mangle", n, how)

    def drop_next(self, n: int) -> None:
        """Read the next `n` API requests, then close their connection without an answer."""
        self._arm_fault("drop", n, True)

    def _arm_fault(self, name: str, n: int, payload: Any) -> None:
        with self._lock:
            self._faults[name] = (n, payload)

    def _take_fault(self, name: str) -> Any:
        """The payload of fault `name` while it has requests left to spoil (one fewer now),
        else None."""
        with self._lock:
            count, payload = self._faults[name]
            if count <= 0:
                return None
            self._faults[name] = (count - 1, payload)
            return payload

    # -- request handling (called from the server's threads) ----------------------------------

    def _open_log(self, method: str, path: str) -> RequestRecord:
        record = RequestRecord(method, path, started=time.monotonic())
        with self._lock:
            self.requests.append(record)
        return record

    def _close_log(self, record: RequestRecord, reply: _Reply | None) -> None:
        record.status = reply.status if reply else None
        record.finished = time.monotonic()
        logger.debug("%s %s -> %s", record.method, record.path, record.status)

    def _answer(
        self, method: str, target: str, headers: Message, body: bytes | None, log: RequestRecord
    ) -> _Reply | None:
        """The reply to one request (None: drop the connection). `body` None means too large."""
        time.sleep(self.latency)
        path, query = urlsplit(target)[2:4]
        log.query = query
        found = route(path)
        if found is None:
            return _request_error(404, "NotFoundError", f"No endpoint at {path}")
        allowed = allowed_methods(*found)
        if method not in allowed:
            reply = _request_error(405, "MethodNotAllowedError", f"{method} is not allowed here")
            reply.headers["Allow"] = ", ".join(sorted(allowed))
            return reply
        if self._take_fault("drop"):
            return None
        failure = self._take_fault("fail")
        if failure:
            return _injected_failure(*failure)
        mangle = self._take_fault("mangle")
        if mangle == "redirect-loop":
            return _Reply(307, b"", {"Location": target})
        reply = self._checked(method, found, query, headers, body, log)
        reply.mangle = mangle
        return reply

    def _checked(self, method: str, found: tuple, query: str, headers: Message,
                 body: bytes | None, log: RequestRecord) -> _Reply:
        """The answer past the faults: credentials, quotas, then the endpoint."""
        refusal = self._auth_problem(headers)
        if refusal:
            return _gateway_error(401, 16, refusal)
        kind, units = quota_cost(method, *found)
        if self._over_quota(kind, units):
            return _gateway_error(429, 8, _QUOTA_MESSAGES[kind])
        scheme = "https" if self._tls else "http"
        origin = f"{scheme}://{headers.get('Host') or urlsplit(self.base_url).netloc}"
        return self._api.answer(Request(method, *found, query, headers, body, origin, log))

    def _auth_problem(self, headers: Message) -> str | None:
        """Why the gateway refuses the caller, or None. Messages never echo the credentials."""
        key = headers.get("x-api-key")
        if not key:
            return "Method doesn't allow unregistered callers: pass an API key in x-api-key"
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return "API key not valid. Please pass a valid API key."
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return "JWT validation failed: missing Authorization: Bearer <token>"
        if self.token is not None and hmac.compare_digest(token.encode(), self.token.encode()):
            return None
        if self._public_key is None:
            return "JWT validation failed: the token is not the one configured"
        return self._jwt_problem(token)

    def _jwt_problem(self, token: str) -> str | None:
        """Verify an RS256 service-account JWT as the gateway does: signature, exp, aud, iss."""
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                audience=self.audience or self.base_url,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            return f"JWT validation failed: {exc}"
        if not isinstance(claims["iss"], str) or not claims["iss"]:
            return "JWT validation failed: empty issuer"
        return None

    def _over_quota(self, kind: str, units: int) -> bool:
        """Whether the gateway refuses these units of its write or read quota (when set)."""
        limit = self.quota_per_minute if kind == "write" else self.read_quota_per_minute
        if limit is None or units == 0:
            return False
        with self._lock:
            return not self._quotas[kind].take(units, limit, self.quota_window)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; the API logic lives in Emulator._answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def _serve(self) -> None:
        emulator = self.server.emulator
        log = emulator._open_log(self.command, urlsplit(self.path).path)
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True  # the framing is lost: nothing more can be read
            reply = _request_error(400, "BadRequestError", "Unreadable body length or chunks")
        else:
            reply = emulator._answer(self.command, self.path, self.headers, body, log)
        emulator._close_log(log, reply)  # before answering, so a client with its answer sees it
        if reply is None:
            self.close_connection = True
        else:
            self._send(reply)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def _read_body(self) -> bytes | None:
        """The body, or None when too large: then it is read and discarded all the same, so the
        client sees the 413 rather than a reset. ValueError when the framing is garbled."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length", "0"))
        if length < 0:
            raise ValueError("negative Content-Length")
        if length <= MAX_BODY_BYTES:
            return self.rfile.read(length)
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)
        return None

    def _read_chunked(self) -> bytes | None:
        """A chunked body, as requests sends an iterator; None when over the limit."""
        parts, size = [], 0
        while chunk_size := self._chunk_size():
            chunk = self.rfile.read(chunk_size)
            self.rfile.readline()  # the CRLF closing the chunk
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                parts.append(chunk)
        while self.rfile.readline().strip():  # optional trailers, up to the blank line
            pass
        return b"".join(parts) if size <= MAX_BODY_BYTES else None

    def _chunk_size(self) -> int:
        digits = self.rfile.readline().split(b";")[0].strip()
        if not _HEX.fullmatch(digits):
            raise ValueError("garbled chunk size")
        return int(digits, 16)

    def _send(self, reply: _Reply) -> None:
        body = reply.body
        if reply.mangle == "bad-gzip":
            body = b"\x1f\x8b\x08\x00 this was never gzip"
        self.send_response(reply.status)
        if reply.status != HTTPStatus.NO_CONTENT:  # a 204 has no body, nor its headers
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        if reply.mangle == "bad-gzip":
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.mangle == "truncated":  # half the body, then the connection goes
            body, self.close_connection = body[: len(body) // 2], True
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the base class prints every request to stderr; see Emulator.requests."""


class _Server(ThreadingHTTPServer):
    """Keeps track of open connections so that stop() can cut idle keep-alive ones; with a TLS
    context, speaks HTTPS (the handshake runs in the connection's own thread)."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], emulator: Emulator, tls: ssl.SSLContext | None = None
    ) -> None:
        self.emulator = emulator
        self.tls = tls
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: socket.socket, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            secure = self.tls.wrap_socket(request, server_side=True)
        except OSError as exc:  # a client refusing our certificate ends here, quietly
            logger.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        try:
            super().finish_request(secure, client_address)
        finally:
            with contextlib.suppress(OSError):
                secure.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a killed sync, a cut connection) is an everyday
        event for an API, not a traceback on stderr; anything else still is one."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("%s went away before its answer was sent", client_address)
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        """HTTPServer's, minus its reverse-DNS lookup (socket.getfqdn), which can stall."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m core.emulator",
        description="Local ComboCurve API emulator. Prints its base URL on the first line.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the static bearer token")
    parser.add_argument("--public-key", metavar="FILE", help="PEM RSA public key: accept JWTs")
    parser.add_argument("--audience", help="expected JWT aud (default: the base URL)")
    parser.add_argument("--issuer", help="expected JWT iss (default: any)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument(
        "--quota", type=int, nargs="?", const=200, metavar="N",
        help="writes per minute before 429 (200 when given without N)",
    )
    parser.add_argument("--fail-next", type=int, default=0, metavar="N")
    parser.add_argument("--fail-status", type=int, default=429, metavar="STATUS")
    parser.add_argument("--retry-after", type=float, metavar="SECONDS")
    parser.add_argument("--drop-next", type=int, default=0, metavar="N")
    parser.add_argument("--mangle-next", type=int, default=0, metavar="N")
    parser.add_argument("--mangle", choices=MANGLES, default=MANGLES[0],
                        help="how --mangle-next breaks the answers (default: truncated)")
    parser.add_argument("--sink", action="store_true", help="count records, store nothing")
    parser.add_argument(
        "--read-quota", type=int, nargs="?", const=800, metavar="N",
        help="read units per minute before 429 (800 when given without N)",
    )
    parser.add_argument("--drop-negative-volumes", action="store_true",
                        help="drop negative oil, gas and water while answering OK, as the API")
    parser.add_argument("--tls-cert", metavar="FILE", help="PEM certificate (chain): serve HTTPS")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM."""
    args = _parse_args(argv)
    try:
        public_key = None
        if args.public_key:
            with open(args.public_key, "rb") as pem:
                public_key = pem.read()
        emulator = Emulator(
            args.host, args.port, api_key=args.api_key, token=args.token, public_key=public_key,
            audience=args.audience, issuer=args.issuer, latency=args.latency,
            quota_per_minute=args.quota, sink=args.sink, read_quota_per_minute=args.read_quota,
            drop_negative_volumes=args.drop_negative_volumes,
            tls=(args.tls_cert, args.tls_key) if args.tls_cert else None,
        )
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        print(f"Error: cannot load a key or certificate: {exc}", file=sys.stderr)
        return 2
    emulator.fail_next(args.fail_next, args.fail_status, args.retry_after)
    emulator.drop_next(args.drop_next)
    emulator.mangle_next(args.mangle_next, args.mangle)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        emulator.start()
    except OSError as exc:
        print(f"Error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        print(emulator.base_url, flush=True)
        stopping.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
