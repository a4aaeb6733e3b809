"""``zoning pv``: photovoltaics on polluted plots (land rules, terrain, grid, yield, CO2).

Writes ``pv_plots.geojson`` (every plot: ``pv_status`` candidate / forest_pv / rejected,
``pv_reasons``, MW, MWh/yr, t CO2/yr avoided), ``summary.json`` and ``map.html`` (the
plots over the layers the run used and the ``--units``, each a switchable layer).
The PV options are shared with ``zoning allocate`` (:func:`pv_options`, :func:`assess`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import click

from zoning.cli.options import (
    lang_option,
    out_option,
    param_flags,
    parse_pairs,
    repair_units_option,
    unit_source_options,
)

#: Library parameters (zoning.pv) whose flag is not their name.
PV_FLAGS = {
    "grid": "--grid-layer",
    "max_grid_distance_m": "--max-grid-distance",
    "max_road_distance_m": "--max-road-distance",
    "max_slope_deg": "--max-slope",
    "min_area_ha": "--min-area",
    "density_ha_per_mw": "--density",
    "tilt_deg": "--tilt",
    "series": "--ef-series",
    "year": "--ef-year",
    "region": "--ef-region",
}


def pv_options(f):
    """The PV inputs and limits (shared by ``pv`` and ``allocate``)."""
    opts = [
        click.option("--plots", "-p", required=True, help="Polluted plot polygons."),
        click.option(
            "--land-use-field",
            default="land_use",
            show_default=True,
            help="Field holding each plot's land use.",
        ),
        click.option(
            "--land-use-map",
            multiple=True,
            metavar="VALUE=KEY",
            help="Map a land-use value onto a rule key (cropland, "
            "permanent_basic_farmland, construction, mine, subsidence, unused, "
            "grassland, basic_grassland, shrub_forest, natural_forest, "
            "protected_forest_1, ne_state_forest). Repeatable.",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="NAME=PATH",
            help="Exclusion layer (red_line, nature_reserve, heritage_line, "
            "sand_closure cite the 2023 notice; other names are yours). Repeatable.",
        ),
        click.option("--dem", default=None, help="DEM (metres): mean slope and aspect per plot."),
        click.option(
            "--max-slope",
            type=float,
            default=None,
            help="Reject plots steeper than this (deg; the notice sets no limit).",
        ),
        click.option(
            "--min-area", type=float, default=0.0, show_default=True, help="Minimum plot area (ha)."
        ),
        click.option("--grid-layer", default=None, help="Substations or grid lines."),
        click.option("--max-grid-distance", type=float, default=None, help="Metres."),
        click.option("--roads", default=None, help="Road layer."),
        click.option("--max-road-distance", type=float, default=None, help="Metres."),
        click.option(
            "--density",
            type=float,
            default=None,
            help="Land per MW (ha/MW); default 1.5, a case figure (marked so).",
        ),
        click.option("--ghi", default=None, help="Annual GHI grid (see --ghi-unit)."),
        click.option(
            "--ghi-unit",
            type=click.Choice(["kWh/m2/yr", "MJ/m2/yr"]),
            default=None,
            help="Unit of --ghi (required with it).",
        ),
        click.option(
            "--clearness",
            type=float,
            default=None,
            help="Without --ghi: factor (0-1) on pvlib's clear-sky irradiance.",
        ),
        click.option(
            "--tilt", type=float, default=None, help="Array tilt (deg; default latitude)."
        ),
        click.option(
            "--ef-series",
            type=click.Choice(["ets", "mee_nbs"]),
            default=None,
            help="Grid emission factor series: ets (0.5703, power-sector reporting) "
            "or mee_nbs (ministry annual national/regional factors).",
        ),
        click.option("--ef-year", default=None, help="Data year of the factor (e.g. 2023)."),
        click.option(
            "--ef-region",
            default="national",
            show_default=True,
            help="national, a regional grid (华北, 华东, ...) or a province.",
        ),
        lang_option,
        click.option(
            "--units",
            default=None,
            help="Control units: drawn on the map beneath the plots (context only).",
        ),
        unit_source_options(aliases=()),
        repair_units_option,
    ]
    for o in reversed(opts):
        f = o(f)
    return param_flags(**PV_FLAGS)(f)


def map_units(kw: dict):
    """The control units of ``--units`` (map context), or None; ``kw`` loses their keys."""
    from zoning.cli.options import given_units_coords, load_units
    from zoning.errors import InputError

    units, how = kw.pop("units"), {k: kw.pop(k) for k in ("layer", "fields", "encoding")}
    how["assume_crs"] = kw.pop("assume_crs")
    if units is None:
        flags = {"layer": "layer", "fields": "field", "encoding": "encoding", "assume_crs": "crs"}
        given = [f"--units-{flags[k]}" for k, v in how.items() if v]
        given += ["--units-coords"] * (given_units_coords() != "wgs84")
        if given:
            raise InputError(
                f"{', '.join(given)} {'were' if len(given) > 1 else 'was'} given without --units",
                field=given[0],
                fix="give --units (control units, drawn on the map) or leave them out",
            )
        return None
    return load_units(units, **how)


def assess(kw: dict, lang: str):
    """Read the PV inputs named by the options in ``kw`` and run :func:`assess_pv`."""
    from zoning.io.afforest import read_band
    from zoning.io.vector import read_vector
    from zoning.pv import assess_pv, chosen_grid_factor, ghi_kwh

    plots = read_vector(kw["plots"], geometry="polygon", what="the plots")
    ghi = ghi_kwh(read_band(kw["ghi"]), kw["ghi_unit"]) if kw["ghi"] else None
    ef = chosen_grid_factor(kw["ef_series"], kw["ef_year"], kw["ef_region"])
    layer = functools.partial(read_vector, allow_empty=True)
    return assess_pv(
        plots,
        land_use_field=kw["land_use_field"],
        land_use_map=parse_pairs(kw["land_use_map"], "--land-use-map") or None,
        exclusions={
            n: layer(p, what=f"exclusion layer {n}")
            for n, p in parse_pairs(kw["exclude"], "--exclude").items()
        },
        dem=read_band(kw["dem"]) if kw["dem"] else None,
        max_slope_deg=kw["max_slope"],
        min_area_ha=kw["min_area"],
        grid=layer(kw["grid_layer"], what="the grid layer") if kw["grid_layer"] else None,
        max_grid_distance_m=kw["max_grid_distance"],
        roads=layer(kw["roads"], what="the roads") if kw["roads"] else None,
        max_road_distance_m=kw["max_road_distance"],
        density_ha_per_mw=kw["density"],
        ghi=ghi,
        clearness=kw["clearness"],
        emission_factor=ef,
        tilt_deg=kw["tilt"],
        lang=lang,
        source=kw["plots"],
    )


@click.command("pv")
@pv_options
@out_option(help_text="Output folder.")
def command(out: Path, lang: str, **kw):
    """Photovoltaics alone on polluted plots (the 2023 PV land-use notice as data)."""
    from zoning.export.allocate import write_pv

    units = map_units(kw)
    res = assess(kw, lang)
    context = {**res.layers, "units": units}
    for path in write_pv(res.plots, res.meta, out, lang=lang, context=context).values():
        click.echo(f"wrote {path}", err=True)
