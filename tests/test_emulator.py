"""The ComboCurve API emulator, over real HTTP on 127.0.0.1: every rule it claims to check."""

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import orjson
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from api_calls import (
    AUTH,
    DAILY,
    TIMEOUT,
    WELLS,
    daily,
    errors_of,
    get,
    put,
    put_raw,
    results,
    well,
    whole_request_error,
)
from conftest import ROOT
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN, MAX_BODY_BYTES, Emulator

ISSUER = "sync@example-project.iam.gserviceaccount.com"


# -- credentials ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": f"Bearer {DEFAULT_TOKEN}"}, id="no-api-key"),
        pytest.param({**AUTH, "x-api-key": "AIzaWrongKey"}, id="wrong-api-key"),
        pytest.param({"x-api-key": DEFAULT_API_KEY}, id="no-bearer"),
        pytest.param({**AUTH, "Authorization": "Bearer wrong-token"}, id="wrong-token"),
        pytest.param({**AUTH, "Authorization": f"Basic {DEFAULT_TOKEN}"}, id="not-bearer"),
        pytest.param({**AUTH, "Authorization": "Bearer "}, id="empty-bearer"),
    ],
)
def test_bad_credentials_get_401_without_echoing_them(emu, headers):
    response = put(emu, WELLS, [well()], headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == 16
    for secret in (DEFAULT_API_KEY, DEFAULT_TOKEN, "AIzaWrongKey", "wrong-token"):
        assert secret not in response.text
    assert emu.wells() == []


def test_get_needs_credentials_too(emu):
    assert get(emu, WELLS, headers={"x-api-key": DEFAULT_API_KEY}).status_code == 401


@pytest.fixture(scope="module")
def rsa_keys(rsa_key):
    """(private key, its public PEM, another private key) for minting test JWTs."""
    private_pem, public_pem = rsa_key
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private_pem, public_pem, other


@pytest.fixture(scope="module")
def jwt_server(rsa_keys):
    with Emulator(public_key=rsa_keys[1].decode(), issuer=ISSUER) as emulator:
        yield emulator


def mint(key, algorithm="RS256", **claims):
    """A service-account JWT as the official client mints it; a claim set to None is left out."""
    now = datetime.now(UTC)
    payload = {"iss": ISSUER, "sub": ISSUER, "iat": now, "exp": now + timedelta(hours=1), **claims}
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": "key-id"})


EXPIRED = {"exp": datetime.now(UTC) - timedelta(minutes=5), "iat": datetime.now(UTC)
           - timedelta(hours=1)}


@pytest.mark.parametrize(
    ("kind", "claims", "status"),
    [
        pytest.param("signed", {}, 207, id="valid-jwt"),
        pytest.param("static", {}, 207, id="static-token-still-accepted"),
        pytest.param("signed", EXPIRED, 401, id="expired"),
        pytest.param("signed", {"aud": "https://api.combocurve.com"}, 401, id="wrong-aud"),
        pytest.param("signed", {"iss": "someone@else.com"}, 401, id="wrong-iss"),
        pytest.param("signed", {"exp": None}, 401, id="no-exp"),
        pytest.param("other-key", {}, 401, id="wrong-signature"),
        pytest.param("unsigned", {}, 401, id="alg-none"),
        pytest.param("garbage", {}, 401, id="not-a-jwt"),
    ],
)
def test_jwt_bearer(jwt_server, rsa_keys, kind, claims, status):
    jwt_server.reset()
    private, _, other = rsa_keys
    claims = {"aud": jwt_server.base_url, **claims}  # the audience defaults to the base URL
    if kind in ("static", "garbage"):
        token = DEFAULT_TOKEN if kind == "static" else "not.a.jwt"
    elif kind == "unsigned":
        token = mint(None, "none", **claims)
    else:
        token = mint(private if kind == "signed" else other, **claims)
    headers = {"x-api-key": DEFAULT_API_KEY, "Authorization": f"Bearer {token}"}
    response = put(jwt_server, WELLS, [well()], headers=headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.json()["message"].startswith("JWT validation failed")
        assert token not in response.text


@pytest.mark.parametrize(
    ("iss", "status"),
    [pytest.param("anyone@example.com", 207, id="any-issuer"), pytest.param("", 401, id="empty")],
)
def test_jwt_with_configured_audience_and_any_issuer(rsa_keys, iss, status):
    private, public_pem, _ = rsa_keys
    audience = "https://test-api.combocurve.com"
    with Emulator(token=None, public_key=public_pem, audience=audience) as emulator:
        token = mint(private, iss=iss, aud=audience)
        headers = {"x-api-key": DEFAULT_API_KEY, "Authorization": f"Bearer {token}"}
        assert put(emulator, WELLS, [well()], headers=headers).status_code == status
        static = {**headers, "Authorization": f"Bearer {DEFAULT_TOKEN}"}
        assert put(emulator, WELLS, [well()], headers=static).status_code == 401  # token=None


# -- whole-request checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        pytest.param(None, 415, id="missing"),
        pytest.param("text/plain", 415, id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", 415, id="form"),
        pytest.param("application/json; charset=utf-8", 207, id="json-charset"),
        pytest.param("Application/JSON", 207, id="json-any-case"),
    ],
)
def test_content_type(emu, content_type, status):
    response = put_raw(emu, WELLS, orjson.dumps([well()]), content_type)
    assert response.status_code == status


def test_body_over_24_mb_gets_413_and_the_connection_survives(emu):
    record = orjson.dumps(well())
    at_limit = b"[" + b" " * (MAX_BODY_BYTES - len(record) - 2) + record + b"]"
    with requests.Session() as session:
        assert put_raw(emu, WELLS, at_limit + b" ", session=session).status_code == 413
        assert put_raw(emu, WELLS, at_limit, session=session).status_code == 207


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'[{"chosenID": ', id="truncated"),
        pytest.param(b"[NaN]", id="nan"),
        pytest.param(b'[{"chosenID": "W1", "dataSource": "internal", "elevation": NaN}]',
                     id="nan-in-record"),
        pytest.param(b'[{"elevation": Infinity}]', id="infinity"),
        pytest.param(b'[{"elevation": -Infinity}]', id="minus-infinity"),
        pytest.param(b"[1,]", id="trailing-comma"),
        pytest.param(b"[{'chosenID': 'W1'}]", id="single-quotes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_json_is_a_syntax_error(emu, body):
    assert whole_request_error(put_raw(emu, WELLS, body), 400) == "SyntaxError"


@pytest.mark.parametrize("body", [b"{}", b'"wells"', b"null", b"42"], ids=str)
def test_a_body_that_is_not_an_array_is_refused_whole(emu, body):
    assert whole_request_error(put_raw(emu, WELLS, body), 400) == "RequestStructureError"


@pytest.mark.parametrize(
    ("path", "count"),
    [(WELLS, 0), (WELLS, 1001), (DAILY, 0), (DAILY, 20001)],
    ids=["wells-0", "wells-1001", "daily-0", "daily-20001"],
)
def test_record_count_out_of_range(emu, path, count):
    body = b"[" + b",".join([b"{}"] * count) + b"]"
    assert whole_request_error(put_raw(emu, path, body), 400) == "RecordCountError"


def test_record_count_limits_are_inclusive(emu):
    wells = [well(f"W{i}") for i in range(1000)]
    assert put(emu, WELLS, wells).json()["successCount"] == 1000
    rows = [daily("2001-01-01T00:00:00Z", f"W{i}") for i in range(1000)]
    rows += [{"well": "0" * 24, "date": "2021-03-01"}] * 19000
    body = put(emu, DAILY, rows).json()
    assert (body["successCount"], body["failedCount"]) == (1000, 19000)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PUT", "/v1/wells/", 404),
        ("PUT", "/v1/daily-productions/", 404),
        ("GET", "/v1/projects", 404),
        ("GET", "/v1/daily-productions/" + "a" * 24, 404),
        ("PUT", "/v1/wells/" + "a" * 24 + "/x", 404),
        ("POST", WELLS, 405),
        ("POST", DAILY, 405),
        ("PATCH", DAILY, 405),
        ("PUT", "/v1/wells/" + "a" * 24, 405),
        ("DELETE", "/v1/ownership-qualifiers", 405),
    ],
    ids=lambda value: str(value),
)
def test_routes(emu, method, path, status):
    response = requests.request(method, emu.base_url + path, json=[well()], headers=AUTH,
                                timeout=TIMEOUT)
    assert response.status_code == status
    assert emu.wells() == []


