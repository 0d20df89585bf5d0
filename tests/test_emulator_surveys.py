"""Directional surveys: one document per well, stations keyed by measured depth."""

import pytest

from api_calls import (
    SURVEYS,
    WELLS,
    call,
    get,
    put,
    results,
    store_wells,
    well,
    whole_request_error,
)

MEASURES = ("measuredDepth", "trueVerticalDepth", "azimuth", "inclination", "deviationEW",
            "deviationNS", "latitude", "longitude")


def stations(*depths, **overrides):
    """The eight arrays for stations at `depths` (each value derived from its depth)."""
    arrays = {name: [depth / 10 if name not in ("latitude", "longitude") else 31.5
                     for depth in depths] for name in MEASURES}
    arrays["measuredDepth"] = list(depths)
    return {**arrays, **overrides}


def survey(chosen_id="W1", data_source="internal", depths=(0, 100, 200), **fields):
    return {"chosenID": chosen_id, "dataSource": data_source, "spatialDataType": "WGS84",
            **stations(*depths), **fields}


@pytest.fixture
def well_id(emu):
    """The id of well W1/internal, stored with well W2 beside it."""
    return store_wells(emu, "W1", "W2")[0]


def post(emu, body):
    return call(emu, "POST", SURVEYS, body)


def _survey_id(emu, well_id):
    (found,) = get(emu, f"{SURVEYS}?well={well_id}").json()
    return found["id"]


def test_post_creates_one_survey_and_answers_without_its_id(emu, well_id):
    response = post(emu, survey(depths=(200, 0, 100)))
    assert response.status_code == 201
    assert response.json() == {"code": 201, "status": "created", "errors": []}
    (found,) = get(emu, f"{SURVEYS}?well={well_id}").json()
    assert set(found) == {"id", "well", "project", *MEASURES, "createdAt", "updatedAt"}
    assert (found["well"], found["project"]) == (well_id, "")
    assert found["measuredDepth"] == [0, 100, 200]  # kept in measured-depth order
    assert found["trueVerticalDepth"] == [0, 10, 20]  # each station kept together
    assert get(emu, f"{SURVEYS}/{found['id']}").json() == found
    assert emu.directional_surveys()[0]["spatialDataType"] == "WGS84"  # held, not shown


def test_a_second_post_for_the_well_replaces_its_stations(emu, well_id):
    assert post(emu, survey()).status_code == 201
    first = _survey_id(emu, well_id)
    assert post(emu, survey(depths=(5,))).status_code == 201
    (found,) = get(emu, SURVEYS).json()
    assert (found["id"], found["measuredDepth"]) == (first, [5])


@pytest.mark.parametrize("data_source", ["internal", "Internal"])
def test_the_well_goes_by_chosen_id_and_either_spelling_of_its_source(emu, well_id, data_source):
    assert post(emu, survey(data_source=data_source)).status_code == 201


SURVEY_REFUSALS = [
    ("no-well", survey("W9"), "ValidationError", ""),
    ("other-source", survey(data_source="aries"), "ValidationError", ""),
    ("a-project", survey(projectID="a" * 24), "ValidationError", ""),
    ("no-spatial-type", {**survey(), "spatialDataType": None}, "RequiredFieldError", ""),
    ("bad-spatial-type", survey(spatialDataType="ED50"), "RequestStructureError",
     "spatialDataType"),
    ("bad-source", survey(data_source="manual"), "RequestStructureError", "dataSource"),
    ("no-latitudes", {**survey(), "latitude": None}, "RequiredFieldError", ""),
    ("no-stations", survey(depths=()), "RequiredFieldError", ""),
    ("short-array", survey(azimuth=[1, 2]), "RequestStructureError", "azimuth"),
    ("text-depth", survey(measuredDepth=[0, "100", 200]), "TypeError", "measuredDepth[1]"),
    ("negative-depth", survey(depths=(-1, 100)), "RequestStructureError", "measuredDepth"),
    ("inclination-over-180", survey(inclination=[0, 181, 0]), "RequestStructureError",
     "inclination"),
    ("latitude-over-90", survey(latitude=[0, 91, 0]), "RequestStructureError", "coordinates[1]"),
    ("depth-twice", survey(depths=(0, 100, 100)), "RequestStructureError", "measuredDepth"),
    ("unknown-field", survey(wellName="x"), "FieldNameError", "wellName"),
]


@pytest.mark.parametrize(("body", "name", "location"),
                         [pytest.param(*case[1:], id=case[0]) for case in SURVEY_REFUSALS])
def test_post_refused(emu, well_id, body, name, location):
    response = post(emu, body)
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["status"]) == (400, "error")
    assert (name, location) in {(e["name"], e["location"]) for e in response.json()["errors"]}
    assert emu.directional_surveys() == []


