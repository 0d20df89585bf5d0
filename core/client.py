"""The HTTP client for ComboCurve's API: credentials, pacing, retries and 207 answers.

- One requests.Session, explicit connect and read timeouts on every call, no redirects followed
  (a redirect would carry the API key elsewhere, or loop).
- Writes are idempotent (PUT and PATCH of records upsert; a survey is POSTed only when a GET
  found none, and PUT by its id), so 429, 500, 502, 503, 504, dropped connections, read
  timeouts, answers cut off or garbled on the way and unreadable bodies are retried:
  `Retry-After` when the API sends it, else capped exponential back-off with jitter. All
  waiting of a run comes out of one budget; when it is spent, the request fails.
- 401 stops the run (AuthError); other 4xx and 3xx are never retried; anything else the HTTP
  stack raises fails the request (its rows are not sent), never the run.
- A sliding-window limiter keeps writes under the API quota (by default 190 a minute: the
  quota of 200 less room for the gateway's own window), so that a long run does not provoke a
  storm of 429s; after a 429 it keeps below the rate that met it. Another keeps reads under
  the read quota (800 units a minute, each GET its route's cost: a list of wells or surveys
  4, a list of rows 1), alike.
- Reading back (verify, mirror deletions): GET pages followed through the Link header's
  `next` (a cursor), HEAD counts (`X-Query-Count`), DELETE (`X-Delete-Count`); all
  idempotent, so retried like the writes.
- Company networks: the project's proxy (else HTTPS_PROXY / NO_PROXY) and its trusted CAs (a
  PEM bundle, or the operating system's store through truststore). A refused proxy password or
  an untrusted certificate fails at once with one line: retrying cannot fix either.
- Once the run is stopped, waits end at once, no request starts, and requests in flight get
  STOP_GRACE seconds to be answered before their connections are cut: a slow API cannot hold
  a stopped run past the scheduler's patience.
"""

import contextlib
import email.utils
import http.client
import logging
import random
import re
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .credentials import BearerToken, Secret
from .errors import AuthError, UploadError, UsageError
from .project import Network

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "combocurve-sync/0.1"
READ_QUOTA = 800  # read units a minute: the API's quota per client
DEAREST_READ = 4  # read units of the dearest GET (a list of wells or surveys)
LONGEST_WAIT = 86_400  # seconds: a day of back-off or time-out; more is a typo, not a setting
STOP_GRACE = 2.0  # seconds requests in flight have to be answered once the run is stopped
# What the network can do to a request that resending may cure (PUTs are idempotent upserts)
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
             requests.exceptions.ContentDecodingError)
# Everything else the HTTP stack may raise: the request fails, its rows are not sent
HTTP_FAILURES = (requests.RequestException, http.client.HTTPException,
                 urllib3.exceptions.HTTPError, OSError, UnicodeError)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for the API; `max_wait` bounds the back-off of a whole run."""

    max_wait: float = 600.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0

    def __post_init__(self):
        """Every duration finite and sensible: an infinite or NaN wait would hang or crash."""
        for name in ("max_wait", "base_delay", "max_delay", "connect_timeout", "read_timeout"):
            value = getattr(self, name)
            lowest = 0 if name == "max_wait" else 1e-3
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not lowest <= value <= LONGEST_WAIT:  # also refuses NaN
                shown = "max wait (--max-wait)" if name == "max_wait" else name.replace("_", " ")
                raise UsageError(f"{shown} must be a number of seconds from {lowest:g} to "
                                 f"{LONGEST_WAIT}, not {value!r}")

    def backoff(self, attempt: int) -> float:
        """Exponential delay for the n-th retry, capped, half of it random (equal jitter)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Outcome:
    """What the API said of one record."""

    ok: bool
    status: str | None
    code: int | None
    message: str | None = None
    id: str | None = None  # the record's ComboCurve id, when the answer gives it (wells)


@dataclass(frozen=True)
class PutResult:
    outcomes: list[Outcome]
    attempts: int


@dataclass(frozen=True)
class Counted:
    """A number the API answered in a header, and the server's clock (its Date header)."""

    number: int | None
    server_time: datetime | None


class WaitBudget:
    """Seconds of back-off left for the run, shared by every upload thread."""

    def __init__(self, seconds: float):
        self.left = seconds
        self._lock = threading.Lock()

    def take(self, seconds: float) -> bool:
        with self._lock:
            if seconds > self.left:
                return False
            self.left -= seconds
            return True


