"""The files of a conflicts run: GeoJSON, CSV, the offline map and the summary.

:func:`write_conflicts` reprojects the result to WGS 84 once (:func:`to_rfc7946`) and
writes ``conflicts.geojson`` (RFC 7946, through GDAL), ``conflicts.csv`` (UTF-8 with
BOM, WKT in WGS 84), ``conflicts.html`` (offline map coloured by status, popups with the
broken clauses), ``summary.json`` and, given a comparison with a baseline,
``baseline_changes.csv``, all atomically into one folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import (
    WGS84,
    to_rfc7946,
    write_csv_wkt,
    write_json,
    write_vector,
    writing_geojson,
)
from zoning.export.webmap import WebMap, natural_order
from zoning.i18n import STATUS_COLORS as STATUS_COLORS  # re-exported
from zoning.i18n import STATUS_LABELS as STATUS_LABELS  # re-exported
from zoning.model import class_label
from zoning.progress import step

log = logging.getLogger(__name__)

#: The files of a run, by kind.
FILES = {
    "geojson": "conflicts.geojson",
    "csv": "conflicts.csv",
    "html": "conflicts.html",
    "summary": "summary.json",
}

#: Above this many facilities the map shows only those that are not ``ok``.
MAP_LIMIT = 50_000
#: The share of a large GeoJSON this process writes before the CSV and the map (a second
#: process writes the rest meanwhile), so that both end at about the same time.
GEOJSON_SHARE = 0.35


def summary_text(summary: dict, lang: str, *, field_option: str | None = None) -> str:
    """The summary of a conflicts run in words (by status, class, rule; undecided rules).

    ``field_option`` (e.g. the command line's ``--facilities-field``) is how a caller maps
    a fact onto a column: a rule undecided for want of a column then says to map one with
    it (``OPTION nox_t=COLUMN``); without it the line names the missing column only."""
    labels = STATUS_LABELS[lang]
    lines = [("设施" if lang == "zh" else "facilities") + f": {summary['facilities']}"]
    lines.append("  " + ", ".join(f"{labels[s]} {n}" for s, n in summary["by_status"].items()))
    lines.append("按单元类别:" if lang == "zh" else "by unit class:")
    for cls, counts in summary["by_unit_class"].items():
        name = class_label(int(cls), lang) if cls.isdigit() else ("无" if lang == "zh" else cls)
        lines.append(
            f"  {cls} {name}: " + ", ".join(f"{labels.get(s, s)} {n}" for s, n in counts.items())
        )
    lines.append("按规则:" if lang == "zh" else "by rule:")
    for rid, n in summary["by_rule"].items():
        lines.append(f"  {rid}: {n}")
    und = summary.get("undecided") or {}
    for rid, n in und.get("by_rule", {}).items():
        cols = und.get("missing_columns", {}).get(rid)
        if lang == "zh":
            why = f"设施数据缺少字段 {', '.join(cols)}" if cols else "部分设施缺少所需信息"
            hint = f"（可用 {field_option} {cols[0]}=列名 映射）" if cols and field_option else ""
            lines.append(f"警告: 规则 {rid} 对 {n} 个设施无法判定：{why}{hint}")
        else:
            why = (
                f"the facilities have no {', '.join(repr(c) for c in cols)} column"
                if cols
                else "some facilities lack a fact it needs"
            )
            hint = (
                f" (map one with {field_option} {cols[0]}=COLUMN)" if cols and field_option else ""
            )
            lines.append(
                f"warning: rule {rid} could not be decided for {n} facilities: {why}{hint}"
            )
    rev = summary.get("review") or {}
    if rev.get("facilities"):
        if lang == "zh":
            lines.append(
                f"人工复核: {rev['facilities']} 个设施所在单元有未经机器核查的条款"
                f"（其中 {rev['ok_with_clauses_to_review']} 个结果为“符合”），见 review_clauses 列"
            )
        else:
            lines.append(
                f"review by hand: {rev['facilities']} facilities are in units with clauses no "
                f"rule checks ({rev['ok_with_clauses_to_review']} of them ok); see the "
                "review_clauses column"
            )
    if rev.get("without_access_list"):
        lines.append(
            f"警告: {rev['without_access_list']} 个设施所在单元在图层中无准入清单文本"
            if lang == "zh"
            else f"warning: {rev['without_access_list']} facilities are in units without "
            "access-list text in the layer"
        )
    return "\n".join(lines)


def write_conflicts_map(result, units, layers, rules, lang: str, path: Path, title: str) -> None:
    """The offline map of a conflicts result: facilities coloured by status, popups with
    the broken clauses; above :data:`MAP_LIMIT` facilities only those not ``ok``."""

    frame = result[result.geometry.notna()]
    total = len(frame)
    for keep in (("conflict", "restricted", "unzoned"), ("conflict",)):
        if len(frame) > MAP_LIMIT:
            frame = frame[frame["status"].isin(keep)]
    if len(frame) > MAP_LIMIT:
        frame = frame.iloc[:MAP_LIMIT]
    zh = lang == "zh"
    if len(frame) < total:
        log.info(
            "map: showing %d of %d facilities (the CSV and GeoJSON hold all)", len(frame), total
        )
    labels = STATUS_LABELS[lang]
    wm = WebMap(title, lang=lang)
    wm.add_units(units)
    wm.focus(units)  # the region checked; facilities far outside it are a pan away
    for name, layer in natural_order(layers):
        ref = rules.layers.get(name)
        label = (ref.zh if zh else ref.en) if ref is not None else None
        wm.add_layer(
            layer, label or name, color="#6a3d9a", fill_opacity=0.15, weight=1.5, show=False
        )
    cols = [
        "facility_id",
        "name",
        "unit_code",
        "status",
        "rule_ids",
        "messages",
        "clauses",
        "requirements",
        "unknown_rule_ids",
        "review",
        "review_clauses",
    ]
    frame = frame[[c for c in cols if c in frame.columns] + [frame.geometry.name]].copy()
    frame["status_label"] = frame["status"].map(labels)
    popup = [
        ("facility_id", "设施编号" if zh else "Facility"),
        ("name", "名称" if zh else "Name"),
        ("unit_code", "管控单元" if zh else "Unit"),
        ("status_label", "结果" if zh else "Outcome"),
        ("messages", "问题" if zh else "Findings"),
        ("clauses", "违反条款" if zh else "Clauses broken"),
        ("requirements", "须满足" if zh else "Requirements"),
        ("unknown_rule_ids", "待补充信息的规则" if zh else "Rules lacking facts"),
        ("review", "人工复核" if zh else "Review by hand"),
        ("review_clauses", "未经机器核查的条款" if zh else "Clauses no rule checks"),
    ]
    popup = [(c, label) for c, label in popup if c in frame.columns]
    # outcome colours of the static maps (black, purple, magenta, white, grey): none of
    # them is a unit class colour, and every point has a halo against the fill under it
    from zoning.export.staticmap import OUTCOME_COLORS

    present = set(frame["status"])
    order = ("conflict", "restricted", "unknown", "unzoned", "ok")
    shown = [s for s in order if s in labels and s in present]
    colors = {labels[s]: OUTCOME_COLORS.get(s, "#969696") for s in shown}
    status = frame["status"]
    unzoned = status.isin(("unzoned", "invalid"))
    inside = ~unzoned
    ok = status == "ok"
    bad = inside & ~ok
    # clean facilities small and below; the unzoned in their own layer, off by default when
    # they outnumber those inside the units (a national list against one region)
    if ok.any():
        wm.add_layer(
            frame[ok],
            labels["ok"],
            color=OUTCOME_COLORS["ok"],
            popup=popup,
            tooltip="facility_id",
            radius=3,
            fill_opacity=0.9,
            stroke="#222222",
            weight=1,
        )
    unzoned_name = "不在任何单元内的设施" if zh else "Facilities outside every unit"
    bad_name = "冲突与限制设施" if zh else "Conflicts and restrictions"
    if unzoned.any():
        wm.add_layer(
            frame[unzoned],
            unzoned_name,
            color=OUTCOME_COLORS["unzoned"],
            popup=popup,
            tooltip="facility_id",
            radius=4,
            fill_opacity=0.9,
            stroke="#ffffff",
            weight=1.5,
            show=bool(unzoned.sum() <= inside.sum()),
        )
    if bad.any():
        order = frame[bad]["status"].map({"unknown": 0, "restricted": 1, "conflict": 2})
        wm.add_layer(
            frame[bad].loc[order.sort_values(kind="stable").index],
            bad_name,
            color=OUTCOME_COLORS["conflict"],
            color_by="status_label",
            colors=colors,
            popup=popup,
            tooltip="facility_id",
            radius=6,
            fill_opacity=0.95,
            stroke="#ffffff",
            weight=2,
        )
    names = {"ok": labels["ok"], "unzoned": unzoned_name, "invalid": unzoned_name}
    wm.add_legend(  # each outcome listed while its layer is on
        "设施准入判定" if zh else "Facilities by outcome",
        [(colors[labels[s]], labels[s], names.get(s, bad_name)) for s in shown],
    )
    if len(frame) < total:
        note = (
            f"地图仅显示 {len(frame):,} / {total:,} 个设施（优先显示冲突），完整结果见 CSV 与 GeoJSON"
            if zh
            else f"The map shows {len(frame):,} of {total:,} facilities (conflicts "
            "first); the CSV and GeoJSON hold all of them"
        )
        wm.add_html(
            f'<div style="position:fixed;bottom:8px;left:50%;z-index:1000;'
            f'background:#fff;padding:2px 6px">{note}</div>'
        )
    wm.save(path)


def write_conflicts(
    result,
    out_dir,
    /,
    *,
    units,
    rules,
    summary: dict,
    layers: dict | None = None,
    lang: str = "zh",
    baseline_changes: pd.DataFrame | None = None,
    precision: int = 6,
) -> dict[str, Path]:
    """Write the files of a :func:`zoning.conflicts.conflicts` result into ``out_dir``.

    Parameters
    ----------
    result : GeoDataFrame
        The result, in any CRS; it is reprojected to WGS 84 once for every file.
    out_dir : path
        The folder (created; files of other steps in it are left alone).
    units, rules, layers
        Drawn on the map (units, the rules' named layers with their labels).
    summary : dict
        :func:`zoning.conflicts.summarize` with what the caller adds (sources …).
    lang : {"zh", "en"}, optional (default: "zh")
    baseline_changes : DataFrame, optional (default: None)
        :func:`zoning.rescreen.compare_conflicts` of a baseline and this result:
        written as ``baseline_changes.csv`` (the unchanged rows left out).

    Returns the path of each file, by kind (:data:`FILES`, ``baseline``).
    """
    title = "设施准入冲突" if lang == "zh" else "Access-list conflicts of facilities"
    paths = {k: Path(out_dir) / v for k, v in FILES.items()}
    with atomic_dir(out_dir) as tmp:
        with step("reproject to WGS 84", total=len(result)):
            # once: the map takes the WGS 84 frame, GeoJSON and CSV its rounded copy
            wgs = result.to_crs(WGS84) if not result.crs.equals(WGS84) else result
            geo = to_rfc7946(wgs, precision=precision)
        # GDAL writes the GeoJSON's last rows in a second process meanwhile (large results)
        with (
            step(f"write {FILES['geojson']}", total=len(geo)) as s,
            writing_geojson(
                geo,
                tmp / FILES["geojson"],
                precision=precision,
                metadata={"summary": {k: summary[k] for k in ("facilities", "by_status")}},
                rfc7946=True,
                share=GEOJSON_SHARE,
                advance=s.advance,
            ),
        ):
            with step(f"write {FILES['csv']}", total=len(geo)):
                write_csv_wkt(geo, tmp / FILES["csv"], precision=precision)
            with step(f"write {FILES['html']}"):
                write_conflicts_map(
                    wgs, units, layers or {}, rules, lang, tmp / FILES["html"], title
                )
        write_json(summary, tmp / FILES["summary"])
        if baseline_changes is not None:
            changed = baseline_changes[baseline_changes["change"] != "unchanged"]
            write_vector(changed, tmp / "baseline_changes.csv")
            paths["baseline"] = Path(out_dir) / "baseline_changes.csv"
    return paths
