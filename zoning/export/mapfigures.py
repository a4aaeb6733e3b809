"""The static maps each product writes, drawn with :func:`zoning.export.staticmap.static_map`.

:func:`site_map` (one screened project: the units it touches by class, the red line and
water zones, the nearest priority unit, distances), :func:`units_png` (``zoning map``),
:func:`conflicts_png`, :func:`hotspots_png` and :func:`afforest_png`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import InputError
from zoning.export.staticmap import (
    _T,
    LAYER_LOOKS,
    OUTCOME_COLORS,
    OUTCOME_MARKERS,
    Layer,
    Text,
    _kind,
    _lang,
    _near_view,
    _out,
    static_map,
    to_map_crs,
)
from zoning.model import UNIT_CLASSES, normalise_class

log = logging.getLogger(__name__)


def _unit_layers(units: gpd.GeoDataFrame, alpha: float = 0.75, **kw) -> list[Layer]:
    """Control units filled by class (real swatches: 优先保护 green, 重点管控 red, …)."""
    frame = units.copy()
    frame["_class"] = [normalise_class(v) for v in units["unit_class"]]
    classes = {d: (c.color, (c.zh, c.en)) for d, c in UNIT_CLASSES.items()}
    return [
        Layer(
            frame,
            ("类别不明的单元", "Units of unknown class"),
            color="#d9d9d9",
            edgecolor="#ffffff",
            linewidth=0.5,
            alpha=alpha,
            column="_class",
            classes=classes,
            zorder=1,
            **kw,
        )
    ]


def _named_layers(layers: Mapping[str, gpd.GeoDataFrame] | None, labels=None) -> list[Layer]:
    from zoning.export.webmap import natural_order

    out = []
    other = 0
    for name, frame in natural_order(dict(layers or {})):  # 一级, 二级, 准保护区
        if frame is None or not len(frame) or name.startswith("_"):
            continue
        kw = {"label": labels[name]} if labels and name in labels else {}
        out.append(Layer.named(name, frame, other=other, zorder=3, **kw))
        other += name not in LAYER_LOOKS
    return out


def units_png(
    units: gpd.GeoDataFrame,
    /,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    path: str | os.PathLike | None = None,
    *,
    lang: Literal["zh", "en"] = "zh",
    title: str | None = None,
    **kw,
) -> bytes:
    """The static twin of ``zoning map``: units by class and the named layers.

    ``layers`` as in :func:`zoning.export.zoningmap.zoning_map` (``red_line``,
    ``water_protection``, ``river``, ``facilities``, ``projects``, others plainly).
    Written to ``path`` when given; the PNG bytes are returned.
    """
    lang = _lang(lang)
    png = static_map(
        _unit_layers(units) + _named_layers(layers),
        title=title or _T[lang]["units_map"],
        lang=lang,
        **kw,
    )
    return _out(png, path)


def conflicts_png(
    result: gpd.GeoDataFrame,
    /,
    units: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    path: str | os.PathLike | None = None,
    *,
    lang: Literal["zh", "en"] = "zh",
    title: str | None = None,
    **kw,
) -> bytes:
    """Facilities by conflict status over the units (the output of ``conflicts()``).

    Statuses get shapes and colours of their own (:data:`OUTCOME_COLORS`,
    :data:`OUTCOME_MARKERS`) over a white halo: a conflict on a red key-control unit
    stays visible.  Invalid rows have no geometry and are not drawn.
    """
    from zoning.i18n import STATUSES

    lang = _lang(lang)
    labels = {
        "conflict": ("冲突（禁止）", "conflict (prohibited)"),
        "restricted": ("限制（有条件）", "restricted (conditions)"),
        "unknown": ("待定（缺少信息）", "undecided (facts missing)"),
        "ok": ("无冲突", "no conflict"),
        "unzoned": ("不在任何单元内", "outside every unit"),
    }
    fac = result[result.geometry.notna()]
    status_layers = [
        Layer(
            fac[(fac["status"] == s).to_numpy()],
            labels.get(s, (s, s)),
            color=OUTCOME_COLORS.get(s, "#969696"),
            marker=OUTCOME_MARKERS.get(s, "o"),
            markersize=40 if s in ("conflict", "restricted") else 24,
            halo=True,
            zorder=6 - 0.5 * k,  # conflicts on top, first in the legend
        )
        for k, s in enumerate(STATUSES)
        if s != "invalid"
    ]
    png = static_map(
        _unit_layers(units, alpha=0.6) + _named_layers(layers) + status_layers,
        title=title or _T[lang]["conflicts_map"],
        lang=lang,
        **kw,
    )
    return _out(png, path)


def hotspots_png(
    result: gpd.GeoDataFrame,
    /,
    path: str | os.PathLike | None = None,
    *,
    lang: Literal["zh", "en"] = "zh",
    title: str | None = None,
    **kw,
) -> bytes:
    """Units by co-control class (the output of ``co_hotspots()``); no data is white."""
    from zoning.i18n import CO_CLASSES

    lang = _lang(lang)
    layer = Layer(
        result,
        ("其他", "other"),
        color="#d9d9d9",
        edgecolor="#969696",
        linewidth=0.4,
        column="co_class",
        classes={k: (v[2], (v[0], v[1])) for k, v in CO_CLASSES.items()},
    )
    png = static_map([layer], title=title or _T[lang]["hotspots_map"], lang=lang, **kw)
    return _out(png, path)


def afforest_png(
    result,
    /,
    units: gpd.GeoDataFrame | None = None,
    county: gpd.GeoDataFrame | None = None,
    path: str | os.PathLike | None = None,
    *,
    lang: Literal["zh", "en"] = "zh",
    title: str | None = None,
    notes: Sequence[Text] = (),
    **kw,
) -> bytes:
    """The selection in context: county outline, units, parcels, candidate and selected
    patches (``result`` is a :class:`zoning.siting.SitingResult` or has ``patches`` with
    ``selected`` and ``parcels``)."""
    lang = _lang(lang)
    t = _T[lang]
    patches = result.patches
    layers = _unit_layers(units, alpha=0.35) if units is not None and len(units) else []
    parcels = getattr(result, "parcels", None)
    if parcels is not None and len(parcels):
        cand = (
            parcels["candidate"].fillna(False).astype(bool).to_numpy()
            if "candidate" in parcels.columns
            else np.zeros(len(parcels), dtype=bool)  # e.g. only the rejected parcels
        )
        layers.append(
            Layer(
                parcels[~np.asarray(cand)], t["parcel"], color="#f7f7f7", edgecolor="#969696",
                linewidth=0.3, zorder=3,
            )
        )  # fmt: skip
    sel = patches["selected"].fillna(False).astype(bool).to_numpy()
    layers.append(
        Layer(patches[~sel], t["candidate"], color="none", edgecolor="#7b3294", linewidth=1.0,
              hatch="....", zorder=4)
    )  # fmt: skip
    layers.append(
        Layer(patches[sel], t["selected"], color="#00441b", edgecolor="#000000", linewidth=1.0,
              zorder=5)
    )  # fmt: skip
    extent = patches if len(patches) else None
    if county is not None and len(county):
        layers.append(
            Layer(county, t["county"], color="none", edgecolor="#000000", linewidth=1.6, zorder=6)
        )
        extent = county
    png = static_map(
        layers, extent=extent, title=title or t["afforest_map"], lang=lang, notes=notes, **kw
    )
    return _out(png, path)


# --------------------------------------------------------------------------------------
# the site map of one screened project


def _one_project(result, project_id):
    """(project row, its overlaps, its distances) from a ScreeningResult or a dict."""
    if isinstance(result, Mapping):
        proj = result["project"]
        overlaps = result.get("overlaps")
        distances = result.get("distances")
    else:
        proj, overlaps, distances = result.projects, result.overlaps, result.distances
    if project_id is None:
        if len(proj) != 1:
            raise InputError(
                f"the result holds {len(proj)} projects; `project_id` must name one",
                param="project_id",
            )
        project_id = proj["project_id"].iloc[0]
    pick = proj[proj["project_id"] == project_id]
    if len(pick) != 1:
        raise InputError(
            f"`project_id` was {project_id!r} but the result holds "
            f"{proj['project_id'].tolist()[:10]}",
            param="project_id",
        )

    def mine(frame):
        if frame is None or not len(frame):
            return None
        return frame[frame["project_id"] == project_id]

    return pick, mine(overlaps), mine(distances)


def site_map(
    result,
    /,
    units: gpd.GeoDataFrame | None,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: Literal["zh", "en"] = "zh",
    *,
    project_id: str | None = None,
    layer_labels: Mapping[str, Text] | None = None,
    path: str | os.PathLike | None = None,
    max_distance_m: float = 10_000,
    min_margin_m: float = 1_000,
    **kw,
) -> bytes:
    """The site map of one screened project, for printed reports.

    Parameters
    ----------
    result : ScreeningResult or dict
        A :class:`zoning.screen.ScreeningResult` (with ``project_id`` when it holds several
        projects), or ``{"project": GeoDataFrame of one row (project_id, verdict, geometry),
        "overlaps": DataFrame (project_id, unit_code), "distances": GeoDataFrame
        (project_id, target, label_zh, label_en, distance_m, nearest; shortest lines)}``.
    units : GeoDataFrame or None
        Control units; those in view are filled by class, those the project touches get a
        black outline, the nearest priority unit a dark-green one.
    layers : mapping name → GeoDataFrame, optional
        Named layers (``red_line``, ``water_protection`` …) drawn hatched.
    lang : {"zh", "en"}, optional (default: "zh")
    layer_labels : mapping name → str or (zh, en), optional
        Legend labels of layers not in :data:`LAYER_LOOKS` (e.g. the rule file's).
    max_distance_m : float, optional (default: 10000)
        Shortest lines to targets nearer than this are drawn and kept in view.
    min_margin_m : float, optional (default: 1000)
        At least this much around the site is in view.

    The site is outlined (white halo under a line in the verdict's colour of
    :data:`OUTCOME_COLORS`, none of which is a unit fill).
    """
    from zoning.i18n import VERDICTS

    proj, overlaps, dist = _one_project(result, project_id)
    pid = str(proj["project_id"].iloc[0])
    verdict = str(proj["verdict"].iloc[0])
    lang = _lang(lang)
    t = _T[lang]
    from zoning.geo import local_crs

    ll = to_map_crs(proj, "EPSG:4326").geometry.iloc[0]
    c = ll.representative_point() if not ll.is_empty else shapely.Point(0, 0)
    crs = kw.pop("crs", None) or local_crs(c.x, c.y)
    site = to_map_crs(proj, crs)
    parts = [np.asarray(site.geometry.values)]
    lines = None
    if dist is not None and len(dist):
        dist = dist[dist.geometry.notna() & ~dist.geometry.is_empty]
        lines = dist[(dist["distance_m"] <= max_distance_m).to_numpy()]
        if len(lines):
            lines = to_map_crs(lines, crs)
            parts.append(np.asarray(lines.geometry.values))
    core = shapely.envelope(shapely.union_all(np.concatenate(parts)))
    span = max(core.bounds[2] - core.bounds[0], core.bounds[3] - core.bounds[1])
    extent = shapely.buffer(core, max(min_margin_m, 0.15 * span), cap_style="square").bounds
    layers_out: list[Layer] = []
    touched_codes: set = set()
    if overlaps is not None and "unit_code" in overlaps.columns:
        touched_codes = set(overlaps["unit_code"].dropna().astype(str))
    nearest_code = None
    if dist is not None and len(dist) and "target" in dist.columns:
        pr = dist[dist["target"] == "priority_unit"]
        if len(pr) and "nearest" in pr.columns and pd.notna(pr["nearest"].iloc[0]):
            nearest_code = str(pr["nearest"].iloc[0])
    annotations: list = []
    notes: list = list(kw.pop("notes", ()))
    if units is not None and len(units):
        # the units around the site only (a box holding the view: the extent padded and
        # widened to the map frame), so a national layer is not copied and reprojected
        cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
        (fw, fh), pad = kw.get("size", (8.0, 5.6)), kw.get("pad", 0.06)
        widen = max(fw * 0.96 / (fh * 0.84), fh * 0.84 / (fw * 0.68))
        r = 1.05 * (0.5 + pad) * widen * max(extent[2] - extent[0], extent[3] - extent[1])
        units = _near_view(units, crs, shapely.box(cx - r, cy - r, cx + r, cy + r))
        layers_out += _unit_layers(units, alpha=0.55)
        codes = units["code"].astype(str)
        touched = units[codes.isin(touched_codes).to_numpy()]
        if len(touched):
            layers_out.append(
                Layer(touched, t["touched"], color="none", edgecolor="#000000", linewidth=1.6,
                      linestyle=(0, (4, 2)), zorder=4)
            )  # fmt: skip
            shown = sorted(touched_codes)
            more = len(shown) - 6
            zh, en = "、".join(shown[:6]), ", ".join(shown[:6])
            if more > 0:
                zh, en = f"{zh} 等 {len(shown)} 个", f"{en} and {more} more"
            notes.append((f"涉及单元：{zh}", f"Units touched: {en}"))
        if nearest_code is not None and nearest_code not in touched_codes:
            near = units[(codes == nearest_code).to_numpy()]
            layers_out.append(
                Layer(near, f"{t['nearest']} {nearest_code}", color="none", edgecolor="#00441b",
                      linewidth=2.4, zorder=4)
            )  # fmt: skip
    layers_out += _named_layers(layers, layer_labels)
    if lines is not None and len(lines):
        layers_out.append(
            Layer(lines, ("最短距离", "Shortest distance"), color="#000000", linewidth=1.2,
                  linestyle="--", halo=True, zorder=6)
        )  # fmt: skip
        for _, row in lines.iterrows():
            if row["distance_m"] <= 0:
                continue
            # at the target's end, reading away from the site (never over it)
            (sx, sy), (ex, ey) = row.geometry.coords[0], row.geometry.coords[-1]
            ha = "right" if ex < sx - 1e-9 else "left" if ex > sx + 1e-9 else "center"
            va = "top" if ey < sy - 1e-9 else "bottom" if ey > sy + 1e-9 else "center"
            label = row.get("label_zh" if lang == "zh" else "label_en") or row["target"]
            annotations.append((ex, ey, f"{label} {row['distance_m']:,.0f} m", ha, va))
    vz, ve = VERDICTS.get(verdict, (verdict, verdict))
    color = OUTCOME_COLORS.get(verdict, "#000000")
    kind = _kind(site.geom_type.iloc[0])
    site_layer = Layer(
        site,
        (f"{t['project']} {pid}：{vz}", f"{t['project']} {pid}: {ve}"),
        color=color if kind != "fill" else "none",
        edgecolor=color if kind == "fill" else None,
        linewidth=2.5 if kind != "point" else 0.8,
        marker="*",
        markersize=220,
        halo=True,
        zorder=8,
    )
    if kind == "fill":  # a white halo under the outline: visible on any fill
        layers_out.append(
            Layer(
                site, "", color="none", edgecolor="#ffffff", linewidth=5.0, legend=False, zorder=7
            )
        )
    layers_out.append(site_layer)
    png = static_map(
        layers_out,
        extent=extent,
        crs=crs,
        title=(f"{pid} {t['site_map']}", f"{pid} {t['site_map']}"),
        subtitle=(f"{t['verdict']}：{vz}", f"{t['verdict']}: {ve}"),
        lang=lang,
        annotations=annotations,
        notes=notes,
        **kw,
    )
    return _out(png, path)


def classes_png(
    frame: gpd.GeoDataFrame,
    /,
    column: str,
    classes: Mapping[object, tuple[str, Text]],
    path: str | os.PathLike | None = None,
    *,
    units: gpd.GeoDataFrame | None = None,
    label: Text = ("其他", "other"),
    lang: Literal["zh", "en"] = "zh",
    title: Text | None = None,
    **kw,
) -> bytes:
    """Features of ``frame`` coloured by ``column`` (value → (colour, label)), over the
    control units in grey outline when given: the static twin of a class map (soil
    classes, statistics in classes, allocations, changes between editions), e.g. a
    front page's thumbnail.  Values not listed are drawn grey under ``label``."""
    lang = _lang(lang)
    layers: list[Layer] = []
    if units is not None and len(units):
        layers.append(
            Layer(units, ("管控单元", "Control units"), color="#f7f7f7", edgecolor="#969696",
                  linewidth=0.4, zorder=1)
        )  # fmt: skip
    layers.append(
        Layer(frame, label, color="#bdbdbd", edgecolor="#ffffff", linewidth=0.3,
              column=column, classes=dict(classes), zorder=2)
    )  # fmt: skip
    return _out(static_map(layers, title=title, lang=lang, **kw), path)


#: Size and resolution of thumbnails (480 × 336 pixels).
THUMBNAIL = {"size": (6.0, 4.2), "dpi": 80}


__all__ = [
    "THUMBNAIL",
    "afforest_png",
    "classes_png",
    "conflicts_png",
    "hotspots_png",
    "site_map",
    "units_png",
]
