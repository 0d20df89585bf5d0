"""The hand-written baseline the project is measured against: the least code that does the job.

    python benchmarks/baseline.py PROJECT_DIR [--limit 1000] [--page-size 100] [--resource NAME]

It reads the same project folder as `python -m core` (combocurve.toml and resources/*.sql) and
sends the same JSON: PyMySQL's unbuffered SSCursor, one dict per row, `json.dumps`, and one
sequential `http.client` PUT per page on one keep-alive connection. No pandas, no SQLAlchemy, no
checks beyond what the JSON types need (dates as YYYY-MM-DD, ids as strings, numbers as numbers).
It prints one JSON line per run: rows, accepted, requests and seconds per resource.
"""

import argparse
import http.client
import json
import sys
import time
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
import pymysql.cursors

# name, API path, records per request at most: in upload order (wells first).
RESOURCES = (("wells", "/v1/wells", 1000), ("daily-productions", "/v1/daily-productions", 20000))
STRING_IDS = ("chosenID", "well")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project_dir", type=Path)
    parser.add_argument("--limit", type=int, default=1000, help="rows per resource, 0 for all")
    parser.add_argument("--page-size", type=int, default=100, help="rows per request")
    parser.add_argument("--resource", action="append", dest="resources", metavar="NAME")
    return parser.parse_args(argv)


def json_value(value):
    """What the API takes for a driver value: the day of a DATETIME, a DECIMAL as a number."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def records(cursor, page_size: int):
    """Pages of JSON-ready dicts, streamed from an unbuffered cursor."""
    names = [column[0] for column in cursor.description]
    ids = [i for i, name in enumerate(names) if name in STRING_IDS]
    while rows := cursor.fetchmany(page_size):
        page = []
        for row in rows:
            record = {name: json_value(value) for name, value in zip(names, row, strict=True)}
            for i in ids:
                if row[i] is not None:
                    record[names[i]] = str(row[i])
            page.append(record)
        yield page


class Api:
    """PUTs to one base URL over one keep-alive connection, one request at a time."""

    def __init__(self, base_url: str, api_key: str, token: str):
        parts = urlsplit(base_url)
        self.prefix = parts.path.rstrip("/")
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.headers = {"x-api-key": api_key, "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json", "Accept": "application/json"}

    def put(self, path: str, page: list[dict]) -> int:
        """Send one page; return how many records the 207 answer accepted."""
        self.connection.request("PUT", self.prefix + path, body=json.dumps(page).encode(),
                                headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 207:
            raise RuntimeError(f"PUT {path}: HTTP {response.status}: {body[:200]!r}")
        results = json.loads(body)["results"]
        return sum(result.get("status") in ("OK", "Created") for result in results)


def sync(connection, api: Api, sql: str, path: str, limit: int, page_size: int) -> dict:
    """Stream one query's rows to one endpoint; the limit goes into the SQL, as in the project."""
    began = time.perf_counter()
    if limit:
        sql = f"{sql}\nLIMIT {limit}"
    counts = {"rows": 0, "accepted": 0, "requests": 0}
    with connection.cursor(pymysql.cursors.SSCursor) as cursor:
        cursor.execute(sql)
        for page in records(cursor, page_size):
            counts["rows"] += len(page)
            counts["accepted"] += api.put(path, page)
            counts["requests"] += 1
    return counts | {"seconds": round(time.perf_counter() - began, 3)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = tomllib.loads((args.project_dir / "combocurve.toml").read_text(encoding="utf-8"))
    db, cc = config[config["connection"]["type"]], config["combocurve"]
    connection = pymysql.connect(host=db["host"], port=int(db.get("port", 3306)),
                                 user=db["user"], password=db.get("password", ""),
                                 database=db.get("database"), charset="utf8mb4")
    api = Api(cc["base_url"], cc["api_key"], cc["token"])
    report = {}
    try:
        for name, path, most in RESOURCES:
            file = args.project_dir / "resources" / f"{name}.sql"
            if not file.is_file() or (args.resources and name not in args.resources):
                continue
            sql = file.read_text(encoding="utf-8").strip().rstrip(";")
            report[name] = sync(connection, api, sql, path, args.limit, min(args.page_size, most))
    finally:
        connection.close()
        api.connection.close()
    print(json.dumps(report))
    return 0 if all(r["accepted"] == r["rows"] for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
