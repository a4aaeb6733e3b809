"""The columns of a facility table: the longitude/latitude (or x/y) columns found, source
columns mapped onto the canonical facts (``fields``), the facility id taken from an
obvious id column, and text columns that hold numbers typed.  Used by
:func:`zoning.io.facilities.read_facilities`.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from zoning.errors import SchemaError
from zoning.io._csv import to_numbers
from zoning.model import FACILITY_COLUMNS

#: Logged under the reader's name, so a filter set on it still applies.
log = logging.getLogger("zoning.io.facilities")

LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x_wgs84", "gcj_lon", "bd_lon")
LAT_NAMES = ("lat", "latitude", "纬度", "y_wgs84", "gcj_lat", "bd_lat")


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
    if len(cols) == 1:
        raise SchemaError(
            f"the file has a single column '{cols[0]}': its fields are not separated by "
            "commas, semicolons, tabs or '|'",
            source=source,
            field=what,
            fix="save it as CSV with commas between the fields",
        )
    raise SchemaError(
        f"no {what} column found (looked for {', '.join(names)}); the file has {cols}",
        source=source,
        field=what,
        fix=f"name it with `{what[:3]}_col`",
    )


def _map_fields(frame: pd.DataFrame, fields: Mapping[str, str] | None, source) -> pd.DataFrame:
    """Rename source columns onto canonical facility columns (canonical → source).

    A canonical name the source already has as another column is kept as
    ``<name>_source``; one source column mapped to several names is copied.
    """
    if not fields:
        return frame
    cols = [
        c
        for c in frame.columns
        if not isinstance(frame, gpd.GeoDataFrame) or c != frame.geometry.name
    ]
    lower = {str(c).strip().lower(): c for c in cols}
    pairs: dict[str, str] = {}
    for canon, src in fields.items():
        if canon not in FACILITY_COLUMNS:
            close = difflib.get_close_matches(str(canon), list(FACILITY_COLUMNS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            coord = str(canon).lower() in {"lon", "lat", "lng", "longitude", "latitude", "x", "y"}
            raise SchemaError(
                f"'{canon}' is not a facility field{hint}; the fields are "
                f"{', '.join(FACILITY_COLUMNS)}",
                source=source,
                field=str(canon),
                fix=(
                    "coordinates are named with `lon_col`/`lat_col` or `x_col`/`y_col`"
                    if coord
                    else "map a source column onto one of these names (CANONICAL=SOURCE)"
                ),
            )
        src_s = "" if src is None else str(src)
        actual = src_s if src_s in cols else lower.get(src_s.strip().lower())
        if actual is None:
            raise SchemaError(
                f"source column '{src_s}' (for '{canon}') is not in the file; it has "
                f"{[str(c) for c in cols]}",
                source=source,
                field=src_s,
                fix="give the column name as it is in the file's header",
            )
        pairs[canon] = actual
    renamed: dict[str, str] = {}
    copies: dict[str, str] = {}
    for canon, actual in pairs.items():
        if actual == canon:
            continue
        if actual in renamed:
            copies[canon] = renamed[actual]
        else:
            renamed[actual] = canon
    clash = {
        c: f"{c}_source"
        for c in list(renamed.values()) + list(copies)
        if c in frame.columns and c not in renamed
    }
    out = frame.rename(columns={**clash, **renamed})
    for canon, first in copies.items():
        out[canon] = out[first]
    log.info("%s: facility fields mapped %s", source, pairs)
    return out


#: Columns taken as facility ids when the file has no ``facility_id`` and the values are
#: unique and non-empty, first match first (names compared ignoring case, ``_``, ``-``).
ID_COLUMNS = (
    "id",
    "facility id",
    "plant id",
    "power plant id",
    "gppd_idnr",  # Global Power Plant Database
    "编号",
    "设施编号",
    "企业编号",
    "污染源编号",
    "排污许可证编号",
    "许可证编号",
)


def _detect_id(frame: pd.DataFrame, source) -> pd.DataFrame:
    """``facility_id`` from an obvious id column (:data:`ID_COLUMNS`) whose values are
    unique and non-empty; the column used, or why a candidate was not, is logged.  A
    ``facility_id`` the file has (or ``fields`` mapped) is kept as it is."""
    if "facility_id" in frame.columns:
        return frame

    def key(name) -> str:
        return " ".join(str(name).replace("_", " ").replace("-", " ").split()).casefold()

    by_key = {key(c): c for c in reversed(list(frame.columns))}
    for want in ID_COLUMNS:
        col = by_key.get(key(want))
        if col is None:
            continue
        vals = frame[col]
        if pd.api.types.is_float_dtype(vals) and (vals.dropna() % 1 == 0).all():
            vals = vals.astype("Int64")
        text = vals.astype("string").str.strip()
        empty = int((text.isna() | (text == "")).sum())
        dup = text[text.duplicated(keep=False) & text.notna() & (text != "")]
        if empty or len(dup):
            log.warning(
                "%s: column '%s' not used as facility id (%s); ids are F<row> unless "
                "--facilities-field facility_id=COLUMN names one",
                source,
                col,
                f"{empty} empty"
                if empty
                else f"'{dup.iloc[0]}' occurs {int((dup == dup.iloc[0]).sum())} times",
            )
            continue
        log.info(
            "%s: facility ids from column '%s' (--facilities-field facility_id=COLUMN to "
            "choose another)",
            source,
            col,
        )
        frame = frame.copy(deep=False)
        frame["facility_id"] = text.to_numpy(dtype=object)
        return frame
    return frame


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
        conv = to_numbers(frame[col])  # pd.to_numeric(errors="coerce"), in Arrow where it can
        if conv.notna().sum() == frame[col].notna().sum() and frame[col].notna().any():
            frame[col] = conv
    return frame
