"""The HTML page of a screening report: texts (zh/en), CSS and the page's sections in
order (project, verdict, map, units, distances, grids, rules, access lists, facts and
inputs, signature), each a named function of the project's data."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from zoning.i18n import VERDICT_COLORS, VERDICTS, fact_text
from zoning.model import DIMENSIONS, ELEMENTS, class_label

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
    "so2_t": ("SO2 排放量", "SO2 emission"),
    "nox_t": ("NOx 排放量", "NOx emission"),
    "pm_t": ("颗粒物排放量", "PM emission"),
    "vocs_t": ("VOCs 排放量", "VOCs emission"),
    "co2_t": ("CO2 排放量", "CO2 emission"),
    "energy_tce": ("综合能耗", "Energy use"),
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
iframe.map{width:100%;height:520px;border:1px solid #999}img.print-map{display:none}
.review{border:3px solid #e6a700;background:#fff8e1;border-radius:6px;padding:10px 16px;
margin:10px 0}.review .n{font-size:18px;font-weight:bold;color:#8a5a00}.review ol{margin:6px 0 0 20px;
padding:0}.review li.pro{font-weight:bold;color:#b2182b}.review .where{color:#555;font-size:12px}
.sign table td{height:44px}.sign td.blank{width:70%}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
@page{size:A4;margin:16mm 14mm}h2{break-after:avoid}tr,.verdict,.review,.sign{break-inside:avoid}
iframe.map{height:120mm}.noprint{display:none}
img.print-map{display:block;width:100%;max-height:150mm;object-fit:contain;break-inside:avoid}
img.print-map~iframe.map{display:none}
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


def _head_and_project(data: dict, c: _Page) -> list[str]:
    """The page head, the title, the metadata line and the project table."""
    t = c.t
    zh = c.zh
    name = data.get("name") if c.zh or not data.get("name_en") else data["name_en"]
    meta = c.meta
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
    description = data.get("description_en") if not zh else None
    description = description or data.get("description")
    if description:
        rows.append([_e(t["notes"]), _e(description)])
    if data.get("geometry_note"):
        rows.append([_e(t["geometry_note"]), _e(data["geometry_note"])])
    out.append(_table(["", ""], rows).replace("<thead><tr><th></th><th></th></tr></thead>", ""))
    return out


def _verdict_section(data: dict, c: _Page) -> list[str]:
    """The verdict box (reasons, conditions, missing facts), the review box and the share outside the region."""
    t = c.t
    zh = c.zh
    verdict = data["verdict"]
    color = VERDICT_COLORS[data["verdict"]]
    lang = c.lang
    fact_labels = c.fact_labels
    out: list[str] = []
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
    return out


def _map_section(data: dict, c: _Page) -> list[str]:
    """The site map, loaded into its frame once the report is laid out."""
    t = c.t
    map_page = c.map_page
    out: list[str] = []
    if map_page or c.print_png:
        out.append(f"<h2>{_e(t['map'])}</h2>")
    if c.print_png:
        b64 = base64.b64encode(c.print_png).decode("ascii")
        out.append(
            f'<img class="print-map" id="print-map" alt="{_e(t["map"])}" '
            f'src="data:image/png;base64,{b64}">'
        )
    if map_page:
        out.append(
            f'<iframe class="map" id="site-map" title="{_e(t["map"])}" '
            f'sandbox="allow-scripts" data-srcdoc="{html.escape(map_page, quote=True)}">'
            "</iframe>"
            # load the map once the report is laid out, so that Leaflet sees the frame's size
            "<script>document.addEventListener('DOMContentLoaded',function(){"
            "var f=document.getElementById('site-map');f.srcdoc=f.getAttribute('data-srcdoc');"
            "});</script>"
        )
    return out


def _units_section(data: dict, c: _Page) -> list[str]:
    """The units touched, with overlap and share."""
    t = c.t
    zh = c.zh
    lang = c.lang
    out: list[str] = []
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
    return out


def _distances_section(data: dict, c: _Page) -> list[str]:
    """Distances to the nearest protected areas and named layers, and the CRS note."""
    t = c.t
    zh = c.zh
    lang = c.lang
    meta = c.meta
    out: list[str] = []
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
    return out


def _grids_section(data: dict, c: _Page) -> list[str]:
    """Grid values at the site."""
    t = c.t
    lang = c.lang
    out: list[str] = []
    if data["grid_values"]:
        out.append(f"<h2>{_e(t['grids'])}</h2>")
        rows = [
            [_e(g["label_" + lang]), _num(g.get("value"), 3), _e(g.get("units"))]
            for g in data["grid_values"]
        ]
        out.append(_table([t["grid"], t["value"], t["unit_label"]], rows, ["", "num", ""]))
    return out


def _rules_section(data: dict, c: _Page) -> list[str]:
    """Every rule checked, with its clause, status and where."""
    t = c.t
    zh = c.zh
    lang = c.lang
    fact_labels = c.fact_labels
    out: list[str] = []
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
    return out


def _access_section(data: dict, c: _Page) -> list[str]:
    """The four-dimension access list of every unit touched."""
    t = c.t
    zh = c.zh
    lang = c.lang
    out: list[str] = []
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
    return out


def _facts_section(data: dict, c: _Page) -> list[str]:
    """The project's facts and the input files with their SHA-256."""
    t = c.t
    zh = c.zh
    meta = c.meta
    out: list[str] = []
    out.append(f"<h2>{_e(t['facts'])}</h2>")
    rows = [
        [_e(label[0 if zh else 1]), _e(fact_text(key, data["facts"], c.lang) or "—")]
        for key, label in _FACT_NAMES.items()
        if key in data["facts"] and key != "capacity_unit"  # the unit goes with the capacity
    ]
    out.append(_table(["", ""], rows).replace("<thead><tr><th></th><th></th></tr></thead>", ""))
    out.append(f"<h2>{_e(t['inputs'])}</h2>")
    rows = [
        [
            _e(_input_name(k, c.lang)),
            _e(v.get("path")),
            f'<span class="small">{_e(v.get("sha256"))}</span>',
        ]
        for k, v in meta["inputs"].items()
    ]
    out.append(_table(["", t["file"], "SHA-256"], rows))
    return out


