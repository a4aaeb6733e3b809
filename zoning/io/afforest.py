"""Reading the inputs of soil classification and afforestation siting.

- :func:`read_gb15618` and :func:`read_tier1`: the data tables shipped in
  ``zoning/data`` (GB 15618-2018 limits; IPCC Tier 1 factors for China), or a user's copy.
- :func:`read_legend`: a land-cover legend (bundled name or a user's CSV) as a
  :class:`Legend`; :func:`read_landcover`: a land-cover raster with the legend it declares
  (``LANDCOVER_LEGEND`` tag) or the one given, every code in it checked against the legend.
- :func:`read_band`: one band of a small raster (DEM, land cover) as a float array with
  NaN for nodata, its Affine transform and CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import DataSourceError, InputError, SchemaError

log = logging.getLogger(__name__)

_DATA = Path(__file__).resolve().parent.parent / "data"


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.exists():
        raise DataSourceError(
            f"{what} not found",
            source=path,
            fix="reinstall zoning (pip install -e .) or pass an existing file",
        )
    try:
        return pd.read_csv(path, comment="#", encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataSourceError(
            f"cannot read {what} ({exc})", source=path, fix="save it as UTF-8 CSV with a header row"
        ) from exc


def read_gb15618(source: str | PathLike | None = None, /) -> pd.DataFrame:
    """The GB 15618-2018 limits table (the bundled copy when ``source`` is None).

    Columns: ``table`` (``T1_screening`` or ``T3_intervention``), ``element``,
    ``land_use`` (水田, 其他, 果园 or ``all``) and one column per pH band.
    """
    path = Path(source) if source is not None else _DATA / "gb15618_2018.csv"
    table = _read_csv(path, "the GB 15618-2018 limits table")
    need = {"table", "element", "land_use"}
    if not need <= set(table.columns) or table.shape[1] != 7:
        raise DataSourceError(
            f"the limits table has columns {list(table.columns)}; expected table, element, "
            "land_use and four pH-band columns",
            source=path,
            fix="start from zoning/data/gb15618_2018.csv",
        )
    return table


def read_tier1(source: str | PathLike | None = None, /) -> pd.DataFrame:
    """The IPCC Tier 1 table (the bundled China rows when ``source`` is None).

    Columns as ``zoning/data/ipcc_tier1_china.csv``: ``ecozone`` (keys, ``;``-separated),
    ``table``, ``edition``, ``region``, ``climate_zone``, ``ecological_zone``,
    ``forest_type``, ``quantity``, ``value``, ``range_low``, ``range_high``, ``condition``,
    ``sources``, ``verified``.
    """
    path = Path(source) if source is not None else _DATA / "ipcc_tier1_china.csv"
    table = _read_csv(path, "the IPCC Tier 1 table")
    need = {"ecozone", "table", "edition", "forest_type", "quantity", "value", "condition"}
    missing = sorted(need - set(table.columns))
    if missing:
        raise DataSourceError(
            f"the IPCC Tier 1 table lacks columns {missing}",
            source=path,
            fix="start from zoning/data/ipcc_tier1_china.csv",
        )
    for col in ("table", "edition", "forest_type", "condition", "ecozone", "verified"):
        if col in table.columns:
            table[col] = table[col].fillna("").astype(str)
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table


# --- land-cover legends ---------------------------------------------------------------------

#: Classes a legend maps codes onto, with their Chinese and English labels.
LANDCOVER_CLASSES: dict[str, tuple[str, str]] = {
    "forest": ("林地", "forest"),
    "shrub": ("灌木地", "shrubland"),
    "grass": ("草地", "grassland"),
    "cropland": ("耕地", "cropland"),
    "orchard": ("园地", "orchard / tree crops"),
    "mosaic": ("镶嵌地", "mosaic with trees"),
    "sparse": ("稀疏植被", "sparse vegetation"),
    "bare": ("裸地", "bare land"),
    "built_up": ("建设用地", "built-up"),
    "water": ("水体", "water"),
    "wetland": ("湿地", "wetland"),
    "snow_ice": ("冰雪", "snow and ice"),
    "moss_lichen": ("苔藓地衣", "moss and lichen"),
    "other": ("其他土地", "other land"),
    "nodata": ("无数据", "no data"),
}
#: Classes that are never afforestation candidates, whatever a legend says.
NEVER_PLANTABLE: tuple[str, ...] = ("forest", "water", "built_up")
#: The raster tag (dataset metadata) that names a bundled legend.
LEGEND_TAG = "LANDCOVER_LEGEND"
_LEGEND_ALIASES = {"c3s": "esa_cci", "cci": "esa_cci", "gb/t 21010": "gbt21010"}
_YES = {"yes", "y", "true", "1", "是"}
_NO = {"no", "n", "false", "0", "否"}


@dataclass(frozen=True)
class Legend:
    """Land-cover codes with the class and plantability each stands for."""

    name: str
    codes: np.ndarray  # int64, sorted
    classes: np.ndarray  # class keys (see LANDCOVER_CLASSES)
    plantable: np.ndarray  # bool
    names_zh: np.ndarray
    names_en: np.ndarray
    source: str
    verified: str = ""

    def index_of(self, codes: np.ndarray) -> np.ndarray:
        """Position of each code in the legend, -1 where it is not in it."""
        codes = np.asarray(codes, dtype="int64")
        pos = np.searchsorted(self.codes, codes)
        pos = np.clip(pos, 0, len(self.codes) - 1)
        return np.where(self.codes[pos] == codes, pos, -1)

    def summary(self) -> dict:
        plant = sorted({str(c) for c, p in zip(self.classes, self.plantable, strict=True) if p})
        return {
            "name": self.name,
            "source": self.source,
            "verified": self.verified,
            "n_codes": int(len(self.codes)),
            "plantable_classes": plant,
            "never_candidates": list(NEVER_PLANTABLE),
        }


def bundled_legends() -> list[str]:
    """Names of the legends shipped in ``zoning/data/landcover_legends.csv``."""
    table = _read_csv(_DATA / "landcover_legends.csv", "the bundled land-cover legends")
    return sorted(table["legend"].astype(str).unique())


def legend_from_frame(frame: pd.DataFrame, /, *, name: str, source: str = "") -> Legend:
    """A :class:`Legend` from a table with ``code``, ``class``, ``plantable`` (and
    optionally ``name_zh``, ``name_en``, ``verified``); every bad row is reported."""
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("code", "class", "plantable") if c not in cols]
    if missing:
        raise SchemaError(
            f"the land-cover legend lacks the column(s) {missing}; it has {list(frame.columns)}",
            source=source or None,
            field=missing[0],
            fix="give the columns code, class, plantable (yes/no) and optionally name_zh, "
            "name_en (docs: README, zoning afforest --landcover-legend)",
        )
    problems: list[str] = []
    first_row = None
    raw_codes = frame[cols["code"]]
    codes = pd.to_numeric(raw_codes, errors="coerce")
    classes = frame[cols["class"]].astype("string").str.strip().str.lower()
    plant_raw = frame[cols["plantable"]].astype("string").str.strip().str.lower()
    plant = np.zeros(len(frame), dtype=bool)
    for i in range(len(frame)):
        row = i + 1
        bad = []
        c = codes.iloc[i]
        if pd.isna(c) or c != int(c):
            bad.append(f"code '{raw_codes.iloc[i]}' is not a whole number")
        k = classes.iloc[i]
        if pd.isna(k) or k not in LANDCOVER_CLASSES:
            bad.append(
                f"class '{frame[cols['class']].iloc[i]}' is not one of {list(LANDCOVER_CLASSES)}"
            )
        p = plant_raw.iloc[i]
        if pd.isna(p) or (p not in _YES and p not in _NO):
            bad.append(f"plantable '{frame[cols['plantable']].iloc[i]}' is not yes or no")
        else:
            plant[i] = p in _YES
            if plant[i] and k in NEVER_PLANTABLE:
                bad.append(
                    f"class {k} is never plantable (existing forest, water and built-up land)"
                )
        if bad:
            first_row = first_row or row
            problems.append(f"row {row}: " + "; ".join(bad))
    if not problems:
        dup = codes[codes.duplicated(keep=False)]
        if len(dup):
            first_row = int(np.flatnonzero(codes.duplicated().to_numpy())[0]) + 1
            problems.append(f"codes listed twice: {sorted(set(dup.astype(int)))}")
    if not problems:  # the siting judges by class: a class is plantable or not as a whole
        for k in sorted(set(classes)):
            sel = (classes == k).to_numpy()
            if 0 < plant[sel].sum() < sel.sum():
                first_row = first_row or int(np.flatnonzero(sel)[0]) + 1
                problems.append(
                    f"class {k} is plantable for codes {sorted(codes[sel & plant].astype(int))} "
                    f"but not for {sorted(codes[sel & ~plant].astype(int))}; a class is "
                    "plantable or not as a whole (give the others another class, e.g. other)"
                )
    if not problems and not len(frame):
        problems.append("no rows")
    if problems:
        raise SchemaError(
            f"{len(problems)} problem(s) in the land-cover legend '{name}': "
            + "; ".join(problems[:20]),
            source=source or None,
            row=first_row,
            fix="one row per raster code: code, class, plantable yes/no",
        )
    order = np.argsort(codes.to_numpy(dtype="int64"), kind="stable")

    def col(key, default):
        if key in cols:
            return frame[cols[key]].fillna("").astype(str).to_numpy()[order]
        return np.asarray(default, dtype=object)[order]

    ver = sorted(set(col("verified", [""] * len(frame))) - {""})
    return Legend(
        name=name,
        codes=codes.to_numpy(dtype="int64")[order],
        classes=classes.to_numpy(dtype=object)[order],
        plantable=plant[order],
        names_zh=col("name_zh", codes.astype(int).astype(str)),
        names_en=col("name_en", codes.astype(int).astype(str)),
        source=source,
        verified=",".join(ver),
    )


def read_legend(name_or_path: str | PathLike, /) -> Legend:
    """A bundled legend by name (``worldcover``, ``lc100``, ``esa_cci`` (``c3s``), ``clcd``,
    ``glc_fcs30``, ``gbt21010``) or a user's CSV file of the same columns."""
    key = str(name_or_path).strip()
    alias = _LEGEND_ALIASES.get(key.lower(), key.lower())
    bundled = _read_csv(_DATA / "landcover_legends.csv", "the bundled land-cover legends")
    names = sorted(bundled["legend"].astype(str).unique())
    if alias in names:
        sub = bundled[bundled["legend"] == alias].reset_index(drop=True)
        return legend_from_frame(
            sub, name=alias, source="zoning/data/landcover_legends.csv (see SOURCES.md)"
        )
    path = Path(key)
    if path.suffix.lower() in (".csv", ".txt") or path.exists():
        table = _read_csv(path, "the land-cover legend")
        return legend_from_frame(table, name=path.stem, source=str(path))
    raise InputError(
        f"'{key}' is neither a bundled land-cover legend nor a CSV file",
        param="legend",
        fix=f"name one of {names} or give a legend CSV (columns code, class, plantable)",
    )


