"""Write schema/sample_data.sql: realistic, deterministic sample wells, daily and monthly
production, directional survey stations and ownership.

The data is generated rather than hand-written so it can be large enough to page through
(300 wells x 42 days = 12,600 daily rows) and still be reviewed as code. A fixed seed makes
the output byte-identical on every run, so the committed file and this script never disagree:

    python schema/generate_sample_data.py          # rewrites schema/sample_data.sql

The INSERT statements are plain multi-row VALUES lists that MySQL, PostgreSQL and SQLite all
accept. Edge cases the sync must survive are there on purpose: ids with leading zeros and
all-digit ids (they must stay strings), 12-character ids, names with quotes and non-ASCII
letters, NULL lateral lengths and counties, NULL and zero volumes.
"""

from __future__ import annotations

import argparse
import calendar
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20240101
START = datetime(2024, 1, 1)
DAYS = 42
BATCH = 500
OUTPUT = Path(__file__).with_name("sample_data.sql")

# state -> (API state code, well count, GOR range in MCF/BBL, water-oil ratio range)
STATES = {
    "TX": ("42", 110, (1.2, 5.0), (1.5, 6.0)),
    "NM": ("30", 55, (1.8, 5.5), (2.0, 6.0)),
    "ND": ("33", 50, (0.8, 2.2), (0.8, 2.0)),
    "OK": ("35", 35, (2.0, 15.0), (1.0, 4.0)),
    "CO": ("05", 30, (3.0, 8.0), (0.3, 1.5)),
    "WY": ("49", 20, (1.5, 6.0), (0.5, 2.0)),
}
# Real producing counties with their API county codes (the FIPS county codes).
COUNTIES = {
    "TX": "Andrews 003, DeWitt 123, Glasscock 173, Gonzales 177, Howard 227, Karnes 255, "
    "La Salle 283, Loving 301, Martin 317, Midland 329, Reagan 383, Reeves 389, Upton 461, "
    "Ward 475, Webb 479",
    "NM": "Eddy 015, Lea 025, Rio Arriba 039, San Juan 045",
    "ND": "Burke 013, Divide 023, Dunn 025, McKenzie 053, Mountrail 061, Williams 105",
    "OK": "Blaine 011, Canadian 017, Garvin 049, Grady 051, Kingfisher 073, McClain 087, "
    "Stephens 137",
    "CO": "Adams 001, Garfield 045, Rio Blanco 103, Weld 123",
    "WY": "Campbell 005, Converse 009, Johnson 019, Laramie 021, Sublette 035",
}

LEASES = """
    SMITH JOHNSON WILLIAMS BROWN JONES MILLER DAVIS GARCIA RODRIGUEZ WILSON MARTINEZ ANDERSON
    TAYLOR THOMAS HERNANDEZ MOORE MARTIN JACKSON THOMPSON WHITE LOPEZ LEE HARRIS CLARK LEWIS
    WALKER HALL ALLEN YOUNG KING WRIGHT SCOTT GREEN BAKER ADAMS NELSON HILL CAMPBELL MITCHELL
    ROBERTS CARTER PHILLIPS EVANS TURNER TORRES PARKER COLLINS EDWARDS STEWART MORRIS MURPHY
    COOK ROGERS MORGAN COOPER PETERSON BAILEY REED KELLY HOWARD RAMOS COX WARD RICHARDSON
    WATSON BROOKS WOOD BENNETT GRAY HUGHES PRICE SANDERS MYERS LONG ROSS FOSTER POWELL
    UNIVERSITY SPRABERRY BLACKSTONE LONE_STAR RED_HILLS BUFFALO_CREEK MESA_VERDE EAGLE_RANCH
    CEDAR_LAKE SAND_DUNES WOLFBERRY HAWKVILLE PRAIRIE_DOG THREE_FORKS BIG_HORN
"""
# Names with quotes and non-ASCII letters, to exercise SQL quoting and utf8mb4 end to end.
AWKWARD_LEASES = ["O'BRIEN", "D'ARCY RANCH", "PEÑA", "NUÑEZ", "MÜLLER", "ZOË"]
OPERATORS = ["EOG", "PXD", "CLR", "DVN", "OXY", "FANG", "MRO", "COP", "XOM", "CVX"]
MEASURES_NULL_P = 0.025  # chance that one measure of one day is NULL (missing reading)
SHUT_IN_P = 0.01  # chance of a whole day at zero (well shut in)
MONTHS_BEFORE = 12  # monthly history before START's month (which comes from the daily rows)
SURVEYED_P = 0.4  # chance that a horizontal well has a directional survey
# Roughly the middle of each state's oil country, and the datum its surveys are in.
STATE_CENTERS = {"TX": (31.8, -102.4), "NM": (32.5, -103.9), "ND": (47.9, -103.4),
                 "OK": (35.6, -97.9), "CO": (40.3, -104.6), "WY": (43.3, -105.5)}
