"""Reading like the API: take, skip, sort, cursor, the Link header, HEAD, filters, the read
quota, and edits made behind the sync's back."""

import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from api_calls import (
    AUTH,
    DAILY,
    MONTHLY,
    TIMEOUT,
    WELLS,
    call,
    daily,
    get,
    links,
    put,
    results,
    well,
    whole_request_error,
)


@pytest.fixture
def wells(emu):
    """Seven wells W0..W6, oldest first: their ids."""
    return [result["id"] for result in results(put(emu, WELLS, [well(f"W{i}") for i in range(7)]))]


def chosen(response):
    assert response.status_code == 200, response.text
    return [record["chosenID"] for record in response.json()]


def test_link_header_is_what_the_official_client_parses(emu, wells):
    response = get(emu, f"{WELLS}?take=3&skip=3")
    header = response.headers["Link"]
    assert re.fullmatch(r'(<[^<>]+>;rel="[a-z]+")(,<[^<>]+>;rel="[a-z]+")*', header), header
    assert " " not in header
    assert links(response) == {
        "next": f"{emu.base_url}{WELLS}?take=3&skip=6",
        "prev": f"{emu.base_url}{WELLS}?take=3&skip=0",
        "first": f"{emu.base_url}{WELLS}?take=3&skip=0",
    }


def test_cursor_pages_walk_every_record_once(emu, wells):
    url, pages, seen = f"{emu.base_url}{WELLS}?take=3&dataSource=internal", [], []
    while url:
        response = requests.get(url, headers=AUTH, timeout=TIMEOUT)
        seen += chosen(response)
        pages.append(links(response))
        url = links(response).get("next")
    assert seen == [f"W{i}" for i in range(6, -1, -1)]  # newest first, as the API sorts by id
    assert len(pages) == 3 and "next" not in pages[-1] and "prev" not in pages[0]
    assert all(page["first"] == f"{emu.base_url}{WELLS}?take=3&dataSource=internal"
               for page in pages)
    cursor = dict(parse_qsl(urlsplit(pages[0]["next"]).query))["cursor"]
    results(put(emu, WELLS, [well("W9")]))  # a write between pages moves no page of a cursor
    assert chosen(get(emu, f"{WELLS}?take=3&dataSource=internal&cursor={cursor}")) == [
        "W3", "W2", "W1"]


def test_skip_pages_when_skip_is_given_or_the_sort_takes_no_cursor(emu, wells):
    by_skip = get(emu, f"{WELLS}?skip=0&take=4")
    assert "skip=4" in links(by_skip)["next"] and "cursor" not in by_skip.headers["Link"]
    by_name = get(emu, f"{WELLS}?sort=%2BchosenID&take=4")
    assert chosen(by_name) == ["W0", "W1", "W2", "W3"]
    assert links(by_name)["next"].endswith("?sort=%2BchosenID&take=4&skip=4")
    assert chosen(get(emu, f"{WELLS}?sort=-id&take=2")) == ["W6", "W5"]
    ascending = get(emu, f"{WELLS}?sort=%2Bid&take=2")
    assert chosen(ascending) == ["W0", "W1"] and "cursor=" in links(ascending)["next"]


@pytest.mark.parametrize(("query", "name"), [
    ("?sort=+chosenID", "TypeError"),  # a bare + is a space in a query: send %2B
    ("?sort=chosenID&cursor=YQ==", "ValidationError"),
    ("?cursor=not-base64!", "TypeError"),
    ("?createdAt[ne]=2021-01-01", "OperatorError"),
    ("?chosenID[gt]=W1", "OperatorError"),
    ("?updatedAt[gt]=soon", "TypeError"),
])
def test_bad_paging_queries(emu, wells, query, name):
    assert whole_request_error(get(emu, WELLS + query), 400) == name


def test_head_counts_and_links_to_the_last_page(emu, wells):
    response = requests.head(f"{emu.base_url}{WELLS}?take=3&skip=3", headers=AUTH,
                             timeout=TIMEOUT)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["X-Query-Count"] == "7"
    assert links(response)["last"] == f"{emu.base_url}{WELLS}?take=3&skip=6"
    assert set(links(response)) == {"next", "prev", "first", "last"}
    filtered = requests.head(f"{emu.base_url}{WELLS}?chosenID=W1&chosenID=W2", headers=AUTH,
                             timeout=TIMEOUT)
    assert filtered.headers["X-Query-Count"] == "2"
    refused = requests.head(f"{emu.base_url}{WELLS}?sort=id", headers=AUTH, timeout=TIMEOUT)
    assert refused.status_code == 400


@pytest.mark.parametrize(("path", "take", "status"), [
    (WELLS, 1000, 200), (WELLS, 1001, 400), (DAILY, 20000, 200), (DAILY, 20001, 400),
    (MONTHLY, 20000, 200), (MONTHLY, 20001, 400)])
def test_largest_pages(emu, path, take, status):
    assert get(emu, f"{path}?take={take}").status_code == status


@pytest.fixture
def rows(emu, wells):
    """W0..W2 with daily rows on 2021-03-01..05: {chosenID: id}."""
    results(put(emu, DAILY, [daily(f"2021-03-{day:02d}", f"W{n}", oil=day)
                             for n in range(3) for day in range(1, 6)]))
    return {f"W{n}": wells[n] for n in range(3)}


