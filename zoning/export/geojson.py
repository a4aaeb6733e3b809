"""Vector writers: RFC 7946 GeoJSON, GeoPackage, CSV and GeoParquet, all atomic.

RFC 7946: coordinates are WGS 84 longitude/latitude, there is no ``crs`` member,
exterior rings are counter-clockwise and holes clockwise, and coordinates carry a
bounded number of decimals (6 decimals ≈ 0.1 m).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import InputError
from zoning.export._atomic import atomic_file
from zoning.io._gcpause import paused_gc

WGS84 = "EPSG:4326"
FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".csv": "CSV",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
}


def to_rfc7946(frame: gpd.GeoDataFrame, /, *, precision: int = 6) -> gpd.GeoDataFrame:
    """A copy in WGS 84 with counter-clockwise exterior rings and rounded coordinates."""
    if frame.crs is None:
        raise InputError(
            "the layer has no CRS; cannot convert to WGS 84", fix="set a CRS before exporting"
        )
    # never a plausible-looking file with latitude 300 in it (RFC 7946 is lon/lat)
    from zoning.io.coords import check_coordinates, refuse_impossible

    refuse_impossible(
        check_coordinates(frame.geometry.values, frame.crs), source=frame.attrs.get("source")
    )
    out = frame.to_crs(WGS84) if not frame.crs.equals(WGS84) else frame.copy(deep=False)
    geoms = np.asarray(out.geometry.values)
    with paused_gc():  # a million new geometries: the cycle collector once, afterwards
        geoms = _rounded(geoms, precision)
        # rounding can create invalid or reversed rings: repair, then orient
        bad = ~shapely.is_valid(geoms) & ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad])
        rings = np.isin(shapely.get_type_id(geoms), _WITH_RINGS)  # points stay as they are
        if rings.any():
            geoms = geoms.copy()
            geoms[rings] = shapely.orient_polygons(geoms[rings], exterior_cw=False)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))
    return out


#: Shapely type ids of geometries that may have rings: polygons, multipolygons,
#: collections.
_WITH_RINGS = (3, 6, 7)


def _rounded(geoms: np.ndarray, precision: int) -> np.ndarray:
    """The geometries with coordinates rounded to ``precision`` decimals, in 2D (as
    ``shapely.transform`` gives them); the same objects where that changes nothing."""
    xy = shapely.get_coordinates(geoms)
    if not shapely.has_z(geoms).any() and np.array_equal(np.round(xy, precision), xy):
        return geoms
    return shapely.transform(geoms, lambda xy: np.round(xy, precision))


def _jsonable(value):
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (list, tuple, dict, str, int)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def geojson_dict(
    frame: gpd.GeoDataFrame, /, *, precision: int = 6, metadata: dict | None = None
) -> dict:
    """An RFC 7946 FeatureCollection as a dict (see :func:`write_geojson`)."""
    out = to_rfc7946(frame, precision=precision)
    geom_col = out.geometry.name
    props = out.drop(columns=[geom_col])
    records = props.to_dict(orient="records")
    geo_json = shapely.to_geojson(out.geometry.values)
    features = []
    for rec, g in zip(records, geo_json, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {k: _jsonable(v) for k, v in rec.items()},
                "geometry": None if g is None else json.loads(g),
            }
        )
    fc: dict = {"type": "FeatureCollection"}
    if metadata:
        # foreign members are allowed by RFC 7946 section 6.1
        fc["metadata"] = _finite(metadata)
    fc["features"] = features
    return fc


def write_geojson(
    frame: gpd.GeoDataFrame,
    path: str | PathLike,
    /,
    *,
    precision: int = 6,
    metadata: dict | None = None,
    rfc7946: bool = False,
) -> Path:
    """Write RFC 7946 GeoJSON atomically through GDAL; ``metadata`` becomes a foreign member.

    The frame is reprojected, rounded and oriented once (:func:`to_rfc7946`, or not at
    all with ``rfc7946=True`` for a frame that already went through it) and written by
    GDAL's GeoJSON driver (``RFC7946=YES``: WGS 84, no ``crs``, counter-clockwise
    exteriors).  The coordinates are rounded here, so GDAL's default of 7 decimals keeps
    them as they are and no ``xy_coordinate_resolution`` member is added; only a
    ``precision`` above 7 is passed to GDAL (``COORDINATE_PRECISION``), which then adds
    that member (a foreign member RFC 7946 section 6.1 allows; readers ignore it).
    """
    with writing_geojson(frame, path, precision=precision, metadata=metadata, rfc7946=rfc7946):
        pass
    return Path(path)


@contextmanager
def writing_geojson(
    frame: gpd.GeoDataFrame,
    path: str | PathLike,
    /,
    *,
    precision: int = 6,
    metadata: dict | None = None,
    rfc7946: bool = False,
    share: float = 0.5,
    advance: Callable[[int], None] | None = None,
) -> Iterator[Path]:
    """:func:`write_geojson` around a ``with`` block: the file is complete (and in place)
    when the block ends, and a large frame's rows after the first ``share`` of them are
    written by GDAL in a second process while the block runs (the same bytes, see
    :mod:`zoning.export._gdaljson`); ``advance(n)`` counts the rows written."""
    import pyogrio

    from zoning.export._gdaljson import writing_arrow_geojson

    if not 0 <= precision <= 15:
        raise InputError(
            f"`precision` was {precision} but is expected in 0..15",
            param="precision",
            fix="give `precision` between 0 and 15",
        )
    out = frame if rfc7946 else to_rfc7946(frame, precision=precision)
    options = {"RFC7946": "YES", "WRITE_NAME": "NO", "WRITE_BBOX": "NO"}
    if precision > 7:
        options["COORDINATE_PRECISION"] = str(precision)
    if metadata:
        # foreign members are allowed by RFC 7946 section 6.1
        options["FOREIGN_MEMBERS_COLLECTION"] = json.dumps(
            {"metadata": _finite(metadata)},
            ensure_ascii=False,
            separators=(",", ":"),
            default=_json_default,
            allow_nan=False,
        )
    out = _writable(out)
    arrow = _for_arrow(out)
    with atomic_file(path) as tmp:
        if arrow is None:  # GDAL's feature path types these columns
            pyogrio.write_dataframe(out, tmp, driver="GeoJSON", layer_options=options)
            yield Path(path)
        else:
            with writing_arrow_geojson(arrow, tmp, options, share=share, advance=advance):
                yield Path(path)


def _for_arrow(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The frame for GDAL's Arrow path when that writes what the feature path writes
    (numbers, booleans, text; an object column of nulls as text, as that path types it),
    with less conversion per value; else None."""
    names = [str(c).lower() for c in frame.columns]
    if len(set(names)) < len(names):  # GDAL's names are case-blind; the paths differ there
        return None
    empty = {}
    for col, dtype in frame.dtypes.items():
        if col == frame.geometry.name or isinstance(dtype, pd.StringDtype):
            continue
        if pd.api.types.is_object_dtype(dtype):
            kind = pd.api.types.infer_dtype(frame[col], skipna=True)
            if kind == "empty":
                empty[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
            elif kind != "string":
                return None
        elif not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            return None
    return frame.assign(**empty) if empty else frame


def _writable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Object columns GDAL cannot type (numbers mixed with text, dicts, sets) as they
    read in JSON: a plain number, else JSON text (``infer_dtype`` scans in C)."""
    fixed = {}
    for col in frame.columns:
        if col == frame.geometry.name or frame[col].dtype != object:
            continue
        kind = pd.api.types.infer_dtype(frame[col], skipna=True)
        if kind in ("string", "empty", "boolean", "integer", "floating", "mixed-integer-float"):
            continue
        fixed[col] = frame[col].map(_as_text)
    return frame.assign(**fixed) if fixed else frame


def _as_text(value):
    value = _jsonable(value)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def write_vector(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    path: str | PathLike,
    /,
    *,
    layer: str | None = None,
    precision: int = 6,
    metadata: dict | None = None,
) -> Path | str:
    """Write a layer atomically; the format follows the extension.

    ``.geojson``/``.json`` → RFC 7946 GeoJSON; ``.gpkg`` → GeoPackage (CRS kept);
    ``.csv`` → CSV with WKT geometry in WGS 84 when the frame has geometry (``metadata``
    such as column units goes to a ``<name>.meta.json`` beside it);
    ``.parquet``/``.geoparquet`` → GeoParquet (CRS kept); a ``postgresql://...?table=T``
    URI → a PostGIS table, replaced in one transaction (returns the URI, password hidden).
    """
    from zoning.io.postgis import is_database_uri, write_table

    if is_database_uri(path):
        return write_table(frame, str(path), layer=layer)
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"extension '{path.suffix}' is not supported; expected one of {sorted(FORMATS)}",
            source=path,
            param="out",
        )
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    if fmt == "GeoJSON":
        return write_geojson(frame, path, precision=precision, metadata=metadata)
    if fmt == "CSV" and metadata:
        # a CSV cannot say which units and CRS its columns use: a sidecar JSON does
        write_json(metadata, path.with_name(path.stem + ".meta.json"))
    with atomic_file(path) as tmp:
        if fmt == "GPKG":
            frame.to_file(tmp, driver="GPKG", layer=layer or path.stem, engine="pyogrio")
        elif fmt == "GeoParquet":
            frame.to_parquet(tmp)
        elif is_geo:
            _csv_wkt(to_rfc7946(frame, precision=precision), tmp, precision)
        else:
            pd.DataFrame(frame).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_csv_wkt(geo: gpd.GeoDataFrame, path: str | PathLike, /, *, precision: int = 6) -> Path:
    """Write a frame already in RFC 7946 form (:func:`to_rfc7946`) as CSV (UTF-8 with BOM)
    with its geometry as WKT in a ``wkt_wgs84`` column, atomically."""
    with atomic_file(path) as tmp:
        _csv_wkt(geo, tmp, precision)
    return Path(path)


def _csv_wkt(geo: gpd.GeoDataFrame, path, precision: int) -> None:
    from zoning.export._csvtext import write_csv_text

    table = pd.DataFrame(geo.drop(columns=[geo.geometry.name]))
    table["wkt_wgs84"] = shapely.to_wkt(geo.geometry.values, rounding_precision=precision)
    # the bytes to_csv writes, in whole Arrow arrays a chunk of rows at a time
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        write_csv_text(table, fh)


def _float_text(values: np.ndarray) -> np.ndarray:
    """Floats as ``to_csv`` writes them: the shortest repr (numpy's ``astype(str)`` is the
    same text), NaN as an empty field."""
    from zoning.export._csvtext import _float_strings

    out = np.array(_float_strings(values).to_pylist(), dtype=object)
    out[np.isnan(values)] = ""
    return out


def _json_default(value):
    out = _jsonable(value)
    if out is value:  # not a known scalar: a path, set, numpy array ...
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        if isinstance(value, np.ndarray):
            return value.tolist()
        return str(value)
    return out


def write_json(data, path: str | PathLike, /) -> Path:
    """Write a JSON document (UTF-8, indented, numpy and pandas scalars converted) atomically."""
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(
            _finite(data), fh, ensure_ascii=False, indent=2, default=_json_default, allow_nan=False
        )
    return Path(path)


def _finite(value):
    """NaN and infinities become null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value
