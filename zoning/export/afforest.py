"""The afforestation outputs (``zoning afforest``), written atomically into one folder.

- ``selected.geojson`` — the chosen patches (area, sink per year and over the horizon,
  cost, parcel ids), with the totals as a ``metadata`` member;
- ``rejected.geojson`` — every candidate patch left out by the budget and every parcel
  that is not a candidate, each with its reasons in Chinese and English;
- ``summary.json`` — totals, factors, filters, rejection counts, the solver's answer and
  the CRS of the outputs;
- ``afforest.html`` — an offline map.

The layers are reprojected to WGS 84 once and the GeoJSON files and the map are made
from the same frames.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_geojson, write_json
from zoning.geo import WGS84

if TYPE_CHECKING:
    from zoning.siting import SitingResult

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
        "county": "县域边界",
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
        "county": "County boundary",
    },
}
#: The solver's answer in words (zh, en); an unknown status is shown as it is.
SOLVER_STATUS = {
    "optimal": ("最优解", "optimal"),
    "gap_reached": ("达到容许差距的近优解", "near-optimal (within the gap allowed)"),
    "time_limit": ("达到时间上限，非最优", "time limit reached, not proven optimal"),
    "killed": ("求解器被中止，结果为贪心解", "solver stopped; greedy answer"),
    "greedy": ("贪心解（未证明最优）", "greedy answer (not proven optimal)"),
    "no_free_items": ("无可选图斑", "nothing to choose from"),
    "feasible": ("可行解（未证明最优）", "feasible (not proven optimal)"),
    "not solved": ("未求解", "not solved"),
    "infeasible": ("无可行解", "infeasible"),
    "unbounded": ("无界", "unbounded"),
    "undefined": ("求解器未给出结论", "no answer from the solver"),
}
#: Columns of ``rejected.geojson`` (those present), in this order.
REJECTED_COLUMNS = (
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
)
#: Totals repeated as the ``metadata`` member of ``selected.geojson``.
HEADLINE = ("selected_area_ha", "sink_t_co2_yr", "sink_t_co2_horizon", "cost", "factors_verified")


def write_afforestation(
    result: SitingResult,
    out_dir: str | Path,
    /,
    *,
    lang: str = "zh",
    units: gpd.GeoDataFrame | None = None,
    county: gpd.GeoDataFrame | None = None,
) -> dict[str, Path]:
    """Write the selected and rejected layers, the summary and the map; returns name → path.

    ``units`` (control units) and ``county`` (the county outline) put the selection in
    context on the map; without ``county`` the outline is the union of ``units``.
    """
    selected, unselected, rej_par = _layers(result)
    rejected = _rejected(unselected, rej_par)
    summary = _summary(result.summary)
    meta = {"summary": {k: summary[k] for k in HEADLINE}}
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        write_geojson(selected, tmp / "selected.geojson", metadata=meta)
        write_geojson(rejected, tmp / "rejected.geojson")
        write_json(summary, tmp / "summary.json")
        _map(selected, unselected, rej_par, summary, lang, units, county).save(
            tmp / "afforest.html"
        )
    written = {
        "selected": out_dir / "selected.geojson",
        "rejected": out_dir / "rejected.geojson",
        "summary": out_dir / "summary.json",
        "map": out_dir / "afforest.html",
    }
    log.info(
        "selected %d patches, %.2f ha, %.1f t CO2/yr; solver %s (%s)",
        summary["n_selected_patches"],
        summary["selected_area_ha"],
        summary["sink_t_co2_yr"],
        summary["solver"]["status"],
        summary["solver"]["backend"],
    )
    return written


def _layers(result: SitingResult):
    """Selected patches, patches outside the budget and parcels that are no candidates,
    each in WGS 84 (the one reprojection of the outputs)."""
    patches = result.patches.to_crs(WGS84)
    selected = patches[patches["selected"]].copy()
    unselected = patches[~patches["selected"]].copy()
    unselected["kind"] = "patch"
    unselected["reason"] = "budget"
    unselected["reason_zh"] = TEXT["zh"]["budget"]
    unselected["reason_en"] = TEXT["en"]["budget"]
    unselected = unselected.rename(columns={"parcel_ids": "parcel_id"})
    par = result.parcels
    rej_par = par[~par["candidate"]].to_crs(WGS84)
    rej_par["kind"] = "parcel"
    return selected, unselected, rej_par


def _rejected(unselected: gpd.GeoDataFrame, rej_par: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Patches outside the budget, then parcels left out, in the columns of REJECTED_COLUMNS."""

    def part(frame):
        cols = [c for c in REJECTED_COLUMNS if c in frame.columns]
        return pd.DataFrame(
            {**{c: frame[c].to_numpy() for c in cols}, "geometry": frame.geometry.values}
        )

    rejected = pd.concat([part(unselected), part(rej_par)], ignore_index=True)
    return gpd.GeoDataFrame(rejected, geometry="geometry", crs=WGS84)


