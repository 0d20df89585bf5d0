"""The run's rejects file: one JSON line per row rejected or not sent, with its source values.

A user fixes the data named here and runs again, so the file must not be lost:
- its folder is checked before anything is sent (`check_writable`: a folder that cannot be made,
  is read-only or full stops the run at once);
- lines reach the disk once per page (`flush()`), each flush one write of whole lines, so a run
  killed at any moment leaves whole lines; a write that fails (a disk that fills) is undone to
  the last whole line and reported by `flush()`, and the run stops sending.
The file is created at the first reject, so a clean run leaves nothing behind.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import orjson

from .errors import UsageError

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
_PROBE = b"combocurve-sync checks that this folder takes a write\n" * 64  # 3.5 kB
_FLUSH_AT = 1 << 20  # bytes of lines held before a flush even within a page


def check_writable(folder: Path, what: str) -> None:
    """Make sure a file can be created and written in `folder` (made if missing), now, before
    anything is sent: a UsageError names the folder otherwise. Folders made only for the check
    are removed again."""
    folder = Path(folder)
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".combocurve-probe-")
        try:
            _write_all(handle, _PROBE)  # a full disk refuses here or at fsync
            os.fsync(handle)
        finally:
            os.close(handle)
            os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{what} {folder}: cannot write there ({exc.strerror or exc})") from None
    finally:
        for path in made:  # deepest first
            with contextlib.suppress(OSError):
                path.rmdir()


def _write_all(handle: int, data: bytes) -> None:
    """One write for a regular file; a disk that fills takes part of it, then raises."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]


class LinesFile:
    """A JSON-lines file of the audit trail, made at its first line: lines are held and reach
    the disk in one write of whole lines at each `flush()` (and every _FLUSH_AT bytes); a
    write that fails is undone to the last whole line, and every later line is only counted.
    `what` names the file in messages."""

    def __init__(self, path: Path, what: str):
        self.path, self.what = Path(path), what
        self.count = 0
        self.failed: str | None = None  # why lines could not be written, once they could not
        self._handle: int | None = None
        self._lines: list[bytes] = []
        self._held = 0

    def hold(self, line: dict) -> None:
        self.count += 1
        if self.failed:
            return  # counted in the report; the disk takes nothing more
        self._lines.append(orjson.dumps(line, default=str, option=_OPTIONS))
        self._held += len(self._lines[-1])
        if self._held >= _FLUSH_AT:
            self.flush()

    def flush(self) -> str | None:
        """Write the lines held so far in one go; None, or why the file cannot be written (then
        every later line is only counted)."""
        if self.failed or not self._lines:
            return self.failed
        data, self._lines, self._held = b"".join(self._lines), [], 0
        start = None
        try:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            start = os.lseek(self._handle, 0, os.SEEK_END)
            _write_all(self._handle, data)
        except OSError as exc:
            self.failed = f"cannot write the {self.what} {self.path}: {exc.strerror or exc}"
            if start is not None:  # no half line left behind
                with contextlib.suppress(OSError):
                    os.ftruncate(self._handle, start)
        return self.failed

    def close(self) -> str | None:
        failure = self.flush()
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        return failure


class RejectsFile(LinesFile):
    """Appends reject lines to `<folder>/<run_id>.jsonl`."""

    def __init__(self, folder: Path, run_id: str, *, what: str = "rejects folder"):
        check_writable(folder, what)
        super().__init__(Path(folder) / f"{run_id}.jsonl", "rejects file")
        self.run_id = run_id

    def add(self, *, resource: str, row: int, page: int, outcome: str, reason: str,
            fields: list[str], values: dict) -> None:
        """Record one row; `outcome` is "rejected" (by us or the API) or "not_sent"."""
        self.hold({"run_id": self.run_id, "resource": resource, "row": row, "page": page,
                   "outcome": outcome, "reason": reason, "fields": fields, "values": values})


class RejectsList:
    """The same record of rejects, kept in memory (for `validate()` in a notebook)."""

    path = None
    failed = None

    def __init__(self):
        self.lines: list[dict] = []
        self.count = 0

    def add(self, **line) -> None:
        self.lines.append(line)
        self.count += 1

    def flush(self) -> None:
        return None

    def close(self) -> None:
        pass


class AuditLines(LinesFile):
    """Another JSON-lines file of a run's audit trail (a verify's differences, a run's
    deletions), written as the rejects file is; with `keep`, its lines are also kept in memory
    (for a notebook). No path: memory only."""

    def __init__(self, path: Path | None, what: str, *, keep: bool = False):
        super().__init__(path or Path(), what)
        self.to_disk = path is not None
        self.lines: list[dict] | None = [] if keep else None

    def add(self, line: dict) -> None:
        if self.lines is not None:
            self.lines.append(line)
        if self.to_disk:
            self.hold(line)
        else:
            self.count += 1

    @property
    def written(self) -> str | None:
        """The file's path once a line went to it."""
        return str(self.path) if self._handle is not None else None
