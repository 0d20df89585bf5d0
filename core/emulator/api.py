"""The API behind the gateway: routes, request bodies, and one handler per endpoint.

The Emulator (the gateway) has already checked the route's method, the credentials and the
quotas when a request reaches `Api.answer`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from email.message import Message
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson

from . import paging, surveys
from .fields import DAILY_FIELDS, DATA_SOURCES, MONTHLY_FIELDS, OBJECT_ID, error, parse_date
from .ownership import check_qualifier
from .paging import Filter, ListSpec, QueryError
from .records import (
    Check,
    check_well,
    check_well_patch,
    failure,
    first_source,
    mark_duplicates,
    production_check,
    validate,
)
from .replies import Reply, json_reply, request_error, timestamp
from .store import (
    DAILY,
    DATE_KEYS,
    HIDDEN,
    MONTHLY,
    PRODUCTIONS,
    QUALIFIERS,
    SURVEYS,
    WELLS,
    Store,
    day_key,
    month_key,
)

MAX_BODY_BYTES = 24_000_000  # "24 MB" read strictly, so a client that fits here fits there
MAX_QUALIFIER_KEYS = 10
_MAX_RECORDS = {WELLS: 1000, DAILY: 20000, MONTHLY: 20000, QUALIFIERS: 500}
_ROW_CHECKS: dict[str, Check] = {DAILY: production_check(DAILY_FIELDS),
                                 MONTHLY: production_check(MONTHLY_FIELDS)}
_PERIOD = {DAILY: "day", MONTHLY: "month"}

# The methods of each collection and of each of its items (/v1/<collection>/<id>).
ROUTES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    WELLS: (frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"}), frozenset({"GET", "DELETE"})),
    DAILY: (frozenset({"GET", "HEAD", "PUT", "DELETE"}), frozenset()),
    MONTHLY: (frozenset({"GET", "HEAD", "PUT", "DELETE"}), frozenset()),
    SURVEYS: (frozenset({"GET", "HEAD", "POST"}), frozenset({"GET", "PUT", "DELETE"})),
    QUALIFIERS: (frozenset({"GET", "HEAD", "PUT"}), frozenset({"GET"})),
}
_WRITES = frozenset({"PUT", "PATCH", "POST"})

_TEXT_100 = Filter("text", 100)
_MOMENTS = {"createdAt": Filter("moment"), "updatedAt": Filter("moment")}


def _rows_spec(date_key: Callable[[date], date]) -> ListSpec:
    """Daily and monthly rows read alike; only what a date's key is differs."""
    return ListSpec(
        max_take=20000, default_take=25, cost=1,
        filters={"well": Filter("id", 100), "date": Filter("day"), **_MOMENTS},
        sortable=("well", "date", "createdAt", "updatedAt"), cursor_sort=None,
        default_order=None, date_key=date_key)


SPECS = {
    WELLS: ListSpec(
        max_take=1000, default_take=25, cost=4,
        filters={**{name: _TEXT_100 for name in ("chosenID", "api10", "api12", "api14", "county",
                                                  "state", "wellName", "currentOperator")},
                 "dataSource": Filter("source"), "inptID": Filter("text"), **_MOMENTS},
        sortable=("id", "api10", "api12", "api14", "county", "currentOperator", "firstProdDate",
                  "state", "wellName", "chosenID", "inptID", "dataSource",
                  "mostRecentImportDate", "createdAt", "updatedAt"),
        cursor_sort="id", default_order=("id", -1)),
    DAILY: _rows_spec(day_key),
    MONTHLY: _rows_spec(month_key),
    SURVEYS: ListSpec(
        max_take=100, default_take=25, cost=4,
        filters={"well": Filter("id"), "chosenID": Filter("text"), "dataSource": Filter("source"),
                 "project": Filter("id")},
        sortable=("id", "well", "project"), cursor_sort="id", default_order=("id", -1),
        extra=("measures",)),
    QUALIFIERS: ListSpec(
        max_take=200, default_take=100, cost=1,
        filters={"well": Filter("id"), "chosenID": Filter("text"),
                 "qualifierKey": Filter("text"), **_MOMENTS},
        sortable=("id", "well", "chosenID", "qualifierKey", "createdAt", "updatedAt"),
        cursor_sort="id", default_order=("id", -1)),
}
_ITEM_READ_COST = {WELLS: 1, SURVEYS: 0, QUALIFIERS: 1}