#: Kinds of input of a screening (the keys of ``inputs``), in the report's language.
_INPUT_KINDS = {
    "project": ("建设项目", "projects"),
    "units": ("管控单元", "control units"),
    "rules": ("准入规则", "rules"),
    "layer": ("图层", "layer"),
    "grid": ("格网", "grid"),
}


def _input_name(key: str, lang: str) -> str:
    """``layer:red_line.gpkg`` → ``图层：red_line.gpkg``; unknown kinds as written."""
    kind, _, rest = str(key).partition(":")
    label = _INPUT_KINDS.get(kind)
    if label is None:
        return str(key)
    name = label[0 if lang == "zh" else 1]
    return f"{name}{'：' if lang == 'zh' else ': '}{rest}" if rest else name


def _signature_section(data: dict, c: _Page) -> list[str]:
    """The reviewer's signature block."""
    t = c.t
    out: list[str] = []
    out.append(f'<section class="sign" id="signature"><h2>{_e(t["sign"])}</h2>')
    out.append(
        "<table>"
        f'<tr><th>{_e(t["opinion"])}</th><td class="blank" style="height:90px"></td></tr>'
        f'<tr><th>{_e(t["reviewer"])}</th><td class="blank"></td></tr>'
        f'<tr><th>{_e(t["date"])}</th><td class="blank"></td></tr>'
        "</table></section>"
    )
    return out


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


@dataclass(frozen=True)
class _Page:
    """What every section of a report page needs beside the project's data."""

    lang: str
    meta: dict
    fact_labels: Mapping
    map_page: str | None
    print_png: bytes | None = None

    @property
    def t(self) -> dict:
        return _T[self.lang]

    @property
    def zh(self) -> bool:
        return self.lang == "zh"


_SECTIONS = (
    _head_and_project,
    _verdict_section,
    _map_section,
    _units_section,
    _distances_section,
    _grids_section,
    _rules_section,
    _access_section,
    _facts_section,
    _signature_section,
)


def _render(
    data: dict,
    lang: str,
    map_page: str | None,
    meta: dict,
    fact_labels: Mapping,
    print_png: bytes | None = None,
) -> str:
    """One project's report page: the sections in order, then the end of the page.

    ``print_png``: the static site map, embedded for print in place of the interactive one.
    """
    c = _Page(lang, meta, fact_labels, map_page, print_png)
    out = [part for section in _SECTIONS for part in section(data, c)]
    out.append("</main></body></html>")
    return "\n".join(out)
