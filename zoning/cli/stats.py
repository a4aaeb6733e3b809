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

from zoning.cli.options import (
    lang_option,
    load_units,
    out_option,
    parse_pairs,
    repair_units_option,
    scale_options,
    unit_source_options,
    units_option,
)
from zoning.errors import InputError
from zoning.export.stats import units_note
from zoning.products.stats import DEMO_GRIDS, demo_grids, run_stats
from zoning.products.stats import demo_stats as demo_step

#: The run and the demo step live in the library (zoning.products.stats); their old names
#: here still work.
run = run_stats
__all__ = ["DEMO_GRIDS", "command", "demo_step", "grid_name", "run", "split_grid"]

log = logging.getLogger(__name__)


def _pairs(values, hint: str) -> dict[str, str]:
    return parse_pairs(values, hint, what="NAME=VALUE")


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
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a choropleth of the statistics (HTML, one layer per statistic).",
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
    map_path,
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
        grids = demo_grids()
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
    path = run_stats(
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
        map_path=map_path,
    )
    where = units_note(path)
    click.echo(
        f"zoning stats: {len(frame)} units x {len(grids)} grid(s) -> {path}"
        + (f"; {where}" if where else "")
        + (f"; map: {map_path}" if map_path else ""),
        err=True,
    )
