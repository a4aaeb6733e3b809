"""``zoning afforest``: pick polluted farmland to plant trees on, under a budget.

Writes into ``--out`` (a folder, atomically):

- ``selected.geojson`` — the chosen patches (area, sink per year and over the horizon,
  cost, parcel ids);
- ``rejected.geojson`` — every candidate patch left out by the budget and every parcel
  that is not a candidate, each with its reasons in Chinese and English;
- ``summary.json`` — totals (area ha, sink t CO2/yr and over the horizon, cost), the Tier 1
  factors of the ecological zone(s) with each factor's table, row, sources and
  verification level (``factors_verified``: the weakest) and notes on fallbacks, the
  filters (with the land-cover legend and where it came from), rejection counts and the
  solver's status, objective, bound, gap and runtime;
- ``afforest.html`` — an offline map.

Bad input is one line and exit 2: an infeasible budget (locked-in patches cost more), no
ecological zone (``--ecozone``/``--ecozone-layer``/``--rate``), a land-cover raster whose
legend is neither given nor declared (``LANDCOVER_LEGEND`` tag) or that holds codes its
legend does not list.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd

from zoning.cli.options import (
    input_options,
    lang_option,
    out_option,
    parse_fields,
    shared_option,
)
from zoning.errors import InputError
from zoning.siting import ECOZONES, SPECIES

log = logging.getLogger(__name__)

TEXT = {
    "zh": {
        "title": "污染耕地造林选址",
        "selected": "入选图斑",
        "unselected": "预算外候选图斑",
        "rejected": "筛除的严格管控地块",
        "rejected_soil": "非严格管控地块",
        "budget": "预算外（未入选）",
        "area": "面积 (ha)",
        "sink": "年碳汇 (t CO2/a)",
        "sink_h": "期内碳汇 (t CO2)",
        "cost": "成本",
        "parcels": "地块编号",
        "reason": "原因",
        "soil": "土壤类别",
    },
    "en": {
        "title": "Afforestation siting on polluted farmland",
        "selected": "Selected patches",
        "unselected": "Candidate patches outside the budget",
        "rejected": "Strict-control parcels filtered out",
        "rejected_soil": "Parcels not strict control",
        "budget": "outside the budget (not selected)",
        "area": "Area (ha)",
        "sink": "Sink (t CO2/yr)",
        "sink_h": "Sink over horizon (t CO2)",
        "cost": "Cost",
        "parcels": "Parcel ids",
        "reason": "Reason",
        "soil": "Soil class",
    },
}


def _pairs(values, hint: str, with_distance: bool = False):
    out = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            example = "road=roads.gpkg:500" if with_distance else "red_line=red_line.gpkg"
            raise click.BadParameter(
                f"'{value}' is not NAME=PATH{':METRES' * with_distance}, e.g. {example}",
                param_hint=hint,
            )
        if with_distance:
            path, sep2, metres = rest.rpartition(":")
            try:
                d = float(metres)
            except ValueError:
                d = None
            if not sep2 or d is None or d < 0:
                raise click.BadParameter(
                    f"'{value}' does not end in :METRES (a number >= 0)", param_hint=hint
                )
            out.append((name.strip(), path, d))
        else:
            out.append((name.strip(), rest.strip()))
    return out


def run(
    parcels: gpd.GeoDataFrame,
    out_dir: Path,
    *,
    samples: gpd.GeoDataFrame | None = None,
    dem=None,
    landcover=None,
    landcover_legend=None,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    lang: str = "zh",
    soil: dict | None = None,
    candidates: dict | None = None,
    selection: dict | None = None,
    horizon_years: float = 20.0,
    rate_t_co2_ha_yr: float | None = None,
    factors: dict | None = None,
    ecozone_layer=None,
    ecozone_field: str = "ecozone",
    factor_options: dict | None = None,
    landcover_how: str | None = None,
) -> dict[str, Path]:
    """Classify (when samples are given), site, select and write; returns name → path."""
    from zoning.export._atomic import atomic_dir
    from zoning.export.geojson import write_geojson, write_json
    from zoning.siting import site_afforestation
    from zoning.soil import classify_soil

    if samples is not None:
        parcels = classify_soil(samples, parcels, **(soil or {})).parcels
    cand = dict(candidates or {})
    if dem is not None:
        cand["dem"] = dem
    if landcover is not None:
        cand["landcover"] = landcover
        cand["landcover_legend"] = landcover_legend
    res = site_afforestation(
        parcels,
        budget_ha=budget_ha,
        budget_cost=budget_cost,
        horizon_years=horizon_years,
        rate_t_co2_ha_yr=rate_t_co2_ha_yr,
        factors=factors,
        candidates=cand,
        selection=selection,
        ecozone_layer=ecozone_layer,
        ecozone_field=ecozone_field,
        factor_options=factor_options,
    )
    t = TEXT[lang]
    patches = res.patches
    selected = patches[patches["selected"]].copy()
    unselected = patches[~patches["selected"]].copy()
    unselected["kind"] = "patch"
    unselected["reason"] = "budget"
    unselected["reason_zh"] = TEXT["zh"]["budget"]
    unselected["reason_en"] = TEXT["en"]["budget"]
    par = res.parcels
    rej_par = par[~par["candidate"]].copy()
    rej_par["kind"] = "parcel"
    keep_cols = [
        "kind",
        "patch_id",
        "parcel_id",
        "area_ha",
        "reason",
        "reason_zh",
        "reason_en",
        "soil_class",
        "soil_class_key",
        "slope_deg",
        "landcover",
        "landcover_share",
        "landcover_never_share",
        "source",
    ]
    unselected = unselected.rename(columns={"parcel_ids": "parcel_id"})

    def part(frame):
        cols = [c for c in keep_cols if c in frame.columns]
        return pd.DataFrame(
            {
                **{c: frame[c].to_numpy() for c in cols},
                "geometry": frame.geometry.to_crs(par.crs).values,
            }
        )

    rejected = pd.concat([part(unselected), part(rej_par)], ignore_index=True)
    rejected = gpd.GeoDataFrame(rejected, geometry="geometry", crs=par.crs)
    summary = dict(res.summary)
    if landcover_how and summary["filters"].get("landcover_legend"):
        summary["filters"]["landcover_legend"]["from"] = landcover_how
    summary["crs_of_outputs"] = (
        "EPSG:4326 (RFC 7946 GeoJSON); areas (ha) in equal-area "
        + summary["filters"].get("area_crs", "EPSG:6933")
        + "; distances and adjacency (m) in "
        + summary["filters"]["metric_crs"]
    )
    meta = {
        "summary": {
            k: summary[k]
            for k in (
                "selected_area_ha",
                "sink_t_co2_yr",
                "sink_t_co2_horizon",
                "cost",
                "factors_verified",
            )
        }
    }
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        paths = {
            "selected": write_geojson(selected, tmp / "selected.geojson", metadata=meta),
            "rejected": write_geojson(rejected, tmp / "rejected.geojson"),
        }
        write_json(summary, tmp / "summary.json")
        _map(selected, unselected, rej_par, tmp / "afforest.html", lang, t, summary)
    written = {name: out_dir / p.name for name, p in paths.items()}
    written["summary"] = out_dir / "summary.json"
    written["map"] = out_dir / "afforest.html"
    log.info(
        "selected %d patches, %.2f ha, %.1f t CO2/yr; solver %s (%s)",
        summary["n_selected_patches"],
        summary["selected_area_ha"],
        summary["sink_t_co2_yr"],
        summary["solver"]["status"],
        summary["solver"]["backend"],
    )
    return written


def _map(selected, unselected, rejected, path: Path, lang: str, t: dict, summary: dict):
    from zoning.export.webmap import WebMap

    metric = summary.get("filters", {}).get("metric_crs") or "UTM"
    area = summary.get("filters", {}).get("area_crs") or "EPSG:6933"
    note = (
        f"坐标：WGS 84 经纬度；面积按等积投影 {area} 计算 (ha)，距离按 {metric} 计算 (m)"
        if lang == "zh"
        else f"Coordinates: WGS 84 lon/lat; areas in equal-area {area} (ha), "
        f"distances in {metric} (m)"
    )
    wm = WebMap(t["title"], lang=lang, crs_note=note)
    reason = "reason_zh" if lang == "zh" else "reason_en"
    soil = "soil_class_zh" if lang == "zh" else "soil_class_en"
    pop = [("parcel_id", "ID"), (reason, t["reason"])]
    if soil in rejected.columns:
        pop.append((soil, t["soil"]))
    # parcels whose soil class does not qualify: the light-grey field pattern around the sites
    soil_only = rejected["reason"].str.contains("not_strict|unclassified", regex=True)
    for part, name, color, show in (
        (rejected[soil_only], t["rejected_soil"], "#bdbdbd", True),  # field context
        (rejected[~soil_only], t["rejected"], "#6a51a3", True),
    ):
        if len(part):
            wm.add_layer(
                part,
                name,
                color=color,
                popup=pop,
                tooltip="parcel_id",
                show=show,
                fill_opacity=0.35,
                weight=0.5,
            )
    pop = [
        ("patch_id", "ID"),
        ("area_ha", t["area"]),
        ("sink_t_co2_yr", t["sink"]),
        ("sink_t_co2_horizon", t["sink_h"]),
        ("cost", t["cost"]),
        ("parcel_ids", t["parcels"]),
    ]
    if len(unselected):
        wm.add_layer(
            unselected,
            t["unselected"],
            color="#fdae61",
            popup=pop[:-1] + [("parcel_id", t["parcels"])],
            tooltip="patch_id",
            fill_opacity=0.6,
        )
    if len(selected):
        wm.add_layer(
            selected,
            t["selected"],
            color="#1a9850",
            popup=pop,
            tooltip="patch_id",
            fill_opacity=0.8,
            weight=2,
        )
    wm.add_legend(
        t["title"],
        [
            ("#1a9850", t["selected"]),
            ("#fdae61", t["unselected"]),
            ("#6a51a3", t["rejected"]),
            ("#bdbdbd", t["rejected_soil"]),
        ],
    )
    s = summary
    if lang == "zh":
        line = (
            f"入选 {s['n_selected_patches']} 个图斑，{s['selected_area_ha']:.1f} ha；"
            f"年碳汇 {s['sink_t_co2_yr']:.0f} t CO2，{s['horizon_years']:g} 年 "
            f"{s['sink_t_co2_horizon']:.0f} t CO2（IPCC Tier 1，核验：{s.get('factors_verified')}）；"
            f"求解 {s['solver']['status']}"
        )
    else:
        line = (
            f"{s['n_selected_patches']} patches, {s['selected_area_ha']:.1f} ha; "
            f"{s['sink_t_co2_yr']:.0f} t CO2/yr, {s['sink_t_co2_horizon']:.0f} t CO2 over "
            f"{s['horizon_years']:g} yr (IPCC Tier 1, verified: {s.get('factors_verified')}); "
            f"solver {s['solver']['status']}"
        )
    import html

    wm.add_html(f"<div class='zsummary'>{html.escape(line)}</div>")
    candidates = [f for f in (selected, unselected) if len(f)]
    if candidates:  # open on the candidate patches, not on the whole county
        wm.focus(pd.concat([f[[f.geometry.name]].to_crs(4326) for f in candidates]))
    wm.save(path)


@click.command("afforest")
@click.option(
    "--parcels", "-p", required=True, help="Farmland parcels (with soil_class, or give --samples)."
)
@click.option(
    "--samples",
    "-s",
    default=None,
    help="Soil samples (vector file or CSV with lon/lat): classify the parcels first.",
)
@click.option("--lon-col", default=None, help="Longitude column of a samples CSV.")
@click.option("--lat-col", default=None, help="Latitude column of a samples CSV.")
@click.option("--dem", default=None, help="DEM (m) for the slope filter.")
@click.option(
    "--landcover",
    default=None,
    help="Land-cover raster; its legend comes from --landcover-legend or its "
    "LANDCOVER_LEGEND tag, else it is refused.",
)
@click.option(
    "--landcover-legend",
    default=None,
    metavar="NAME|FILE",
    help="Legend of the land-cover codes: worldcover, lc100, esa_cci (c3s), clcd, glc_fcs30, "
    "gbt21010, or a CSV with code,class,plantable[,name_zh,name_en].",
)
@click.option("--extra-plots", default=None, help="Other polluted plots to consider.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="NAME=PATH",
    help="A layer where planting is excluded (repeatable).",
)
@click.option("--units", "-u", default=None, help="Control units, for --exclude-unit-class.")
@click.option(
    "--exclude-unit-class",
    type=int,
    multiple=True,
    help="Exclude units of this class (1, 2, 3; repeatable; needs --units).",
)
@click.option(
    "--within",
    multiple=True,
    metavar="NAME=PATH:METRES",
    help="Keep parcels at most METRES from the layer (repeatable).",
)
@click.option(
    "--beyond",
    multiple=True,
    metavar="NAME=PATH:METRES",
    help="Keep parcels at least METRES from the layer (repeatable).",
)
@click.option("--budget-ha", type=float, default=None, help="Area budget (ha).")
@click.option("--budget-cost", type=float, default=None, help="Cost budget (CNY).")
@click.option(
    "--cost-per-ha",
    type=float,
    default=30000.0,
    show_default=True,
    help="Planting cost per ha where parcels carry none (an assumption).",
)
@click.option("--horizon", type=float, default=20.0, show_default=True, help="Years.")
@click.option(
    "--rate",
    type=float,
    default=None,
    help="Removal rate t CO2/ha/yr (overrides the IPCC Tier 1 factors).",
)
@click.option(
    "--growth",
    type=float,
    default=None,
    help="Above-ground growth t d.m./ha/yr (overrides the table).",
)
@click.option(
    "--root-shoot",
    type=float,
    default=None,
    help="Root:shoot ratio (overrides IPCC Table 4.4).",
)
@click.option(
    "--ecozone",
    "--climate-zone",
    "ecozone",
    type=click.Choice(list(ECOZONES)),
    default=None,
    help="Ecological zone of the sites (IPCC/FAO; no default: never guessed).",
)
@click.option(
    "--ecozone-layer",
    default=None,
    help="Polygons of ecological zones (column --ecozone-field holds the keys); each "
    "patch takes the zone covering most of it.",
)
@click.option(
    "--ecozone-field",
    default="ecozone",
    show_default=True,
    help="Column of --ecozone-layer holding the zone keys.",
)
@click.option(
    "--species",
    type=click.Choice(list(SPECIES)),
    default=None,
    help="Species group, where the IPCC tables split by it (an error says when).",
)
@click.option("--continent", type=click.Choice(["asia"]), default="asia", hidden=True)
@click.option("--forest-type", type=click.Choice(["planted"]), default="planted", hidden=True)
@click.option("--max-slope", type=float, default=25.0, show_default=True, help="Degrees.")
@click.option("--min-area", type=float, default=1.0, show_default=True, help="Smallest patch (ha).")
@click.option(
    "--merge-gap",
    type=float,
    default=10.0,
    show_default=True,
    help="Parcels this close (m) form one patch.",
)
@click.option(
    "--population",
    default=None,
    help="Population grid (people per cell) for the population_nearby co-benefit.",
)
@click.option(
    "--population-buffer",
    type=float,
    default=1000.0,
    show_default=True,
    help="Distance (m) within which people count as near a patch.",
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="COLUMN=W",
    help="Add W x COLUMN to each patch's benefit (t CO2 over the horizon), e.g. "
    "exposure_index=50 or population_nearby=0.1 (repeatable).",
)
@click.option("--lock-in", multiple=True, help="Patch or parcel id to select (repeatable).")
@click.option("--lock-out", multiple=True, help="Patch or parcel id to leave out (repeatable).")
@click.option(
    "--adjacency-bonus",
    type=float,
    default=0.0,
    show_default=True,
    help="Bonus (t CO2) per pair of selected neighbouring patches.",
)
@click.option(
    "--adjacency-distance",
    type=float,
    default=200.0,
    show_default=True,
    help="Patches this close (m) are neighbours.",
)
@click.option(
    "--backend",
    type=click.Choice(["cbc", "highs", "scipy", "greedy"]),
    default=None,
    help="MIP solver (default: cbc, chosen by measurement).",
)
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="Seconds.")
@click.option(
    "--gap", type=float, default=0.001, show_default=True, help="Relative gap at which to stop."
)
@out_option(help_text="Output folder.")
@lang_option
@input_options("parcels", ("layer", "encoding", "crs", "coords"))
@input_options("samples", ("layer", "encoding", "crs", "coords"))
@input_options("units", ("layer", "field", "encoding", "crs"))
@input_options(
    "layers",
    ("encoding", "crs", "coords"),
    encoding={"help": "Text encoding of --extra-plots, --exclude, --within, --beyond layers."},
    crs={"help": "CRS of --extra-plots, --exclude, --within, --beyond layers declaring none."},
)
@shared_option(
    "crs",
    {
        "parcels_crs": "--parcels-crs",
        "samples_crs": "--samples-crs",
        "units_crs": "--units-crs",
        "layers_crs": "--layers-crs",
    },
)
@shared_option(
    "encoding",
    {
        "parcels_encoding": "--parcels-encoding",
        "samples_encoding": "--samples-encoding",
        "units_encoding": "--units-encoding",
        "layers_encoding": "--layers-encoding",
    },
)
def command(
    parcels,
    samples,
    lon_col,
    lat_col,
    dem,
    landcover,
    landcover_legend,
    extra_plots,
    exclude,
    units,
    exclude_unit_class,
    within,
    beyond,
    budget_ha,
    budget_cost,
    cost_per_ha,
    horizon,
    rate,
    growth,
    root_shoot,
    ecozone,
    ecozone_layer,
    ecozone_field,
    species,
    continent,
    forest_type,
    max_slope,
    min_area,
    merge_gap,
    population,
    population_buffer,
    weights,
    lock_in,
    lock_out,
    adjacency_bonus,
    adjacency_distance,
    backend,
    time_limit,
    gap,
    out,
    lang,
    parcels_layer,
    parcels_encoding,
    parcels_crs,
    parcels_coords,
    samples_layer,
    samples_encoding,
    samples_crs,
    samples_coords,
    units_layer,
    units_field,
    units_encoding,
    units_crs,
    layers_encoding,
    layers_crs,
    layers_coords,
):
    """Select strict-control farmland for afforestation under an area or cost budget."""
    from zoning.io.afforest import read_band, read_landcover, read_samples
    from zoning.io.vector import read_units, read_vector
    from zoning.siting import DistanceLimit, removal_factors

    if (budget_ha is None) == (budget_cost is None):
        raise click.UsageError("give exactly one of --budget-ha and --budget-cost")
    if ecozone and ecozone_layer:
        raise InputError("give --ecozone or --ecozone-layer, not both", field="--ecozone-layer")
    if landcover_legend and not landcover:
        raise InputError(
            "--landcover-legend was given without --landcover", field="--landcover-legend"
        )
    factor_options = {"species": species, "growth_t_dm_ha_yr": growth, "root_shoot": root_shoot}
    factors = None
    if ecozone or (not ecozone_layer and rate is None):  # refuses without a zone
        factors = removal_factors(ecozone=ecozone, **factor_options)
    lc = lc_legend = lc_how = None
    if landcover:
        lc, lc_legend, lc_how = read_landcover(landcover, legend=landcover_legend)

    def vec(
        path, layer=None, crs=layers_crs, encoding=layers_encoding, coords=layers_coords, **kind
    ):
        return read_vector(
            path, layer=layer, assume_crs=crs, encoding=encoding, coords=coords, **kind
        )

    par = vec(
        parcels,
        parcels_layer,
        parcels_crs,
        parcels_encoding,
        parcels_coords,
        geometry="polygon",
        what="farmland parcels",
    )
    excl = {name: vec(path) for name, path in _pairs(exclude, "--exclude")}
    if exclude_unit_class:
        if units is None:
            raise InputError("--exclude-unit-class needs --units", field="--units")
        u = read_units(
            units,
            layer=units_layer,
            fields=parse_fields(units_field),
            assume_crs=units_crs,
            encoding=units_encoding,
        )
        for cls in exclude_unit_class:
            sub = u[pd.to_numeric(u["unit_class"], errors="coerce") == cls]
            excl[f"units class {cls}"] = sub
    limits = [DistanceLimit(n, vec(p), max_m=d) for n, p, d in _pairs(within, "--within", True)]
    limits += [DistanceLimit(n, vec(p), min_m=d) for n, p, d in _pairs(beyond, "--beyond", True)]
    written = run(
        par,
        out,
        samples=read_samples(
            samples,
            lon_col=lon_col,
            lat_col=lat_col,
            crs=samples_crs,
            encoding=samples_encoding,
            layer=samples_layer,
            coords=samples_coords,
        )
        if samples
        else None,
        dem=read_band(dem) if dem else None,
        landcover=lc,
        landcover_legend=lc_legend,
        landcover_how=lc_how,
        budget_ha=budget_ha,
        budget_cost=budget_cost,
        lang=lang,
        horizon_years=horizon,
        rate_t_co2_ha_yr=rate,
        factors=factors,
        ecozone_layer=vec(ecozone_layer) if ecozone_layer else None,
        ecozone_field=ecozone_field,
        factor_options=factor_options,
        candidates={
            "extra_plots": vec(extra_plots) if extra_plots else None,
            "exclude": excl,
            "distance_limits": limits,
            "max_slope_deg": max_slope,
            "min_patch_area_ha": min_area,
            "merge_gap_m": merge_gap,
        },
        selection={
            "cost_per_ha": cost_per_ha,
            "locked_in": list(lock_in),
            "locked_out": list(lock_out),
            "adjacency_bonus": adjacency_bonus,
            "adjacency_m": adjacency_distance,
            "backend": backend,
            "time_limit_s": time_limit,
            "gap": gap,
        },
    )
    for path in written.values():
        click.echo(f"wrote {path}", err=True)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Soil classes of the demo parcels, then candidates and selection → ``out_dir/"afforest"/``.

    The budget is half the candidate area (rounded to whole hectares), so the selection
    has something to choose; the red line and the drinking-water protection zones are
    excluded; neighbouring patches (within 200 m) earn a small compactness bonus.  The
    county lies in the subtropical humid forest zone; the land-cover raster declares its
    legend (``LANDCOVER_LEGEND=worldcover``).
    """
    from zoning.datasets import demo_path
    from zoning.io.afforest import read_band, read_landcover
    from zoning.io.vector import read_vector
    from zoning.siting import find_candidates, removal_factors
    from zoning.soil import classify_soil

    parcels = read_vector(demo_path("parcels.gpkg"))
    samples = read_vector(demo_path("soil_samples.gpkg"))
    classified = classify_soil(samples, parcels).parcels
    dem = read_band(demo_path("dem.tif"))
    lc, legend, how = read_landcover(demo_path("landcover.tif"))
    exclude = {
        "生态保护红线" if lang == "zh" else "ecological red line": read_vector(
            demo_path("red_line.gpkg")
        ),
        "饮用水水源保护区" if lang == "zh" else "drinking-water protection": read_vector(
            demo_path("water_protection.gpkg")
        ),
    }
    cand = {"exclude": exclude}
    area = (
        find_candidates(classified, dem=dem, landcover=lc, landcover_legend=legend, **cand)
        .patches["area_ha"]
        .sum()
    )
    budget = max(1.0, round(float(area) / 2))
    return run(
        classified,
        Path(out_dir) / "afforest",
        dem=dem,
        landcover=lc,
        landcover_legend=legend,
        landcover_how=how,
        budget_ha=budget,
        lang=lang,
        factors=removal_factors(ecozone="subtropical_humid"),
        candidates=cand,
        selection={"adjacency_bonus": 10.0, "time_limit_s": 30.0},
    )
