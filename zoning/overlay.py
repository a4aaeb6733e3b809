"""Assign points and footprints to control units.

Points on a shared boundary
---------------------------
A point counts as inside every unit whose polygon *covers* it (interior or boundary).  When
it is covered by several units — exactly on a shared edge or vertex, or where units
overlap by mistake — it is assigned by **strict class priority**: the unit with the
strictest class wins (1 priority protection, then 2 key control, then 3 general control;
units of unknown class come last), and among units of the same class the one with the
**lowest unit code** (text order) wins.  The stricter access list thus applies, which is
the conservative reading of a boundary case, and the result does not depend on the order
of the input rows.

From :data:`INDEX_MIN_POINTS` points on, a cell index of the units
(:class:`zoning.cellindex.PointIndex`) gives the points in cells no unit boundary touches
their unit without an exact test; the assignment is the same.

Footprints
----------
Polygons and lines (a project site, a pipeline) touch several units; their share in each
unit is computed in an equal-area CRS (EPSG:6933, :data:`EQUAL_AREA`): area share for
polygons, length share for lines; a point has share 1 in its assigned unit.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.cellindex import PointIndex, assign_xy, polygonal
from zoning.errors import CRSError, InputError
from zoning.geo import EQUAL_AREA
from zoning.model import normalise_class
from zoning.sites import Sites

#: Equal-area CRS for areas and shares (WGS 84 / NSIDC EASE-Grid 2.0 Global).

__all__ = ["EQUAL_AREA", "UnitLocator", "assign_points", "footprint_shares"]

#: From this many points on, :func:`assign_points` builds a cell index of the units.
INDEX_MIN_POINTS = 50_000


def _check_crs(units: gpd.GeoDataFrame, other: gpd.GeoDataFrame, what: str) -> None:
    if units.crs is None:
        raise CRSError("the unit layer has no CRS", fix="set the CRS of the units")
    if other.crs is None:
        raise CRSError(
            f"the {what} have no CRS",
            param=what,
            fix=f"set the CRS of the {what} (read them with `crs`, or GeoDataFrame.set_crs)",
        )


def class_digits(values, /, missing: int = 0) -> np.ndarray:
    """Class digits (1-3) of a column of classes in any spelling; ``missing`` if unknown."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = np.array([normalise_class(u) or missing for u in uniques] + [missing], dtype=np.int64)
    return table[codes]  # code -1 (missing) picks the trailing ``missing``


def unit_rank(units: gpd.GeoDataFrame, /) -> np.ndarray:
    """Rank of each unit under the boundary rule (0 = wins): class digit, then code."""
    classes = class_digits(units["unit_class"], missing=9)
    codes = units["code"].astype("string").fillna("").to_numpy(dtype=object).astype(str)
    order = np.lexsort((codes, classes))
    rank = np.empty(len(units), dtype=np.int64)
    rank[order] = np.arange(len(units))
    return rank


class UnitLocator:
    """Where points fall among the units: the position of the covering unit of lowest rank
    (the boundary rule above; -1: none), asked as often as needed.

    From :data:`INDEX_MIN_POINTS` points on, a cell index of the units is built on first
    use (for ``expected`` points, or the first call's) and kept: the overlay of the
    facilities and the labels of a grid's cells by their centres share it.
    """

    def __init__(self, units: gpd.GeoDataFrame, expected: int = 0) -> None:
        self.crs = CRS.from_user_input(units.crs) if units.crs is not None else None
        self.polys = np.asarray(units.geometry.values)
        self.rank = unit_rank(units) if len(units) else np.zeros(0, dtype=np.int64)
        self.expected = int(expected)
        self._index: PointIndex | None = None
        self._polygonal: bool | None = None

    def belongs_to(self, units: gpd.GeoDataFrame) -> bool:
        """Whether this is the locator of exactly these units (the same geometry array)."""
        return np.asarray(units.geometry.values) is self.polys

    def locate(self, x, y, points=None) -> np.ndarray:
        """Per point (finite x, y in the units' CRS), the position of its unit (-1: none);
        ``points``: the point geometries, when at hand (the exact path's tree)."""
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        if not len(self.polys):
            return np.full(len(x), -1, dtype=np.int64)
        if self._index is None and len(x) >= INDEX_MIN_POINTS:
            if self._polygonal is None:
                self._polygonal = polygonal(self.polys)
            if self._polygonal:
                # a cell index: points in cells no boundary touches get their unit without
                # an exact test (the same answer; zoning.cellindex)
                n = max(self.expected, len(x))
                cells = int(np.clip(3 * n, 1_000_000, 16_000_000))
                self._index = PointIndex(self.polys, self.rank, cells)
        if self._index is not None:
            return self._index.assign(x, y)
        return assign_xy(self.polys, self.rank, x, y, points=points)


