"""Mirror deletions: what this project wrote and the query no longer returns leaves ComboCurve,
guarded so that a broken query can never wipe a company's data.

Opt in per resource (`[resources.<name>] delete_missing = true`) or per run
(`--delete-missing`). Once a resource's query has been read to its end, the records the
ledger holds (what ComboCurve accepted from this project) that no row of the query named
(valid or not: a row refused for a bad value still exists) are deleted:
- daily and monthly rows with `DELETE ?well=<id>&startDate=&endDate=`, one well a request,
  the contiguous days (months) of a well merged into one request;
- wells with `DELETE ?dataSource=&chosenID=` (100 a request), or `?id=` for a well known by its
  api14. ComboCurve deletes a well's rows, survey and qualifiers with it: its rows leave the
  ledger too.

Nothing is deleted, and the run says why, when the query failed, returned no rows or was cut
by `--limit`; when the run stopped or the resource's uploads failed; without a ledger; or when
the deletions exceed `max_delete_fraction` of the resource's ledger (5% by default) unless
mass deletion is allowed. A dry run lists every planned deletion. Deleted records leave the
ledger (one transaction per answered DELETE) and each is a line of the run's deletions file.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import LedgerError, UploadError
from .hashing import record_keys
from .readback import FILTER_VALUES, WellIds, by_chosen_id
from .report import counted, duration
from .resources import RESOURCES, Resource
from .state import COMBOCURVE_ID
from .transform import normalise

log = logging.getLogger(__name__)

DEFAULT_MAX_DELETE_FRACTION = 0.05  # of the records the ledger holds for the resource


@dataclass(frozen=True)
class Deletion:
    """One DELETE request and the ledger's records it removes."""

    params: list[tuple[str, str]]
    keys: np.ndarray  # the ledger's key hashes of its records
    records: pd.DataFrame  # their identity fields (and ComboCurve id), for the audit trail
    shown: str  # how people read it: `internal W001 2024-01-05..2024-01-07`


@dataclass(frozen=True)
class DeleteSpec:
    """How a resource's records are deleted: `plan` turns the records to delete (the ledger's
    rows) into requests; `dependents`, resources whose records ComboCurve deletes with it."""

    plan: Callable[["Mirror", pd.DataFrame], list[Deletion]]
    dependents: tuple[str, ...] = ()


def _rows_by_well(period: int):
    """Rows: one request per well and run of contiguous days (period 10) or months (7)."""
    def plan(mirror: "Mirror", doomed: pd.DataFrame) -> list[Deletion]:
        doomed = mirror.with_wells(doomed)
        unknown = doomed["well"].isna()
        if unknown.any():
            mirror.not_deletable(doomed[unknown], "ComboCurve holds no well for it: nothing to "
                                                  "delete there")
        deletions = []
        for well, rows in doomed[~unknown].groupby("well", sort=True):
            days = np.array(rows["date"].str[:10].tolist(), dtype="datetime64[D]")
            steps = days.astype("datetime64[M]").astype(np.int64) if period == 7 else \
                days.astype(np.int64)
            order = np.argsort(steps, kind="stable")
            rows, steps = rows.iloc[order], steps[order]
            breaks = np.flatnonzero(np.diff(steps) > 1) + 1
            for run in np.split(np.arange(len(rows)), breaks):
                part = rows.iloc[run]
                first, last = part["date"].iloc[0][:10], part["date"].iloc[-1][:10]
                who = _who(part.iloc[0])
                deletions.append(Deletion(
                    [("well", well), ("startDate", first), ("endDate", last)],
                    part["key_hash"].to_numpy(np.uint64), part,
                    f"{who} {first[:period]}" + (f"..{last[:period]}" if last != first else "")))
        return deletions
    return plan


