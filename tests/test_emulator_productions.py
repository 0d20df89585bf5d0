"""Monthly rows, daily and monthly DELETE, timestamps, and the API's dropped negative volumes."""

import time

import pytest

from api_calls import (
    DAILY,
    MONTHLY,
    WELLS,
    call,
    daily,
    delete,
    errors_of,
    get,
    put,
    results,
    well,
    whole_request_error,
)


@pytest.mark.parametrize("sent", ["2024-03-01", "2024-03-31", "2024-03-15T23:59:59Z",
                                  "2024-04-01T02:00:00+05:00"])
def test_a_month_is_kept_as_its_15th(emu, well_id, sent):
    (result,) = results(put(emu, MONTHLY, [daily(sent, oil=10.5, daysOn=31)]))
    assert result == {"status": "OK", "code": 200, "well": well_id,
                      "date": "2024-03-15T00:00:00.000Z"}
    (row,) = get(emu, MONTHLY).json()
    assert (row["date"], row["oil"], row["daysOn"]) == ("2024-03-15T00:00:00.000Z", 10.5, 31)


def test_two_rows_of_one_month_are_both_refused(emu, well_id):
    outcome = results(put(emu, MONTHLY, [daily("2024-03-01"), daily("2024-04-01"),
                                         {"well": well_id, "date": "2024-03-31"}]))
    assert errors_of(outcome[0]) == errors_of(outcome[2]) == {
        ("DuplicateProductionError", "[0], [2]")}
    assert [row["date"][:7] for row in emu.monthly_productions()] == ["2024-04"]


MONTHLY_REFUSALS = [
    ("daily-field", daily(hoursOn=24), "FieldNameError", "[0].hoursOn"),
    ("pressure", daily(tubingHeadPressure=1), "FieldNameError", "[0].tubingHeadPressure"),
    ("days-on-as-string", daily(daysOn="30"), "TypeError", "[0].daysOn"),
    ("custom-number-20", daily(customNumber20=1), "FieldNameError", "[0].customNumber20"),
    ("no-date", well(oil=1), "RequiredFieldError", "[0]"),
    ("unknown-well", daily(chosen_id="W9"), "WellNotFoundError", "[0]"),
    ("read-only", daily(updatedAt="2024-01-01"), "ReadOnlyFieldError", "[0].updatedAt"),
]


@pytest.mark.parametrize(("record", "name", "location"),
                         [pytest.param(*case[1:], id=case[0]) for case in MONTHLY_REFUSALS])
def test_monthly_record_refused(emu, well_id, record, name, location):
    (result,) = results(put(emu, MONTHLY, [record]))
    assert (name, location) in errors_of(result)
    assert emu.monthly_productions() == []


def test_every_monthly_field_of_the_spec_is_written(emu, well_id):
    numbers = ["oil", "gas", "water", "choke", "daysOn", "gasInjection", "waterInjection",
               "co2Injection", "steamInjection", "ngl", *(f"customNumber{n}" for n in range(20))]
    record = daily("2024-01-01", operationalTag="shut-in", **dict.fromkeys(numbers, 1))
    assert results(put(emu, MONTHLY, [record]))[0]["status"] == "OK"
    (row,) = emu.monthly_productions()
    assert {name: row[name] for name in numbers} == dict.fromkeys(numbers, 1)


@pytest.mark.parametrize(("count", "status"), [(20000, 207), (20001, 400), (0, 400)])
def test_monthly_record_count(emu, well_id, count, status):
    months = [f"{2000 + n // 12:04d}-{1 + n % 12:02d}-01" for n in range(count)]
    response = put(emu, MONTHLY, [{"well": well_id, "date": month} for month in months])
    assert response.status_code == status
    if status == 207:
        assert response.json()["successCount"] == count == len(emu.monthly_productions())


