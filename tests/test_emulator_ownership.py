"""Ownership qualifiers: keyed by (well, qualifierKey), a nested ownership, ten keys a company."""

import pytest

from api_calls import (
    QUALIFIERS,
    errors_of,
    get,
    put,
    results,
    store_wells,
    well,
    whole_request_error,
)

REVERSION = {"reversionType": "Irr", "workingInterest": 50, "netRevenueInterest": 40,
             "leaseNetRevenueInterest": 80, "netProfitInterest": 0}


def qualifier(key="q1", chosen_id="W1", initial=None, **ownership):
    initial = {"workingInterest": 80, "netRevenueInterest": 60} if initial is None else initial
    return well(chosen_id, qualifierKey=key,
                ownership={"initialOwnership": initial, **ownership})


@pytest.fixture
def well_id(emu):
    """The id of well W1/internal, stored with well W2 beside it."""
    return store_wells(emu, "W1", "W2")[0]


def test_put_creates_then_replaces_by_well_and_key(emu, well_id):
    (created,) = results(put(emu, QUALIFIERS, [qualifier(name="Deal A")]))
    assert created == {"status": "OK", "code": 200, "well": well_id, "qualifierKey": "q1"}
    (first,) = emu.ownership_qualifiers()
    by_id = {"well": well_id, "qualifierKey": "q1",
             "ownership": {"initialOwnership": {"workingInterest": 100, "netRevenueInterest": 75}}}
    results(put(emu, QUALIFIERS, [by_id]))
    (second,) = get(emu, QUALIFIERS).json()
    assert (second["id"], second["createdAt"]) == (first["id"], first["createdAt"])
    assert second["ownership"]["name"] == "ownership"  # replaced whole: the name went back
    assert second["ownership"]["initialOwnership"]["workingInterest"] == 100
    assert (second["chosenID"], second["dataSource"]) == ("W1", "internal")
    assert get(emu, f"{QUALIFIERS}/{first['id']}").json() == second


def test_the_stored_ownership_is_complete_with_the_server_defaults(emu, well_id):
    tied = {**REVERSION, "reversionTiedTo": {"type": "date", "value": "2025-01-01"}}
    results(put(emu, QUALIFIERS, [qualifier(firstReversion=tied)]))
    (stored,) = get(emu, QUALIFIERS).json()
    ownership = stored["ownership"]
    assert ownership["initialOwnership"] == {
        "workingInterest": 80, "netProfitInterestType": "expense", "netProfitInterest": 0,
        "netRevenueInterest": 60, "leaseNetRevenueInterest": 75.0,  # 60 * 100 / 80
        "oilNetRevenueInterest": None, "gasNetRevenueInterest": None,
        "nglNetRevenueInterest": None, "dripCondensateNetRevenueInterest": None}
    first = ownership["firstReversion"]
    assert (first["balance"], first["includeNetProfitInterest"]) == ("gross", "yes")
    assert first["reversionTiedTo"] == {"type": "date", "value": "2025-01-01T00:00:00.000Z"}
    assert ownership["secondReversion"] is None and ownership["tenthReversion"] is None


@pytest.mark.parametrize(("initial", "lease"), [
    ({"workingInterest": 0, "netRevenueInterest": 10}, 100),
    ({"workingInterest": 50, "netRevenueInterest": 60}, 100),
    ({"workingInterest": 30, "netRevenueInterest": 10}, 33.33333333),
    ({"workingInterest": 30, "netRevenueInterest": 10, "leaseNetRevenueInterest": 20}, 20),
])
def test_lease_nri_is_computed_when_not_sent(emu, well_id, initial, lease):
    results(put(emu, QUALIFIERS, [qualifier(initial=initial)]))
    (stored,) = emu.ownership_qualifiers()
    assert stored["ownership"]["initialOwnership"]["leaseNetRevenueInterest"] == lease


