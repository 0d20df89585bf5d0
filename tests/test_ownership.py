"""Ownership qualifiers: flat columns nested into the `ownership` object by one naming rule,
the rows the API would refuse rejected before sending, and ComboCurve's 10 qualifier keys."""

import json

import pytest

from conftest import read_jsonl, write_project
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials")

WELLS_SQL = "SELECT 'internal' AS dataSource, id AS chosenID FROM w ORDER BY id"
# The three spellings of the rule side by side: dotted (quoted for PostgreSQL), camelCase
# joined, and snake_case.
QUALIFIERS_SQL = """SELECT 'internal' AS "dataSource", well AS "chosenID", qk AS qualifier_key,
    deck AS name,
    wi AS "initialOwnership.workingInterest", nri AS "initialOwnershipNetRevenueInterest",
    npi_type AS initial_ownership_net_profit_interest_type,
    r1_type AS first_reversion_reversion_type, r1_wi AS first_reversion_working_interest,
    r1_nri AS first_reversion_net_revenue_interest,
    r1_lease AS first_reversion_lease_net_revenue_interest,
    r1_npi AS first_reversion_net_profit_interest,
    r1_on AS "firstReversion.reversionTiedTo.value",
    r2_type AS second_reversion_reversion_type, r2_wi AS second_reversion_working_interest,
    r2_nri AS second_reversion_net_revenue_interest,
    r2_lease AS second_reversion_lease_net_revenue_interest,
    r2_npi AS second_reversion_net_profit_interest
    FROM q ORDER BY seq"""
GOOD = "('{well}', '{key}', 'Deck', 75, 60, 'expense', NULL, NULL, NULL, NULL, NULL, NULL, " \
       "NULL, NULL, NULL, NULL, NULL"


def _fill(db, rows: list[str], wells=("A1", "B2", "C3")) -> None:
    db.run("DROP TABLE IF EXISTS q", "DROP TABLE IF EXISTS w",
           "CREATE TABLE w (id VARCHAR(12) PRIMARY KEY)",
           "INSERT INTO w VALUES " + ", ".join(f"('{w}')" for w in wells),
           "CREATE TABLE q (seq SERIAL PRIMARY KEY, well VARCHAR(12), qk VARCHAR(20), "
           "deck VARCHAR(40), wi NUMERIC(9,5), nri NUMERIC(9,5), npi_type VARCHAR(10), "
           "r1_type VARCHAR(30), r1_wi NUMERIC(9,5), r1_nri NUMERIC(9,5), "
           "r1_lease NUMERIC(9,5), r1_npi NUMERIC(9,5), r1_on DATE, r2_type VARCHAR(30), "
           "r2_wi NUMERIC(9,5), r2_nri NUMERIC(9,5), r2_lease NUMERIC(9,5), "
           "r2_npi NUMERIC(9,5))")
    db.run("INSERT INTO q (well, qk, deck, wi, nri, npi_type, r1_type, r1_wi, r1_nri, "
           "r1_lease, r1_npi, r1_on, r2_type, r2_wi, r2_nri, r2_lease, r2_npi) VALUES "
           + ", ".join(rows))


def _good(well: str, key: str) -> str:
    return GOOD.format(well=well, key=key) + ")"


def _project(db, tmp_path):
    return write_project(tmp_path / "p", db.section(),
                         {"wells": WELLS_SQL, "ownership-qualifiers": QUALIFIERS_SQL})


def test_flat_columns_become_the_nested_ownership_object(postgres, emulator, tmp_path):
    _fill(postgres, [
        "('A1', 'current', 'Deck', 87.5, 70, 'expense', 'PayoutWithInvestment', 100, 80, 80, "
        "0, '2027-07-01', 'Irr', 50, 40, 80, 2.5)",
        _good("B2", "current"), _good("A1", "proposed")])

    report = start(_project(postgres, tmp_path), base_url=emulator.base_url)

    assert report.ok, report.summary()
    held = {(q["chosenID"], q["qualifierKey"]): q["ownership"]
            for q in emulator.ownership_qualifiers()}
    assert sorted(held) == [("A1", "current"), ("A1", "proposed"), ("B2", "current")]
    ownership = held[("A1", "current")]
    assert ownership["name"] == "Deck"
    initial = ownership["initialOwnership"]
    assert (initial["workingInterest"], initial["netRevenueInterest"],
            initial["netProfitInterestType"]) == (87.5, 70, "expense")
    assert initial["leaseNetRevenueInterest"] == 80  # not sent: ComboCurve computes it
    first = ownership["firstReversion"]
    assert (first["reversionType"], first["workingInterest"], first["netRevenueInterest"],
            first["leaseNetRevenueInterest"], first["netProfitInterest"]) == \
        ("PayoutWithInvestment", 100, 80, 80, 0)
    assert first["reversionTiedTo"] == {"type": None, "value": "2027-07-01T00:00:00.000Z"}
    assert ownership["secondReversion"]["netProfitInterest"] == 2.5
    assert ownership["thirdReversion"] is None
    assert held[("B2", "current")]["firstReversion"] is None  # nulls are left out, not sent


