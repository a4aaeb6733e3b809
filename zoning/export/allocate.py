"""Files of `zoning pv` and `zoning allocate`: plots GeoJSON, summary.json, an offline map
with a legend per use, and the trade-off curve as a PNG (matplotlib, Agg).

The map draws, beneath the plots and each as its own switchable layer, the context the run
used (``context``): the control units, the exclusion layers, and the grid and road layers
the distances were measured to.  A layer not given is not drawn and not in the legend.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from zoning.errors import InputError
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
        "context": "参考图层（本次计算所用）",
        "units": "环境管控单元",
        "excluded": "排除：",
        "grid": "电网设施",
        "roads": "道路",
        "limit": "距离上限 {m} m",
        "measured": "量测距离",
        "within": "地块 {m} m 范围内 {n}/{of}",
        "name": "名称",
        "kinds": {"pt": "点", "ln": "线", "pg": "面"},
        "layer:red_line": "生态保护红线",
        "layer:nature_reserve": "自然保护地",
        "layer:heritage_line": "历史文化保护线",
        "layer:sand_closure": "沙化土地封禁保护区",
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
        "context": "Context layers (used by this run)",
        "units": "Control units",
        "excluded": "excluded: ",
        "grid": "grid",
        "roads": "roads",
        "limit": "distance limit {m} m",
        "measured": "distance measured",
        "within": "{n} of {of} within {m} m of the plots",
        "name": "Name",
        "kinds": {"pt": "points", "ln": "lines", "pg": "areas"},
        "layer:red_line": "ecological red line",
        "layer:nature_reserve": "nature reserves",
        "layer:heritage_line": "historical and cultural protection line",
        "layer:sand_closure": "sandy-land closed protection areas",
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
    ("grid_distance_m", "grid distance (m)"),
    ("road_distance_m", "road distance (m)"),
    ("use_reason", "why"),
]

#: Keys of ``context`` (the parameters of :func:`zoning.pv.assess_pv`, and the units).
CONTEXT_KEYS = ("units", "exclusions", "grid", "roads")
#: Exclusion layers: red first (the red line), then other reds and purples; outlined.
EXCLUSION_COLORS = ("#e31a1c", "#ae017e", "#e6550d", "#7a0177", "#b15928")
CONTEXT_COLORS = {"grid": "#6a3d9a", "roads": "#525252"}
#: The distance limit (a key of the run's facts) each distance layer was checked against.
CONTEXT_LIMITS = {"grid": "max_grid_distance_m", "roads": "max_road_distance_m"}
#: How far around the plots context is drawn, at least (m); further to the grid and road
#: distance limits and to the nearest substation or road of every plot.
CONTEXT_REACH_M = 1000.0


def _check_context(context: dict | None) -> dict:
    """``context`` with its frames checked, by key (``x:NAME`` an exclusion layer); a
    layer given as None is left out."""
    if not context:
        return {}
    bad = sorted(set(context) - set(CONTEXT_KEYS))
    if bad:
        raise InputError(
            f"`context` has the key(s) {bad} but is expected to use {list(CONTEXT_KEYS)}",
            param="context",
        )
    layers = {k: context[k] for k in ("units", "grid", "roads") if context.get(k) is not None}
    layers |= {f"x:{n}": f for n, f in (context.get("exclusions") or {}).items() if f is not None}
    for key, frame in layers.items():
        name = f"exclusions[{key[2:]!r}]" if key.startswith("x:") else key
        if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
            raise InputError(f"`context` {name} is not a GeoDataFrame with a CRS", param="context")
    return layers


def _window(frame: gpd.GeoDataFrame, facts: dict):
    """The plots' box in their metric CRS (that of ``assess_pv``'s distances) widened by
    the reach: :data:`CONTEXT_REACH_M`, the distance limits, each plot's nearest grid
    feature and road.  Returns the CRS, the box and the reach (m)."""
    from zoning.geo import metric_crs

    crs = metric_crs(frame, "the plots")
    limits = [facts.get(k) for k in CONTEXT_LIMITS.values()]
    reach = [CONTEXT_REACH_M] + [float(v) for v in limits if v is not None]
    reach += [
        float(np.nanmax(frame[c].to_numpy(dtype=float)))
        for c in ("grid_distance_m", "road_distance_m")
        if c in frame.columns and frame[c].notna().any()
    ]
    x0, y0, x1, y1 = frame.to_crs(crs).total_bounds
    r = float(np.ceil(max(reach) * 1.01))
    return crs, shapely.box(x0 - r, y0 - r, x1 + r, y1 + r), r


def _near(layer: gpd.GeoDataFrame, crs, win) -> gpd.GeoDataFrame:
    """The features of ``layer`` meeting the window ``win`` (in ``crs``), whole."""
    edge = max(win.bounds[2] - win.bounds[0], win.bounds[3] - win.bounds[1]) / 32
    there = gpd.GeoSeries([shapely.segmentize(win, edge)], crs=crs).to_crs(layer.crs).iloc[0]
    return layer.iloc[np.sort(layer.sindex.query(there, predicate="intersects"))]


def _kinds(frame: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The frame's points, lines and areas (a map layer holds one kind), none empty."""
    types = frame.geometry.geom_type.fillna("").to_numpy(dtype=str)
    kind = np.where(
        np.char.find(types, "Point") >= 0,
        "pt",
        np.where(np.char.find(types, "Line") >= 0, "ln", "pg"),
    )
    return {k: frame[kind == k] for k in ("pg", "ln", "pt") if (kind == k).any()}


