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
                param=name,
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


# ----------------------------------------------------------------------------------------
# coordinates that the declared CRS cannot hold

#: Degrees a feature may lie beyond its CRS's area of use before it is called impossible
#: (a county may straddle a Gauss-Krüger zone's edge; a mis-declared layer is far off).
AREA_MARGIN_DEG = 2.0


class CoordCheck:
    """Per-row coordinate problems of a layer against its declared CRS.

    Attributes
    ----------
    problems : ndarray of object
        One entry per row: None, or why its coordinates are impossible for the CRS.
    cause : str
        The likely cause for the layer (swapped axes, degrees declared as metres, a
        missing zone prefix …), empty when no row has a problem.
    fix : str
        What to do about it.
    """

    def __init__(self, problems: np.ndarray, cause: str = "", fix: str = "") -> None:
        self.problems = problems
        self.cause = cause
        self.fix = fix
        self.bad = np.not_equal(problems, None).astype(bool)  # one boolean per row
        self.not_finite = np.zeros(len(problems), dtype=bool)

    def any(self) -> bool:
        return bool(self.bad.any())

    def message(self, what: str = "feature(s)") -> str:
        bad = np.flatnonzero(self.bad)
        rows = ", ".join(str(int(i) + 1) for i in bad[:5]) + (" ..." if len(bad) > 5 else "")
        return (
            (f"{self.cause}: " if self.cause else "coordinates impossible for the CRS: ")
            + f"{len(bad)} of {len(self.problems)} {what} (rows {rows}; row "
            f"{int(bad[0]) + 1}: {self.problems[bad[0]]})"
        )


def _aou(crs) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:
        return None
    w, s, e, n = area.bounds
    return (-180.0, s, 180.0, n) if w > e else (w, s, e, n)  # across the antimeridian


def _crs_label(crs) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _gk_prefix_twin(epsg: int | None) -> tuple[str, int] | None:
    """CGCS2000 Gauss-Krüger: ('prefix'|'plain', EPSG of the twin) for zone CRSs."""
    if epsg is None:
        return None
    if 4491 <= epsg <= 4501:  # 6-degree zones 13-23 with the zone prefix
        return "prefix", epsg + 11
    if 4502 <= epsg <= 4512:
        return "plain", epsg - 11
    if 4513 <= epsg <= 4533:  # 3-degree zones 25-45 with the zone prefix
        return "prefix", epsg + 21
    if 4534 <= epsg <= 4554:
        return "plain", epsg - 21
    return None


def _zone_epsg(prefix: int) -> int | None:
    """The CGCS2000 Gauss-Krüger CRS whose eastings carry ``prefix`` (zone number)."""
    if 25 <= prefix <= 45:
        return 4513 + prefix - 25
    if 13 <= prefix <= 23:
        return 4491 + prefix - 13
    return None


def check_coordinates(geoms, crs, /) -> CoordCheck:
    """Which rows have coordinates impossible for ``crs``, and the likely cause.

    A row is impossible when its coordinates are not finite, when longitude/latitude are
    out of range, or when it lies more than :data:`AREA_MARGIN_DEG` beyond the CRS's
    area of use (pyproj ``CRS.area_of_use``); in a projected CRS a row whose coordinates
    all fit longitude/latitude and lie outside the area of use is degrees declared as
    metres.  Rows without geometry are not judged here.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    problems = np.full(n, None, dtype=object)
    if n == 0:
        return CoordCheck(problems)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = np.full((n, 4), np.nan)
    if present.any():
        with np.errstate(invalid="ignore"):
            b[present] = shapely.bounds(geoms[present])
    finite = present & np.isfinite(b).all(axis=1)
    if finite.any():  # a NaN vertex inside a ring does not show in the bounds
        idx = np.flatnonzero(finite)
        xy, which = shapely.get_coordinates(geoms[idx], return_index=True)
        nan_rows = np.unique(which[~np.isfinite(xy).all(axis=1)])
        finite[idx[nan_rows]] = False
    return _check_bounds(b, present, finite, crs)


def check_xy(x, y, crs, /) -> CoordCheck:
    """:func:`check_coordinates` for points given as x/y arrays (no geometries built)."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    b = np.empty((len(x), 4))
    b[:, 0] = b[:, 2] = x
    b[:, 1] = b[:, 3] = y
    return _check_bounds(b, np.ones(len(x), dtype=bool), np.isfinite(x) & np.isfinite(y), crs)