def test_chunked_body_is_read(emu):
    chunks = iter([b'[{"chosenID": "W1", ', b'"dataSource": "internal"}]'])
    response = put_raw(emu, WELLS, chunks)
    assert results(response)[0]["status"] == "Created"


@pytest.mark.parametrize(
    "framing",
    [b"Content-Length: abc\r\n\r\n", b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ids=["bad-length", "bad-chunk"],
)
def test_garbled_framing_gets_400_and_close(emu, framing):
    host, port = emu.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(b"PUT /v1/wells HTTP/1.1\r\nHost: x\r\n" + framing)
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400") and b"Connection: close" in answer


# -- wells, per record ----------------------------------------------------------------------

WELL_REFUSALS = [
    ("not-an-object", 5, "RequestStructureError", "[0]"),
    ("array-record", [well()], "RequestStructureError", "[0]"),
    ("unknown-field", well(wellname="x"), "FieldNameError", "[0].wellname"),
    ("snake-case-field", well(well_name="x"), "FieldNameError", "[0].well_name"),
    ("id-not-an-object-id", well(id="W1"), "ValueError", "[0].id"),
    ("read-only-createdAt", well(createdAt="2021-01-01"), "ReadOnlyFieldError", "[0].createdAt"),
    ("read-only-updatedAt", well(updatedAt="2021-01-01"), "ReadOnlyFieldError", "[0].updatedAt"),
    ("read-only-well", well(well="a" * 24), "ReadOnlyFieldError", "[0].well"),
    ("read-only-hasDaily", well(hasDaily=True), "ReadOnlyFieldError", "[0].hasDaily"),
    ("number-as-string", well(lateralLength="123"), "TypeError", "[0].lateralLength"),
    ("number-as-bool", well(elevation=True), "TypeError", "[0].elevation"),
    ("custom-number-as-string", well(customNumber19="1"), "TypeError", "[0].customNumber19"),
    ("string-as-number", well(wellName=5), "TypeError", "[0].wellName"),
    ("custom-string-as-number", well(customString34=5), "TypeError", "[0].customString34"),
    ("bool-as-string", well(customBool4="true"), "TypeError", "[0].customBool4"),
    ("bool-as-number", well(customBool0=1), "TypeError", "[0].customBool0"),
    ("date-as-number", well(spudDate=20210301), "TypeError", "[0].spudDate"),
    ("date-not-on-calendar", well(spudDate="2021-02-30"), "ValueError", "[0].spudDate"),
    ("date-us-format", well(firstProdDate="03/01/2021"), "ValueError", "[0].firstProdDate"),
    ("date-compact", well(til="20210301"), "ValueError", "[0].til"),
    ("custom-date-words", well(customDate19="yesterday"), "ValueError", "[0].customDate19"),
    ("dataSource-missing", {"chosenID": "W1"}, "RequiredFieldError", "[0]"),
    ("dataSource-null", well(data_source=None), "RequiredFieldError", "[0]"),
    ("dataSource-not-in-enum", well(data_source="manual"), "ValueError", "[0].dataSource"),
    ("dataSource-number", well(data_source=1), "TypeError", "[0].dataSource"),
    ("chosenID-missing", {"dataSource": "internal"}, "RequiredFieldError", "[0]"),
    ("chosenID-number", well(123), "TypeError", "[0].chosenID"),
    ("chosenID-hyphen", well("A-1"), "ValueError", "[0].chosenID"),
    ("chosenID-space", well("A 1"), "ValueError", "[0].chosenID"),
    ("chosenID-underscore", well("A_1"), "ValueError", "[0].chosenID"),
    ("chosenID-empty", well(""), "ValueError", "[0].chosenID"),
    ("chosenID-33-chars", well("A" * 33), "ValueError", "[0].chosenID"),
    ("chosenID-non-ascii", well("Ä1"), "ValueError", "[0].chosenID"),
    ("di-api14-13-digits", {"dataSource": "di", "api14": "4212345678901"},
     "RequiredFieldError", "[0]"),
    ("api14-stands-in-only-for-di", {"dataSource": "internal", "api14": "42123456789012"},
     "RequiredFieldError", "[0]"),
    ("api10-9-digits", well(api10="421234567"), "ValueError", "[0].api10"),
    ("api12-letters", well(api12="42123456789X"), "ValueError", "[0].api12"),
    ("api14-number", well(api14=42123456789012), "TypeError", "[0].api14"),
    ("api10-non-ascii-digits", well(api10="٠١٢٣٤٥٦٧٨٩"), "ValueError", "[0].api10"),
    ("latitude-without-longitude", well(surfaceLatitude=31.9),
     "RequiredFieldError", "[0].surfaceLongitude"),
    ("longitude-with-null-latitude", well(toeLatitude=None, toeLongitude=-102.1),
     "RequiredFieldError", "[0].toeLatitude"),
    ("heel-latitude-alone", well(heelLatitude=31.9), "RequiredFieldError", "[0].heelLongitude"),
    ("latitude-over-90", well(surfaceLatitude=91, surfaceLongitude=0),
     "ValueError", "[0].surfaceLatitude"),
    ("longitude-under-minus-180", well(heelLatitude=0, heelLongitude=-180.5),
     "ValueError", "[0].heelLongitude"),
]


@pytest.mark.parametrize(
    ("record", "name", "location"),
    [pytest.param(*case[1:], id=case[0]) for case in WELL_REFUSALS],
)
def test_well_record_refused(emu, record, name, location):
    response = put(emu, WELLS, [record])
    (result,) = results(response)
    assert (name, location) in errors_of(result)
    expected_chosen_id = record.get("chosenID") if isinstance(record, dict) else None
    assert result["chosenID"] == expected_chosen_id
    assert response.json()["failedCount"] == 1
    assert "generalErrors" not in response.json()
    assert emu.wells() == []


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(well(wellName=None, elevation=None, spudDate=None), id="nulls"),
        pytest.param(well(spudDate="2021-03-01"), id="date"),
        pytest.param(well(spudDate="2021-03-01T12:30:00.000Z"), id="datetime-z"),
        pytest.param(well(customDate0="2024-02-29T00:00:00+02:00"), id="datetime-offset-leap"),
        pytest.param(well("A" * 32), id="chosenID-32-chars"),
        pytest.param(well(elevation=3012, lateralLength=9876.5), id="int-and-float"),
        pytest.param(well(customBool4=False, customString0="x"), id="custom-fields"),
        pytest.param(well(surfaceLatitude=-90, surfaceLongitude=180), id="lat-long-bounds"),
        pytest.param(well(heelLatitude=None, heelLongitude=None), id="lat-long-both-null"),
        pytest.param(well(api10="0012345678", api12="001234567890", api14="00123456789012"),
                     id="api-leading-zeros"),
        pytest.param(well(data_source="di", api14="42123456789012"), id="di-with-both"),
    ],
)
def test_well_record_accepted(emu, record):
    (result,) = results(put(emu, WELLS, [record]))
    assert (result["status"], result["code"]) == ("Created", 201), result


