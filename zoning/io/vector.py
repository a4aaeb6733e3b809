"""Reading vector layers: GeoJSON, GeoPackage, Shapefile (also zipped), GeoParquet, KML,
and PostGIS tables (``postgresql://`` URIs, through :mod:`zoning.io.postgis`).

``read_vector`` reads any layer and checks its CRS; ``read_units`` also maps the fields of
a control-unit layer onto the canonical columns of :mod:`zoning.model`.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, InputError, SchemaError
from zoning.io._ogr import _read_ogr
from zoning.io.coords import check_coordinates, refuse_impossible
from zoning.io.postgis import is_database_uri, read_table
from zoning.model import PUBLISHED_FIELDS, UNIT_COLUMNS

log = logging.getLogger(__name__)

Source = str | PathLike

#: Geometry kinds a reader can require, with the shapely type ids that satisfy them.
GEOMETRY_KINDS = {
    "polygon": ((3, 6), "polygons (Polygon/MultiPolygon)"),
    "point": ((0, 4), "points (Point/MultiPoint)"),
    "line": ((1, 2, 5), "lines (LineString/MultiLineString)"),
}
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _is_uri(source: Source) -> bool:
    return str(source).startswith("/vsi")


def _zip_path(path: Path) -> str:
    """GDAL path of the one shapefile (or GeoJSON/GPKG) inside a zip archive."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX")]
    except zipfile.BadZipFile as exc:
        raise DataSourceError(
            "not a readable zip archive",
            source=path,
            fix="check the download, or unzip it and pass the .shp",
        ) from exc
    data = [n for n in names if Path(n).suffix.lower() in {".shp", ".geojson", ".json", ".gpkg"}]
    if not data:
        raise DataSourceError(
            "the zip archive holds no .shp, .geojson or .gpkg file",
            source=path,
            fix="zip the .shp together with .shx, .dbf, .prj",
        )
    if len(data) > 1:
        raise DataSourceError(
            f"the zip archive holds several layers ({', '.join(data)})",
            source=path,
            fix="zip one layer per archive, or unzip it and pass the file you mean",
        )
    if Path(data[0]).suffix.lower() == ".shp":
        stem = data[0][:-4].lower()
        have = {n.lower() for n in names}
        for ext, what in ((".shx", "index"), (".dbf", "attribute table")):
            if stem + ext not in have:
                raise DataSourceError(
                    f"the zip archive holds {data[0]} without its {ext} ({what})",
                    source=path,
                    fix=f"zip the {ext} file together with the .shp (same name)",
                )
    return f"/vsizip/{path}/{data[0]}"


def _check_file(path: Path) -> None:
    """A path that is a folder, an empty file, or a shapefile without its companions."""
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise DataSourceError(
            "is a folder, not a file",
            source=path,
            fix="name the layer file inside it (e.g. the .shp, .gpkg or .geojson)",
        )
    if path.is_file() and path.stat().st_size == 0:
        raise DataSourceError(
            "the file is empty (0 bytes)",
            source=path,
            fix="check the copy or download that made it",
        )
    if path.suffix.lower() == ".shp":
        for ext, what in ((".dbf", "attribute table"), (".shx", "index")):
            if not any(path.with_suffix(e).exists() for e in (ext, ext.upper())):
                raise DataSourceError(
                    f"the shapefile has no {ext} file ({what}) beside it "
                    f"(looked for {path.with_suffix(ext).name})",
                    source=path,
                    fix=f"copy {path.with_suffix(ext).name} next to the .shp (a shapefile "
                    "is the .shp, .shx, .dbf and .prj together), or zip them all",
                )


