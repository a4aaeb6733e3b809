"""Writing co-hot-spot results: GeoJSON, a map with a bivariate legend, and a summary.

:func:`write_hotspots` writes, atomically into one folder, ``hotspots.geojson`` (RFC 7946,
every unit with its intensities, Gi* statistics and co-control class),
``hotspots.html`` (an offline map: units coloured by class, a 2 x 2 bivariate legend
pollution x carbon, the grids as semi-transparent layers with colour bars) and
``summary.json``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_geojson, write_json

_TEXT = {
    "zh": {
        "title": "减污降碳协同热点（Getis-Ord Gi*，FDR 校正）",
        "layer": "协同管控分类",
        "legend": "热点分类",
        "pollution": "污染物热点",
        "carbon": "碳排放热点",
        "yes": "是",
        "rows": "行",
        "cols": "列",
        "no": "否",
        "code": "单元编码",
        "name": "单元名称",
        "class": "分类",
        "p_int": "污染物排放强度",
        "c_int": "碳排放强度",
        "no_data": "无数据、未参与检验的单元",
        "p_z": "污染物 Gi* z",
        "c_z": "碳 Gi* z",
        "p_q": "污染物 q 值 (FDR)",
        "c_q": "碳 q 值 (FDR)",
    },
    "en": {
        "title": "Pollution and carbon co-hot-spots (Getis-Ord Gi*, FDR-corrected)",
        "layer": "Co-control class",
        "legend": "Hot-spot class",
        "pollution": "pollutant hot spot",
        "carbon": "carbon hot spot",
        "yes": "yes",
        "rows": "rows",
        "cols": "columns",
        "no": "no",
        "code": "Unit code",
        "name": "Unit name",
        "class": "Class",
        "p_int": "Pollutant intensity",
        "c_int": "Carbon intensity",
        "no_data": "units without data, not tested",
        "p_z": "Pollutant Gi* z",
        "c_z": "Carbon Gi* z",
        "p_q": "Pollutant q-value (FDR)",
        "c_q": "Carbon q-value (FDR)",
    },
}


def _bivariate_legend(counts: Mapping[str, int], lang: str = "zh", names=("", "")) -> str:
    """A 2 x 2 legend: columns pollutant hot no/yes, rows carbon hot yes/no, with counts."""
    from zoning.i18n import CO_CLASSES

    t = _TEXT[lang]
    pol, car = (html.escape(n) for n in names)

    def cell(key: str) -> str:
        zh, en, color = CO_CLASSES[key]
        label = html.escape(zh if lang == "zh" else en)
        return (
            f"<td title='{label}' style='background:{color};width:54px;height:34px;"
            f"text-align:center;font-weight:bold;color:#222'>{int(counts.get(key, 0))}</td>"
        )

    yes, no = html.escape(t["yes"]), html.escape(t["no"])
    head = "padding:2px 4px;text-align:center"
    return (
        f"<h4>{html.escape(t['legend'])}</h4>"
        f"<div style='font-size:11px'>{html.escape(t['rows'])}: {html.escape(t['carbon'])} "
        f"{car}<br>{html.escape(t['cols'])}: {html.escape(t['pollution'])} {pol}</div>"
        "<table class='zbivariate' style='border-collapse:collapse;font-size:11px'>"
        f"<tr><td></td><td style='{head}'>{no}</td><td style='{head}'>{yes}</td></tr>"
        f"<tr><td style='{head}'>{yes}</td>{cell('carbon')}{cell('both')}</tr>"
        f"<tr><td style='{head}'>{no}</td>{cell('neither')}{cell('pollution')}</tr>"
        "</table>"
        + (
            f"<div style='font-size:11px'>{int(counts.get('no_data', 0))} "
            f"{html.escape(t['no_data'])}</div>"
            if counts.get("no_data")
            else ""
        )
    )


def _intensity_label(result, role: str, lang: str) -> tuple[str, str]:
    """(column, popup label with the units declared, in ``lang``) of a role's intensity."""
    from zoning.io.raster import units_label

    col = f"{role}_t_per_km2" if f"{role}_t_per_km2" in result.columns else f"{role}_per_km2"
    units = result.attrs.get("units", {}).get(col, "unknown")
    shown = "t/km²/年" if lang == "zh" else "t/km²/yr"
    if units != "t/km2/yr":
        shown = units_label(None if units == "unknown" else units.replace("km2", "km²"), lang)
        if units == "unknown":
            shown += "/km²"
    key = "p_int" if role == "pollutant" else "c_int"
    return col, f"{_TEXT[lang][key]} ({shown})"


