"""What a run did, per resource: rows read, sent, accepted, rejected, not sent, and why.

Every row read is counted exactly once: accepted + rejected + not_sent + unchanged (+ would_send
in a dry run) == rows_read. `RunReport.to_dict()` is the `--report` JSON; `to_frame()` is for
notebooks.
"""

from contextvars import ContextVar
from dataclasses import asdict, dataclass, field

# The id of the run the current thread works for: log filters add it to every line (the CLI's
# --log-format json); start() sets it, and so do its upload threads.
RUN_ID: ContextVar[str | None] = ContextVar("combocurve_run_id", default=None)


@dataclass
class ResourceReport:
    name: str
    file: str = ""
    rows_read: int = 0
    records_sent: int = 0
    accepted: int = 0
    rejected: int = 0
    not_sent: int = 0
    would_send: int = 0  # dry run: valid rows that a real run would send
    unchanged: int = 0  # the ledger holds them as they are: not sent
    new: int = 0  # of the valid rows: keys the ledger does not hold (all of them without one)
    changed: int = 0  # ...and keys it holds with another value
    requests: int = 0  # in a dry run: the requests a real run would send
    errors: list[str] = field(default_factory=list)
    more_available: bool = False  # the row limit stopped the read before the end of the query
    seconds: float = 0.0
    rejects_file: str | None = None
    snapshot_file: str | None = None
    unreachable: bool = False  # it failed because its database or the API never answered
    grouped: bool = False  # rows are stations, sent as one survey a request
    notes: list[str] = field(default_factory=list)  # how it is written, for the dry run
    # mirror deletions: records this project wrote that the query no longer returns
    deleted: int = 0  # ... deleted from ComboCurve (and from the ledger)
    would_delete: int = 0  # dry run: ... that a real run deletes
    not_deleted: int = 0  # ... left in ComboCurve: a guard refused, or a DELETE failed
    delete_requests: int = 0  # DELETE requests answered (dry run: that a real run sends)
    deletions_refused: str | None = None  # why nothing was deleted, when a guard said no
    deletions_file: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.rejected == 0 and self.not_sent == 0

    @property
    def failed(self) -> bool:
        """Not ok for a reason other than rows not accepted: an error, or records the query no
        longer returns left in ComboCurve (a guard refused their deletion, or a DELETE
        failed)."""
        return bool(self.errors) or self.not_deleted > 0

    @property
    def unaccounted(self) -> int:
        """Rows read but neither accepted, rejected, unsent, unchanged nor dry-run valid:
        must be 0."""
        return (self.rows_read - self.accepted - self.rejected - self.not_sent - self.unchanged
                - self.would_send)


@dataclass
class RunReport:
    run_id: str
    dry_run: bool = False
    resources: list[ResourceReport] = field(default_factory=list)
    interrupted: str | None = None  # why the run was stopped before its end, if it was
    rate_limit: int | None = None  # requests a minute, for the dry run's quota estimate

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.ok for r in self.resources)

    @property
    def unreachable(self) -> bool:
        """Nothing could be reached: every resource failed for want of an answer from the
        database or the API, and none got a row accepted. Worth a retry later (exit 3)."""
        return bool(self.resources) and all(r.unreachable and not r.accepted
                                            for r in self.resources)

    def resource(self, name: str) -> ResourceReport:
        return next(r for r in self.resources if r.name == name)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "run_id": self.run_id, "dry_run": self.dry_run,
                "interrupted": self.interrupted, "unreachable": self.unreachable,
                "resources": [asdict(r) for r in self.resources]}

    def to_frame(self):
        """One row per resource, for a notebook."""
        import pandas as pd

        rows = [asdict(r) | {"ok": r.ok} for r in self.resources]
        return pd.DataFrame(rows).set_index("name") if rows else pd.DataFrame()

    def summary(self) -> str:
        """A plain-text table, one line per resource, then where rejects and snapshots went."""
        head = ("resource", "read", "unchanged", "sent", "accepted", "rejected", "not sent",
                "requests", "seconds")
        lines = [head]
        for r in self.resources:
            sent, requests = (f"({r.would_send})", f"({r.requests})") if self.dry_run else \
                (str(r.records_sent), str(r.requests))
            lines.append((r.name, str(r.rows_read), str(r.unchanged), sent, str(r.accepted),
                          str(r.rejected), str(r.not_sent), requests, f"{r.seconds:.1f}"))
        text = table(lines)
        if self.dry_run:
            text.append("dry run: nothing was sent; (n) is what a real run would send")
            text += [self._plan(r) for r in self.resources if not r.errors]
        if self.interrupted:
            text.append(f"{self.interrupted}: rows read but not sent are in the rejects file")
        for r in self.resources:
            if r.more_available:
                text.append(f"{r.name}: the row limit was reached and more rows remain "
                            "(--limit 0 reads them all)")
            text += [f"{r.name}: error: {e}" for e in r.errors]
            if r.rejects_file:
                text.append(f"{r.name}: rejected and unsent rows with reasons: {r.rejects_file}")
            if r.snapshot_file:
                text.append(f"{r.name}: snapshot: {r.snapshot_file}")
            text += self._deletions(r)
        return "\n".join(text)

    def _deletions(self, r: ResourceReport) -> list[str]:
        """What mirror deletions did for a resource, when there was anything to say."""
        lines = []
        if r.deleted:
            lines.append(f"{r.name}: deleted {counted(r.deleted, 'record')} the query no longer "
                         f"returns ({counted(r.delete_requests, 'DELETE request')})")
        if r.deletions_refused:
            held = f" ({counted(r.not_deleted, 'record')} kept)" if r.not_deleted else ""
            lines.append(f"{r.name}: nothing deleted{held}: {r.deletions_refused}")
        elif r.not_deleted:
            lines.append(f"{r.name}: {counted(r.not_deleted, 'record')} the query no longer "
                         "returns were not deleted")
        if r.deletions_file:
            lines.append(f"{r.name}: deletions: {r.deletions_file}")
        return lines

    def _plan(self, r: ResourceReport) -> str:
        """What a real run would do for a resource, and how long the quota makes it."""
        what = f"{r.would_send:,} station rows as {r.requests:,} surveys" if r.grouped else \
            f"{r.would_send:,} records"
        plan = (f"{r.name}: a real run sends {what} ({r.new:,} new, {r.changed:,} changed; "
                f"{r.unchanged:,} unchanged, {r.rejected:,} rejected) in {r.requests:,} "
                f"requests{', one per well' if r.grouped else ''}")
        if self.rate_limit and r.requests:
            plan += f", about {duration(r.requests / self.rate_limit * 60)} of quota at " \
                    f"{self.rate_limit} requests a minute"
        if r.would_delete:
            plan += f", and deletes {counted(r.would_delete, 'record')} in " \
                    f"{counted(r.delete_requests, 'DELETE request')}"
        return "\n".join([plan, *(f"{r.name}: {note}" for note in r.notes)])


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of text as aligned lines: the first column to the left, the others (numbers) to
    the right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in rows]


def duration(seconds: float) -> str:
    """`3 seconds`, `1 second`, `12 minutes`: how long something takes, for people."""
    if seconds >= 90:
        return f"{round(seconds / 60):,} minutes"
    whole = max(1, round(seconds))
    return "1 second" if whole == 1 else f"{whole} seconds"


def counted(number: int, noun: str) -> str:
    """`1 record`, `3 records`, `1,200 DELETE requests`."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
