"""Reading vector layers: GeoJSON, GeoPackage, Shapefile (also zipped), GeoParquet, KML,
and PostGIS tables (``postgresql://`` URIs, through :mod:`zoning.io.postgis`).

``read_vector`` reads any layer and checks its CRS; ``read_units`` also maps the fields of
a control-unit layer onto the canonical columns of :mod:`zoning.model`.
"""

from __future__ import annotations

import logging
import warnings
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


def _one_layer(gdal_path: str, source: Source, option: str | None) -> None:
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
            field=option,
            fix=f"name one with {option}, e.g. {option} {spatial[-1]}"
            if option
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
    layer_option: str | None = None,
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
    layer_option : str, optional (default: None)
        The command-line option that names ``layer`` (``--layer``), for the message
        refusing a multi-layer source read without one (its layers are listed).

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
            _one_layer(gdal_path, source, layer_option)
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
            fix="check the layer name (--layer) or the export that made it",
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


def _cpg(gdal_path: str) -> str | None:
    """The text of the .cpg beside a shapefile (also inside a zip), or None."""
    if gdal_path.startswith("/vsizip/"):
        inner = gdal_path[len("/vsizip/") :]
        for i in range(len(inner)):
            if inner[i] == "/" and inner[:i].lower().endswith(".zip"):
                archive, member = inner[:i], inner[i + 1 :]
                break
        else:
            return None
        try:
            with zipfile.ZipFile(archive) as zf:
                names = {n.lower(): n for n in zf.namelist()}
                name = names.get(member[:-4].lower() + ".cpg")
                return zf.read(name).decode("ascii", "replace").strip() if name else None
        except (OSError, zipfile.BadZipFile):
            return None
    if gdal_path.startswith("/vsi"):
        return None
    for s in (".cpg", ".CPG"):
        p = Path(gdal_path).with_suffix(s)
        if p.exists():
            return p.read_bytes().decode("ascii", "replace").strip()
    return None


def _codec(name: str) -> str | None:
    """A Python codec for an encoding name as .cpg files and users write them."""
    import codecs

    n = name.strip().lower()
    if n.isdigit():
        n = {"65001": "utf-8", "936": "gbk", "950": "big5", "54936": "gb18030"}.get(n, f"cp{n}")
    if n in {"ansi 936", "ansi936"}:
        n = "gbk"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def _read_ogr(gdal_path: str, source: Source, layer: str | None, encoding: str | None):
    kw = {"layer": layer} if layer else {}
    is_shp = gdal_path.lower().endswith(".shp")
    if encoding is not None and _codec(encoding) is None:
        raise DataSourceError(
            f"'{encoding}' is not a known text encoding",
            source=source,
            field="--encoding",
            fix="use a name such as utf-8, gbk, gb18030 or cp1252",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # a shapefile's .dbf is read as bytes (latin-1 keeps every byte) and decoded
            # here, record by record, on the evidence (see _decode_dbf)
            geo = pyogrio.read_dataframe(
                gdal_path, encoding="ISO-8859-1" if is_shp else encoding, **kw
            )
        except pyogrio.errors.DataLayerError as exc:
            names = _layer_names(gdal_path) if layer is not None else None
            if names is not None and layer not in names:
                raise DataSourceError(
                    f"has no layer '{layer}'; its layers are {', '.join(names) or 'none'}",
                    source=source,
                    fix="name one of those layers",
                ) from exc
            raise DataSourceError(
                f"cannot read the layer ({_first_line(exc)})",
                source=source,
                fix="the file looks damaged or cut short: copy or export it again",
            ) from exc
        except (pyogrio.errors.DataSourceError, OSError) as exc:
            raise DataSourceError(
                f"cannot open ({_first_line(exc)})",
                source=source,
                fix="check that it is a complete GeoJSON, GeoPackage, Shapefile, "
                "zipped Shapefile or GeoParquet file (a cut-off copy cannot be read)",
            ) from exc
        except UnicodeDecodeError as exc:
            raise DataSourceError(
                f"text is not valid {encoding or 'UTF-8'} ({exc.reason} at byte {exc.start})",
                source=source,
                field="--encoding",
                fix="pass the file's encoding with --encoding (e.g. gbk)",
            ) from exc
        except Exception as exc:  # noqa: BLE001
            raise DataSourceError(
                f"cannot read ({_first_line(exc)})",
                source=source,
                fix="check that the file is complete and of a supported format",
            ) from exc
    for w in caught:
        text = str(w.message)
        if "More than one layer found" in text:
            continue  # refused or chosen by --layer before reading
        if "invalid value encountered" in text:
            continue  # NaN coordinates: check_coordinates names those rows
        log.warning("%s: %s", source, _first_line(text))
    if is_shp:
        geo = _decode_dbf(geo, source, encoding, _cpg(gdal_path))
    return geo


def _layer_names(gdal_path: str) -> list[str] | None:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(gdal_path)]
    except Exception:  # noqa: BLE001 - unreadable: the caller says why
        return None