def write_hotspots(
    result: gpd.GeoDataFrame,
    out_dir: str | PathLike,
    /,
    *,
    grids: Mapping[str, tuple] | None = None,
    lang: str = "zh",
    title: str | None = None,
) -> dict[str, Path]:
    """Write ``hotspots.geojson``, ``hotspots.html`` and ``summary.json`` into ``out_dir``.

    Parameters
    ----------
    result : GeoDataFrame
        The output of :func:`zoning.hotspots.co_hotspots`.
    out_dir : path
        Folder to write into (created); nothing is written if any part fails.
    grids : mapping name → (array, Affine, crs, units_label), optional
        Grids drawn as semi-transparent layers with a colour bar (hidden at first).
    lang : {"zh", "en"}, optional (default: "zh")
    title : str, optional (default: a title in ``lang``)

    Returns
    -------
    dict
        ``{"geojson": ..., "html": ..., "summary": ...}`` → paths.
    """
    from zoning.export.webmap import WebMap
    from zoning.i18n import CO_CLASSES

    t = _TEXT[lang]
    summary = dict(result.attrs.get("summary", {}))
    summary["column_units"] = result.attrs.get("units", {})
    out_dir = Path(out_dir)
    paths = {
        "geojson": out_dir / "hotspots.geojson",
        "html": out_dir / "hotspots.html",
        "summary": out_dir / "summary.json",
    }
    with atomic_dir(out_dir) as tmp:
        write_geojson(result, tmp / "hotspots.geojson", metadata=summary)
        wm = WebMap(title or t["title"], lang=lang)
        for name, (array, transform, crs, label) in (grids or {}).items():
            wm.add_grid(array, transform, crs, name, opacity=0.55, units_label=label, show=False)
        colors = {k: v[2] for k, v in CO_CLASSES.items()}
        p_col, p_label = _intensity_label(result, "pollutant", lang)
        c_col, c_label = _intensity_label(result, "carbon", lang)
        popup = [
            ("code", t["code"]),
            *([("name", t["name"])] if "name" in result.columns else []),
            ("co_class_label", t["class"]),
            (p_col, p_label),
            (c_col, c_label),
            ("pollutant_gi_z", t["p_z"]),
            ("pollutant_gi_q", t["p_q"]),
            ("carbon_gi_z", t["c_z"]),
            ("carbon_gi_q", t["c_q"]),
        ]
        shown = result.copy()
        for col in (p_col, c_col, "pollutant_gi_z", "carbon_gi_z"):
            shown[col] = shown[col].round(3)
        for col in ("pollutant_gi_q", "carbon_gi_q"):
            shown[col] = shown[col].map(lambda v: None if np.isnan(v) else float(f"{v:.3g}"))
        wm.add_layer(
            shown,
            t["layer"],
            color_by="co_class",
            colors=colors,
            popup=popup,
            tooltip="code",
            fill_opacity=0.7,
        )
        names = (summary.get("pollutant", ""), summary.get("carbon", ""))
        wm.add_html(_bivariate_legend(summary.get("classes", {}), lang, names), layer=t["layer"])
        wm.save(tmp / "hotspots.html")
        write_json(summary, tmp / "summary.json")
    return paths


__all__ = ["write_hotspots"]