class RateLimiter:
    """At most `per_minute` units in any 60 seconds (the gateway's window), across threads.

    A write costs 1 unit of the write quota; a read its route's units of the read quota (a
    wells GET 4, a daily GET 1); a request of 0 units never waits. The quota is shared with
    every other client of the company, and the gateway's window and ours do not start
    together: a 429 can come below the quota. Then the limit drops to nine tenths of what was
    spent in the last minute (never below a tenth of the limit given), for the rest of the
    run, since the gateway may keep answering 429 for a while at the rate that met one."""

    def __init__(self, per_minute: int | None, *, clock=time.monotonic, sleep=time.sleep,
                 unit: str = "requests"):
        self.per_minute, self._clock, self._sleep = per_minute, clock, sleep
        self.unit = unit  # what is counted, for messages: "requests", "read units"
        self._floor = max(1, (per_minute or 0) // 10)
        self._spent: deque[tuple[float, int]] = deque()  # (when, units), oldest first
        self._total = 0
        self._lock = threading.Lock()

    def slow_down(self) -> int | None:
        """After a 429: keep below the rate that met it. Returns the new limit if it fell."""
        if not self.per_minute:
            return None
        with self._lock:
            now = self._clock()
            recent = sum(units for moment, units in self._spent if moment > now - 60)
            lower = max(self._floor, int(recent * 0.9))
            if lower >= self.per_minute:
                return None
            self.per_minute = lower
            return lower

    def acquire(self, units: int = 1) -> float:
        """Block until a request of `units` may go; returns the seconds waited. A request
        dearer than the whole quota goes once the window is empty."""
        if not self.per_minute or units <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._spent and self._spent[0][0] <= now - 60:
                    self._total -= self._spent.popleft()[1]
                if self._total + units <= self.per_minute or not self._spent:
                    self._spent.append((now, units))
                    self._total += units
                    return waited
                pause = self._spent[0][0] + 60 - now
            self._sleep(pause)
            waited += pause


class _CuttableAdapter(HTTPAdapter):
    """requests' adapter, remembering its connections so that `cut()` can end the requests in
    flight from another thread (shutting a socket ends a read blocked on it at once)."""

    def __init__(self, **options):
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        super().__init__(**options)

    def init_poolmanager(self, *args, **options) -> None:
        super().init_poolmanager(*args, **options)
        self.poolmanager.pool_classes_by_scheme = {
            "http": self._remembering(HTTPConnectionPool),
            "https": self._remembering(HTTPSConnectionPool)}

    def _remembering(self, pool_class: type) -> type:
        adapter = self

        class Pool(pool_class):
            def _new_conn(self):
                connection = super()._new_conn()
                with adapter._lock:
                    adapter._connections.add(connection)
                return connection

        return Pool

    def cut(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)


class HttpSession:
    """One requests.Session for a company network: its proxy and the CAs it trusts.

    Both are passed on every call, so that HTTPS_PROXY or REQUESTS_CA_BUNDLE in the
    environment cannot quietly override what the project says; NO_PROXY still applies.
    """

    def __init__(self, network: Network | None = None, *, connections: int = 1):
        network = network or Network()
        self._proxy = network.proxy
        self._verify = str(network.ca_bundle) if network.ca_bundle else True
        self.session = requests.Session()
        adapter = _SystemTrustAdapter if network.system_trust else _CuttableAdapter
        self._adapter = adapter(pool_connections=1, pool_maxsize=max(1, connections))
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, self._adapter)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        return self.session.request(method, url, proxies=self._proxies(url),
                                    verify=self._verify, **kwargs)

    def send(self, method: str, url: Secret, *, body: bytes | None = None,
             content_type: str = "application/json", timeout: float = 10.0) -> int:
        """One request that is not the API's (a notification): its status, or UploadError
        saying why there was none. Neither names the URL, which may be a secret, and
        urllib3's debug lines show its path as ***."""
        hidden = _HIDE_PATHS.set(True)
        try:
            response = self.request(method, url.reveal(), data=body, timeout=timeout,
                                    headers={"Content-Type": content_type,
                                             "User-Agent": USER_AGENT})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise UploadError(refused_by_network(exc) or _network_problem(exc),
                              unreachable=True) from None
        finally:
            _HIDE_PATHS.reset(hidden)
        response.close()
        return response.status_code

    def _proxies(self, url: str) -> dict:
        """A fresh dict each call: requests adds the environment's proxies to it."""
        if self._proxy is None or requests.utils.should_bypass_proxies(url, no_proxy=None):
            return {}
        return {"http": self._proxy.reveal(), "https": self._proxy.reveal()}

    def cut(self) -> None:
        """End the requests in flight now (from another thread): see _CuttableAdapter."""
        self._adapter.cut()

    def close(self) -> None:
        self.session.close()


