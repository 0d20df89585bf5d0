"""Wells beyond PUT: PATCH, a well named by its id, GET by id, DELETE, and how dates are kept."""

import pytest

from api_calls import (
    DAILY,
    MONTHLY,
    QUALIFIERS,
    SURVEYS,
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


def patch(emu, records):
    return call(emu, "PATCH", WELLS, records)


@pytest.fixture
def stored(emu):
    """Two wells, W1 with a name, county and position, and W2: {chosenID: id}."""
    answers = results(put(emu, WELLS, [
        well("W1", wellName="Old", county="Midland", surfaceLatitude=31.9,
             surfaceLongitude=-102.1, spudDate="2021-03-01"),
        well("W2"),
    ]))
    return {answer["chosenID"]: answer["id"] for answer in answers}


def _stored(emu, chosen_id):
    (found,) = emu.records("wells", chosenID=chosen_id)
    return found


def test_patch_changes_only_what_is_sent_and_a_null_clears(emu, stored):
    before = _stored(emu, "W1")
    (result,) = results(patch(emu, [well("W1", wellName="New", county=None, elevation=3012)]))
    assert (result["status"], result["code"], result["id"]) == ("OK", 200, stored["W1"])
    after = _stored(emu, "W1")
    assert after["createdAt"] == before["createdAt"] and after["updatedAt"] >= before["updatedAt"]
    assert {k: after.get(k) for k in ("wellName", "county", "elevation", "surfaceLatitude",
                                      "spudDate")} == {
        "wellName": "New", "county": None, "elevation": 3012, "surfaceLatitude": 31.9,
        "spudDate": "2021-03-01T00:00:00.000Z"}
    assert "county" not in after


def test_patch_reports_a_missing_well_per_record_and_writes_the_others(emu, stored):
    response = patch(emu, [well("W1", wellName="A"), well("W9", wellName="B"),
                           {"id": "0" * 24, "chosenID": "W2", "dataSource": "internal"}])
    first, missing, missing_id = results(response)
    assert first["status"] == "OK"
    assert errors_of(missing) == {("WellNotFoundError", "[1]")}
    assert missing["errors"][0]["message"] == (
        "No well was found with data source `internal` and chosen id `W9` in company scope")
    assert errors_of(missing_id) == {("WellNotFoundError", "[2]")}
    assert (response.json()["successCount"], response.json()["failedCount"]) == (1, 2)
    assert len(emu.wells()) == 2


PATCH_REFUSALS = [
    ("no-dataSource", {"chosenID": "W1", "county": "X"}, "RequiredFieldError", "[0]"),
    ("no-chosenID", {"dataSource": "internal", "county": "X"}, "RequiredFieldError", "[0]"),
    ("null-chosenID", well(None, county="X"), "NonNullableFieldError", "[0]"),
    ("null-dataSource", well("W1", None), "NonNullableFieldError", "[0]"),
    ("unknown-field", well(wellname="x"), "FieldNameError", "[0].wellname"),
    ("read-only", well(createdAt="2021-01-01"), "ReadOnlyFieldError", "[0].createdAt"),
    ("number-as-string", well(elevation="1"), "TypeError", "[0].elevation"),
    ("latitude-alone", well(surfaceLatitude=30.0), "RequiredFieldError", "[0].surfaceLongitude"),
    ("id-names-another-well", None, "KeyFieldModificationError", "[0]"),
]


@pytest.mark.parametrize(("record", "name", "location"),
                         [pytest.param(*case[1:], id=case[0]) for case in PATCH_REFUSALS])
def test_patch_record_refused(emu, stored, record, name, location):
    record = record or {"id": stored["W2"], "chosenID": "W1", "dataSource": "internal"}
    (result,) = results(patch(emu, [record]))
    assert (name, location) in errors_of(result)
    assert _stored(emu, "W1")["wellName"] == "Old"


def test_patch_may_clear_a_position_with_two_nulls_or_name_the_well_by_id(emu, stored):
    results(patch(emu, [well("W1", surfaceLatitude=None, surfaceLongitude=None)]))
    assert "surfaceLatitude" not in _stored(emu, "W1")
    by_id = {"id": stored["W2"], "chosenID": "W2", "dataSource": "internal", "county": "Ector"}
    assert results(patch(emu, [by_id]))[0]["id"] == stored["W2"]
    assert _stored(emu, "W2")["county"] == "Ector"


@pytest.mark.parametrize(("count", "status"), [(0, 400), (1000, 207), (1001, 400)])
def test_patch_has_the_limits_of_put(emu, stored, count, status):
    response = patch(emu, [well("W1")] * count)
    assert response.status_code == status
    if status == 400:
        assert response.json()["name"] == "RecordCountError"


def test_patch_one_data_source_per_request(emu, stored):
    outcome = results(patch(emu, [well("W1"), well("W1", "other")]))
    assert errors_of(outcome[1]) == {("DifferentDataSourceError", "[1].dataSource")}


def test_put_with_an_id_replaces_that_well(emu, stored):
    (result,) = results(put(emu, WELLS, [well("W1", id=stored["W1"], wellName="Renamed")]))
    assert (result["status"], result["id"]) == ("OK", stored["W1"])
    assert "county" not in _stored(emu, "W1")  # PUT still replaces the whole well
    renamed = well("W3", id=stored["W1"])
    assert errors_of(results(put(emu, WELLS, [renamed]))[0]) == {
        ("KeyFieldModificationError", "[0]")}
    moved = well("W1", "other", id=stored["W1"])
    assert errors_of(results(put(emu, WELLS, [moved]))[0]) == {
        ("KeyFieldModificationError", "[0].dataSource")}


def test_put_with_an_unknown_id_is_keyed_by_chosen_id(emu, stored):
    """As the 2023 server creates a well when the id names none: the answer has the real id."""
    records = [well("W2", id="0" * 24), well("W5", id="1" * 24)]
    (replaced, created) = results(put(emu, WELLS, records))
    assert (replaced["status"], replaced["id"]) == ("OK", stored["W2"])
    assert created["status"] == "Created" and created["id"] not in ("1" * 24, stored["W2"])


@pytest.mark.parametrize(("sent", "kept"), [
    ("2021-03-01", "2021-03-01T00:00:00.000Z"),
    ("2021-03-01T12:30:00Z", "2021-03-01T12:30:00.000Z"),
    ("2024-02-29T00:00:00+02:00", "2024-02-28T22:00:00.000Z"),
])
def test_dates_are_kept_as_the_api_returns_them(emu, sent, kept):
    results(put(emu, WELLS, [well(customDate3=sent)]))
    (found,) = get(emu, WELLS).json()
    assert found["customDate3"] == kept


def test_get_a_well_by_id(emu, stored):
    assert get(emu, f"{WELLS}/{stored['W1']}").json() == _stored(emu, "W1")
    assert whole_request_error(get(emu, f"{WELLS}/{'0' * 24}"), 404) == "WellNotFoundError"
    assert whole_request_error(get(emu, f"{WELLS}/W1"), 400) == "TypeError"


def test_delete_wells_by_chosen_id_or_by_id(emu, stored):
    results(put(emu, WELLS, [well("W1", "other")]))
    assert delete(emu, WELLS, "?chosenID=W1&chosenID=W7&dataSource=internal") == 1
    assert [(w["chosenID"], w["dataSource"]) for w in emu.wells()] == [
        ("W2", "internal"), ("W1", "other")]
    assert delete(emu, WELLS, f"?id={stored['W2']}") == 1
    assert delete(emu, WELLS, f"?id={stored['W2']}") == 0
    assert call(emu, "DELETE", f"{WELLS}/{stored['W1']}").headers["X-Delete-Count"] == "0"


def test_deleting_a_well_takes_what_hangs_on_it(emu, stored):
    results(put(emu, DAILY, [daily()]))
    results(put(emu, MONTHLY, [daily()]))
    survey = {"chosenID": "W1", "dataSource": "internal", "spatialDataType": "WGS84",
              **{name: [0] for name in ("measuredDepth", "trueVerticalDepth", "azimuth",
                                        "inclination", "deviationEW", "deviationNS",
                                        "latitude", "longitude")}}
    assert call(emu, "POST", SURVEYS, survey).status_code == 201
    qualifier = well("W1", qualifierKey="q1", ownership={
        "initialOwnership": {"workingInterest": 1, "netRevenueInterest": 1}})
    results(put(emu, QUALIFIERS, [qualifier]))
    assert call(emu, "DELETE", f"{WELLS}/{stored['W1']}").headers["X-Delete-Count"] == "1"
    assert (emu.daily_productions(), emu.monthly_productions(), emu.directional_surveys(),
            emu.ownership_qualifiers()) == ([], [], [], [])


@pytest.mark.parametrize(("query", "name"), [
    ("", "RequiredFilterError"),
    ("?chosenID=W1", "RequiredFilterError"),
    ("?dataSource=internal", "RequiredFilterError"),
    ("?id=W1", "TypeError"),
    ("?chosenID=W1&dataSource=manual", "ValueError"),
    ("?chosenID=W1&dataSource=internal&dataSource=other", "FieldNameError"),
    ("?wellName=x&dataSource=internal", "FieldNameError"),
    ("?" + "&".join(f"id={n:024x}" for n in range(101)), "FieldNameError"),
])
def test_delete_wells_refuses_a_vague_query(emu, stored, query, name):
    assert whole_request_error(call(emu, "DELETE", WELLS + query), 400) == name
    assert len(emu.wells()) == 2