def test_monthly_merges_like_daily(emu, well_id):
    results(put(emu, MONTHLY, [daily("2024-01-01", oil=1, gas=2)]))
    results(put(emu, MONTHLY, [{"well": well_id, "date": "2024-01-20", "gas": None, "water": 3}]))
    (row,) = emu.monthly_productions()
    assert (row["oil"], row["gas"], row["water"]) == (1, 2, 3)


def test_rows_carry_created_and_updated_times(emu, well_id):
    results(put(emu, DAILY, [daily(oil=1)]))
    (first,) = emu.daily_productions()
    time.sleep(0.002)
    results(put(emu, DAILY, [daily(oil=2)]))
    (second,) = get(emu, DAILY).json()
    assert second["createdAt"] == first["createdAt"] < second["updatedAt"]
    assert second["updatedAt"].endswith("Z") and len(second["updatedAt"]) == 24


def test_negative_volumes_are_dropped_while_answering_ok(emu, well_id):
    results(put(emu, DAILY, [daily("2021-03-01", oil=5, gas=6)]))
    emu.drop_negative_volumes = True
    answers = results(put(emu, DAILY, [daily("2021-03-01", oil=-1, gas=7, water=-2),
                                       daily("2021-03-02", oil=-3, choke=-1)]))
    assert [answer["status"] for answer in answers] == ["OK", "OK"]
    rows = {row["date"][:10]: row for row in get(emu, DAILY).json()}
    assert (rows["2021-03-01"]["oil"], rows["2021-03-01"]["gas"]) == (5, 7)
    assert "water" not in rows["2021-03-01"] and "oil" not in rows["2021-03-02"]
    assert rows["2021-03-02"]["choke"] == -1  # not a volume
    emu.reset()
    assert emu.drop_negative_volumes is False


def test_delete_daily_rows_of_one_well_in_a_date_range(emu, well_id):
    (other,) = results(put(emu, WELLS, [well("W2")]))
    days = [daily(f"2021-03-{day:02d}") for day in range(1, 8)]
    results(put(emu, DAILY, days + [daily("2021-03-02", "W2")]))
    assert delete(emu, DAILY, f"?well={well_id}&startDate=2021-03-02&endDate=2021-03-04") == 3
    assert delete(emu, DAILY, f"?well={well_id}&startDate=2021-03-06") == 2
    assert delete(emu, DAILY, f"?well={well_id}&endDate=2021-03-01T23:00:00Z") == 1
    assert [(row["chosenID"], row["date"][:10]) for row in emu.daily_productions()] == [
        ("W1", "2021-03-05"), ("W2", "2021-03-02")]
    assert delete(emu, DAILY, f"?well={other['id']}") == 1
    assert delete(emu, DAILY, f"?well={'0' * 24}") == 0


def test_delete_monthly_rows_by_month(emu, well_id):
    results(put(emu, MONTHLY, [daily(f"2024-{month:02d}-01") for month in range(1, 7)]))
    assert delete(emu, MONTHLY, f"?well={well_id}&startDate=2024-02-28&endDate=2024-04-01") == 3
    assert [row["date"][:7] for row in emu.monthly_productions()] == [
        "2024-01", "2024-05", "2024-06"]


@pytest.mark.parametrize(("query", "name"), [
    ("", "RequiredFilterError"),
    ("?startDate=2021-01-01", "RequiredFilterError"),
    ("?well=W1", "TypeError"),
    ("?well={id}&well=" + "0" * 24, "FieldNameError"),
    ("?well={id}&startDate=yesterday", "TypeError"),
    ("?well={id}&startDate=2021-03-02&endDate=2021-03-01", "ValueError"),
    ("?well={id}&date=2021-03-01", "FieldNameError"),
])
def test_delete_rows_refuses_a_vague_query(emu, well_id, query, name):
    results(put(emu, DAILY, [daily()]))
    response = call(emu, "DELETE", DAILY + query.format(id=well_id))
    assert whole_request_error(response, 400) == name
    assert len(emu.daily_productions()) == 1
