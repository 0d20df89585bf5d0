"""Normalising, value by value: every odd input has a defined outcome (coerced, or refused)."""

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from core.errors import ProjectError
from core.resources import DAILY_PRODUCTIONS, RESOURCES, WELLS
from core.transform import map_columns, normalise, split_by_data_source, to_payload

NUMBER, CHOSEN_ID, TEXT = (WELLS.fields[n] for n in ("lateralLength", "chosenID", "wellName"))
DATE, FLAG, API14 = (WELLS.fields[n] for n in ("spudDate", "customBool0", "api14"))


def convert(field, value):
    """(value sent, problem) for one value in a column of its own."""
    from core.transform import CONVERTERS

    column = np.empty(1, dtype=object)
    column[0] = value
    values, problems = CONVERTERS[field.type](column, field)
    return values[0], problems[0]


@pytest.mark.parametrize(("field", "given", "sent", "problem"), [
    (NUMBER, 5280, 5280, None),
    (NUMBER, np.int64(7), 7, None),
    (NUMBER, 5280.0, 5280, None),
    (NUMBER, 19.99, 19.99, None),
    (NUMBER, Decimal("19.99"), 19.99, None),
    (NUMBER, Decimal("100.00"), 100, None),
    (NUMBER, Decimal("0.1234567890123456789"), 0.12345678901234568, None),
    (NUMBER, None, None, None),
    (NUMBER, float("nan"), None, None),
    (NUMBER, Decimal("NaN"), None, None),
    (NUMBER, float("inf"), None, "inf is infinite, not a number the API takes"),
    (NUMBER, 2**53, 2**53, None),
    (NUMBER, 2**53 + 1, None, "9007199254740993 is beyond 2^53 and would not arrive exactly"),
    (NUMBER, " 42 ", 42, None),
    (NUMBER, "3.5", 3.5, None),
    (NUMBER, "", None, None),
    (NUMBER, "12 ft", None, "'12 ft' is not a number"),
    (NUMBER, True, None, "True is a boolean, not a number"),
    (CHOSEN_ID, 123, "123", None),
    (CHOSEN_ID, "  00042  ", "00042", None),
    (CHOSEN_ID, "0042", "0042", None),
    (CHOSEN_ID, "AB-12", None, "'AB-12' must be 1-32 letters and digits"),
    (CHOSEN_ID, "A" * 33, None, f"'{'A' * 33}' must be 1-32 letters and digits"),
    (CHOSEN_ID, "", None, None),
    (API14, "42123456789012", "42123456789012", None),
    (API14, "4212345678901", None, "'4212345678901' must be exactly 14 digits"),
    (TEXT, "PEÑA 1H", "PEÑA 1H", None),
    (TEXT, " padded ", " padded ", None),
    (TEXT, b"caf\xc3\xa9", "café", None),
    (TEXT, b"\xff\xfe", None, "b'\\xff\\xfe' is not valid UTF-8 text"),
    (TEXT, "", None, None),
    (DATE, datetime(2024, 3, 1, 23, 59), "2024-03-01", None),
    (DATE, date(2024, 2, 29), "2024-02-29", None),
    (DATE, datetime(2024, 3, 1, 22, tzinfo=timezone(timedelta(hours=-5))), "2024-03-02", None),
    (DATE, datetime(2024, 3, 1, 2, tzinfo=UTC), "2024-03-01", None),
    (DATE, "2024-03-01 10:00:00", "2024-03-01", None),
    (DATE, "0000-00-00 00:00:00", None, None),
    (DATE, "2021-02-30", None, "'2021-02-30' is not a valid date"),
    (DATE, 20240101, None, "20240101 is not a date"),
    (DATE, pd.NaT, None, None),
    (FLAG, 1, True, None),
    (FLAG, 0, False, None),
    (FLAG, "yes", True, None),
    (FLAG, 2, None, "2 is not true or false"),
])
def test_one_value(field, given, sent, problem):
    value, why = convert(field, given)

    assert (value, why) == (sent, problem)
    assert type(value) is type(sent)


def page(**columns) -> pd.DataFrame:
    """A page as sources.py makes it: object columns, index = row numbers from 1."""
    size = len(next(iter(columns.values())))
    return pd.DataFrame({k: pd.Series(v, dtype=object).to_numpy() for k, v in columns.items()},
                        index=pd.RangeIndex(1, size + 1), dtype=object)


