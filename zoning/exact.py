"""exactextract fed by our grids: raster sources read through :class:`zoning.grid.Grid`
(nodata, masks, scale/offset and unit conversion applied on the fly, block by block),
units as WKB features, and the operations behind each statistic of :mod:`zoning.stats`.

Two things keep large and repeated runs fast; neither changes a single value:

- **Results kept in memory.**  The columns exactextract computes for a grid open on a
  file and a set of unit geometries are kept (the most recent, up to
  :data:`CACHE_MAX_BYTES`), keyed on the file's identity (device, inode, size,
  modification and change times, taken when it was opened and checked again at each
  call: a file rewritten since is neither looked up nor kept; a file of up to 32 MB
  also on a digest of its bytes, :func:`zoning.io.raster.file_fingerprint`), how it is
  read (band, nodata,
  scale, offset, quantity, units, cell grid, CRS), the exact geometries (a BLAKE2 digest
  of their WKB in the grid's CRS), the strategy, ``max_cells_in_memory`` and the
  operation.  So :func:`zoning.hotspots.co_hotspots` after
  :func:`zoning.stats.zonal_stats` on the same files and units takes the sums already
  computed.  Grids made from arrays are never kept (an array can change in place).
  :func:`clear_cache` empties it.
- **Processes.**  exactextract holds the GIL, so threads do not help: a large run
  (:data:`MIN_PARALLEL_SECONDS` of work by estimate) is cut along the longer side of
  the units' extent into parts of about equal work, one computed here and the others by
  worker processes (``python -c``, the zoning package loaded without its
  ``__init__``), each reading only the window of the grids under its own units.
  exactextract computes a unit's statistics from its own polygon and the cells under it
  alone, so the parts give the very values of one run; a worker that fails is logged
  and its part computed here.  ``workers=1`` keeps everything in this process.
"""

from __future__ import annotations

import logging
import math
import pickle
import sys
import time
from collections.abc import Sequence

import numpy as np
import shapely

from zoning.errors import InputError
from zoning.exact_cache import (
    CACHE_MAX_BYTES,
    _cache_get,
    _cache_keys,
    _cache_put,
    clear_cache,
)
from zoning.exact_workers import (
    DEFAULT_WORKERS,
    MIN_PARALLEL_SECONDS,
    _parts,
    _peak_rss_mb,
    _Worker,
    worker_peaks_mb,
)
from zoning.grid import Grid

log = logging.getLogger(__name__)

__all__ = [
    "CACHE_MAX_BYTES",
    "DEFAULT_WORKERS",
    "MIN_PARALLEL_SECONDS",
    "clear_cache",
    "worker_peaks_mb",
]


# --- the exactextract adapters ------------------------------------------------------------


def _engine():
    from exactextract import exact_extract
    from exactextract.feature import Feature, FeatureSource
    from exactextract.operation import Operation
    from exactextract.raster import RasterSource

    return exact_extract, Feature, FeatureSource, Operation, RasterSource


def _records_writer():
    """An exactextract writer keeping the results as columns (one list per field, float64
    arrays at the end): the pandas writer's per-feature objects left out, and no pandas
    needed in a worker process.  A field exactextract leaves unset for a feature (the
    min and max of a unit without valid cells) is NaN."""
    from exactextract.writer import Writer

    Feature = _engine()[1]

    class Values(Feature):
        def __init__(self, columns: dict):
            Feature.__init__(self)
            self.columns = columns
            self.count = 0

        def set(self, name, value):
            self.columns[name].append(value)
            self.count += 1

        def set_geometry(self, wkb):
            pass  # the results only: the units keep their own geometry

        def set_geometry_format(self):
            return "wkb"

    class ColumnsWriter(Writer):
        def __init__(self):
            super().__init__()
            self.fields: list[str] = []
            self.n = 0
            self.target = None

        def add_operation(self, op):
            self.fields.append(op.name)

        def add_column(self, name):
            self.fields.append(name)

        def add_geometry(self):
            raise NotImplementedError("no geometry is written back")

        def write(self, feature):
            target = self.target
            if target is None:
                target = self.target = Values({f: [] for f in self.fields})
            feature.copy_to(target)
            self.n += 1
            if target.count != self.n * len(self.fields):  # some field left unset
                for values in target.columns.values():
                    if len(values) < self.n:
                        values.append(math.nan)
                target.count = self.n * len(self.fields)

        def features(self):
            columns = self.target.columns if self.target is not None else {}
            return {f: np.array(columns.get(f, []), dtype="float64") for f in self.fields}

    return ColumnsWriter()


