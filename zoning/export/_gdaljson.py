"""GeoJSON through GDAL's Arrow path: a batch at a time, a large frame's tail rows in a
second process.

``pyogrio.write_dataframe(use_arrow=True)`` turns the whole frame into one Arrow table
(a copy of every value) and GDAL writes it on one core.  :func:`writing_arrow_geojson`
makes the same table a batch of rows at a time (the memory of one batch) and, for a frame
of :data:`PARALLEL_ROWS` rows or more on a machine with two cores, hands the tail rows to
GDAL in a child process (through an Arrow IPC file) while this process writes the head and
whatever the caller does inside the ``with`` block.  GDAL writes a collection as a fixed
header, the features joined by ``",\\n"`` and a fixed footer, so the head's file without its
footer, ``",\\n"`` and the tail's features are the bytes of one write (checked: anything
else, and the tail is written here instead).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

log = logging.getLogger(__name__)

#: Rows from which the tail rows are written by a second process (with two cores).
PARALLEL_ROWS = 200_000
#: Rows converted to Arrow and handed to GDAL at a time.
BATCH_ROWS = 50_000

_HEADER = b'{\n"type": "FeatureCollection",\n"features": [\n'
_FOOTER = b"\n]\n}\n"

# The child: GDAL writes the rows of an Arrow IPC file (pyarrow and pyogrio only).
_CHILD = """
import json, sys
import pyarrow as pa
from pyogrio.raw import write_arrow
source, target, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with pa.memory_map(source) as mm:
    f = pa.ipc.open_file(mm)
    batches = (f.get_batch(i) for i in range(f.num_record_batches))
    write_arrow(pa.RecordBatchReader.from_batches(f.schema, batches), target, **kwargs)
try:  # its peak memory, for the log (Linux)
    with open("/proc/self/status") as status:
        print(*[ln.split()[1] for ln in status if ln.startswith("VmHWM")], file=sys.stderr)
except OSError:
    pass
