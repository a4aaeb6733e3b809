"""The filing package (成果备案): units as a Shapefile in the published field names.

Fields (the names :data:`zoning.model.PUBLISHED_FIELDS` reads back): ``HJZHGKDYBM`` code,
``HJZHGKDYMC`` name, ``PROV``/``CITY``/``AREA``, ``ZHGKDYFL`` the Chinese class name
(优先保护单元 …), ``HJYS`` the Chinese element name, ``YSXL`` sub-type, and the four access
lists ``KJBJYS``, ``PWWPFGK``, ``HJFXFK``, ``ZYKFXLYQ``.  CRS CGCS2000 (EPSG:4490) or a
CGCS2000 Gauss-Krüger zone (EPSG:4491-4554); text in GBK with a ``.cpg`` (or UTF-8).

Text fields are as wide as the data need (in bytes of the encoding; GDAL's ``RESIZE``), up
to the dBase limit of 254 bytes.  A text that does not fit is never cut: it goes whole to
the side table ``<name>_long_text.csv`` (UTF-8, keyed by code and field) and the field
holds a pointer to it (``见附表 …``), so a reader without the side table sees that the text
is elsewhere.  :func:`zoning.io.national.read_national` joins it back.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from zoning.errors import CRSError, InputError
from zoning.export._atomic import atomic_dir, atomic_file
from zoning.model import DIMENSIONS, ELEMENTS, UNIT_CLASSES, normalise_units

log = logging.getLogger(__name__)

DBF_LIMIT = 254  # bytes of one dBase character field
#: canonical column → published field, in the order written
NATIONAL_FIELDS: dict[str, str] = {
    "code": "HJZHGKDYBM",
    "name": "HJZHGKDYMC",
    "prov": "PROV",
    "city": "CITY",
    "county": "AREA",
    "unit_class": "ZHGKDYFL",
    "element": "HJYS",
    "subtype": "YSXL",
    **{d.column: d.published for d in DIMENSIONS},
}
POINTER = "见附表 {table}（{field}）"
ENCODINGS = {"gbk": "GBK", "utf-8": "UTF-8"}


def filing_crs(to_crs=None) -> CRS:
    """The CRS of a filing: CGCS2000 (EPSG:4490) or a CGCS2000 Gauss-Krüger zone."""
    if to_crs is None:
        return CRS.from_epsg(4490)
    try:
        crs = CRS.from_user_input(to_crs)
    except Exception as exc:  # noqa: BLE001 - pyproj raises its own CRSError
        raise CRSError(
            f"'{to_crs}' is not a known CRS", param="to_crs", fix="give e.g. EPSG:4549"
        ) from exc
    code = crs.to_epsg()
    if code is None or not (code == 4490 or 4491 <= code <= 4554):
        raise CRSError(
            f"`to_crs` was {crs.to_string()} but a filing is in CGCS2000: EPSG:4490 "
            "(lon/lat) or a Gauss-Krüger zone EPSG:4491-4554",
            param="to_crs",
            fix="give EPSG:4490, or the zone of the region, e.g. EPSG:4549 (3°, CM 120°E)",
        )
    return crs


def _text(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    s = str(v)
    return s if s != "" else None


def national_frame(units: gpd.GeoDataFrame, /, *, encoding: str = "gbk", name: str = "units"):
    """(The units in published fields, the side table of texts too long for a field)."""
    enc = encoding.lower()
    if enc not in ENCODINGS:
        raise InputError(
            f"encoding was '{encoding}' but is expected to be in {sorted(ENCODINGS)}",
            param="encoding",
        )
    u = normalise_units(units)
    table = f"{name}_long_text.csv"
    cols: dict[str, list] = {}
    long_rows = []
    codes = u["code"].astype(str).tolist()
    for canon, pub in NATIONAL_FIELDS.items():
        values = u[canon].tolist() if canon in u.columns else [None] * len(u)
        if canon == "unit_class":
            values = [
                UNIT_CLASSES[int(c)].zh if pd.notna(c) and int(c) in UNIT_CLASSES else None
                for c in values
            ]
        elif canon == "element":
            values = [ELEMENTS[e][0] if e in ELEMENTS else _text(e) for e in values]
        else:
            values = [_text(v) for v in values]
        out = []
        for row, (code, v) in enumerate(zip(codes, values, strict=True), start=1):
            if v is None:
                out.append(None)
                continue
            try:
                size = len(v.encode(enc))
            except UnicodeEncodeError as exc:
                raise InputError(
                    f"unit {code}: '{v[exc.start : exc.end]}' cannot be written in {ENCODINGS[enc]}",
                    row=row,
                    field=canon,
                    fix="write the filing in UTF-8 (--out-encoding utf-8), or replace the character",
                ) from exc
            if size > DBF_LIMIT:
                long_rows.append({"HJZHGKDYBM": code, "field": pub, "text": v})
                v = POINTER.format(table=table, field=pub)
            out.append(v)
        cols[pub] = out
    frame = gpd.GeoDataFrame(cols, geometry=u.geometry.values, crs=u.crs)
    side = pd.DataFrame(long_rows, columns=["HJZHGKDYBM", "field", "text"])
    return frame, side


def write_national(
    units: gpd.GeoDataFrame,
    out: str | PathLike,
    /,
    *,
    encoding: str = "gbk",
    to_crs=None,
    name: str = "units",
) -> dict[str, Path]:
    """Write the filing package into the folder ``out`` or the zip archive ``out``.

    Returns name → path: ``shapefile`` (the .shp or the .zip) and, when some text is longer
    than a dBase field holds, ``side table``.
    """
    out = Path(out)
    crs = filing_crs(to_crs)
    frame, side = national_frame(units, encoding=encoding, name=name)
    if frame.crs is None:
        raise CRSError("the units have no CRS", fix="pass --crs for a file that declares none")
    frame = frame.to_crs(crs)
    files = {"shapefile": f"{name}.shp"}
    scratch = Path(tempfile.mkdtemp(prefix=".national."))
    try:
        pyogrio.write_dataframe(
            frame,
            scratch / files["shapefile"],
            driver="ESRI Shapefile",
            encoding=ENCODINGS[encoding.lower()],
            layer_options={"RESIZE": "YES"},
        )
        if len(side):
            files["side table"] = f"{name}_long_text.csv"
            side.to_csv(scratch / files["side table"], index=False, encoding="utf-8-sig")
            log.info(
                "%d text(s) longer than %d bytes went to %s",
                len(side),
                DBF_LIMIT,
                files["side table"],
            )
        if out.suffix.lower() == ".zip":
            with atomic_file(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(scratch.iterdir()):
                    zf.write(f, f.name)
            return {k: out for k in files}
        with atomic_dir(out) as tmp:
            for f in scratch.iterdir():
                shutil.copy2(f, tmp / f.name)
        return {k: out / v for k, v in files.items()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def export_dispatch(frame, out, *, schema: str, encoding: str, to_crs) -> str | None:
    """``zoning export``'s national schema and ``--to-crs`` checks.

    Writes the filing package and returns the line to report for ``schema="national"``;
    otherwise checks that ``--to-crs`` suits the output (not GeoJSON, not CSV) and returns
    None (the caller reprojects and writes as usual).
    """
    if schema == "national":
        paths = write_national(frame, out, encoding=encoding, to_crs=to_crs)
        note = (
            "; the side table units_long_text.csv holds the "
            "texts longer than a dBase field (254 bytes), keyed by HJZHGKDYBM"
            if "side table" in paths
            else ""
        )
        return f"{len(frame)} units → {paths['shapefile']} (national schema){note}"
    suffix = Path(str(out)).suffix.lower()
    if suffix in (".geojson", ".json", ".csv"):
        raise InputError(
            f"`to_crs` does not apply to {suffix}: GeoJSON is RFC 7946 WGS 84 and CSV carries WKT in WGS 84",
            source=out,
            param="to_crs",
            fix="write a .gpkg or .parquet, or use `schema` national, with `to_crs`",
        )
    filing_crs(to_crs)
    return None
