"""Exact per-unit statistics of grids, cells weighted by the fraction inside each unit.

:func:`zonal_stats` takes a unit layer and any number of grids (files, :class:`Grid`
objects, or ``(array, Affine, crs)`` tuples) and returns the units with one column per
grid and statistic, ``<grid>_<stat>``.  Every cell counts by the fraction of its area
inside the unit (its *coverage fraction*), so amounts are conserved: when the units tile
a region, their sums add up to the grid's total over it.

The exact coverage comes from exactextract (C++), fed block by block by our own raster
source (nodata, masks, scale/offset and unit conversion applied on the fly), so memory
is bounded by ``max_cells_in_memory`` whatever the grid's size.  Units in another CRS
than a grid are reprojected to the grid's CRS; the grid is never resampled.

Statistics (coverage-weighted):

``sum``           Σ value·fraction (t/yr for amount and flux grids; refused for
                  concentrations and intensive grids, which are averaged, never summed;
                  for a grid of unknown units only when asked for)
``mean``          sum / count: the mean cell value
``area_mean``     mean weighted by fraction × true cell area (differs from ``mean`` only
                  on longitude/latitude grids, where cells shrink towards the poles)
``min``, ``max``  of the cells touching the unit
``count``         Σ fraction over valid cells (cells, not km2)
``nodata_share``  share of the unit's covered cells (inside the grid) that are missing
``coverage``      share (0..1) of the unit's area under valid cells, measured in the
                  grid's coordinates; always given, beside every other statistic

No data is not zero: a unit outside a grid, or over nodata only, keeps its row with
``count`` 0, ``coverage`` 0 and every other statistic empty (NaN), its ``sum`` too.  A
unit partly covered keeps the exact sum over the part with data, and its ``coverage``
says how much of it that is.  A grid whose units are not declared is never taken as
t/cell/yr: its columns' units are ``unknown`` (logged once per grid), its default
statistics leave out ``sum`` (given when asked for).
"""

from __future__ import annotations

import copy
import logging
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from zoning.errors import CRSError, InputError
from zoning.exact import DEFAULT_WORKERS, _extract_group, clear_cache
from zoning.grid import Grid
from zoning.io.raster import grid_from_array
from zoning.progress import step

log = logging.getLogger(__name__)

Stat = Literal["sum", "mean", "area_mean", "min", "max", "count", "nodata_share", "coverage"]
STATS: tuple[str, ...] = (
    "sum",
    "mean",
    "area_mean",
    "min",
    "max",
    "count",
    "nodata_share",
    "coverage",
)
Strategy = Literal["raster-sequential", "feature-sequential"]

#: Statistics computed when none are asked for, by quantity.
DEFAULT_STATS: dict[str, tuple[str, ...]] = {
    "amount": ("sum", "mean", "min", "max", "count", "nodata_share"),
    "flux": ("sum", "mean", "min", "max", "count", "nodata_share"),
    "concentration": ("mean", "area_mean", "min", "max", "count", "nodata_share"),
    "intensive": ("mean", "area_mean", "min", "max", "count", "nodata_share"),
    "unknown": ("mean", "min", "max", "count", "nodata_share"),
}

GridLike = Grid | tuple


# --- checks -------------------------------------------------------------------------------


def _as_grid(name: str, value, quantities, grid_units) -> Grid:
    """A Grid from a Grid or an (array, Affine, crs[, nodata]) tuple (files are opened by
    the caller, with :func:`zoning.io.raster.open_grid`)."""
    q = (quantities or {}).get(name)
    u = (grid_units or {}).get(name)
    if isinstance(value, Grid):
        return value
    if isinstance(value, (str, PathLike)):
        raise InputError(
            f"grid '{name}' is a path ({value}); the statistics take open grids",
            param="grids",
            fix="open it first: zoning.io.raster.open_grid(path, name=..., quantity=..., "
            "units=...)",
        )
    if isinstance(value, tuple) and len(value) in (3, 4):
        array, transform, crs = value[:3]
        nodata = value[3] if len(value) == 4 else None
        if not isinstance(transform, Affine):
            raise InputError(
                f"the transform of grid '{name}' is a {type(transform).__name__}, not an Affine",
                field=name,
                param="grids",
                fix="pass (array, Affine, crs), e.g. from rasterio's ds.transform",
            )
        return grid_from_array(array, transform, crs, name=name, nodata=nodata, quantity=q, units=u)
    raise InputError(
        f"grid '{name}' is a {type(value).__name__}; expected a Grid or "
        "an (array, Affine, crs) tuple",
        field=name,
        param="grids",
    )