def _swatch(kind: str, color: str) -> str:
    c = html.escape(color)
    if kind == "pt":
        return f"<i style='background:{c};border-radius:50%;border:1.5px solid #fff'></i>"
    if kind == "ln":
        return f"<i style='background:{c};height:3px;border:0'></i>"
    return f"<i style='background:{c}26;border:2px solid {c}'></i>"


def _labels(key: str, limit: float | None, lab: dict) -> tuple[str, str]:
    """The layer's short name (the layer switcher) and its legend text: an exclusion
    layer by its name (a known name in words too), the grid and roads with the distance
    limit they were checked against."""
    if key.startswith("x:"):
        name = key[2:]
        known = lab.get("layer:" + name)
        return known or name, lab["excluded"] + (f"{known} ({name})" if known else name)
    how = lab["measured"] if limit is None else lab["limit"].format(m=f"{limit:,g}")
    return lab[key], f"{lab[key]} · {how}"


def _add_context(m, frame, layers: dict, facts: dict, lang: str):
    """Draw ``layers`` (of :func:`_check_context`) on ``m`` before the plots, beneath them.

    Returns the legend rows (kind, colour, text, layer name) and the points the plots'
    grid and road distances were measured to, where within their limits (to open on)."""
    lab = _LABELS[lang]
    crs, win, reach = _window(frame, facts) if len(frame) else (None, None, None)
    if "units" in layers:
        units = layers["units"] if win is None else _near(layers["units"], crs, win)
        m.add_units(units, name=lab["units"], elements=False)
    rows, reached = [], []
    excluded = [k for k in layers if k.startswith("x:")]
    # the red line (else the first exclusion layer) red, the others in their own colours
    colors = dict(CONTEXT_COLORS)
    for i, key in enumerate(sorted(excluded, key=lambda k: k != "x:red_line")):
        colors[key] = EXCLUSION_COLORS[i % len(EXCLUSION_COLORS)]
    for key in excluded + [k for k in ("roads", "grid") if k in layers]:
        given = layers[key][~(layers[key].geometry.isna() | layers[key].geometry.is_empty)]
        shown = given if win is None else _near(given, crs, win)
        limit = facts.get(CONTEXT_LIMITS[key]) if key in CONTEXT_LIMITS else None
        if limit is not None and win is not None and len(shown):
            reached.append(_reached(frame.to_crs(crs), shown.to_crs(crs), limit))
        short, text = _labels(key, limit, lab)
        count = f"{len(shown)}"
        if len(shown) < len(given):  # what lies further from the plots is not drawn
            count = f"{len(shown)}/{len(given)}"
            text += "; " + lab["within"].format(n=len(shown), of=len(given), m=f"{reach:,.0f}")
            log.info("map context: %s, %d of %d features drawn", key, len(shown), len(given))
        rows += _draw(m, shown, (short, count, text), colors[key], lang)
    pts = np.vstack(reached) if reached else np.empty((0, 2))
    return rows, gpd.GeoSeries(shapely.points(pts), crs=crs)


def _draw(m, frame, labels: tuple[str, str, str], color: str, lang: str) -> list[tuple]:
    """One context layer (a map layer per kind of geometry in it) named by ``labels``
    (short name, count, legend text); its legend rows."""
    lab = _LABELS[lang]
    short, count, text = labels
    names = ("name_en", "name") if lang == "en" else ("name",)
    name_col = next((c for c in names if c in frame.columns), None)
    parts = _kinds(frame) or {"pg": frame}
    rows = []
    for kind, part in parts.items():
        sub = f" · {lab['kinds'][kind]}" if len(parts) > 1 else ""
        name = f"{short}{sub} ({count if len(parts) == 1 else len(part)})"
        if name in m._layer_vars:  # e.g. an exclusion layer named "grid": say what it is
            name = text + name[len(short) :]
        m.add_layer(
            part,
            name,
            color=color,
            popup=[(name_col, lab["name"])] if name_col else None,
            fill_opacity={"pg": 0.12, "ln": 0.9, "pt": 0.95}[kind],
            weight={"pg": 2.5, "ln": 3, "pt": 1.5}[kind],
            radius=6,
            stroke="#ffffff" if kind == "pt" else None,
            pane_z=400,  # beneath the plots, added after
        )
        rows.append((kind, color, text + sub, name))
    return rows


