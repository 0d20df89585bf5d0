"""Reading lists like the API: take, skip, sort, cursor, filters, and the Link header.

As the 2023 server pages (`src/api/v1/pagination.ts`): a GET without `skip` whose sort allows a
cursor answers with cursor links (`next` carries `cursor=<base64>`, `first` none); otherwise
with skip links (`next`, `prev`, `first`). HEAD knows the total, so it answers `X-Query-Count`
and skip links with `last` too. Links are `<url>;rel="next"`, comma-separated, no spaces,
which is what the official client's `<([^<>]+)>;rel="([^"]+)"` reads.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from .fields import DATA_SOURCES, OBJECT_ID, iso, parse_date

_OPERATORS = ("gt", "ge", "lt", "le")
_KEYED_FILTER = re.compile(r"(\w+)\[(\w*)\]")
_UNESCAPED = "!'()*"  # besides letters, digits and -_.~, as Node's querystring leaves them


class QueryError(Exception):
    """A query the API refuses with a whole-request 400: (name, message)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


@dataclass(frozen=True)
class Filter:
    """A query filter: how its values read and compare, and how many values it takes."""

    kind: str  # "text", "id", "source", "moment" (createdAt/updatedAt), "day" (row date)
    max_values: int = 1


@dataclass(frozen=True)
class ListSpec:
    """How one collection reads: its limits, read-quota cost, filters and sorts."""

    max_take: int
    default_take: int
    cost: int
    filters: dict[str, Filter]
    sortable: tuple[str, ...]
    cursor_sort: str | None  # the sort field a cursor may follow ("id"), None: the default only
    default_order: tuple[str, int] | None  # ("id", -1), or None: the store's (well, date) order
    date_key: Callable[[date], date] | None = None  # a row date's key (its day or its month)
    extra: tuple[str, ...] = ()  # query parameters of the collection's own, e.g. `measures`


@dataclass
class ListQuery:
    """A parsed GET or HEAD query."""

    skip: int
    take: int
    skip_given: bool
    sort: tuple[str, int] | None
    cursor: str | None
    conditions: list[tuple[str, str, Any]] = field(default_factory=list)  # (field, op, value)
    options: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # as sent, for the links


def _number(raw: str, low: int, high: float) -> int:
    """skip and take, read as the 2023 server does: a number (TypeError), in range (ValueError)."""
    try:
        value = float(raw)
    except ValueError:
        raise QueryError("TypeError", f"`{raw}` is not a valid number") from None
    if not math.isfinite(value) or value != int(value):
        raise QueryError("TypeError", f"`{raw}` is not a valid integer")
    if not low <= value <= high:
        message = f"`{raw}` is out of the valid range. Must be between {low} and {high:g}"
        raise QueryError("ValueError", message)
    return int(value)


def _sort(raw: str, spec: ListSpec) -> tuple[str, int]:
    match = re.fullmatch(r"([+-]?)(\w+)", raw)
    if not match or match[2] not in spec.sortable:
        message = f"`{raw}` is not a valid sort parameter; sortable: {', '.join(spec.sortable)}"
        raise QueryError("TypeError", message)
    return match[2], -1 if match[1] == "-" else 1


def check_object_id(raw: str) -> None:
    """An id filter's value must be an ObjectId."""
    if not OBJECT_ID[0](raw):
        raise QueryError("TypeError", f"`{raw}` is not a valid ObjectId")


def _known_filter(name: str, filters: Mapping[str, Any]) -> None:
    if name not in filters:
        raise QueryError("FieldNameError", f"Unrecognized filter `{name}`")


def filter_values(items: Iterable[tuple[str, Any]], limits: Mapping[str, int]) -> dict[str, list]:
    """{filter: its distinct values, in the order sent} of (filter, value) items, as lists and
    deletes read them: a filter must be one of `limits`, with no more values than its limit.
    `items` is read lazily, so a caller's own refusals keep their place among these."""
    values: dict[str, list] = {}
    for name, value in items:
        _known_filter(name, limits)
        if value not in values.setdefault(name, []):
            values[name].append(value)
    for name, found in values.items():
        if len(found) > limits[name]:
            message = f"Can't filter by `{name}` with more than {limits[name]} values"
            raise QueryError("FieldNameError", message)
    return values


def _filter_value(name: str, kind: str, raw: str, spec: ListSpec) -> Any:
    """A filter value as it compares against stored records."""
    if kind == "id":
        check_object_id(raw)
    if kind == "source" and raw not in DATA_SOURCES:
        choices = "`, `".join(DATA_SOURCES)
        message = f"`{raw}` is not a valid value for `{name}`. Valid choices: `{choices}`."
        raise QueryError("ValueError", message)
    if kind in ("moment", "day"):
        moment = parse_date(raw)
        if moment is None:
            raise QueryError("TypeError", f"`{raw}` is not a valid ISO date")
        return spec.date_key(moment.date()) if kind == "day" else iso(moment)
    return raw