def test_api14_stands_in_for_chosen_id_with_di(emu):
    (result,) = results(put(emu, WELLS, [{"dataSource": "di", "api14": "42123456789012"}]))
    assert (result["status"], result["chosenID"]) == ("Created", "42123456789012")
    assert emu.wells()[0]["chosenID"] == "42123456789012"


def test_created_result_shape(emu):
    (result,) = results(put(emu, WELLS, [well("W7", "aries")]))
    assert set(result) == {"status", "code", "id", "chosenID", "dataSource", "createdAt",
                           "updatedAt"}
    assert len(result["id"]) == 24 and int(result["id"], 16) >= 0
    assert (result["chosenID"], result["dataSource"]) == ("W7", "aries")
    assert result["createdAt"].endswith("Z") and result["createdAt"] == result["updatedAt"]


def test_replace_keeps_id_and_created_at_and_clears_omitted_fields(emu):
    (first,) = results(put(emu, WELLS, [well(wellName="Old", county="Midland", elevation=1)]))
    time.sleep(0.002)
    (second,) = results(put(emu, WELLS, [well(wellName="New", elevation=None)]))
    assert (second["status"], second["code"]) == ("OK", 200)
    assert second["id"] == first["id"] and second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] > first["updatedAt"]
    assert emu.wells() == [{"id": first["id"], "chosenID": "W1", "dataSource": "internal",
                            "wellName": "New", "createdAt": first["createdAt"],
                            "updatedAt": second["updatedAt"]}]