def assign_points(
    units: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    /,
    *,
    sites: Sites | None = None,
    locator: UnitLocator | None = None,
) -> np.ndarray:
    """The unit each point lies in, by position in ``units``; -1 for none.

    Parameters
    ----------
    units : GeoDataFrame
        Control units with ``code`` and ``unit_class``.
    points : GeoDataFrame
        Points (other geometries are reduced to a point on their surface).  Missing or
        empty geometries get -1.
    sites : Sites, optional (default: read from ``points``)
        The sites of ``points``' geometry array (:class:`zoning.sites.Sites`), when the
        caller has read them already; used when the points are in the units' CRS.
    locator : UnitLocator, optional (default: one for these units)
        The locator of ``units`` to ask (its cell index is kept for other questions).

    Returns
    -------
    int64 ndarray of length ``len(points)``

    Notes
    -----
    A point covered by several units (on a shared boundary) goes to the strictest class,
    then the lowest code; see the module docstring.
    """
    _check_crs(units, points, "points")
    if not CRS.from_user_input(points.crs).equals(CRS.from_user_input(units.crs)):
        points, sites = points.to_crs(units.crs), None
    geoms = np.asarray(points.geometry.values)
    if sites is None or not sites.belongs_to(geoms):
        sites = Sites.of(geoms)
    out = np.full(len(sites), -1, dtype=np.int64)
    ok = sites.finite()
    if len(units) == 0 or not ok.any():
        return out
    idx_ok = np.flatnonzero(ok)
    if locator is None:
        locator = UnitLocator(units)
    elif not locator.belongs_to(units):
        raise InputError(
            "`locator` was built from other units than `units`",
            param="locator",
            fix="pass UnitLocator(units) of the same frame, or no locator",
        )
    x, y = sites.x[idx_ok], sites.y[idx_ok]
    few = len(idx_ok) < INDEX_MIN_POINTS  # the exact path: a tree of the points themselves
    out[idx_ok] = locator.locate(x, y, points=sites.points()[idx_ok] if few else None)
    return out


def _local_lengths(parts, whole, is_line):
    """Lengths (m) of ``parts`` and ``whole`` (EQUAL_AREA geometries) measured in the local
    conformal CRS of each whole line; NaN where ``is_line`` is False."""
    from zoning.geo import WGS84, local_crs_codes, transformer

    part_len = np.full(len(parts), np.nan)
    whole_len = np.full(len(parts), np.nan)
    rows = np.flatnonzero(is_line)
    if len(rows) == 0:
        return part_len, whole_len
    to_ll = transformer(EQUAL_AREA, WGS84)
    c = shapely.centroid(whole[rows])
    lon, lat = to_ll.transform(shapely.get_x(c), shapely.get_y(c))
    codes = local_crs_codes(lon, lat)
    for code in np.unique(codes):
        sel = rows[codes == code]
        tr = transformer(EQUAL_AREA, f"EPSG:{code}")

        def fn(xy, tr=tr):
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        part_len[sel] = shapely.length(shapely.transform(parts[sel], fn))
        whole_len[sel] = shapely.length(shapely.transform(whole[sel], fn))
    return part_len, whole_len


def footprint_shares(units: gpd.GeoDataFrame, footprints: gpd.GeoDataFrame, /) -> pd.DataFrame:
    """Every (footprint, unit) overlap with the share of the footprint inside the unit.

    Parameters
    ----------
    units : GeoDataFrame
        Control units.
    footprints : GeoDataFrame
        Points, lines or polygons (project sites).

    Returns
    -------
    DataFrame with columns ``subject`` (position in ``footprints``), ``unit`` (position in
    ``units``), ``share`` (0..1), ``overlap_m2`` (polygons, in :data:`EQUAL_AREA`) and
    ``overlap_m`` (lines, in the local Gauss-Krüger/UTM zone of each line: an equal-area
    CRS distorts lengths).  Points get one row (share 1) in the unit chosen by
    :func:`assign_points`.  Footprints outside every unit get no row.
    """
    _check_crs(units, footprints, "footprints")
    ea_units = np.asarray(units.to_crs(EQUAL_AREA).geometry.values)
    ea_fp = np.asarray(footprints.to_crs(EQUAL_AREA).geometry.values)
    dim = shapely.get_dimensions(ea_fp)
    frames = []
    is_pt = dim == 0
    if is_pt.any():
        pos = np.flatnonzero(is_pt)
        assigned = assign_points(units, footprints.iloc[pos])
        keep = assigned >= 0
        frames.append(
            pd.DataFrame(
                {
                    "subject": pos[keep],
                    "unit": assigned[keep],
                    "share": 1.0,
                    "overlap_m2": np.nan,
                    "overlap_m": np.nan,
                }
            )
        )
    rest = np.flatnonzero(dim > 0)
    if len(rest):
        tree = shapely.STRtree(ea_units)
        s_idx, u_idx = tree.query(ea_fp[rest], predicate="intersects")
        subj = rest[s_idx]
        inter = shapely.intersection(ea_fp[subj], ea_units[u_idx])
        poly = dim[subj] == 2
        area = shapely.area(inter)
        length, line_total = _local_lengths(inter, ea_fp[subj], ~poly)
        total = np.where(poly, shapely.area(ea_fp[subj]), line_total)
        part = np.where(poly, area, length)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, part / total, 0.0)
        frame = pd.DataFrame(
            {
                "subject": subj,
                "unit": u_idx,
                "share": share,
                "overlap_m2": np.where(poly, area, np.nan),
                "overlap_m": np.where(poly, np.nan, length),
            }
        )
        frames.append(frame[frame["share"] > 0])
    if not frames:
        return pd.DataFrame(columns=["subject", "unit", "share", "overlap_m2", "overlap_m"])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["subject", "unit"], kind="stable").reset_index(drop=True)
