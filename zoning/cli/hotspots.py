"""``zoning hotspots``: units where pollutant and carbon hot spots coincide.

Writes ``hotspots.geojson`` (every unit with intensities per km2, Gi* z, p and FDR q
values, and its co-control class), ``hotspots.html`` (offline map with a bivariate
legend; the two grids as semi-transparent layers with colour bars) and ``summary.json``
into ``--out``; prints the class counts on stderr.
"""

from __future__ import annotations

import logging

import click

from zoning.cli.options import (
    lang_option,
    load_units,
    out_option,
    png_option,
    repair_units_option,
    unit_source_options,
)
from zoning.cli.options import units_option as _units_option
from zoning.errors import InputError
from zoning.products.hotspots import demo_hotspots as demo_step
from zoning.products.hotspots import run_hotspots

#: The run and the demo step live in the library (zoning.products.hotspots); their old
#: names here still work.
run = run_hotspots
__all__ = ["command", "demo_step", "run"]

log = logging.getLogger(__name__)


def _named(value: str | None, default_name: str, hint: str) -> tuple[str, str] | None:
    """``[NAME=]PATH`` as in ``zoning stats --grid``; a bare PATH is named after its file."""
    from zoning.cli.stats import split_grid

    return None if value is None else split_grid(value, default_name)


@click.command("hotspots")
@_units_option()
@unit_source_options
@repair_units_option
@click.option(
    "--pollutant-grid",
    "pollutant",
    default=None,
    metavar="[NAME=]PATH",
    help="Pollutant emission grid (t/cell/yr or a flux); default: the demo NOx.",
)
@click.option(
    "--carbon-grid",
    "carbon",
    default=None,
    metavar="[NAME=]PATH",
    help="CO2 emission grid (t/cell/yr or a flux); default: the demo CO2.",
)
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="False discovery rate (Benjamini-Hochberg) for the Gi* hot spots.",
)
@click.option(
    "--weights",
    type=click.Choice(["queen", "knn"]),
    default="queen",
    show_default=True,
    help="Neighbours: shared border/corner, or 8 nearest.",
)
@click.option(
    "--inference",
    type=click.Choice(["normal", "permutation"]),
    default="normal",
    show_default=True,
    help="Gi* p-values: normal approximation or permutations.",
)
@click.option(
    "--quantity",
    "quantities",
    multiple=True,
    metavar="NAME=KIND",
    help="What a grid's cells hold: amount (per cell) or flux (per m2 and time); default: "
    "from the grid's metadata, else unknown.",
)
@click.option(
    "--grid-units",
    "grid_units",
    multiple=True,
    metavar="NAME=UNITS",
    help="Declared units of a grid, e.g. nox=t/cell/yr or co2='kg m-2 s-1' (repeatable); "
    "undeclared grids are reported in unknown units, never t/yr.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.5,
    show_default=True,
    help="Share of a unit's area under valid cells for it to enter the Gi* test; units "
    "with less are classed no_data.",
)
@lang_option
@png_option
@out_option(help_text="Output folder.")
def command(
    png,
    units,
    layer,
    fields,
    encoding,
    assume_crs,
    pollutant,
    carbon,
    alpha,
    weights,
    inference,
    quantities,
    grid_units,
    min_coverage,
    lang,
    out,
):
    """Pollution-and-carbon co-hot-spots per unit (Getis-Ord Gi*, FDR-corrected)."""
    from zoning.datasets import demo_path

    if (pollutant is None or carbon is None) and units:
        raise InputError(
            "both --pollutant-grid and --carbon-grid are needed with --units",
            field="--pollutant-grid" if pollutant is None else "--carbon-grid",
            fix="e.g. --pollutant-grid nox=nox.tif --carbon-grid co2=co2.tif",
        )
    p = _named(pollutant, "pollutant", "--pollutant-grid") or (
        "nox",
        str(demo_path("grids/nox.tif")),
    )
    c = _named(carbon, "carbon", "--carbon-grid") or ("co2", str(demo_path("grids/co2.tif")))
    from zoning.cli.stats import _pairs

    q, gu = _pairs(quantities, "--quantity"), _pairs(grid_units, "--grid-units")
    for hint, given in (("--quantity", q), ("--grid-units", gu)):
        unknown = sorted(set(given) - {p[0], c[0]})
        if unknown:
            raise InputError(
                f"{hint} names grid(s) {unknown} that are neither the pollutant nor the "
                "carbon grid",
                field=hint,
                fix=f"use {p[0]} or {c[0]} (the NAME of [NAME=]PATH)",
            )
    # hot spots over any zones (townships, parks ...) need an id only: no unit_class
    frame = load_units(
        units,
        layer=layer,
        fields=fields,
        encoding=encoding,
        assume_crs=assume_crs,
        required_fields=("code",),
    )
    paths = run_hotspots(
        frame,
        p,
        c,
        out,
        alpha=alpha,
        weights=weights,
        inference=inference,
        lang=lang,
        quantities=q,
        grid_units=gu,
        min_coverage=min_coverage,
        png=png,
    )
    import json

    with open(paths["summary"], encoding="utf-8") as fh:
        summary = json.load(fh)
    classes = summary.get("classes", {})
    tested = summary.get("units_tested", {})
    click.echo(
        f"zoning hotspots: {len(frame)} units; "
        + ", ".join(f"{k} {v}" for k, v in classes.items())
        + "; units in Gi*: "
        + ", ".join(f"{role} {n}" for role, n in tested.items())
        + f" -> {out}",
        err=True,
    )
