"""The zoning map: units by class, element zones, red line, water protection zones,
facilities and grids, as one offline HTML file."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from zoning.export.webmap import WebMap, natural_order
from zoning.i18n import STAGE_COLORS, STAGE_LABELS
from zoning.model import POLLUTANTS

#: Known layer kinds: how each is drawn (labels zh/en, colour, popup columns).
LAYER_STYLES: dict[str, dict] = {
    "red_line": {
        "zh": "生态保护红线",
        "en": "Ecological red line",
        "color": "#006d2c",
        "fill_opacity": 0.25,
        "weight": 2,
        "popup": ["id", "name", "name_en"],
    },
    "water_protection": {
        "zh": "饮用水水源保护区",
        "en": "Drinking-water source protection",
        "color": "#08519c",
        "fill_opacity": 0.35,
        "weight": 1.5,
        "color_by": "grade",
        "colors": {"first": "#08306b", "second": "#2171b5", "quasi": "#9ecae1"},
        "labels": {
            "first": ("一级保护区", "First-grade zone"),
            "second": ("二级保护区", "Second-grade zone"),
            "quasi": ("准保护区", "Quasi-protection zone"),
        },
        "popup": ["zone_id", "name", "name_en", "grade"],
    },
    "river": {
        "zh": "河流",
        "en": "River",
        "color": "#3182bd",
        "weight": 3,
        "fill_opacity": 0.6,
        "popup": ["name", "name_en"],
    },
    "facilities": {
        "zh": "企业/设施",
        "en": "Facilities",
        "color": "#636363",
        "radius": 4,
        "color_by": "stage",
        "colors": dict(STAGE_COLORS),
        "labels": dict(STAGE_LABELS),
        "popup": [
            "facility_id",
            "name",
            "name_en",
            "sector",
            "stage",
            "capacity",
            "capacity_unit",
            *[f"{p}_t" for p in POLLUTANTS],
            "energy_tce",
            "two_high",
            "tags",
        ],
    },
    "projects": {
        "zh": "拟建项目",
        "en": "Proposed projects",
        "color": "#7a0177",
        "fill_opacity": 0.4,
        "weight": 2,
        "popup": ["project_id", "name", "name_en", "sector", "description"],
    },
}


_KIND_LABELS = {
    "Point": ("点", "points"),
    "LineString": ("线", "lines"),
    "Polygon": ("面", "polygons"),
}


def zoning_map(
    units: gpd.GeoDataFrame,
    /,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    grids: Mapping[str, tuple] | None = None,
    title: str | None = None,
    lang: str = "zh",
    basemap: str = "none",
    basemap_coords: str = "wgs84",
) -> WebMap:
    """Build the zoning map.

    ``layers`` maps a name to a layer; names in :data:`LAYER_STYLES` (``red_line``,
    ``water_protection``, ``river``, ``facilities``, ``projects``) get their standard
    style, others a plain one.  ``grids`` maps a name to ``(array, transform, crs,
    units_label)`` and adds semi-transparent overlays with a colour bar (hidden at start).
    """
    en = lang == "en"
    wm = WebMap(
        title or ("生态环境分区管控图" if not en else "Ecological-environment zoning"),
        lang=lang,
        basemap=basemap,
        basemap_coords=basemap_coords,
    )
    wm.add_units(units)
    for name, frame in natural_order(layers or {}):  # 一级, 二级, 准保护区
        style = dict(LAYER_STYLES.get(name, {}))
        label = style.pop("en" if en else "zh", name)
        style.pop("zh", None)
        style.pop("en", None)
        popup_cols = [c for c in style.pop("popup", []) if c in frame.columns]
        if name in ("facilities", "projects") and en:
            popup_cols = [c for c in popup_cols if c != "name"]
        elif not en:
            popup_cols = [c for c in popup_cols if c != "name_en"]
        tooltip = next(
            (c for c in ("name_en" if en else "name", "name", "facility_id") if c in frame.columns),
            None,
        )
        labels = {k: v[1 if en else 0] for k, v in style.pop("labels", {}).items()}
        kinds = set(frame.geom_type.dropna())
        if len(kinds) > 1 and name == "projects":
            for kind, part in frame.groupby(frame.geom_type.str.replace("Multi", "")):
                kind_label = _KIND_LABELS.get(kind, (kind, kind))[1 if en else 0]
                wm.add_layer(
                    part,
                    f"{label} ({kind_label})",
                    popup=[(c, c) for c in popup_cols],
                    tooltip=tooltip,
                    **style,
                )
            wm.add_legend(label, [(style.get("color", "#3388ff"), label)])
            continue
        legend = "colors" in style
        wm.add_layer(
            frame,
            label,
            popup=[(c, c) for c in popup_cols],
            tooltip=tooltip,
            legend=legend,
            labels=labels,
            **style,
        )
        if not legend:
            wm.add_legend(label, [(style.get("color", "#3388ff"), label)])
    for name, (array, transform, crs, units_label) in (grids or {}).items():
        wm.add_grid(array, transform, crs, name, units_label=units_label, opacity=0.6)
    return wm
