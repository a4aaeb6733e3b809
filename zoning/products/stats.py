"""The whole statistics run: open the grids → exact statistics per unit → write the table.

``zoning stats`` and ``zoning demo`` both call :func:`run_stats`; the grid files are
opened here (through :mod:`zoning.io.raster`), the statistics computed by
:func:`zoning.stats.zonal_stats` (or on a Dask cluster), written by
:func:`zoning.export.stats.write_stats`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from zoning.errors import InputError
from zoning.export.stats import write_stats
from zoning.grid import Grid
from zoning.io.raster import open_grid
from zoning.stats import zonal_stats

log = logging.getLogger(__name__)

#: The demo grids (data/grids/<name>.tif).
DEMO_GRIDS = ("nox", "so2", "pm25", "vocs", "co2", "pm25_conc")


def demo_grids() -> dict[str, str]:
    """Name → path of every demo grid present (a missing one is skipped, with a warning)."""
    from zoning.datasets import demo_path

    grids = {}
    for name in DEMO_GRIDS:
        try:
            grids[name] = str(demo_path(f"grids/{name}.tif"))
        except InputError:
            log.warning("demo grid %s is missing; skipped", name)
    return grids


def open_grids(
    grids: Mapping[str, object],
    quantities: Mapping[str, str] | None = None,
    grid_units: Mapping[str, str] | None = None,
) -> tuple[dict[str, object], list[Grid]]:
    """The grids with every path opened (as declared in ``quantities``/``grid_units``),
    and the ones opened here (to close)."""
    q, gu = quantities or {}, grid_units or {}
    out, opened = {}, []
    try:
        for name, value in grids.items():
            if isinstance(value, (str, Path)):
                value = open_grid(value, name=str(name), quantity=q.get(name), units=gu.get(name))
                opened.append(value)
            out[name] = value
    except BaseException:
        for g in opened:
            g.close()
        raise
    return out, opened


def run_stats(
    units,
    grids: Mapping[str, object],
    out,
    *,
    stats=None,
    quantities=None,
    grid_units=None,
    strategy="raster-sequential",
    scheduler: str | None = None,
    workers: int | None = None,
    lang: str = "en",
    map_path=None,
) -> Path:
    """Compute the statistics (on a Dask cluster with ``scheduler``/``workers``) and write
    them to ``out`` (format by extension).  ``grids``: name → path, Grid or
    ``(array, Affine, crs)``.  The metadata give every column's units and, in ``lang``, how
    they read (``µg/m³``, ``t/年``, ``单位未知``).  ``map_path``: also write a choropleth
    there (:func:`zoning.export.stats_map.write_stats_map`)."""
    for param, given in (("quantities", quantities), ("grid_units", grid_units)):
        unknown = sorted(set(given or {}) - {str(n) for n in grids})
        if unknown:
            raise InputError(
                f"`{param}` names grid(s) {unknown} not given with `grids`",
                param=param,
                fix=f"use one of {sorted(str(n) for n in grids)}",
            )
    options = dict(
        stats=stats or None, quantities=quantities, grid_units=grid_units, strategy=strategy
    )
    if scheduler or workers:
        from zoning.scale import cluster, zonal_stats_distributed

        with cluster(scheduler, workers) as client:
            res = zonal_stats_distributed(units, grids, client=client, **options)
    else:
        opened_grids, opened = open_grids(grids, quantities, grid_units)
        try:
            res = zonal_stats(units, opened_grids, **options)
        finally:
            for g in opened:
                g.close()
    path = write_stats(res, out, lang=lang)
    if map_path is not None:
        from zoning.export.stats_map import write_stats_map

        write_stats_map(res, map_path, lang=lang)
    return path


def demo_stats(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Statistics of every demo grid per demo unit → ``out_dir/"stats"/unit_stats.*``."""
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units

    units = read_units(demo_path("units.gpkg"))
    grids = demo_grids()
    base = Path(out_dir) / "stats"
    csv = run_stats(units, grids, base / "unit_stats.csv", lang=lang)
    geojson = run_stats(
        units, grids, base / "unit_stats.geojson", lang=lang, map_path=base / "unit_stats.html"
    )
    return {
        "unit_stats_csv": csv,
        "unit_stats_geojson": geojson,
        "unit_stats_map": base / "unit_stats.html",
    }


__all__ = ["DEMO_GRIDS", "demo_grids", "demo_stats", "open_grids", "run_stats"]
