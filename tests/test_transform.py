"""Normalising, value by value: every odd input has a defined outcome (coerced, or refused)."""

import ipaddress
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from core.errors import ProjectError
from core.resources import DAILY_PRODUCTIONS, RESOURCES, WELLS
from core.transform import map_columns, normalise, to_payload

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
    # far from today: every year from 1 to 9999 is itself, never another day
    (DATE, date(9999, 12, 31), "9999-12-31", None),
    (DATE, date(1, 1, 1), "0001-01-01", None),
    (DATE, datetime(9999, 12, 31, 23, 59), "9999-12-31", None),
    (DATE, datetime(1676, 6, 1, tzinfo=UTC), "1676-06-01", None),
    (DATE, pd.Timestamp("2262-04-11 23:00"), "2262-04-11", None),
    (DATE, np.datetime64("9999-12-31"), "9999-12-31", None),
    (DATE, np.datetime64("0001-01-01T10:00"), "0001-01-01", None),
    (DATE, np.datetime64("10000-01-01"), None,
     "np.datetime64('10000-01-01') is beyond the years 1-9999"),
    (DATE, "9999-12-31", "9999-12-31", None),
    (DATE, "9999-12-31 23:59:59", "9999-12-31", None),
    (DATE, "9999-12-31T00:00:00Z", "9999-12-31", None),
    (DATE, "0001-01-01", "0001-01-01", None),
    (DATE, "1500-01-01 00:00:00+05:00", "1499-12-31", None),
    (DATE, "2024-01-01 02:00+05", "2023-12-31", None),  # 19 characters, yet not plain
    (DATE, "2024-01-01T02:00:00", "2024-01-01", None),
    (DATE, "2263-01-01 00:00:00.123456789+00", "2263-01-01", None),
    (DATE, "0001-01-01 00:00:00+05", None,
     "'0001-01-01 00:00:00+05' falls beyond the years 1-9999 in UTC"),
    (DATE, datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), None,
     "datetime.datetime(9999, 12, 31, 23, 0, tzinfo=datetime.timezone(datetime.timedelta("
     "days=-1, seconds=68400))) falls beyond the years 1-9999 in UTC"),
    (DATE, "infinity", None, "'infinity' is not a valid date"),  # PostgreSQL, as text
    (DATE, "-infinity", None, "'-infinity' is not a valid date"),
    (DATE, "0044-03-15 BC", None, "'0044-03-15 BC' is not a valid date"),
    (DATE, "10000-01-01", None, "'10000-01-01' is not a valid date"),
    (DATE, "0000-01-01", None, "'0000-01-01' is not a valid date"),
    (DATE, "2024-01-01 25:00:00", None, "'2024-01-01 25:00:00' is not a valid date"),
    (DATE, "+02024-01-01", None, "'+02024-01-01' is not a valid date"),
    # exact numbers beyond 2^53 are refused whatever their type; DOUBLEs are what they are
    (NUMBER, Decimal("9007199254740993"), None,
     "9007199254740993 is beyond 2^53 and would not arrive exactly"),
    (NUMBER, Decimal("-9007199254740993.5"), None,
     "-9007199254740993.5 is beyond 2^53 and would not arrive exactly"),
    (NUMBER, Decimal("9007199254740992"), 2**53, None),
    (NUMBER, Decimal("1E+400"), None, "1E+400 is beyond 2^53 and would not arrive exactly"),
    (NUMBER, Decimal("Infinity"), None, "Infinity is infinite, not a number the API takes"),
    (NUMBER, "9007199254740993.0", None,
     "9007199254740993.0 is beyond 2^53 and would not arrive exactly"),
    (NUMBER, "1e3", 1000, None),
    (NUMBER, ".5", 0.5, None),
    (NUMBER, "-12.", -12, None),
    (NUMBER, 2.0**60, 2.0**60, None),
    # text that Python would read as a number, but no database would
    (NUMBER, "NaN", None, "'NaN' is not a number"),
    (NUMBER, "inf", None, "'inf' is not a number"),
    (NUMBER, "-Infinity", None, "'-Infinity' is not a number"),
    (NUMBER, "1_000", None, "'1_000' is not a number"),
    (NUMBER, "\u0661\u0662\u0663", None, "'\u0661\u0662\u0663' is not a number"),
    (NUMBER, "\uff11\uff12", None, "'\uff11\uff12' is not a number"),
    (NUMBER, "0x1A", None, "'0x1A' is not a number"),
    # ids and text: what the database holds, never a Python repr
    (CHOSEN_ID, Decimal("123.00"), "123", None),
    (CHOSEN_ID, Decimal("1E+2"), "100", None),
    (TEXT, Decimal("1.50"), "1.50", None),
    (TEXT, {"a": [1, 2.5, None], "b": "x"}, '{"a":[1,2.5,null],"b":"x"}', None),
    (TEXT, ["a", "b"], '["a","b"]', None),
    (TEXT, [Decimal("1.50"), Decimal("12345678901234567890.1")],
     "[1.50,12345678901234567890.1]", None),
    (TEXT, [date(2024, 1, 1), None], '["2024-01-01",null]', None),
    (TEXT, [Decimal("NaN")], None, "[Decimal('NaN')] cannot be written as JSON text"),
    (TEXT, {1: "a"}, None, "{1: 'a'} cannot be written as JSON text"),
    (TEXT, timedelta(hours=26), None,
     "datetime.timedelta(days=1, seconds=7200) is a timedelta value, not text; cast it to "
     "text in the query"),
    (TEXT, frozenset({"a"}), None,
     "frozenset({'a'}) is a frozenset value, not text; cast it to text in the query"),
    (TEXT, uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001", None),
    (TEXT, ipaddress.ip_address("10.0.0.1"), "10.0.0.1", None),
    (TEXT, time(2, 30), "02:30:00", None),
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


def test_a_di_well_known_twice_by_its_api14_is_a_duplicate():
    api14 = "42123456789012"
    frame = page(dataSource=["di", "di", "di", "di", "internal", "internal"],
                 chosenID=[None, None, api14, None, api14, None],
                 api14=[api14, api14, None, "42000000000000", None, api14])

    result = normalised(WELLS, frame)

    assert [(r.row, r.reason) for r in result.rejects] == [
        (1, "duplicate: same well as row 2, 3 in the same page"),
        (2, "duplicate: same well as row 1, 3 in the same page"),
        (3, "duplicate: same well as row 1, 2 in the same page"),
        (6, "chosenID: required"),  # not a di well: its api14 stands in for nothing
    ]
    assert result.records.index.tolist() == [4, 5]


def test_a_daily_row_is_keyed_by_its_well_id_and_day_however_else_it_is_named():
    well = "5e272d38b78910dd2a1bd691"
    frame = page(well=[well, well, None], chosenID=[None, "A1", "A1"],
                 dataSource=[None, "internal", "internal"],
                 date=["2024-01-01", "2024-01-01 06:00:00", "2024-01-01"])

    result = normalised(DAILY_PRODUCTIONS, frame)

    assert [r.row for r in result.rejects] == [1, 2]
    assert result.records.index.tolist() == [3]
