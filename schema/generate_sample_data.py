"""Write schema/sample_data.sql: realistic, deterministic sample wells and daily production.

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
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
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


def sql_value(value: object) -> str:
    """One portable SQL literal: NULL, a bare int, or a single-quoted string ('' for ')."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
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


def daily_rows(rng: random.Random, wells: list[dict]) -> Iterator[tuple]:
    """Rows ordered by date then well id, so the first 1000 rows cover every well."""
    by_id = sorted(wells, key=lambda w: w["id"])
    for day in range(DAYS):
        date = START + timedelta(days=day)
        for w in by_id:
            years = (w["age"] + day) / 365
            oil = w["qi"] / (1 + w["b"] * w["di"] * years) ** (1 / w["b"])
            if rng.random() < SHUT_IN_P:
                uptime = 0.0
            elif rng.random() < 0.03:
                uptime = rng.uniform(0.3, 0.8)  # part of the day down
            else:
                uptime = 1.0
            volumes = [
                oil,
                oil * w["gor"],
                oil * w["wor"] * (1 + 0.002 * day),
            ]
            values = []
            for volume in volumes:
                noisy = max(0.0, volume * uptime * rng.gauss(1, 0.06))
                values.append(None if rng.random() < MEASURES_NULL_P else round(noisy))
            yield (w["id"], date, *values)


def render() -> str:
    """The whole sample_data.sql text."""
    rng = random.Random(SEED)
    wells = generate_wells(rng)
    rows = list(daily_rows(rng, wells))
    columns = ["well_name", "id", "perf_lateral_length", "api_14", "county", "state"]
    parts = [
        "-- Generated by schema/generate_sample_data.py (seed "
        f"{SEED}); edit that script, not this file.\n"
        f"-- {len(wells)} wells, {len(rows)} daily_productions rows "
        f"({START:%Y-%m-%d} + {DAYS} days). Load with: python schema/load.py URL\n",
        *inserts("global.wells", columns, ([w[c] for c in columns] for w in wells)),
        *inserts("global.daily_productions", ["well", "date", "oil", "gas", "water"], rows),
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
