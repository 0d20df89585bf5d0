"""Directional surveys: the body checks of POST and PUT /{id}, and the station merges.

A survey is one document per well: eight equal-length arrays, one entry per station, kept in
measured-depth order. Stations are keyed by their measured depth: PUT `add` inserts stations
whose depth is new, `update` replaces stations whose depth exists, `remove` lists depths to
drop, in that order, as the 2023 server does; any error leaves the survey as it was.
"""

from __future__ import annotations

from typing import Any

from .fields import DATA_SOURCES, OBJECT_ID, error

MEASURES = ("measuredDepth", "trueVerticalDepth", "azimuth", "inclination", "deviationEW",
            "deviationNS", "latitude", "longitude")
_NON_NEGATIVE = ("measuredDepth", "trueVerticalDepth", "azimuth", "inclination")
SPATIAL_DATA_TYPES = ("NAD27", "NAD83", "WGS84")
# The 2023 server's own spelling of the data sources, next to the wells' one: both name a well.
_SOURCE_ALIASES = {"DI": "di", "Enverus": "di", "Aries": "aries", "IHS": "ihs",
                   "Internal": "internal", "PDWin": "phdwin", "Other": "other"}
_CREATE_FIELDS = ("chosenID", "dataSource", "spatialDataType", *MEASURES, "projectID")
_UPDATE_FIELDS = ("spatialDataType", "dataSource", "update", "add", "remove")


def well_source(data_source: Any) -> str | None:
    """The wells' dataSource a survey's dataSource names, or None when it names none."""
    if data_source in DATA_SOURCES:
        return data_source
    return _SOURCE_ALIASES.get(data_source) if isinstance(data_source, str) else None


def _unknown(body: dict, known: tuple[str, ...], prefix: str = "") -> list[dict]:
    return [error("FieldNameError", f"`{name}` is not a valid field name", f"{prefix}{name}")
            for name in body if name not in known]


def _number_list_errors(name: str, value: Any, where: str) -> list[dict]:
    if not isinstance(value, list):
        return [error("TypeError", f"`{name}` must be an array of numbers", where)]
    return [error("TypeError", f"`{name}` must hold JSON numbers only", f"{where}[{n}]")
            for n, item in enumerate(value)
            if not isinstance(item, int | float) or isinstance(item, bool)]


def _measures_errors(measures: dict, prefix: str) -> list[dict]:
    """The eight arrays: present, numbers, non-empty, equal length, in range, depths unique."""
    errors = [error("RequiredFieldError", f"Missing required field: `{prefix}{name}`", prefix)
              for name in MEASURES if measures.get(name) is None]
    for name in MEASURES:
        if measures.get(name) is not None:
            errors += _number_list_errors(name, measures[name], f"{prefix}{name}")
    if errors:
        return errors
    depths = measures["measuredDepth"]
    if not depths:
        return [error("RequiredFieldError", "The measures must not be empty", prefix)]
    for name in MEASURES:
        if len(measures[name]) != len(depths):
            message = f"`{prefix}{name}` must have as many entries as `{prefix}measuredDepth`"
            errors.append(error("RequestStructureError", message, f"{prefix}{name}"))
    if errors:
        return errors
    for name in _NON_NEGATIVE:
        if any(value < 0 for value in measures[name]):
            message = f"`{prefix}{name}` must hold values of 0 or more only"
            errors.append(error("RequestStructureError", message, f"{prefix}{name}"))
    for n, (lat, long) in enumerate(zip(measures["latitude"], measures["longitude"], strict=True)):
        if not (-90 <= lat <= 90 and -180 <= long <= 180):
            message = f"The coordinates [{lat},{long}] are not valid latitude and longitude"
            errors.append(error("RequestStructureError", message, f"coordinates[{n}]"))
    if any(value > 180 for value in measures["inclination"]):
        message = f"`{prefix}inclination` must hold values of 180 or less only"
        errors.append(error("RequestStructureError", message, f"{prefix}inclination"))
    if len(set(depths)) != len(depths):
        message = f"`{prefix}measuredDepth` holds the same depth twice"
        errors.append(error("RequestStructureError", message, f"{prefix}measuredDepth"))
    return errors


