"""Reading a grid whole for display on a map (small and medium grids)."""

from __future__ import annotations

from os import PathLike

import numpy as np
import rasterio

from zoning.errors import DataSourceError


def read_preview(path: str | PathLike, /, max_cells: int = 4_000_000):
    """(array with NaN for nodata, transform, crs, units label) of band 1, decimated if large."""
    try:
        with rasterio.open(path) as src:
            factor = max(1, int(np.ceil(np.sqrt(src.width * src.height / max_cells))))
            shape = (src.height // factor or 1, src.width // factor or 1)
            data = src.read(1, out_shape=shape, masked=True).astype("float64")
            transform = src.transform @ src.transform.scale(
                src.width / shape[1], src.height / shape[0]
            )
            units = src.tags().get("units") or (src.units[0] if src.units else "") or ""
            crs = src.crs
    except rasterio.errors.RasterioIOError as exc:
        raise DataSourceError(
            f"cannot read the grid ({exc})",
            source=path,
            fix="give a GeoTIFF or another GDAL raster",
        ) from exc
    if crs is None:
        raise DataSourceError(
            "the grid declares no CRS",
            source=path,
            fix="assign one, e.g. gdal_edit.py -a_srs EPSG:4549",
        )
    return np.ma.filled(data, np.nan), transform, crs, units