def normalised(resource, frame):
    mapping = map_columns(resource, list(frame.columns), Path("resources/x.sql"))
    return normalise(frame, resource, mapping)


def test_payload_is_strict_json_with_integers_and_nulls():
    frame = page(dataSource=["internal"] * 3, chosenID=[7, "0042", "X1"],
                 perf_lateral_length=[5280, None, float("nan")], measured_depth=[1.5, 2.0, None],
                 spud_date=[datetime(2024, 1, 1, 6), None, pd.NaT])

    body = to_payload(normalised(WELLS, frame).records)

    assert body == (b'[{"dataSource":"internal","chosenID":"7","perfLateralLength":5280,'
                    b'"measuredDepth":1.5,"spudDate":"2024-01-01"},'
                    b'{"dataSource":"internal","chosenID":"0042","perfLateralLength":null,'
                    b'"measuredDepth":2,"spudDate":null},'
                    b'{"dataSource":"internal","chosenID":"X1","perfLateralLength":null,'
                    b'"measuredDepth":null,"spudDate":null}]')
    assert orjson.loads(body)  # and it parses


def test_whole_row_rules_give_every_reason():
    frame = page(dataSource=["internal", "di", "di", "internal", "other"],
                 chosenID=[None, None, None, "A1", "B2"],
                 api14=[None, "42123456789012", None, None, None],
                 surfaceLatitude=[None, None, None, 31.2, None],
                 surface_longitude=[None, None, None, None, None])

    result = normalised(WELLS, frame)

    assert [(r.row, r.reason) for r in result.rejects] == [
        (1, "chosenID: required"),
        (3, "chosenID: required"),
        (4, "surfaceLatitude: given without surfaceLongitude"),
    ]
    assert result.records.index.tolist() == [2, 5]  # a di well may go by its api14


def test_duplicate_well_days_in_a_page_are_all_refused():
    frame = page(dataSource=["internal"] * 4, chosenID=["A", "A", "A", "B"],
                 date=["2024-01-01", datetime(2024, 1, 1, 18), "2024-01-02", "2024-01-01"],
                 oil=[1, 2, 3, 4])

    result = normalised(DAILY_PRODUCTIONS, frame)

    assert [r.row for r in result.rejects] == [1, 2]
    assert result.rejects[0].fields == ["duplicate"]
    assert result.rejects[0].reason == "duplicate: same well and day as row 2 in the same page"
    assert result.records.index.tolist() == [3, 4]


def test_a_page_with_several_data_sources_is_split():
    frame = page(dataSource=["internal", "di", "internal"], chosenID=["A", "B", "C"])

    groups = split_by_data_source(normalised(WELLS, frame).records)

    assert [g.index.tolist() for g in groups] == [[1, 3], [2]]


@pytest.mark.parametrize(("columns", "message"), [
    (["dataSource", "chosenID", "wellname", "wel_name"],
     "column 'wel_name' is not a ComboCurve well field (did you mean 'wellName'?)"),
    (["dataSource", "chosenID", "zzz"], "column 'zzz' is not a ComboCurve well field"),
    (["dataSource", "chosenID", "well_name", "wellName"],
     "columns 'well_name' and 'wellName' both feed 'wellName'; keep one"),
    (["chosenID"], "no column for the required field dataSource"),
])
def test_column_problems_stop_the_run(columns, message):
    with pytest.raises(ProjectError) as caught:
        map_columns(WELLS, columns, Path("p/resources/wells.sql"))

    assert str(caught.value) == f"resources/wells.sql: {message}"


def test_every_field_matches_its_snake_case_spelling():
    import re

    for resource in RESOURCES.values():
        for name in resource.fields:
            snake = re.sub(r"(?<=[a-z])(?=[A-Z0-9])", "_", name).lower()
            assert resource.field_for(snake).name == name
            assert resource.field_for(name.lower()).name == name  # PostgreSQL's folding


def test_nan_never_reaches_the_wire():
    frame = page(dataSource=["internal"] * 2, chosenID=["A", "B"],
                 date=["2024-01-01"] * 2, oil=[float("nan"), math.inf], gas=[None, 1.5])

    result = normalised(DAILY_PRODUCTIONS, frame)

    assert b"NaN" not in to_payload(result.records)
    reasons = [r.reason for r in result.rejects]
    assert reasons == ["oil: inf is infinite, not a number the API takes"]
    assert result.rejects[0].problems == (("oil", "inf is infinite, not a number the API takes"),)
