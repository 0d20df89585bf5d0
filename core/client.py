"""The HTTP client for ComboCurve's API: credentials, pacing, retries and 207 answers.

- One requests.Session, explicit connect and read timeouts on every call.
- Both PUTs are idempotent upserts, so 429, 500, 502, 503, 504, dropped connections and read
  timeouts are retried: `Retry-After` when the API sends it, else capped exponential back-off
  with jitter. All waiting of a run comes out of one budget; when it is spent, the request fails.
- 401 stops the run (AuthError); other 4xx are never retried.
- A sliding-window limiter keeps writes under the API quota (by default 190 a minute: the
  quota of 200 less room for the gateway's own window), so that a long run does not provoke a
  storm of 429s; after a 429 it keeps below the rate that met it. Another keeps reads under
  the read quota (800 units a minute, each GET its route's cost), alike.
- Reading back: GET pages followed through the Link header's `next` (a cursor), HEAD counts
  (`X-Query-Count`), DELETE (`X-Delete-Count`); all idempotent, so retried like the PUTs.
- Company networks: the project's proxy (else HTTPS_PROXY / NO_PROXY) and its trusted CAs (a
  PEM bundle, or the operating system's store through truststore). A refused proxy password or
  an untrusted certificate fails at once with one line: retrying cannot fix either.
"""

import email.utils
import logging
import random
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from .credentials import BearerToken, Secret
from .errors import AuthError, UploadError
from .project import Network

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "combocurve-sync/0.1"
READ_QUOTA = 800  # read units a minute: the API's quota per client (a wells GET costs 4)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for the API; `max_wait` bounds the back-off of a whole run."""

    max_wait: float = 600.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0

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
        adapter = _SystemTrustAdapter if network.system_trust else HTTPAdapter
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, adapter(pool_connections=1,
                                               pool_maxsize=max(1, connections)))

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


class _SystemTrustAdapter(HTTPAdapter):
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
    """Talks to one ComboCurve base URL: writes (PUT) and reads back (GET, HEAD, DELETE).

    Writes are paced by the write quota (`rate_limit` requests a minute), GETs by the read
    quota (`read_rate` units a minute, each GET its route's cost); HEAD costs nothing. DELETE
    costs no quota in the 2023 spec, unconfirmed today, so it is paced as a write."""

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
        self.read_limiter = RateLimiter(read_rate, sleep=self.stopping.wait, unit="read units")
        self.budget = WaitBudget(retry.max_wait)
        self.http = HttpSession(network, connections=connections)

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
        self.http.close()

    # -- writes ----------------------------------------------------------------------------

    def put(self, path: str, body: bytes, count: int) -> PutResult:
        """Send one page; retried until a final answer or the run's wait budget is spent."""
        def answer(response):
            return parse_multi_status(response, count) if response.status_code == 207 else None

        outcomes, attempts = self._exchange("PUT", path, self.limiter, answer, body=body)
        return PutResult(outcomes, attempts)

    # -- reads and deletes -----------------------------------------------------------------

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

    # -- one request, retried ---------------------------------------------------------------

    def _exchange(self, method: str, target: str, limiter: RateLimiter, answer, *,
                  body: bytes | None = None, units: int = 1):
        """(what `answer` makes of the final response, attempts). `answer` returns None for a
        response that is not the one hoped for: retried when its status may pass (429,
        5xx), else an UploadError (AuthError for 401). Network troubles are retried too,
        within the run's wait budget; a refused proxy or an untrusted certificate is not."""
        path = target.split("?", 1)[0]
        attempt, answered = 0, False
        while True:
            attempt += 1
            limiter.acquire(units)
            if self.stopping.is_set():
                raise UploadError(f"{method} {path}: the run was stopped", attempts=attempt - 1)
            try:
                response = self.http.request(
                    method, self.base_url + target, data=body, headers=self._headers(),
                    timeout=(self.retry.connect_timeout, self.retry.read_timeout))
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:  # reset mid-answer
                if refused := refused_by_network(exc):
                    raise UploadError(f"{method} {path}: {refused}", attempts=attempt,
                                      unreachable=not answered) from None
                problem, delay = _network_problem(exc), self.retry.backoff(attempt)
            else:
                if response.status_code == 407:  # the proxy's answer to plain HTTP, not the API's
                    raise UploadError(f"{method} {path}: {PROXY_REFUSED}", attempts=attempt,
                                      unreachable=not answered)
                answered = True
                try:
                    found = answer(response)
                except _Unreadable as exc:
                    problem, delay = str(exc), self.retry.backoff(attempt)
                else:
                    if found is not None:
                        return found, attempt
                    self._raise_if_final(f"{method} {path}", response, attempt)
                    problem = f"HTTP {response.status_code}"
                    if response.status_code == 429 and (lower := limiter.slow_down()):
                        log.warning("%s %s: 429 from the API: at most %d %s a minute from now "
                                    "on", method, path, lower, limiter.unit)
                    asked = retry_after(response)
                    delay = asked if asked is not None else self.retry.backoff(attempt)
            if not self.budget.take(delay):
                raise UploadError(
                    f"{method} {path}: gave up after {attempt} attempt(s) (last: {problem}); "
                    f"the run's {self.retry.max_wait:g} s of back-off are spent: try again "
                    "later or allow more with --max-wait", attempts=attempt,
                    unreachable=not answered)
            log.warning("%s %s: %s; retry %d in %.1f s", method, path, problem, attempt, delay)
            self.stopping.wait(delay)

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key.reveal(),
                "Authorization": f"Bearer {self._bearer.value()}",
                "Content-Type": "application/json", "Accept": "application/json",
                "User-Agent": USER_AGENT}

    def _raise_if_final(self, request: str, response: requests.Response, attempt: int) -> None:
        status = response.status_code
        if status in RETRY_STATUSES:
            return
        detail = error_detail(response)
        if status == 401:
            raise AuthError(
                f"{request}: HTTP 401, the API refused the credentials ({detail}); check the "
                "API key and the token or service-account file ([combocurve] in combocurve.toml "
                "or COMBOCURVE_API_KEY / COMBOCURVE_TOKEN / COMBOCURVE_SERVICE_ACCOUNT)",
                status=401, attempts=attempt)
        raise UploadError(f"{request}: HTTP {status}: {detail}", status=status, attempts=attempt)