def _make_sources(grid: Grid, window: tuple[int, int, int, int] | None = None):
    """exactextract raster sources for a grid's values and its true cell areas.

    ``window`` (row0, col0, row1, col1): the only cells any unit of the call touches; a
    read outside it is not made (exactextract reads the values of each unit's bounding
    box only: no unit's statistics see those cells), so a process given the units of one part of a grid reads
    only that part.  The grid's extent, and so every value, is the same with or without.
    """
    _, _, _, _, RasterSource = _engine()
    plain = grid.raw_is_output
    integer = np.issubdtype(grid.raw_dtype, np.integer)
    # cells outside the window are never under a unit: zeros (pages the system gives
    # zeroed, so an untouched part costs nothing) stand for them
    dtype = grid.raw_dtype if plain else np.dtype("float64")

    def values(r0, c0, nr, nc):
        if plain:  # exactextract masks the nodata value itself
            return grid.read_raw(r0, c0, nr, nc, mask=False)[0]
        return grid.read(r0, c0, nr, nc)

    class GridSource(RasterSource):
        def __init__(self):
            super().__init__()
            self.set_name(grid.name)

        def res(self):
            return abs(grid.transform.a), abs(grid.transform.e)

        def extent(self):
            return grid.bounds

        def srs_wkt(self):
            return grid.crs.to_wkt()

        def nodata_value(self):
            if plain and grid.nodata is not None and not np.isnan(grid.nodata):
                # an integer grid needs an integer nodata value
                return int(grid.nodata) if integer else float(grid.nodata)
            return None

        def read_window(self, x0, y0, nx, ny):
            if window is None:
                return values(y0, x0, ny, nx)
            r0, c0 = max(y0, window[0]), max(x0, window[1])
            r1, c1 = min(y0 + ny, window[2]), min(x0 + nx, window[3])
            if (r0, c0, r1, c1) == (y0, x0, y0 + ny, x0 + nx):
                return values(y0, x0, ny, nx)
            out = np.zeros((ny, nx), dtype=dtype)
            if r1 > r0 and c1 > c0:
                out[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0] = values(r0, c0, r1 - r0, c1 - c0)
            return out

    class AreaSource(GridSource):
        def __init__(self):
            super().__init__()
            self.set_name(grid.name + "_area")

        def nodata_value(self):
            return None

        def read_window(self, x0, y0, nx, ny):
            areas = grid.cell_areas_m2(y0, ny)
            return np.broadcast_to(areas[:, None], (ny, nx)).copy()

    return GridSource(), AreaSource()


def _window(geoms: np.ndarray, grid: Grid, margin: int = 2) -> tuple[int, int, int, int] | None:
    """The cells (row0, col0, row1, col1) under the bounding box of ``geoms`` (in the
    grid's CRS), ``margin`` cells wider, clipped to the grid; None: the whole grid."""
    b = shapely.bounds(geoms)
    if not len(b) or not np.isfinite(b).any():
        return None
    x0, y0 = np.nanmin(b[:, 0]), np.nanmin(b[:, 1])
    x1, y1 = np.nanmax(b[:, 2]), np.nanmax(b[:, 3])
    inv = ~grid.transform
    corners = [inv @ (x, y) for x in (x0, x1) for y in (y0, y1)]
    cols = [c for c, _ in corners]
    rows = [r for _, r in corners]
    c0 = max(0, math.floor(min(cols)) - margin)
    c1 = min(grid.width, math.ceil(max(cols)) + margin)
    r0 = max(0, math.floor(min(rows)) - margin)
    r1 = min(grid.height, math.ceil(max(rows)) + margin)
    return (r0, c0, max(r0, r1), max(c0, c1))