def undeclared_codes(arr: np.ndarray, legend: Legend) -> dict[int, int]:
    """Codes in ``arr`` (NaN = nodata) that ``legend`` does not list, with cell counts."""
    vals = arr[np.isfinite(arr)]
    if not len(vals):
        return {}
    uniq, counts = np.unique(vals, return_counts=True)
    whole = uniq == np.round(uniq)
    out = {float(u): int(n) for u, n in zip(uniq[~whole], counts[~whole], strict=True)}
    idx = legend.index_of(uniq[whole].astype("int64"))
    for u, n, i in zip(uniq[whole], counts[whole], idx, strict=True):
        if i < 0:
            out[int(u)] = int(n)
    return out


def check_codes(arr: np.ndarray, legend: Legend, *, source=None) -> None:
    """Refuse a raster holding codes its legend does not list (they are listed)."""
    bad = undeclared_codes(arr, legend)
    if bad:
        shown = ", ".join(f"{c} ({n} cells)" for c, n in sorted(bad.items())[:20])
        raise InputError(
            f"the land-cover raster holds {len(bad)} code(s) that the legend '{legend.name}' "
            f"does not list: {shown}",
            source=source,
            param="legend",
            fix="choose the legend the raster was made with (`legend`: a name or a CSV), "
            "or add those codes to your legend CSV",
        )


