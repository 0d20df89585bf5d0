"""Calling the emulator as a client calls the API: paths, credentials, records, answers."""

import re

import requests

from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN

AUTH = {"x-api-key": DEFAULT_API_KEY, "Authorization": f"Bearer {DEFAULT_TOKEN}"}
WELLS, DAILY, MONTHLY = "/v1/wells", "/v1/daily-productions", "/v1/monthly-productions"
SURVEYS, QUALIFIERS = "/v1/directional-surveys", "/v1/ownership-qualifiers"
TIMEOUT = 10


def call(emu, method, path_and_query, records=None, headers=AUTH):
    """One request with a JSON body (when `records` is not None)."""
    return requests.request(method, emu.base_url + path_and_query, json=records, headers=headers,
                            timeout=TIMEOUT)


def put(emu, path, records, headers=AUTH):
    return call(emu, "PUT", path, records, headers)


def put_raw(emu, path, body, content_type="application/json", session=requests):
    headers = dict(AUTH, **({"Content-Type": content_type} if content_type else {}))
    return session.put(emu.base_url + path, data=body, headers=headers, timeout=TIMEOUT)


def get(emu, path_and_query, headers=AUTH):
    return call(emu, "GET", path_and_query, headers=headers)


def well(chosen_id="W1", data_source="internal", **fields):
    return {"chosenID": chosen_id, "dataSource": data_source, **fields}


def daily(date="2021-03-01", chosen_id="W1", data_source="internal", **fields):
    return {"chosenID": chosen_id, "dataSource": data_source, "date": date, **fields}


def results(response):
    assert response.status_code == 207, response.text
    return response.json()["results"]


def errors_of(result):
    assert (result["status"], result["code"]) == ("Error", 400), result
    return {(error["name"], error["location"]) for error in result["errors"]}


def store_wells(emu, *chosen_ids):
    """PUT wells of those chosen ids (dataSource internal), one request: their ids, in order."""
    return [answer["id"] for answer in results(put(emu, WELLS, [well(c) for c in chosen_ids]))]


def delete(emu, path, query=""):
    """A DELETE, answered 204 with no body: how many records went (X-Delete-Count)."""
    response = call(emu, "DELETE", path + query)
    assert response.status_code == 204, response.text
    assert response.content == b"" and "Content-Length" not in response.headers
    return int(response.headers["X-Delete-Count"])


def whole_request_error(response, status):
    assert response.status_code == status, response.text
    return response.json()["name"]


def links(response):
    """The Link header as {rel: url}, read the way ComboCurve's official client reads it."""
    return {rel: url for url, rel in re.findall(r'<([^<>]+)>;rel="([^"]+)"',
                                                 response.headers.get("Link", ""))}
