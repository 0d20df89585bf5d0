"""A local emulator of the two ComboCurve endpoints the sync writes to.

Start it from a shell; the first line printed is the base URL::

    python -m core.emulator                          # free port, default key and token
    python -m core.emulator --port 8080 --quota 200 --latency 0.05
    python -m core.emulator --public-key service-account.pub.pem --issuer sync@example.com

or in-process (a test fixture)::

    from core.emulator import Emulator, DEFAULT_API_KEY, DEFAULT_TOKEN
    with Emulator() as emu:
        headers = {"x-api-key": DEFAULT_API_KEY, "Authorization": f"Bearer {DEFAULT_TOKEN}"}
        requests.put(f"{emu.base_url}/v1/wells", json=[...], headers=headers, timeout=10)
        emu.wells()        # what was stored
        emu.requests       # what was asked, in order (never headers)

It is an independent test oracle: it imports nothing from the rest of ``core`` and keeps its own
field tables, transcribed from design/api-contract.md. It checks, in this order:

1. the route: ``PUT``/``GET`` on ``/v1/wells`` and ``/v1/daily-productions`` only (404 for
   other paths, trailing slash included; 405 for other methods);
2. the credentials (401, gateway body ``{"code": 16, ...}``): ``x-api-key`` and
   ``Authorization: Bearer <token>``, the token being the static one or, with ``public_key``,
   an RS256 JWT whose signature, ``exp``, ``aud`` and ``iss`` are verified;
3. the write quota (429 without ``Retry-After``) when ``quota_per_minute`` is set;
4. for PUTs: ``Content-Type: application/json`` (415), a body of at most 24 MB (413), strict
   JSON without NaN/Infinity (400 ``SyntaxError``), an array (400 ``RequestStructureError``) of
   1..1000 wells or 1..20000 daily rows (400 ``RecordCountError``);
5. each record, answered 207 with one result per record (valid records are written even when
   others fail): unknown fields (``FieldNameError``), read-only fields (``ReadOnlyFieldError``),
   strict JSON types (``TypeError``), ISO-8601 dates that exist, enums, ``chosenID`` of 1-32
   letters/digits, ``api10/12/14`` digit strings, latitude/longitude ranges (``ValueError``),
   required fields and lat/long pairs (``RequiredFieldError``), one ``dataSource`` per request
   (``DifferentDataSourceError``), known wells (``WellNotFoundError``) and one daily row per
   well and UTC day per request (``DuplicateProductionError``, all copies refused);
6. wells are replaced whole, keyed by (chosenID, dataSource): omitted or null fields are
   cleared, the id and createdAt survive; daily rows are merged field by field, keyed by
   (well, UTC day): omitted or null fields keep their stored value;
7. ``GET`` lists stored records in insertion order with ``skip``/``take`` (take <= 200) and
   ``chosenID``/``dataSource`` (daily also ``well``) filters.

Faults to inject, settable while running: ``latency``, ``fail_next(n, status, retry_after)``,
``drop_next(n)`` (connection closed without an answer) and ``mangle_next(n, how)`` (an answer
cut off in its body, a broken gzip body, or a redirect to itself; all right after the route
check), ``quota_per_minute``, and ``sink`` mode (credentials and whole-request checks only, no
record validation, nothing stored: for benchmarks).
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import logging
import re
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import orjson
from cryptography.hazmat.primitives.serialization import load_pem_public_key

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "AIzaSyCtjb6vep5dWTyrQNvoVBkKYWBH3WeGG2E"
DEFAULT_TOKEN = "emulator-token"
MAX_BODY_BYTES = 24_000_000  # "24 MB" read strictly, so a client that fits here fits there
MAX_TAKE = 200
# Broken answers mangle_next() can give: the body cut off (Content-Length announces more, the
# connection closes), a body announced as gzip that is not, a 307 to the same URL (a loop).
MANGLES = ("truncated", "bad-gzip", "redirect-loop")
DATA_SOURCES = ("di", "ihs", "phdwin", "aries", "internal", "other")

WELLS_PATH = "/v1/wells"
DAILY_PATH = "/v1/daily-productions"
_MAX_RECORDS = {WELLS_PATH: 1000, DAILY_PATH: 20000}
_FILTERS = {WELLS_PATH: ("chosenID", "dataSource"), DAILY_PATH: ("well", "chosenID", "dataSource")}
_QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute'"
)


def _field_table(spec: dict[str, str]) -> dict[str, str]:
    """Expand {kind: "name other prefix0..19"} into {name: kind}: lists read like the contract."""
    table = {}
    for kind, names in spec.items():
        for token in names.split():
            span = re.fullmatch(r"(\w+?)(\d+)\.\.(\d+)", token)
            if span:
                first, last = int(span[2]), int(span[3])
                table.update({f"{span[1]}{n}": kind for n in range(first, last + 1)})
            else:
                table[token] = kind
    return table


_WELL_FIELDS = _field_table({
    "string": """
        dataSource chosenID chosenKeyID dataSourceCustomName
        api10 api12 api14 ariesId phdwinId ihsId drillinginfoId tgsId rsegId spgciId
        wellName wellNumber wellType status primaryProduct productionMethod recoveryMethod
        holeDirection fluidType flowPath allocationType elevationType rig padName county state
        country basin play subplay field district abstract block section survey township range
        typeCurveArea currentOperator currentOperatorAlias currentOperatorCode
        currentOperatorTicker previousOperator previousOperatorAlias previousOperatorCode
        previousOperatorTicker leaseName leaseNumber gasGatherer oilGatherer nglGatherer
        landingZone targetFormation toeInLandingZone toeUp parentChildAnyZone
        parentChildSameZone completionDesign firstFracVendor firstTreatmentType refracFracVendor
        refracTreatmentType proppantMeshSize proppantType prmsReservesCategory
        prmsReservesSubCategory prmsResourcesClass customString0..34""",
    "number": """
        surfaceLatitude surfaceLongitude heelLatitude heelLongitude toeLatitude toeLongitude
        lateralLength perfLateralLength measuredDepth trueVerticalDepth upperPerforation
        lowerPerforation grossPerforatedInterval elevation groundElevation tubingDepth tubingId
        casingId chokeSize azimuth acreSpacing horizontalSpacing verticalSpacing
        hzWellSpacingAnyZone hzWellSpacingSameZone vtWellSpacingAnyZone vtWellSpacingSameZone
        stageSpacing drainageArea distanceFromBaseOfZone distanceFromTopOfZone
        footageInLandingZone landingZoneBase landingZoneTop percentInZone formationThicknessMean
        thickness porosity matrixPermeability fractureConductivity initialRespress
        initialRestemp bubblePointPress dewPointPress bg bo rs sg so sw zi oilApiGravity
        oilSpecificGravity gasSpecificGravity gasC1 gasC2 gasC3 gasCo2 gasH2 gasH2o gasH2s gasHe
        gasIc4 gasIc5 gasN2 gasNc4 gasNc5 gasNc6 gasNc7 gasNc8 gasNc9 gasNc10 gasO2
        firstAdditiveVolume firstClusterCount firstFluidVolume firstMaxInjectionPressure
        firstMaxInjectionRate firstPropWeight firstStageCount firstTestFlowTbgPress
        firstTestGasVol firstTestGor firstTestOilVol firstTestWaterVol refracAdditiveVolume
        refracClusterCount refracFluidVolume refracMaxInjectionPressure refracMaxInjectionRate
        refracPropWeight refracStageCount numTreatmentRecords customNumber0..19""",
    "date": """
        firstProdDate spudDate permitDate til completionStartDate completionEndDate
        drillStartDate drillEndDate dateRigRelease refracDate gasAnalysisDate customDate0..19""",
    "boolean": "customBool0..4",
})
# Believed read-only (set by ComboCurve itself); refused rather than silently ignored.
_WELL_READ_ONLY = frozenset([
    "id", "well", "createdAt", "updatedAt", "hasDaily", "hasMonthly", "hasDirectionalSurvey",
    "inptID", "copied", "copiedFrom", "dataPool", "generic", "mostRecentImportDate",
    "mostRecentImportDesc", "mostRecentImportType", "project",
])

_DAILY_FIELDS = _field_table({
    "string": "well chosenID dataSource operationalTag",
    "date": "date",
    "number": """
        oil gas water choke hoursOn gasLiftInjectionPressure bottomHolePressure
        tubingHeadPressure flowlinePressure casingHeadPressure vesselSeparatorPressure
        gasInjection waterInjection co2Injection steamInjection ngl customNumber0..19""",
})
_DAILY_READ_ONLY = frozenset({"id", "createdAt", "updatedAt"})
_DAILY_IDENTITY = frozenset({"well", "chosenID", "dataSource", "date"})

_LAT_LONG_PAIRS = (
    ("surfaceLatitude", "surfaceLongitude"),
    ("heelLatitude", "heelLongitude"),
    ("toeLatitude", "toeLongitude"),
)

# A value rule: (accepts(value), what the value must be), checked once the JSON type is right.
_Rule = tuple[Callable[[Any], bool], str]


def _pattern(regex: str, what: str) -> _Rule:
    compiled = re.compile(regex, re.ASCII)
    return (lambda value: compiled.fullmatch(value) is not None), f"must be {what}"


def _between(low: float, high: float) -> _Rule:
    return (lambda value: low <= value <= high), f"must be between {low} and {high}"


_DATA_SOURCE_RULE: _Rule = (
    lambda value: value in DATA_SOURCES,
    f"must be one of {', '.join(DATA_SOURCES)}",
)
_WELL_RULES: dict[str, _Rule] = {
    "dataSource": _DATA_SOURCE_RULE,
    "chosenID": _pattern(r"[A-Za-z0-9]{1,32}", "1 to 32 letters or digits"),
    **{f"api{n}": _pattern(rf"\d{{{n}}}", f"a string of exactly {n} digits") for n in (10, 12, 14)},
    **{lat: _between(-90, 90) for lat, _ in _LAT_LONG_PAIRS},
    **{long: _between(-180, 180) for _, long in _LAT_LONG_PAIRS},
}
_DAILY_RULES: dict[str, _Rule] = {
    "dataSource": _DATA_SOURCE_RULE,
    "well": _pattern(r"[0-9a-f]{24}", "a 24-character hexadecimal well id"),
}

_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")
_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII
)


@dataclass
class RequestRecord:
    """One request as seen by the emulator; never its headers, which carry the credentials."""

    method: str
    path: str
    status: int | None = None  # None while in flight, or when the connection was dropped
    record_count: int | None = None  # None when the body was not a JSON array
    data_source: str | None = None  # the first record's dataSource
    started: float = 0.0  # time.monotonic()
    finished: float | None = None


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mangle: str | None = None  # one of MANGLES: how the answer is broken on the wire


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, orjson.dumps(payload), headers or {})


def _request_error(status: int, name: str, message: str) -> _Reply:
    """A whole-request error, shaped like the API's own."""
    return _json_reply(status, {"name": name, "message": message, "details": {}})


