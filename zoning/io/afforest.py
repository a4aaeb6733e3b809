"""Reading the inputs of soil classification and afforestation siting.

- :func:`read_gb15618` and :func:`read_removals`: the data tables shipped in
  ``zoning/data`` (GB 15618-2018 limits; IPCC Tier 1 removal factors), or a user's copy.
- :func:`read_band`: one band of a small raster (DEM, land cover) as a float array with
  NaN for nodata, its Affine transform and CRS.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import DataSourceError

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


def read_removals(source: str | PathLike | None = None, /) -> pd.DataFrame:
    """The Tier 1 removal-factor table (the bundled IPCC copy when ``source`` is None)."""
    path = Path(source) if source is not None else _DATA / "ipcc_removals.csv"
    table = _read_csv(path, "the removal-factor table")
    need = {"climate_zone", "continent", "forest_type", "agb_growth_t_dm_ha_yr", "root_shoot"}
    missing = sorted(need - set(table.columns))
    if missing:
        raise DataSourceError(
            f"the removal-factor table lacks columns {missing}",
            source=path,
            fix="start from zoning/data/ipcc_removals.csv",
        )
    return table


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