def test_same_chosen_id_in_another_data_source_is_another_well(emu):
    created = results(put(emu, WELLS, [well("W1", "internal")]))
    created += results(put(emu, WELLS, [well("W1", "other")]))
    assert [result["status"] for result in created] == ["Created", "Created"]
    assert len({result["id"] for result in created}) == 2
    assert [w["chosenID"] for w in emu.wells("other")] == ["W1"]


def test_mixed_data_sources_the_first_valid_one_wins(emu):
    records = [well("A", "bogus"), well("B", "other"), well("C", "internal"), well("D", "other")]
    outcome = results(put(emu, WELLS, records))
    assert errors_of(outcome[0]) == {("ValueError", "[0].dataSource")}
    assert outcome[1]["status"] == "Created" and outcome[3]["status"] == "Created"
    assert errors_of(outcome[2]) == {("DifferentDataSourceError", "[2].dataSource")}
    assert [w["chosenID"] for w in emu.wells()] == ["B", "D"]


def test_valid_records_are_written_even_if_others_fail(emu):
    response = put(emu, WELLS, [well("A"), well("B-1"), well("C")])
    assert [result["code"] for result in results(response)] == [201, 400, 201]
    assert (response.json()["successCount"], response.json()["failedCount"]) == (2, 1)
    assert [w["chosenID"] for w in emu.wells()] == ["A", "C"]