def test_rows_the_api_would_refuse_are_rejected_with_reasons(postgres, emulator, tmp_path):
    _fill(postgres, [
        _good("A1", "current"),
        "('B2', 'current', 'Deck', NULL, 60, 'expense', NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL, NULL)",  # no working interest
        "('C3', 'current', 'Deck', 75, 60, 'expense', NULL, NULL, NULL, NULL, NULL, NULL, "
        "'Irr', 50, 40, 80, 0)",  # a second reversion without a first
        "('A1', 'other', 'Deck', 75, 60, 'gross', 'Irr', 50, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL, NULL)",  # a wrong enum, a reversion lacking what it needs
        _good("B2", "twice"), _good("B2", "twice")])

    report = start(_project(postgres, tmp_path), base_url=emulator.base_url)

    qualifiers = report.resource("ownership-qualifiers")
    assert qualifiers.unaccounted == 0 and (qualifiers.accepted, qualifiers.rejected) == (1, 5)
    with open(qualifiers.rejects_file, encoding="utf-8") as handle:
        reasons = {line["row"]: line["reason"] for line in map(json.loads, handle)}
    assert reasons[2] == "initialOwnershipWorkingInterest: required"
    assert reasons[3] == ("firstReversion: missing, but a later reversion is given (reversions "
                          "go in order, none skipped)")
    assert "initialOwnershipNetProfitInterestType: 'gross' is not one of expense, revenue" in \
        reasons[4]
    assert "firstReversionNetRevenueInterest: required when firstReversion is given" in \
        reasons[4]
    assert "same well and qualifier key as row 6 in the same page" in reasons[5]
    assert [q["chosenID"] for q in emulator.ownership_qualifiers()] == ["A1"]


def test_combocurves_ten_qualifier_keys_are_checked_before_sending(postgres, emulator,
                                                                   tmp_path):
    keys = [f"k{n:02d}" for n in range(12)]
    _fill(postgres, [_good("A1", key) for key in keys] + [_good("B2", "k00")])

    report = start(_project(postgres, tmp_path), base_url=emulator.base_url)

    qualifiers = report.resource("ownership-qualifiers")
    assert (qualifiers.accepted, qualifiers.rejected) == (11, 2)
    lines = read_jsonl(qualifiers.rejects_file)
    assert [line["values"]["qualifier_key"] for line in lines] == ["k10", "k11"]
    assert lines[0]["fields"] == ["qualifierKey"]
    assert lines[0]["reason"].startswith("qualifierKey: 'k10' would be qualifier key number "
                                         "11; ComboCurve holds at most 10 a company")
    assert all(r.record_count == 11 for r in emulator.requests
               if r.path == "/v1/ownership-qualifiers")


def test_keys_combocurve_holds_from_elsewhere_count_too(postgres, emulator, tmp_path):
    _fill(postgres, [_good("A1", f"k{n}") for n in range(10)])
    start(_project(postgres, tmp_path / "elsewhere"), base_url=emulator.base_url)
    _fill(postgres, [_good("B2", "mine")])

    report = start(_project(postgres, tmp_path), base_url=emulator.base_url)

    qualifiers = report.resource("ownership-qualifiers")
    assert (qualifiers.accepted, qualifiers.rejected) == (0, 1)
    with open(qualifiers.rejects_file, encoding="utf-8") as handle:
        line = json.loads(handle.readline())
    assert line["reason"].startswith("API: OwnershipQualifierLimitError: Qualifier key limit")
