"""The options of ``zoning afforest``, defined once (:func:`afforest_options`).

Each option's keyword is the name of the library parameter it sets (``--horizon`` →
``horizon_years``, ``--min-area`` → ``min_patch_area_ha`` …), so an error the library
raises about a parameter names the flag.  ``--exclude`` arrives parsed as ``(name, path)``
pairs, ``--within``/``--beyond`` as ``(name, path, metres)``, ``--weight`` as a dict.
"""

from __future__ import annotations

import click

from zoning.cli.options import (
    input_options,
    lang_option,
    out_option,
    parse_limits,
    parse_pairs,
    shared_option,
)
from zoning.siting import ECOZONES, SPECIES


def _pairs(values, hint: str, with_distance: bool = False):
    if with_distance:
        return parse_limits(values, hint)
    return parse_pairs(values, hint, example="red_line=red_line.gpkg", as_list=True)


def _layers(ctx, param, values):
    return _pairs(values, param.opts[0])


def _limits(ctx, param, values):
    return _pairs(values, param.opts[0], with_distance=True)


def _weights(ctx, param, values):
    out = {}
    for value in values:
        name, sep, w = value.partition("=")
        try:
            out[name.strip()] = float(w)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise click.BadParameter(
                f"'{value}' is not COLUMN=W, e.g. exposure_index=50", param_hint="--weight"
            )
    return out