def _first_line(exc) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _column_decodes(values: np.ndarray, codec: str, split: bool = False):
    """Whether every text of a column (latin-1 strings of the .dbf bytes) decodes in
    ``codec``, tried on the column joined by NUL (no NUL in .dbf text); with ``split``
    the decoded column (a list) or None."""
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    texts = values[is_text]
    if any("\x00" in v for v in texts):
        return None if split else False
    try:
        decoded = "\x00".join(texts).encode("latin-1").decode(codec)
    except UnicodeDecodeError:
        return None if split else False
    if not split:
        return True
    parts = decoded.split("\x00")
    if len(parts) != len(texts):
        return None
    out = values.copy()
    out[is_text] = np.array(parts, dtype=object) if parts else out[is_text]
    return list(out)


def _decode_dbf(geo: gpd.GeoDataFrame, source, encoding: str | None, cpg: str | None):
    """The .dbf text (read as latin-1 bytes) decoded in the encoding the evidence shows.

    ``encoding`` (--encoding) wins, then a readable .cpg, else UTF-8 and GBK compete:
    each counts the records whose text decodes cleanly, and the one decoding more
    records wins (UTF-8 on a tie).  Records the chosen encoding cannot decode (UTF-8 cut
    mid-character at the field width) keep their other text, the bad bytes shown as
    U+FFFD, and are named in a warning; when most records with non-ASCII text fail, the
    layer is refused.
    """
    cols = [
        c
        for c in geo.columns
        if c != geo.geometry.name
        and (geo[c].dtype == object or pd.api.types.is_string_dtype(geo[c]))
    ]
    raw = {c: geo[c].to_numpy(dtype=object) for c in cols}

    def fails(codec: str) -> tuple[np.ndarray, dict[int, str]]:
        bad = np.zeros(len(geo), dtype=bool)
        first_field: dict[int, str] = {}
        for c, values in raw.items():
            if _column_decodes(values, codec):
                continue  # the whole column at once: the usual case, fast
            for i, v in enumerate(values):
                if isinstance(v, str) and not v.isascii():
                    try:
                        v.encode("latin-1").decode(codec)
                    except UnicodeDecodeError:
                        if not bad[i]:
                            first_field[i] = c
                        bad[i] = True
        return bad, first_field

    non_ascii = np.zeros(len(geo), dtype=bool)
    for values in raw.values():
        non_ascii |= np.array([isinstance(v, str) and not v.isascii() for v in values], bool)
    if not non_ascii.any():
        return geo
    named = encoding or cpg
    chosen = _codec(named) if named else None
    if named and chosen is None:  # an unreadable .cpg: decide on the evidence
        log.warning("%s: the .cpg names '%s', which is not a known encoding", source, cpg)
    if chosen:
        bad, where = fails(chosen)
        how = "--encoding" if encoding else ".cpg"
    else:
        tried = {"utf-8": fails("utf-8")}
        if tried["utf-8"][0].any():  # UTF-8 clean everywhere wins (or ties) outright
            tried["gbk"] = fails("gbk")
        else:
            tried["gbk"] = (non_ascii, {})  # not counted: cannot beat UTF-8
        chosen = min(tried, key=lambda c: int(tried[c][0].sum()))  # utf-8 first on a tie
        bad, where = tried[chosen]
        how = "the evidence"
        n_text = int(non_ascii.sum())
        log.info(
            "%s: .dbf text read as %s (of %d records with non-ASCII text, %d decode as UTF-8%s)",
            source,
            chosen,
            n_text,
            n_text - int(tried["utf-8"][0].sum()),
            f", {n_text - int(tried['gbk'][0].sum())} as GBK" if tried["utf-8"][0].any() else "",
        )
    rows = np.flatnonzero(bad)
    fields = sorted({where[int(i)] for i in rows})
    shown = (
        ", ".join(str(i + 1) for i in rows[:5])
        + (" ..." if len(rows) > 5 else "")
        + (f"; field {', '.join(repr(f) for f in fields[:3])}" if fields else "")
    )
    if 2 * len(rows) > int(non_ascii.sum()):
        others = [
            e for e in ("utf-8", "gbk", "gb18030", "big5") if e != chosen and not fails(e)[0].any()
        ]
        raise DataSourceError(
            f"the .dbf text is not valid {chosen} (taken from {how}) in {len(rows)} of "
            f"{int(non_ascii.sum())} records with non-ASCII text (rows {shown})",
            source=source,
            row=int(rows[0]) + 1,
            field=where[int(rows[0])],
            fix=(
                f"it decodes as {others[0]}: pass --encoding {others[0]}"
                if others
                else "pass the encoding it was written in with --encoding"
            )
            + " (or write a .cpg naming it)",
        )
    if len(rows):
        log.warning(
            "%s: %d record(s) have text that is not valid %s, shown with \ufffd: rows %s "
            "(usually text cut mid-character at the field width; correct them in the source)",
            source,
            len(rows),
            chosen,
            shown,
        )
    geo = geo.copy()
    for c, values in raw.items():
        whole = _column_decodes(values, chosen, split=True)
        if whole is not None:
            geo[c] = whole
            continue
        geo[c] = [
            v.encode("latin-1").decode(chosen, errors="replace")
            if isinstance(v, str) and not v.isascii()
            else v
            for v in values
        ]
    return geo


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
                fix="use --field CANONICAL=SOURCE with a canonical name",
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
        layer_option="--layer",
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
            fix="map them with --field, e.g. --field code=DYBM --field unit_class=FL",
        )
    geo["code"] = geo["code"].astype("string").str.strip()
    geo.attrs["source"] = str(source)
    return geo
