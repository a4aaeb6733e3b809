"""What the printed screening reports say, independent of the file format.

:func:`report_blocks` turns one project of a screening (the ``result.json`` content) into
a list of blocks (headings, key-value lists, the verdict, the review box, tables, the site
map, the signature block); :func:`summary_blocks` does the same for a batch.  The PDF
(:mod:`zoning.export.report_pdf`) and Word (:mod:`zoning.export.report_docx`) writers only
lay these blocks out, so both say the same as ``report.html``, in one language.

Labels come from the tables of :mod:`zoning.export.report` (``_T``, ``_FACT_NAMES``),
:mod:`zoning.screen` (``VERDICTS``, ``FACT_LABELS``) and :mod:`zoning.model`; stages, tags
and units of measure come from :mod:`zoning.i18n`; only the summary's headings are here.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field

from zoning.export.report_page import _FACT_NAMES, _T
from zoning.i18n import (
    FACT_LABELS,
    FACT_UNITS,
    STAGE_LABELS,
    TAG_LABELS,
    VERDICT_COLORS,
    VERDICTS,
    format_value,
)
from zoning.i18n import fact_text as _fact_text
from zoning.model import DIMENSIONS, ELEMENTS, UNIT_CLASSES, class_label

#: One line of a cell: (text, style) with style "" (plain), "b" (bold) or "i" (italic).
Line = tuple[str, str]
#: A table cell: plain text, or lines with styles.
Cell = str | list[Line]

# stages, tags and units of measure live in zoning.i18n (the HTML report uses them too)
STAGES = STAGE_LABELS
TAGS = TAG_LABELS
_FACT_UNITS = FACT_UNITS
_W = {
    "zh": {
        "page": "第 {n} 页 / 共 {total} 页",
        "summary": "建设项目选址研判汇总",
        "counts": "研判结论统计",
        "count": "项目数",
        "total": "合计",
        "projects": "逐项目研判结果",
        "units_short": "涉及单元",
        "key_dist": "关键距离 (m)",
        "rules_behind": "依据规则",
        "review_short": "待复核条款",
        "not_given": "未提供",
        "no_unit": "（未注明单位）",
        "no_data": "无数据",
        "map_none": "未附选址示意图。",
        "unit_inside": "位于其中",
        "date_label": "日期",
    },
    "en": {
        "page": "Page {n} of {total}",
        "summary": "Screening of proposed projects: summary",
        "counts": "Verdicts",
        "count": "Projects",
        "total": "Total",
        "projects": "Every project",
        "units_short": "Units touched",
        "key_dist": "Key distances (m)",
        "rules_behind": "Rules behind the verdict",
        "review_short": "Clauses to review",
        "not_given": "not given",
        "no_unit": " (unit not given)",
        "no_data": "no data",
        "map_none": "No site map attached.",
        "unit_inside": "inside",
        "date_label": "Date",
    },
}
#: Row tints of rules that fired (by outcome) or could not be decided.
_TINTS = {
    "fired": {"prohibited": "#fbe0dc", "restricted": "#fde9d6", "allowed": "#e3f2e1"},
    "unknown": {"prohibited": "#ece6f5", "restricted": "#ece6f5", "allowed": "#ece6f5"},
}
_DIST_SHORT = {
    "priority_unit": ("优先保护单元", "priority unit"),
    "red_line": ("生态保护红线", "red line"),
    "water_first": ("水源一级区", "water zone I"),
    "water_second": ("水源二级区", "water zone II"),
    "water_quasi": ("水源准保护区", "water quasi-zone"),
}


@dataclass
class Block:
    """One piece of a printed report; ``kind`` says how it is laid out."""

    kind: str  # title, meta, heading, subheading, kv, verdict, review, note, table, image, sign
    text: str = ""
    rows: list[list[Cell]] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # shares of the text width
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    color: str = ""
    items: list[Line] = field(default_factory=list)
    data: bytes | None = None
    key: str = ""  # a stable id (tests, Word bookmarks)
    tints: dict[int, str] = field(default_factory=dict)  # row -> background (emphasis)


@dataclass
class Printed:
    """A printed document: its language, running header and blocks."""

    lang: str
    header: str
    date: str
    blocks: list[Block]
    landscape: bool = False

    def page_label(self, n: int, total: int) -> str:
        return _W[self.lang]["page"].format(n=n, total=total)


# ----------------------------------------------------------------------------------------
# numbers and words


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v)) or v == ""


def num(v, digits: int = 0) -> str:
    """A number with thousands separators and ``digits`` decimals; empty when missing."""
    if _missing(v):
        return ""
    return f"{float(v):,.{digits}f}"


def value(v, lang: str) -> str:
    """A measured value with sensible precision: 1,000,000 · 35.4 · 0.0123; '' if missing."""
    return format_value(v, lang)


def _pick(zh: str | None, en: str | None, lang: str) -> str:
    return (en if lang == "en" and en else zh) or ""


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(i for i in items if i)


def _fact_name(key: str, lang: str) -> str:
    i = 0 if lang == "zh" else 1
    name = _FACT_NAMES.get(key, FACT_LABELS.get(key, (key, key)))[i]
    if key in _FACT_UNITS:  # the unit goes with the value
        name = re.sub(r"\s*[（(][^()（）]*[)）]$", "", name)
    return name


def fact_text(key: str, facts: dict, lang: str) -> str:
    """A project fact in words: stage, yes/no, tags, value with its unit of measure."""
    text = _fact_text(key, facts, lang)
    return _W[lang]["not_given"] if text is None else text


def _missing_facts(text: str, lang: str) -> str:
    i = 0 if lang == "zh" else 1
    return _join([FACT_LABELS.get(f, (f, f))[i] for f in text.split(";") if f], lang)


def _date(meta: dict) -> str:
    stamp = meta.get("generated_at")
    if stamp:
        return str(stamp)[:10]
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def _stamp(meta: dict, date: str) -> str:
    """'2026-12-01 09:37 UTC' from the ISO time of the run; the date alone without one."""
    stamp = meta.get("generated_at")
    try:
        when = _dt.datetime.fromisoformat(str(stamp)).astimezone(_dt.UTC)
    except (TypeError, ValueError):
        return str(stamp or date)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def split_result(doc: dict) -> tuple[dict, dict]:
    """(project, meta) from a ``result.json`` content or from a bare project dict."""
    if "project" in doc and isinstance(doc["project"], dict):
        return doc["project"], {k: v for k, v in doc.items() if k != "project"}
    return doc, {}


def verdict_label(verdict: str, lang: str) -> str:
    return VERDICTS.get(verdict, (verdict, verdict))[0 if lang == "zh" else 1]


# ----------------------------------------------------------------------------------------
# one project


def report_blocks(doc: dict, lang: str, site_png: bytes | None = None) -> Printed:
    """The printed report of one project, from its ``result.json`` content."""
    data, meta = split_result(doc)
    t, w = _T[lang], _W[lang]
    zh = lang == "zh"
    i = 0 if zh else 1
    pid = str(data.get("project_id", ""))
    date = _date(meta)
    rs = meta.get("rule_file") or {}
    b: list[Block] = [Block("title", t["title"])]
    parts = [f"{t['generated']}: {_stamp(meta, date)}"]
    if meta.get("tool_version"):
        parts.append(f"{t['tool']}: zoning {meta['tool_version']}")
    rs_name = _pick(rs.get("name_zh"), rs.get("name_en"), lang) or rs.get("path")
    if rs_name:
        parts.append(f"{t['ruleset']}: {rs_name}")
    b.append(Block("meta", " · ".join(parts)))

    # project
    b.append(Block("heading", t["project"]))
    size = (
        f"{num(data['area_m2'])} m² ({num(data['area_m2'] / 1e4, 2)} ha)"
        if data.get("area_m2")
        else (f"{num(data['length_m'])} m" if data.get("length_m") else "—")
    )
    geom = t.get(data.get("geom_type") or "", data.get("geom_type") or "")
    how = data.get("geometry_decided_by")
    if how:
        from zoning.io.projects import DECIDED_BY

        label = DECIDED_BY.get(how, (how, how))[i]
        geom += f"（依据：{label}）" if zh else f" (decided by: {label})"
    rows: list[list[Cell]] = [
        [t["id"], pid],
        [t["name"], _pick(data.get("name"), data.get("name_en"), lang)],
        [t["geom"], geom],
        [t["size"], size],
    ]
    description = (data.get("description_en") if lang == "en" else None) or data.get("description")
    if description:
        rows.append([t["notes"], description])
    if data.get("geometry_note"):
        rows.append([t["geometry_note"], data["geometry_note"]])
    b.append(Block("kv", rows=rows, widths=[0.22, 0.78], key="project"))

    # verdict
    verdict = data.get("verdict", "")
    fired = [r for r in data.get("rules") or [] if r.get("status") == "fired"]
    items: list[Line] = []
    reasons = [
        f"[{r['rule_id']}] {r.get('message_' + lang) or ''}"
        for r in fired
        if r["outcome"] != "allowed"
        and not (verdict == "prohibited" and r["outcome"] != "prohibited")
    ]
    if reasons:
        items.append((t["reasons"] + (":" if not zh else "："), "b"))
        items += [(f"{k}. {x}", "") for k, x in enumerate(reasons, 1)]
    conds = [
        f"[{r['rule_id']}] {r['requirement_' + lang]}"
        for r in fired
        if r["outcome"] == "restricted" and r.get("requirement_" + lang)
    ]
    if conds and verdict != "prohibited":
        items.append((t["conditions"] + (":" if not zh else "："), "b"))
        items += [(f"{k}. {x}", "") for k, x in enumerate(conds, 1)]
    if data.get("missing_facts") and verdict == "needs-information":
        sep = "：" if zh else ": "
        items.append((t["missing"] + sep + _missing_facts(data["missing_facts"], lang), "b"))
    b.append(
        Block(
            "verdict",
            verdict_label(verdict, lang),
            head=[t["verdict"]],
            color=VERDICT_COLORS.get(verdict, "#444444"),
            items=items,
            key=verdict,
        )
    )
    b.extend(_review(data, lang))
    inside = data.get("inside_region_pct")
    if inside is not None and inside < 99.95:
        b.append(Block("note", t["outside"].format(pct=100 - inside), key="outside"))

    # map
    b.append(Block("heading", t["map"]))
    if site_png:
        b.append(Block("image", f"{pid} {t['map']}", data=site_png, key="map"))
    else:
        b.append(Block("note", w["map_none"], key="map"))

    # units
    b.append(Block("heading", t["units"]))
    line = data.get("geom_type") == "line"
    rows = []
    for u in data.get("units") or []:
        el = ELEMENTS.get(u.get("element") or "", (u.get("element"), u.get("element")))
        share = num(u.get("share_pct"), 1)
        if u.get("on_boundary"):
            share += f" ({t['boundary']})"
        rows.append(
            [
                u.get("unit_code", ""),
                _pick(u.get("unit_name"), u.get("unit_name_en"), lang),
                class_label(int(u.get("unit_class") or 0), lang),
                el[i] or "",
                num(u.get("overlap_m" if line else "overlap_m2")),
                share,
            ]
        )
    b.append(
        Block(
            "table",
            head=[t["code"], t["uname"], t["class"], t["element"]]
            + [t["overlap_m" if line else "overlap"], t["share"]],
            rows=rows or [[t["none"], "", "", "", "", ""]],
            widths=[0.17, 0.36, 0.14, 0.11, 0.12, 0.1],
            numeric={4, 5},
            key="units",
        )
    )

    # distances
    b.append(Block("heading", t["distances"]))
    rows = []
    for d in data.get("distances") or []:
        dist = d.get("distance_m")
        inside_d = d.get("inside")
        rows.append(
            [
                d.get("label_" + lang) or d.get("target", ""),
                _pick(d.get("nearest"), d.get("nearest_en"), lang) or "—",
                num(dist) or w["no_data"],
                (t["yes"] if inside_d else t["no"]) if inside_d is not None else "",
            ]
        )
    b.append(
        Block(
            "table",
            head=[t["target"], t["nearest"], t["distance"], t["inside"]],
            rows=rows or [[t["none"], "", "", ""]],
            widths=[0.27, 0.43, 0.18, 0.12],
            numeric={2},
            key="distances",
        )
    )
    b.append(
        Block(
            "note",
            t["crs"].format(
                area=meta.get("area_crs") or data.get("area_crs") or "EPSG:6933",
                dist=data.get("distance_crs") or "—",
            ),
            key="crs",
        )
    )

    # grids
    if data.get("grid_values"):
        b.append(Block("heading", t["grids"]))
        rows = [
            [
                g.get("label_" + lang) or g.get("grid", ""),
                value(g.get("value"), lang) or w["no_data"],
                g.get("units") or "",
            ]
            for g in data["grid_values"]
        ]
        b.append(
            Block(
                "table",
                head=[t["grid"], t["value"], t["unit_label"]],
                rows=rows,
                widths=[0.5, 0.25, 0.25],
                numeric={1},
                key="grids",
            )
        )

    # rules
    b.append(Block("heading", t["rules"]))
    dim = {d.key: d.label(lang) for d in DIMENSIONS}
    rows = []
    tints = {}
    for r in data.get("rules") or []:
        if r.get("status") in _TINTS:
            tints[len(rows)] = _TINTS[r["status"]].get(r.get("outcome"), "#eeeeee")
        clause: list[Line] = [(r.get("clause_" + lang) or r.get("clause_zh") or "", "")]
        if r["status"] != "not_triggered" and r.get("message_" + lang):
            clause.append((r["message_" + lang], "b"))
        if r["status"] == "unknown" and r.get("missing_facts"):
            sep = "：" if zh else ": "
            clause.append((t["missing"] + sep + _missing_facts(r["missing_facts"], lang), "i"))
        if r["status"] == "fired" and r["outcome"] == "restricted" and r.get("requirement_" + lang):
            sep = "：" if zh else ": "
            clause.append((t["requirement"] + sep + r["requirement_" + lang], "i"))
        st = r.get("status", "")
        rows.append(
            [
                r.get("rule_id", ""),
                dim.get(r.get("dimension"), r.get("dimension") or ""),
                [(t.get(r.get("outcome"), r.get("outcome") or ""), "")],
                [(t.get(st, st), "b" if st in ("fired", "unknown") else "")],
                clause,
                (r.get("unit_codes") or "").replace(";", " "),
            ]
        )
    b.append(
        Block(
            "table",
            head=[t["rule"], t["dimension"], t["outcome"], t["status"], t["clause"], t["where"]],
            rows=rows or [[t["none"], "", "", "", "", ""]],
            widths=[0.1, 0.15, 0.11, 0.11, 0.365, 0.165],  # the words fit in DejaVu Sans Bold
            key="rules",
            tints=tints,
        )
    )

    # access lists
    b.append(Block("heading", t["access"]))
    for u in data.get("units") or []:
        uname = _pick(u.get("unit_name"), u.get("unit_name_en"), lang)
        b.append(Block("subheading", f"{u.get('unit_code', '')} {uname}"))
        rows = [
            [d.label(lang), _pick(u.get(d.column), u.get(d.column + "_en"), lang) or "—"]
            for d in DIMENSIONS
        ]
        b.append(
            Block(
                "table",
                head=[t["dimension"], t["clause"]],
                rows=rows,
                widths=[0.2, 0.8],
                key="access:" + str(u.get("unit_code", "")),
            )
        )

    # facts, inputs
    b.append(Block("heading", t["facts"]))
    facts = data.get("facts") or {}
    keys = [k for k in _FACT_NAMES if k in facts and k != "capacity_unit"]
    rows = [[_fact_name(k, lang), fact_text(k, facts, lang)] for k in keys]
    b.append(Block("kv", rows=rows or [[t["none"], ""]], widths=[0.3, 0.7], key="facts"))
    b.append(Block("heading", t["inputs"]))
    rows = [
        [k, v.get("path") or "", v.get("sha256") or ""]
        for k, v in (meta.get("inputs") or {}).items()
    ]
    b.append(
        Block(
            "table",
            head=["", t["file"], "SHA-256"],
            rows=rows or [[t["none"], "", ""]],
            widths=[0.22, 0.3, 0.48],
            key="inputs",
        )
    )

    # signature
    b.append(Block("heading", t["sign"]))
    b.append(Block("sign", rows=[[t["opinion"]], [t["reviewer"]], [t["date"]]], key="sign"))
    return Printed(lang, f"{pid}  {t['title']}", date, b)


def _review(data: dict, lang: str) -> list[Block]:
    """The review box: clauses no rule checks, prohibitions first (as in report.html)."""
    t = _T[lang]
    note = data.get("review_" + lang) or ""
    clauses = data.get("review_clauses") or []
    if not note and not clauses:
        return []
    from zoning.i18n import item_label

    items: list[Line] = []
    for n, c in enumerate(clauses, 1):
        text = _pick(c.get("clause_zh"), c.get("clause_en"), lang)
        label = item_label(
            c.get("dimension"), c.get("item") or "", lang, bool(c.get("prohibition"))
        )
        where = (c.get("unit_codes") or "").replace(";", " ")
        items.append((f"{n}. {label}: {text} ({where})", "b" if c.get("prohibition") else ""))
    return [
        Block(
            "review",
            note,
            head=[t["review"], t["review_note"] if clauses else ""],
            items=items,
            key="review",
        )
    ]


# ----------------------------------------------------------------------------------------
# a batch


def summary_blocks(projects: list[dict], lang: str, meta: dict | None = None) -> Printed:
    """The batch summary: counts by verdict and one row per project."""
    t, w = _T[lang], _W[lang]
    i = 0 if lang == "zh" else 1
    datas = [split_result(p) for p in projects]
    meta = meta or (datas[0][1] if datas else {})
    date = _date(meta)
    b = [Block("title", w["summary"])]
    rs = meta.get("rule_file") or {}
    parts = [f"{t['generated']}: {_stamp(meta, date)}"]
    rs_name = _pick(rs.get("name_zh"), rs.get("name_en"), lang) or rs.get("path")
    if rs_name:
        parts.append(f"{t['ruleset']}: {rs_name}")
    b.append(Block("meta", " · ".join(parts)))
    counts = {v: 0 for v in VERDICTS}
    for d, _ in datas:
        counts[d.get("verdict", "")] = counts.get(d.get("verdict", ""), 0) + 1
    b.append(Block("heading", w["counts"]))
    rows: list[list[Cell]] = [[verdict_label(v, lang), f"{n:,}"] for v, n in counts.items()]
    rows.append([[(w["total"], "b")], [(f"{len(datas):,}", "b")]])
    b.append(
        Block(
            "table",
            head=[t["verdict"], w["count"]],
            rows=rows,
            widths=[0.35, 0.15],
            numeric={1},
            key="counts",
        )
    )
    b.append(Block("heading", w["projects"]))
    rows = []
    tints = {}
    for d, _ in datas:
        verdict = d.get("verdict", "")
        if verdict in ("prohibited", "needs-information"):
            tints[len(rows)] = "#fbe0dc" if verdict == "prohibited" else "#ece6f5"
        units = [
            f"{u.get('unit_code', '')} {UNIT_CLASSES[int(u['unit_class'])].label(lang)}"
            if u.get("unit_class") and int(u["unit_class"]) in UNIT_CLASSES
            else str(u.get("unit_code", ""))
            for u in d.get("units") or []
            if (u.get("share_pct") or 0) > 0 or u.get("overlap_m")
        ]
        dists: list[Line] = []
        water = [dd for dd in d.get("distances") or [] if str(dd.get("target")).startswith("water")]
        nearest_water = min(
            water,
            key=lambda dd: (
                not dd.get("inside"),
                dd.get("distance_m") is None,
                dd.get("distance_m") or 0,
            ),
            default=None,
        )
        for dd in d.get("distances") or []:
            if dd in water and dd is not nearest_water:
                continue  # the nearest water protection zone stands for all three grades
            short = _DIST_SHORT.get(dd.get("target"), (dd.get("label_zh"), dd.get("label_en")))[i]
            if dd.get("inside"):
                dists.append((f"{short}: {w['unit_inside']}", "b"))
            else:
                dists.append((f"{short}: {num(dd.get('distance_m')) or w['no_data']}", ""))
        behind = [
            r["rule_id"]
            for r in d.get("rules") or []
            if r.get("status") == "fired"
            and r.get("outcome") != "allowed"
            and not (verdict == "prohibited" and r.get("outcome") != "prohibited")
        ]
        if verdict == "needs-information" and d.get("missing_facts"):
            behind.append(_missing_facts(d["missing_facts"], lang))
        rows.append(
            [
                str(d.get("project_id", "")),
                _pick(d.get("name"), d.get("name_en"), lang),
                [(verdict_label(verdict, lang), "b")],
                [(u, "") for u in units] or t["none"],
                dists or "—",
                " ".join(behind) or "—",
                f"{int(d['review_count']):,}" if d.get("review_count") is not None else "—",
            ]
        )
    b.append(
        Block(
            "table",
            head=[t["id"], t["name"], t["verdict"], w["units_short"], w["key_dist"]]
            + [w["rules_behind"], w["review_short"]],
            rows=rows or [[t["none"]] + [""] * 6],
            widths=[0.07, 0.19, 0.12, 0.22, 0.19, 0.13, 0.08],
            tints=tints,
            numeric={6},
            key="projects",
        )
    )
    return Printed(lang, w["summary"], date, b, landscape=True)