def _check_stats(stats, grid: Grid) -> tuple[str, ...]:
    if stats is None:
        return DEFAULT_STATS[grid.quantity]
    stats = (stats,) if isinstance(stats, str) else tuple(stats)
    bad = [s for s in stats if s not in STATS]
    if bad:
        raise InputError(
            f"statistic(s) {bad} are not known; expected some of {STATS}",
            param="stats",
            fix="ask for some of them in `stats`, e.g. sum and mean",
        )
    if grid.quantity in ("concentration", "intensive") and "sum" in stats:
        what = "a concentration" if grid.quantity == "concentration" else "an intensive quantity"
        raise InputError(
            f"grid '{grid.name}' holds {what} ({grid.units_label()}); it is averaged, never summed",
            param="stats",
            fix="ask for mean or area_mean, or declare the grid an amount or a flux if it is one",
        )
    return tuple(dict.fromkeys(s for s in stats if s != "coverage"))


def _check_units(units) -> None:
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(
            f"units must be a GeoDataFrame, not {type(units).__name__}",
            fix="read them with zoning.io.vector.read_units",
        )
    if units.crs is None:
        raise CRSError("the unit layer has no CRS", fix="set one, e.g. units.set_crs(4490)")


# --- the computation ----------------------------------------------------------------------


def crs_label(crs) -> str:
    """A short name of a CRS for messages: ``EPSG:4326``, else its name (never the WKT)."""
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    auth = crs.to_authority(min_confidence=100)
    if auth:
        return f"{auth[0]}:{auth[1]}"
    name = crs.name or ""
    if name.lower() in ("", "unnamed", "unknown", "undefined"):
        op = crs.coordinate_operation
        kind = op.method_name if op is not None else ("geographic" if crs.is_geographic else "")
        name = f"custom {kind}".strip() if kind else "custom CRS"
    return name


def _geometry_key(grid: Grid) -> tuple:
    """Grids with the same key share one cell grid (one exactextract call)."""
    return (tuple(grid.transform)[:6], grid.width, grid.height)


@dataclass(frozen=True)
class Plan:
    """What :func:`stats_of_units` computes: the checked grids and each one's statistics
    (made once by :func:`plan_stats`, then applied to any chunk of units)."""

    grids: tuple[Grid, ...]
    stats_by_grid: dict[str, tuple[str, ...]]
    strategy: str = "raster-sequential"
    max_cells_in_memory: int = 30_000_000
    workers: int | None = None


def plan_stats(
    units: gpd.GeoDataFrame,
    /,
    grids: Mapping[str, GridLike],
    *,
    stats: Sequence[Stat] | Stat | None = None,
    quantities: Mapping[str, str] | None = None,
    grid_units: Mapping[str, str] | None = None,
    strategy: Strategy = "raster-sequential",
    max_cells_in_memory: int = 30_000_000,
    workers: int | None = None,
) -> Plan:
    """Check the inputs of :func:`zonal_stats` once (same parameters) and say what to compute."""
    _check_units(units)
    if not grids:
        raise InputError("no grid given", param="grids", fix="pass at least one grid in `grids`")
    if strategy not in ("raster-sequential", "feature-sequential"):
        raise InputError(
            f"strategy was '{strategy}' but is expected to be in "
            "('raster-sequential', 'feature-sequential')",
            field="strategy",
            param="strategy",
        )
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1
    ):
        raise InputError(
            f"workers was {workers!r} but is expected to be a whole number of 1 or more",
            param="workers",
            fix="give 1 to compute in this process only, or leave it out (None: up to "
            f"{DEFAULT_WORKERS} processes for large runs)",
        )
    resolved: list[Grid] = []
    for name, value in grids.items():
        g = _as_grid(str(name), value, quantities, grid_units)
        if g.name != str(name):
            g = _renamed(g, str(name))
        resolved.append(g)
    stats_by_grid = {g.name: _check_stats(stats, g) for g in resolved}
    for g in resolved:
        if not g.declared:
            log.warning(
                "grid '%s' declares no units: its statistics are in unknown units "
                "(not t/cell/yr)%s; declare them (`grid_units`)",
                g.name,
                "" if "sum" in stats_by_grid[g.name] else ", sums only when asked for",
            )
    return Plan(tuple(resolved), stats_by_grid, strategy, max_cells_in_memory, workers)