def _reached(pm: gpd.GeoDataFrame, layer_m: gpd.GeoDataFrame, limit: float) -> np.ndarray:
    """The nearest points of ``layer_m`` to the plots ``pm`` (one CRS) within ``limit``."""
    tree = shapely.STRtree(layer_m.geometry.to_numpy())
    (i, j), d = tree.query_nearest(pm.geometry.to_numpy(), return_distance=True)
    ok = d <= limit
    plots, near = pm.geometry.to_numpy()[i[ok]], layer_m.geometry.to_numpy()[j[ok]]
    return shapely.get_coordinates(shapely.get_point(shapely.shortest_line(plots, near), 1))


def _legend_html(m, rows: list, title: str) -> str:
    """The context's legend block: a row per layer, shown while that layer is on."""
    body = "".join(
        f"<div data-zl='{m._layer_vars[name]}'>{_swatch(kind, color)}{html.escape(text)}</div>"
        for kind, color, text, name in rows
    )
    tied = " ".join(m._layer_vars[name] for *_, name in rows)
    return f"<div data-zl='{tied}'><h4>{html.escape(title)}</h4>{body}</div>"


def _map(
    frame: gpd.GeoDataFrame,
    path: Path,
    by: str,
    lang: str,
    title: str,
    context: dict | None = None,
    facts: dict | None = None,
) -> None:
    from zoning.export.webmap import WebMap

    lab = _LABELS[lang]
    m = WebMap(lab[title], lang=lang)
    layers = _check_context(context)
    rows, reached = _add_context(m, frame, layers, facts or {}, lang) if layers else ([], None)
    popup = [(c, t) for c, t in _POPUP if c in frame.columns]
    shown = [v for v in USE_COLORS if v in set(frame[by])]
    m.add_layer(
        frame,
        lab[by],
        color_by=by,
        colors={v: USE_COLORS[v] for v in shown},
        popup=popup,
        fill_opacity=0.8 if "units" in layers else 0.6,  # true to the legend over unit fills
        weight=1.5,
        stroke="#212121",  # outlined: legible over the units' fills
    )
    m.add_legend(lab[by], [(USE_COLORS[v], lab[v]) for v in shown])
    if rows:
        m.add_html(_legend_html(m, rows, lab["context"]))
    focus = frame
    if reached is not None and len(reached):  # open on the plots and what they reach
        geoms = np.concatenate([frame.geometry.to_crs(reached.crs).values, reached.values])
        focus = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=reached.crs))
    m.focus(focus)
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


def write_pv(
    frame: gpd.GeoDataFrame,
    meta: dict,
    out_dir,
    /,
    *,
    lang: str = "zh",
    context: dict | None = None,
) -> dict:
    """``pv_plots.geojson``, ``summary.json`` and ``map.html`` under ``out_dir``.

    ``context``: the layers the run used, drawn beneath the plots as switchable layers:
    ``exclusions`` (name -> GeoDataFrame), ``grid`` and ``roads`` (GeoDataFrames; e.g.
    :attr:`zoning.pv.PVResult.layers`) and ``units`` (control units).  Only the
    features near the plots are drawn (within 1 km, or as far as a plot's nearest
    substation or road).
    """
    _check_context(context)
    with atomic_dir(out_dir) as tmp:
        write_geojson(frame, tmp / "pv_plots.geojson", metadata={"zoning_pv": meta})
        write_json(meta, tmp / "summary.json")
        _map(frame, tmp / "map.html", "pv_status", lang, "title_pv", context, meta)
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
    context: dict | None = None,
) -> dict:
    """``selected.geojson`` (plots given a use), ``rejected.geojson`` (risk control only,
    with the reason), ``summary.json``, ``map.html`` and ``tradeoff.png``; ``context`` as
    :func:`write_pv` (the limits named on the map come from ``summary["pv"]``)."""
    _check_context(context)
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
        _map(frame, tmp / "map.html", "use", lang, "title_alloc", context, summary.get("pv"))
    out = Path(out_dir)
    return {k: out / k for k in names}