def test_post_wants_one_object(emu, well_id):
    response = post(emu, [survey()])
    assert whole_request_error(response, 400) == "RequestStructureError"


def put_survey(emu, survey_id, body):
    return call(emu, "PUT", f"{SURVEYS}/{survey_id}", body)


def test_put_adds_updates_and_removes_stations(emu, well_id):
    post(emu, survey())
    survey_id = _survey_id(emu, well_id)
    body = {"spatialDataType": "WGS84", "add": stations(50, 300),
            "update": stations(100, trueVerticalDepth=[99]), "remove": [0]}
    response = put_survey(emu, survey_id, body)
    assert (response.status_code, response.json()) == (
        200, {"code": 200, "status": "updated", "errors": []})
    found = get(emu, f"{SURVEYS}/{survey_id}").json()
    assert found["measuredDepth"] == [50, 100, 200, 300]
    assert found["trueVerticalDepth"] == [5, 99, 20, 30]
    assert found["updatedAt"] >= found["createdAt"]


@pytest.mark.parametrize(("body", "name", "location"), [
    ({"spatialDataType": "WGS84", "add": stations(100)}, "AddDuplicateItemError",
     "add.measuredDepth[0]"),
    ({"update": stations(100, 150)}, "UpdateNotFoundItemError", "update.measuredDepth[1]"),
    ({"remove": [0, 7]}, "DeleteNotFoundItemError", "remove[1]"),
], ids=["add-existing", "update-missing", "remove-missing"])
def test_put_merge_errors_change_nothing_yet_answer_200(emu, well_id, body, name, location):
    """As the 2023 server: the survey stays as it was, the code says 200: read `errors`."""
    post(emu, survey())
    survey_id = _survey_id(emu, well_id)
    before = emu.directional_surveys()
    response = put_survey(emu, survey_id, body)
    assert response.status_code == 200
    assert [(e["name"], e["location"]) for e in response.json()["errors"]] == [(name, location)]
    assert emu.directional_surveys() == before


@pytest.mark.parametrize(("body", "name"), [
    ({"add": stations(50)}, "RequiredFieldError"),  # add needs spatialDataType
    ({"spatialDataType": "WGS84", "add": {"measuredDepth": [1]}}, "RequiredFieldError"),
    ({"remove": [-1]}, "RequestStructureError"),
    ({"remove": "0"}, "TypeError"),
    ({"replace": stations(1)}, "FieldNameError"),
], ids=["add-without-spatial-type", "add-missing-arrays", "negative-remove", "remove-not-list",
        "unknown-operation"])
def test_put_refuses_a_malformed_body_with_400(emu, well_id, body, name):
    post(emu, survey())
    response = put_survey(emu, _survey_id(emu, well_id), body)
    assert response.status_code == 400
    assert name in {error["name"] for error in response.json()["errors"]}


def test_put_and_get_of_an_unknown_survey(emu, well_id):
    response = put_survey(emu, "0" * 24, {"remove": [0]})
    assert response.status_code == 404 and response.json()["errors"][0]["name"] == "NotFoundError"
    missing = get(emu, f"{SURVEYS}/{'0' * 24}")
    assert (missing.status_code, missing.json()) == (404, None)
    assert whole_request_error(put_survey(emu, "nope", {"remove": [0]}), 400) == "TypeError"


def test_delete_a_survey(emu, well_id):
    post(emu, survey())
    survey_id = _survey_id(emu, well_id)
    deleted = call(emu, "DELETE", f"{SURVEYS}/{survey_id}")
    assert (deleted.status_code, deleted.headers["X-Delete-Count"]) == (204, "1")
    assert call(emu, "DELETE", f"{SURVEYS}/{survey_id}").headers["X-Delete-Count"] == "0"
    assert get(emu, SURVEYS).json() == []


def test_get_surveys_filters_and_pages(emu, well_id):
    results(put(emu, WELLS, [well(f"X{n}") for n in range(101)]))
    for n in range(101):
        assert post(emu, survey(f"X{n}", depths=(n,))).status_code == 201
    post(emu, survey("W1"))
    first = get(emu, f"{SURVEYS}?take=100")
    assert len(first.json()) == 100 and 'rel="next"' in first.headers["Link"]
    assert whole_request_error(get(emu, f"{SURVEYS}?take=101"), 400) == "ValueError"
    (mine,) = get(emu, f"{SURVEYS}?chosenID=W1&dataSource=internal").json()
    assert mine["well"] == well_id
    lean = get(emu, f"{SURVEYS}?well={well_id}&measures=false").json()
    assert set(lean[0]) == {"id", "well", "project", "createdAt", "updatedAt"}
    alone = get(emu, f"{SURVEYS}?chosenID=W1")
    assert whole_request_error(alone, 400) == "RequestStructureError"