class _Unreadable(Exception):
    """An answer with the hoped-for status whose body or headers cannot be read: worth
    asking again, as an answer garbled on the way would be."""


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


def parse_multi_status(response: requests.Response, count: int) -> list[Outcome]:
    """One Outcome per record sent, from a 207 body; a missing entry is a failure."""
    try:
        results = orjson.loads(response.content).get("results")
    except (orjson.JSONDecodeError, AttributeError):
        results = None
    if not isinstance(results, list):
        results = []
    outcomes = [_outcome(entry) for entry in results[:count]]
    missing = Outcome(False, None, None, "the API's answer had no result for this record")
    return outcomes + [missing] * (count - len(outcomes))


# The answers of accepted records, shared: a 20,000-row page needs no 20,000 new objects.
_ACCEPTED = {(status, code): Outcome(True, status, code)
             for status, code in (("OK", 200), ("Created", 201))}


def _outcome(entry) -> Outcome:
    if not isinstance(entry, dict):
        return Outcome(False, None, None, f"unreadable result {entry!r}")
    status, code = entry.get("status"), entry.get("code")
    if isinstance(status, str) and isinstance(code, int) and (status, code) in _ACCEPTED:
        found = entry.get("id")
        return _ACCEPTED[status, code] if not isinstance(found, str) else \
            Outcome(True, status, code, id=found)
    ok = status in ("Created", "OK") or code in (200, 201)
    message = None
    if not ok:
        errors = entry.get("errors") or []
        message = "; ".join(
            f"{e.get('name', 'Error')}: {e.get('message', '')}"
            + (f" at {e['location']}" if e.get("location") else "")
            for e in errors if isinstance(e, dict)) or f"{status} {code}"
    return Outcome(ok, status, code if isinstance(code, int) else None, message)


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
    if isinstance(exc, requests.Timeout):
        return "timed out" if not isinstance(exc, requests.ConnectTimeout) else \
            "connect timed out"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy could not be reached or dropped the connection"
    return "connection failed or was dropped"
