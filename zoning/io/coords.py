"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) coordinates to and from WGS 84, vectorised.

PROJ does not know these obfuscated systems; Chinese web maps and many exported point
lists use them.  The forward formula WGS 84 → GCJ-02 is the published one (Krasovsky
semi-major axis 6378245 m, eccentricity² 0.00669342162296594323); it agrees with the
common implementations to a few centimetres.  The inverses are not closed-form: the usual
one-step inverse is off by up to about 5 m, so :func:`convert` iterates the forward formula
until the residual is below ``tol_deg`` (default 1e-9 degree ≈ 0.1 mm), typically in 3 to 5
iterations.  BD-09 is a further shift of GCJ-02; its inverse is iterated the same way.

Outside China's bounding box (the test the published formula uses) GCJ-02 equals WGS 84;
coordinates there are returned unchanged, as every implementation does.  NaN stays NaN.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from zoning.errors import InputError

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _d_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _d_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _d_lat(lon - 105.0, lat - 35.0)
    dlon = _d_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(forward, lon, lat, start, tol_deg: float, max_iter: int):
    """Solve forward(w) = (lon, lat) by fixed-point iteration from ``start``."""
    wlon, wlat = start
    for _ in range(max_iter):
        flon, flat = forward(wlon, wlat)
        rlon, rlat = flon - lon, flat - lat
        wlon, wlat = wlon - rlon, wlat - rlat
        resid = (
            np.nanmax(np.abs(np.concatenate([np.ravel(rlon), np.ravel(rlat)])))
            if rlon.size
            else 0.0
        )
        if not np.isfinite(resid) or resid < tol_deg:
            break
    return wlon, wlat


def _gcj_to_wgs(lon, lat, tol_deg, max_iter):
    return _invert(_wgs_to_gcj, lon, lat, (lon, lat), tol_deg, max_iter)


def _bd_to_gcj(lon, lat, tol_deg, max_iter):
    return _invert(_gcj_to_bd, lon, lat, _bd_to_gcj_approx(lon, lat), tol_deg, max_iter)


def convert(
    lon,
    lat,
    /,
    source: CoordSystem,
    target: CoordSystem = "wgs84",
    *,
    tol_deg: float = 1e-9,
    max_iter: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitudes and latitudes between WGS 84, GCJ-02 and BD-09.

    Parameters
    ----------
    lon, lat : array-like of float
        Longitudes and latitudes in degrees (same shape).  NaN stays NaN.
    source, target : {"wgs84", "gcj02", "bd09"}
        The systems converted from and to (default target: ``"wgs84"``).
    tol_deg : float, optional (default: 1e-9)
        Residual (degrees) at which the iterative inverses stop; 1e-9° ≈ 0.1 mm.
    max_iter : int, optional (default: 30)
        Iteration cap of the inverses.

    Returns
    -------
    (lon, lat) : tuple of float ndarrays
    """
    for name, value in (("source", source), ("target", target)):
        if value not in SYSTEMS:
            raise InputError(
                f"`{name}` was '{value}' but is expected to be in {SYSTEMS}",
                field="--coords",
                fix="use wgs84, gcj02 or bd09",
            )
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if lon.shape != lat.shape:
        raise InputError(f"lon and lat have different shapes {lon.shape} and {lat.shape}")
    if source == target:
        return lon.copy(), lat.copy()
    # everything goes through GCJ-02
    if source == "wgs84":
        glon, glat = _wgs_to_gcj(lon, lat)
    elif source == "bd09":
        glon, glat = _bd_to_gcj(lon, lat, tol_deg, max_iter)
    else:
        glon, glat = lon, lat
    if target == "gcj02":
        return np.array(glon, copy=True), np.array(glat, copy=True)
    if target == "bd09":
        return _gcj_to_bd(glon, glat)
    return _gcj_to_wgs(glon, glat, tol_deg, max_iter)


def convert_geometries(geoms, /, source: CoordSystem, target: CoordSystem = "wgs84") -> np.ndarray:
    """Every vertex of ``geoms`` (lon/lat, any geometry type) converted between systems.

    Lines and polygons are converted vertex by vertex: the offsets vary by well under a
    millimetre over the length of an edge of a published boundary, so edges stay edges.
    """
    import shapely

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = convert(xy[:, 0], xy[:, 1], source, target)
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), move)
