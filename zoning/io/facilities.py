"""Reading facilities (pollution sources, plants, proposed projects).

Facilities come as GeoJSON, GeoPackage, Shapefile or GeoParquet (through
:func:`zoning.io.vector.read_vector`) or as CSV with longitude/latitude columns (names
configurable, common Chinese and English spellings found automatically) or x/y columns
plus a CRS.  Coordinates in GCJ-02 (Amap, Tencent) or BD-09 (Baidu) are converted to
WGS 84 (:func:`zoning.io.coords.convert`).

Every row is kept: a row whose coordinates are missing, not numbers, not finite or
impossible (longitude outside -180..180, latitude outside -90..90) gets an empty
geometry and a reason in the ``coord_problem`` column, so that the caller reports it
(status ``invalid``) instead of losing it.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, SchemaError
from zoning.io.coords import CoordSystem, convert
from zoning.io.vector import read_vector
from zoning.model import FACILITY_COLUMNS

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x_wgs84", "gcj_lon", "bd_lon")
LAT_NAMES = ("lat", "latitude", "纬度", "y_wgs84", "gcj_lat", "bd_lat")
WGS84 = "EPSG:4326"


def _find(columns, names, given, what, source) -> str:
    cols = list(columns)
    if given:
        if given in cols:
            return given
        raise SchemaError(
            f"the {what} column '{given}' is not in the file; it has {cols}",
            source=source,
            field=given,
            fix=f"name the {what} column exactly",
        )
    lower = {str(c).strip().lower(): c for c in cols}
    for n in names:
        if n in lower:
            return lower[n]
    raise SchemaError(
        f"no {what} column found (looked for {', '.join(names)}); the file has {cols}",
        source=source,
        field=what,
        fix=f"name it with --{what[:3]}-col",
    )


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    tried = [encoding] if encoding else ["utf-8-sig", "gbk"]
    last = None
    for enc in tried:
        try:
            return pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError as exc:
            last = exc
        except (pd.errors.ParserError, OSError) as exc:
            raise DataSourceError(
                f"cannot read the CSV ({exc})",
                source=path,
                fix="check that it is comma-separated text",
            ) from exc
    raise DataSourceError(
        f"the CSV is neither {' nor '.join(tried)} text ({last})",
        source=path,
        fix="pass --encoding",
    )


def _numeric_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV text columns that hold numbers (facts such as nox_t) become numbers."""
    for col in frame.columns:
        if col in (
            "facility_id",
            "sector",
            "name",
            "name_en",
            "stage",
            "tags",
            "capacity_unit",
            "two_high",
        ):
            continue
        conv = pd.to_numeric(frame[col], errors="coerce")
        if conv.notna().sum() == frame[col].notna().sum() and frame[col].notna().any():
            frame[col] = conv
    return frame


def _points(frame, xcol, ycol, crs, coords, source) -> gpd.GeoDataFrame:
    x = pd.to_numeric(frame[xcol], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(frame[ycol], errors="coerce").to_numpy(dtype="float64")
    problem = np.full(len(frame), None, dtype=object)
    raw_x, raw_y = frame[xcol], frame[ycol]
    missing = raw_x.isna().to_numpy() | raw_y.isna().to_numpy()
    problem[missing] = "missing coordinates"
    not_num = ~missing & (np.isnan(x) | np.isnan(y))
    problem[not_num] = "coordinates are not numbers"
    inf = ~missing & ~not_num & ~(np.isfinite(x) & np.isfinite(y))
    problem[inf] = "coordinates are not finite"
    good = np.isfinite(x) & np.isfinite(y)
    if crs.is_geographic:
        out = good & ((np.abs(x) > 180) | (np.abs(y) > 90))
        problem[out] = "longitude or latitude out of range"
        swapped = out & (np.abs(y) <= 180) & (np.abs(x) <= 90)
        problem[swapped] = "longitude or latitude out of range (columns swapped?)"
        good &= ~out
        zero = good & (x == 0) & (y == 0)
        problem[zero] = "coordinates are 0, 0"
        good &= ~zero
    if coords != "wgs84":
        if not crs.is_geographic:
            raise CRSError(
                f"--coords {coords} needs longitude/latitude, but the CRS is {crs.name}",
                source=source,
                fix="drop --coords or the x/y CRS",
            )
        cx, cy = convert(x[good], y[good], coords, "wgs84")
        x, y = x.copy(), y.copy()
        x[good], y[good] = cx, cy
        crs = CRS.from_user_input(WGS84)
    geoms = np.full(len(frame), None, dtype=object)
    geoms[good] = shapely.points(x[good], y[good])
    out = gpd.GeoDataFrame(
        frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index, crs=crs), crs=crs
    )
    out["coord_problem"] = pd.array(problem, dtype="string")
    return out


