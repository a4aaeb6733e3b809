"""``zoning stats``: exact, coverage-weighted statistics of grids per control unit.

One row per unit (every unit, unit codes kept) with ``<grid>_<stat>`` columns, written as
CSV, GeoJSON, GeoPackage or GeoParquet by the extension of ``--out``.  CSV holds no
geometry; GeoJSON carries the units of each column in its ``metadata`` member, the other
formats in a ``<name>.meta.json`` beside the output (named on stderr).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click
import numpy as np

from zoning.cli.options import (
    lang_option,
    load_units,
    out_option,
    repair_units_option,
    scale_options,
    unit_source_options,
    units_option,
)
from zoning.errors import InputError

log = logging.getLogger(__name__)

#: The demo grids (data/grids/<name>.tif).
DEMO_GRIDS = ("nox", "so2", "pm25", "vocs", "co2", "pm25_conc")


def _pairs(values, hint: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise click.BadParameter(f"'{value}' is not NAME=VALUE", param_hint=hint)
        out[name.strip()] = text.strip()
    return out


def grid_name(path) -> str:
    """A grid's name from its file: the stem lowercased, other characters than letters
    and digits turned into ``_`` (``ppp_2020_1km_Aggregated.tif`` → ``ppp_2020_1km_aggregated``).
    """
    return re.sub(r"[\W_]+", "_", Path(str(path)).stem.lower()).strip("_")


def split_grid(value: str, default: str = "grid") -> tuple[str, str]:
    """``NAME=PATH`` or a bare ``PATH`` (named by :func:`grid_name`) into (name, path).

    A value that is an existing file is a path even when it holds a ``=``.
    """
    name, sep, path = value.partition("=")
    if sep and name.strip() and path.strip() and not Path(value).exists():
        return name.strip(), path.strip()
    return grid_name(value) or default, value.strip()


def _parse_grids(ctx, param, values) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        if not value.strip() or value.strip().endswith("="):
            raise click.BadParameter(f"'{value}' is not [NAME=]PATH", param_hint="--grid")
        name, path = split_grid(value)
        if name in out:
            raise click.BadParameter(
                f"two grids are named '{name}' ({out[name]} and {path}); name them with NAME=PATH",
                param_hint="--grid",
            )
        out[name] = path
    return out


def _units_where(path) -> str | None:
    """Where the units of the output's columns are written, for the final message."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return f"column units in the 'metadata' member of {path.name}"
    if suffix in (".csv", ".gpkg", ".parquet", ".geoparquet"):
        return f"column units in {_meta_path(path)}"
    return None


def _no_data_counts(res) -> dict[str, dict[str, int]]:
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


def _meta_path(path: Path) -> Path:
    # the name export.geojson.write_vector gives a CSV's sidecar
    return path.with_name(path.stem + ".meta.json")


def _demo_grids() -> dict[str, str]:
    from zoning.datasets import demo_path

    grids = {}
    for name in DEMO_GRIDS:
        try:
            grids[name] = str(demo_path(f"grids/{name}.tif"))
        except InputError:
            log.warning("demo grid %s is missing; skipped", name)
    return grids


def run(
    units,
    grids,
    out: Path,
    *,
    stats=None,
    quantities=None,
    grid_units=None,
    strategy="raster-sequential",
    scheduler: str | None = None,
    workers: int | None = None,
    lang: str = "en",
) -> Path:
    """Compute the statistics (on a Dask cluster with ``scheduler``/``workers``) and write
    them to ``out`` (format by extension).  The metadata give every column's units and,
    in ``lang``, how they read (``µg/m³``, ``t/年``, ``单位未知``)."""
    from zoning.export.geojson import write_json, write_vector
    from zoning.io.raster import units_label
    from zoning.stats import zonal_stats

    options = dict(
        stats=stats or None, quantities=quantities, grid_units=grid_units, strategy=strategy
    )
    if scheduler or workers:
        from zoning.scale import cluster, zonal_stats_distributed

        with cluster(scheduler, workers) as client:
            res = zonal_stats_distributed(units, grids, client=client, **options)
    else:
        res = zonal_stats(units, grids, **options)
    new_cols = list(res.attrs.get("units", {}))
    col_units = res.attrs.get("units", {})
    meta = {
        "column_units": col_units,
        "column_units_label": {c: units_label(u, lang) for c, u in col_units.items()},
        "lang": lang,
        "grids": res.attrs.get("grids", {}),
        "no_data": _no_data_counts(res),
        "coverage": "<grid>_coverage: share (0..1) of a unit's area under valid cells; "
        "a unit without data has no value (empty), never 0",
        "method": "exact coverage-weighted zonal statistics (exactextract); units "
        "reprojected to each grid's CRS",
    }
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
        import pandas as pd

        path = write_vector(pd.DataFrame(res[keep]), out, metadata=meta)
    else:
        path = write_vector(res, out, metadata=meta if suffix in (".geojson", ".json") else None)
        if suffix in (".gpkg", ".parquet", ".geoparquet"):
            # these formats keep no column units: a sidecar like a CSV's does
            write_json(meta, _meta_path(Path(out)))
    log.info("wrote %s: %d units x %d statistics", path, len(res), len(new_cols))
    return path


