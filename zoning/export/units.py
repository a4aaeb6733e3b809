"""Publishing a unit layer: canonical columns, class labels, areas, RFC 7946 GeoJSON."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np

from zoning._version import __version__
from zoning.export.geojson import write_vector
from zoning.geo import EQUAL_AREA
from zoning.model import UNIT_CLASSES, normalise_units, repair_geometry, require_valid_geometry


def publishable_units(units: gpd.GeoDataFrame, /) -> gpd.GeoDataFrame:
    """Units with normalised class and element, class labels and area in km² (EPSG:6933).

    An ``area_km2`` the layer already has is kept, as ``area_km2_source``: the computed
    area never silently replaces what the user gave.
    """
    out = normalise_units(units)
    if "area_km2" in out.columns:
        out = out.rename(columns={"area_km2": "area_km2_source"})
    out["class_zh"] = [
        UNIT_CLASSES[c].zh if c in UNIT_CLASSES else None for c in out["unit_class"].tolist()
    ]
    out["class_en"] = [
        UNIT_CLASSES[c].en if c in UNIT_CLASSES else None for c in out["unit_class"].tolist()
    ]
    out["area_km2"] = np.round(out.to_crs(EQUAL_AREA).area.to_numpy() / 1e6, 6)
    return out


def export_units(
    units: gpd.GeoDataFrame,
    path: str | PathLike,
    /,
    *,
    precision: int = 6,
    repair: bool = False,
    source: str | None = None,
) -> Path | str:
    """Write units to GeoJSON (RFC 7946), GeoPackage, GeoParquet, CSV or PostGIS.

    Parameters
    ----------
    units : GeoDataFrame
        The unit layer (canonical columns, e.g. from :func:`zoning.read_units`).
    path : str or path
        ``.geojson``, ``.gpkg``, ``.parquet``, ``.csv`` or ``postgresql://...?table=T``.
    precision : int, optional (default: 6)
        Decimals of longitude/latitude in GeoJSON.
    repair : bool, optional (default: False)
        Repair invalid polygons first (:func:`zoning.validate.repair_geometry`, each
        repaired unit logged), as ``zoning export --repair-units`` does.
    source : str, optional (default: ``units.attrs["source"]``)
        Named in errors.

    Raises
    ------
    InputError
        Units with missing or invalid geometry (rows named; nothing is written), unless
        ``repair=True`` can repair them: the same refusal as ``zoning export``.
    """
    source = source or units.attrs.get("source")
    if repair:
        units = repair_geometry(units, source=source)
    require_valid_geometry(units, source=source)
    frame = publishable_units(units)
    meta = {
        "generator": f"zoning {__version__}",
        "crs": "EPSG:4326 (RFC 7946 lon/lat)",
        "area_km2": "computed in equal-area EPSG:6933"
        + ("; the layer's own area_km2 is kept as area_km2_source" if "area_km2" in units else ""),
        "n_units": len(frame),
    }
    return write_vector(frame, path, layer="units", precision=precision, metadata=meta)
