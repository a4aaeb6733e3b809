"""The soil-class outputs (``zoning soil``): classified parcels (and samples), each with
the standard, the class keys and how the parcels were classified as metadata."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from zoning.export.geojson import write_vector

if TYPE_CHECKING:
    from zoning.soil import SoilResult

log = logging.getLogger(__name__)


def write_soil(
    result: SoilResult, out: str | Path, /, *, samples_out: str | Path | None = None
) -> dict[str, Path]:
    """Write the classified parcels to ``out`` (``.geojson``, ``.gpkg``, ``.csv``,
    ``.parquet``) and the samples to ``samples_out`` when given; returns name → path."""
    meta = result.metadata()
    log.info("parcels: %s; by %s", meta["counts"], meta.get("methods"))
    written = {"parcels_soil": write_vector(result.parcels, out, metadata=meta)}
    if samples_out is not None:
        written["samples_soil"] = write_vector(result.samples, samples_out, metadata=meta)
    return written