def parse_query(pairs: list[tuple[str, str]], spec: ListSpec, *, head: bool) -> ListQuery:
    """A GET (or HEAD: no sort, no cursor) query, checked as the API checks it."""
    params: dict[str, str] = {}
    conditions = []
    controls = ("skip", "take") if head else ("skip", "take", "sort", "cursor")

    def plain_filters() -> Iterator[tuple[str, Any]]:
        """Reads every pair: keeps the controls and the operator conditions, yields the rest."""
        for key, raw in pairs:
            if key in controls or key in spec.extra:
                params[key] = raw
                continue
            keyed = _KEYED_FILTER.fullmatch(key)
            name, op = (keyed[1], keyed[2]) if keyed else (key, "")
            _known_filter(name, spec.filters)
            rule = spec.filters[name]
            if op and (op not in _OPERATORS or rule.kind not in ("moment", "day")):
                message = f"`{op}` is not an allowed operator for `{name}`"
                raise QueryError("OperatorError", message)
            value = _filter_value(name, rule.kind, raw, spec)
            if op:
                conditions.append((name, op, value))
            else:
                yield name, value

    limits = {name: rule.max_values for name, rule in spec.filters.items()}
    values = filter_values(plain_filters(), limits)
    conditions += [(name, "in", allowed) for name, allowed in values.items()]
    if "skip" in params and "cursor" in params:
        raise QueryError("ValidationError", "Can only use `skip` or `cursor` but not both at once")
    sort = _sort(params["sort"], spec) if "sort" in params else None
    cursor = params.get("cursor")
    if cursor is not None and sort is not None and sort[0] != spec.cursor_sort:
        raise QueryError("ValidationError", f"`cursor` can't be used when sorting by `{sort[0]}`")
    return ListQuery(
        skip=_number(params["skip"], 0, math.inf) if "skip" in params else 0,
        take=_number(params["take"], 1, spec.max_take) if "take" in params else spec.default_take,
        skip_given="skip" in params,
        sort=sort,
        cursor=_decode_cursor(cursor) if cursor is not None else None,
        conditions=conditions,
        options={name: params[name] for name in spec.extra if name in params},
        pairs=pairs,
    )


def _decode_cursor(raw: str) -> str:
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise QueryError("TypeError", f"`{raw}` is not a valid cursor") from None


def _encode_cursor(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _row_key(record: dict) -> str:
    """A production row's place in the default (well, date) order, as a cursor holds it."""
    return f"{record['well']}|{record['date'][:10]}"


def _compare(stored: Any, op: str, wanted: Any) -> bool:
    if stored is None:
        return False
    if op == "in":
        return stored in wanted
    return {"gt": stored > wanted, "ge": stored >= wanted, "lt": stored < wanted,
            "le": stored <= wanted}[op]


def _matches(record: dict, conditions: list, spec: ListSpec) -> bool:
    for name, op, wanted in conditions:
        stored = record.get(name)
        if spec.filters[name].kind == "day":
            stored = spec.date_key(date.fromisoformat(stored[:10]))
        if not _compare(stored, op, wanted):
            return False
    return True


def _sort_value(value: Any) -> tuple:
    """Missing values first, as Mongo sorts them; then numbers, then text."""
    if value is None:
        return (0, 0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))


def select(records: Iterable[dict], spec: ListSpec, query: ListQuery) -> tuple[list, bool, str]:
    """One page of `records` (given in the store's order): (page, more after it, the cursor
    of its next page). The cursor is "" when this query pages by skip. In the store's own
    order the records are read only as far as the page needs."""
    field_name, direction = query.sort or spec.default_order or ("", 1)
    key = (lambda record: record["id"]) if field_name == "id" else _row_key
    rows: Iterable[dict] = (record for record in records
                            if _matches(record, query.conditions, spec))
    if query.cursor is not None:
        cursor = query.cursor
        rows = (record for record in rows
                if (key(record) < cursor if direction < 0 else key(record) > cursor))
    if query.sort is not None:
        rows = sorted(rows, key=lambda record: _sort_value(record.get(field_name)),
                      reverse=direction < 0)
    elif direction < 0:
        rows = list(rows)[::-1]
    end = query.skip + query.take
    window = list(itertools.islice(rows, end + 1))
    page, has_next = window[query.skip : end], len(window) > end
    by_cursor = query.sort is None or query.sort[0] == spec.cursor_sort
    if by_cursor and page and (query.cursor is not None or not query.skip_given):
        return page, has_next, _encode_cursor(key(page[-1]))
    return page, has_next, ""


def count(records: Iterable[dict], spec: ListSpec, query: ListQuery) -> int:
    return sum(1 for record in records if _matches(record, query.conditions, spec))


def _url(origin: str, path: str, pairs: list[tuple[str, str]], updates: dict) -> str:
    """The request's URL without its cursor, `updates` set in place or added at the end: the
    order in which Node's url.format writes the 2023 server's links."""
    pending = dict(updates)
    kept = [(key, str(pending.pop(key)) if key in pending else value)
            for key, value in pairs if key != "cursor"]
    kept += [(key, str(value)) for key, value in pending.items()]
    return f"{origin}{path}?{urlencode(kept, quote_via=quote, safe=_UNESCAPED)}"


def link_header(origin: str, path: str, query: ListQuery, *, has_next: bool, cursor: str = "",
                total: int | None = None) -> str:
    """The Link header: cursor links when a cursor was made, skip links otherwise."""
    pairs, skip, take = query.pairs, query.skip, query.take
    def url(**updates: Any) -> str:
        return _url(origin, path, pairs, updates)

    if cursor:
        links = {"next": url(cursor=cursor, take=take) if has_next else None,
                 "first": url(take=take)}
    else:
        if total is not None:
            has_next = skip + take < total
        links = {"next": url(skip=skip + take, take=take) if has_next else None,
                 "prev": url(skip=max(skip - take, 0), take=take) if skip > 0 else None,
                 "first": url(skip=0, take=take)}
        if total is not None:
            last = (math.ceil((total - skip) / take) - 1) * take + skip
            links["last"] = url(skip=max(last, 0), take=take)
    return ",".join(f'<{url}>;rel="{rel}"' for rel, url in links.items() if url)