# -- daily productions, per record ----------------------------------------------------------


DAILY_REFUSALS = [
    ("not-an-object", "row", "RequestStructureError", "[0]"),
    ("unknown-field", daily(Oil=1), "FieldNameError", "[0].Oil"),
    ("read-only-id", daily(id="a" * 24), "ReadOnlyFieldError", "[0].id"),
    ("number-as-string", daily(oil="5"), "TypeError", "[0].oil"),
    ("number-as-bool", daily(gas=True), "TypeError", "[0].gas"),
    ("custom-number-as-string", daily(customNumber19="x"), "TypeError", "[0].customNumber19"),
    ("tag-as-number", daily(operationalTag=5), "TypeError", "[0].operationalTag"),
    ("date-missing", {"chosenID": "W1", "dataSource": "internal"}, "RequiredFieldError", "[0]"),
    ("date-null", daily(None), "RequiredFieldError", "[0]"),
    ("date-not-on-calendar", daily("2021-02-30"), "ValueError", "[0].date"),
    ("date-as-number", daily(20210301), "TypeError", "[0].date"),
    ("no-well-identity", {"date": "2021-03-01", "oil": 1}, "RequiredFieldError", "[0]"),
    ("chosenID-without-dataSource", {"chosenID": "W1", "date": "2021-03-01"},
     "RequiredFieldError", "[0]"),
    ("chosenID-number", daily(chosen_id=1), "TypeError", "[0].chosenID"),
    ("dataSource-not-in-enum", daily(data_source="manual"), "ValueError", "[0].dataSource"),
    ("well-not-hex", {"well": "abc", "date": "2021-03-01"}, "ValueError", "[0].well"),
    ("well-unknown", {"well": "0" * 24, "date": "2021-03-01"}, "WellNotFoundError", "[0]"),
    ("chosenID-unknown", daily(chosen_id="W2"), "WellNotFoundError", "[0]"),
    ("chosenID-long-unknown", daily(chosen_id="X-" * 20), "WellNotFoundError", "[0]"),
    ("other-dataSource", daily(data_source="aries"), "WellNotFoundError", "[0]"),
]


@pytest.mark.parametrize(
    ("record", "name", "location"),
    [pytest.param(*case[1:], id=case[0]) for case in DAILY_REFUSALS],
)
def test_daily_record_refused(emu, well_id, record, name, location):
    (result,) = results(put(emu, DAILY, [record]))
    assert (name, location) in errors_of(result)
    assert emu.daily_productions() == []