class Settings(Protocol):
    """What the API reads from its owner, the Emulator, at each request."""

    store: Store
    sink: bool
    drop_negative_volumes: bool

    def count_sink(self, records: int) -> None: ...


@dataclass
class Request:
    method: str
    resource: str
    item: str | None  # the id of /v1/<resource>/<id>
    query: str
    headers: Message
    body: bytes | None  # None: larger than MAX_BODY_BYTES
    origin: str  # scheme://host, as the client reached us: the base of the Link URLs
    log: Any  # the RequestRecord, to note the record count and the first dataSource in


def route(path: str) -> tuple[str, str | None] | None:
    """(resource, item id or None) for a path of the API, or None."""
    parts = path.split("/")
    if len(parts) not in (3, 4) or parts[:2] != ["", "v1"] or parts[2] not in ROUTES:
        return None
    if len(parts) == 4:
        return (parts[2], parts[3]) if parts[3] and ROUTES[parts[2]][1] else None
    return parts[2], None


def allowed_methods(resource: str, item: str | None) -> frozenset[str]:
    return ROUTES[resource][item is not None]


def quota_cost(method: str, resource: str, item: str | None) -> tuple[str, int]:
    """("write" or "read", units): writes cost 1 each, reads by route; HEAD and DELETE cost
    nothing (the 2023 spec gives them no quota cost)."""
    if method in _WRITES:
        return "write", 1
    if method == "GET":
        return "read", _ITEM_READ_COST[resource] if item else SPECS[resource].cost
    return "read", 0


def _multi_status(results: list[dict]) -> Reply:
    succeeded = sum(result["status"] != "Error" for result in results)
    payload = {"results": results, "successCount": succeeded,
               "failedCount": len(results) - succeeded}
    return json_reply(207, payload)


def _sink_body(count: int) -> bytes:
    """A 207 accepting `count` records, built as bytes because benchmarks send 20000 at a time."""
    results = b",".join([b'{"status":"OK","code":200}'] * count)
    return b'{"results":[%s],"successCount":%d,"failedCount":0}' % (results, count)


def _bad_id(value: str) -> Reply | None:
    if OBJECT_ID[0](value):
        return None
    return request_error(400, "TypeError", f"`{value}` is not a valid ObjectId")


