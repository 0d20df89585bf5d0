"""What the emulated ComboCurve holds for one company, keyed as the API keys each resource.

- wells: by id, and by (chosenID, dataSource); PUT replaces, PATCH changes what it names.
- daily and monthly rows: by well, then by the row's UTC day (daily) or month (monthly, kept
  as the 15th, the day the 2023 server stores for any date of a month); PUT merges.
- directional surveys: by id, one per well.
- ownership qualifiers: by id, and by (well, qualifierKey); PUT replaces.

Every record carries createdAt and updatedAt, set here. Ids are ObjectId-like (a timestamp, a
random part, a counter), so sorting by id sorts by creation, as on the API. The Store does no
locking itself: its owner holds `lock` around every call.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from .fields import PRODUCTION_IDENTITY, VOLUME_FIELDS, day_stamp, error, parse_date

WELLS = "wells"
DAILY = "daily-productions"
MONTHLY = "monthly-productions"
SURVEYS = "directional-surveys"
QUALIFIERS = "ownership-qualifiers"
RESOURCES = (WELLS, DAILY, MONTHLY, SURVEYS, QUALIFIERS)
PRODUCTIONS = (DAILY, MONTHLY)
# Held but not shown by GET: a row's or a survey's well identity, a survey's datum.
HIDDEN = {DAILY: ("chosenID", "dataSource"), MONTHLY: ("chosenID", "dataSource"),
          SURVEYS: ("chosenID", "dataSource", "spatialDataType")}
_KEYS = {WELLS: ("id", "chosenID", "dataSource"), DAILY: ("well", "date"),
         MONTHLY: ("well", "date"), SURVEYS: ("id", "well"),
         QUALIFIERS: ("id", "well", "qualifierKey")}


def day_key(day: date) -> date:
    return day


def month_key(day: date) -> date:
    """A month is kept as its 15th, as the 2023 server stores it: mid-month, so that no time
    zone moves it to another month."""
    return day.replace(day=15)


DATE_KEYS = {DAILY: day_key, MONTHLY: month_key}


def well_not_found(fields: dict) -> str:
    """The 2023 server's message for a well that a record names and that does not exist."""
    well_id = fields.get("well") or fields.get("id")
    named = f"id `{well_id}`" if well_id else (
        f"data source `{fields.get('dataSource')}` and chosen id `{fields.get('chosenID')}`")
    return f"No well was found with {named} in company scope"


class _ObjectIds:
    """24-hex ids that sort by creation: seconds, a random part, a counter."""

    def __init__(self) -> None:
        self._random = secrets.token_hex(5)
        self._counter = secrets.randbelow(1 << 23)
        self._second = 0

    def next(self) -> str:
        self._counter = (self._counter + 1) % (1 << 24)
        self._second = max(int(time.time()), self._second + (self._counter == 0))
        return f"{self._second:08x}{self._random}{self._counter:06x}"


def _get_path(record: dict, name: str) -> Any:
    """A field, or a nested one by dotted name (`ownership.initialOwnership.workingInterest`)."""
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _set_path(record: dict, name: str, value: Any) -> None:
    *parents, last = name.split(".")
    for part in parents:
        record = record.setdefault(part, {})
    if value is None:
        record.pop(last, None)
    else:
        record[last] = value