_HIDE_PATHS: ContextVar[bool] = ContextVar("combocurve_hide_paths", default=False)


class _PathsHidden(logging.Filter):
    """urllib3 logs every request's path at DEBUG; a webhook's path is its secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _HIDE_PATHS.get() and isinstance(record.args, tuple):
            record.args = tuple("***" if isinstance(arg, str) and arg.startswith("/") else arg
                                for arg in record.args)
        return True


_URLLIB3_LOG = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _PathsHidden) for f in _URLLIB3_LOG.filters):
    _URLLIB3_LOG.addFilter(_PathsHidden())


class _SystemTrustAdapter(_CuttableAdapter):
    """Verifies servers against the operating system's trust store (Windows, macOS, Linux)
    through truststore, directly and through a proxy's tunnel."""

    def init_poolmanager(self, *args, **kwargs):
        return super().init_poolmanager(*args, **kwargs, ssl_context=_system_context())

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        return super().proxy_manager_for(proxy, **proxy_kwargs, ssl_context=_system_context())


def _system_context() -> ssl.SSLContext:
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class ApiClient:
    """Requests to one ComboCurve base URL: records written (207 answers), the single
    documents of directional surveys, and reads back (GET pages, HEAD counts, DELETE).

    Writes are paced by the write quota (`rate_limit` requests a minute), GETs by the read
    quota (`read_rate` units a minute); HEAD costs nothing. DELETE costs no quota in the 2023
    spec, unconfirmed today, so it is paced as a write."""

    def __init__(self, base_url: str, api_key: Secret, bearer: BearerToken, *,
                 retry: RetryPolicy = RetryPolicy(), rate_limit: int | None = None,
                 read_rate: int | None = READ_QUOTA, connections: int = 8,
                 stopping: threading.Event | None = None, network: Network | None = None):
        self.base_url = base_url.rstrip("/")
        self._api_key, self._bearer = api_key, bearer
        self.retry = retry
        # once set, waits end at once and no new attempt starts: a stopped run ends promptly
        self.stopping = stopping or threading.Event()
        self.limiter = RateLimiter(rate_limit, sleep=self.stopping.wait)
        # reads have a quota of their own: 800 units a minute, each GET its route's cost
        self.read_limiter = RateLimiter(read_rate, sleep=self.stopping.wait, unit="read units")
        self.budget = WaitBudget(retry.max_wait)
        self.http = HttpSession(network, connections=connections)
        self._closed = threading.Event()
        threading.Thread(target=self._cut_when_stopped, name="api-stop", daemon=True).start()

    @classmethod
    def for_project(cls, project, **options) -> "ApiClient":
        """A client of the project's API with its credentials and network (`project`: a
        core.project.Project); `options` as the constructor's."""
        credentials = project.credentials
        bearer = BearerToken(token=credentials.token, audience=project.base_url) \
            if credentials.token else BearerToken(account=credentials.service_account,
                                                  audience=project.base_url)
        return cls(project.base_url, credentials.api_key, bearer, network=project.network,
                   **options)

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url})"

    def close(self) -> None:
        self._closed.set()
        self.http.close()

    def _cut_when_stopped(self) -> None:
        """Once stopping, requests in flight get STOP_GRACE seconds, then their connections
        are cut: their rows are counted as not sent (they may have been written)."""
        while not self.stopping.wait(0.1):
            if self._closed.is_set():
                return
        if not self._closed.wait(STOP_GRACE):
            log.debug("cutting the requests still in flight %g s after the stop", STOP_GRACE)
            self.http.cut()

    def write(self, method: str, path: str, body: bytes, count: int) -> PutResult:
        """Send `count` records (PUT or PATCH); one Outcome per record from the 207 answer.
        Retried until a final answer or the run's wait budget is spent."""
        def answer(response: requests.Response):
            if response.status_code != 207:
                return None
            outcomes = parse_multi_status(response, count)
            if outcomes is None:
                raise _Unreadable("HTTP 207 with an unreadable body")
            return outcomes

        outcomes, attempts = self._exchange(method, path, self.limiter, answer, body=body)
        return PutResult(outcomes, attempts)

    def call(self, method: str, path: str, *, document: dict | None = None,
             params: dict | None = None, answers=frozenset({200})) -> "Answer":
        """One request whose answer is a single JSON document (a survey, a list of them): its
        status, among `answers`, and its parsed body (None when empty). Other statuses raise
        UploadError (401: AuthError) once retries cannot help."""
        def answer(response: requests.Response):
            if response.status_code not in answers:
                return None
            try:
                return response.status_code, (orjson.loads(response.content)
                                              if response.content else None)
            except orjson.JSONDecodeError:
                raise _Unreadable(f"HTTP {response.status_code} with a body that is not "
                                  "JSON") from None

        body = orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY) \
            if document is not None else None
        target = f"{path}?{urlencode(params)}" if params else path
        limiter = self.read_limiter if method == "GET" else self.limiter
        (status, found), attempts = self._exchange(method, target, limiter, answer, body=body,
                                                   units=DEAREST_READ if method == "GET" else 1)
        return Answer(status, found, attempts)

    # -- reads back and deletes --------------------------------------------------------------

    def get_pages(self, path: str, params: list[tuple[str, str]], *,
                  cost: int) -> Iterator[list[dict]]:
        """Every page of a list, first to last: a GET with `params` (give the largest `take`),
        then the `next` of each answer's Link header (a cursor) until an answer has none.
        Each GET waits for `cost` units of the read quota."""
        target = f"{path}?{urlencode(params)}"
        while target:
            (records, link), _ = self._exchange("GET", target, self.read_limiter,
                                                _list_answer, units=cost)
            yield records
            target = _next_target(link, path)

    def count(self, path: str, params: list[tuple[str, str]]) -> Counted:
        """How many records a GET with `params` would list (HEAD: no quota), and the
        server's clock when it answered."""
        def answer(response):
            return _header_number(response, "X-Query-Count") if response.ok else None

        target = f"{path}?{urlencode(params)}"
        found, _ = self._exchange("HEAD", target, self.read_limiter, answer, units=0)
        return found

    def delete(self, path: str, params: list[tuple[str, str]]) -> int | None:
        """Delete what `params` select; the count the API says it deleted (X-Delete-Count),
        None when it does not say. Retried like a write: a DELETE is idempotent."""
        def answer(response):
            if response.status_code not in (200, 204):
                return None
            return _header_number(response, "X-Delete-Count", required=False)

        target = f"{path}?{urlencode(params)}"
        found, _ = self._exchange("DELETE", target, self.limiter, answer)
        return found.number



    def _exchange(self, method: str, target: str, limiter: RateLimiter, answer, *,
                  body: bytes | None = None, units: int = 1):
        """(what `answer` makes of the final response, attempts made). `answer` returns None
        for a response that is not the one hoped for: retried when its status may pass (429,
        5xx), else an UploadError (AuthError for 401). Network troubles are retried too,
        within the run's wait budget; a refused proxy or an untrusted certificate is not."""
        what = f"{method} {target.split('?', 1)[0]}"
        attempt, answered = 0, False
        while True:
            attempt += 1
            limiter.acquire(units)
            if self.stopping.is_set():
                raise UploadError(f"{what}: the run was stopped", attempts=attempt - 1)
            found, problem, delay, answered_now = self._attempt(
                method, target, body, limiter, answer, attempt, answered)
            answered = answered or answered_now
            if found is not None:
                return found, attempt
            if self.stopping.is_set():
                raise UploadError(f"{what}: the run was stopped ({problem})", attempts=attempt)
            if not self.budget.take(delay):
                raise UploadError(
                    f"{what}: gave up after {attempt} attempt(s) (last: {problem}); the "
                    f"run's {self.retry.max_wait:g} s of back-off are spent: try again later "
                    "or allow more with --max-wait", attempts=attempt, unreachable=not answered)
            log.warning("%s: %s; retry %d in %.1f s", what, problem, attempt, delay)
            self.stopping.wait(delay)

    def _attempt(self, method: str, target: str, body: bytes | None, limiter: RateLimiter,
                 answer, attempt: int, answered: bool):
        """One request: (what `answer` made of it, None, 0, True), or (None, what went wrong,
        seconds to wait, whether an HTTP answer came) when it may be sent again; raises
        UploadError when it may not (`unreachable` when no attempt was ever answered)."""
        what = f"{method} {target.split('?', 1)[0]}"
        try:
            response = self.http.request(
                method, self.base_url + target, data=body, headers=self._headers(),
                timeout=(self.retry.connect_timeout, self.retry.read_timeout),
                allow_redirects=False)
        except TRANSIENT as exc:
            if refused := refused_by_network(exc):
                raise UploadError(f"{what}: {refused}", attempts=attempt,
                                  unreachable=not answered) from None
            return None, _network_problem(exc), self.retry.backoff(attempt), False
        except requests.exceptions.InvalidHeader:  # its message holds the header's value
            raise UploadError(f"{what}: the API key or token cannot be sent in an HTTP "
                              "header", attempts=attempt) from None
        except HTTP_FAILURES as exc:
            raise UploadError(f"{what}: {_network_problem(exc)}", attempts=attempt,
                              unreachable=not answered) from None
        if response.status_code == 407:  # the proxy's answer to plain HTTP, not the API's
            raise UploadError(f"{what}: {PROXY_REFUSED}", attempts=attempt,
                              unreachable=not answered)
        try:
            found = answer(response)
        except _Unreadable as exc:
            return None, str(exc), self.retry.backoff(attempt), True
        if found is not None:
            return found, None, 0, True
        self._raise_if_final(what, response, attempt)
        if response.status_code == 429 and (lower := limiter.slow_down()):
            log.warning("%s: 429 from the API: at most %d %s a minute from now on", what, lower,
                        limiter.unit)
        asked = retry_after(response)
        delay = asked if asked is not None else self.retry.backoff(attempt)
        return None, f"HTTP {response.status_code}", delay, True

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key.reveal(),
                "Authorization": f"Bearer {self._bearer.value()}",
                "Content-Type": "application/json", "Accept": "application/json",
                "User-Agent": USER_AGENT}

    def _raise_if_final(self, what: str, response: requests.Response, attempt: int) -> None:
        status = response.status_code
        if status in RETRY_STATUSES:
            return
        if 300 <= status < 400:
            where = response.headers.get("Location", "nowhere")
            raise UploadError(f"{what}: HTTP {status}, the API redirects to {where}; set "
                              "base_url to the API's own address", status=status,
                              attempts=attempt)
        detail = error_detail(response)
        if status == 401:
            raise AuthError(
                f"{what}: HTTP 401, the API refused the credentials ({detail}); check the "
                "API key and the token or service-account file ([combocurve] in combocurve.toml "
                "or COMBOCURVE_API_KEY / COMBOCURVE_TOKEN / COMBOCURVE_SERVICE_ACCOUNT)",
                status=401, attempts=attempt)
        raise UploadError(f"{what}: HTTP {status}: {detail}", status=status, attempts=attempt)