class Api:
    """Every endpoint, over the store its owner holds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._handlers: dict[tuple[str, bool, str], Callable[[Request], Reply]] = {
            (WELLS, False, "PUT"): lambda r: self._write_wells(r, check_well, Store.replace_well),
            (WELLS, False, "PATCH"): lambda r: self._write_wells(r, check_well_patch,
                                                                 Store.patch_well),
            (WELLS, False, "DELETE"): self._delete_wells,
            (WELLS, True, "DELETE"): self._delete_well,
            (DAILY, False, "PUT"): self._write_rows,
            (MONTHLY, False, "PUT"): self._write_rows,
            (DAILY, False, "DELETE"): self._delete_rows,
            (MONTHLY, False, "DELETE"): self._delete_rows,
            (SURVEYS, False, "POST"): self._post_survey,
            (SURVEYS, True, "PUT"): self._put_survey,
            (SURVEYS, True, "DELETE"): self._delete_survey,
            (QUALIFIERS, False, "PUT"): self._write_qualifiers,
        }

    def answer(self, request: Request) -> Reply:
        key = (request.resource, request.item is not None, request.method)
        try:
            if key in self._handlers:
                return self._handlers[key](request)
            if request.item is not None:
                return self._get_item(request)
            return self._list(request, head=request.method == "HEAD")
        except QueryError as exc:
            return request_error(400, exc.name, exc.message)

    # -- bodies -----------------------------------------------------------------------------

    @staticmethod
    def _parse_body(request: Request) -> Any:
        """The JSON body, or the Reply refusing it: media type, size, strict JSON."""
        media_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return request_error(415, "UnsupportedMediaTypeError", "Send application/json")
        if request.body is None:
            message = f"The body is larger than {MAX_BODY_BYTES} bytes"
            return request_error(413, "PayloadTooLargeError", message)
        try:
            return orjson.loads(request.body)  # strict JSON: NaN and Infinity are refused
        except orjson.JSONDecodeError as exc:
            return request_error(400, "SyntaxError", f"Invalid JSON: {exc}")

    def _body(self, request: Request, shape: type) -> Any:
        """A body of the `shape` wanted, a list of records or one document (a dict); noted in
        the request log. Or the Reply refusing it."""
        body = self._parse_body(request)
        if isinstance(body, Reply):
            return body
        if not isinstance(body, shape):
            what = "an array of records" if shape is list else "an object"
            return request_error(400, "RequestStructureError", f"The body must be JSON {what}")
        records = body if shape is list else [body]
        request.log.record_count, request.log.data_source = len(records), first_source(records)
        return body

    def _records(self, request: Request) -> list | Reply:
        """An array body of 1..limit records (in sink mode, the 207 that counts them)."""
        records = self._body(request, list)
        if isinstance(records, Reply):
            return records
        limit = _MAX_RECORDS[request.resource]
        if not 1 <= len(records) <= limit:
            message = f"Send between 1 and {limit} records, not {len(records)}"
            return request_error(400, "RecordCountError", message)
        if self.settings.sink:
            self.settings.count_sink(len(records))
            return Reply(207, _sink_body(len(records)))
        return records

    # -- writes -----------------------------------------------------------------------------

    def _write_wells(self, request: Request, check: Check, write: Callable) -> Reply:
        """PUT (replace or create) and PATCH (change what is sent; the well must exist)."""
        records = self._records(request)
        if isinstance(records, Reply):
            return records
        checked = validate(records, check)
        now = timestamp()
        store = self.settings.store
        results = []
        with store.lock:
            for i, (record, (errors, fields)) in enumerate(zip(records, checked, strict=True)):
                if not errors:
                    errors, result = write(store, i, fields, now)
                results.append(failure(record, errors) if errors else result)
        return _multi_status(results)

    def _write_rows(self, request: Request) -> Reply:
        """Daily or monthly rows: resolve wells, refuse every copy of a (well, day or month)
        key, merge the rest."""
        records = self._records(request)
        if isinstance(records, Reply):
            return records
        resource = request.resource
        checked = validate(records, _ROW_CHECKS[resource])
        date_key, now = DATE_KEYS[resource], timestamp()
        drop_negative = self.settings.drop_negative_volumes
        store = self.settings.store
        with store.lock:
            wells = store.find_wells(checked, "WellNotFoundError")
            targets = {i: (well, date_key(parse_date(checked[i][1]["date"]).date()))
                       for i, well in wells.items()}
            keys = {i: (well["id"], day) for i, (well, day) in targets.items()}
            message = f"Several records for the same well and {_PERIOD[resource]}"
            mark_duplicates(checked, keys, "DuplicateProductionError", message)
            results = [
                failure(record, errors) if errors
                else store.merge_row(resource, *targets[i], fields, now, drop_negative)
                for i, (record, (errors, fields)) in enumerate(zip(records, checked, strict=True))
            ]
        return _multi_status(results)

    def _write_qualifiers(self, request: Request) -> Reply:
        """Ownership qualifiers: replace or create by (well, qualifierKey); at most
        MAX_QUALIFIER_KEYS distinct keys in the company."""
        records = self._records(request)
        if isinstance(records, Reply):
            return records
        checked = validate(records, check_qualifier)
        now, store = timestamp(), self.settings.store
        with store.lock:
            wells = store.find_wells(checked, "OwnershipQualifierNotFoundError")
            keys = {i: (well["id"], checked[i][1]["qualifierKey"]) for i, well in wells.items()}
            message = "More than one ownership qualifier for the same well and qualifier key"
            mark_duplicates(checked, keys, "DuplicateOwnershipQualifierError", message)
            known = store.qualifier_keys()
            for i, (errors, fields) in enumerate(checked):
                if errors or fields["qualifierKey"] in known:
                    continue
                if len(known) >= MAX_QUALIFIER_KEYS:
                    message = (f"Qualifier key limit exceeded. Up to {MAX_QUALIFIER_KEYS} "
                               "qualifier keys are allowed")
                    errors.append(error("OwnershipQualifierLimitError", message, f"[{i}]"))
                else:
                    known.add(fields["qualifierKey"])
            results = [
                failure(record, errors) if errors
                else store.replace_qualifier(wells[i], fields, now)
                for i, (record, (errors, fields)) in enumerate(zip(records, checked, strict=True))
            ]
        return _multi_status(results)

    @staticmethod
    def _survey_answer(status: int, errors: list[dict], chosen_id: Any = None) -> Reply:
        """A survey's answer: the 2023 server's {code, status, errors} document."""
        if isinstance(chosen_id, str):
            errors = [{**entry, "chosenID": chosen_id} for entry in errors]
        label = {200: "updated", 201: "created", 404: ""}.get(status, "error")
        return json_reply(status, {"code": status, "status": label, "errors": errors})

    def _post_survey(self, request: Request) -> Reply:
        """One survey for one well, named by chosenID + dataSource. The answer holds no id,
        as the API's does not: find the survey with GET ?well=<id>."""
        body = self._body(request, dict)
        if isinstance(body, Reply):
            return body
        errors = surveys.check_create(body)
        if errors:
            return self._survey_answer(400, errors, body.get("chosenID"))
        store = self.settings.store
        with store.lock:
            named = {"chosenID": body["chosenID"],
                     "dataSource": surveys.well_source(body["dataSource"])}
            well = None if body.get("projectID") else store.find_well(named)
            if well is None:
                project = body.get("projectID") or "not-defined"
                message = (f"There is no well identified by this chosenID ({body['chosenID']}) "
                           f"and projectID ({project})")
                return self._survey_answer(400, [error("ValidationError", message, "")],
                                           body["chosenID"])
            measures = surveys.arrays(surveys.stations(body))
            store.save_survey(well, measures, body, timestamp())
        return self._survey_answer(201, [])

    def _put_survey(self, request: Request) -> Reply:
        """add, update, remove stations. As the 2023 server, a merge error leaves the survey as
        it was yet answers 200 "updated" with the errors listed: read `errors`, not the code."""
        bad_id = _bad_id(request.item)
        if bad_id:
            return bad_id
        body = self._body(request, dict)
        if isinstance(body, Reply):
            return body
        errors = surveys.check_update(body)
        if errors:
            return self._survey_answer(400, errors)
        store = self.settings.store
        with store.lock:
            survey = store.surveys.get(request.item)
            if survey is None:
                message = f"No directional survey was found with id `{request.item}`"
                return self._survey_answer(404, [{"name": "NotFoundError", "message": message,
                                                  "chosenID": request.item}])
            errors, measures = surveys.merge(survey, body)
            if not errors:
                survey.update(measures)
                if body.get("spatialDataType"):
                    survey["spatialDataType"] = body["spatialDataType"]
                survey["updatedAt"] = timestamp()
        return self._survey_answer(200, errors)

    # -- reads ------------------------------------------------------------------------------

    @staticmethod
    def _pairs(request: Request) -> list[tuple[str, str]]:
        return parse_qsl(request.query, keep_blank_values=True)

    @staticmethod
    def _shown(resource: str, record: dict, measures: bool = True) -> dict:
        """A copy of a stored record as GET shows it (a survey without its arrays when
        `measures` is false)."""
        hidden = HIDDEN.get(resource, ()) if measures else (*HIDDEN[resource], *surveys.MEASURES)
        return {name: value for name, value in record.items() if name not in hidden}

    def _selected_records(self, resource: str, query: paging.ListQuery) -> Iterable[dict]:
        """The stored records a query may match, in the store's order, read lazily under the
        store's lock: rows only of the wells named, and from the cursor's well on."""
        store = self.settings.store
        if resource not in PRODUCTIONS:
            return store.records(resource)
        by_well = store.productions[resource]
        named = next((value for name, _, value in query.conditions if name == "well"), by_well)
        wells = sorted(well for well in named if well in by_well)
        if query.cursor is not None and query.sort is None:
            wells = wells[bisect.bisect_left(wells, query.cursor.split("|")[0]):]
        return (by_well[well][day] for well in wells for day in sorted(by_well[well]))

    def _list(self, request: Request, *, head: bool) -> Reply:
        resource = request.resource
        spec = SPECS[resource]
        query = paging.parse_query(self._pairs(request), spec, head=head)
        if resource == SURVEYS:
            self._check_survey_query(query)
        path = f"/v1/{resource}"
        store = self.settings.store
        with store.lock:  # serialised inside: an edit() may change a nested object meanwhile
            records = self._selected_records(resource, query)
            if head:
                total = paging.count(records, spec, query)
            else:
                page, has_next, cursor = paging.select(records, spec, query)
                measures = query.options.get("measures", "true").lower() == "true"
                body = orjson.dumps([self._shown(resource, record, measures) for record in page])
        if head:
            link = paging.link_header(request.origin, path, query, has_next=False, total=total)
            return Reply(200, b"", {"Link": link, "X-Query-Count": str(total)})
        link = paging.link_header(request.origin, path, query, has_next=has_next, cursor=cursor)
        return Reply(200, body, {"Link": link})

    @staticmethod
    def _check_survey_query(query: paging.ListQuery) -> None:
        """A survey's well goes by `well`, or by chosenID and dataSource together."""
        named = {name for name, _, _ in query.conditions}
        if len(named & {"chosenID", "dataSource"}) == 1:
            message = "Incomplete filter selection: filter by chosenID and dataSource together"
            raise QueryError("RequestStructureError", message)
        if query.options.get("measures", "true").lower() not in ("true", "false"):
            raise QueryError("TypeError", f"`{query.options['measures']}` is not a valid Boolean")

    def _get_item(self, request: Request) -> Reply:
        bad_id = _bad_id(request.item)
        if bad_id:
            return bad_id
        resource, store = request.resource, self.settings.store
        table = {WELLS: store.wells, SURVEYS: store.surveys, QUALIFIERS: store.qualifiers}
        with store.lock:
            record = table[resource].get(request.item)
            if record is not None:
                return json_reply(200, self._shown(resource, record))
        if resource == SURVEYS:
            return json_reply(404, None)
        name = "WellNotFoundError" if resource == WELLS else "OwnershipQualifierNotFoundError"
        noun = "well" if resource == WELLS else "ownership qualifier"
        return request_error(404, name, f"No {noun} was found with id `{request.item}`")

    # -- deletes ----------------------------------------------------------------------------

    @staticmethod
    def _delete_filters(request: Request, limits: dict[str, int]) -> dict[str, list[str]]:
        """{filter: values} of a DELETE query, within each filter's count of values."""
        return paging.filter_values(parse_qsl(request.query, keep_blank_values=True), limits)

    @staticmethod
    def _deleted(count: int) -> Reply:
        return Reply(204, b"", {"X-Delete-Count": str(count)})

    def _delete_wells(self, request: Request) -> Reply:
        """By `id` (up to 100), or by `chosenID` (up to 100) and `dataSource`; a well takes
        its rows, survey and qualifiers with it."""
        found = self._delete_filters(request, {"id": 100, "chosenID": 100, "dataSource": 1})
        if "id" not in found and not {"chosenID", "dataSource"} <= found.keys():
            message = "Missing required filters: `id` or `dataSource` + `chosenID`"
            raise QueryError("RequiredFilterError", message)
        for well_id in found.get("id", []):
            paging.check_object_id(well_id)
        sources = found.get("dataSource", [])
        for source in sources:
            if source not in DATA_SOURCES:
                message = f"`{source}` is not a valid value for `dataSource`"
                raise QueryError("ValueError", message)
        store = self.settings.store
        with store.lock:
            doomed = [well["id"] for well in store.wells.values()
                      if ("id" not in found or well["id"] in found["id"])
                      and ("chosenID" not in found or well["chosenID"] in found["chosenID"])
                      and (not sources or well["dataSource"] in sources)]
            return self._deleted(store.delete_wells(doomed))

    def _delete_well(self, request: Request) -> Reply:
        bad_id = _bad_id(request.item)
        if bad_id:
            return bad_id
        with self.settings.store.lock:
            return self._deleted(self.settings.store.delete_wells([request.item]))

    def _delete_rows(self, request: Request) -> Reply:
        """One well's rows, between startDate and endDate inclusive (each end optional), by
        the same day or month a write keys them by."""
        found = self._delete_filters(request, {"well": 1, "startDate": 1, "endDate": 1})
        if "well" not in found:
            raise QueryError("RequiredFilterError", "Missing required filter: `well`")
        (well_id,) = found["well"]
        paging.check_object_id(well_id)
        date_key = DATE_KEYS[request.resource]
        ends: list[date | None] = []
        for name in ("startDate", "endDate"):
            raw = found.get(name, [None])[0]
            moment = parse_date(raw) if raw is not None else None
            if raw is not None and moment is None:
                raise QueryError("TypeError", f"`{raw}` is not a valid ISO date")
            ends.append(date_key(moment.date()) if moment else None)
        if None not in ends and ends[0] > ends[1]:
            start, end = found["startDate"][0], found["endDate"][0]
            raise QueryError("ValueError", f"`startDate` {start} is after `endDate` {end}")
        with self.settings.store.lock:
            return self._deleted(self.settings.store.delete_rows(request.resource, well_id, *ends))

    def _delete_survey(self, request: Request) -> Reply:
        bad_id = _bad_id(request.item)
        if bad_id:
            return bad_id
        with self.settings.store.lock:
            return self._deleted(self.settings.store.delete_survey(request.item))
