"""Record and key hashes: what makes two records the same to the ledger, and what does not."""

import numpy as np
import pandas as pd
import pytest

from core.hashing import record_hashes, record_keys
from core.resources import DAILY_PRODUCTIONS, WELLS


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object).replace({np.nan: None})


def _hash(record: dict, resource=DAILY_PRODUCTIONS) -> int:
    return int(record_hashes(_frame([record]), resource)[0])


BASE = {"chosenID": "W1", "dataSource": "internal", "date": "2024-01-01", "oil": 5,
        "gas": 1.5, "operationalTag": "ok"}


def test_same_values_same_hash_whatever_the_column_order_or_number_spelling():
    reordered = dict(reversed(list(BASE.items())))
    assert _hash(reordered) == _hash(BASE)
    assert _hash(BASE | {"oil": 5.0}) == _hash(BASE)  # one JSON number
    assert _hash(BASE | {"gas": 0.1 + 0.2}) != _hash(BASE | {"gas": 0.3})  # exact doubles


@pytest.mark.parametrize("change", [
    {"oil": 6}, {"oil": None}, {"gas": -1.5}, {"date": "2024-01-02"}, {"chosenID": "W2"},
    {"operationalTag": None}, {"operationalTag": ""}, {"operationalTag": "None"},
    {"operationalTag": "OK"}, {"ngl": None},
])
def test_any_change_changes_the_hash(change):
    assert _hash(BASE | change) != _hash(BASE)


def test_a_field_moved_to_another_field_changes_the_hash():
    assert _hash(BASE | {"oil": 5, "gas": None}) != _hash(BASE | {"oil": None, "gas": 5})


def test_booleans_and_nulls_of_wells():
    well = {"dataSource": "internal", "chosenID": "A1", "customBool0": True}
    assert _hash(well, WELLS) != _hash(well | {"customBool0": False}, WELLS)
    assert _hash(well | {"customBool0": None}, WELLS) not in (
        _hash(well, WELLS), _hash(well | {"customBool0": False}, WELLS))


def test_keys_follow_the_identity_the_api_uses():
    frame = _frame([
        {"dataSource": "internal", "chosenID": "A1", "api14": "42000000000001"},
        {"dataSource": "internal", "chosenID": "A1", "api14": "42000000000002"},  # same well
        {"dataSource": "di", "chosenID": None, "api14": "42000000000001"},  # known by api14
        {"dataSource": "di", "chosenID": "A1", "api14": None},
    ])
    hashes, keys = record_keys(frame, WELLS)
    assert hashes[0] == hashes[1] and len(set(hashes.tolist())) == 3
    assert keys.iloc[0].to_dict() == {"dataSource": "internal", "chosenID": "A1", "api14": None}
    assert keys.iloc[2].to_dict() == {"dataSource": "di", "chosenID": None,
                                      "api14": "42000000000001"}


def test_daily_keys_are_well_and_day():
    frame = _frame([BASE, BASE | {"oil": 9}, BASE | {"date": "2024-01-02"},
                    {"well": "a" * 24, "date": "2024-01-01", "chosenID": "W1"}])
    hashes, _ = record_keys(frame, DAILY_PRODUCTIONS)
    assert hashes[0] == hashes[1] and hashes[0] != hashes[2] and hashes[3] not in hashes[:3]
