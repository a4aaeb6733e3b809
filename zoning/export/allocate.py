"""Files of `zoning pv` and `zoning allocate`: plots GeoJSON, summary.json, an offline map
with a legend per use, and the trade-off curve as a PNG (matplotlib, Agg)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_geojson, write_json

log = logging.getLogger(__name__)

USE_COLORS = {
    "trees": "#2e7d32",
    "pv": "#f9a825",
    "forest_pv": "#00838f",
    "risk_control_only": "#9e9e9e",
    "candidate": "#f9a825",
    "rejected": "#c62828",
}
_LABELS = {
    "zh": {
        "trees": "造林",
        "pv": "光伏",
        "forest_pv": "林光互补",
        "risk_control_only": "仅风险管控",
        "candidate": "光伏候选",
        "rejected": "不宜光伏",
        "use": "用途",
        "pv_status": "光伏",
        "title_alloc": "污染地块用途配置",
        "title_pv": "污染地块光伏选址",
    },
    "en": {
        "trees": "afforestation",
        "pv": "photovoltaics",
        "forest_pv": "forest-PV",
        "risk_control_only": "risk control only",
        "candidate": "PV candidate",
        "rejected": "not for PV",
        "use": "Use",
        "pv_status": "PV",
        "title_alloc": "Allocation of polluted plots",
        "title_pv": "PV on polluted plots",
    },
}

_POPUP = [
    ("land_use_key", "land use"),
    ("area_ha", "ha"),
    ("mw", "MW"),
    ("mwh_yr", "MWh/yr"),
    ("avoided_t_co2_yr", "t CO2/yr avoided"),
    ("sink_t_co2_yr", "t CO2/yr sink"),
    ("pv_reasons", "PV reasons"),
    ("use_reason", "why"),
]


def _map(frame: gpd.GeoDataFrame, path: Path, by: str, lang: str, title: str) -> None:
    from zoning.export.webmap import WebMap

    lab = _LABELS[lang]
    m = WebMap(lab[title], lang=lang)
    popup = [(c, t) for c, t in _POPUP if c in frame.columns]
    shown = [v for v in USE_COLORS if v in set(frame[by])]
    m.add_layer(
        frame,
        lab[by],
        color_by=by,
        colors={v: USE_COLORS[v] for v in shown},
        popup=popup,
        fill_opacity=0.6,
    )
    m.add_legend(lab[by], [(USE_COLORS[v], lab[v]) for v in shown])
    m.focus(frame)
    m.save(path)


def tradeoff_png(points: list[dict], path: Path, lang: str = "en") -> Path:
    """Sink against avoided emissions of the weighted solves (deterministic PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    xs = [p["sink_t_co2_yr"] for p in points]
    ys = [p["avoided_t_co2_yr"] for p in points]
    ax.plot(xs, ys, "o-", color="#2e7d32")
    for p, x, y in zip(points, xs, ys, strict=True):
        ax.annotate(f"w={p['weight_sink']:g}", (x, y), fontsize=7)
    ax.set_xlabel("sink (t CO2/yr, trees)")
    ax.set_ylabel("avoided (t CO2/yr, PV)")
    ax.set_title("trade-off: weighted solves")
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def write_pv(frame: gpd.GeoDataFrame, meta: dict, out_dir, /, *, lang: str = "zh") -> dict:
    """``pv_plots.geojson``, ``summary.json`` and ``map.html`` under ``out_dir``."""
    with atomic_dir(out_dir) as tmp:
        write_geojson(frame, tmp / "pv_plots.geojson", metadata={"zoning_pv": meta})
        write_json(meta, tmp / "summary.json")
        _map(frame, tmp / "map.html", "pv_status", lang, "title_pv")
    out = Path(out_dir)
    return {k: out / k for k in ("pv_plots.geojson", "summary.json", "map.html")}


def write_allocation(
    frame: gpd.GeoDataFrame,
    summary: dict,
    out_dir,
    /,
    *,
    tradeoff: list[dict] | None = None,
    lang: str = "zh",
) -> dict:
    """``selected.geojson`` (plots given a use), ``rejected.geojson`` (risk control only,
    with the reason), ``summary.json``, ``map.html`` and ``tradeoff.png``."""
    names = ["selected.geojson", "rejected.geojson", "summary.json", "map.html"]
    with atomic_dir(out_dir) as tmp:
        sel = frame["use"] != "risk_control_only"
        meta = {"zoning_allocate": {k: summary[k] for k in ("objective", "solver", "by_use")}}
        write_geojson(frame[sel], tmp / "selected.geojson", metadata=meta)
        write_geojson(frame[~sel], tmp / "rejected.geojson", metadata=meta)
        if tradeoff:
            summary = {**summary, "tradeoff": tradeoff}
            tradeoff_png(tradeoff, tmp / "tradeoff.png", lang)
            names.append("tradeoff.png")
        write_json(summary, tmp / "summary.json")
        _map(frame, tmp / "map.html", "use", lang, "title_alloc")
    out = Path(out_dir)
    return {k: out / k for k in names}


def allocate_and_write(
    res,
    out: Path,
    *,
    lang="zh",
    ecozone=None,
    species=None,
    sink_rate=None,
    budget=(),
    cost_per_ha=None,
    cost_per_mw=None,
    weight_sink=1.0,
    weight_avoided=1.0,
    adjacency_bonus=0.0,
    lock=None,
    id_field=None,
    backend="highs",
    time_limit=30.0,
    gap=0.001,
    tradeoff_steps=5,
) -> dict[str, Path]:
    """Allocate the assessed plots ``res`` (:class:`zoning.pv.PVResult`) and write."""
    from zoning.allocate import allocate_plots, parse_budget, tradeoff
    from zoning.siting import removal_factors

    if sink_rate is not None:
        factors = {"removal_t_co2_ha_yr": sink_rate, "verified": "user", "formula": "user rate"}
    else:
        factors = removal_factors(ecozone=ecozone, species=species)
    budgets = parse_budget(budget)
    frame, summary, result, arrays = allocate_plots(
        res.plots,
        sink_t_co2_ha_yr=factors["removal_t_co2_ha_yr"],
        sink_factors=factors,
        weights=(weight_sink, weight_avoided),
        budgets=budgets,
        cost_per_ha=cost_per_ha,
        cost_per_mw=cost_per_mw,
        adjacency_bonus=adjacency_bonus,
        locked=lock,
        id_field=id_field,
        backend=backend,
        time_limit_s=time_limit,
        gap=gap,
        lang=lang,
    )
    summary["pv"] = res.meta
    curve = None
    if tradeoff_steps > 1:
        curve = tradeoff(
            arrays,
            steps=tradeoff_steps,
            backend=backend,
            budgets=budgets,
            time_limit_s=max(2.0, time_limit / tradeoff_steps),
            edge_bonus=adjacency_bonus,
            gap=gap,
        )
    return write_allocation(frame, summary, out, tradeoff=curve, lang=lang)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The demo county's closed mine, former factory site and neighbours -> ``allocate/``.

    Demo values (declared, not defaults): clearness 0.5 on pvlib's clear-sky irradiance,
    the ministry's 2023 East China (华东) grid factor, subtropical humid forest, budgets
    of 60 ha in all and 25 MW of PV.
    """
    from zoning.datasets import demo_path
    from zoning.io.vector import read_vector
    from zoning.pv import assess_pv, grid_factor
    from zoning.soil_construction import attach_worst_class, classify_construction_samples

    plots = read_vector(demo_path("newenergy_plots.gpkg"), what="the plots")
    samples = classify_construction_samples(
        read_vector(demo_path("newenergy_samples.gpkg")), land_class_field="land_class"
    )
    plots = attach_worst_class(plots, samples.samples)
    res = assess_pv(
        plots,
        exclusions={"red_line": read_vector(demo_path("red_line.gpkg"))},
        min_area_ha=5.0,
        grid=read_vector(demo_path("substations.gpkg")),
        max_grid_distance_m=5000.0,
        roads=read_vector(demo_path("roads.gpkg")),
        max_road_distance_m=2000.0,
        clearness=0.5,
        emission_factor=grid_factor("mee_nbs", 2023, "华东"),
        lang=lang,
    )
    res.meta["gb36600"] = samples.meta
    res.meta["demo_values"] = "clearness 0.5 is a demo value, not a default"
    written = allocate_and_write(
        res,
        Path(out_dir) / "allocate",
        lang=lang,
        ecozone="subtropical_humid",
        budget=("total:area_ha=60", "pv:mw=25"),
        id_field="plot_id",
        time_limit=10.0,
    )
    with open(written["summary.json"], encoding="utf-8") as fh:
        log.info("allocation: %s", json.load(fh)["by_use"])
    return written
