"""Control units on a :class:`zoning.export.webmap.WebMap`: one layer per class
(coloured, with a legend), the element zones derived from them, and popups with code,
name, class, element, area and the four-dimension access list."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.export._mapassets import _I18N, CANVAS_THRESHOLD, _DataLayer, _safe_json
from zoning.geo import EQUAL_AREA
from zoning.model import DIMENSIONS, ELEMENTS, UNIT_CLASSES

ELEMENT_COLORS = {
    "ecological": "#1b9e77",
    "water": "#2c7fb8",
    "air": "#a6761d",
    "soil": "#7570b3",
    "sea": "#41b6c4",
    "resource": "#e7298a",
    "comprehensive": "#999999",
}


def add_units(
    m,
    units: gpd.GeoDataFrame,
    /,
    *,
    name: str | None = None,
    show: bool = True,
    elements: bool = True,
) -> None:
    """Add control units to the map ``m``: one layer per class, and element zones."""
    from zoning.export._mapgeo import to_map_crs
    from zoning.model import normalise_units

    t = _I18N[m.lang]
    frame = normalise_units(units)  # class labels such as 优先保护单元 → 1
    area = to_map_crs(frame, EQUAL_AREA).area / 1e6 if len(frame) else pd.Series(dtype=float)
    frame["_area_km2"] = np.round(np.asarray(area, dtype=float), 3)
    en = m.lang == "en"
    frame["_name"] = frame.get("name_en" if en else "name", frame.get("name"))
    if en and "name_en" in frame and "name" in frame:
        frame["_name"] = frame["name_en"].fillna(frame["name"])
    frame["_class"] = [
        UNIT_CLASSES[c].label(m.lang) if c in UNIT_CLASSES else str(c)
        for c in frame["unit_class"].tolist()
    ]
    el = (
        frame["element"]
        if "element" in frame
        else pd.Series([None] * len(frame), index=frame.index)
    )
    frame["_element"] = [ELEMENTS[e][1 if en else 0] if e in ELEMENTS else e for e in el.tolist()]
    cols = [
        ("code", t["code"]),
        ("_name", t["name"]),
        ("_class", t["class"]),
        ("_element", t["element"]),
        ("subtype", t["subtype"]),
        ("_area_km2", t["area"]),
    ]
    for d in DIMENSIONS:
        col = d.column + "_en" if en and d.column + "_en" in frame else d.column
        cols.append((col, f"{d.label(m.lang)}"))
    prepared = m._prepare(frame, simplify=True)
    present = set(prepared.get("element", pd.Series()).dropna())
    keys = [k for k in ELEMENTS if k in present]
    lookup = {k: i for i, k in enumerate(keys)}
    element = prepared["element"].to_numpy(dtype=object) if "element" in prepared else None
    elem_idx = np.array(
        [lookup.get(e, 0) for e in ([None] * len(prepared) if element is None else element)],
        dtype=int,
    )
    groups = [
        (
            f"units:{d}",
            uc.label(m.lang),
            uc.color,
            (prepared["unit_class"] == d).to_numpy(dtype=bool),
        )
        for d, uc in UNIT_CLASSES.items()
    ]
    known = np.any([g[3] for g in groups], axis=0) if len(prepared) else np.zeros(0, bool)
    if (~known).any():
        groups.append(("units:other", "?", "#bbbbbb", ~known))
    layers = []
    for key, label, color, mask in groups:
        if len(prepared) and not mask.any():  # no unit of this class here: no empty layer
            continue
        part = prepared[mask]
        payload, n = m._payload(
            part,
            colors=[color],
            color_idx=np.zeros(len(part), dtype=int),
            cols=cols,
            title=1,
            tip=0,
            pane_z=400,
            weight=0.8 if len(prepared) <= CANVAS_THRESHOLD else 0.2,
            fill=0.45,
            radius=5,
            stroke="#444",
            extra_idx=elem_idx[mask],
        )
        layer = _DataLayer(f"{label} ({n})", payload, show=show)
        layer.add_to(m.map)
        layers.append(layer)
        m._layer_vars[key] = layer.get_name()
        m.layer_counts[key] = n
    m.add_legend(
        name or t["units"],
        [  # a class with no unit on this map is not listed
            (uc.color, uc.label(m.lang), f"units:{d}")
            for d, uc in UNIT_CLASSES.items()
            if m.layer_counts.get(f"units:{d}")
        ],
    )
    if elements and keys:
        # the element zones reuse the geometry of the class layers: stored once
        m._z += 1
        extra = {
            "colors": [ELEMENT_COLORS.get(k, "#999999") for k in keys],
            "pane": f"z{m._z}",
            "z": 405 + m._z - 400,
            "weight": 0.5,
            "fill": 0.4,
            "stroke": "#333",
            "texts": [],
        }
        refs = ",".join(f"{lyr.get_name()}_data" for lyr in layers)
        derive = f"zMerge([{refs}], {_safe_json(extra)})"
        elayer = _DataLayer(t["elements"], derive, show=False)
        elayer.add_to(m.map)
        m._layer_vars[t["elements"]] = elayer.get_name()
        m.layer_counts["elements"] = len(prepared)
        m.add_legend(
            t["elements"],
            [(ELEMENT_COLORS.get(k, "#999999"), ELEMENTS[k][1 if en else 0]) for k in keys],
        )