def stats_of_units(units: gpd.GeoDataFrame, /, plan: Plan) -> gpd.GeoDataFrame:
    """The statistics of ``plan`` for ``units`` (a chunk of them, or all): the units plus
    ``<grid>_<stat>`` columns and the ``attrs`` of :func:`zonal_stats`, the "no data
    under any unit" check left to :func:`combine_stats`.  The function
    :func:`gen_zonal_stats` applies to each chunk (and the Dask scale-out maps)."""
    return _assemble(
        units,
        list(plan.grids),
        plan.stats_by_grid,
        plan.strategy,
        plan.max_cells_in_memory,
        plan.workers,
    )


def gen_zonal_stats(
    units: gpd.GeoDataFrame,
    /,
    grids: Mapping[str, GridLike],
    *,
    stats: Sequence[Stat] | Stat | None = None,
    quantities: Mapping[str, str] | None = None,
    grid_units: Mapping[str, str] | None = None,
    strategy: Strategy = "raster-sequential",
    max_cells_in_memory: int = 30_000_000,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> Iterator[gpd.GeoDataFrame]:
    """The statistics of :func:`zonal_stats`, chunk by chunk of units in input order.

    Same parameters, plus ``chunk_size`` (units per chunk; default: all in one).  Each
    chunk is a GeoDataFrame (the chunk's units with their ``<grid>_<stat>`` columns and
    ``attrs``); a grid with no valid cell under a chunk is not refused here (see
    :func:`combine_stats`).  Memory stays bounded by a chunk's rows.
    """
    plan = plan_stats(
        units,
        grids,
        stats=stats,
        quantities=quantities,
        grid_units=grid_units,
        strategy=strategy,
        max_cells_in_memory=max_cells_in_memory,
        workers=workers,
    )
    for part in chunk_slices(len(units), chunk_size or max(1, len(units))):
        yield stats_of_units(units.iloc[part], plan)


def chunk_slices(n: int, chunk_size: int) -> list[slice]:
    """``n`` rows cut into about equal slices of at most ``chunk_size``, in order."""
    if chunk_size < 1:
        raise InputError(f"chunk size was {chunk_size}", param="chunk_size", fix="give 1 or more")
    k = max(1, math.ceil(n / chunk_size))
    step_ = math.ceil(n / k) if n else 0
    return [slice(i * step_, min(n, (i + 1) * step_)) for i in range(k)] if n else [slice(0, 0)]


def combine_stats(
    units: gpd.GeoDataFrame, /, parts: Iterable[gpd.GeoDataFrame], *, require_data: bool = True
) -> gpd.GeoDataFrame:
    """The whole table from the chunks of :func:`gen_zonal_stats` (or of the scale-out):
    rows in order, ``units``' index, the valid cells under units summed over chunks, and a
    grid with no valid cell under any unit refused (``require_data``)."""
    parts = list(parts)
    if len(parts) == 1:
        out = parts[0]
    else:
        geom = units.geometry.name
        out = gpd.GeoDataFrame(pd.concat(parts), geometry=geom, crs=units.crs)
        out.attrs = copy.deepcopy(parts[0].attrs)
        for name, info in out.attrs.get("grids", {}).items():
            counts = [p.attrs["grids"][name]["valid_cells_under_units"] for p in parts]
            known = [c for c in counts if c is not None]
            info["valid_cells_under_units"] = float(sum(known)) if known else None
    out.index = units.index
    if require_data:
        for name, info in out.attrs.get("grids", {}).items():
            _require_data(name, info.get("source"), info["valid_cells_under_units"])
    return out


def zonal_stats(
    units: gpd.GeoDataFrame,
    /,
    grids: Mapping[str, GridLike],
    *,
    stats: Sequence[Stat] | Stat | None = None,
    quantities: Mapping[str, str] | None = None,
    grid_units: Mapping[str, str] | None = None,
    strategy: Strategy = "raster-sequential",
    max_cells_in_memory: int = 30_000_000,
    require_data: bool = True,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> gpd.GeoDataFrame:
    """Exact, coverage-weighted statistics of grids per unit.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons (any CRS); every row is kept, in order, with its columns.
    grids : mapping name → grid
        A :class:`zoning.grid.Grid` (files: open them with
        :func:`zoning.io.raster.open_grid`), or a tuple ``(array, Affine, crs)`` /
        ``(array, Affine, crs, nodata)``.  Names go into the column names,
        ``<name>_<stat>``.
    stats : str or list of str, optional (default: by quantity, see :data:`DEFAULT_STATS`)
        Some of ``sum, mean, area_mean, min, max, count, nodata_share``.
    quantities : mapping name → {"amount", "flux", "concentration", "intensive"}, optional
        What each grid's cells hold, for arrays (default: from the grid's units
        metadata, else unknown: values as stored, units unknown, never assumed).
    grid_units : mapping name → str, optional
        Declared units of each array grid, e.g. ``{"co2": "kg m-2 s-1"}``.
    strategy : {"raster-sequential", "feature-sequential"}, optional
        (default: "raster-sequential") exactextract's processing order; raster-sequential
        reads each block once.
    max_cells_in_memory : int, optional (default: 30,000,000)
        Cells held in memory at once, per grid.
    require_data : bool, optional (default: True)
        A grid with no valid cell under any unit is an error (False: its statistics are
        left empty; for chunked runs that check the whole table, see
        ``attrs["grids"][name]["valid_cells_under_units"]``).
    chunk_size : int, optional (default: None, all units at once)
        Units per exactextract run (see :func:`gen_zonal_stats`); the table is the same.
    workers : int, optional (default: None, up to 2 processes for a large run)
        Processes computing a run of grid files (exactextract holds the GIL): ``None``
        cuts a run of about 2 s or more of work into parts for up to
        :data:`zoning.exact.DEFAULT_WORKERS` processes (as the CPUs allow), each reading
        only the part of the grids under its units; ``1`` computes in this process
        only; ``n`` always uses ``n``.  Arrays are computed in this process.  The values
        are the same either way (see :mod:`zoning.exact`).

    Results of grid files are kept in memory for a later call on the same files and
    units (e.g. :func:`zoning.hotspots.co_hotspots`), keyed on the file's identity and
    the exact geometries; :func:`clear_cache` forgets them (see :mod:`zoning.exact`).

    Returns
    -------
    GeoDataFrame
        The units (same index, CRS and columns) plus ``<grid>_<stat>`` columns.
        ``attrs["units"]`` maps each new column to its units; ``attrs["grids"]``
        describes each grid (quantity, declared units, CRS).

    Raises
    ------
    InputError
        Unknown statistics, a sum of a concentration, unusable grids or units.
    """
    parts = gen_zonal_stats(
        units,
        grids,
        stats=stats,
        quantities=quantities,
        grid_units=grid_units,
        strategy=strategy,
        max_cells_in_memory=max_cells_in_memory,
        chunk_size=chunk_size,
        workers=workers,
    )
    return combine_stats(units, parts, require_data=require_data)


def _renamed(grid: Grid, name: str) -> Grid:
    return grid.renamed(name)


def _assemble(units, grids, stats_by_grid, strategy, max_cells, workers=None):
    geoms_all = units.geometry.values
    usable = ~(shapely.is_missing(geoms_all) | shapely.is_empty(geoms_all))
    poly = np.isin(shapely.get_type_id(geoms_all), [3, 6, 7])
    if (usable & ~poly).any():
        log.warning(
            "%d unit(s) are not polygons; their statistics are left empty",
            int((usable & ~poly).sum()),
        )
    usable &= poly
    invalid = usable & ~shapely.is_valid(geoms_all)
    if invalid.any():
        log.warning(
            "%d unit geometries are invalid; repaired with make_valid for the statistics",
            int(invalid.sum()),
        )
    out = units.copy()
    col_units: dict[str, str] = {}
    valid: dict[str, float | None] = {g.name: None for g in grids}  # None: no unit to check
    # the units are reprojected once per CRS, grids are never resampled; one exactextract
    # call per cell grid (transform and shape): exactextract refuses grids of one call that
    # are not aligned ("Incompatible extents"), and counts a coarser grid's cells in the
    # finer grid's cells when they are (a sum 4 times too large for a grid twice as coarse)
    by_crs: dict[str, dict[tuple, list[Grid]]] = {}
    for g in grids:
        by_crs.setdefault(g.crs.to_wkt(), {}).setdefault(_geometry_key(g), []).append(g)
    rows = np.flatnonzero(usable)
    for by_geometry in by_crs.values():
        crs = next(iter(by_geometry.values()))[0].crs
        geo = units.geometry if units.crs.equals(crs) else units.geometry.to_crs(crs)
        geoms = geo.values[rows]
        if invalid.any():
            bad = ~shapely.is_valid(geoms)
            geoms = geoms.copy()
            geoms[bad] = shapely.make_valid(geoms[bad])
        geoms = np.asarray(geoms)
        areas = shapely.area(geoms)  # in the grids' coordinates, for the coverage
        for group in by_geometry.values():
            log.info(
                "exact statistics of %s over %d units (%s)",
                ", ".join(g.name for g in group),
                len(rows),
                crs_label(crs),
            )
            with step(
                f"exact statistics of {', '.join(g.name for g in group)}", total=len(rows)
            ) as s:
                df, recipes = _extract_group(
                    geoms, rows, crs, group, stats_by_grid, strategy, max_cells, workers
                )
                s.advance(len(rows))
            _collect(out, col_units, valid, rows, df, recipes, group, areas)
    out.attrs["units"] = col_units
    out.attrs["grids"] = {
        g.name: {
            "quantity": g.quantity,
            "declared_units": g.units_label() if g.declared else None,
            "units_declared": g.declared,
            "output_units": g.output_units,
            "crs": g.crs.to_string(),
            "source": g.source,
            "valid_cells_under_units": valid[g.name],
        }
        for g in grids
    }
    return out


def _collect(out, col_units, valid_cells, rows, df, recipes, group, areas) -> None:
    """Our statistics of each grid of a group, from exactextract's columns, into ``out``;
    the valid cells (coverage-weighted) under all units into ``valid_cells``.  ``areas``:
    the units' (``rows``) areas in the grids' coordinates."""
    n = len(out)
    order = np.searchsorted(rows, df.index.to_numpy())
    for g in group:
        cells = df[recipes[g.name]["_valid"][1]].to_numpy(dtype="float64")
        valid_cells[g.name] = float(np.nansum(cells)) if len(cells) else None
        has = np.zeros(n, dtype=bool)  # units with at least some valid cell
        has[df.index.to_numpy()] = np.nan_to_num(cells) > 0
        for stat, recipe in recipes[g.name].items():
            if stat.startswith("_"):
                continue
            values = np.full(n, np.nan)
            if recipe[0] == "col":
                col = df[recipe[1]].to_numpy(dtype="float64")
            elif recipe[0] == "ratio":  # a mean: sum / count, NaN without valid cells
                num = df[recipe[1]].to_numpy(dtype="float64")
                den = df[recipe[2]].to_numpy(dtype="float64")
                with np.errstate(invalid="ignore", divide="ignore"):
                    col = num / den
            else:
                valid = df[recipe[1]].to_numpy(dtype="float64")
                total = df[recipe[2]].to_numpy(dtype="float64")
                with np.errstate(invalid="ignore", divide="ignore"):
                    col = np.where(total > 0, 1.0 - valid / total, np.nan)
            values[df.index.to_numpy()] = col
            if stat == "count":  # a count of valid cells: 0 is true, not "no value"
                values[rows] = np.nan_to_num(values[rows], nan=0.0)
            elif stat != "nodata_share":  # no data is not zero: no value at all
                values[~has] = np.nan
            name = f"{g.name}_{stat}"
            out[name] = values
            col_units[name] = _stat_units(stat, g)
        # the share of each unit's area under valid cells (exact fractions x cell area)
        cover = np.full(n, np.nan)
        cover[rows] = 0.0
        cell_area = abs(g.transform.a * g.transform.e)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.nan_to_num(cells) * cell_area / areas[order]
        # exactextract's fractions are float32: a whole unit is 1 within their precision
        share = np.where(share > 1 - 1e-5, 1.0, np.round(share, 6))
        cover[df.index.to_numpy()] = np.clip(share, 0.0, 1.0)
        out[f"{g.name}_coverage"] = cover
        col_units[f"{g.name}_coverage"] = "1"


def _require_data(name: str, source: str | None, valid_cells: float | None) -> None:
    """A grid with no valid cell under any unit is bad input, not a table of zeros
    (``valid_cells``: coverage-weighted count under all units; None when no unit could
    be measured)."""
    if valid_cells is not None and not valid_cells > 0:
        raise InputError(
            f"grid '{name}' has no valid cell under any unit: it holds only nodata "
            "there, or does not overlap the units",
            source=source or name,
            fix="check the grid's nodata value, its extent and its CRS against the units",
        )


def _stat_units(stat: str, grid: Grid) -> str:
    if stat == "count":
        return "cells"
    if stat in ("nodata_share", "coverage"):
        return "1"
    if stat == "sum" or not grid.declared or not grid.summed:
        return grid.output_units
    return grid.output_units + " per cell"


__all__ = [
    "DEFAULT_STATS",
    "STATS",
    "Plan",
    "chunk_slices",
    "clear_cache",
    "combine_stats",
    "crs_label",
    "gen_zonal_stats",
    "plan_stats",
    "stats_of_units",
    "zonal_stats",
]