def _gateway_error(status: int, code: int, message: str) -> _Reply:
    """An error from the gateway in front of the API, which has its own (gRPC-style) shape."""
    return _json_reply(status, {"code": code, "message": message})


def _error(name: str, message: str, location: str) -> dict[str, str]:
    return {"name": name, "message": message, "location": location}


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_date(text: str) -> datetime | None:
    """An ISO-8601 date or datetime on a real calendar day, in UTC (naive means UTC)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _type_ok(kind: str, value: Any) -> bool:
    """Strict JSON types, as the API has them: no "123" for a number, no 1 for a boolean."""
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _value_problem(name: str, kind: str, value: Any, rule: _Rule | None) -> tuple[str, str] | None:
    """(error name, message) for a non-null value of a known field, or None when it is fine."""
    if not _type_ok(kind, value):
        expected = "an ISO-8601 date string" if kind == "date" else f"a JSON {kind}"
        return "TypeError", f"`{name}` must be {expected}"
    if kind == "date" and _parse_date(value) is None:
        return "ValueError", f"`{name}` is not a valid ISO-8601 date: {value!r}"
    if rule is not None and not rule[0](value):
        return "ValueError", f"`{name}` {rule[1]}"
    return None


def _field_errors(
    i: int, record: dict, fields: dict[str, str], read_only: frozenset, rules: dict[str, _Rule]
) -> list[dict]:
    """Per-field checks: known, writable, strictly typed, valid; null passes (it means no value)."""
    errors = []
    for name, value in record.items():
        where = f"[{i}].{name}"
        if name in read_only:
            errors.append(_error("ReadOnlyFieldError", f"`{name}` is read-only", where))
        elif name not in fields:
            errors.append(_error("FieldNameError", f"`{name}` is not a valid field name", where))
        elif value is not None:
            problem = _value_problem(name, fields[name], value, rules.get(name))
            if problem:
                errors.append(_error(*problem, where))
    return errors


def _required(name: str, i: int) -> dict[str, str]:
    return _error("RequiredFieldError", f"Missing required field: `{name}`", f"[{i}]")


def _check_well(i: int, record: dict) -> tuple[list[dict], dict]:
    """Validate one well; return its errors and the fields to store (null fields dropped)."""
    errors = _field_errors(i, record, _WELL_FIELDS, _WELL_READ_ONLY, _WELL_RULES)
    fields = {name: value for name, value in record.items() if value is not None}
    if "dataSource" not in fields:
        errors.append(_required("dataSource", i))
    if "chosenID" not in fields:
        api14 = fields.get("api14")
        accepts_api14 = _WELL_RULES["api14"][0]
        if fields.get("dataSource") == "di" and isinstance(api14, str) and accepts_api14(api14):
            fields["chosenID"] = api14  # for drillinginfo the API number is the well's identity
        else:
            errors.append(_required("chosenID", i))
    for pair in _LAT_LONG_PAIRS:
        given = [name for name in pair if name in fields]
        if len(given) == 1:
            (missing,) = set(pair) - set(given)
            message = f"`{missing}` is required together with `{given[0]}`"
            errors.append(_error("RequiredFieldError", message, f"[{i}].{missing}"))
    return errors, fields


def _check_daily(i: int, record: dict) -> tuple[list[dict], dict]:
    """Validate one daily row; return its errors and its non-null fields."""
    errors = _field_errors(i, record, _DAILY_FIELDS, _DAILY_READ_ONLY, _DAILY_RULES)
    fields = {name: value for name, value in record.items() if value is not None}
    if "date" not in fields:
        errors.append(_required("date", i))
    if "well" not in fields and not {"chosenID", "dataSource"} <= fields.keys():
        message = "Missing required field: `well` (or `chosenID` and `dataSource`)"
        errors.append(_error("RequiredFieldError", message, f"[{i}]"))
    return errors, fields


def _mixed_source_errors(records: list) -> dict[int, dict]:
    """One dataSource per request: the first record carrying a valid one sets it for the request;
    every later record carrying another valid one gets DifferentDataSourceError."""
    carried = [
        (i, record["dataSource"])
        for i, record in enumerate(records)
        if isinstance(record, dict) and record.get("dataSource") in DATA_SOURCES
    ]
    if not carried:
        return {}
    first = carried[0][1]
    message = "All records of a request must share one dataSource: `{}` after `{}`"
    return {
        i: _error("DifferentDataSourceError", message.format(source, first), f"[{i}].dataSource")
        for i, source in carried
        if source != first
    }


def _validate(records: list, check: Callable[[int, dict], tuple[list[dict], dict]]) -> list:
    """[(errors, fields)] aligned with records: the record checks plus the request-wide ones."""
    mixed = _mixed_source_errors(records)
    checked = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            message = "Each record must be a JSON object"
            checked.append(([_error("RequestStructureError", message, f"[{i}]")], {}))
            continue
        errors, fields = check(i, record)
        checked.append((errors + [mixed[i]] if i in mixed else errors, fields))
    return checked


def _failure(record: Any, errors: list[dict]) -> dict:
    chosen_id = record.get("chosenID") if isinstance(record, dict) else None
    return {"status": "Error", "code": 400, "chosenID": chosen_id, "errors": errors}


def _duplicate_groups(keys: dict[int, tuple]) -> list[list[int]]:
    """Indexes of records sharing a key, for every key held by more than one record."""
    groups = defaultdict(list)
    for i, key in keys.items():
        groups[key].append(i)
    return [group for group in groups.values() if len(group) > 1]


def _first_source(records: list) -> str | None:
    first = records[0] if records else None
    source = first.get("dataSource") if isinstance(first, dict) else None
    return source if isinstance(source, str) else None


def _sink_body(count: int) -> bytes:
    """A 207 accepting `count` records, built as bytes because benchmarks send 20000 at a time."""
    results = b",".join([b'{"status":"OK","code":200}'] * count)
    return b'{"results":[%s],"successCount":%d,"failedCount":0}' % (results, count)


def _int_param(params: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or (maximum is not None and int(raw) > maximum):
        limit = f" of at most {maximum}" if maximum is not None else ""
        raise ValueError(f"`{name}` must be a non-negative integer{limit}")
    return int(raw)


class Emulator:
    """The two ComboCurve endpoints over real HTTP, with a store to inspect and faults to inject.

    `token=None` accepts JWTs only (needs `public_key`). Settable while running: `latency`,
    `quota_per_minute`, `quota_window` (seconds, 60), `sink`. Read: `base_url`, `requests`,
    `sink_records`. Faults (drop, fail, mangle) hit requests on a known route, before the
    credentials are checked, as a load balancer's would. All state sits behind one lock.
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
    ) -> None:
        self.host, self.port = host, port
        self.api_key, self.token = api_key, token
        self._public_key = None
        if public_key is not None:
            pem = public_key.encode() if isinstance(public_key, str) else public_key
            self._public_key = load_pem_public_key(pem)
        self.audience, self.issuer = audience, issuer
        self._settings = (latency, quota_per_minute, sink)
        self.base_url = ""
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Serve in a daemon thread; `base_url` is known once this returns."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = _Server((self.host, self.port), self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
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
        latency, quota and sink as given to the constructor."""
        with self._lock:
            self._wells: dict[str, dict] = {}
            self._well_ids: dict[tuple[str, str], str] = {}
            self._daily: dict[tuple[str, date], dict] = {}
            self.requests.clear()
            self._failures = (0, 429, None)
            self._drops = 0
            self._mangles: tuple[int, str] = (0, MANGLES[0])
            self._quota_hits: deque[float] = deque()
            self.sink_records = 0
            self.latency, self.quota_per_minute, self.sink = self._settings
            self.quota_window = 60.0  # seconds; tests shorten it to see the window free up

    def wells(self, data_source: str | None = None) -> list[dict]:
        """Copies of the stored wells (with id, createdAt, updatedAt), in insertion order."""
        with self._lock:
            return [
                dict(well) for well in self._wells.values()
                if data_source is None or well["dataSource"] == data_source
            ]

    def daily_productions(self) -> list[dict]:
        """Copies of the stored daily rows (well, chosenID, dataSource, date, measures)."""
        with self._lock:
            return [dict(row) for row in self._daily.values()]

    def fail_next(self, n: int, status: int = 429, retry_after: float | None = None) -> None:
        """Answer the next `n` API requests with `status` (and `Retry-After` when given)."""
        if HTTPStatus(status) < 400:  # HTTPStatus() refuses unknown codes
            raise ValueError(f"fail_next needs an HTTP error status, not {status}")
        with self._lock:
            self._failures = (n, status, retry_after)

    def drop_next(self, n: int) -> None:
        """Read the next `n` API requests, then close their connection without an answer."""
        with self._lock:
            self._drops = n

    def mangle_next(self, n: int, how: str) -> None:
        """Break the answers to the next `n` API requests, `how` being one of MANGLES: a
        "truncated" or "bad-gzip" answer comes after the request was handled (its records are
        written: the answer is what gets lost); a "redirect-loop" answer instead of handling."""
        if how not in MANGLES:
            raise ValueError(f"mangle_next: how must be one of {', '.join(MANGLES)}, not {how!r}")
        with self._lock:
            self._mangles = (n, how)

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
        if path not in _MAX_RECORDS:
            return _request_error(404, "NotFoundError", f"No endpoint at {path}")
        if method not in ("GET", "PUT"):
            reply = _request_error(405, "MethodNotAllowedError", f"{method} is not allowed here")
            reply.headers["Allow"] = "GET, PUT"
            return reply
        if self._take_drop():
            return None
        failure = self._take_failure()
        if failure:
            return failure
        mangle = self._take_mangle()
        if mangle == "redirect-loop":
            return _Reply(307, b"", {"Location": target})
        reply = self._checked(method, path, query, headers, body, log)
        reply.mangle = mangle
        return reply

    def _checked(
        self, method: str, path: str, query: str, headers: Message, body: bytes | None,
        log: RequestRecord,
    ) -> _Reply:
        refusal = self._auth_problem(headers)
        if refusal:
            return _gateway_error(401, 16, refusal)
        if method == "GET":
            return self._list(path, query)
        return self._put(path, headers, body, log)

    def _take_mangle(self) -> str | None:
        with self._lock:
            count, how = self._mangles
            if count <= 0:
                return None
            self._mangles = (count - 1, how)
            return how

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops <= 0:
                return False
            self._drops -= 1
            return True

    def _take_failure(self) -> _Reply | None:
        with self._lock:
            count, status, retry_after = self._failures
            if count <= 0:
                return None
            self._failures = (count - 1, status, retry_after)
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        phrase = HTTPStatus(status).phrase
        code = 8 if status == 429 else 14  # RESOURCE_EXHAUSTED, UNAVAILABLE
        return _json_reply(status, {"code": code, "message": f"{phrase} (injected)"}, headers)

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

    def _over_quota(self) -> bool:
        """The gateway's write quota over a rolling window. One key is valid, so one window;
        refused writes are not counted, so a client backing off gets through once it frees up."""
        if self.quota_per_minute is None:
            return False
        now = time.monotonic()
        with self._lock:
            while self._quota_hits and self._quota_hits[0] <= now - self.quota_window:
                self._quota_hits.popleft()
            if len(self._quota_hits) >= self.quota_per_minute:
                return True
            self._quota_hits.append(now)
        return False

    def _put(self, path: str, headers: Message, body: bytes | None, log: RequestRecord) -> _Reply:
        """Whole-request checks, then the per-record work (or just a count in sink mode)."""
        if self._over_quota():
            return _gateway_error(429, 8, _QUOTA_MESSAGE)
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _request_error(415, "UnsupportedMediaTypeError", "Send application/json")
        if body is None:
            message = f"The body is larger than {MAX_BODY_BYTES} bytes"
            return _request_error(413, "PayloadTooLargeError", message)
        try:
            records = orjson.loads(body)  # strict JSON: NaN and Infinity are refused
        except orjson.JSONDecodeError as exc:
            return _request_error(400, "SyntaxError", f"Invalid JSON: {exc}")
        if not isinstance(records, list):
            message = "The body must be a JSON array of records"
            return _request_error(400, "RequestStructureError", message)
        log.record_count, log.data_source = len(records), _first_source(records)
        limit = _MAX_RECORDS[path]
        if not 1 <= len(records) <= limit:
            message = f"Send between 1 and {limit} records, not {len(records)}"
            return _request_error(400, "RecordCountError", message)
        if self.sink:
            with self._lock:
                self.sink_records += len(records)
            return _Reply(207, _sink_body(len(records)))
        results = self._write_wells(records) if path == WELLS_PATH else self._write_daily(records)
        succeeded = sum(result["status"] != "Error" for result in results)
        payload = {
            "results": results,
            "successCount": succeeded,
            "failedCount": len(results) - succeeded,
        }
        return _json_reply(207, payload)

    def _write_wells(self, records: list) -> list[dict]:
        checked = _validate(records, _check_well)
        now = _timestamp()
        with self._lock:
            return [
                _failure(record, errors) if errors else self._replace_well(fields, now)
                for record, (errors, fields) in zip(records, checked, strict=True)
            ]

    def _replace_well(self, fields: dict, now: str) -> dict:
        """Replace or create: the stored well becomes exactly the sent fields (+ id, times)."""
        key = (fields["chosenID"], fields["dataSource"])
        well_id = self._well_ids.get(key)
        created = well_id is None
        if created:
            well_id = self._well_ids[key] = secrets.token_hex(12)
        created_at = now if created else self._wells[well_id]["createdAt"]
        self._wells[well_id] = {"id": well_id, **fields, "createdAt": created_at, "updatedAt": now}
        return {
            "status": "Created" if created else "OK",
            "code": 201 if created else 200,
            "id": well_id,
            "chosenID": key[0],
            "dataSource": key[1],
            "createdAt": created_at,
            "updatedAt": now,
        }

    def _find_well(self, fields: dict) -> dict | None:
        if "well" in fields:
            return self._wells.get(fields["well"])
        well_id = self._well_ids.get((fields["chosenID"], fields["dataSource"]))
        return self._wells.get(well_id) if well_id else None

    def _write_daily(self, records: list) -> list[dict]:
        """Resolve wells, refuse every copy of a (well, day) key, merge the rest."""
        checked = _validate(records, _check_daily)
        with self._lock:
            targets = {}
            for i, (errors, fields) in enumerate(checked):
                well = None if errors else self._find_well(fields)
                if well is not None:
                    targets[i] = (well, _parse_date(fields["date"]).date())
                elif not errors:
                    errors.append(_error("WellNotFoundError", "No such well", f"[{i}]"))
            keys = {i: (well["id"], day) for i, (well, day) in targets.items()}
            for group in _duplicate_groups(keys):
                where = ", ".join(f"[{i}]" for i in group)
                for i in group:
                    message = "Several records for the same well and day"
                    checked[i][0].append(_error("DuplicateProductionError", message, where))
            return [
                _failure(record, errors) if errors else self._merge_daily(*targets[i], fields)
                for i, (record, (errors, fields)) in enumerate(zip(records, checked, strict=True))
            ]

    def _merge_daily(self, well: dict, day: date, fields: dict) -> dict:
        """Upsert merging field by field: fields not sent (or null) keep their stored value."""
        stamp = f"{day.isoformat()}T00:00:00.000Z"
        row = self._daily.setdefault((well["id"], day), {
            "well": well["id"],
            "chosenID": well["chosenID"],
            "dataSource": well["dataSource"],
            "date": stamp,
        })
        row.update((name, value) for name, value in fields.items() if name not in _DAILY_IDENTITY)
        return {"status": "OK", "code": 200, "well": well["id"], "date": stamp}

    def _list(self, path: str, query: str) -> _Reply:
        """GET: stored records in insertion order, filtered, then skip/take."""
        params = {name: values[-1] for name, values in parse_qs(query).items()}
        unknown = sorted(params.keys() - {"skip", "take", *_FILTERS[path]})
        if unknown:
            message = f"`{unknown[0]}` is not a valid query parameter"
            return _request_error(400, "FieldNameError", message)
        try:
            skip = _int_param(params, "skip", 0, None)
            take = _int_param(params, "take", 25, MAX_TAKE)
        except ValueError as exc:
            return _request_error(400, "ValueError", str(exc))
        filters = {name: params[name] for name in _FILTERS[path] if name in params}
        with self._lock:
            stored = self._wells if path == WELLS_PATH else self._daily
            rows = [
                dict(row) for row in stored.values()
                if all(row.get(name) == value for name, value in filters.items())
            ]
        return _json_reply(200, rows[skip : skip + take])


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

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

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
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the base class prints every request to stderr; see Emulator.requests."""


class _Server(ThreadingHTTPServer):
    """Keeps track of open connections so that stop() can cut idle keep-alive ones."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM."""
    args = _parse_args(argv)
    public_key = None
    if args.public_key:
        with open(args.public_key, "rb") as pem:
            public_key = pem.read()
    emulator = Emulator(
        args.host, args.port, api_key=args.api_key, token=args.token, public_key=public_key,
        audience=args.audience, issuer=args.issuer, latency=args.latency,
        quota_per_minute=args.quota, sink=args.sink,
    )
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