def days(response):
    assert response.status_code == 200, response.text
    return [(record["well"], record["date"][:10]) for record in response.json()]


def test_rows_come_by_well_then_date_and_page_by_cursor(emu, rows):
    first = get(emu, f"{DAILY}?take=6")
    assert days(first) == sorted(days(first))
    second = requests.get(links(first)["next"], headers=AUTH, timeout=TIMEOUT)
    assert days(first)[-1] < days(second)[0] and len(days(second)) == 6
    assert chosen_rows(emu, second) == ["W1"] * 4 + ["W2"] * 2


def chosen_rows(emu, response):
    names = {well["id"]: well["chosenID"] for well in emu.wells()}
    return [names[record["well"]] for record in response.json()]


@pytest.mark.parametrize(("query", "expected"), [
    ("date=2021-03-02", ["2021-03-02"]),
    ("date[gt]=2021-03-02&date[le]=2021-03-04", ["2021-03-03", "2021-03-04"]),
    ("date[ge]=2021-03-04T18:00:00Z", ["2021-03-04", "2021-03-05"]),
    ("date[lt]=2021-03-02", ["2021-03-01"]),
    ("sort=-date&take=2", ["2021-03-05", "2021-03-04"]),
])
def test_rows_filtered_by_date(emu, rows, query, expected):
    response = get(emu, f"{DAILY}?well={rows['W1']}&{query}")
    assert [day for _, day in days(response)] == expected


def test_rows_filtered_by_up_to_100_wells(emu, rows):
    two = get(emu, f"{DAILY}?well={rows['W0']}&well={rows['W2']}")
    assert set(chosen_rows(emu, two)) == {"W0", "W2"}
    many = "&".join(f"well={n:024x}" for n in range(100))
    assert get(emu, f"{DAILY}?{many}").json() == []
    too_many = get(emu, f"{DAILY}?{many}&well={rows['W0']}")
    assert whole_request_error(too_many, 400) == "FieldNameError"


def test_months_filter_by_month(emu, rows):
    results(put(emu, MONTHLY, [daily(f"2024-{month:02d}-01", oil=month) for month in (1, 2, 3)]))
    response = get(emu, f"{MONTHLY}?date[gt]=2024-02-01&date[le]=2024-03-01")  # not Feb
    assert [record["date"][:10] for record in response.json()] == ["2024-03-15"]
    assert len(get(emu, f"{MONTHLY}?date[ge]=2024-02-28").json()) == 2


def test_updated_since_and_edits_from_another_writer(emu, rows):
    (before,) = get(emu, f"{DAILY}?well={rows['W0']}&take=1").json()
    since = before["updatedAt"]
    time.sleep(0.002)
    assert emu.edit("daily-productions", {"well": rows["W0"], "date": "2021-03-02"},
                    {"oil": 99, "gas": 1}) == 1
    assert emu.edit("wells", {"chosenID": "W1"}, {"wellName": "Typed in the UI"}) == 1
    changed = get(emu, f"{DAILY}?updatedAt[gt]={since}").json()
    assert [(record["date"][:10], record["oil"], record["gas"]) for record in changed] == [
        ("2021-03-02", 99, 1)]
    assert chosen(get(emu, f"{WELLS}?updatedAt[gt]={since}")) == ["W1"]
    assert emu.remove("daily-productions", {"well": rows["W2"]}) == 5
    assert emu.remove("wells", {"chosenID": "W0"}) == 1
    assert {record["well"] for record in get(emu, f"{DAILY}?take=100").json()} == {rows["W1"]}
    with pytest.raises(ValueError):
        emu.edit("wells", {"chosenID": "W1"}, {"chosenID": "W7"})
    with pytest.raises(ValueError):
        emu.records("well-comments")


def test_read_quota_costs_by_route_and_refuses_like_the_gateway(emu, rows):
    emu.read_quota_per_minute, emu.quota_window = 9, 0.3
    assert [get(emu, WELLS).status_code for _ in range(2)] == [200, 200]  # 4 units each
    assert get(emu, DAILY).status_code == 200  # 1 unit: 9 spent
    refused = get(emu, DAILY)
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert refused.json()["code"] == 8 and "Read requests" in refused.json()["message"]
    assert requests.head(emu.base_url + WELLS, headers=AUTH, timeout=TIMEOUT).status_code == 200
    deleted = call(emu, "DELETE", f"{DAILY}?well={rows['W0']}")
    assert deleted.status_code == 204  # HEAD and DELETE cost no quota
    assert put(emu, DAILY, [daily()]).status_code == 207  # writes have their own quota
    time.sleep(0.35)
    assert get(emu, WELLS).status_code == 200


def test_request_log_holds_the_query(emu, wells):
    get(emu, f"{WELLS}?take=2&chosenID=W1")
    (logged,) = [r for r in emu.requests if r.method == "GET"]
    assert (logged.path, logged.query, logged.status, logged.record_count) == (
        WELLS, "take=2&chosenID=W1", 200, None)