def _wells_by_identity(mirror: "Mirror", doomed: pd.DataFrame) -> list[Deletion]:
    """Wells: by dataSource and chosenID, 100 a request; by id when known only by api14."""
    deletions = []
    chosen = doomed["chosenID"].notna() if "chosenID" in doomed else \
        pd.Series(False, index=doomed.index)
    for params, part in by_chosen_id(doomed[chosen]):
        source = params[0][1]
        deletions.append(Deletion(params, part["key_hash"].to_numpy(np.uint64), part,
                                  f"{source} " + ", ".join(part["chosenID"])))
    by_id = doomed[~chosen]
    if COMBOCURVE_ID in by_id:
        known = by_id[by_id[COMBOCURVE_ID].notna()]
        for start in range(0, len(known), FILTER_VALUES):
            part = known.iloc[start : start + FILTER_VALUES]
            deletions.append(Deletion([("id", i) for i in part[COMBOCURVE_ID]],
                                      part["key_hash"].to_numpy(np.uint64), part,
                                      ", ".join(_who(r) for _, r in part.iterrows())))
        by_id = by_id[by_id[COMBOCURVE_ID].isna()]
    if len(by_id):
        mirror.not_deletable(by_id, "its ComboCurve id is not known")
    return deletions


DELETES = {
    "wells": DeleteSpec(_wells_by_identity,
                        dependents=("daily-productions", "monthly-productions")),
    "daily-productions": DeleteSpec(_rows_by_well(10)),
    "monthly-productions": DeleteSpec(_rows_by_well(7)),  # contiguous months, one request
}


def _who(record) -> str:
    """A record's well as people name it: `internal W001` (or its api14, or its id)."""
    get = record.get
    name = get("chosenID") or get("api14") or get(COMBOCURVE_ID) or get("well")
    return f"{get('dataSource')} {name}" if get("dataSource") else str(name)