class _Unreadable(Exception):
    """An answer with the hoped-for status whose body cannot be read: worth asking again, as
    an answer garbled on the way would be."""


_LINK = re.compile(r'<([^<>]+)>;\s*rel="([^"]+)"')  # the official client's pattern, spaces allowed


def _list_answer(response: requests.Response) -> tuple[list[dict], str | None] | None:
    """The records of a GET's 200 answer and its Link `next`, or None for another status."""
    if response.status_code != 200:
        return None
    try:
        records = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise _Unreadable("HTTP 200 with a body that is not JSON") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _Unreadable("HTTP 200 with a body that is not a list of records")
    links = dict((rel, url) for url, rel in _LINK.findall(response.headers.get("Link", "")))
    return records, links.get("next")


def _next_target(link: str | None, path: str) -> str | None:
    """The path and query of a `next` link, sent to our own base URL: the API's host, as
    it names itself, may not be the one we reach (a proxy), and our credentials go nowhere
    else. A link to another path is refused."""
    if link is None:
        return None
    parts = urlsplit(link)
    if not parts.path.endswith(path):
        raise UploadError(f"GET {path}: the API's next page link goes elsewhere ({parts.path})")
    return f"{path}?{parts.query}"


def _header_number(response: requests.Response, name: str, *,
                   required: bool = True) -> Counted:
    raw = response.headers.get(name)
    try:
        number = int(raw) if raw is not None else None
    except ValueError:
        raise _Unreadable(f"HTTP {response.status_code} with {name} {raw!r}") from None
    if number is None and required:
        raise _Unreadable(f"HTTP {response.status_code} without {name}")
    try:
        moment = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        moment = None
    return Counted(number, moment.astimezone(UTC) if moment and moment.tzinfo else None)


