"""The checks of a project's geometry: a polygon's crossing edges found (and repaired when
asked), coordinates impossible for their CRS refused naming the likely cause, and the
survey-sheet conventions of x/y (X the northing, zone-prefixed eastings) undone.
Used by :mod:`zoning.io.projects` and :mod:`zoning.io._vertices`.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely
from pyproj import CRS

from zoning.errors import CRSError, InputError
from zoning.io.coords import check_coordinates

#: Logged under the reader's name, so a filter set on it still applies.
log = logging.getLogger("zoning.io.projects")


def _crossings(ring: np.ndarray) -> str:
    """Which edges of a ring cross, e.g. 'edges 1-2 and 3-4 cross at (x, y)'."""
    segs = shapely.linestrings(np.stack([ring[:-1], ring[1:]], axis=1))
    tree = shapely.STRtree(segs)
    a, b = tree.query(segs, predicate="intersects")
    m = (b > a + 1) & ~((a == 0) & (b == len(segs) - 1))
    if not m.any():
        return ""
    i, j = int(a[m][0]), int(b[m][0])
    p = shapely.intersection(segs[i], segs[j])
    c = shapely.get_coordinates(p)[0]
    return (
        f"edges {i + 1}-{i + 2} and {j + 1}-{j + 2 if j + 2 <= len(segs) else 1} "
        f"cross at ({c[0]:.7g}, {c[1]:.7g})"
    )


def _fix_polygon(geom, *, repair: bool, source, row) -> tuple[object, str]:
    """Check a polygon; repair it (make_valid) when asked.  Returns (geometry, note)."""
    if geom is None or shapely.get_dimensions(geom) != 2 or shapely.is_valid(geom):
        return geom, ""
    reason = shapely.is_valid_reason(geom)
    where = ""
    for poly in shapely.get_parts(geom):
        where = _crossings(shapely.get_coordinates(shapely.get_exterior_ring(poly)))
        if where:
            break
    if not repair:
        raise InputError(
            f"the polygon is not valid: {reason}" + (f"; {where}" if where else ""),
            source=source,
            row=row,
            field="geometry",
            fix="list the vertices once around the boundary in order (the edges must not "
            "cross), or pass `repair` to split the polygon at the crossing",
        )
    fixed = shapely.make_valid(geom)
    polys = [p for p in shapely.get_parts(fixed) if shapely.get_dimensions(p) == 2]
    if not polys:
        raise InputError(
            f"the polygon is not valid ({reason}) and cannot be repaired",
            source=source,
            row=row,
            field="geometry",
            fix="check the vertices",
        )
    out = shapely.union_all(polys)
    n = len(shapely.get_parts(out))
    note = (
        f"repaired: the polygon was not valid ({reason}"
        + (f"; {where}" if where else "")
        + f"); repaired footprint has {n} part(s)"
    )
    log.warning("%s: %s", source or "project", note)
    return out, note


#: The fix when projected coordinates come without a CRS (no zone can be guessed).
_PROJECTED_FIX = (
    "name the CRS the x/y were surveyed in with `crs`; CGCS2000 Gauss-Krüger zones are "
    "EPSG:4491-4554 (e.g. EPSG:4549 is the 3-degree zone with central meridian 120E, "
    "eastings without the zone prefix)"
)


def _refuse_impossible(geoms, crs, source, what: str) -> None:
    """Refuse coordinates impossible for ``crs``, naming the likely cause."""
    check = check_coordinates(np.atleast_1d(np.asarray(geoms, dtype=object)), crs)
    if not check.any():
        return
    bad = np.flatnonzero(check.bad)
    many = len(check.problems) > 1
    raise CRSError(
        (f"{check.cause}: " if check.cause else "coordinates impossible for the CRS: ")
        + (
            f"{len(bad)} of {len(check.problems)} {what} (first: {bad[0] + 1}, "
            f"{check.problems[bad[0]]})"
            if many
            else str(check.problems[0])
        ),
        source=source,
        fix=check.fix or "check the CRS (`crs`)",
    )


def _survey_xy(x, y, crs: CRS, notes: list[str], source):
    """Survey-sheet conventions: X = northing (swap back), zone-prefixed eastings."""

    def is_north(v):
        return (v >= 1e6) & (v < 1e7)

    if is_north(x).all() and not is_north(y).any():
        x, y = y, x
        notes.append("X held northings and Y eastings (surveying convention): swapped")
    if (x >= 1e7).all():
        epsg = crs.to_epsg() or 0
        zone = np.floor(x / 1e6)
        if 4534 <= epsg <= 4554 and (zone == (75 + 3 * (epsg - 4534)) // 3).all():
            x = x - zone * 1e6
            notes.append(f"removed the Gauss-Krüger zone prefix {int(zone[0])} from the eastings")
        elif not (4513 <= epsg <= 4533 or 4491 <= epsg <= 4501):
            raise CRSError(
                f"the eastings carry a zone prefix {int(zone[0])} that does not match {crs.name}",
                source=source,
                fix=f"name the CRS of zone {int(zone[0])}, e.g. the CGCS2000 3-degree "
                "Gauss-Krüger zone with that central meridian",
            )
    return x, y