def _check_bounds(b: np.ndarray, present: np.ndarray, finite: np.ndarray, crs) -> CoordCheck:
    from pyproj import CRS, Transformer

    n = len(b)
    problems = np.full(n, None, dtype=object)
    problems[present & ~finite] = "coordinates are not finite (NaN or infinity)"
    not_finite = present & ~finite
    if crs is None:
        return _with_cause(CoordCheck(problems), b, None, not_finite)
    crs = CRS.from_user_input(crs)
    label = _crs_label(crs)
    aou = _aou(crs)
    if crs.is_geographic:
        rng = finite & ((b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90))
        for i in np.flatnonzero(rng):
            problems[i] = f"lon/lat ({b[i, 0]:.6g}, {b[i, 1]:.6g}) out of range"
        ok = finite & ~rng
        lon0, lat0, lon1, lat1 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
        degrees = np.zeros(n, dtype=bool)
    else:
        ok = finite.copy()
        tr = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        with np.errstate(all="ignore"):
            lon0, lat0 = tr.transform(b[:, 0], b[:, 1], errcheck=False)
            lon1, lat1 = tr.transform(b[:, 2], b[:, 3], errcheck=False)
        lost = finite & ~(
            np.isfinite(lon0) & np.isfinite(lon1) & np.isfinite(lat0) & np.isfinite(lat1)
        )
        for i in np.flatnonzero(lost):
            problems[i] = f"({b[i, 0]:.6g}, {b[i, 1]:.6g}) is no place in {label}"
        ok &= ~lost
        degrees = (
            (np.abs(b[:, 0]) <= 180)
            & (np.abs(b[:, 2]) <= 180)
            & (np.abs(b[:, 1]) <= 90)
            & (np.abs(b[:, 3]) <= 90)
        )
    if aou is not None and ok.any():
        w, s, e, nn = aou
        with np.errstate(invalid="ignore"):
            lon_lo, lon_hi = np.minimum(lon0, lon1), np.maximum(lon0, lon1)
            lat_lo, lat_hi = np.minimum(lat0, lat1), np.maximum(lat0, lat1)
            mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
            area = f"outside {label}'s area {w:g}..{e:g}E {s:g}..{nn:g}N"
            for margin, which in ((AREA_MARGIN_DEG, ok), (0.0, ok & degrees)):
                out = which & (
                    (lon_hi < w - margin)
                    | (lon_lo > e + margin)
                    | (lat_hi < s - margin)
                    | (lat_lo > nn + margin)
                )
                for i in np.flatnonzero(out):
                    problems[i] = (
                        f"({b[i, 0]:.6g}, {b[i, 1]:.6g}) is {mid_lon[i]:.4g}E "
                        f"{mid_lat[i]:.2g}N, {area}"
                    )
                ok &= ~out
    return _with_cause(CoordCheck(problems), b, crs, not_finite)