"""


def _geometry_type(geoms: gpd.GeoSeries) -> str:
    """The layer type ``pyogrio.write_dataframe`` declares for a GeoJSON layer."""
    values = geoms.values
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    kinds = pd.unique(geoms.geom_type.dropna())
    if len(kinds) != 1:
        return "Unknown"
    has_z = bool(shapely.has_z(values[present]).any())
    return f"{kinds[0]} Z" if has_z else str(kinds[0])


def _crs(geoms: gpd.GeoSeries) -> str | None:
    if not geoms.crs:
        return None
    epsg = geoms.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else geoms.crs.to_wkt("WKT1_GDAL")


def _schema(frame: gpd.GeoDataFrame) -> pa.Schema:
    """The Arrow schema of the table pyogrio makes (geometry as WKB, a column of only
    nulls as text), read off the first rows: object columns here hold text only."""
    geom = frame.geometry.name
    head = pd.DataFrame(frame.iloc[:BATCH_ROWS].drop(columns=[geom]), copy=False)
    head[geom] = shapely.to_wkb(frame.geometry.values[:BATCH_ROWS])
    schema = pa.Schema.from_pandas(head[list(frame.columns)], preserve_index=False)
    for i, field in enumerate(schema):
        if field.name == geom:
            schema = schema.set(i, field.with_type(pa.binary()))
        elif pa.types.is_null(field.type):
            schema = schema.set(i, field.with_type(pa.string()))
    return schema


def _batches(frame: gpd.GeoDataFrame, schema: pa.Schema, advance=None) -> Iterator:
    geom = frame.geometry.name
    for start in range(0, len(frame), BATCH_ROWS):
        part = frame.iloc[start : start + BATCH_ROWS]
        table = pd.DataFrame(part.drop(columns=[geom]), copy=False)
        table[geom] = shapely.to_wkb(part.geometry.values)
        table = table[list(frame.columns)]
        yield from pa.Table.from_pandas(table, schema=schema, preserve_index=False).to_batches()
        if advance is not None:
            advance(len(part))


def _write(frame, path: Path, schema, kwargs: dict, advance=None) -> None:
    from pyogrio.raw import write_arrow

    reader = pa.RecordBatchReader.from_batches(schema, _batches(frame, schema, advance))
    write_arrow(reader, path, **kwargs)


def _two_cores() -> bool:
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) >= 2


class _Tail:
    """The tail rows written by GDAL in a child process."""

    def __init__(self, frame, schema, kwargs: dict, scratch: Path):
        self.frame, self.schema, self.kwargs = frame, schema, kwargs
        self.ipc, self.out = scratch / "tail.arrow", scratch / "tail.geojson"
        self.err = scratch / "tail.log"
        with pa.OSFile(str(self.ipc), "wb") as sink, pa.ipc.new_file(sink, schema) as w:
            for batch in _batches(frame, schema):
                w.write_batch(batch)
        flags = ["-P"] if sys.version_info >= (3, 11) else []  # not the working folder
        args = [str(self.ipc), str(self.out), json.dumps(kwargs)]
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, *flags, "-c", _CHILD, *args],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            )  # fmt: skip

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def join_onto(self, head: Path) -> None:
        """Wait for the child, then append its features to ``head`` (written by GDAL
        with the same options); the tail is written here if the child failed."""
        code = self.proc.wait()
        said = self.err.read_text(errors="replace").strip().splitlines()
        if code == 0:
            with open(self.out, "rb") as fh:
                start = fh.read(len(_HEADER))
        if code != 0 or start != _HEADER:
            why = said[-1] if said else f"exit {code}"
            log.warning("GeoJSON tail written in this process (the second one: %s)", why)
            _write(self.frame, self.out, self.schema, self.kwargs)
        else:
            peak = int(said[-1]) if said and said[-1].isdigit() else None
            log.debug(
                "GeoJSON: %d rows written by process %d (peak memory %s kB)",
                len(self.frame), self.proc.pid, peak, extra={"zoning_child_peak_kb": peak},
            )  # fmt: skip
        with open(head, "r+b") as fh:
            fh.seek(-len(_FOOTER), os.SEEK_END)
            if fh.read() != _FOOTER:
                raise RuntimeError(f"GDAL's GeoJSON {head} does not end as expected")
            fh.seek(-len(_FOOTER), os.SEEK_END)
            fh.truncate()
            fh.write(b",\n")
            fh.flush()
            with open(self.out, "rb") as src:
                _append(src, fh, len(_HEADER))


def _append(src, dst, start: int) -> None:
    """Copy ``src`` from byte ``start`` to the end of ``dst`` (in the kernel where it can)."""
    left = os.fstat(src.fileno()).st_size - start
    copy = getattr(os, "copy_file_range", None)
    try:
        while copy is not None and left > 0:
            n = copy(src.fileno(), dst.fileno(), min(left, 1 << 30), start)
            if n == 0:
                break
            start, left = start + n, left - n
    except OSError:  # another file system, an old kernel: through this process
        pass
    if left > 0:
        dst.seek(0, os.SEEK_END)
        src.seek(start)
        shutil.copyfileobj(src, dst, 1 << 24)


@contextmanager
def writing_arrow_geojson(
    frame: gpd.GeoDataFrame,
    path: str | os.PathLike,
    layer_options: dict,
    *,
    share: float = 0.5,
    advance: Callable[[int], None] | None = None,
) -> Iterator[None]:
    """Write ``frame`` (columns GDAL's Arrow path types as its feature path does, see
    ``geojson._for_arrow``) as GeoJSON at ``path``; complete when the block ends.

    ``share`` of the rows (the head) is written before the block runs, the rest by a
    second process meanwhile when the frame is large; ``advance(n)`` counts rows done.
    """
    path = Path(path)
    geoms = frame.geometry
    layer = path.name.split(".")[0] or "features"
    kwargs = {
        "driver": "GeoJSON",
        "layer": layer,
        "geometry_name": geoms.name,
        "geometry_type": _geometry_type(geoms),
        "crs": _crs(geoms),
        "layer_options": layer_options,
    }
    schema = _schema(frame)
    split = len(frame) >= PARALLEL_ROWS and _two_cores()
    if not split:
        _write(frame, path, schema, kwargs, advance)
        yield
        return
    at = max(1, min(len(frame) - 1, round(len(frame) * share)))
    tail_options = {k: v for k, v in layer_options.items() if k != "FOREIGN_MEMBERS_COLLECTION"}
    with tempfile.TemporaryDirectory(prefix=".geojson.", dir=path.parent) as scratch:
        try:
            tail = _Tail(frame.iloc[at:], schema, {**kwargs, "layer_options": tail_options},
                         Path(scratch))  # fmt: skip
        except OSError as exc:  # no second process to be had: all rows here
            log.warning("GeoJSON written in this process only (%s)", exc)
            _write(frame, path, schema, kwargs, advance)
            yield
            return
        try:
            _write(frame.iloc[:at], path, schema, kwargs, advance)
            yield
        except BaseException:
            tail.kill()
            raise
        tail.join_onto(path)
        if advance is not None:
            advance(len(frame) - at)