def _one_layer(gdal_path: str, source: Source, param: str | None) -> None:
    """Refuse a multi-layer source read without a layer name, listing its layers."""
    try:
        layers = pyogrio.list_layers(gdal_path)
    except Exception:  # noqa: BLE001 - unreadable: the read itself says why
        return
    spatial = [str(name) for name, kind in layers if kind is not None]
    if len(spatial) > 1:
        raise DataSourceError(
            f"holds {len(spatial)} layers ({', '.join(spatial)}); which one is meant is not clear",
            source=source,
            param=param,
            fix=f"name one with `{param}`, e.g. `{param}` {spatial[-1]}"
            if param
            else "write the layer meant to a file of its own (e.g. ogr2ogr -f GPKG "
            f"out.gpkg {Path(str(source)).name} {spatial[-1]})",
        )


def read_vector(
    source: Source,
    /,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    assume_crs: str | CRS | None = None,
    allow_empty: bool = False,
    require_crs: bool = True,
    coords: str = "wgs84",
    geometry: str | None = None,
    check_coords: bool = True,
    what: str = "the layer",
    layer_param: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer and check that it is usable.

    Parameters
    ----------
    source : path or URI
        GeoJSON, GeoPackage, Shapefile, zipped Shapefile, GeoParquet, KML, or a
        ``postgresql://user:password@host:port/db`` URI of a PostGIS database (the table
        as ``?table=schema.name`` or ``layer``).
    layer : str, optional (default: None)
        Layer name in a multi-layer source (GeoPackage, PostGIS).
    encoding : str, optional (default: None)
        Text encoding of a shapefile's .dbf (e.g. ``"gbk"``).  A ``.cpg`` file next to
        the shapefile takes precedence; without either, UTF-8 is tried and then GBK.
    assume_crs : str or CRS, optional (default: None)
        CRS to use when the source declares none.  Without it, a missing CRS is an error.
    allow_empty : bool, optional (default: False)
        Whether an empty layer is acceptable.
    require_crs : bool, optional (default: True)
        Whether a missing CRS (and no ``assume_crs``) is an error; when False the layer
        comes back without CRS (for validation, which reports it).
    coords : {"wgs84", "gcj02", "bd09"}, optional (default: "wgs84")
        The system of the layer's longitudes/latitudes: ``gcj02`` for boundaries drawn on
        Amap/Tencent maps (e.g. DataV GeoAtlas), ``bd09`` for Baidu; they are converted
        to WGS 84 (the layer must be in a geographic CRS, or declare none).
    geometry : {"polygon", "point", "line"}, optional (default: None, any)
        The geometry kind the caller needs; a layer holding another kind is refused,
        naming the types found.
    check_coords : bool, optional (default: True)
        Refuse a layer with features whose coordinates are impossible for its CRS (not
        finite, out of range, far outside the CRS's area of use), naming the rows and the
        likely cause (:func:`zoning.io.coords.check_coordinates`).
    what : str, optional (default: "the layer")
        What the layer is, for messages ("the parcels", "the units").
    layer_param : str, optional (default: None)
        The caller's parameter that names ``layer`` (``"layer"``), for the message
        refusing a multi-layer source read without one (its layers are listed); without
        it the message says how to write the layer meant to a file of its own.

    Returns
    -------
    GeoDataFrame in the source's CRS (WGS 84 after a GCJ-02/BD-09 conversion).
    """
    if coords not in ("wgs84", "gcj02", "bd09"):
        raise InputError(
            f"coordinate system was '{coords}'",
            source=source,
            field="coords",
            fix="use wgs84, gcj02 or bd09",
        )
    if coords != "wgs84" and assume_crs is None:
        assume_crs = "EPSG:4326"  # GCJ-02/BD-09 files rarely declare a CRS
    geo = None
    if is_database_uri(source):
        geo = read_table(str(source), layer=layer)
        gdal_path = None
    elif not _is_uri(source):
        path = Path(source)
        if not path.exists():
            raise DataSourceError(
                "file not found",
                source=path,
                fix="check the path (relative paths start in the current folder)",
            )
        _check_file(path)
        suffix = path.suffix.lower()
        if suffix in {".parquet", ".geoparquet"}:
            try:
                geo = gpd.read_parquet(path)
            except Exception as exc:  # noqa: BLE001 - any reader failure is bad input
                raise DataSourceError(
                    f"cannot read GeoParquet ({exc})",
                    source=path,
                    fix="write it with geopandas.to_parquet",
                ) from exc
            gdal_path = None
        elif suffix == ".zip":
            gdal_path = _zip_path(path)
        else:
            gdal_path = str(path)
    else:
        gdal_path = str(source)
    if geo is None:
        if layer is None:
            _one_layer(gdal_path, source, layer_param)
        geo = _read_ogr(gdal_path, source, layer, encoding)
    if geo.crs is None and (require_crs or assume_crs is not None):
        if assume_crs is None:
            raise CRSError(
                "the layer declares no coordinate reference system",
                source=source,
                fix="add a .prj / CRS to the file, or pass --crs (e.g. --crs EPSG:4490 for "
                "CGCS2000 longitude/latitude)",
            )
        try:
            geo = geo.set_crs(CRS.from_user_input(assume_crs))
        except ProjCRSError as exc:
            raise CRSError(
                f"'{assume_crs}' is not a known CRS",
                source=source,
                fix="give an EPSG code such as EPSG:4490 or EPSG:4549",
            ) from exc
    if len(geo) == 0 and not allow_empty:
        raise DataSourceError(
            "the layer is empty (no features)",
            source=source,
            fix="check the layer name (`layer`) or the export that made it",
        )
    if geometry is not None and len(geo):
        _require_kind(geo, geometry, source, what)
    if check_coords and len(geo):
        refuse_impossible(check_coordinates(geo.geometry.values, geo.crs), source=source)
    if coords != "wgs84":
        geo = _from_web_coords(geo, coords, source)
    return geo


def _require_kind(geo: gpd.GeoDataFrame, kind: str, source, what: str) -> None:
    """Refuse a layer whose geometries are not of ``kind``, naming the types found."""
    import shapely

    ids, needed = GEOMETRY_KINDS[kind]
    g = geo.geometry.values
    present = ~(shapely.is_missing(g) | shapely.is_empty(g))
    types = shapely.get_type_id(g)
    wrong = present & ~np.isin(types, ids)
    if not wrong.any():
        return
    found = pd.Series(types[present]).map(_TYPE_NAMES).value_counts()
    listed = ", ".join(f"{n} {t}" for t, n in found.items())
    raise SchemaError(
        f"{what} must be {needed}, but the layer holds {listed} "
        f"(first wrong: row {int(np.flatnonzero(wrong)[0]) + 1})",
        source=source,
        field="geometry",
        fix=f"give the layer of {needed.split(' (')[0]} meant here",
    )


def _from_web_coords(geo: gpd.GeoDataFrame, coords: str, source) -> gpd.GeoDataFrame:
    """A GCJ-02 / BD-09 layer converted to WGS 84, vertex by vertex."""
    from zoning.io.coords import convert_geometries

    if geo.crs is None or not geo.crs.is_geographic:
        raise CRSError(
            f"coordinates in {coords} need longitude/latitude, but the layer is in "
            f"{geo.crs.name if geo.crs is not None else 'no CRS'}",
            source=source,
            field="coords",
            fix=f"declare {coords} only for longitude/latitude layers",
        )
    out = geo.set_geometry(
        gpd.GeoSeries(
            convert_geometries(geo.geometry.values, coords), index=geo.index, crs="EPSG:4326"
        )
    )
    out.attrs["converted_from"] = coords
    return out


def resolve_fields(columns, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Mapping source column → canonical column for a unit layer.

    User mappings (canonical → source) win; then canonical names present as they are;
    then the published field names (``HJZHGKDYBM`` …), matched case-insensitively.
    """
    cols = list(columns)
    lower = {c.lower(): c for c in cols}
    rename: dict[str, str] = {}
    taken: set[str] = set()
    for canon, src in (fields or {}).items():
        if canon not in UNIT_COLUMNS:
            raise SchemaError(
                f"'{canon}' is not a unit field; expected one of {sorted(UNIT_COLUMNS)}",
                field=canon,
                fix="map onto a canonical name with `fields` (CANONICAL=SOURCE)",
            )
        actual = src if src in cols else lower.get(src.lower())
        if actual is None:
            raise SchemaError(
                f"source field '{src}' (for '{canon}') is not in the layer; it has {cols}",
                field=src,
                fix="check the field name",
            )
        rename[actual] = canon
        taken.add(canon)
    for canon in UNIT_COLUMNS:
        if canon not in taken and canon in cols and canon not in rename:
            taken.add(canon)
    for pub, canon in PUBLISHED_FIELDS.items():
        actual = lower.get(pub.lower())
        if actual and canon not in taken and actual not in rename:
            rename[actual] = canon
            taken.add(canon)
    return rename


def read_units(
    source: Source,
    /,
    *,
    layer: str | None = None,
    fields: Mapping[str, str] | None = None,
    encoding: str | None = None,
    assume_crs: str | CRS | None = None,
    allow_empty: bool = False,
    require_crs: bool = True,
    coords: str = "wgs84",
    required_fields: tuple[str, ...] | None = None,
) -> gpd.GeoDataFrame:
    """Read a control-unit layer and map its fields onto the canonical columns.

    Parameters are those of :func:`read_vector`, plus ``fields``: a mapping canonical
    name → source field name (e.g. ``{"code": "DYBM"}``).  Published field names
    (``HJZHGKDYBM``, ``ZHGKDYFL``, ``KJBJYS`` …) are recognised without a mapping.
    ``coords="gcj02"`` or ``"bd09"``: the layer's longitudes/latitudes are in that system
    (boundaries drawn on Amap/Tencent or Baidu maps, e.g. DataV GeoAtlas) and are
    converted to WGS 84 (the layer must be in a geographic CRS, or declare none).
    ``required_fields``: the canonical fields the caller needs (default: those of a control
    unit, ``code`` and ``unit_class``; zonal statistics over any zones need ``code`` only).

    Returns a GeoDataFrame with at least ``code`` and ``unit_class`` (values as read;
    :func:`zoning.validate.validate_units` checks them); other source columns are kept.
    Units must be polygons with coordinates possible for their CRS (else the layer is
    refused, naming the rows); with ``require_crs=False`` (for validation, which reports
    each such unit) neither is checked here.
    """
    geo = read_vector(
        source,
        layer=layer,
        encoding=encoding,
        assume_crs=assume_crs,
        allow_empty=allow_empty,
        require_crs=require_crs,
        coords=coords,
        geometry="polygon" if require_crs else None,
        check_coords=require_crs,
        what="control units",
        layer_param="layer",
    )
    if len(geo) == 0 and allow_empty:  # no fields to find in an empty layer: validate says so
        for c, required in UNIT_COLUMNS.items():
            if required and c not in geo.columns:
                geo[c] = pd.Series(dtype=object)
    rename = resolve_fields(geo.columns, fields)
    # a mapped field replaces a same-named column of the source (kept as <name>_source)
    clash = {c: f"{c}_source" for c in rename.values() if c in geo.columns and c not in rename}
    geo = geo.rename(columns=clash).rename(columns=rename)
    need = required_fields
    if need is None:
        need = [c for c, r in UNIT_COLUMNS.items() if r]
    missing = [c for c in need if c not in geo.columns]
    if missing:
        raise SchemaError(
            f"required unit field(s) {missing} not found; the layer has "
            f"{[c for c in geo.columns if c != geo.geometry.name]}",
            source=source,
            field=missing[0],
            fix="map them with `fields`, e.g. code=DYBM and unit_class=FL",
        )
    geo["code"] = geo["code"].astype("string").str.strip()
    geo.attrs["source"] = str(source)
    return geo