def _flag_geometries(geo: gpd.GeoDataFrame, coords: str, source) -> gpd.GeoDataFrame:
    g = np.asarray(geo.geometry.values).copy()
    problem = np.full(len(g), None, dtype=object)
    missing = shapely.is_missing(g) | shapely.is_empty(g)
    problem[missing] = "missing geometry"
    ok = ~missing
    b = np.full((len(g), 4), np.nan)
    if ok.any():
        b[ok] = shapely.bounds(g[ok])
    finite = np.isfinite(b).all(axis=1)
    problem[ok & ~finite] = "coordinates are not finite"
    crs = CRS.from_user_input(geo.crs)
    if crs.is_geographic:
        rng = finite & ((b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90))
        problem[rng] = "longitude or latitude out of range"
        finite &= ~rng
    bad = problem != None  # noqa: E711 - object array comparison
    g[bad] = None
    if coords != "wgs84":
        if not crs.is_geographic:
            raise CRSError(
                f"--coords {coords} needs longitude/latitude, but the layer is in {crs.name}",
                source=source,
                fix="drop --coords",
            )
        good = ~bad

        def fn(xy):
            lon, lat = convert(xy[:, 0], xy[:, 1], coords, "wgs84")
            return np.column_stack([lon, lat])

        g[good] = shapely.transform(g[good], fn)
        crs = CRS.from_user_input(WGS84)
    out = geo.set_geometry(gpd.GeoSeries(g, index=geo.index, crs=geo.crs)).set_crs(
        crs, allow_override=True
    )
    out["coord_problem"] = pd.array(problem, dtype="string")
    return out


def _restore_truncated(geo: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Canonical names cut to 10 characters by the Shapefile format (facility_i …)."""
    rename = {}
    for canon in FACILITY_COLUMNS:
        short = canon[:10]
        if len(canon) > 10 and short in geo.columns and canon not in geo.columns:
            rename[short] = canon
    if rename:
        log.info("restored shapefile-truncated column names %s", rename)
        geo = geo.rename(columns=rename)
    return geo


def read_facilities(
    source: str | PathLike,
    /,
    *,
    layer: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: str | None = None,
    coords: CoordSystem = "wgs84",
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read facilities, keeping and flagging rows with unusable coordinates.

    Parameters
    ----------
    source : path
        GeoJSON, GeoPackage, Shapefile (also zipped), GeoParquet, or CSV.
    layer : str, optional (default: None)
        Layer name in a multi-layer file.
    lon_col, lat_col : str, optional (default: found automatically)
        Longitude and latitude columns of a CSV (lon/lng/longitude/经度 …).
    x_col, y_col : str, optional (default: None)
        Projected x/y columns of a CSV; then ``crs`` is required.
    crs : str, optional (default: EPSG:4326 for lon/lat CSV)
        CRS of CSV coordinates, or the CRS to assume for a layer that declares none.
    coords : {"wgs84", "gcj02", "bd09"}, optional (default: "wgs84")
        The system longitude/latitude are given in; GCJ-02 and BD-09 are converted to
        WGS 84 (the result is then in EPSG:4326).
    encoding : str, optional (default: None)
        Text encoding (CSV: UTF-8 then GBK are tried; Shapefile: see read_vector).

    Returns
    -------
    GeoDataFrame with every input row, in input order, plus ``coord_problem`` (text, empty
    when the coordinates are usable); unusable rows have no geometry.
    """
    path = Path(source)
    if path.suffix.lower() in {".csv", ".txt"}:
        if not path.exists():
            raise DataSourceError("file not found", source=path, fix="check the path")
        frame = _numeric_columns(_read_csv(path, encoding))
        if x_col or y_col:
            if not (x_col and y_col):
                raise SchemaError(
                    "give both --x-col and --y-col",
                    source=path,
                    field="--x-col" if not x_col else "--y-col",
                )
            if not crs:
                raise CRSError(
                    "x/y columns need a CRS", source=path, fix="pass --crs, e.g. --crs EPSG:4549"
                )
            xcol = _find(frame.columns, (), x_col, "x", path)
            ycol = _find(frame.columns, (), y_col, "y", path)
        else:
            xcol = _find(frame.columns, LON_NAMES, lon_col, "lon", path)
            ycol = _find(frame.columns, LAT_NAMES, lat_col, "lat", path)
        try:
            the_crs = CRS.from_user_input(crs or WGS84)
        except ProjCRSError as exc:
            raise CRSError(
                f"'{crs}' is not a known CRS",
                source=path,
                fix="give an EPSG code such as EPSG:4490",
            ) from exc
        geo = _points(frame, xcol, ycol, the_crs, coords, path)
    else:
        geo = read_vector(source, layer=layer, encoding=encoding, assume_crs=crs)
        geo = _flag_geometries(geo.reset_index(drop=True), coords, source)
    geo = _restore_truncated(geo)
    bad = geo["coord_problem"].notna()
    if bad.any():
        log.warning(
            "%s: %d row(s) with unusable coordinates kept as invalid (first: row %d, %s)",
            source,
            int(bad.sum()),
            int(np.flatnonzero(bad)[0]),
            geo["coord_problem"][bad].iloc[0],
        )
    geo.attrs["source"] = str(source)
    return geo
