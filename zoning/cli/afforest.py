"""``zoning afforest``: pick polluted farmland to plant trees on, under a budget.

Writes into ``--out`` (a folder, atomically; :mod:`zoning.export.afforest`):
``selected.geojson`` (the chosen patches), ``rejected.geojson`` (every patch left out by
the budget and every parcel that is not a candidate, with its reasons in Chinese and
English), ``summary.json`` (totals, the Tier 1 factors with their tables, sources and
verification level, the filters, rejection counts, the solver's answer) and
``afforest.html`` (an offline map).

Bad input is one line and exit 2: an infeasible budget (locked-in patches cost more), no
ecological zone (``--ecozone``/``--ecozone-layer``/``--rate``), a land-cover raster whose
legend is neither given nor declared (``LANDCOVER_LEGEND`` tag) or that holds codes its
legend does not list.  The options are in :mod:`zoning.cli._afforest_options`.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from zoning.afforest import demo_afforest, run_afforest
from zoning.cli._afforest_options import afforest_options
from zoning.cli.options import param_flags, parse_fields
from zoning.errors import InputError

run = run_afforest  # the older name


@click.command("afforest")
@afforest_options
@click.option(
    "--png",
    is_flag=True,
    help="Also write a static PNG map (matplotlib; deterministic) beside the HTML map.",
)
@param_flags(legend="--landcover-legend", crs="--samples-crs")
def command(out, lang, png, **o):
    """Select strict-control farmland for afforestation under an area or cost budget."""
    from zoning.io.afforest import read_band, read_landcover, read_samples
    from zoning.siting import DistanceLimit

    if (o["budget_ha"] is None) == (o["budget_cost"] is None):
        raise click.UsageError("give exactly one of --budget-ha and --budget-cost")
    if o["landcover_legend"] and not o["landcover"]:
        raise InputError(
            "`landcover_legend` was given without `landcover`", param="landcover_legend"
        )
    if o["exclude_unit_class"] and o["units"] is None:
        raise InputError("`exclude_unit_class` needs `units`", param="units")
    vec = _layer_reader(o)
    units = _units(o)  # map context (units, county outline) and --exclude-unit-class
    lc = legend = how = None
    if o["landcover"]:
        lc, legend, how = read_landcover(o["landcover"], legend=o["landcover_legend"])
    parcels = vec(o["parcels"], "parcels", geometry="polygon", what="farmland parcels")
    samples = None
    if o["samples"]:
        samples = read_samples(
            o["samples"],
            lon_col=o["lon_col"],
            lat_col=o["lat_col"],
            crs=o["samples_crs"],
            encoding=o["samples_encoding"],
            layer=o["samples_layer"],
            coords=o["samples_coords"],
        )
    limits = [DistanceLimit(n, vec(p), max_m=d) for n, p, d in o["within"]]
    limits += [DistanceLimit(n, vec(p), min_m=d) for n, p, d in o["beyond"]]
    candidates = {
        "extra_plots": vec(o["extra_plots"]) if o["extra_plots"] else None,
        "exclude": {name: vec(path) for name, path in o["exclude"]} | _unit_classes(o, units),
        "distance_limits": limits,
        "max_slope_deg": o["max_slope_deg"],
        "min_patch_area_ha": o["min_patch_area_ha"],
        "merge_gap_m": o["merge_gap_m"],
    }
    if o["population"]:
        candidates["population"] = read_band(o["population"])
        candidates["population_buffer_m"] = o["population_buffer_m"]
    selection = {
        k: o[k]
        for k in ("cost_per_ha", "adjacency_bonus", "adjacency_m", "backend", "time_limit_s")
    }
    selection.update(
        locked_in=list(o["locked_in"]),
        locked_out=list(o["locked_out"]),
        gap=o["gap"],
        weights=o["weights"] or None,
    )
    written = run_afforest(
        parcels,
        out,
        samples=samples,
        dem=read_band(o["dem"]) if o["dem"] else None,
        landcover=lc,
        landcover_legend=legend,
        landcover_how=how,
        budget_ha=o["budget_ha"],
        budget_cost=o["budget_cost"],
        horizon_years=o["horizon_years"],
        rate_t_co2_ha_yr=o["rate_t_co2_ha_yr"],
        ecozone=o["ecozone"],
        ecozone_layer=vec(o["ecozone_layer"]) if o["ecozone_layer"] else None,
        ecozone_field=o["ecozone_field"],
        factor_options={
            "species": o["species"],
            "growth_t_dm_ha_yr": o["growth_t_dm_ha_yr"],
            "root_shoot": o["root_shoot"],
        },
        candidates=candidates,
        selection=selection,
        lang=lang,
        png=png,
        units=units,
        county=vec(o["county"], geometry="polygon", what="county outline") if o["county"] else None,
    )
    for path in written.values():
        click.echo(f"wrote {path}", err=True)


def _layer_reader(o: dict):
    """Read a vector input with the options of its noun (``layers`` for the others)."""
    from zoning.io.vector import read_vector

    def vec(path, noun: str = "layers", **kind):
        return read_vector(
            path,
            layer=o.get(f"{noun}_layer"),
            assume_crs=o[f"{noun}_crs"],
            encoding=o[f"{noun}_encoding"],
            coords=o[f"{noun}_coords"],
            **kind,
        )

    return vec


def _units(o: dict):
    """The control units of ``--units``, or None."""
    if o["units"] is None:
        return None
    from zoning.io.vector import read_units

    return read_units(
        o["units"],
        layer=o["units_layer"],
        fields=parse_fields(o["units_field"]),
        assume_crs=o["units_crs"],
        encoding=o["units_encoding"],
    )


def _unit_classes(o: dict, units) -> dict:
    """The control units of each ``--exclude-unit-class``, as exclusion layers."""
    if not o["exclude_unit_class"]:
        return {}
    cls = pd.to_numeric(units["unit_class"], errors="coerce")
    return {f"units class {c}": units[cls == c] for c in o["exclude_unit_class"]}


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The demo's afforestation step: :func:`zoning.afforest.demo_afforest`."""
    return demo_afforest(out_dir, lang)