@click.command("stats")
@units_option()
@unit_source_options
@repair_units_option
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="[NAME=]PATH",
    callback=_parse_grids,
    help="A grid as NAME=PATH or PATH (GeoTIFF, NetCDF; repeatable); a bare PATH is named "
    "after its file (lowercased, other characters than letters and digits as _). "
    "Default with the demo units: every demo grid.",
)
@click.option(
    "--stat",
    "stats",
    multiple=True,
    type=click.Choice(["sum", "mean", "area_mean", "min", "max", "count", "nodata_share"]),
    help="Statistic (repeatable); default by quantity: amounts sum, mean, min, "
    "max, count, nodata_share; concentrations mean, area_mean, ...",
)
@click.option(
    "--quantity",
    "quantities",
    multiple=True,
    metavar="NAME=KIND",
    help="What a grid's cells hold: amount (per cell, summed), flux (per m2 and time, "
    "converted with true cell areas), concentration or intensive (elevation, slope, "
    "shares, densities: averaged, never summed). Default: from the grid's metadata, "
    "else unknown (units unknown, never assumed).",
)
@click.option(
    "--grid-units",
    "grid_units",
    multiple=True,
    metavar="NAME=UNITS",
    help="Declared units of a grid, e.g. co2='kg m-2 s-1', dem=m, pop=people/cell "
    "(repeatable; README lists the known units).",
)
@click.option(
    "--strategy",
    type=click.Choice(["raster-sequential", "feature-sequential"]),
    default="raster-sequential",
    show_default=True,
    help="Read each grid block once (raster) or per unit (feature).",
)
@scale_options
@lang_option
@out_option(help_text="Output table: .csv, .geojson, .gpkg or .parquet.")
def command(
    units,
    layer,
    fields,
    encoding,
    assume_crs,
    grids,
    stats,
    quantities,
    grid_units,
    strategy,
    scheduler,
    workers,
    lang,
    out,
):
    """Exact per-unit statistics of emission and concentration grids.

    Cells count by the fraction of their area inside each unit, so unit sums add up to
    the grid's total; units are reprojected to each grid's CRS.
    """
    if not grids:
        if units:
            raise InputError(
                "no grid given",
                field="--grid",
                fix="add --grid [NAME=]PATH (repeatable), e.g. --grid nox=nox.tif",
            )
        grids = _demo_grids()
    # zonal statistics over any zones (townships, parks ...) need an id only: no unit_class
    frame = load_units(
        units,
        layer=layer,
        fields=fields,
        encoding=encoding,
        assume_crs=assume_crs,
        required_fields=("code",),
    )
    q = _pairs(quantities, "--quantity")
    gu = _pairs(grid_units, "--grid-units")
    for hint, given in (("--quantity", q), ("--grid-units", gu)):
        unknown = sorted(set(given) - set(grids))
        if unknown:
            raise InputError(
                f"{hint} names grid(s) {unknown} not given with --grid",
                field=hint,
                fix=f"use one of {sorted(grids)}",
            )
    path = run(
        frame,
        grids,
        out,
        stats=list(stats) or None,
        quantities=q,
        grid_units=gu,
        strategy=strategy,
        scheduler=scheduler,
        workers=workers,
        lang=lang,
    )
    where = _units_where(path)
    click.echo(
        f"zoning stats: {len(frame)} units x {len(grids)} grid(s) -> {path}"
        + (f"; {where}" if where else ""),
        err=True,
    )


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Statistics of every demo grid per demo unit → ``out_dir/"stats"/unit_stats.*``."""
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units

    units = read_units(demo_path("units.gpkg"))
    grids = _demo_grids()
    base = Path(out_dir) / "stats"
    csv = run(units, grids, base / "unit_stats.csv", lang=lang)
    geojson = run(units, grids, base / "unit_stats.geojson", lang=lang)
    return {"unit_stats_csv": csv, "unit_stats_geojson": geojson}