@pytest.mark.parametrize(
    ("date", "stored_day"),
    [
        pytest.param("2021-03-01", "2021-03-01", id="date"),
        pytest.param("2021-03-01T12:34:56.789Z", "2021-03-01", id="datetime-z"),
        pytest.param("2021-03-01T23:00:00-05:00", "2021-03-02", id="offset-next-utc-day"),
        pytest.param("2021-03-01T00:30:00+01:00", "2021-02-28", id="offset-previous-utc-day"),
    ],
)
def test_daily_key_is_the_utc_day(emu, well_id, date, stored_day):
    (result,) = results(put(emu, DAILY, [{"well": well_id, "date": date, "oil": 1}]))
    expected = f"{stored_day}T00:00:00.000Z"
    assert result == {"status": "OK", "code": 200, "well": well_id, "date": expected}
    (row,) = emu.daily_productions()
    assert row.pop("createdAt") == row.pop("updatedAt")
    assert row == {"well": well_id, "chosenID": "W1", "dataSource": "internal", "date": expected,
                   "oil": 1}


def test_daily_upsert_merges_and_null_does_not_clear(emu, well_id):
    results(put(emu, DAILY, [daily(oil=1, gas=2, operationalTag="flowing")]))
    results(put(emu, DAILY, [{"well": well_id, "date": "2021-03-01", "oil": 3, "gas": None,
                              "water": 4}]))
    (row,) = emu.daily_productions()
    assert {k: row[k] for k in ("oil", "gas", "water", "operationalTag")} == {
        "oil": 3, "gas": 2, "water": 4, "operationalTag": "flowing"}


def test_daily_duplicates_in_one_request_are_all_refused(emu, well_id):
    rows = [daily("2021-03-01"), daily("2021-03-02"),
            {"well": well_id, "date": "2021-03-01T18:00:00Z"}]
    outcome = results(put(emu, DAILY, rows))
    assert errors_of(outcome[0]) == {("DuplicateProductionError", "[0], [2]")}
    assert errors_of(outcome[2]) == {("DuplicateProductionError", "[0], [2]")}
    assert outcome[1]["status"] == "OK"
    assert [row["date"][:10] for row in emu.daily_productions()] == ["2021-03-02"]


def test_daily_mixed_data_sources(emu, well_id):
    results(put(emu, WELLS, [well("W1", "other")]))
    rows = [daily("2021-03-01", data_source="other"), {"well": well_id, "date": "2021-03-01"},
            daily("2021-03-02", data_source="internal")]
    outcome = results(put(emu, DAILY, rows))
    assert [result["status"] for result in outcome[:2]] == ["OK", "OK"]
    assert errors_of(outcome[2]) == {("DifferentDataSourceError", "[2].dataSource")}


# -- GET ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", ["X", "W4", "W3", "W2", "W1", "W0"], id="all-newest-first"),
        pytest.param("?take=2", ["X", "W4"], id="take"),
        pytest.param("?skip=4&take=1", ["W1"], id="skip-take"),
        pytest.param("?skip=10", [], id="skip-past-end"),
        pytest.param("?take=1000", ["X", "W4", "W3", "W2", "W1", "W0"], id="take-1000"),
        pytest.param("?chosenID=W3", ["W3"], id="chosenID"),
        pytest.param("?chosenID=W3&chosenID=X", ["X", "W3"], id="chosenID-twice"),
        pytest.param("?dataSource=other", ["X"], id="dataSource"),
        pytest.param("?dataSource=internal&skip=3", ["W1", "W0"], id="filter-then-skip"),
        pytest.param("?sort=chosenID", ["W0", "W1", "W2", "W3", "W4", "X"], id="sort"),
        pytest.param("?sort=-chosenID&take=2", ["X", "W4"], id="sort-descending"),
    ],
)
def test_get_wells(emu, query, expected):
    results(put(emu, WELLS, [well(f"W{i}") for i in range(5)]))
    results(put(emu, WELLS, [well("X", "other")]))
    response = get(emu, WELLS + query)
    assert response.status_code == 200
    assert [w["chosenID"] for w in response.json()] == expected