@dataclass(frozen=True)
class Answer:
    """A single-document answer: its status, its JSON body (None when it had none), and the
    attempts it took."""

    status: int
    body: object
    attempts: int


def parse_multi_status(response: requests.Response, count: int) -> list[Outcome] | None:
    """One Outcome per record sent, from a 207 body; a missing entry is a failure. None when the
    body is no JSON object with a list of results: the answer was lost, not the records."""
    try:
        results = orjson.loads(response.content).get("results")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(results, list):
        return None
    outcomes = [_outcome(entry) for entry in results[:count]]
    missing = Outcome(False, None, None, "the API's answer had no result for this record")
    return outcomes + [missing] * (count - len(outcomes))


# The answers of accepted records, shared: a 20,000-row page needs no 20,000 new objects.
_ACCEPTED = {(status, code): Outcome(True, status, code)
             for status, code in (("OK", 200), ("Created", 201))}


def _outcome(entry) -> Outcome:
    """A record is accepted only when its status and its code both say so: an entry whose
    status says Error while its code says 200 (or the reverse) is a failure."""
    if not isinstance(entry, dict):
        return Outcome(False, None, None, f"unreadable result {entry!r}")
    status, code = entry.get("status"), entry.get("code")
    if isinstance(status, str) and type(code) is int and (status, code) in _ACCEPTED:
        found = entry.get("id")
        return _ACCEPTED[status, code] if not isinstance(found, str) else \
            Outcome(True, status, code, id=found)
    ok = status in ("Created", "OK") and type(code) is int and code in (200, 201)
    message = None if ok else \
        describe_errors(entry.get("errors")) or f"status {status!r}, code {code!r}"
    return Outcome(ok, status, code if type(code) is int else None, message)


