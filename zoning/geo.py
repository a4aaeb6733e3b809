"""Coordinate reference systems used for measuring, shared by every module.

Areas are computed in an equal-area CRS, never in degrees: :data:`EQUAL_AREA` (EPSG:6933,
WGS 84 / NSIDC EASE-Grid 2.0 Global, cylindrical equal-area, valid nationwide).  Lengths and
distances use a local conformal CRS (a CGCS2000 Gauss-Krüger zone in China, UTM elsewhere),
chosen where they are measured.
"""

from __future__ import annotations

#: The equal-area CRS for every area (m², km², ha) the toolkit reports.
EQUAL_AREA = "EPSG:6933"

#: WGS 84 longitude/latitude, the CRS of every GeoJSON and web-map output (RFC 7946).
WGS84 = "EPSG:4326"


def local_crs_codes(lon, lat):
    """EPSG codes of :func:`local_crs` for arrays of longitudes and latitudes (degrees)."""
    import numpy as np

    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    china = (lon >= 73.5) & (lon <= 136.5) & (lat >= 3) & (lat <= 54)
    # nearest central meridian of CGCS2000 3-degree zones 75E..135E (EPSG:4534..4554)
    cm = np.clip(3 * np.floor(lon / 3 + 0.5), 75, 135)
    gk = 4534 + (cm - 75) // 3
    zone = np.clip((lon + 180) // 6 + 1, 1, 60)
    utm = np.where(lat >= 0, 32600, 32700) + zone
    return np.where(china, gk, utm).astype(np.int64)


def local_crs(lon: float, lat: float):
    """A local conformal CRS in metres for a site at ``lon``, ``lat`` (degrees).

    In China (lon 73.5-136.5, lat 3-54): the CGCS2000 3-degree Gauss-Krüger zone whose
    central meridian is nearest (EPSG:4534-4554, no zone prefix); elsewhere the WGS 84
    UTM zone.
    """
    from pyproj import CRS

    return CRS.from_epsg(int(local_crs_codes([lon], [lat])[0]))


def metric_crs(frame, /, what: str = "the layer"):
    """The frame's own CRS when it is projected in metres, else its UTM zone."""
    from pyproj import CRS

    from zoning.errors import CRSError

    if frame.crs is None:
        raise CRSError(f"{what} has no CRS", fix="set one (e.g. --crs EPSG:4490)")
    crs = CRS.from_user_input(frame.crs)
    if crs.is_projected and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return CRS.from_user_input(frame.estimate_utm_crs())
