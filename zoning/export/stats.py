"""The table of per-unit grid statistics, written by the extension of its path.

CSV holds no geometry; GeoJSON carries the units of each column in its ``metadata``
member, GeoPackage and GeoParquet in a ``<name>.meta.json`` beside the output (as a
CSV's sidecar).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.export.geojson import write_json, write_vector
from zoning.quantities import units_label

log = logging.getLogger(__name__)


def meta_path(path) -> Path:
    """Where the column units of a table without a metadata member go (as
    :func:`zoning.export.geojson.write_vector` names a CSV's sidecar)."""
    path = Path(path)
    return path.with_name(path.stem + ".meta.json")


def units_note(path) -> str | None:
    """Where :func:`write_stats` put the units of the columns of ``path``, in words."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return f"column units in the 'metadata' member of {path.name}"
    if suffix in (".csv", ".gpkg", ".parquet", ".geoparquet"):
        return f"column units in {meta_path(path)}"
    return None


def no_data_counts(res: gpd.GeoDataFrame) -> dict[str, dict[str, int]]:
    """Per grid: units without any data and units partly covered (from the table, so a
    chunked run counts the same)."""
    out = {}
    for name in res.attrs.get("grids", {}):
        cover = res.get(f"{name}_coverage")
        if cover is None:
            continue
        c = cover.to_numpy(dtype="float64")
        out[name] = {
            "units_without_data": int(np.sum(~(c > 0))),
            "units_partly_covered": int(np.sum((c > 0) & (c < 1))),
        }
    return out


def stats_metadata(res: gpd.GeoDataFrame, lang: str = "en") -> dict:
    """Every column's units and, in ``lang``, how they read (``µg/m³``, ``t/年``,
    ``单位未知``), the grids, and the units without data per grid."""
    col_units = res.attrs.get("units", {})
    return {
        "column_units": col_units,
        "column_units_label": {c: units_label(u, lang) for c, u in col_units.items()},
        "lang": lang,
        "grids": res.attrs.get("grids", {}),
        "no_data": no_data_counts(res),
        "coverage": "<grid>_coverage: share (0..1) of a unit's area under valid cells; "
        "a unit without data has no value (empty), never 0",
        "method": "exact coverage-weighted zonal statistics (exactextract); units "
        "reprojected to each grid's CRS",
    }


def write_stats(res: gpd.GeoDataFrame, out, /, *, lang: str = "en") -> Path:
    """Write the statistics of :func:`zoning.stats.zonal_stats` to ``out`` (.csv,
    .geojson, .gpkg or .parquet) with their metadata; returns the path written."""
    meta = stats_metadata(res, lang)
    for name, c in meta["no_data"].items():
        if c["units_without_data"] or c["units_partly_covered"]:
            log.warning(
                "grid '%s': %d unit(s) without data (no value, not 0), %d partly covered "
                "(see %s_coverage)",
                name,
                c["units_without_data"],
                c["units_partly_covered"],
                name,
            )
    # the access-list texts are long and not statistics: leave them out of the table
    res = res.drop(columns=[c for c in res.columns if str(c).startswith("access_")])
    keep = [c for c in res.columns if c != res.geometry.name]
    suffix = Path(out).suffix.lower()
    if suffix == ".csv":
        path = write_vector(pd.DataFrame(res[keep]), out, metadata=meta)
    else:
        path = write_vector(res, out, metadata=meta if suffix in (".geojson", ".json") else None)
        if suffix in (".gpkg", ".parquet", ".geoparquet"):
            # these formats keep no column units: a sidecar like a CSV's does
            write_json(meta, meta_path(out))
    log.info("wrote %s: %d units x %d statistics", path, len(res), len(meta["column_units"]))
    return path


__all__ = ["meta_path", "no_data_counts", "stats_metadata", "write_stats"]