def describe_errors(errors) -> str:
    """`Name: message at location; ...` of the API's list of errors ('' for none)."""
    return "; ".join(
        f"{e.get('name', 'Error')}: {e.get('message', '')}"
        + (f" at {e['location']}" if e.get("location") else "")
        for e in (errors if isinstance(errors, list) else []) if isinstance(e, dict))


def error_detail(response: requests.Response) -> str:
    """`name: message` of a whole-request error body, or the start of the raw text."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return " ".join(response.text[:200].split()) or response.reason or "no details"
    if isinstance(body, dict):
        name, message = body.get("name") or body.get("code"), body.get("message")
        return ": ".join(str(p) for p in (name, message) if p) or "no details"
    return str(body)[:200]


def retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date), if it said."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


PROXY_REFUSED = ("the proxy refused its credentials (HTTP 407 Proxy Authentication Required); "
                 "check the user and password of [combocurve] proxy or HTTPS_PROXY")
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: ((4\d\d)[^'\")]*)")


def refused_by_network(exc: Exception) -> str | None:
    """Why no request can get through, when retrying cannot help: the proxy refused the
    tunnel (our credentials, or its policy), or the server's certificate is not trusted.
    None for passing troubles."""
    tunnel = _TUNNEL_REFUSED.search(str(exc))
    if isinstance(exc, requests.exceptions.ProxyError) and tunnel:
        answer = tunnel.group(1).strip()
        if tunnel.group(2) in ("401", "407"):  # 407, or 401 from some (tinyproxy)
            return (f"the proxy refused its credentials (HTTP {answer}); check the user and "
                    "password of [combocurve] proxy or HTTPS_PROXY")
        return (f"the proxy refused to connect to the API (HTTP {answer}); ask for the API's "
                "host to be allowed, or check [combocurve] proxy or HTTPS_PROXY")
    if isinstance(exc, requests.exceptions.SSLError):
        verify = _cause(exc, ssl.SSLCertVerificationError)
        if verify is not None:
            return (f"the server's TLS certificate is not trusted ({verify.verify_message}); "
                    "if a company proxy inspects TLS, set [combocurve] ca_bundle to its CA "
                    "file, or ca_bundle = \"system\" for the operating system's trust store")
    return None


def _cause(exc: BaseException, kind: type) -> BaseException | None:
    """The first exception of `kind` in the chain of causes and wrapped reasons."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None),
                 *(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))]
    return None


def _network_problem(exc: Exception) -> str:
    """What happened to a request, in words, without the exception's text (which can quote
    headers) unless it is one the HTTP stack rarely raises."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the answer's compressed body was broken"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy could not be reached or dropped the connection"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed or was dropped"
    return f"the request failed: {type(exc).__name__}: {exc}"