def _enum_errors(body: dict, name: str, accepts: Any, choices: str) -> list[dict]:
    value = body.get(name)
    if value is None or accepts(value):
        return []
    message = f"`{name}` must be one of {choices}"
    return [error("RequestStructureError", message, name)]


def _spatial_errors(body: dict) -> list[dict]:
    return _enum_errors(body, "spatialDataType", SPATIAL_DATA_TYPES.__contains__,
                        ", ".join(SPATIAL_DATA_TYPES))


def _source_errors(body: dict) -> list[dict]:
    choices = ", ".join((*DATA_SOURCES, *_SOURCE_ALIASES))
    return _enum_errors(body, "dataSource", lambda value: well_source(value) is not None, choices)


def check_create(body: dict) -> list[dict]:
    """POST: one survey document for one well, named by chosenID and dataSource."""
    errors = _unknown(body, _CREATE_FIELDS)
    for name in ("chosenID", "dataSource", "spatialDataType"):
        if not body.get(name):
            errors.append(error("RequiredFieldError", f"Missing required field: `{name}`", ""))
        elif not isinstance(body[name], str):
            errors.append(error("TypeError", f"`{name}` must be a JSON string", name))
    project = body.get("projectID")
    if project is not None and not (isinstance(project, str) and OBJECT_ID[0](project)):
        errors.append(error("TypeError", "`projectID` must be a 24-character hex id", "projectID"))
    if errors:
        return errors
    return _spatial_errors(body) + _source_errors(body) + _measures_errors(body, "")


def check_update(body: dict) -> list[dict]:
    """PUT /{id}: `add` and `update` hold all eight arrays, `remove` a list of depths."""
    errors = _unknown(body, _UPDATE_FIELDS)
    for name in ("add", "update"):
        part = body.get(name)
        if part is None:
            continue
        if not isinstance(part, dict):
            errors.append(error("TypeError", f"`{name}` must be a JSON object", name))
        else:
            errors += _unknown(part, MEASURES, f"{name}.") + _measures_errors(part, f"{name}.")
    remove = body.get("remove")
    if remove is not None:
        problems = _number_list_errors("remove", remove, "remove")
        if not problems and any(depth < 0 for depth in remove):
            message = "`remove` must hold values of 0 or more only"
            problems = [error("RequestStructureError", message, "remove")]
        errors += problems
    if body.get("add") is not None and body.get("spatialDataType") is None:
        errors.append(error("RequiredFieldError", "Missing required field: `spatialDataType`", ""))
    return errors + _spatial_errors(body) + _source_errors(body)


def stations(measures: dict) -> dict[float, tuple]:
    """{measured depth: the station's eight values} from the eight arrays."""
    return {row[0]: row for row in zip(*(measures[name] for name in MEASURES), strict=True)}


def arrays(by_depth: dict[float, tuple]) -> dict[str, list]:
    """The eight arrays, in measured-depth order, from {measured depth: station}."""
    rows = [by_depth[depth] for depth in sorted(by_depth)]
    return {name: [row[n] for row in rows] for n, name in enumerate(MEASURES)}


def _depth_errors(depths: list, must_exist: bool, name: str, where: str, held: dict) -> list:
    """An error for each depth the survey lacks (`must_exist`) or holds already (not)."""
    verb = "is not in the survey" if must_exist else "is in the survey already"
    return [error(name, f"The measured depth {depth} {verb}", f"{where}[{n}]")
            for n, depth in enumerate(depths) if (depth in held) is not must_exist]


def merge(measures: dict, body: dict) -> tuple[list[dict], dict]:
    """Apply add, update and remove to a stored survey's arrays: (errors, the new arrays)."""
    held = stations(measures)
    errors = []
    if body.get("add") is not None:
        added = stations(body["add"])
        errors += _depth_errors(list(added), False, "AddDuplicateItemError",
                                "add.measuredDepth", held)
        held.update(added)
    if body.get("update") is not None:
        updated = stations(body["update"])
        errors += _depth_errors(list(updated), True, "UpdateNotFoundItemError",
                                "update.measuredDepth", held)
        held.update(updated)
    removed = body.get("remove") or []
    errors += _depth_errors(removed, True, "DeleteNotFoundItemError", "remove", held)
    for depth in removed:
        held.pop(depth, None)
    return errors, arrays(held)
