"""The run's rejects file: one JSON line per row rejected or not sent, with its source values.

A user fixes the data named here and runs again. The file is created at the first reject, so a
clean run leaves nothing behind.
"""

from pathlib import Path

import orjson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE


class RejectsFile:
    """Appends reject lines to `<folder>/<run_id>.jsonl`."""

    def __init__(self, folder: Path, run_id: str):
        self.path = Path(folder) / f"{run_id}.jsonl"
        self.run_id = run_id
        self.count = 0
        self._handle = None

    def add(self, *, resource: str, row: int, page: int, outcome: str, reason: str,
            fields: list[str], values: dict) -> None:
        """Record one row; `outcome` is "rejected" (by us or the API) or "not_sent"."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("ab")
        line = {"run_id": self.run_id, "resource": resource, "row": row, "page": page,
                "outcome": outcome, "reason": reason, "fields": fields, "values": values}
        self._handle.write(orjson.dumps(line, default=str, option=_OPTIONS))
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class RejectsList:
    """The same record of rejects, kept in memory (for `validate()` in a notebook)."""

    path = None

    def __init__(self):
        self.lines: list[dict] = []
        self.count = 0

    def add(self, **line) -> None:
        self.lines.append(line)
        self.count += 1

    def close(self) -> None:
        pass
