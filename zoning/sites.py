"""The site of each geometry of an array, read once: the facts every step asks about.

A facility (or project) counts at its *site*: the point itself, or a point on the surface
of a polygon or line.  The overlay, the validity check and the rule engine all ask the
same questions of the same geometries (which are missing or empty, what type each is,
the x, y of each site); :class:`Sites` answers them once per array so that a million rows
are not read three times (``conflicts`` passes one ``Sites`` to every step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True, eq=False)
class Sites:
    """Per geometry of ``geoms``: its shapely type id (-1: missing), whether it is present
    (not missing, not empty) and the x, y of its site, in the geometries' own CRS (NaN
    where not present, for a line or polygon with a non-finite coordinate, and for a
    collection GEOS finds no point on; a point's own coordinates as they are)."""

    geoms: np.ndarray
    types: np.ndarray
    present: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, geoms) -> Sites:
        """The sites of an array (or GeoSeries / GeometryArray) of geometries."""
        geoms = np.asarray(geoms, dtype=object)
        try:
            # get_x / get_y are NaN for a missing geometry and anything but a point: a
            # finite pair is a point, and only the other rows are asked their type
            x, y = shapely.get_x(geoms), shapely.get_y(geoms)
            ask = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
        except shapely.errors.GEOSException:  # GEOS refuses an empty point: ask every row
            x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
            ask = np.arange(len(geoms))
        types = np.zeros(len(geoms), dtype=np.int32)
        present = np.ones(len(geoms), dtype=bool)
        if len(ask):
            g = geoms[ask]
            types[ask] = shapely.get_type_id(g)
            present[ask] = (types[ask] >= 0) & ~shapely.is_empty(g)
            point = ask[present[ask] & (types[ask] == 0)]
            x[ask], y[ask] = np.nan, np.nan
            x[point], y[point] = shapely.get_x(geoms[point]), shapely.get_y(geoms[point])
        other = np.flatnonzero(present & (types != 0))
        if len(other):  # a geometry with a non-finite coordinate has no site (NaN)
            coords, which = shapely.get_coordinates(geoms[other], return_index=True)
            bad = np.bincount(which[~np.isfinite(coords).all(axis=1)], minlength=len(other))
            other = other[bad == 0]  # (bounds would skip a NaN vertex)
            pts = shapely.point_on_surface(geoms[other])
            # GEOS gives an empty point for a collection with an empty part: no site
            found = ~shapely.is_empty(pts)
            other, pts = other[found], pts[found]
            x[other], y[other] = shapely.get_x(pts), shapely.get_y(pts)
        return cls(geoms, types, present, x, y)

    def __len__(self) -> int:
        return len(self.geoms)

    def finite(self) -> np.ndarray:
        """Present, with finite site coordinates."""
        return self.present & np.isfinite(self.x) & np.isfinite(self.y)

    def points(self) -> np.ndarray:
        """The geometries with each non-point replaced by its site point (a copy only
        when there is one)."""
        other = self.present & (self.types != 0)
        if not other.any():
            return self.geoms
        out = self.geoms.copy()
        out[other] = shapely.points(self.x[other], self.y[other])
        return out

    def without(self, rows: np.ndarray, geoms: np.ndarray) -> Sites:
        """These sites with ``rows`` (a mask) made missing, for ``geoms``: the same array
        with those rows set to None."""
        keep = ~np.asarray(rows, dtype=bool)
        return Sites(
            np.asarray(geoms, dtype=object),
            np.where(keep, self.types, -1),
            self.present & keep,
            np.where(keep, self.x, np.nan),
            np.where(keep, self.y, np.nan),
        )

    def belongs_to(self, geoms) -> bool:
        """Whether these are the sites of exactly this array (the same object)."""
        return np.asarray(geoms) is self.geoms
