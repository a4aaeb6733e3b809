"""Where a static map is drawn: its metric CRS, its bounds, the scale bar's round length,
the meridian convergence of its north arrow, and the reprojection of its layers.

Layers are reprojected vertex-wise through one cached transformer per pair of CRSs
(:func:`zoning.geo.transformer`); from longitude/latitude (EPSG:4326, 4490) to a local
Gauss-Krüger or UTM zone through the projection's own PROJ pipeline
(:func:`zoning.geo.lonlat_to_local`), which costs no PROJ database look-up (~0.1 s each).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from zoning.errors import CRSError, InputError


def _local_code(crs) -> int | None:
    code = crs.to_epsg()
    if code is not None and (
        4534 <= code <= 4554 or 32601 <= code <= 32660 or 32701 <= code <= 32760
    ):
        return code
    return None


@functools.lru_cache(maxsize=64)
def _lonlat_pipeline(code: int):
    from zoning.geo import lonlat_to_local

    return lonlat_to_local(code)


def _transformer_for(src, dst):
    """A transformer from ``src`` to ``dst`` (x = east), or None for the same CRS."""
    from pyproj import CRS

    from zoning.geo import transformer

    src, dst = CRS.from_user_input(src), CRS.from_user_input(dst)
    if src == dst:
        return None, dst
    if src.to_epsg() in _SAME_LONLAT:
        code = _local_code(dst)
        if code is not None:
            return _lonlat_pipeline(code), dst
        if dst.to_epsg() == 6933:  # the equal-area CRS: its PROJ definition as a pipeline
            return _equal_area_pipeline(), dst
    return transformer(src, dst), dst


@functools.lru_cache(maxsize=1)
def _equal_area_pipeline():
    """Longitude/latitude to EPSG:6933 (WGS 84 / EASE-Grid 2.0: cylindrical equal-area,
    standard parallel 30°), PROJ's own pipeline of that CRS: the same numbers as
    ``Transformer.from_crs`` without its ~0.3 s database look-up."""
    from pyproj import Transformer

    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=cea +lat_ts=30 +lon_0=0 +x_0=0 +y_0=0 +ellps=WGS84"
    )


#: WGS 84 and CGCS2000 longitude/latitude: PROJ's transformation between them is a null
#: "ballpark" offset (the same numbers), so a frame is relabelled, not transformed.
_SAME_LONLAT = frozenset({4326, 4490})


def to_map_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs, /):
    """``frame`` in ``crs`` (a GeoDataFrame or GeoSeries like the one given)."""
    from pyproj import CRS

    target = CRS.from_user_input(crs)
    if frame.crs is not None and {frame.crs.to_epsg(), target.to_epsg()} <= _SAME_LONLAT:
        return frame if frame.crs == target else frame.set_crs(target, allow_override=True)
    tr, crs = _transformer_for(frame.crs, target)
    if tr is None:
        return frame

    def fn(xy):
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    geoms = shapely.transform(np.asarray(frame.geometry.values), fn)
    if isinstance(frame, gpd.GeoSeries):
        return gpd.GeoSeries(geoms, index=frame.index, crs=crs, name=frame.name)
    name = frame.geometry.name
    data = frame.drop(columns=[name])
    data[name] = geoms
    return gpd.GeoDataFrame(data, geometry=name, crs=crs)


def _map_crs(crs, frames: Sequence[gpd.GeoDataFrame], extent):
    from pyproj import CRS

    from zoning.geo import local_crs

    if crs is not None:
        crs = CRS.from_user_input(crs)
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise CRSError(
                f"`crs` was {crs.to_string()} but a static map is drawn in metres",
                fix="give a projected CRS in metres (or none: the local Gauss-Krüger/UTM zone)",
            )
        return crs
    ref = _extent_geoseries(extent) if extent is not None else None
    if ref is None:
        ref = next((f.geometry for f in frames if f.crs is not None and len(f)), None)
    if ref is None:
        raise InputError("a static map needs a layer with features and a CRS, or an extent")
    c = shapely.envelope(shapely.union_all(np.asarray(to_map_crs(ref, "EPSG:4326").values)))
    c = c.centroid
    return local_crs(c.x, c.y)


def _extent_geoseries(extent):
    if isinstance(extent, gpd.GeoDataFrame | gpd.GeoSeries):
        if extent.crs is None:
            raise CRSError("the extent has no CRS", fix="set one")
        return extent.geometry if isinstance(extent, gpd.GeoDataFrame) else extent
    return None


def _bounds(extent, crs, frames) -> tuple[float, float, float, float]:
    ser = _extent_geoseries(extent)
    if ser is not None:
        return tuple(float(v) for v in to_map_crs(ser, crs).total_bounds)
    if extent is not None:
        x0, y0, x1, y1 = (float(v) for v in extent)
        if not (x1 > x0 and y1 > y0):
            raise InputError(
                f"`extent` was {extent!r} but must be (xmin, ymin, xmax, ymax) with xmax > xmin "
                "and ymax > ymin, in the map CRS (metres)"
            )
        return x0, y0, x1, y1
    boxes = [to_map_crs(f, crs).total_bounds for f in frames if len(f) and f.crs is not None]
    if not boxes:
        raise InputError("a static map needs a layer with features or an extent")
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def nice_length(max_m: float) -> int:
    """The largest round length (1, 2 or 5 × 10^k metres) not above ``max_m``."""
    if not max_m > 0:
        raise ValueError(f"`max_m` was {max_m} but must be positive")
    k = math.floor(math.log10(max_m))
    for m in (5, 2, 1):
        if m * 10**k <= max_m:
            return int(m * 10**k) if k >= 0 else m * 10**k
    return int(10**k)  # pragma: no cover


def _length_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def _convergence_deg(crs, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise) from grid north to true north at (x, y)."""
    tr, _ = _transformer_for("EPSG:4326", crs)
    lon, lat = tr.transform(x, y, direction="INVERSE")
    x2, y2 = tr.transform(lon, min(lat + 0.01, 89.99))
    return math.degrees(math.atan2(-(x2 - x), y2 - y))
