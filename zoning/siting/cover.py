"""What lies under each parcel or patch: mean slope, land-cover classes, people nearby.

Rasters come as :class:`zoning.grid.Grid` (or ``(array, Affine, CRS)``) with NaN for nodata; a cell belongs to a
geometry when its centre is inside it, and a geometry smaller than a cell takes the cell
under a point inside it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS

from zoning.grid import Grid
from zoning.io.afforest import Legend
from zoning.sampling import as_grid, cell_of


def _cell_ids(geoms: gpd.GeoSeries, grid: Grid):
    """The geometries in the grid's CRS and a raster of 1-based geometry numbers (0: none)
    over the grid, each cell taken by its centre."""
    from rasterio.features import rasterize

    grid = as_grid(grid)
    shape, crs = (grid.height, grid.width), grid.crs
    g = geoms.to_crs(crs) if crs is not None and geoms.crs != CRS.from_user_input(crs) else geoms
    if not len(g):
        return g, np.zeros(shape, dtype="int32")
    ids = rasterize(
        ((geom, i + 1) for i, geom in enumerate(g.values) if geom is not None),
        out_shape=shape,
        transform=grid.transform,
        fill=0,
        dtype="int32",
    )
    return g, ids


def _cells_under_points(g: gpd.GeoSeries, which: np.ndarray, grid: Grid):
    """Row, column and in-grid flag of the cell under a point inside each of ``g[which]``
    (for geometries smaller than a cell)."""
    grid = as_grid(grid)
    pts = g.iloc[which].representative_point()
    return cell_of(grid.transform, (grid.height, grid.width), pts.x.to_numpy(), pts.y.to_numpy())


def _zonal_mean(geoms: gpd.GeoSeries, grid: Grid) -> np.ndarray:
    """Per-geometry mean of a grid (cells by centre; small geometries by a point)."""
    grid = as_grid(grid)
    arr = grid.read()
    n = len(geoms)
    if n == 0:
        return np.full(0, np.nan)
    g, ids = _cell_ids(geoms, grid)
    valid = (ids > 0) & np.isfinite(arr)
    idx = ids[valid] - 1
    cnt = np.bincount(idx, minlength=n)
    tot = np.bincount(idx, weights=arr[valid], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cnt > 0, tot / cnt, np.nan)
    missing = np.flatnonzero(np.isnan(out))
    if len(missing):  # geometries smaller than a cell: the cell under a point inside
        rows, cols, ok = _cells_under_points(g, missing, grid)
        out[missing[ok]] = arr[rows[ok], cols[ok]]
    return out


def _cover_classes(geoms: gpd.GeoSeries, grid: Grid, legend: Legend):
    """Per geometry: majority class (None without data), its share, and the share of
    never-plantable classes, counting the cells whose centre is inside (or, for a
    geometry smaller than a cell, the cell under a point inside it)."""
    from zoning.io.afforest import NEVER_PLANTABLE

    grid = as_grid(grid)
    arr = grid.read()
    n = len(geoms)
    # never-plantable classes first, so that a tie goes to them
    names = sorted(set(legend.classes) - {"nodata"}, key=lambda c: (c not in NEVER_PLANTABLE, c))
    k = len(names)
    cls_of_pos = np.array([names.index(c) if c != "nodata" else -1 for c in legend.classes])

    def classes_of(values):
        pos = legend.index_of(values.astype("int64"))
        return np.where(pos >= 0, cls_of_pos[np.maximum(pos, 0)], -1)

    counts = np.zeros((n, max(k, 1)))
    if n and k:
        g, ids = _cell_ids(geoms, grid)
        valid = (ids > 0) & np.isfinite(arr)
        idx = ids[valid] - 1
        cls = classes_of(arr[valid])
        ok = cls >= 0
        counts = np.bincount(idx[ok] * k + cls[ok], minlength=n * k).reshape(n, k)
        counts = counts.astype("float64")
        empty = np.flatnonzero(counts.sum(axis=1) == 0)
        if len(empty):  # smaller than a cell: the cell under a point inside
            rows, cols, inside = _cells_under_points(g, empty, grid)
            vals = np.full(len(empty), np.nan)
            vals[inside] = arr[rows[inside], cols[inside]]
            has = np.isfinite(vals)
            c = np.full(len(empty), -1)
            c[has] = classes_of(vals[has])
            hit = c >= 0
            counts[empty[hit], c[hit]] = 1.0
    total = counts.sum(axis=1)
    major = np.full(n, None, dtype=object)
    share = np.full(n, np.nan)
    never = np.full(n, np.nan)
    has = total > 0
    if has.any():
        best = counts.argmax(axis=1)  # ties: forest, water, built-up first
        major[has] = np.array(names, dtype=object)[best[has]]
        share[has] = counts[has, best[has]] / total[has]
        never_idx = [names.index(c) for c in NEVER_PLANTABLE if c in names]
        never[has] = counts[has][:, never_idx].sum(axis=1) / total[has] if never_idx else 0.0
    return major, share, never


def slope_degrees(dem: Grid, /) -> np.ndarray:
    """Slope in degrees of a DEM (metres), from central differences.

    Cell sizes come from the transform; in a geographic CRS they are converted to metres
    at each row's latitude.
    """
    dem = as_grid(dem)
    transform, crs = dem.transform, dem.crs
    z = np.asarray(dem.read(), dtype="float64")
    dx = abs(transform.a)
    dy = abs(transform.e)
    if crs is not None and crs.is_geographic:
        lat = transform.f + transform.e * (np.arange(z.shape[0]) + 0.5)
        dx_m = dx * 111_320.0 * np.cos(np.deg2rad(lat))[:, None] * np.ones((1, z.shape[1]))
        dy_m = dy * 110_540.0
    else:
        dx_m, dy_m = dx, dy
    gy, gx = np.gradient(z)
    return np.degrees(np.arctan(np.hypot(gx / dx_m, gy / dy_m)))


def _people_near(patches, grid: Grid, buffer_m: float, crs) -> np.ndarray:
    """People in grid cells whose centre lies within ``buffer_m`` of each patch."""
    grid = as_grid(grid)
    arr, transform, gcrs = grid.read(), grid.transform, grid.crs
    rows, cols = np.nonzero(np.isfinite(arr) & (arr > 0))
    out = np.zeros(len(patches))
    if not len(rows):
        return out
    t = transform
    xs = t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b
    ys = t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e
    pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=gcrs).to_crs(crs)
    zones = patches.to_crs(crs).geometry.buffer(buffer_m)
    pi, zi = zones.sindex.query(pts, predicate="intersects")
    np.add.at(out, zi, arr[rows[pi], cols[pi]])
    return np.round(out, 1)
