"""Directional surveys: one document per well, gathered from one query row per station.

The query returns a row per survey station: the well (chosenID, dataSource), the survey's own
fields (spatialDataType, projectID) and the station's eight measures. The stations of one well
must come together, in measured-depth order: **ORDER BY the well, then measuredDepth**. The
sync gathers each well's stations into one document of eight equal arrays; a station missing a
measure, stations out of depth order or at the same depth, and a well whose stations disagree
on the survey's own fields are rejected before sending, with every station row of that survey.

A new survey is created with `POST /v1/directional-surveys`; one ComboCurve holds already is
updated with `PUT /v1/directional-surveys/{id}`, whose body says which stations to add, update
and remove (see `changes`). Both are one request per well.
"""

import numpy as np
import pandas as pd

from .base import DATA_SOURCE, NUMBER, STRING, WELL_ID_RULE, Field, Resource, needs
from .rules import present, required

MEASURES = ("measuredDepth", "trueVerticalDepth", "azimuth", "inclination", "deviationEW",
            "deviationNS", "latitude", "longitude")
SURVEY_FIELDS = ("spatialDataType", "projectID")  # one value per survey, on every station
SPATIAL_DATA_TYPES = ("NAD27", "NAD83", "WGS84")
# (measure, lowest, highest): what the API refuses outside of
RANGES = (("measuredDepth", 0, None), ("trueVerticalDepth", 0, None), ("azimuth", 0, None),
          ("inclination", 0, 180), ("latitude", -90, 90), ("longitude", -180, 180))


def _ranges(records: pd.DataFrame):
    for name, low, high in RANGES:
        if name not in records:
            continue
        values = records[name].to_numpy()
        for position in np.flatnonzero(present(records, name)):
            value = values[position]
            if value < low or (high is not None and value > high):
                bounds = f"between {low} and {high}" if high is not None else f"{low} or more"
                yield position, name, f"{value!r} must be {bounds}"


DIRECTIONAL_SURVEYS = Resource.build(
    "directional-surveys", "/v1/directional-surveys", 20000, "directional survey", [
        Field("chosenID", STRING, identifier=True),
        DATA_SOURCE,
        Field("spatialDataType", STRING, choices=SPATIAL_DATA_TYPES),
        Field("projectID", STRING, rule=WELL_ID_RULE, identifier=True),
        *[Field(name, NUMBER) for name in MEASURES],
    ], identity=(("dataSource", "chosenID"),), writes=("post-or-put",),
    needs=needs("chosenID", "dataSource", "spatialDataType", *MEASURES),
    row_rules=(required("chosenID", "dataSource", "spatialDataType", *MEASURES), _ranges),
    grouped=True)


def group_problems(records: pd.DataFrame) -> list[tuple[int, str, str]]:
    """(position, field, message) for the stations of one well that cannot make its survey:
    a depth not above the one before (out of order, or the same depth twice), and survey
    fields that differ from the first station's."""
    rows = records.index.to_numpy()
    depths = records["measuredDepth"].to_numpy(dtype=float)
    problems = []
    for position in np.flatnonzero(depths[1:] <= depths[:-1]) + 1:
        before = rows[position - 1]
        if depths[position] == depths[position - 1]:
            message = f"duplicate depth {depths[position]:g}: row {before} is at the same depth"
        else:
            message = (f"{depths[position]:g} comes after {depths[position - 1]:g} (row "
                       f"{before}): stations must be in measured-depth order (ORDER BY the "
                       "well, then measuredDepth)")
        problems.append((position, "measuredDepth", message))
    for name in SURVEY_FIELDS:
        if name not in records:
            continue
        values = records[name].tolist()
        for position, value in enumerate(values):
            if value != values[0]:
                problems.append((position, name, f"{value!r} differs from {values[0]!r} at row "
                                                 f"{rows[0]}: one survey has one {name}"))
    return problems


def document(records: pd.DataFrame) -> dict:
    """The POST body of one well's survey, from its stations (normalised, in depth order)."""
    first = records.iloc[0]
    body = {name: first[name] for name in ("chosenID", "dataSource", *SURVEY_FIELDS)
            if name in records and first[name] is not None}
    body.update({name: records[name].tolist() for name in MEASURES})
    return body


def stations(arrays: dict) -> dict[float, tuple]:
    """{measured depth: the station's eight measures} from a survey's eight arrays."""
    return {row[0]: row for row in zip(*(arrays[name] for name in MEASURES), strict=True)}


def _arrays(rows: list[tuple]) -> dict[str, list]:
    return {name: [row[n] for row in rows] for n, name in enumerate(MEASURES)}


def changes(wanted: dict, held: dict) -> dict:
    """The PUT /{id} body that turns the survey ComboCurve holds (`held`, as GET answers it)
    into `wanted` (a POST body): stations at new depths added, stations whose measures differ
    updated, depths the query no longer has removed."""
    want, have = stations(wanted), stations(held)
    body = {name: wanted[name] for name in ("dataSource", "spatialDataType") if name in wanted}
    added = [row for depth, row in want.items() if depth not in have]
    updated = [row for depth, row in want.items() if depth in have and have[depth] != row]
    removed = [depth for depth in have if depth not in want]
    if added:
        body["add"] = _arrays(added)
    if updated:
        body["update"] = _arrays(updated)
    if removed:
        body["remove"] = removed
    return body
