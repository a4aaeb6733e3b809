"""Reading facilities (pollution sources, plants, proposed projects).

Facilities come as GeoJSON, GeoPackage, Shapefile or GeoParquet (through
:func:`zoning.io.vector.read_vector`) or as CSV with longitude/latitude columns (names
configurable, common Chinese and English spellings found automatically) or x/y columns
plus a CRS.  Coordinates in GCJ-02 (Amap, Tencent) or BD-09 (Baidu) are converted to
WGS 84 (:func:`zoning.io.coords.convert`).  Source columns are mapped onto the canonical
facts the rules read (:data:`zoning.model.FACILITY_COLUMNS`) with ``fields``.

Every row is kept: a row whose coordinates are missing, not numbers, not finite or
impossible (longitude outside -180..180, latitude outside -90..90) gets an empty
geometry and a reason in the ``coord_problem`` column, so that the caller reports it
(status ``invalid``) instead of losing it.  A file that cannot give a meaningful answer
is refused instead: an empty file or layer, a header without rows, and longitude and
latitude columns that are swapped for most rows.  Rows are numbered from 1 in messages.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, SchemaError
from zoning.io._csv import DELIMITERS, ENCODING_HINTS, _read_csv  # noqa: F401 - re-exported
from zoning.io._facfields import (  # noqa: F401 - LON_NAMES, LAT_NAMES, ID_COLUMNS re-exported
    ID_COLUMNS,
    LAT_NAMES,
    LON_NAMES,
    _detect_id,
    _find,
    _map_fields,
    _numeric_columns,
)
from zoning.io._gcpause import paused_gc
from zoning.io.coords import (
    CoordSystem,
    check_coordinates,
    check_xy,
    convert,
    refuse_outside_region,
)
from zoning.io.vector import read_vector
from zoning.model import FACILITY_COLUMNS
from zoning.model.facts import normalise_tags as normalise_tags  # re-exported
from zoning.progress import step

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"


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
        n_swapped, n_coords = int(swapped.sum()), int(good.sum())
        if 2 * n_swapped > n_coords:  # most rows, not a few odd ones: the columns
            first = int(np.flatnonzero(swapped)[0]) + 1
            raise SchemaError(
                f"{n_swapped} of {n_coords} rows with coordinates have a longitude/latitude "
                f"out of range that would fit the other way round (first: row {first}): "
                f"the longitude column '{xcol}' and the latitude column '{ycol}' look swapped",
                source=source,
                fix=f"swap them: `lon_col` '{ycol}' `lat_col` '{xcol}'",
            )
        good &= ~out
        zero = good & (x == 0) & (y == 0)
        problem[zero] = "coordinates are 0, 0"
        good &= ~zero
    if not good.any():
        _refuse_unusable(frame, xcol, ycol, x, y, problem, source)
    good = _area_of_use(good, problem, x, y, crs, source, f"'{xcol}'/'{ycol}' ")
    if coords != "wgs84":
        if not crs.is_geographic:
            raise CRSError(
                f"`coords` {coords} needs longitude/latitude, but the CRS is {crs.name}",
                source=source,
                param="coords",
                fix="drop `coords` or the x/y CRS",
            )
        cx, cy = convert(x[good], y[good], coords, "wgs84")
        x, y = x.copy(), y.copy()
        x[good], y[good] = cx, cy
        crs = CRS.from_user_input(WGS84)
    geoms = np.full(len(frame), None, dtype=object)
    with paused_gc():
        geoms[good] = shapely.points(x[good], y[good])
    out = gpd.GeoDataFrame(
        frame.copy(), geometry=gpd.GeoSeries(geoms, index=frame.index, crs=crs), crs=crs
    )
    out["coord_problem"] = pd.array(problem, dtype="string")
    return out


def _refuse_unusable(frame, xcol, ycol, x, y, problem, source) -> None:
    """No row has usable coordinates: the file cannot give any answer."""
    for col, v in ((xcol, x), (ycol, y)):
        raw = frame[col]
        if raw.notna().any() and np.isnan(v[raw.notna().to_numpy()]).all():
            example = str(raw[raw.notna()].iloc[0])
            raise SchemaError(
                f"the coordinate column '{col}' holds no numbers in any row (e.g. '{example}')",
                source=source,
                field=str(col),
                fix="name the column holding the coordinates (`lon_col`/`lat_col`, "
                "`x_col`/`y_col`), or write them as decimal numbers",
            )
    reasons = Counter(p for p in problem if p is not None)
    top = ", ".join(f"{r}: {n}" for r, n in reasons.most_common(3))
    raise SchemaError(
        f"no row has usable coordinates ({top})",
        source=source,
        field=f"{xcol}/{ycol}",
        fix="check the coordinate columns and their CRS",
    )


def _area_of_use(good, problem, x, y, crs, source, what: str = "") -> np.ndarray:
    """Rows outside the CRS's area of use flagged; most rows so: the CRS is wrong."""
    idx = np.flatnonzero(good)
    if len(idx) == 0:
        return good
    check = check_xy(x[idx], y[idx], crs)
    bad = check.bad
    if not bad.any():
        return good
    if 2 * int(bad.sum()) > len(idx):
        first = int(idx[np.flatnonzero(bad)[0]]) + 1
        raise CRSError(
            (f"{check.cause}: " if check.cause else "coordinates impossible for the CRS: ")
            + f"{int(bad.sum())} of {len(idx)} rows' {what}coordinates (first: row {first}, "
            f"{check.problems[np.flatnonzero(bad)[0]]})",
            source=source,
            fix=check.fix or "check the CRS (`crs`) and the coordinate columns",
        )
    good = good.copy()
    for j in np.flatnonzero(bad):
        problem[idx[j]] = f"coordinates impossible for the CRS: {check.problems[j]}"
        good[idx[j]] = False
    return good


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
    if ok.any():
        idx = np.flatnonzero(ok)
        check = check_coordinates(g[idx], crs)
        if 2 * int(check.bad.sum()) > len(idx):  # most rows: the CRS or the axes are wrong
            raise CRSError(check.message("facilities"), source=source, fix=check.fix)
        for j in np.flatnonzero(check.bad):
            if problem[idx[j]] is None:
                problem[idx[j]] = f"coordinates impossible for the CRS: {check.problems[j]}"
    bad = problem != None  # noqa: E711 - object array comparison
    if len(g) and bad.all():  # not one facility can be placed: no answer to give
        reasons = Counter(str(p).split(":")[0] for p in problem)
        raise SchemaError(
            f"none of the {len(g)} facilities has a usable geometry ("
            + ", ".join(f"{r}: {n}" for r, n in reasons.most_common(3))
            + ")",
            source=source,
            field="geometry",
            fix="check the layer (points with coordinates) and its CRS",
        )
    g[bad] = None
    if coords != "wgs84":
        if not crs.is_geographic:
            raise CRSError(
                f"`coords` {coords} needs longitude/latitude, but the layer is in {crs.name}",
                source=source,
                param="coords",
                fix="drop `coords`",
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


def _unique_ids(geo: pd.DataFrame, source) -> None:
    """Refuse facility ids used by more than one row (each would be reported twice)."""
    if "facility_id" not in geo.columns:
        return
    ids = geo["facility_id"].astype("string").str.strip()
    dup = ids.duplicated(keep=False) & ids.notna() & (ids != "")
    if not dup.any():
        return
    rows = pd.Series(np.arange(1, len(ids) + 1)[dup.to_numpy()], index=ids[dup].to_numpy())
    groups = rows.groupby(level=0, sort=False).apply(list)
    shown = "; ".join(f"'{k}' in rows {', '.join(map(str, v))}" for k, v in groups.head(5).items())
    raise SchemaError(
        f"{len(groups)} facility id(s) are used by more than one row ({shown}"
        + (" ..." if len(groups) > 5 else "")
        + ")",
        source=source,
        field="facility_id",
        fix="give every facility its own id (or map another column with `fields` "
        "facility_id=COLUMN)",
    )


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
    fields: Mapping[str, str] | None = None,
    region: gpd.GeoDataFrame | None = None,
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
    fields : mapping canonical name → source column, optional (default: None)
        Source columns holding the facts the rules read, e.g. ``{"capacity": "Capacity
        (MW)", "tags": "Fuel", "name": "Name"}``; canonical names are the keys of
        :data:`zoning.model.FACILITY_COLUMNS`.  Applied first (source names matched
        exactly, else ignoring case); an unknown canonical name or source column is a
        :class:`SchemaError`.  A canonical column the source already has is kept as
        ``<name>_source``.
    region : GeoDataFrame, optional (default: None)
        The units the facilities are checked against: when none of them lies within
        :data:`zoning.io.coords.REGION_MARGIN_KM` of the units' extent, the file is
        refused (a wrong CRS; every facility would be ``unzoned``).

    Returns
    -------
    GeoDataFrame with every input row, in input order, plus ``coord_problem`` (text, empty
    when the coordinates are usable); unusable rows have no geometry.  Without a
    ``facility_id``, an obvious id column (:data:`ID_COLUMNS`) with unique, non-empty
    values gives it (logged).  ``tags`` are
    normalised as the rules read them (:func:`normalise_tags`: lower-case, split on
    ``,`` ``;`` ``、`` ``|``, inner spaces as ``_``, joined by ``,``), so
    ``Fuel = "Coal"`` mapped to ``tags`` matches a rule ``tags: coal``; ``"Natural Gas"``
    gives the tag ``natural_gas`` and ``"Coal Mine Methane"`` ``coal_mine_methane`` (not
    ``coal``).  Rows named in messages are numbered from 1 (data rows,
    the header not counted), as in the ``F<row>`` ids :func:`zoning.conflicts.conflicts`
    gives rows without a ``facility_id``.

    Raises
    ------
    DataSourceError
        The file cannot be read (missing, empty, header only, undecodable text), or a
        layer has no features.
    SchemaError
        Coordinate columns not found, or swapped (more than half of the rows with
        coordinates fit only the other way round), a coordinate column without a number
        in any row, facility ids used twice; a bad ``fields`` mapping.
    CRSError
        An unknown CRS, x/y columns without one, ``coords`` on projected data; most rows
        outside the CRS's area of use (the likely cause named), or none near ``region``.
    """
    with step(f"read {Path(str(source)).name}"):
        return _read_facilities(
            source, layer=layer, lon_col=lon_col, lat_col=lat_col, x_col=x_col, y_col=y_col, crs=crs, coords=coords, encoding=encoding, fields=fields, region=region,
        )  # fmt: skip


def _read_facilities(
    source, *, layer, lon_col, lat_col, x_col, y_col, crs, coords, encoding, fields, region
) -> gpd.GeoDataFrame:
    path = Path(source)
    if path.suffix.lower() in {".csv", ".txt"}:
        if not path.exists():
            raise DataSourceError("file not found", source=path, fix="check the path")
        frame = _read_csv(path, encoding)
        if len(frame) == 0:
            raise DataSourceError(
                f"the facilities file has no rows (only a header: {list(frame.columns)})",
                source=path,
                fix="check the export that made it",
            )
        frame = _numeric_columns(_map_fields(frame, fields, path))
        if x_col or y_col:
            if not (x_col and y_col):
                raise SchemaError(
                    "give both `x_col` and `y_col`",
                    source=path,
                    param="x_col" if not x_col else "y_col",
                )
            if not crs:
                raise CRSError(
                    "x/y columns need a CRS",
                    source=path,
                    param="crs",
                    fix="pass `crs`, e.g. EPSG:4549",
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
        geo = read_vector(
            source,
            layer=layer,
            encoding=encoding,
            assume_crs=crs,
            check_coords=False,
            layer_param="layer",
        )
        geo = _map_fields(geo.reset_index(drop=True), fields, source)
        geo = _flag_geometries(geo, coords, source)
    geo = _detect_id(_restore_truncated(geo), source)
    _unique_ids(geo, source)
    refuse_outside_region(geo, region, source=source, what="facilities")
    if "tags" in geo.columns:
        geo["tags"] = normalise_tags(geo["tags"])
    bad = geo["coord_problem"].notna()
    if bad.any():
        log.warning(
            "%s: %d row(s) with unusable coordinates kept as invalid (first: row %d, %s)",
            source,
            int(bad.sum()),
            int(np.flatnonzero(bad)[0]) + 1,  # 1-based data rows, as in F<row>
            geo["coord_problem"][bad].iloc[0],
        )
    geo.attrs["source"] = str(source)
    return geo


def with_constant_facts(facilities: pd.DataFrame, facts: Mapping[str, str], /) -> pd.DataFrame:
    """Fill each fact NAME of ``facts`` (NAME → VALUE) where a facility has no value.

    A shallow copy (the caller's frame is not changed).  Numeric facts (``capacity``,
    ``*_t``, ``*_tce``) must be numbers.
    """
    allowed = sorted(set(FACILITY_COLUMNS) - {"facility_id", "name", "name_en"})
    fac = facilities
    for name, value in facts.items():
        if name not in allowed:
            raise SchemaError(
                f"'{name}' is not a facility fact", param="facts", fix=f"use one of {allowed}"
            )
        given: object = value
        if name == "capacity" or name.endswith(("_t", "_tce")):
            try:
                given = float(value)
            except ValueError as exc:
                raise SchemaError(
                    f"{name}={value} is not a number", param="facts", fix="give a number"
                ) from exc
        fac = fac.copy(deep=False)
        if name in fac.columns:
            col = fac[name].astype(object)
            blank = col.isna() | (col.astype(str).str.strip() == "")
            fac[name] = col.mask(blank, given)
        else:
            fac[name] = given
    return fac