def _summary(summary: dict) -> dict:
    """The run's summary with the CRS of the outputs."""
    out = dict(summary)
    out["crs_of_outputs"] = (
        "EPSG:4326 (RFC 7946 GeoJSON); areas (ha) in equal-area "
        + out["filters"].get("area_crs", "EPSG:6933")
        + "; distances and adjacency (m) in "
        + out["filters"]["metric_crs"]
    )
    return out


def _map(selected, unselected, rejected, summary: dict, lang: str, units=None, county=None):
    """The offline map: county outline and units (context), parcels left out, patches
    outside the budget, selected patches."""
    from zoning.export.webmap import WebMap

    t = TEXT[lang]
    metric = summary.get("filters", {}).get("metric_crs") or "UTM"
    area = summary.get("filters", {}).get("area_crs") or "EPSG:6933"
    note = (
        f"坐标：WGS 84 经纬度；面积按等积投影 {area} 计算 (ha)，距离按 {metric} 计算 (m)"
        if lang == "zh"
        else f"Coordinates: WGS 84 lon/lat; areas in equal-area {area} (ha), "
        f"distances in {metric} (m)"
    )
    wm = WebMap(t["title"], lang=lang, crs_note=note)
    if units is not None and len(units):
        wm.add_units(units, elements=False)
        if county is None:
            county = gpd.GeoDataFrame(geometry=[units.geometry.union_all()], crs=units.crs)
    if county is not None and len(county):
        outline = county[[county.geometry.name]].copy()
        outline = outline.set_geometry(outline.geometry.boundary)
        wm.add_layer(outline, t["county"], color="#000000", weight=2.5)
        wm.add_legend(t["county"], [("#000000", t["county"])])
    _add_parcels(wm, rejected, t, lang)
    _add_patches(wm, selected, unselected, t)
    wm.add_legend(
        t["title"],
        [
            ("#1a9850", t["selected"]),
            ("#fdae61", t["unselected"]),
            ("#6a51a3", t["rejected"]),
            ("#bdbdbd", t["rejected_soil"]),
        ],
    )
    wm.add_html(f"<div class='zsummary'>{html.escape(_headline(summary, lang))}</div>")
    candidates = [f for f in (selected, unselected) if len(f)]
    if county is not None and len(county):  # open on the county: the selection in context
        wm.focus(county[[county.geometry.name]], margin=0.02)
    elif candidates:
        wm.focus(pd.concat([f[[f.geometry.name]] for f in candidates]))
    return wm


def _add_parcels(wm, rejected, t: dict, lang: str) -> None:
    reason = "reason_zh" if lang == "zh" else "reason_en"
    soil = "soil_class_zh" if lang == "zh" else "soil_class_en"
    pop = [("parcel_id", "ID"), (reason, t["reason"])]
    if soil in rejected.columns:
        pop.append((soil, t["soil"]))
    # parcels whose soil class does not qualify: the light-grey field pattern around the sites
    soil_only = rejected["reason"].str.contains("not_strict|unclassified", regex=True)
    for part, name, color in (
        (rejected[soil_only], t["rejected_soil"], "#bdbdbd"),  # field context
        (rejected[~soil_only], t["rejected"], "#6a51a3"),
    ):
        if len(part):
            wm.add_layer(
                part,
                name,
                color=color,
                popup=pop,
                tooltip="parcel_id",
                show=True,
                fill_opacity=0.35,
                weight=0.5,
            )


def _add_patches(wm, selected, unselected, t: dict) -> None:
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


def _headline(s: dict, lang: str) -> str:
    if lang == "zh":
        return (
            f"入选 {s['n_selected_patches']} 个图斑，{s['selected_area_ha']:.1f} ha；"
            f"年碳汇 {s['sink_t_co2_yr']:.0f} t CO2，{s['horizon_years']:g} 年 "
            f"{s['sink_t_co2_horizon']:.0f} t CO2（IPCC Tier 1，系数{_verified(s, 0)}）；"
            f"求解：{_status(s, 0)}"
        )
    return (
        f"{s['n_selected_patches']} patches, {s['selected_area_ha']:.1f} ha; "
        f"{s['sink_t_co2_yr']:.0f} t CO2/yr, {s['sink_t_co2_horizon']:.0f} t CO2 over "
        f"{s['horizon_years']:g} yr (IPCC Tier 1, factors {_verified(s, 1)}); "
        f"solver: {_status(s, 1)}"
    )


def _status(s: dict, i: int) -> str:
    status = s["solver"]["status"]
    if status in SOLVER_STATUS:
        return SOLVER_STATUS[status][i]
    # a solver's own message (scipy's milp): said to be the solver's, in its words
    return f"求解器返回：{status}" if i == 0 else f"solver said: {status}"


def _verified(s: dict, i: int) -> str:
    """How the removal factors were checked (the ``verified`` level of shared/domain)."""
    words = {
        "yes": ("经两个以上来源核对", "checked against two or more sources"),
        "single": ("仅一个来源", "from a single source"),
        "no": ("未经核对", "not checked"),
        "user": ("由用户给定", "given by the user"),
    }
    v = str(s.get("factors_verified") or "")
    return words[v][i] if v in words else ("核对情况不明", "checks unknown")[i]