def read_landcover(source: str | PathLike, /, *, legend: str | PathLike | None = None):
    """A land-cover raster and its legend: ``(grid, Legend, how)``.

    The legend is the one given, else the one the raster's ``LANDCOVER_LEGEND`` tag names;
    without either the raster is refused (codes overlap between products: 50 is built-up
    in WorldCover and evergreen broadleaf trees in ESA CCI).  A legend given that differs
    from a bundled one the tag names is refused too; every code in the raster must be in
    the legend.
    """
    import rasterio

    grid = read_band(source)
    with rasterio.open(source) as ds:
        tags = {k.upper(): v for k, v in ds.tags().items()}
    tagged = tags.get(LEGEND_TAG, "").strip() or None
    if legend is None and tagged is None:
        raise InputError(
            "the land-cover raster does not say which legend its codes follow (no "
            f"{LEGEND_TAG} tag) and no legend was given",
            source=source,
            param="legend",
            fix=f"pass `legend` with one of {bundled_legends()} or a legend CSV, "
            f"or tag the raster: gdal_edit.py -mo {LEGEND_TAG}=lc100 FILE",
        )
    if legend is not None:
        leg = read_legend(legend)
        how = "--landcover-legend"
        if tagged is not None:
            tag_name = _LEGEND_ALIASES.get(tagged.lower(), tagged.lower())
            if tag_name in bundled_legends() and Path(str(legend)).suffix.lower() != ".csv":
                if tag_name != leg.name:
                    raise InputError(
                        f"the legend {leg.name} (`legend`) contradicts the raster's "
                        f"{LEGEND_TAG}={tagged}",
                        source=source,
                        param="legend",
                        fix="leave `legend` out to use the raster's own legend, or correct the tag",
                    )
            else:
                log.info(
                    "%s: legend %s given; the tag %s=%s is not used",
                    source,
                    leg.name,
                    LEGEND_TAG,
                    tagged,
                )
    else:
        if _LEGEND_ALIASES.get(tagged.lower(), tagged.lower()) not in bundled_legends():
            raise InputError(
                f"the raster's {LEGEND_TAG} tag names '{tagged}', which is no bundled legend",
                source=source,
                param="legend",
                fix=f"pass `legend` with a legend CSV, or tag one of {bundled_legends()}",
            )
        leg = read_legend(tagged)
        how = f"raster tag {LEGEND_TAG}={tagged}"
    check_codes(grid[0], leg, source=source)
    log.info("%s: land-cover legend %s (from %s)", source, leg.name, how)
    return grid, leg, how