def _feature_source(wkbs: Sequence[bytes], ids: np.ndarray, wkt: str):
    """Features as WKB (faster than the GeoJSON round trip of a GeoDataFrame source),
    each with its id (``_row``)."""
    _, Feature, FeatureSource, _, _ = _engine()

    class WkbFeature(Feature):
        def __init__(self, row=None, wkb=None):
            Feature.__init__(self)
            self.row = row
            self.wkb = wkb
            self.props = {}

        def geometry(self):
            return self.wkb

        def set_geometry(self, wkb):
            self.wkb = wkb

        def set_geometry_format(self):
            return "wkb"

        def get(self, name):
            return self.row if name == "_row" else self.props[name]

        def set(self, name, value):
            self.props[name] = value

        def fields(self):
            return ["_row", *self.props]

    class WkbSource(FeatureSource):
        def count(self):
            return len(wkbs)

        def __iter__(self):
            for r, w in zip(ids.tolist(), wkbs, strict=True):
                yield WkbFeature(r, w)

        def srs_wkt(self):
            return wkt

    return WkbSource()


# --- the operations -----------------------------------------------------------------------

#: An exactextract operation as data (so that a worker process builds the same one):
#: (exactextract statistic, grid name, weighted by the true cell areas, arguments).
OpSpec = tuple[str, str, bool, tuple]


def _ops_for(grid: Grid, stats: tuple[str, ...], specs: dict, shared: dict) -> dict:
    """The operations a grid's statistics need (added to ``specs``), and how to assemble
    our statistics from their columns.  ``shared``: operations that depend only on the
    cell grid, not on the values (the count of all covered cells), made once for the
    grids of one call."""
    n = grid.name

    def need(stat, key, weighted=False, args=()):
        if key not in specs:
            specs[key] = (stat, n, weighted, tuple(args))
        return key

    def covered() -> str:
        # every covered cell inside the grid, missing ones counted as 0: the same
        # coverage fractions for every grid on this cell grid, so counted once
        if "all" not in shared:
            shared["all"] = need("count", f"{n}@all", False, (("default_value", "0"),))
        return shared["all"]

    recipe: dict[str, tuple] = {}
    for s in stats:
        if s in ("sum", "min", "max", "count"):
            recipe[s] = ("col", need(s, f"{n}@{s}"))
        elif s == "mean" or (s == "area_mean" and not grid.crs.is_geographic):
            # exactextract's mean is its sum / its count (the same doubles, bit for bit);
            # on equal cells the area-weighted mean is the mean
            recipe[s] = ("ratio", need("sum", f"{n}@sum"), need("count", f"{n}@count"))
        elif s == "area_mean":
            recipe[s] = ("col", need("weighted_mean", f"{n}@wmean", True))
        elif s == "nodata_share":
            recipe[s] = ("nodata", need("count", f"{n}@count"), covered())
    # always: how many valid cells each unit covers, to refuse a grid with none at all
    recipe["_valid"] = ("col", need("count", f"{n}@count"))
    return recipe


def _run(wkbs, ids, wkt, grids: dict, specs: dict, strategy, max_cells, window) -> dict:
    """One exactextract call: the columns of ``specs`` (and ``_row``: the ids of the
    features, in exactextract's order) for the features ``wkbs``."""
    exact_extract, *_, Operation, _ = _engine()
    # the Python raster sources must outlive the call: exactextract's operations hold
    # only C++ references to them (a source collected early is a segmentation fault)
    sources = {name: _make_sources(g, window) for name, g in grids.items() if _used(name, specs)}
    ops = [
        Operation(stat, key, sources[name][0], sources[name][1] if weighted else None, dict(args))
        for key, (stat, name, weighted, args) in specs.items()
    ]
    try:
        return exact_extract(
            None,
            _feature_source(wkbs, ids, wkt),
            ops,
            include_cols=["_row"],
            output=_records_writer(),
            strategy=strategy,
            max_cells_in_memory=max_cells,
        )
    except InputError:
        raise  # ours, from reading a grid: already names the file and the fix
    except (RuntimeError, ValueError) as exc:
        raise _engine_error([grids[n] for n in grids if _used(n, specs)], exc) from exc
    finally:
        del ops, sources


def _used(name: str, specs: dict) -> bool:
    return any(spec[1] == name for spec in specs.values())