class Mirror:
    """Mirror deletions for one resource of a run."""

    def __init__(self, run, query, mapping: dict, state, report):
        self.run, self.query, self.report, self.state = run, query, report, state
        self.resource: Resource = query.resource
        self.spec = DELETES.get(self.resource.name)  # None: asked for, not covered yet
        identity = {n for alternative in self.resource.identity for n in alternative}
        self.identity_mapping = {c: f for c, f in mapping.items() if f.name in identity}
        self.protected: list[np.ndarray] = []  # keys of rows rejected before sending
        self.audit = run.deletions
        self._held: dict = {}  # other resources' ledger records, for a well's rows

    @staticmethod
    def wanted(run, resource: Resource) -> bool:
        """Asked for the resource in the project (then said, if not covered yet), or for
        every resource of the run that mirror deletions cover."""
        return run.project.settings_for(resource.name).delete_missing or (
            run.options.delete_missing and resource.name in DELETES)

    def keep(self, page: pd.DataFrame, rows: list[int]) -> None:
        """Rows refused before sending still exist at the source: their records stay."""
        if not rows or self.spec is None:
            return
        columns = list(self.identity_mapping)
        checked = normalise(page.loc[rows, columns], self.resource, self.identity_mapping)
        if len(checked.records):
            self.protected.append(record_keys(checked.records, self.resource)[0])

    # -- after the query was read to its end ------------------------------------------------

    def finish(self, seen, *, refusal: str | None) -> None:
        """Delete what the ledger holds and the run did not see, unless a guard refuses."""
        if refusal is None and self.spec is None:
            refusal = f"mirror deletions do not cover {self.resource.name} yet (they cover " \
                      f"{', '.join(DELETES)})"
        if refusal is None and self.state is None:
            refusal = "there is no ledger (--no-state), so nothing is known to have been " \
                      "written by this project"
        if refusal is not None:
            return self._refuse(refusal)
        held = self.state.held()
        keys = held.column("key_hash").to_numpy().astype(np.uint64, copy=False)
        protected = np.concatenate(self.protected) if self.protected else np.empty(0, np.uint64)
        missing = ~(seen.contains(keys) | np.isin(keys, protected))
        count = int(missing.sum())
        if not count:
            return None
        if self.report.rows_read == 0:
            return self._refuse("the query returned no rows; an empty result looks like a "
                                "broken query", count)
        options = self.run.options
        if count > options.max_delete_fraction * len(held) and not options.allow_mass_delete:
            return self._refuse(
                f"{count:,} of the {len(held):,} records the ledger holds "
                f"({count / len(held):.0%}) are no longer returned by the query, more than "
                f"--max-delete-fraction {options.max_delete_fraction:g}; check the query, then "
                "allow it with --allow-mass-delete", count)
        doomed = held.filter(pa.array(missing)).to_pandas()
        deletions = self.spec.plan(self, doomed)
        if self.run.client is None:
            return self._list(deletions)
        return self._delete(deletions)

    def _refuse(self, why: str, records: int = 0) -> None:
        self.report.deletions_refused = why
        self.report.not_deleted += records
        log.warning("%s: nothing deleted: %s", self.resource.name, why)

    def _list(self, deletions: list[Deletion]) -> None:
        """A dry run: every planned deletion, logged and in the audit trail."""
        count = sum(len(d.keys) for d in deletions)
        self.report.would_delete += count
        self.report.delete_requests += len(deletions)
        log.info("%s: a real run deletes %s the query no longer returns, in %s:",
                 self.resource.name, counted(count, "record"),
                 counted(len(deletions), "DELETE request"))
        for deletion in deletions:
            log.info("%s: would DELETE %s (%s: %s)", self.resource.name,
                     self._request(deletion), counted(len(deletion.keys), "record"),
                     deletion.shown)
            self._audit(deletion, "planned")
            for name, _, rows in self._dependents(deletion):
                log.info("%s: ... and with them ComboCurve deletes their %s", self.resource.name,
                         counted(len(rows), f"{name} record"))
        self._finish_audit()

    def _delete(self, deletions: list[Deletion]) -> None:
        count = sum(len(d.keys) for d in deletions)
        rate = self.run.options.rate_limit
        pace = f", about {duration(len(deletions) / rate * 60)} at {rate} requests a minute" \
            if rate and deletions else ""
        log.info("%s: deleting %s the query no longer returns, in %s%s", self.resource.name,
                 counted(count, "record"), counted(len(deletions), "DELETE request"), pace)
        held_back = None  # why the rest is not deleted, once something went wrong
        for deletion in deletions:
            if held_back:
                self._not_deleted(deletion, held_back)
                continue
            try:
                answered = self.run.client.delete(self.resource.path, deletion.params)
            except UploadError as exc:
                message = self.run.redact(str(exc))
                self.report.errors.append(message)
                self._not_deleted(deletion, message)
                held_back = "not sent: an earlier DELETE failed"
                continue
            self.report.delete_requests += 1
            self.report.deleted += len(deletion.keys)
            log.debug("%s: DELETE %s: %s deleted", self.resource.name, deletion.shown, answered)
            try:
                self._forget(deletion)
            except LedgerError as exc:
                self.report.errors.append(self.run.redact(str(exc)))
                self._audit(deletion, "deleted", "deleted, but the ledger could not be written")
                held_back = "not sent: the ledger could not be written"
                continue
            self._audit(deletion, "deleted")
            if failure := self.audit.flush():  # each answered DELETE reaches the audit trail
                self.report.errors.append(f"{failure}; nothing more was deleted")
                held_back = "not sent: the deletions file could not be written"
            elif self.run.stop.is_set():
                held_back = "not sent: the run was stopped"
        self._finish_audit()

    def _not_deleted(self, deletion: Deletion, why: str) -> None:
        self.report.not_deleted += len(deletion.keys)
        self._audit(deletion, "not_deleted", why)

    def _forget(self, deletion: Deletion) -> None:
        """The deleted records leave the ledger; a well's rows leave with it."""
        ledger = self.state.ledger
        ledger.drop(self.state.resource_id, deletion.keys)
        for name, resource_id, rows in self._dependents(deletion):
            ledger.drop(resource_id, rows["key_hash"].to_numpy(np.uint64))
            log.info("%s: %s of the deleted wells left the ledger (ComboCurve deletes a "
                     "well's rows with it)", name, counted(len(rows), "record"))
            self._audit(Deletion(deletion.params, rows["key_hash"].to_numpy(np.uint64), rows,
                                 deletion.shown), "deleted",
                        f"deleted with its well (wells: {deletion.shown})", resource=name)

    def _dependents(self, deletion: Deletion):
        """(resource, its ledger id, the ledger's records) that hang on the wells of a
        deletion: ComboCurve deletes them with their well."""
        gone = deletion.records
        for name in self.spec.dependents:
            resource_id, held = self._held_by(name)
            if held is None or not len(held):
                continue
            hanging = np.zeros(len(held), dtype=bool)
            if {"dataSource", "chosenID"} <= set(held.schema.names):
                for source, wells in gone.groupby("dataSource"):
                    named = pc.and_(pc.equal(held["dataSource"], source),
                                    pc.is_in(held["chosenID"], pa.array(
                                        wells["chosenID"].dropna().tolist(), pa.string())))
                    hanging |= named.fill_null(False).to_numpy(zero_copy_only=False)
            ids = [i for i in _values(gone, COMBOCURVE_ID) if i is not None]
            if ids and "well" in held.schema.names:
                hanging |= pc.is_in(held["well"], pa.array(ids, pa.string())).fill_null(
                    False).to_numpy(zero_copy_only=False)
            if hanging.any():
                yield name, resource_id, held.filter(pa.array(hanging)).to_pandas()

    def _held_by(self, name: str):
        """(ledger id, records) of another resource of this API, read once per run."""
        if name not in self._held:
            ledger, base_url = self.state.ledger, self.run.project.base_url
            resource_id = ledger.resource_id(base_url, name)
            self._held[name] = (resource_id, ledger.records(base_url, name)
                                if resource_id is not None else None)
        return self._held[name]

    # -- helpers ----------------------------------------------------------------------------

    def with_wells(self, records: pd.DataFrame) -> pd.DataFrame:
        """Rows with the ComboCurve id of their well: theirs, the ledger's, else a GET."""
        return WellIds.fill(records, self.run.well_ids, self.run.client)

    def not_deletable(self, records: pd.DataFrame, why: str) -> None:
        """Records that cannot be deleted: left where they are, said, and counted."""
        log.warning("%s: %s not deleted: %s", self.resource.name,
                    counted(len(records), "record"), why)
        self.report.not_deleted += len(records)
        for _, record in records.iterrows():
            self.audit.add(self._line(record, "not_deleted", None, why))

    def _request(self, deletion: Deletion) -> str:
        return f"{self.resource.path}?{urlencode(deletion.params)}"

    def _audit(self, deletion: Deletion, outcome: str, reason: str | None = None, *,
               resource: str | None = None) -> None:
        request = f"DELETE {self._request(deletion)}"
        for _, record in deletion.records.iterrows():
            self.audit.add(self._line(record, outcome, request, reason, resource))

    def _line(self, record, outcome: str, request: str | None, reason: str | None,
              resource: str | None = None) -> dict:
        name = resource or self.resource.name
        fields = dict.fromkeys(n for alternative in RESOURCES[name].identity
                               for n in alternative)
        key = {n: record[n] for n in fields if n in record.index and pd.notna(record[n])}
        written = record.get("accepted_at")
        return {"run_id": self.run.run_id, "resource": name, "outcome": outcome, "key": key,
                "combocurve_id": record.get(COMBOCURVE_ID) if pd.notna(
                    record.get(COMBOCURVE_ID)) else None,
                "accepted_at": datetime.fromtimestamp(int(written), UTC).isoformat()
                if pd.notna(written) else None,
                "request": request, "reason": reason}

    def _finish_audit(self) -> None:
        """Every line reaches the disk, or the report says why not."""
        failure = self.audit.flush()
        if failure and not any(e.startswith(failure) for e in self.report.errors):
            self.report.errors.append(failure)
        if self.audit.written:
            self.report.deletions_file = self.audit.written


def _values(frame: pd.DataFrame, name: str) -> list:
    """A column's values (None for null), or Nones when the frame has no such column."""
    if name not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else v for v in frame[name].tolist()]
