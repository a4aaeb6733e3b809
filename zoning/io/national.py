"""Reading a filing package of :mod:`zoning.export.national` back, side table joined."""

from __future__ import annotations

import io
import zipfile
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from zoning.errors import DataSourceError
from zoning.io.vector import read_units
from zoning.model import PUBLISHED_FIELDS


def read_national(source: str | PathLike, /, *, encoding: str | None = None) -> gpd.GeoDataFrame:
    """Units of a filing package (folder with one .shp, the .shp, or the .zip), with the
    texts of the side table ``<name>_long_text.csv`` put back in their fields."""
    path = Path(source)
    if path.is_dir():
        shps = sorted(path.glob("*.shp"))
        if len(shps) != 1:
            raise DataSourceError(
                f"the folder holds {len(shps)} .shp files", source=path, fix="give the .shp file"
            )
        path = shps[0]
    units = read_units(path, encoding=encoding)
    side = _side_table(path)
    if side is None or not len(side):
        return units
    by_code = {c: k for k, c in enumerate(units["code"].astype(str))}
    for rec in side.itertuples(index=False):
        canon = PUBLISHED_FIELDS.get(rec.field)
        row = by_code.get(str(rec.HJZHGKDYBM))
        if canon is None or row is None:
            raise DataSourceError(
                f"the side table names {rec.HJZHGKDYBM} / {rec.field}, not in the layer",
                source=path,
                fix="keep the side table of this export beside its shapefile",
            )
        units.iloc[row, units.columns.get_loc(canon)] = rec.text
    return units


def _side_table(path: Path) -> pd.DataFrame | None:
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith("_long_text.csv")]
            if not names:
                return None
            return pd.read_csv(io.BytesIO(zf.read(names[0])), encoding="utf-8-sig", dtype=str)
    side = path.with_name(f"{path.stem}_long_text.csv")
    return pd.read_csv(side, encoding="utf-8-sig", dtype=str) if side.exists() else None