def read_samples(
    source: str | PathLike,
    /,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    coords: str = "wgs84",
):
    """Soil sample points: a vector file, or a CSV read like facilities CSVs.

    A CSV takes longitude/latitude columns (found by name — lon, lng, longitude, 经度 … —
    or named with ``lon_col``/``lat_col``) in ``crs`` (default EPSG:4326), UTF-8 or GBK
    text (or ``encoding``).  A row whose coordinates are missing or impossible is refused
    (a sample that cannot be placed cannot classify a parcel).
    """
    from zoning.io.facilities import read_facilities
    from zoning.io.vector import read_vector

    path = Path(source)
    if path.suffix.lower() not in (".csv", ".txt"):
        frame = read_vector(
            source,
            assume_crs=crs,
            encoding=encoding,
            layer=layer,
            coords=coords,
            geometry="point",
            what="soil samples",
        )
        frame.attrs["source"] = str(source)
        return frame
    geo = read_facilities(
        path, lon_col=lon_col, lat_col=lat_col, crs=crs, encoding=encoding, coords=coords
    )
    bad = np.flatnonzero(geo["coord_problem"].notna().to_numpy())
    if len(bad):
        rows = ", ".join(str(i + 1) for i in bad[:10])
        raise SchemaError(
            f"{len(bad)} soil sample row(s) have unusable coordinates (rows {rows}; the "
            f"first: {geo['coord_problem'].iloc[bad[0]]})",
            source=path,
            row=int(bad[0]) + 1,
            fix="correct or delete those rows; name the columns with `lon_col`/`lat_col` "
            "and give `crs` when they are not WGS 84 lon/lat",
        )
    out = geo.drop(columns="coord_problem")
    out.attrs["source"] = str(source)
    return out


def read_band(source: str | PathLike, /, *, band: int = 1):
    """One raster band as ``(float64 array with NaN for nodata, Affine, CRS)``.

    Meant for county-sized rasters (DEM, land cover); the whole band is read.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(source)
    if not path.exists():
        raise DataSourceError("raster not found", source=path, fix="check the path")
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise DataSourceError(
                    "the raster declares no CRS",
                    source=path,
                    fix="set one with gdal_edit.py -a_srs EPSG:xxxx",
                )
            data = ds.read(band, masked=True)
            arr = np.asarray(
                data.filled(np.nan)
                if data.dtype.kind == "f"
                else data.astype("float64").filled(np.nan),
                dtype="float64",
            )
            return arr, ds.transform, ds.crs
    except RasterioIOError as exc:
        raise DataSourceError(
            f"cannot read the raster ({exc})",
            source=path,
            fix="give a GeoTIFF or another GDAL raster",
        ) from exc
