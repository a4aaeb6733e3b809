"""Files of `zoning pv` and `zoning allocate`: plots GeoJSON, summary.json, an offline map
with a legend per use, and the trade-off curve as a PNG (matplotlib, Agg)."""

from __future__ import annotations

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
