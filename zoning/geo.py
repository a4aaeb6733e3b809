"""Coordinate reference systems used for measuring, shared by every module.

Areas are computed in an equal-area CRS, never in degrees: :data:`EQUAL_AREA` (EPSG:6933,
WGS 84 / NSIDC EASE-Grid 2.0 Global, cylindrical equal-area, valid nationwide).  Lengths and
distances use a local conformal CRS (a CGCS2000 Gauss-Krüger zone in China, UTM elsewhere),
chosen where they are measured.
"""

from __future__ import annotations

import functools

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


def transformer(source, target):
    """A ``pyproj.Transformer`` from ``source`` to ``target`` (x = east / longitude),
    built once per pair of CRSs (a PROJ database look-up costs ~0.1 s) and reused.

    ``source`` and ``target`` are anything ``pyproj.CRS.from_user_input`` takes.  The one
    helper for building transformers: modules with their own caches may use it instead.
    """
    from pyproj import CRS

    return _transformer(CRS.from_user_input(source).to_wkt(), CRS.from_user_input(target).to_wkt())


@functools.lru_cache(maxsize=64)
def _transformer(source_wkt: str, target_wkt: str):
    from pyproj import Transformer

    return Transformer.from_crs(source_wkt, target_wkt, always_xy=True)


def lonlat_to_local(code: int, source="EPSG:4326"):
    """A transformer from longitude/latitude (x = lon) in ``source`` to the local CRS
    ``code`` of :func:`local_crs_codes`.

    From WGS 84 or CGCS2000 (EPSG:4326, 4490: the same frame to a few centimetres, a null
    transformation in PROJ) it is the projection's own PROJ pipeline, built in a fraction
    of a millisecond instead of ~0.1 s for a database look-up; the coordinates are the
    same to the nanometre.  Other sources go through ``Transformer.from_crs``.
    """
    from pyproj import CRS, Transformer

    code = int(code)
    src = CRS.from_user_input(source)
    if src.to_epsg() in (4326, 4490):
        if 4534 <= code <= 4554:  # CGCS2000 3-degree Gauss-Krüger, CM 75E..135E
            proj = f"+proj=tmerc +lat_0=0 +lon_0={75 + 3 * (code - 4534)} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80"
        elif 32601 <= code <= 32660 or 32701 <= code <= 32760:  # WGS 84 / UTM
            south = " +south" if code > 32700 else ""
            proj = f"+proj=utm +zone={code % 100}{south} +ellps=WGS84"
        else:
            proj = None
        if proj is not None:
            return Transformer.from_pipeline(
                f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {proj}"
            )
    return Transformer.from_crs(src, CRS.from_epsg(code), always_xy=True)


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