def _with_cause(check: CoordCheck, b: np.ndarray, crs, not_finite: np.ndarray) -> CoordCheck:
    check.not_finite = not_finite
    bad = check.bad & ~not_finite
    if not check.any():
        return check
    if not bad.any():
        check.cause = "NaN or infinite coordinates"
        check.fix = "correct or delete those features in the source"
        return check
    x = b[bad][:, [0, 2]]
    y = b[bad][:, [1, 3]]
    fits_deg = bool(((np.abs(x) <= 180) & (np.abs(y) <= 90)).all())
    fits_swapped = bool(((np.abs(y) <= 180) & (np.abs(x) <= 90)).all())
    if crs is None:
        return check
    if crs.is_geographic:
        if fits_swapped and not fits_deg:
            check.cause = "longitude and latitude look swapped"
            check.fix = (
                "write longitude first and latitude second (x = longitude); in QGIS "
                "use 'Swap X and Y coordinates'"
            )
        elif (np.abs(x) > 1000).all() or (np.abs(y) > 1000).all():
            prefix = int(np.floor(np.nanmin(x) / 1e6))
            zone = _zone_epsg(prefix) if (x >= 1e7).all() and (x == x).all() else None
            example = (
                f"EPSG:{zone} (eastings prefixed with zone {prefix})"
                if zone and int(np.floor(np.nanmax(x) / 1e6)) == prefix
                else "the CGCS2000 Gauss-Krüger zone they were surveyed in (EPSG:4491-4554)"
            )
            check.cause = f"projected metres declared as degrees ({_crs_label(crs)})"
            check.fix = f"declare the projected CRS the coordinates are in, e.g. {example}"
        elif not fits_deg:
            check.cause = "no place on Earth (longitude beyond ±180 or latitude beyond ±90)"
            check.fix = "correct or delete those features in the source"
        else:
            check.cause = f"outside the area {_crs_label(crs)} is used for"
            check.fix = "check the declared CRS, or delete the stray features"
        return check
    twin = _gk_prefix_twin(crs.to_epsg())
    if fits_deg:
        check.cause = f"degrees declared as metres ({_crs_label(crs)} is projected)"
        check.fix = "declare a geographic CRS, e.g. EPSG:4490 (CGCS2000) or EPSG:4326 (WGS 84)"
    elif twin and twin[0] == "prefix" and (np.abs(x) < 1e6).all():
        check.cause = f"the eastings lack the zone prefix {_crs_label(crs)} expects"
        check.fix = f"declare EPSG:{twin[1]} (the same zone without the prefix)"
    elif twin and twin[0] == "prefix" and (x >= 1e7).all():
        prefix = int(np.floor(np.nanmin(x) / 1e6))
        zone = _zone_epsg(prefix)
        check.cause = f"the eastings carry zone prefix {prefix}, not {_crs_label(crs)}'s"
        check.fix = (
            f"declare EPSG:{zone} (zone {prefix})"
            if zone
            else "declare the Gauss-Krüger CRS with that zone prefix"
        )
    elif twin and twin[0] == "plain" and (x >= 1e7).all():
        prefix = int(np.floor(np.nanmin(x) / 1e6))
        zone = _zone_epsg(prefix)
        check.cause = f"the eastings carry zone prefix {prefix}; {_crs_label(crs)} has none"
        check.fix = (
            f"declare EPSG:{zone} (zone {prefix} with the prefix)"
            if zone
            else "declare the Gauss-Krüger CRS with that zone prefix"
        )
    elif ((np.abs(x) >= 1e6) & (np.abs(x) < 1e7)).all() and (np.abs(y) < 1e6).all():
        check.cause = "x and y look swapped (x holds northings)"
        check.fix = "swap x and y (x = easting, y = northing)"
    else:
        check.cause = f"outside the area {_crs_label(crs)} is used for"
        check.fix = "check the declared CRS (the .prj or --crs), or delete the stray features"
    return check


def refuse_impossible(check: CoordCheck, /, *, source, what: str = "feature(s)") -> None:
    """Raise :class:`~zoning.errors.CRSError` when any row of ``check`` is impossible."""
    from zoning.errors import CRSError

    if not check.any():
        return
    first = int(np.flatnonzero(check.bad)[0]) + 1
    raise CRSError(
        check.message(what),
        source=source,
        row=None if first is None else None,
        fix=check.fix or None,
    )


#: How far (km) beyond the units' extent a facility or project may lie before a layer
#: with none nearer is refused (every answer would be "outside every unit").
REGION_MARGIN_KM = 50.0


def refuse_outside_region(
    frame, region, /, *, source, what: str = "features", margin_km: float = REGION_MARGIN_KM
) -> None:
    """Refuse ``frame`` when none of its features lies within ``margin_km`` of the extent
    of ``region`` (the units): a mis-declared CRS puts them thousands of km away, and
    every answer would be "outside every unit".  Features without geometry are ignored.
    """
    import shapely

    from zoning.errors import CRSError

    if region is None or len(region) == 0 or frame.crs is None or region.crs is None:
        return
    g = np.asarray(frame.to_crs("EPSG:4326").geometry.values, dtype=object)
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))]
    if len(g) == 0:
        return
    with np.errstate(invalid="ignore"):
        rb = region.to_crs("EPSG:4326").total_bounds
        b = shapely.bounds(g)
    if not (np.isfinite(rb).all() and np.isfinite(b).all()):
        return
    dlat = margin_km / 111.0
    dlon = dlat / max(np.cos(np.radians(min(abs(rb[1]), abs(rb[3]), 80.0))), 0.1)
    near = (
        (b[:, 2] >= rb[0] - dlon)
        & (b[:, 0] <= rb[2] + dlon)
        & (b[:, 3] >= rb[1] - dlat)
        & (b[:, 1] <= rb[3] + dlat)
    )
    if near.any():
        return
    fb = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    raise CRSError(
        f"none of the {len(g)} {what} lies within {margin_km:g} km of the units "
        f"(units {rb[0]:.4g}..{rb[2]:.4g}E {rb[1]:.4g}..{rb[3]:.4g}N; {what} "
        f"{fb[0]:.4g}..{fb[2]:.4g}E {fb[1]:.4g}..{fb[3]:.4g}N)",
        source=source,
        fix=f"check the CRS of the {what} (--crs) and of the units, and that both cover "
        "the same region",
    )