_OPTIONS = [
    click.option(
        "--parcels",
        "-p",
        required=True,
        help="Farmland parcels (with soil_class, or give --samples).",
    ),
    click.option(
        "--samples",
        "-s",
        default=None,
        help="Soil samples (vector file or CSV with lon/lat): classify the parcels first.",
    ),
    click.option("--lon-col", default=None, help="Longitude column of a samples CSV."),
    click.option("--lat-col", default=None, help="Latitude column of a samples CSV."),
    click.option("--dem", default=None, help="DEM (m) for the slope filter."),
    click.option(
        "--landcover",
        default=None,
        help="Land-cover raster; its legend comes from --landcover-legend or its LANDCOVER_LEGEND tag, else it is refused.",
    ),
    click.option(
        "--landcover-legend",
        default=None,
        metavar="NAME|FILE",
        help="Legend of the land-cover codes: worldcover, lc100, esa_cci (c3s), clcd, glc_fcs30, gbt21010, or a CSV with code,class,plantable[,name_zh,name_en].",
    ),
    click.option("--extra-plots", default=None, help="Other polluted plots to consider."),
    click.option(
        "--exclude",
        multiple=True,
        metavar="NAME=PATH",
        callback=_layers,
        help="A layer where planting is excluded (repeatable).",
    ),
    click.option(
        "--units",
        "-u",
        default=None,
        help="Control units: drawn on the map around the selection (their outline as the "
        "county's unless --county), and for --exclude-unit-class.",
    ),
    click.option(
        "--county",
        default=None,
        help="The county outline (polygons): drawn on the map, which opens on it.",
    ),
    click.option(
        "--exclude-unit-class",
        type=int,
        multiple=True,
        help="Exclude units of this class (1, 2, 3; repeatable; needs --units).",
    ),
    click.option(
        "--within",
        multiple=True,
        metavar="NAME=PATH:METRES",
        callback=_limits,
        help="Keep parcels at most METRES from the layer (repeatable).",
    ),
    click.option(
        "--beyond",
        multiple=True,
        metavar="NAME=PATH:METRES",
        callback=_limits,
        help="Keep parcels at least METRES from the layer (repeatable).",
    ),
    click.option("--budget-ha", type=float, default=None, help="Area budget (ha)."),
    click.option("--budget-cost", type=float, default=None, help="Cost budget (CNY)."),
    click.option(
        "--cost-per-ha",
        type=float,
        default=30000.0,
        show_default=True,
        help="Planting cost per ha where parcels carry none (an assumption).",
    ),
    click.option(
        "--horizon", "horizon_years", type=float, default=20.0, show_default=True, help="Years."
    ),
    click.option(
        "--rate",
        "rate_t_co2_ha_yr",
        type=float,
        default=None,
        help="Removal rate t CO2/ha/yr (overrides the IPCC Tier 1 factors).",
    ),
    click.option(
        "--growth",
        "growth_t_dm_ha_yr",
        type=float,
        default=None,
        help="Above-ground growth t d.m./ha/yr (overrides the table).",
    ),
    click.option(
        "--root-shoot",
        type=float,
        default=None,
        help="Root:shoot ratio (overrides IPCC Table 4.4).",
    ),
    click.option(
        "--ecozone",
        "--climate-zone",
        "ecozone",
        type=click.Choice(list(ECOZONES)),
        default=None,
        help="Ecological zone of the sites (IPCC/FAO; no default: never guessed).",
    ),
    click.option(
        "--ecozone-layer",
        default=None,
        help="Polygons of ecological zones (column --ecozone-field holds the keys); each patch takes the zone covering most of it.",
    ),
    click.option(
        "--ecozone-field",
        default="ecozone",
        show_default=True,
        help="Column of --ecozone-layer holding the zone keys.",
    ),
    click.option(
        "--species",
        type=click.Choice(list(SPECIES)),
        default=None,
        help="Species group, where the IPCC tables split by it (an error says when).",
    ),
    click.option("--continent", type=click.Choice(["asia"]), default="asia", hidden=True),
    click.option("--forest-type", type=click.Choice(["planted"]), default="planted", hidden=True),
    click.option(
        "--max-slope", "max_slope_deg", type=float, default=25.0, show_default=True, help="Degrees."
    ),
    click.option(
        "--min-area",
        "min_patch_area_ha",
        type=float,
        default=1.0,
        show_default=True,
        help="Smallest patch (ha).",
    ),
    click.option(
        "--merge-gap",
        "merge_gap_m",
        type=float,
        default=10.0,
        show_default=True,
        help="Parcels this close (m) form one patch.",
    ),
    click.option(
        "--population",
        default=None,
        help="Population grid (people per cell) for the population_nearby co-benefit.",
    ),
    click.option(
        "--population-buffer",
        "population_buffer_m",
        type=float,
        default=1000.0,
        show_default=True,
        help="Distance (m) within which people count as near a patch.",
    ),
    click.option(
        "--weight",
        "weights",
        multiple=True,
        metavar="COLUMN=W",
        callback=_weights,
        help="Add W x COLUMN to each patch's benefit (t CO2 over the horizon), e.g. exposure_index=50 or population_nearby=0.1 (repeatable).",
    ),
    click.option(
        "--lock-in", "locked_in", multiple=True, help="Patch or parcel id to select (repeatable)."
    ),
    click.option(
        "--lock-out",
        "locked_out",
        multiple=True,
        help="Patch or parcel id to leave out (repeatable).",
    ),
    click.option(
        "--adjacency-bonus",
        type=float,
        default=0.0,
        show_default=True,
        help="Bonus (t CO2) per pair of selected neighbouring patches.",
    ),
    click.option(
        "--adjacency-distance",
        "adjacency_m",
        type=float,
        default=200.0,
        show_default=True,
        help="Patches this close (m) are neighbours.",
    ),
    click.option(
        "--backend",
        type=click.Choice(["cbc", "highs", "scipy", "greedy"]),
        default=None,
        help="MIP solver (default: cbc, chosen by measurement).",
    ),
    click.option(
        "--time-limit", "time_limit_s", type=float, default=60.0, show_default=True, help="Seconds."
    ),
    click.option(
        "--gap", type=float, default=0.001, show_default=True, help="Relative gap at which to stop."
    ),
    out_option(help_text="Output folder."),
    lang_option,
    input_options("parcels", ("layer", "encoding", "crs", "coords")),
    input_options("samples", ("layer", "encoding", "crs", "coords")),
    input_options("units", ("layer", "field", "encoding", "crs")),
    input_options(
        "layers",
        ("encoding", "crs", "coords"),
        encoding={"help": "Text encoding of --extra-plots, --exclude, --within, --beyond layers."},
        crs={"help": "CRS of --extra-plots, --exclude, --within, --beyond layers declaring none."},
    ),
    shared_option(
        "crs",
        {
            "parcels_crs": "--parcels-crs",
            "samples_crs": "--samples-crs",
            "units_crs": "--units-crs",
            "layers_crs": "--layers-crs",
        },
    ),
    shared_option(
        "encoding",
        {
            "parcels_encoding": "--parcels-encoding",
            "samples_encoding": "--samples-encoding",
            "units_encoding": "--units-encoding",
            "layers_encoding": "--layers-encoding",
        },
    ),
]


def afforest_options(f):
    """Every option of ``zoning afforest``, in the order ``--help`` lists them."""
    for option in reversed(_OPTIONS):
        f = option(f)
    return f