def test_get_takes_25_by_default(emu):
    results(put(emu, WELLS, [well(f"W{i}") for i in range(30)]))
    assert len(get(emu, WELLS).json()) == 25


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("?take=1001", "ValueError"),
        ("?take=0", "ValueError"),
        ("?take=-1", "ValueError"),
        ("?take=2.5", "TypeError"),
        ("?skip=x", "TypeError"),
        ("?wellname=x", "FieldNameError"),
        ("?well=abc", "FieldNameError"),
        ("?sort=elevation", "TypeError"),
        ("?dataSource=manual", "ValueError"),
        ("?skip=0&cursor=YQ==", "ValidationError"),
    ],
    ids=str,
)
def test_get_wells_bad_query(emu, query, name):
    assert whole_request_error(get(emu, WELLS + query), 400) == name


def test_get_daily_rows_of_some_wells_in_a_date_range(emu, well_id):
    (other,) = results(put(emu, WELLS, [well("W2")]))
    results(put(emu, DAILY, [daily("2021-03-01"), daily("2021-03-02", "W2"),
                             daily("2021-03-03"), daily("2021-03-04")]))
    rows = get(emu, f"{DAILY}?well={well_id}&date[gt]=2021-03-01&date[le]=2021-03-03").json()
    assert [(row["well"], row["date"][:10]) for row in rows] == [(well_id, "2021-03-03")]
    both = get(emu, f"{DAILY}?well={well_id}&well={other['id']}").json()
    assert len(both) == 4 and "chosenID" not in both[0]  # GET shows no well identity on rows
    assert whole_request_error(get(emu, f"{DAILY}?chosenID=W2"), 400) == "FieldNameError"


# -- faults ---------------------------------------------------------------------------------


def test_latency(emu):
    emu.latency = 0.2
    started = time.monotonic()
    results(put(emu, WELLS, [well()]))
    assert time.monotonic() - started >= 0.2
    (record,) = emu.requests
    assert record.finished - record.started >= 0.2


@pytest.mark.parametrize(
    ("status", "retry_after", "header"),
    [(429, None, None), (429, 2, "2"), (500, None, None), (502, 0.5, "0.5"), (503, 1.5, "1.5"),
     (504, None, None)],
    ids=lambda value: str(value),
)
def test_fail_next_then_success(emu, status, retry_after, header):
    emu.fail_next(2, status, retry_after=retry_after)
    for _ in range(2):
        response = put(emu, WELLS, [well()])
        assert response.status_code == status
        assert response.headers.get("Retry-After") == header
        assert "code" in response.json()
    assert results(put(emu, WELLS, [well()]))[0]["status"] == "Created"
    assert [record.status for record in emu.requests] == [status, status, 207]


@pytest.mark.parametrize("status", [200, 302, 599])
def test_fail_next_needs_an_error_status(emu, status):
    with pytest.raises(ValueError):
        emu.fail_next(1, status)


def test_drop_next_closes_without_answer_then_works(emu):
    emu.drop_next(1)
    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError):
            put_raw(emu, WELLS, orjson.dumps([well()]), session=session)
        assert results(put_raw(emu, WELLS, orjson.dumps([well()]), session=session))
    assert [record.status for record in emu.requests] == [None, 207]
    assert len(emu.wells()) == 1


@pytest.mark.parametrize(("how", "error"), [
    ("truncated", requests.exceptions.ChunkedEncodingError),
    ("bad-gzip", requests.exceptions.ContentDecodingError),
])
def test_mangle_next_breaks_the_answer_after_handling_the_request(emu, how, error):
    emu.mangle_next(1, how)
    with pytest.raises(error):
        put(emu, WELLS, [well()])
    assert len(emu.wells()) == 1  # written: only the answer was lost
    assert results(put(emu, WELLS, [well()]))[0]["status"] == "OK"
    assert [record.status for record in emu.requests] == [207, 207]


def test_mangle_next_redirects_to_itself_without_handling(emu):
    emu.mangle_next(100, "redirect-loop")
    with pytest.raises(requests.TooManyRedirects):  # a client that follows goes round
        put(emu, WELLS + "?x=1", [well()])
    assert requests.put(emu.base_url + WELLS, json=[well()], headers=AUTH, timeout=TIMEOUT,
                        allow_redirects=False).headers["Location"] == WELLS
    assert emu.wells() == [] and {r.status for r in emu.requests} == {307}