def _extract_group(geoms, rows, crs, grids, stats_by_grid, strategy, max_cells, workers=None):
    """The exactextract columns of the statistics of ``grids`` (one cell grid) for the
    unit geometries ``geoms`` (in the grids' CRS; ``rows``: their rows in the units), as
    a frame indexed by row, and the recipes of :func:`_ops_for`."""
    import pandas as pd

    specs, shared, recipes = {}, {}, {}
    for g in grids:
        recipes[g.name] = _ops_for(g, stats_by_grid[g.name], specs, shared)
    by_name = {g.name: g for g in grids}
    geoms = np.asarray(geoms)
    wkbs = shapely.to_wkb(geoms)
    keys = _cache_keys(by_name, specs, wkbs, crs, strategy, max_cells)
    cols = {k: v for k in specs if (v := _cache_get(keys[k])) is not None}
    todo = {k: spec for k, spec in specs.items() if k not in cols}
    if todo:
        cols.update(_compute(geoms, wkbs, crs, by_name, todo, strategy, max_cells, workers))
        for k in todo:
            _cache_put(keys[k], cols[k])
    else:
        log.info(
            "exact statistics of %s: taken from this process's earlier run", ", ".join(by_name)
        )
    index = pd.Index(np.asarray(rows, dtype="int64"), name="_row")
    df = pd.DataFrame({k: cols[k] for k in specs}, index=index)
    return df, recipes


def _compute(geoms, wkbs, crs, grids: dict, specs: dict, strategy, max_cells, workers) -> dict:
    """The columns of ``specs`` for every feature, aligned with ``geoms``: in this process,
    or cut into parts computed here and by worker processes."""
    n = len(wkbs)
    parts = _parts(geoms, grids, workers)
    first = next(iter(grids.values()))

    def job(part):
        return {
            "wkbs": [wkbs[i] for i in part.tolist()] if len(parts) > 1 else wkbs,
            "ids": part,
            "wkt": crs.to_wkt(),
            "grids": grids,
            "specs": specs,
            "strategy": strategy,
            "max_cells": max_cells,
            "window": _window(geoms[part], first),
        }

    jobs = [job(p) for p in parts]
    children = [_Worker(j) for j in jobs[1:]]
    try:
        t0 = time.perf_counter()
        results = [_run(**jobs[0])]
        if children:
            log.debug(
                "exact statistics: %d units here in %.1f s", len(parts[0]), time.perf_counter() - t0
            )
        worker_peaks_mb.clear()
        for child, j in zip(children, jobs[1:], strict=True):
            got = child.result()
            peak = got.pop("_peak_rss_mb", None) if got is not None else None
            if peak is not None:
                worker_peaks_mb.append(peak)
            log.debug(
                "exact statistics: %d units by a worker (peak RSS %s MB), done after %.1f s",
                child.n,
                "?" if peak is None else f"{peak:,.0f}",
                time.perf_counter() - t0,
            )
            results.append(got if got is not None else _run(**j))
    finally:
        for child in children:
            child.stop()
    out = {k: np.full(n, np.nan) for k in specs}
    for res in results:
        at = res["_row"].astype("int64")
        for k in specs:
            out[k][at] = res[k]
    return out


def _worker_main() -> None:
    """A worker process: one job from stdin, its columns to stdout (both pickled)."""
    import zoning.io.raster  # noqa: F401  (the readers that reopen the grids, loaded first)

    _engine()
    job = pickle.loads(sys.stdin.buffer.read())
    try:
        out = _run(**job)
    finally:
        for g in job["grids"].values():
            g.close()
    out["_peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def _engine_error(grids: Sequence[Grid], exc: Exception) -> InputError:
    """exactextract's refusal of our inputs as one line naming the grid file(s) and a fix."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    low = text.lower()
    if "incompatible extents" in low or "construct view" in low:
        fix = (
            "the grids do not share one cell grid: compute them in separate runs, or "
            "resample one onto the other's grid (gdalwarp -tr/-te)"
        )
    elif "geometr" in low or "coverage fraction" in low or "topology" in low:
        fix = "check the unit geometries with `zoning validate` and repair or simplify them"
    else:
        fix = "check the grid's CRS, extent and cell size (gdalinfo) and that the units overlap it"
    names = ", ".join(f"'{g.name}'" for g in grids)
    return InputError(
        f"exact statistics of grid(s) {names} failed in exactextract: {text}",
        source=", ".join(str(g.source or g.name) for g in grids),
        fix=fix,
    )