class Store:
    """Every resource of one company, with the API's write semantics."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wells: dict[str, dict] = {}
        self.well_ids: dict[tuple[str, str], str] = {}
        self.productions: dict[str, dict[str, dict[date, dict]]] = {DAILY: {}, MONTHLY: {}}
        self.surveys: dict[str, dict] = {}
        self.survey_of_well: dict[str, str] = {}
        self.qualifiers: dict[str, dict] = {}
        self.qualifier_ids: dict[tuple[str, str], str] = {}
        self._ids = _ObjectIds()

    # -- wells ------------------------------------------------------------------------------

    def find_well(self, fields: dict) -> dict | None:
        """The well a record names: by `well` id, else by chosenID and dataSource."""
        if "well" in fields:
            return self.wells.get(fields["well"])
        well_id = self.well_ids.get((fields.get("chosenID"), fields.get("dataSource")))
        return self.wells.get(well_id) if well_id else None

    def find_wells(self, checked: list[tuple[list[dict], dict]], not_found: str) -> dict[int, dict]:
        """{index: well} of the checked records without errors whose well exists; each other
        record without errors gets a `not_found` error."""
        wells = {}
        for i, (errors, fields) in enumerate(checked):
            if errors:
                continue
            well = self.find_well(fields)
            if well is None:
                errors.append(error(not_found, well_not_found(fields), f"[{i}]"))
            else:
                wells[i] = well
        return wells

    @staticmethod
    def _identity_errors(i: int, well: dict, fields: dict) -> list[dict]:
        """A well named by id keeps its chosenID and dataSource."""
        errors = []
        if fields.get("chosenID") not in (None, well["chosenID"]):
            message = f"Cannot change the identifier of well `{well['id']}`"
            errors.append(error("KeyFieldModificationError", message, f"[{i}]"))
        if fields.get("dataSource") not in (None, well["dataSource"]):
            message = f"Cannot change the dataSource of well `{well['id']}`"
            errors.append(error("KeyFieldModificationError", message, f"[{i}].dataSource"))
        return errors

    def replace_well(self, i: int, fields: dict, now: str) -> tuple[list[dict], dict]:
        """PUT: the stored well becomes exactly the sent fields (+ id, times). An `id` naming a
        well picks it; an unknown one is ignored and (chosenID, dataSource) keys the well."""
        fields = dict(fields)
        named = self.wells.get(fields.pop("id", None))
        if named is not None:
            errors = self._identity_errors(i, named, fields)
            if errors:
                return errors, {}
        key = (fields["chosenID"], fields["dataSource"])
        well_id = named["id"] if named else self.well_ids.get(key)
        created = well_id is None
        if created:
            well_id = self.well_ids[key] = self._ids.next()
        created_at = now if created else self.wells[well_id]["createdAt"]
        self.wells[well_id] = {"id": well_id, **fields, "createdAt": created_at, "updatedAt": now}
        return [], self._well_result("Created" if created else "OK", self.wells[well_id])

    def patch_well(self, i: int, fields: dict, now: str) -> tuple[list[dict], dict]:
        """PATCH: only the sent fields change; a null clears its field; the well must exist."""
        well = self.wells.get(fields["id"]) if "id" in fields else self.find_well(fields)
        if well is None:
            return [error("WellNotFoundError", well_not_found(fields), f"[{i}]")], {}
        fields = {name: value for name, value in fields.items() if name != "id"}
        errors = self._identity_errors(i, well, fields)
        if errors:
            return errors, {}
        for name, value in fields.items():
            _set_path(well, name, value)
        well["updatedAt"] = now
        return [], self._well_result("OK", well)

    @staticmethod
    def _well_result(status: str, well: dict) -> dict:
        return {
            "status": status,
            "code": 201 if status == "Created" else 200,
            "id": well["id"],
            "chosenID": well["chosenID"],
            "dataSource": well["dataSource"],
            "createdAt": well["createdAt"],
            "updatedAt": well["updatedAt"],
        }

    def delete_wells(self, ids: list[str]) -> int:
        """Delete wells and everything that hangs on them: rows, surveys, qualifiers."""
        deleted = 0
        for well_id in ids:
            well = self.wells.pop(well_id, None)
            if well is None:
                continue
            deleted += 1
            self.well_ids.pop((well["chosenID"], well["dataSource"]), None)
            for rows in self.productions.values():
                rows.pop(well_id, None)
            self.surveys.pop(self.survey_of_well.pop(well_id, ""), None)
            for key in [key for key in self.qualifier_ids if key[0] == well_id]:
                self.qualifiers.pop(self.qualifier_ids.pop(key))
        return deleted

    # -- daily and monthly rows --------------------------------------------------------------

    def merge_row(self, resource: str, well: dict, day: date, fields: dict, now: str,
                  drop_negative: bool) -> dict:
        """Upsert merging field by field: fields not sent (or null) keep their stored value.
        With `drop_negative`, negative volumes are dropped too, as the API does."""
        stamp = day_stamp(day)
        rows = self.productions[resource].setdefault(well["id"], {})
        row = rows.get(day)
        if row is None:
            row = rows[day] = {"well": well["id"], "chosenID": well["chosenID"],
                               "dataSource": well["dataSource"], "date": stamp,
                               "createdAt": now, "updatedAt": now}
        if drop_negative:
            fields = {name: value for name, value in fields.items()
                      if name not in VOLUME_FIELDS or value >= 0}
        row.update((name, value) for name, value in fields.items()
                   if name not in PRODUCTION_IDENTITY)
        row["updatedAt"] = now
        return {"status": "OK", "code": 200, "well": well["id"], "date": stamp}

    def delete_rows(self, resource: str, well_id: str, first: date | None,
                    last: date | None) -> int:
        """Delete a well's rows whose key lies in [first, last] (either end may be open)."""
        rows = self.productions[resource].get(well_id, {})
        doomed = [day for day in rows
                  if (first is None or day >= first) and (last is None or day <= last)]
        for day in doomed:
            del rows[day]
        return len(doomed)

    # -- directional surveys ----------------------------------------------------------------

    def save_survey(self, well: dict, measures: dict, body: dict, now: str) -> dict:
        """POST: the well's survey becomes these stations (one survey per well)."""
        survey_id = self.survey_of_well.get(well["id"])
        created_at = now if survey_id is None else self.surveys[survey_id]["createdAt"]
        if survey_id is None:
            survey_id = self.survey_of_well[well["id"]] = self._ids.next()
        self.surveys[survey_id] = {
            "id": survey_id, "well": well["id"], "project": "", **measures,
            "chosenID": well["chosenID"], "dataSource": well["dataSource"],
            "spatialDataType": body["spatialDataType"], "createdAt": created_at, "updatedAt": now,
        }
        return self.surveys[survey_id]

    def delete_survey(self, survey_id: str) -> int:
        survey = self.surveys.pop(survey_id, None)
        if survey is None:
            return 0
        self.survey_of_well.pop(survey["well"], None)
        return 1

    # -- ownership qualifiers ---------------------------------------------------------------

    def qualifier_keys(self) -> set[str]:
        return {key for _, key in self.qualifier_ids}

    def replace_qualifier(self, well: dict, fields: dict, now: str) -> dict:
        """PUT: the (well, qualifierKey) document becomes the sent one (+ id, times)."""
        key = (well["id"], fields["qualifierKey"])
        qualifier_id = self.qualifier_ids.get(key)
        created_at = now if qualifier_id is None else self.qualifiers[qualifier_id]["createdAt"]
        if qualifier_id is None:
            qualifier_id = self.qualifier_ids[key] = self._ids.next()
        self.qualifiers[qualifier_id] = {
            "id": qualifier_id, "well": well["id"], "chosenID": well["chosenID"],
            "dataSource": well["dataSource"], "qualifierKey": fields["qualifierKey"],
            "ownership": fields["ownership"], "createdAt": created_at, "updatedAt": now,
        }
        return {"status": "OK", "code": 200, "well": well["id"], "qualifierKey": key[1]}

    # -- reading, and edits from elsewhere --------------------------------------------------

    def records(self, resource: str) -> Iterator[dict]:
        """The stored records (not copies) in the API's own order: by id, rows by well and
        date."""
        if resource in PRODUCTIONS:
            by_well = self.productions[resource]
            for well_id in sorted(by_well):
                rows = by_well[well_id]
                for day in sorted(rows):
                    yield rows[day]
        else:
            yield from {WELLS: self.wells, SURVEYS: self.surveys,
                        QUALIFIERS: self.qualifiers}[resource].values()

    def matching(self, resource: str, where: dict) -> list[dict]:
        """The records whose fields equal `where` (a row's `date`: any date of its day/month)."""
        if resource not in RESOURCES:
            raise ValueError(f"no resource {resource!r}; one of {', '.join(RESOURCES)}")
        wanted = dict(where)
        if resource in PRODUCTIONS and "date" in wanted:
            moment = parse_date(str(wanted["date"]))
            if moment is None:
                raise ValueError(f"not a date: {wanted['date']!r}")
            wanted["date"] = day_stamp(DATE_KEYS[resource](moment.date()))
        return [record for record in self.records(resource)
                if all(_get_path(record, name) == value for name, value in wanted.items())]

    def edit(self, resource: str, where: dict, changes: dict, now: str) -> int:
        """Change stored records as another writer would (a person in the UI): the fields in
        `changes` (dotted names reach into objects; None removes), and updatedAt."""
        keys = set(_KEYS[resource]).intersection(name.split(".")[0] for name in changes)
        if keys:
            raise ValueError(f"edit() can't change a record's key: {', '.join(sorted(keys))}")
        records = self.matching(resource, where)
        for record in records:
            for name, value in changes.items():
                _set_path(record, name, value)
            record["updatedAt"] = now
        return len(records)

    def remove(self, resource: str, where: dict) -> int:
        """Delete stored records as another writer would; a well takes what hangs on it."""
        records = self.matching(resource, where)
        if resource == WELLS:
            return self.delete_wells([record["id"] for record in records])
        for record in records:
            if resource in PRODUCTIONS:
                day = date.fromisoformat(record["date"][:10])
                self.delete_rows(resource, record["well"], day, day)
            elif resource == SURVEYS:
                self.delete_survey(record["id"])
            else:
                self.qualifier_ids.pop((record["well"], record["qualifierKey"]))
                del self.qualifiers[record["id"]]
        return len(records)