def test_mangle_next_knows_its_faults(emu):
    with pytest.raises(ValueError, match="truncated, bad-gzip, redirect-loop"):
        emu.mangle_next(1, "slow")


def test_quota_refuses_writes_until_the_window_frees(emu):
    emu.quota_per_minute, emu.quota_window = 2, 0.2
    assert [put(emu, WELLS, [well()]).status_code for _ in range(2)] == [207, 207]
    refused = put(emu, WELLS, [well()])
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert refused.json()["code"] == 8
    assert put(emu, WELLS, [well()]).status_code == 429  # still full: refusals don't free it
    assert get(emu, WELLS).status_code == 200  # reads are not writes
    time.sleep(0.25)
    assert put(emu, WELLS, [well()]).status_code == 207


def test_sink_counts_without_storing_or_validating(emu):
    emu.sink = True
    response = put(emu, DAILY, [{"anything": 1}] * 3)
    assert response.json() == {"results": [{"status": "OK", "code": 200}] * 3,
                               "successCount": 3, "failedCount": 0}
    assert put(emu, WELLS, [well()], headers={"x-api-key": DEFAULT_API_KEY}).status_code == 401
    assert whole_request_error(put_raw(emu, WELLS, b"[]"), 400) == "RecordCountError"
    assert (emu.sink_records, emu.wells(), emu.daily_productions()) == (3, [], [])


def test_reset_restores_the_constructed_state(emu):
    emu.latency, emu.sink, emu.quota_per_minute = 1.0, True, 0
    emu.fail_next(5)
    emu.drop_next(5)
    emu.mangle_next(5, "truncated")
    emu.reset()
    started = time.monotonic()
    assert results(put(emu, WELLS, [well()]))[0]["status"] == "Created"
    assert time.monotonic() - started < 0.5
    emu.reset()
    assert (emu.wells(), emu.requests, emu.sink_records) == ([], [], 0)


# -- request log, concurrency, lifecycle ----------------------------------------------------


def test_request_log_keeps_no_secrets(emu, well_id):
    put(emu, DAILY, [{"well": well_id, "date": "2021-03-01"}] * 2)
    put_raw(emu, WELLS, b"{}")
    get(emu, WELLS + "?take=1")
    logged = [(r.method, r.path, r.status, r.record_count, r.data_source) for r in emu.requests]
    assert logged == [
        ("PUT", WELLS, 207, 1, "internal"),
        ("PUT", DAILY, 207, 2, None),
        ("PUT", WELLS, 400, None, None),
        ("GET", WELLS, 200, None, None),
    ]
    assert all(r.started <= r.finished for r in emu.requests)
    assert DEFAULT_API_KEY not in repr(emu.requests) and DEFAULT_TOKEN not in repr(emu.requests)


def test_concurrent_writers(emu):
    def write(worker):
        with requests.Session() as session:
            for batch in range(5):
                body = orjson.dumps([well(f"T{worker}x{batch}x{i}") for i in range(4)])
                assert put_raw(emu, WELLS, body, session=session).status_code == 207

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(emu.wells()) == 8 * 5 * 4 and len(emu.requests) == 8 * 5


def test_stop_cuts_keep_alive_connections():
    with requests.Session() as session:
        emulator = Emulator().start()
        assert put_raw(emulator, WELLS, orjson.dumps([well()]), session=session).ok
        emulator.stop()
        with pytest.raises(requests.ConnectionError):
            put_raw(emulator, WELLS, orjson.dumps([well()]), session=session)


def test_cli_prints_the_base_url_first_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flags = ["--sink", "--quota", "--fail-next", "1", "--fail-status", "503", "--retry-after", "2",
             "--read-quota", "5", "--drop-negative-volumes"]
    command = [sys.executable, "-m", "core.emulator", "--port", "0", *flags]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as proc:
        try:
            base_url = proc.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            answers = [requests.put(f"{base_url}{WELLS}", json=[well()], headers=AUTH,
                                    timeout=TIMEOUT) for _ in range(2)]
            assert [answer.status_code for answer in answers] == [503, 207]
            assert answers[0].headers["Retry-After"] == "2"
        finally:
            proc.terminate()
        assert proc.wait(timeout=5) == 0