OWNERSHIP_REFUSALS = [
    ("no-key", {**qualifier(), "qualifierKey": None}, "RequiredFieldError", "[0]"),
    ("no-ownership", well(qualifierKey="q1"), "RequiredFieldError", "[0]"),
    ("no-well", {"qualifierKey": "q1", "ownership": {}}, "RequiredFieldError", "[0]"),
    ("unknown-well", qualifier(chosen_id="W9"), "OwnershipQualifierNotFoundError", "[0]"),
    ("ownership-not-object", well(qualifierKey="q1", ownership=[]), "TypeError",
     "[0].ownership"),
    ("no-initial", {**qualifier(), "ownership": {"name": "x"}}, "RequiredFieldError",
     "[0].ownership"),
    ("no-working-interest", qualifier(initial={"netRevenueInterest": 1}), "RequiredFieldError",
     "[0].ownership.initialOwnership"),
    ("interest-as-text", qualifier(initial={"workingInterest": "80", "netRevenueInterest": 1}),
     "TypeError", "[0].ownership.initialOwnership.workingInterest"),
    ("bad-npi-type", qualifier(initial={"workingInterest": 1, "netRevenueInterest": 1,
                                        "netProfitInterestType": "gross"}),
     "ValueError", "[0].ownership.initialOwnership.netProfitInterestType"),
    ("unknown-nested", qualifier(initial={"workingInterest": 1, "netRevenueInterest": 1,
                                          "wi": 1}),
     "FieldNameError", "[0].ownership.initialOwnership.wi"),
    ("gap-before-reversion", qualifier(secondReversion=REVERSION), "RequiredFieldError",
     "[0].ownership"),
    ("reversion-incomplete", qualifier(firstReversion={"reversionType": "Irr"}),
     "RequiredFieldError", "[0].ownership.firstReversion"),
    ("bad-reversion-type", qualifier(firstReversion={**REVERSION, "reversionType": "Never"}),
     "ValueError", "[0].ownership.firstReversion.reversionType"),
    ("bad-tied-to", qualifier(firstReversion={**REVERSION, "reversionTiedTo": {"type": "x"}}),
     "ValueError", "[0].ownership.firstReversion.reversionTiedTo.type"),
    ("read-only-id", {**qualifier(), "id": "a" * 24}, "ReadOnlyFieldError", "[0].id"),
    ("mixed-sources", None, "DifferentDataSourceError", "[1].dataSource"),
]


@pytest.mark.parametrize(("record", "name", "location"),
                         [pytest.param(*case[1:], id=case[0]) for case in OWNERSHIP_REFUSALS])
def test_qualifier_refused(emu, well_id, record, name, location):
    records = [record] if record else [qualifier(), well("W1", "other", qualifierKey="q2",
                                                         ownership={})]
    outcome = results(put(emu, QUALIFIERS, records))
    assert (name, location) in errors_of(outcome[-1])


def test_the_same_well_and_key_twice_in_a_request_are_both_refused(emu, well_id):
    outcome = results(put(emu, QUALIFIERS, [qualifier(), qualifier("q2"),
                                            {**qualifier(), "chosenID": None, "well": well_id}]))
    assert errors_of(outcome[0]) == errors_of(outcome[2]) == {
        ("DuplicateOwnershipQualifierError", "[0], [2]")}
    assert [q["qualifierKey"] for q in emu.ownership_qualifiers()] == ["q2"]


def test_at_most_ten_qualifier_keys_in_the_company(emu, well_id):
    outcome = results(put(emu, QUALIFIERS, [qualifier(f"q{n}") for n in range(10)]))
    assert all(result["status"] == "OK" for result in outcome)
    more = results(put(emu, QUALIFIERS, [qualifier("q11"), qualifier("q3", "W2")]))
    assert errors_of(more[0]) == {("OwnershipQualifierLimitError", "[0]")}
    assert more[1]["status"] == "OK"  # a known key on another well is no new key


@pytest.mark.parametrize(("count", "status"), [(500, 207), (501, 400), (0, 400)])
def test_record_count(emu, well_id, count, status):
    assert put(emu, QUALIFIERS, [qualifier()] * count).status_code == status


def test_get_filters_and_default_page(emu, well_id):
    results(put(emu, QUALIFIERS, [qualifier("q1"), qualifier("q2"), qualifier("q1", "W2")]))
    assert [q["chosenID"] for q in get(emu, f"{QUALIFIERS}?qualifierKey=q1").json()] == [
        "W2", "W1"]
    assert len(get(emu, f"{QUALIFIERS}?well={well_id}").json()) == 2
    assert whole_request_error(get(emu, f"{QUALIFIERS}?take=201"), 400) == "ValueError"
    missing = get(emu, f"{QUALIFIERS}/{'0' * 24}")
    assert whole_request_error(missing, 404) == "OwnershipQualifierNotFoundError"