DATUMS = {"TX": "NAD27", "NM": "NAD27", "ND": "NAD83", "OK": "NAD83", "CO": "WGS84",
          "WY": "NAD83"}
SURVEY_COLUMNS = ["well", "datum", "md", "tvd", "inclination", "azimuth", "ns", "ew",
                  "latitude", "longitude"]
OWNERSHIP_COLUMNS = [
    "well", "qualifier", "deck_name", "wi", "nri", "lease_nri", "npi_type", "npi",
    *(f"rev{n}_{c}" for n in (1, 2) for c in ("type", "wi", "nri", "lease_nri", "npi", "date")),
]


def sql_value(value: object) -> str:
    """One portable SQL literal: NULL, a bare int, or a single-quoted string ('' for ')."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    if "\\" in text:  # MySQL reads backslashes as escapes by default; keep them out.
        raise ValueError(f"backslash in sample value {text!r}")
    return "'" + text.replace("'", "''") + "'"


def inserts(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Multi-row INSERT statements of at most BATCH rows each, one row per line."""
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n"
    batch: list[str] = []
    for row in rows:
        batch.append("(" + ", ".join(sql_value(v) for v in row) + ")")
        if len(batch) == BATCH:
            yield head + ",\n".join(batch) + ";\n"
            batch = []
    if batch:
        yield head + ",\n".join(batch) + ";\n"


def well_id(rng: random.Random, state: str, county_code: str, lease: str, n: int) -> str:
    """A chosenID-valid id (letters and digits, at most 12) in one of several house styles."""
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(OPERATORS)}{n:06d}"  # EOG104512
    if kind < 0.55:
        return f"0042{n:05d}"  # 004210457: all digits, leading zeros
    if kind < 0.65:
        return f"{n:012d}"  # 000000104512: all digits, 12 long
    if kind < 0.75:
        letters = "".join(c for c in lease if c.isascii() and c.isalpha())[:3].title()
        return f"{letters}{n:05d}"  # Smi04512: mixed case
    return f"{state}{county_code}{n:07d}"  # TX3290104512: 12 long


def well_name(rng: random.Random, lease: str) -> tuple[str, bool]:
    """A name like 'SMITH 12-3H' and whether the well is horizontal."""
    section, number = rng.randint(1, 36), rng.randint(1, 12)
    kind = rng.random()
    if kind < 0.70:
        return f"{lease} {section}-{number}H", True
    if kind < 0.85:
        return f"{lease} {rng.choice(['FED', 'STATE', 'UNIT'])} {section}-{number}H", True
    if kind < 0.95:
        return f"{lease} {number}H", True
    return f"{lease} {number}", False  # vertical: no lateral


