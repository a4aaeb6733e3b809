"""A choropleth of per-unit statistics (``zoning stats --map FILE.html``).

One layer per statistic column (sums, means, minima, maxima; not the bookkeeping columns
``count``, ``nodata_share``, ``coverage``), coloured in quantile classes, the first shown;
each layer's legend gives the class ranges in the column's declared units (from the
table's ``attrs["units"]``; ``units unknown`` / ``单位未知`` where none was declared).
A unit without data is grey and labelled so, never a class of 0.
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np

from zoning.i18n import format_value
from zoning.quantities import units_label

log = logging.getLogger(__name__)

#: Sequential palette (light → dark), ColorBrewer YlOrRd 5.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#bdbdbd"
_SKIP = ("_count", "_nodata_share", "_coverage")
_W = {
    "zh": {"title": "管控单元统计", "no_data": "无数据", "unit": "单位", "code": "单元编码"},
    "en": {"title": "Unit statistics", "no_data": "no data", "unit": "units", "code": "unit code"},
}


def stat_columns(res: gpd.GeoDataFrame) -> list[str]:
    """The statistic columns of a table of :func:`zoning.stats.zonal_stats`, in order."""
    units = res.attrs.get("units", {})
    return [c for c in units if c in res.columns and not str(c).endswith(_SKIP)]


def _classes(values: np.ndarray, k: int = len(PALETTE)) -> np.ndarray:
    """Class edges: quantiles of the finite values (fewer classes where values repeat)."""
    v = values[np.isfinite(values)]
    if not len(v):
        return np.array([])
    return np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))


def write_stats_map(
    res: gpd.GeoDataFrame, path: str | PathLike, /, *, lang: str = "en", title: str | None = None
) -> Path:
    """Write the choropleth of ``res`` (units with statistic columns) to ``path``."""
    from zoning.export.webmap import WebMap

    lang = lang if lang in _W else "en"
    w = _W[lang]
    cols = stat_columns(res)
    if res.geometry is None or not len(cols):
        raise ValueError(
            "`res` has no geometry or no statistic columns; expected the table of zonal_stats"
        )
    units = res.attrs.get("units", {})
    wm = WebMap(title or w["title"], lang=lang)
    code = "code" if "code" in res.columns else None
    for i, col in enumerate(cols):
        values = res[col].to_numpy(dtype=float)
        edges = _classes(values)
        unit = units_label(units.get(col), lang)
        cls = np.full(len(res), "none", dtype=object)
        colors: dict[str, str] = {"none": NO_DATA}
        labels: dict[str, str] = {"none": w["no_data"]}
        if len(edges) == 1:  # one value everywhere
            cls[np.isfinite(values)] = "c0"
            colors["c0"], labels["c0"] = PALETTE[0], format_value(edges[0], lang)
        elif len(edges) > 1:
            n = len(edges) - 1
            pal = [PALETTE[round(j * (len(PALETTE) - 1) / max(n - 1, 1))] for j in range(n)]
            idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n - 1)
            ok = np.isfinite(values)
            cls[ok] = [f"c{j}" for j in idx[ok]]
            for j in range(n):
                colors[f"c{j}"] = pal[j]
                labels[f"c{j}"] = (
                    f"{format_value(edges[j], lang)} – {format_value(edges[j + 1], lang)}"
                )
        order = [k for k in colors if k != "none"] + ["none"]
        frame = gpd.GeoDataFrame(
            {
                "_class": cls,
                "_value": [
                    format_value(v, lang) if np.isfinite(v) else w["no_data"] for v in values
                ],
                "_code": res[code].astype(str).to_numpy() if code else [""] * len(res),
            },
            geometry=res.geometry.to_numpy(),
            crs=res.crs,
        )
        name = f"{col} ({unit})"
        wm.add_layer(
            frame,
            name,
            color=NO_DATA,
            color_by="_class",
            colors={k: colors[k] for k in order},
            popup=[("_code", w["code"]), ("_value", f"{col} ({unit})")],
            tooltip="_value",
            show=i == 0,
            weight=0.6,
            fill_opacity=0.75,
            legend=True,
            labels=labels,
        )
    out = wm.save(path)
    log.info("wrote %s: %d units, %d statistics", out, len(res), len(cols))
    return out


__all__ = ["PALETTE", "stat_columns", "write_stats_map"]
