"""The client's own arithmetic: the quota windows, back-off bounds, Retry-After forms, and what
a 207 answer says of each record."""

import email.utils
import time

import orjson
import pytest
import requests

from core.client import (
    ApiClient,
    RateLimiter,
    RetryPolicy,
    WaitBudget,
    parse_multi_status,
    retry_after,
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_limiter_allows_the_quota_in_any_60_seconds():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        assert limiter.acquire() == 0
        clock.now += 10  # three requests at 1000, 1010, 1020
    assert limiter.acquire() == pytest.approx(30)  # the 4th waits until 1060
    assert clock.now == pytest.approx(1060)
    assert limiter.acquire() == pytest.approx(10)  # the 5th until the 1010 one is 60 s old


def test_the_read_quota_counts_units_not_requests():
    """800 units a minute: 200 wells GETs (4 each) fit, the 201st waits; HEAD costs none."""
    clock = FakeClock()
    limiter = RateLimiter(800, clock=clock, sleep=clock.sleep)

    assert sum(limiter.acquire(4) for _ in range(200)) == 0
    assert limiter.acquire(0) == 0 and clock.slept == []
    clock.now += 30
    assert limiter.acquire(1) == pytest.approx(30)  # until the first 4 units are 60 s old
    assert limiter.acquire(3) == 0  # the rest of those 4 units
    assert limiter.acquire(1000) == pytest.approx(60)  # dearer than the quota: an empty window


def test_after_a_429_the_limiter_keeps_below_the_rate_that_met_it():
    clock = FakeClock()
    limiter = RateLimiter(190, clock=clock, sleep=clock.sleep)
    for _ in range(100):  # 100 requests in 50 s, then a 429
        limiter.acquire()
        clock.now += 0.5

    assert limiter.slow_down() == 90 and limiter.per_minute == 90
    assert limiter.slow_down() is None  # 100 in the window still: 90 stays
    clock.now += 60
    assert limiter.slow_down() == 19  # others spent the quota: a tenth of the limit at least
    assert RateLimiter(None).slow_down() is None


def test_no_limit_never_waits():
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)

    assert all(limiter.acquire() == 0 for _ in range(1000)) and clock.slept == []


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_is_exponential_capped_and_jittered(attempt):
    policy = RetryPolicy(base_delay=1, max_delay=60)
    ceiling = min(60, 2 ** (attempt - 1))

    delays = {policy.backoff(attempt) for _ in range(50)}

    assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


def test_wait_budget_is_shared_and_bounded():
    budget = WaitBudget(1.0)

    assert budget.take(0.6) and not budget.take(0.6) and budget.take(0.4)


@pytest.mark.parametrize(("header", "expected"), [
    ("3", 3.0), ("0", 0.0), ("1.5", 1.5), ("soon", None), (None, None),
    ("an HTTP date 30 s ahead", 30),
])
def test_retry_after_forms(header, expected):
    response = requests.Response()
    if header == "an HTTP date 30 s ahead":  # made now, not when the tests were collected
        header = email.utils.formatdate(time.time() + 30, usegmt=True)
    if header is not None:
        response.headers["Retry-After"] = header

    value = retry_after(response)

    assert value == (pytest.approx(expected, abs=1.5) if expected else expected)


def _multi_status(*results) -> requests.Response:
    response = requests.Response()
    response.status_code = 207
    response._content = orjson.dumps({"results": list(results)})
    return response


@pytest.mark.parametrize(("entry", "ok", "message"), [
    ({"status": "OK", "code": 200}, True, None),
    ({"status": "Created", "code": 201}, True, None),
    ({"status": "Error", "code": 200}, False, "status 'Error', code 200"),
    ({"status": "OK", "code": 400, "errors": [{"name": "ValueError", "message": "bad"}]},
     False, "ValueError: bad"),
    ({"status": "Failed", "code": 201}, False, "status 'Failed', code 201"),
    ({"status": "OK"}, False, "status 'OK', code None"),
    ({"code": 200}, False, "status None, code 200"),
    ({"status": "OK", "code": "200"}, False, "status 'OK', code '200'"),
    ({"status": "OK", "code": True}, False, "status 'OK', code True"),
    ("OK", False, "unreadable result 'OK'"),
])
def test_a_record_is_accepted_only_when_status_and_code_agree(entry, ok, message):
    [outcome] = parse_multi_status(_multi_status(entry), 1)

    assert (outcome.ok, outcome.message) == (ok, message)


@pytest.mark.parametrize("body", [b"", b"<html>Bad gateway</html>", b"[]", b'{"results": 3}',
                                  b'{"results": [{"status": "OK", "code": 200}'])
def test_an_unreadable_207_is_no_answer(body):
    response = requests.Response()
    response.status_code, response._content = 207, body

    assert parse_multi_status(response, 1) is None  # retried: the answer was lost


def test_whatever_the_http_stack_raises_fails_the_request_not_the_run(emulator):
    from core.credentials import BearerToken, Secret
    from core.emulator import DEFAULT_API_KEY
    from core.errors import UploadError

    good, bad = (BearerToken(token=Secret(t)) for t in ("Tok-Secret", "Tok-Secret\n1234"))
    clients = {  # past the project's own checks
        "a malformed host": ApiClient("http://api..example", Secret(DEFAULT_API_KEY), good),
        "a header it cannot carry": ApiClient(emulator.base_url, Secret(DEFAULT_API_KEY), bad),
    }
    messages = {}
    for case, client in clients.items():
        with pytest.raises(UploadError) as caught:
            client.write("PUT", "/v1/wells", b"[]", 0)
        messages[case] = str(caught.value)

    assert messages["a malformed host"].startswith("PUT /v1/wells: the request failed: ")
    assert messages["a header it cannot carry"] == \
        "PUT /v1/wells: the API key or token cannot be sent in an HTTP header"
    assert emulator.requests == []
