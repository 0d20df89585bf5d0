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


class AuditLines:
    """Another JSON-lines file of a run's audit trail (a verify's differences, a run's
    deletions): made at the first line, so a run with none leaves nothing; with `keep`, the
    lines are also kept in memory (for a notebook). No path: memory only."""

    def __init__(self, path: Path | None, *, keep: bool = False):
        self.path = Path(path) if path is not None else None
        self.lines: list[dict] | None = [] if keep else None
        self.count = 0
        self._handle = None

    def add(self, line: dict) -> None:
        self.count += 1
        if self.lines is not None:
            self.lines.append(line)
        if self.path is None:
            return
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("ab")
        self._handle.write(orjson.dumps(line, default=str, option=_OPTIONS))

    @property
    def written(self) -> str | None:
        """The file's path once a line went to it."""
        return str(self.path) if self._handle is not None else None

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
