"""Screening reports: ``report.html`` (self-contained, printable), ``result.json``, ``summary.csv``.

:func:`write_screening` writes, for a :class:`zoning.screen.ScreeningResult`,

- one ``report.html`` per project: verdict, reasons, conditions, missing facts, an
  embedded offline map (the site, the units around it, the named layers and the shortest
  lines to the nearest protected areas; a :class:`zoning.export.webmap.WebMap` page inside
  an ``<iframe srcdoc>``), the units touched with overlap and share, the distances, grid
  values, every rule checked with its clause, the four-dimension access list of every unit
  touched, the project's facts, the inputs and a signature block for the reviewer; Chinese
  or English; print CSS for A4;
- ``result.json`` with the same content, the input files' SHA-256, the tool version and
  the rule file's name, format version and hash, so a report can be reproduced;
- ``summary.csv`` (UTF-8 with BOM, for Excel), one row per project.

One project: the files go straight into ``out``; a batch: ``out/<project_id>/report.html``
and ``result.json`` per project (up to ``max_reports``), plus ``out/result.json`` (every
project) and ``out/summary.csv``.  Everything is written atomically.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_json
from zoning.i18n import VERDICT_COLORS, VERDICTS
from zoning.model import DIMENSIONS, ELEMENTS, UNIT_CLASSES, class_label

if TYPE_CHECKING:
    from zoning.screen import ScreeningResult

log = logging.getLogger(__name__)

_T = {
    "zh": {
        "title": "建设项目选址生态环境分区管控研判报告",
        "project": "项目",
        "id": "项目编号",
        "name": "项目名称",
        "geom": "选址形态",
        "point": "点位",
        "line": "线性工程",
        "polygon": "用地范围",
        "size": "规模",
        "verdict": "研判结论",
        "reasons": "依据",
        "conditions": "准入条件（须落实）",
        "missing": "需补充的信息",
        "map": "选址位置示意图",
        "units": "涉及的环境管控单元",
        "code": "单元编码",
        "uname": "单元名称",
        "class": "管控类别",
        "element": "要素",
        "overlap": "重叠面积 (m²)",
        "overlap_m": "穿越长度 (m)",
        "share": "占比 (%)",
        "boundary": "位于单元边界",
        "distances": "与敏感区的距离",
        "target": "对象",
        "nearest": "最近要素",
        "distance": "距离 (m)",
        "inside": "是否位于其中",
        "yes": "是",
        "no": "否",
        "grids": "选址处格网值",
        "grid": "格网",
        "value": "数值",
        "rules": "准入规则核查",
        "rule": "规则",
        "dimension": "维度",
        "outcome": "结果类型",
        "status": "核查结果",
        "clause": "条款",
        "message": "说明",
        "requirement": "要求",
        "where": "所在单元",
        "fired": "触发",
        "unknown": "无法判定（缺信息）",
        "not_triggered": "未触发",
        "prohibited": "禁止",
        "restricted": "限制",
        "allowed": "准入",
        "access": "管控单元生态环境准入清单",
        "facts": "项目信息",
        "inputs": "输入数据与可复现信息",
        "file": "文件",
        "notes": "说明",
        "sign": "审核意见",
        "reviewer": "审核人（签字）",
        "date": "日期",
        "opinion": "审核意见",
        "unit_label": "单位",
        "generated": "生成时间",
        "tool": "软件版本",
        "ruleset": "规则集",
        "crs": "面积按等积投影 {area} 计算；长度与距离按当地高斯-克吕格/UTM 投影 {dist} 计算（米）。",
        "outside": "选址有 {pct:.1f}% 位于管控单元范围之外。",
        "none": "无",
        "geometry_note": "几何说明",
        "not_shown": "（超过 10 km，图中未画出）",
        "review": "需人工复核的准入条款",
        "review_note": "以下条款没有任何规则核查，研判结论未考虑它们；请逐条人工核对（禁止类在前）。",
    },
    "en": {
        "title": "Project siting screening against ecological-environment zoning",
        "project": "Project",
        "id": "Project id",
        "name": "Name",
        "geom": "Site",
        "point": "point",
        "line": "line (linear works)",
        "polygon": "polygon (site boundary)",
        "size": "Size",
        "verdict": "Verdict",
        "reasons": "Reasons",
        "conditions": "Conditions to meet",
        "missing": "Information needed",
        "map": "Site map",
        "units": "Control units touched",
        "code": "Unit code",
        "uname": "Unit name",
        "class": "Class",
        "element": "Element",
        "overlap": "Overlap (m²)",
        "overlap_m": "Length (m)",
        "share": "Share (%)",
        "boundary": "On the unit boundary",
        "distances": "Distances to protected areas",
        "target": "Target",
        "nearest": "Nearest feature",
        "distance": "Distance (m)",
        "inside": "Inside",
        "yes": "yes",
        "no": "no",
        "grids": "Grid values at the site",
        "grid": "Grid",
        "value": "Value",
        "rules": "Access rules checked",
        "rule": "Rule",
        "dimension": "Dimension",
        "outcome": "Outcome",
        "status": "Result",
        "clause": "Clause",
        "message": "Finding",
        "requirement": "Requirement",
        "where": "Units",
        "fired": "fired",
        "unknown": "undecided (information missing)",
        "not_triggered": "not triggered",
        "prohibited": "prohibited",
        "restricted": "restricted",
        "allowed": "allowed",
        "access": "Access lists of the units touched",
        "facts": "Project facts",
        "inputs": "Inputs and reproducibility",
        "file": "File",
        "notes": "Notes",
        "sign": "Review",
        "reviewer": "Reviewer (signature)",
        "date": "Date",
        "opinion": "Opinion",
        "unit_label": "Unit",
        "generated": "Generated",
        "tool": "Tool version",
        "ruleset": "Rule set",
        "crs": "Areas in the equal-area CRS {area}; lengths and distances in metres in the "
        "local Gauss-Krüger/UTM CRS {dist}.",
        "outside": "{pct:.1f}% of the site lies outside every control unit.",
        "none": "none",
        "geometry_note": "Geometry note",
        "not_shown": " (over 10 km, not drawn on the map)",
        "review": "Access-list clauses to review by hand",
        "review_note": "No rule checks these clauses; the verdict does not take them into "
        "account. Check each by hand (prohibitions first).",
    },
}
_FACT_NAMES = {
    "sector": ("行业代码", "Sector (GB/T 4754)"),
    "stage": ("建设阶段", "Stage"),
    "capacity": ("产能", "Capacity"),
    "capacity_unit": ("产能单位", "Capacity unit"),
    "so2_t": ("SO2 (t/a)", "SO2 (t/yr)"),
    "nox_t": ("NOx (t/a)", "NOx (t/yr)"),
    "pm_t": ("颗粒物 (t/a)", "PM (t/yr)"),
    "vocs_t": ("VOCs (t/a)", "VOCs (t/yr)"),
    "co2_t": ("CO2 (t/a)", "CO2 (t/yr)"),
    "energy_tce": ("综合能耗 (tce/a)", "Energy (tce/yr)"),
    "two_high": ("两高项目", "Two-high"),
    "tags": ("标签", "Tags"),
}
_CSS = """
*{box-sizing:border-box}body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
"Helvetica Neue",Arial,sans-serif;margin:0;color:#222;background:#f4f4f4;font-size:14px}
main{max-width:1000px;margin:0 auto;background:#fff;padding:28px 36px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #444;
padding-bottom:3px;margin:26px 0 10px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}th,td{border:1px solid #bbb;
padding:4px 6px;text-align:left;vertical-align:top}th{background:#eee}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#555;font-size:12px}.verdict{border-radius:6px;padding:14px 18px;color:#fff;
margin:14px 0}.verdict .v{font-size:24px;font-weight:bold}.verdict ul{margin:6px 0 0 18px;
padding:0}.box{border:1px solid #ccc;border-radius:4px;padding:8px 12px;margin:8px 0}
.st-fired{font-weight:bold}.oc-prohibited{color:#b2182b}.oc-restricted{color:#d6604d}
.oc-allowed{color:#1a9850}.st-unknown{color:#6a51a3;font-weight:bold}.small{font-size:12px}
iframe.map{width:100%;height:520px;border:1px solid #999}
.review{border:3px solid #e6a700;background:#fff8e1;border-radius:6px;padding:10px 16px;
margin:10px 0}.review .n{font-size:18px;font-weight:bold;color:#8a5a00}.review ol{margin:6px 0 0 20px;
padding:0}.review li.pro{font-weight:bold;color:#b2182b}.review .where{color:#555;font-size:12px}
.sign table td{height:44px}.sign td.blank{width:70%}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
@page{size:A4;margin:16mm 14mm}h2{break-after:avoid}tr,.verdict,.review,.sign{break-inside:avoid}
iframe.map{height:120mm}.noprint{display:none}
.verdict,.review{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _e(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    return html.escape(str(v))


def _num(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    return f"{float(v):,.{digits}f}"


def _safe_name(pid: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", str(pid)).strip("._") or "project"


def _folders(ids) -> dict:
    """A distinct folder name per project id (``A/B`` and ``A_B`` must not share one)."""
    used: set[str] = set()
    out = {}
    for pid in ids:
        base = name = _safe_name(pid)
        k = 2
        while name.lower() in used:
            name = f"{base}_{k}"
            k += 1
        used.add(name.lower())
        out[pid] = name
    return out


# ----------------------------------------------------------------------------------------
# the map


def _site_map(result: ScreeningResult, pid: str, units, layers, lang: str) -> str:
    """The WebMap page of one project (site, nearby units and layers, distance lines)."""
    from zoning.export.webmap import WebMap

    t = _T[lang]
    zh = lang == "zh"
    proj = result.projects[result.projects["project_id"] == pid]
    site = proj.to_crs("EPSG:4326")
    dist = result.distances[result.distances["project_id"] == pid]
    lines = dist[dist.geometry.notna() & (dist["distance_m"] <= 10_000)]
    parts = [np.asarray(site.geometry.values)]
    if len(lines):
        parts.append(np.asarray(lines.geometry.values))
    extent = shapely.envelope(shapely.union_all(np.concatenate(parts)))
    # at least about 1.5 km around the site
    extent = shapely.buffer(extent, 0.015)
    wm = WebMap(f"{pid} {t['map']}", lang=lang)
    if units is not None and len(units):
        ext_u = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(units.crs).iloc[0]
        near = units.iloc[units.sindex.query(ext_u, predicate="intersects")]
        if len(near):
            wm.add_units(near, elements=False)
    for name, layer in (layers or {}).items():
        if layer is None or not len(layer) or name.startswith("_"):
            continue
        ext_l = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(layer.crs).iloc[0]
        sub = layer.iloc[layer.sindex.query(ext_l, predicate="intersects")]
        if len(sub):
            ref = result.rule_set.layers.get(name)
            label = (ref.zh if zh else ref.en) if ref is not None and ref.zh else name
            keep = [c for c in ("name", "grade") if c in sub.columns]
            sub = sub[keep + [sub.geometry.name]]
            if len(sub.geometry.geom_type.unique()) == 1:
                wm.add_layer(
                    sub,
                    label,
                    color="#6a3d9a",
                    fill_opacity=0.12,
                    weight=2,
                    popup=[(c, c) for c in keep],
                    show=True,
                )
    if len(lines):
        lf = gpd.GeoDataFrame(
            {
                "target": lines["label_zh" if zh else "label_en"].to_numpy(),
                "distance": [f"{d:,.0f} m" for d in lines["distance_m"]],
                "nearest": lines["nearest"].to_numpy(),
            },
            geometry=lines.geometry.to_numpy(),
            crs="EPSG:4326",
        )
        wm.add_layer(
            lf,
            t["distances"],
            color="#222222",
            weight=2,
            popup=[("target", t["target"]), ("nearest", t["nearest"]), ("distance", "m")],
            tooltip="distance",
        )
    verdict = proj["verdict"].iloc[0]
    sf = gpd.GeoDataFrame(
        {
            "project_id": [pid],
            "name": [proj["name"].iloc[0] if "name" in proj.columns else ""],
            "verdict": [VERDICTS[verdict][0 if zh else 1]],
            "review": [proj["review_" + lang].iloc[0] if "review_zh" in proj else ""],
        },
        geometry=np.asarray(site.geometry.values),
        crs="EPSG:4326",
    )
    wm.add_layer(
        sf,
        t["project"],
        color=VERDICT_COLORS[verdict],
        weight=4,
        fill_opacity=0.35,
        radius=9,
        popup=[
            ("project_id", t["id"]),
            ("name", t["name"]),
            ("verdict", t["verdict"]),
            ("review", t["review"]),
        ],
        tooltip="project_id",
    )
    wm.add_legend(t["project"], [(VERDICT_COLORS[verdict], VERDICTS[verdict][0 if zh else 1])])
    page = wm.render()
    # inside an iframe the map may be laid out before the frame has its size: refit on load
    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(extent))
    refit = (
        "<script>window.addEventListener('load',function(){for(var k in window){"
        "if(k.indexOf('map_')===0&&window[k]instanceof L.Map){var m=window[k];"
        f"m.invalidateSize();m.fitBounds([[{y0},{x0}],[{y1},{x1}]]);}}}}}});</script>"
    )
    return page.replace("</body>", refit + "</body>", 1) if "</body>" in page else page + refit


# ----------------------------------------------------------------------------------------
# the page


def _table(head: list[str], rows: list[list[str]], cls: list[str] | None = None) -> str:
    cls = cls or [""] * len(head)
    h = "".join(f"<th>{_e(x)}</th>" for x in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{v}</td>' for v, c in zip(r, cls, strict=True)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _decided_by(how: str | None, zh: bool) -> str:
    """' (decided by: closed ring)' after the geometry type; empty when unknown."""
    from zoning.io.projects import DECIDED_BY

    label = DECIDED_BY.get(how, (how, how))[0 if zh else 1] if how else None
    return (
        f"（依据：{_e(label)}）" if label and zh else f" (decided by: {_e(label)})" if label else ""
    )


def _render(data: dict, lang: str, map_page: str | None, meta: dict, fact_labels: Mapping) -> str:
    t = _T[lang]
    zh = lang == "zh"
    verdict = data["verdict"]
    color = VERDICT_COLORS[verdict]
    name = data.get("name") if zh or not data.get("name_en") else data["name_en"]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data['project_id'])} {_e(t['title'])}</title><style>{_CSS}</style>",
        "</head><body><main>",
        f"<h1>{_e(t['title'])}</h1>",
        f'<div class="meta">{_e(t["generated"])}: {_e(meta["generated_at"])} · '
        f"{_e(t['tool'])}: zoning {_e(meta['tool_version'])} · {_e(t['ruleset'])}: "
        f"{_e(meta['rule_set_name'])}</div>",
        f"<h2>{_e(t['project'])}</h2>",
    ]
    size = (
        f"{_num(data['area_m2'], 0)} m² ({_num((data['area_m2'] or 0) / 1e4, 2)} ha)"
        if data.get("area_m2")
        else (f"{_num(data['length_m'], 0)} m" if data.get("length_m") else "—")
    )
    rows = [
        [_e(t["id"]), _e(data["project_id"])],
        [_e(t["name"]), _e(name)],
        [
            _e(t["geom"]),
            _e(t[data["geom_type"]]) + _decided_by(data.get("geometry_decided_by"), zh),
        ],
        [_e(t["size"]), size],
    ]
    if data.get("description"):
        rows.append([_e(t["notes"]), _e(data["description"])])
    if data.get("geometry_note"):
        rows.append([_e(t["geometry_note"]), _e(data["geometry_note"])])
    out.append(_table(["", ""], rows).replace("<thead><tr><th></th><th></th></tr></thead>", ""))

    # verdict
    fired = [r for r in data["rules"] if r["status"] == "fired"]
    items = []
    for r in fired:
        if r["outcome"] == "allowed" or (verdict == "prohibited" and r["outcome"] != "prohibited"):
            continue
        items.append(f"<li>[{_e(r['rule_id'])}] {_e(r['message_' + lang])}</li>")
    conds = [
        f"<li>[{_e(r['rule_id'])}] {_e(r['requirement_' + lang])}</li>"
        for r in fired
        if r["outcome"] == "restricted" and r.get("requirement_" + lang)
    ]
    out.append(
        f'<div class="verdict" id="verdict" data-verdict="{_e(verdict)}" '
        f'style="background:{color}"><div>{_e(t["verdict"])}</div>'
        f'<div class="v">{_e(VERDICTS[verdict][0 if zh else 1])}</div>'
    )
    if items:
        out.append(f"<div>{_e(t['reasons'])}:</div><ul>{''.join(items)}</ul>")
    if conds and verdict != "prohibited":
        out.append(f"<div>{_e(t['conditions'])}:</div><ul>{''.join(conds)}</ul>")
    if data["missing_facts"] and verdict == "needs-information":
        facts = [
            fact_labels.get(f, (f, f))[0 if zh else 1] for f in data["missing_facts"].split(";")
        ]
        out.append(f"<div>{_e(t['missing'])}: {_e('、'.join(facts) if zh else ', '.join(facts))}")
        out.append("</div>")
    out.append("</div>")
    out.append(_review_box(data, lang))
    if data.get("inside_region_pct") is not None and data["inside_region_pct"] < 99.95:
        out.append(f'<p class="box">{_e(t["outside"].format(pct=100 - data["inside_region_pct"]))}')
        out.append("</p>")

    # map
    if map_page:
        out.append(f"<h2>{_e(t['map'])}</h2>")
        out.append(
            f'<iframe class="map" id="site-map" title="{_e(t["map"])}" '
            f'sandbox="allow-scripts" data-srcdoc="{html.escape(map_page, quote=True)}">'
            "</iframe>"
            # load the map once the report is laid out, so that Leaflet sees the frame's size
            "<script>document.addEventListener('DOMContentLoaded',function(){"
            "var f=document.getElementById('site-map');f.srcdoc=f.getAttribute('data-srcdoc');"
            "});</script>"
        )

    # units
    out.append(f"<h2>{_e(t['units'])}</h2>")
    line = data["geom_type"] == "line"
    rows = []
    for u in data["units"]:
        uname = u.get("unit_name_en") if not zh and u.get("unit_name_en") else u.get("unit_name")
        el = ELEMENTS.get(u.get("element") or "", (u.get("element"), u.get("element")))
        rows.append(
            [
                _e(u["unit_code"]),
                _e(uname),
                _e(class_label(int(u["unit_class"] or 0), lang)),
                _e(el[0 if zh else 1]),
                _num(u.get("overlap_m" if line else "overlap_m2"), 1),
                _num(u["share_pct"], 2)
                + (f" ({_e(t['boundary'])})" if u.get("on_boundary") else ""),
            ]
        )
    out.append('<div id="units-table">')
    out.append(
        _table(
            [
                t["code"],
                t["uname"],
                t["class"],
                t["element"],
                t["overlap_m" if line else "overlap"],
                t["share"],
            ],
            rows or [[_e(t["none"]), "", "", "", "", ""]],
            ["", "", "", "", "num", "num"],
        )
    )
    out.append("</div>")

    # distances
    out.append(f"<h2>{_e(t['distances'])}</h2>")
    rows = []
    for d in data["distances"]:
        far = d.get("distance_m") is not None and d["distance_m"] > 10_000
        rows.append(
            [
                _e(d["label_" + lang]),
                _e(d.get("nearest_en") if not zh and d.get("nearest_en") else d.get("nearest")),
                _num(d.get("distance_m"), 0) + (_e(t["not_shown"]) if far else ""),
                _e(t["yes"] if d.get("inside") else t["no"]) if d.get("inside") is not None else "",
            ]
        )
    out.append(
        _table([t["target"], t["nearest"], t["distance"], t["inside"]], rows, ["", "", "num", ""])
    )
    out.append(
        f'<p class="small">{_e(t["crs"].format(area=meta["area_crs"], dist=data["distance_crs"]))}'
        "</p>"
    )

    # grids
    if data["grid_values"]:
        out.append(f"<h2>{_e(t['grids'])}</h2>")
        rows = [
            [_e(g["label_" + lang]), _num(g.get("value"), 3), _e(g.get("units"))]
            for g in data["grid_values"]
        ]
        out.append(_table([t["grid"], t["value"], t["unit_label"]], rows, ["", "num", ""]))

    # rules
    out.append(f"<h2>{_e(t['rules'])}</h2>")
    dim = {d.key: d.label(lang) for d in DIMENSIONS}
    rows = []
    for r in data["rules"]:
        extra = ""
        if r["status"] == "unknown" and r.get("missing_facts"):
            facts = [
                fact_labels.get(f, (f, f))[0 if zh else 1] for f in r["missing_facts"].split(";")
            ]
            extra = f"<br><i>{_e(t['missing'])}: {_e(', '.join(facts))}</i>"
        if r["status"] == "fired" and r["outcome"] == "restricted" and r.get("requirement_" + lang):
            extra += f"<br><i>{_e(t['requirement'])}: {_e(r['requirement_' + lang])}</i>"
        msg = _e(r["message_" + lang]) if r["status"] != "not_triggered" else ""
        rows.append(
            [
                _e(r["rule_id"]),
                _e(dim.get(r["dimension"], r["dimension"])),
                f'<span class="oc-{_e(r["outcome"])}">{_e(t[r["outcome"]])}</span>',
                f'<span class="st-{_e(r["status"])}">{_e(t[r["status"]])}</span>',
                _e(r["clause_" + lang]) + (f"<br><b>{msg}</b>" if msg else "") + extra,
                _e((r.get("unit_codes") or "").replace(";", " ")),
            ]
        )
    out.append('<div id="rules-table">')
    out.append(
        _table(
            [t["rule"], t["dimension"], t["outcome"], t["status"], t["clause"], t["where"]],
            rows or [[_e(t["none"])] + [""] * 5],
        )
    )
    out.append("</div>")

    # access lists
    out.append(f"<h2>{_e(t['access'])}</h2>")
    for u in data["units"]:
        uname = u.get("unit_name_en") if not zh and u.get("unit_name_en") else u.get("unit_name")
        out.append(f"<h3>{_e(u['unit_code'])} {_e(uname)}</h3>")
        rows = []
        for d in DIMENSIONS:
            text = (
                u.get(d.column + "_en") if not zh and u.get(d.column + "_en") else u.get(d.column)
            )
            rows.append([_e(d.label(lang)), _e(text or "—")])
        out.append(_table([t["dimension"], t["clause"]], rows))

    # facts and inputs
    out.append(f"<h2>{_e(t['facts'])}</h2>")
    rows = [
        [_e(label[0 if zh else 1]), _e(data["facts"].get(key))]
        for key, label in _FACT_NAMES.items()
        if key in data["facts"]
    ]
    out.append(_table(["", ""], rows).replace("<thead><tr><th></th><th></th></tr></thead>", ""))
    out.append(f"<h2>{_e(t['inputs'])}</h2>")
    rows = [
        [_e(k), _e(v.get("path")), f'<span class="small">{_e(v.get("sha256"))}</span>']
        for k, v in meta["inputs"].items()
    ]
    out.append(_table(["", t["file"], "SHA-256"], rows))

    # signature
    out.append(f'<section class="sign" id="signature"><h2>{_e(t["sign"])}</h2>')
    out.append(
        "<table>"
        f'<tr><th>{_e(t["opinion"])}</th><td class="blank" style="height:90px"></td></tr>'
        f'<tr><th>{_e(t["reviewer"])}</th><td class="blank"></td></tr>'
        f'<tr><th>{_e(t["date"])}</th><td class="blank"></td></tr>'
        "</table></section>"
    )
    out.append("</main></body></html>")
    return "\n".join(out)


def _review_box(data: dict, lang: str) -> str:
    """The highlighted box under the verdict: clauses no rule checks, prohibitions first."""
    t = _T[lang]
    note = data.get("review_" + lang) or ""
    items = data.get("review_clauses") or []
    if not note and not items:
        return ""
    from zoning.i18n import item_label

    lis = []
    for c in items:
        text = c.get("clause_en") if lang == "en" and c.get("clause_en") else c.get("clause_zh")
        label = item_label(
            c.get("dimension"), c.get("item") or "", lang, bool(c.get("prohibition"))
        )
        where = (c.get("unit_codes") or "").replace(";", " ")
        lis.append(
            f'<li class="{"pro" if c.get("prohibition") else ""}" data-clause-ids='
            f'"{_e(c.get("clause_ids"))}">{_e(label)}: {_e(text)} '
            f'<span class="where">({_e(where)})</span></li>'
        )
    body = f"<div>{_e(t['review_note'])}</div><ol>{''.join(lis)}</ol>" if lis else ""
    return (
        f'<div class="review" id="review" data-review-count="{_e(data.get("review_count"))}">'
        f'<div>{_e(t["review"])}</div><div class="n">{_e(note)}</div>{body}</div>'
    )


# ----------------------------------------------------------------------------------------
# the verb


def write_screening(
    result: ScreeningResult,
    out: str | PathLike,
    /,
    *,
    units: gpd.GeoDataFrame | None = None,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: Literal["zh", "en"] = "zh",
    inputs: Mapping[str, Mapping[str, str]] | None = None,
    tool_version: str | None = None,
    max_reports: int = 500,
    maps: bool = True,
) -> dict[str, Path]:
    """Write the screening reports, ``result.json`` and ``summary.csv`` into ``out``.

    Parameters
    ----------
    result : ScreeningResult
        From :func:`zoning.screen.screen`.
    out : path
        Output folder (created; files of other steps in it are left alone).
    units : GeoDataFrame, optional (default: None)
        The control units, drawn on the site maps around each site.
    layers : mapping name → GeoDataFrame, optional (default: None)
        Named layers drawn on the site maps (red line, water source zones …).
    lang : {"zh", "en"}, optional (default: "zh")
        Language of the reports (``result.json`` carries both).
    inputs : mapping, optional (default: None)
        Input files as name → {"path": ..., "sha256": ...}, recorded for reproduction.
    tool_version : str, optional (default: zoning.__version__)
    max_reports : int, optional (default: 500)
        A batch larger than this gets ``result.json`` and ``summary.csv`` only.
    maps : bool, optional (default: True)
        Embed a site map in each report.

    Returns
    -------
    dict name → path: ``summary``, ``result``, and ``report`` (one project) or
    ``report:<project_id>`` per project.
    """
    if lang not in _T:
        raise ValueError(f"`lang` was '{lang}' but is expected to be in {sorted(_T)}")
    if tool_version is None:
        from zoning._version import __version__ as tool_version
    out = Path(out)
    rs = result.rule_set
    rule_input = (inputs or {}).get("rules", {})
    meta = {
        "tool": "zoning",
        "tool_version": tool_version,
        "generated_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "rule_set_name": (rs.name.get(lang) if rs.name else None) or (rs.source or ""),
        "rule_file": {
            "name_zh": rs.name.zh if rs.name else None,
            "name_en": rs.name.en if rs.name else None,
            "path": rule_input.get("path", rs.source),
            "sha256": rule_input.get("sha256"),
            "format_version": 1,
            "rules": len(rs.rules),
        },
        "inputs": {k: dict(v) for k, v in (inputs or {}).items()},
        "area_crs": result.area_crs,
        "crs_note": "areas in the equal-area CRS area_crs (m2); lengths and distances in metres "
        "in each project's distance_crs; geometry_wkt_wgs84 in WGS 84 lon/lat",
    }
    ids = [str(p) for p in result.projects["project_id"]]
    single = len(ids) == 1
    write_pages = len(ids) <= max_reports
    if not write_pages:
        log.info(
            "%d projects > max_reports=%d: writing result.json and summary.csv only",
            len(ids),
            max_reports,
        )
    labels = _fact_labels()
    paths: dict[str, Path] = {}
    records = []
    folders = _folders(ids)
    with atomic_dir(out) as tmp:
        for pid in ids:
            data = result.project(pid)
            records.append(data)
            if not write_pages:
                continue
            folder = Path(".") if single else Path(folders[pid])
            (tmp / folder).mkdir(parents=True, exist_ok=True)
            page_map = _site_map(result, pid, units, layers, lang) if maps else None
            page = _render(data, lang, page_map, meta, labels)
            (tmp / folder / "report.html").write_text(page, encoding="utf-8")
            write_json({**_meta_json(meta), "project": data}, tmp / folder / "result.json")
            paths["report" if single else f"report:{pid}"] = out / folder / "report.html"
        if not single or not write_pages:
            write_json({**_meta_json(meta), "projects": records}, tmp / "result.json")
        _summary(result, records, lang, single, write_pages, folders).to_csv(
            tmp / "summary.csv", index=False, encoding="utf-8-sig"
        )
    paths["result"] = out / "result.json"
    paths["summary"] = out / "summary.csv"
    return paths


def _fact_labels() -> dict[str, tuple[str, str]]:
    from zoning.i18n import FACT_LABELS

    return dict(FACT_LABELS)


def _meta_json(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != "rule_set_name"}


def _summary(result, records, lang, single, pages, folders) -> pd.DataFrame:
    rows = []
    for data in records:
        dist = {d["target"]: d for d in data["distances"]}
        units = data["units"]
        row = {
            "project_id": data["project_id"],
            "name": data.get("name"),
            "geom_type": data["geom_type"],
            "geometry_decided_by": data.get("geometry_decided_by"),
            "verdict": data["verdict"],
            "verdict_label": data["verdict_zh" if lang == "zh" else "verdict_en"],
            "fired_rules": ";".join(r["rule_id"] for r in data["rules"] if r["status"] == "fired"),
            "missing_facts": data["missing_facts"],
            "conditions": data["conditions"].replace("\n", " | "),
            "review_count": data.get("review_count"),
            "review": data.get("review_" + lang) or "",
            "review_clauses": " | ".join(
                ("[禁止] " if lang == "zh" else "[prohibition] ") * bool(c.get("prohibition"))
                + ((c.get("clause_en") if lang == "en" else None) or c.get("clause_zh") or "")
                for c in data.get("review_clauses") or []
            ),
            "unit_codes": ";".join(u["unit_code"] for u in units if u["share_pct"] > 0),
            "strictest_class": min((u["unit_class"] for u in units), default=None),
            "area_m2": data["area_m2"],
            "length_m": data["length_m"],
            "inside_region_pct": data["inside_region_pct"],
        }
        for key, d in dist.items():
            row[f"{key}_distance_m"] = d.get("distance_m")
            row[f"{key}_inside"] = d.get("inside")
        if pages:
            row["report"] = (
                "report.html" if single else f"{folders[data['project_id']]}/report.html"
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "review_count" in frame:
        frame["review_count"] = frame["review_count"].astype("Int64")
    if "strictest_class" in frame:
        frame["strictest_class_label"] = [
            UNIT_CLASSES[int(c)].label(lang) if pd.notna(c) and int(c) in UNIT_CLASSES else ""
            for c in frame["strictest_class"]
        ]
    return frame
