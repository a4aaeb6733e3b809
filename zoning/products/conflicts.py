"""The whole conflicts run: read → evaluate → write, as ``zoning conflicts`` does it.

:func:`run_conflicts` takes the inputs as frames (or, for units, facilities and rules,
as paths read with the defaults), evaluates them (on a Dask cluster with ``scheduler``
or ``workers``), checks that every facility comes out exactly once, compares with a
baseline table when one is given, and writes the files (:func:`write_conflicts`).
``zoning demo`` and ``zoning conflicts`` both call it.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from zoning.conflicts import conflicts, summarize
from zoning.export.conflicts import write_conflicts
from zoning.progress import step

log = logging.getLogger(__name__)

CRS_NOTE = (
    "conflicts.geojson and the CSV's wkt_wgs84 are WGS 84 longitude/latitude; distances "
    "were measured in metres in a projected CRS"
)


def _frame(value, read, what: str):
    if isinstance(value, (str, PathLike)):
        with step(f"read {what}"):
            return read(value)
    return value


def run_conflicts(
    units: gpd.GeoDataFrame | str | PathLike,
    facilities: gpd.GeoDataFrame | str | PathLike,
    /,
    rules,
    *,
    out: str | PathLike,
    layers: dict | None = None,
    grids: dict | None = None,
    lang: Literal["zh", "en"] = "zh",
    sources: dict | None = None,
    missing: Literal["error", "unknown"] = "error",
    scheduler: str | None = None,
    workers: int | None = None,
    baseline: pd.DataFrame | None = None,
    png: bool = False,
) -> tuple[dict[str, Path], dict]:
    """Evaluate the facilities against the units' access lists and write the files.

    ``baseline`` is an earlier ``conflicts.csv`` as text
    (:func:`zoning.io.results.read_conflicts_table`).  Returns the paths written (by
    kind, see :data:`zoning.export.conflicts.FILES`) and the summary.
    """
    from zoning.io.facilities import read_facilities
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units

    units = _frame(units, read_units, "units")
    facilities = _frame(facilities, lambda p: read_facilities(p, region=units), "facilities")
    rules = _frame(rules, read_rules, "rules")
    if scheduler or workers:
        from zoning.scale import cluster, conflicts_distributed

        with cluster(scheduler, workers) as client:
            result = conflicts_distributed(
                units, facilities, rules, grids, layers=layers, lang=lang, missing=missing,
                client=client,
            )  # fmt: skip
    else:
        result = conflicts(
            units, facilities, rules, grids, layers=layers, lang=lang, missing=missing
        )
    if len(result) != len(facilities):  # conservation: every input row exactly once
        raise RuntimeError(f"{len(facilities)} facilities in but {len(result)} rows out")
    summary = summarize(result, rules)
    summary["sources"] = dict(sources or {})
    summary["crs_note"] = CRS_NOTE
    changes = None
    if baseline is not None:
        from zoning.rescreen import CONFLICT_CHANGES, compare_conflicts

        changes = compare_conflicts(baseline, _as_table(result))
        counts = changes["change"].value_counts().to_dict()
        log.info(
            "against the baseline: %s",
            ", ".join(f"{k} {counts[k]}" for k in CONFLICT_CHANGES if counts.get(k)),
        )
    paths = write_conflicts(
        result,
        out,
        units=units,
        rules=rules,
        summary=summary,
        layers=layers,
        lang=lang,
        baseline_changes=changes,
    )
    if png:
        from zoning.export.mapfigures import conflicts_png

        target = Path(out) / "conflicts.png"
        conflicts_png(result, units, layers, target, lang=lang)
        paths = {**paths, "png": target}
    return paths, summary


def _as_table(result: pd.DataFrame) -> pd.DataFrame:
    """The columns a baseline is compared on, as text, as ``conflicts.csv`` reads back."""
    cols = [c for c in ("facility_id", "status", "unit_code", "rule_ids") if c in result]
    table = pd.DataFrame(result[cols])
    return table.astype(object).where(table.notna(), "").astype(str)


def demo_conflicts(out_dir: str | PathLike, lang: Literal["zh", "en"] = "zh"):
    """The conflicts run on the bundled demo region into ``out_dir/"conflicts"``.

    A grid of the demo rules that is missing leaves its rules undecided (a warning), as
    ``missing="unknown"``.  Returns what :func:`run_conflicts` returns.
    """
    from zoning.datasets import demo_path
    from zoning.errors import DataSourceError
    from zoning.io.facilities import read_facilities
    from zoning.io.raster import read_grid
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units, read_vector

    rules = read_rules(demo_path("rules.yaml"))
    units = read_units(demo_path("units.gpkg"))
    layers = {
        name: read_vector(demo_path(rules.layers[name].path), coords=rules.layers[name].coords)
        for name in sorted(rules.layers)
        if rules.layers[name].path
    }
    grids, missing = {}, "error"
    for name in rules.needed_grids():
        try:
            path = demo_path(rules.grids[name].path)
        except DataSourceError:
            log.warning("demo grid '%s' is missing; rules on it stay undecided", name)
            missing = "unknown"
            continue
        grids[name] = read_grid(path, units=rules.grids[name].units)
    return run_conflicts(
        units,
        read_facilities(demo_path("facilities.gpkg")),
        rules,
        out=Path(out_dir) / "conflicts",
        layers=layers,
        grids=grids,
        lang=lang,
        missing=missing,
        sources={
            "units": "data/units.gpkg",
            "facilities": "data/facilities.gpkg",
            "rules": "data/rules.yaml",
        },
    )
