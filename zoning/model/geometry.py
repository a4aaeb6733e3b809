"""Geometry of unit layers: refuse missing or invalid shapes, or repair them.

Ground floor (shapely only): writers that publish a layer and readers use it; the full
check of a unit layer, with reason codes, is :func:`zoning.validate.validate_units`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.validation import explain_validity

from zoning.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


def require_valid_geometry(frame: gpd.GeoDataFrame, /, *, source: str | None = None) -> None:
    """Raise :class:`~zoning.errors.InputError` naming the rows whose geometry is missing or
    invalid; commands that publish a layer refuse to publish broken shapes."""
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    bad = np.flatnonzero(missing | invalid)
    if len(bad) == 0:
        return
    first = int(bad[0])
    why = "no geometry" if missing[first] else explain_validity(geoms[first])
    code = frame["code"].iloc[first] if "code" in frame else None
    rows = ", ".join(str(int(i) + 1) for i in bad[:10]) + (" ..." if len(bad) > 10 else "")
    raise InputError(
        f"{len(bad)} feature(s) have missing or invalid geometry (rows {rows}); the first"
        + (f", unit {code}," if code is not None else "")
        + f" has {why}",
        source=source or frame.attrs.get("source"),
        row=first + 1,
        fix="run `zoning validate` to list every problem, then repair the shapes "
        "(e.g. QGIS 'Fix geometries' or shapely.make_valid)",
    )


def repair_geometry(frame: gpd.GeoDataFrame, /, *, source=None) -> gpd.GeoDataFrame:
    """Invalid unit polygons made valid (``make_valid``, their polygonal parts kept).

    Each repaired unit is logged (warning) with its row (from 1), code and what was
    wrong; a unit left without area raises :class:`~zoning.errors.InputError` naming the
    rows.  Valid units are returned untouched (the same frame when none was invalid).
    """
    source = source or frame.attrs.get("source") or "the units"
    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~shapely.is_valid(geoms)
    if not bad.any():
        return frame
    fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    # keep the polygonal parts of what make_valid returns (lines from collapsed spikes go)
    parts = [
        [
            q
            for p in shapely.get_parts(g)
            for q in shapely.get_parts(p)
            if q.geom_type == "Polygon" and not q.is_empty
        ]
        for g in fixed
    ]
    codes = frame["code"].tolist() if "code" in frame else [None] * len(frame)
    gone = [int(i) for i, p in zip(np.flatnonzero(bad), parts, strict=True) if not p]
    shown = ", ".join(str(i + 1) for i in gone[:10])  # rows counted from 1
    if gone:
        raise InputError(
            f"{len(gone)} unit(s) have no area left once repaired (rows {shown}); "
            f"the first, "
            f"{codes[gone[0]]}, is {explain_validity(geoms[gone[0]])}",
            source=source,
            row=gone[0] + 1,
            fix="redraw or delete those units in the source layer",
        )
    parts = [shapely.multipolygons(p) for p in parts]
    why = [explain_validity(g) for g in geoms[bad]]
    frame = frame.copy()
    geoms = geoms.copy()
    geoms[bad] = shapely.normalize(np.asarray(parts, dtype=object))
    frame = frame.set_geometry(
        type(frame.geometry)(geoms, index=frame.index, crs=frame.crs), crs=frame.crs
    )
    for i, reason in zip(np.flatnonzero(bad), why, strict=True):
        n = shapely.get_num_geometries(geoms[i])
        log.warning(
            "repaired unit %s (row %d) of %s: %s; now %d valid polygon part(s)",
            codes[i],
            i + 1,
            source,
            reason,
            n,
        )
    return frame
