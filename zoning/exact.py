"""exactextract fed by our grids: raster sources read through :class:`zoning.grid.Grid`
(nodata, masks, scale/offset and unit conversion applied on the fly, block by block),
units as WKB features, and the operations behind each statistic of :mod:`zoning.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from zoning.errors import InputError
from zoning.grid import Grid

# --- the exactextract adapters ------------------------------------------------------------


def _engine():
    from exactextract import exact_extract
    from exactextract.feature import Feature, FeatureSource
    from exactextract.operation import Operation
    from exactextract.raster import RasterSource

    return exact_extract, Feature, FeatureSource, Operation, RasterSource


def _records_writer():
    """An exactextract writer keeping each feature's results as one dict (a table at the
    end): the pandas writer's per-field Python loop and per-feature objects left out."""
    import pandas as pd
    from exactextract.writer import Writer

    Feature = _engine()[1]

    class Values(Feature):
        def __init__(self):
            Feature.__init__(self)
            self.values = {}

        def set(self, name, value):
            self.values[name] = value

        def set_geometry(self, wkb):
            pass  # the results only: the units keep their own geometry

        def set_geometry_format(self):
            return "wkb"

    class RecordsWriter(Writer):
        def __init__(self):
            super().__init__()
            self.fields: list[str] = []
            self.rows: list[dict] = []
            self.target = Values()

        def add_operation(self, op):
            self.fields.append(op.name)

        def add_column(self, name):
            self.fields.append(name)

        def add_geometry(self):
            raise NotImplementedError("no geometry is written back")

        def write(self, feature):
            self.target.values = {}
            feature.copy_to(self.target)
            self.rows.append(self.target.values)

        def features(self):
            return pd.DataFrame.from_records(self.rows, columns=self.fields)

    return RecordsWriter()


def _make_sources(grid: Grid):
    """exactextract raster sources for a grid's values and its true cell areas."""
    _, _, _, _, RasterSource = _engine()
    plain = grid.raw_is_output
    integer = np.issubdtype(grid.raw_dtype, np.integer)

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
            if plain:  # exactextract masks the nodata value itself
                return grid.read_raw(y0, x0, ny, nx, mask=False)[0]
            return grid.read(y0, x0, ny, nx)

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


def _feature_source(geoms: np.ndarray, rows: np.ndarray, wkt: str):
    """Features as WKB (faster than the GeoJSON round trip of a GeoDataFrame source)."""
    _, Feature, FeatureSource, _, _ = _engine()
    wkbs = shapely.to_wkb(geoms)

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
            for r, w in zip(rows.tolist(), wkbs, strict=True):
                yield WkbFeature(r, w)

        def srs_wkt(self):
            return wkt

    return WkbSource()


# --- the operations -----------------------------------------------------------------------


def _ops_for(grid: Grid, stats: tuple[str, ...], src, area_src, ops: dict, shared: dict):
    """exactextract operations (added to ``ops``), and how to assemble our statistics from
    their columns.  ``shared``: operations that depend only on the cell grid, not on the
    values (the count of all covered cells), made once for the grids of one call."""
    *_, Operation, _ = _engine()
    n = grid.name

    def need(stat, key, weights=None, args=None):
        if key not in ops:
            ops[key] = Operation(stat, key, src, weights, args or {})
        return key

    def covered() -> str:
        # every covered cell inside the grid, missing ones counted as 0: the same
        # coverage fractions for every grid on this cell grid, so counted once
        if "all" not in shared:
            shared["all"] = need("count", f"{n}@all", None, {"default_value": "0"})
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
            recipe[s] = ("col", need("weighted_mean", f"{n}@wmean", area_src))
        elif s == "nodata_share":
            recipe[s] = ("nodata", need("count", f"{n}@count"), covered())
    # always: how many valid cells each unit covers, to refuse a grid with none at all
    recipe["_valid"] = ("col", need("count", f"{n}@count"))
    return recipe


def _extract_group(geoms, rows, crs, grids, stats_by_grid, strategy, max_cells):
    exact_extract = _engine()[0]
    ops, shared, recipes = {}, {}, {}
    # the Python raster sources must outlive the call: exactextract's operations hold
    # only C++ references to them (a source collected early is a segmentation fault)
    keep_alive = []
    for g in grids:
        src, area_src = _make_sources(g)
        keep_alive += [src, area_src]
        recipes[g.name] = _ops_for(g, stats_by_grid[g.name], src, area_src, ops, shared)
    features = _feature_source(geoms, rows, crs.to_wkt())
    try:
        df = exact_extract(
            None,
            features,
            list(ops.values()),
            include_cols=["_row"],
            output=_records_writer(),
            strategy=strategy,
            max_cells_in_memory=max_cells,
        )
    except InputError:
        raise  # ours, from reading a grid: already names the file and the fix
    except (RuntimeError, ValueError) as exc:
        raise _engine_error(grids, exc) from exc
    finally:
        del keep_alive
    df = df.set_index("_row")
    df.index = df.index.astype("int64")  # also when no unit is usable (an empty table)
    return df, recipes


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