def generate_wells(rng: random.Random) -> list[dict]:
    """About 300 wells across six states, each with its own decline parameters."""
    leases = [name.replace("_", " ") for name in LEASES.split()]
    wells: list[dict] = []
    ids: set[str] = set()
    names: set[str] = set()
    apis: set[str] = set()
    for state, (api_state, count, gor, wor) in STATES.items():
        counties = dict(item.rsplit(" ", 1) for item in COUNTIES[state].split(", "))
        for _ in range(count):
            county = rng.choice(sorted(counties))
            lease = rng.choice(AWKWARD_LEASES) if rng.random() < 0.04 else rng.choice(leases)
            while True:
                n = rng.randint(1, 199_999)
                wid = well_id(rng, state, counties[county], lease, n)
                name, horizontal = well_name(rng, lease)
                api = f"{api_state}{counties[county]}{rng.randint(0, 99_999):05d}"
                api += rng.choice(["0000", "0000", "0000", "0100"])  # sidetrack + event
                if wid not in ids and name not in names and api not in apis:
                    break
            ids.add(wid)
            names.add(name)
            apis.add(api)
            lateral = None
            if horizontal and rng.random() > 0.05:
                lateral = int(rng.triangular(4000, 12_000, 9_800) // 10 * 10)
            wells.append(
                {
                    "id": wid,
                    "well_name": name,
                    "perf_lateral_length": lateral,
                    "api_14": api,
                    "county": None if rng.random() < 0.05 else county,
                    "state": state,
                    # decline model, not stored: Arps hyperbolic, rates per day
                    "qi": math.exp(rng.gauss(math.log(600), 0.6)) * (1 if horizontal else 0.15),
                    "di": rng.uniform(1.0, 3.0),  # nominal initial decline, per year
                    "b": rng.uniform(0.9, 1.3),
                    "age": rng.randint(0, 30) if rng.random() < 0.15 else rng.randint(31, 900),
                    "gor": rng.uniform(*gor),
                    "wor": rng.uniform(*wor),
                }
            )
    return wells


def oil_rate(well: dict, day: int) -> float:
    """The well's oil rate (BBL/D) on `day` days after START (Arps hyperbolic decline)."""
    years = (well["age"] + day) / 365
    return well["qi"] / (1 + well["b"] * well["di"] * years) ** (1 / well["b"])


def uptime(rng: random.Random) -> float:
    """The share of a day a well produced: mostly all of it, sometimes part, rarely none."""
    if rng.random() < SHUT_IN_P:
        return 0.0
    if rng.random() < 0.03:
        return rng.uniform(0.3, 0.8)  # part of the day down
    return 1.0


def daily_rows(rng: random.Random, wells: list[dict]) -> Iterator[tuple]:
    """Rows ordered by date then well id, so the first 1000 rows cover every well."""
    by_id = sorted(wells, key=lambda w: w["id"])
    for day in range(DAYS):
        date = START + timedelta(days=day)
        for w in by_id:
            oil = oil_rate(w, day)
            up = uptime(rng)
            volumes = [
                oil,
                oil * w["gor"],
                oil * w["wor"] * (1 + 0.002 * day),
            ]
            values = []
            for volume in volumes:
                noisy = max(0.0, volume * up * rng.gauss(1, 0.06))
                values.append(None if rng.random() < MEASURES_NULL_P else round(noisy))
            yield (w["id"], date, *values)


def monthly_rows(rng: random.Random, wells: list[dict], daily: list[tuple]) -> Iterator[tuple]:
    """Rows ordered by month then well id: the twelve months before START from the decline
    model, then START's month as the sum of its daily rows, so that monthly and daily volumes
    agree where both exist. A month is dated on its first day, except in North Dakota, whose
    wells report on the month's last day (any day names its month). Months before a well's
    first production have no row; days on counts the days it produced."""
    by_id = sorted(wells, key=lambda w: w["id"])
    for month in range(MONTHS_BEFORE, 0, -1):
        first = (START - timedelta(days=1)).replace(day=1)
        for _ in range(month - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        length = calendar.monthrange(first.year, first.month)[1]
        for w in by_id:
            volumes, days_on = [0.0, 0.0, 0.0], 0
            for day in range(length):
                offset = (first - START).days + day
                if w["age"] + offset < 0:
                    continue  # not producing yet
                up = uptime(rng)
                oil = oil_rate(w, offset) * up
                days_on += up > 0
                for i, volume in enumerate((oil, oil * w["gor"], oil * w["wor"])):
                    volumes[i] += volume * rng.gauss(1, 0.03)
            if days_on:
                yield (w["id"], _reported(first, w["state"]), *(round(v) for v in volumes),
                       days_on)
    month_of_start: dict[str, list[tuple]] = {}
    for row in daily:
        if (row[1].year, row[1].month) == (START.year, START.month):
            month_of_start.setdefault(row[0], []).append(row)
    for w in by_id:
        days = month_of_start[w["id"]]
        sums = [sum(row[i] or 0 for row in days) for i in (2, 3, 4)]
        days_on = sum(1 for row in days if row[2] != 0)
        yield (w["id"], _reported(START, w["state"]), *sums, days_on)


def _reported(first_day: datetime, state: str) -> date:
    """The date a month is reported under: its first day, or its last in North Dakota."""
    if state == "ND":
        return date(first_day.year, first_day.month,
                    calendar.monthrange(first_day.year, first_day.month)[1])
    return first_day.date()


def survey_rows(rng: random.Random, wells: list[dict]) -> Iterator[tuple]:
    """Directional survey stations of some horizontal wells, ordered by well then measured
    depth: a near-vertical hole to the kick-off point (a station every 1000 ft), a curve
    building 10 degrees a hundred feet to horizontal (every 100 ft), then the lateral (every
    500 ft). Positions by the average-angle method; latitude and longitude from the surface
    location and the deviations (a foot is 1/364,000 of a degree of latitude)."""
    for w in sorted(wells, key=lambda w: w["id"]):
        if w["perf_lateral_length"] is None or rng.random() > SURVEYED_P:
            continue
        lat0, long0 = (c + rng.uniform(-0.8, 0.8) for c in STATE_CENTERS[w["state"]])
        target = rng.randint(60, 110) * 100  # TVD of the lateral, ft
        kick_off = target - 573  # a 10 degree / 100 ft curve has a radius of 573 ft
        heading = (rng.choice([0, 90, 180, 270]) + rng.uniform(-8, 8)) % 360
        stations = [(0, 0.0, 0.0)]  # (measured depth, inclination, azimuth)
        for md in range(1000, kick_off, 1000):
            stations.append((md, rng.uniform(0.2, 1.5), rng.uniform(0, 360)))
        for step in range(10):
            stations.append((kick_off + 100 * step, min(90.0, 10.0 * step), heading))
        end = kick_off + 900 + w["perf_lateral_length"]
        for md in range(kick_off + 1400, end, 500):
            stations.append((md, 90 + rng.uniform(-1.5, 1.5), heading + rng.uniform(-2, 2)))
        tvd = north = east = 0.0
        before = stations[0]
        for md, inclination, azimuth in stations:
            run = md - before[0]
            incl = math.radians((inclination + before[1]) / 2)
            azim = math.atan2(math.sin(math.radians(azimuth)) + math.sin(math.radians(before[2])),
                              math.cos(math.radians(azimuth)) + math.cos(math.radians(before[2])))
            tvd += run * math.cos(incl)
            north += run * math.sin(incl) * math.cos(azim)
            east += run * math.sin(incl) * math.sin(azim)
            latitude = lat0 + north / 364_000
            longitude = long0 + east / (364_000 * math.cos(math.radians(lat0)))
            yield (w["id"], DATUMS[w["state"]], md, round(tvd, 2), round(inclination, 2),
                   round(azimuth % 360, 2), round(north, 2), round(east, 2),
                   round(latitude, 6), round(longitude, 6))
            before = (md, inclination, azimuth)


def ownership_rows(rng: random.Random, wells: list[dict]) -> Iterator[tuple]:
    """Ownership of every well under the qualifier key `current`, and of the Texas wells under
    `proposed` too (an acquisition under study). Interests are percents; a royalty burden
    takes NRI below WI. About a third of the wells revert at payout, a few on a date, a few
    twice; a lease NRI is left out half the time (ComboCurve computes it)."""
    for key, name, chosen in (("current", "Working interest deck", lambda w: True),
                              ("proposed", "Proposed acquisition", lambda w: w["state"] == "TX")):
        for w in sorted(wells, key=lambda w: w["id"]):
            if not chosen(w):
                continue
            wi = rng.choice([100.0, 87.5, 75.0, 50.0, 37.5, 25.0])
            lease = rng.choice([75.0, 78.0, 80.0, 81.25, 82.5])
            npi = 2.5 if rng.random() < 0.1 else 0.0
            row = [w["id"], key, name, wi, round(wi * lease / 100, 5),
                   lease if rng.random() < 0.5 else None, "expense" if npi == 0 else "revenue",
                   npi]
            for number, chance in ((1, 0.35), (2, 0.15)):
                if rng.random() >= chance or (number == 2 and row[8] is None):
                    row += [None] * 6  # no reversion (a second one only after a first)
                    continue
                kind = rng.choice(["PayoutWithInvestment", "PayoutWithInvestment", "Date"])
                after = min(100.0, round(wi * rng.choice([0.75, 0.8, 1.25]), 5))
                on = date(2026 + number, rng.randint(1, 12), 1) if kind == "Date" else None
                row += [kind, after, round(after * lease / 100, 5), lease, 0.0, on]
            yield tuple(row)


def render() -> str:
    """The whole sample_data.sql text."""
    rng = random.Random(SEED)
    wells = generate_wells(rng)
    rows = list(daily_rows(rng, wells))
    monthly = list(monthly_rows(rng, wells, rows))
    stations = list(survey_rows(rng, wells))
    ownership = list(ownership_rows(rng, wells))
    columns = ["well_name", "id", "perf_lateral_length", "api_14", "county", "state"]
    parts = [
        "-- Generated by schema/generate_sample_data.py (seed "
        f"{SEED}); edit that script, not this file.\n"
        f"-- {len(wells)} wells, {len(rows)} daily_productions rows "
        f"({START:%Y-%m-%d} + {DAYS} days). Load with: python schema/load.py URL\n"
        f"-- {len(monthly)} monthly_productions rows, {len(stations)} directional survey "
        f"stations of {len({s[0] for s in stations})} wells, {len(ownership)} ownership rows\n",
        *inserts("global.wells", columns, ([w[c] for c in columns] for w in wells)),
        *inserts("global.daily_productions", ["well", "date", "oil", "gas", "water"], rows),
        *inserts("global.monthly_productions",
                 ["well", "date", "oil", "gas", "water", "days_on"], monthly),
        *inserts("global.survey_stations", SURVEY_COLUMNS, stations),
        *inserts("global.ownership", OWNERSHIP_COLUMNS, ownership),
    ]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args()
    text = render()
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.output} ({len(text.encode()):,} bytes)")


if __name__ == "__main__":
    main()
