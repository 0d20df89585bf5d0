"""Parquet audit snapshots: exactly what was sent for a resource, and what the API answered.

One file per resource per run, `<run_id>-<resource>.parquet`, with an explicit schema taken from
the resource's fields (so an all-null page cannot change a column's type), written to a
`.part` file and renamed once complete. A write that fails (a disk that fills) sets `failed`,
which stops the run from sending more, and leaves the incomplete file under its `.part` name.
pyarrow is imported only when a snapshot is asked for.
"""

import os
from pathlib import Path

from .resources import BOOLEAN, DATE, MONTH, NUMBER, Field

ROW_GROUP_ROWS = 65_536  # big row groups: one per page is several times slower to write and read


class Snapshot:
    def __init__(self, folder: Path, run_id: str, resource_name: str, fields: list[Field]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa, self._pq = pa, pq
        types = {NUMBER: pa.float64(), DATE: pa.date32(), MONTH: pa.date32(), BOOLEAN: pa.bool_()}
        self.fields = [f.name for f in fields]
        self.schema = pa.schema(
            [("run_id", pa.string()), ("page", pa.int32()), ("row", pa.int64())]
            + [(f.name, types.get(f.type, pa.string())) for f in fields]
            + [("status", pa.string()), ("code", pa.int32()), ("message", pa.string())])
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{run_id}-{resource_name}.parquet"
        self._part = self.path.with_name(self.path.name + ".part")
        self._writer = pq.ParquetWriter(self._part, self.schema)
        self._run_id = run_id
        self._buffer: dict[str, list] = {name: [] for name in self.schema.names}
        self._buffered = 0
        self.failed: str | None = None  # why the file cannot be written, once it cannot

    def add(self, records, pages, outcomes=None) -> None:
        """Add sent records (a normalised frame), the page each was read in, and, unless a dry
        run, their outcomes."""
        if self.failed:
            return
        count = len(records)
        columns = self._buffer
        columns["run_id"] += [self._run_id] * count
        columns["page"] += pages.tolist()
        columns["row"] += records.index.tolist()
        for name in self.fields:
            columns[name] += records[name].tolist() if name in records else [None] * count
        outcomes = outcomes or [None] * count
        columns["status"] += [o.status if o else None for o in outcomes]
        columns["code"] += [o.code if o else None for o in outcomes]
        columns["message"] += [o.message if o else None for o in outcomes]
        self._buffered += count
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()

    def close(self) -> Path:
        """Write what is buffered and put the file in place; the `.part` file's path when it
        could not be completed."""
        self._flush()
        try:
            self._writer.close()
            if not self.failed:
                os.replace(self._part, self.path)
                return self.path
        except OSError as exc:
            self._fail(exc)
        return self._part

    def _flush(self) -> None:
        if not self._buffered or self.failed:
            return
        pa = self._pa
        arrays = []
        for column in self.schema:
            values = self._buffer[column.name]
            if pa.types.is_date32(column.type):
                arrays.append(pa.array(values, pa.string()).cast(pa.date32()))
            else:
                arrays.append(pa.array(values, column.type))
        self._buffer = {name: [] for name in self.schema.names}
        self._buffered = 0
        try:
            self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema),
                                     row_group_size=ROW_GROUP_ROWS)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.failed = f"cannot write the snapshot {self._part}: {exc.strerror or exc}"
