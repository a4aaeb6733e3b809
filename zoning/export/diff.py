"""Writing a :class:`~zoning.diff.UnitDiff`: the files of ``zoning diff`` and the update
statement (更新说明) tables, also as statement.pdf and statement.docx.

Files (all written atomically into one folder): ``changes.geojson`` (RFC 7946, one feature
per change with its kind), ``transitions.csv`` (the class transition matrix, equal-area
and planar, each column saying its CRS), ``units_changed.csv``, ``clause_changes.csv``,
``findings.csv``, ``statement_classes.csv`` and ``statement_units.csv`` (the update
statement's tables), ``summary.json``, ``diff_map.html`` (offline: old and new editions as
switchable layers, changes coloured by kind, popups before → after) and ``statement.html``
(the update statement's tables as a printable page), and the same statement as
``statement.pdf`` and ``statement.docx`` (A4 landscape, through the screening reports'
PDF/Word writers).
"""

from __future__ import annotations

import html
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning._version import __version__
from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_geojson, write_json
from zoning.i18n import KIND_COLORS, KIND_LABELS
from zoning.model import UNIT_CLASSES

if TYPE_CHECKING:
    from zoning.diff import UnitDiff

_CSV = {"index": False, "encoding": "utf-8-sig"}


def _classes_label(keys, lang: str) -> str:
    labels = {c.key: c.label(lang) for c in UNIT_CLASSES.values()}
    return ";".join(labels.get(k, k) for k in str(keys or "").split(";") if k)


def _statement_units(d: UnitDiff, lang: str) -> pd.DataFrame:
    c = d.changes
    zh = lang == "zh"
    return pd.DataFrame(
        {
            "序号" if zh else "no": range(1, len(c) + 1),
            "变化类型" if zh else "change": [KIND_LABELS[k][0 if zh else 1] for k in c["kind"]],
            "原单元编码" if zh else "old codes": c["old_codes"],
            "新单元编码" if zh else "new codes": c["new_codes"],
            "原类别" if zh else "old class": [_classes_label(v, lang) for v in c["old_class"]],
            "新类别" if zh else "new class": [_classes_label(v, lang) for v in c["new_class"]],
            "原面积(m²)" if zh else "old area (m2)": c["area_old_m2"].round(1),
            "新面积(m²)" if zh else "new area (m2)": c["area_new_m2"].round(1),
            "面积变化(m²)" if zh else "area change (m2)": c["area_change_m2"].round(1),
            "变化说明" if zh else "reason": c["reason_zh" if zh else "reason_en"],
        }
    )


def _statement_classes(d: UnitDiff, lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    k = d.classes
    g = d.gk_crs
    return pd.DataFrame(
        {
            "管控类别" if zh else "class": k["class_zh" if zh else "class_en"],
            "更新前单元数" if zh else "units before": k["count_before"],
            "更新后单元数" if zh else "units after": k["count_after"],
            "更新前面积(km², EPSG:6933)" if zh else "area before (km2, EPSG:6933)": k["area_before_km2"].round(4),
            "更新后面积(km², EPSG:6933)" if zh else "area after (km2, EPSG:6933)": k["area_after_km2"].round(4),
            "面积变化(km²)" if zh else "area change (km2)": k["area_change_km2"].round(4),
            f"更新前平面面积(km², {g})" if zh else f"planar area before (km2, {g})": k["planar_area_before_km2"].round(4),
            f"更新后平面面积(km², {g})" if zh else f"planar area after (km2, {g})": k["planar_area_after_km2"].round(4),
            "更新前占比(%)" if zh else "share before (%)": k["share_before_pct"].round(2),
            "更新后占比(%)" if zh else "share after (%)": k["share_after_pct"].round(2),
        }
    )  # fmt: skip


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in r)
        + "</tr>"
        for r in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _statement_page(d: UnitDiff, lang: str, title: str) -> str:
    zh = lang == "zh"
    m = d.matrix().round(4)
    m.index.name = "原类别 \\ 新类别" if zh else "old \\ new"
    mp = d.matrix("planar_area_km2").round(4)
    mp.index.name = m.index.name
    f = d.findings
    checks = (
        _html_table(f[["severity", "reason", "detail_zh" if zh else "detail_en"]])
        if len(f)
        else f"<p>{'审查检查全部通过' if zh else 'Every reviewer check passed.'}</p>"
    )
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in d.notes)
    return (
        f"<!DOCTYPE html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #bbb;"
        "padding:3px 8px;text-align:left;font-size:13px}th{background:#f3f3ee}.note{color:#a33}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p><a href='diff_map.html'>"
        f"{'变化地图' if zh else 'Map of the changes'}</a></p>"
        f"<h2>{'一、各类管控单元数量与面积' if zh else '1. Units and areas by class'}</h2>"
        + _html_table(_statement_classes(d, lang))
        + f"<h2>{'二、类别转移矩阵（km²，等积投影 EPSG:6933）' if zh else '2. Class transitions (km², equal-area EPSG:6933)'}</h2>"
        + _html_table(m.reset_index())
        + f"<h2>{'类别转移矩阵（km²，平面 ' + d.gk_crs + '）' if zh else 'Class transitions (km², planar ' + d.gk_crs + ')'}</h2>"
        + _html_table(mp.reset_index())
        + notes
        + f"<h2>{'三、变化单元清单' if zh else '3. Changed units'}</h2>"
        + _html_table(_statement_units(d, lang))
        + f"<h2>{'四、审查检查' if zh else '4. Reviewer checks'}</h2>"
        + checks
        + f"<p>{'由' if zh else 'Made by'} zoning {html.escape(__version__)}</p></body></html>"
    )  # fmt: skip


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    """Table cells as text: numbers with thousands separators and the decimals the
    tables were rounded to (areas to 0.0001 km² / 0.1 m²), no 15-digit floats."""
    out = []
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                text = "" if v != v else f"{float(v):,.6f}".rstrip("0").rstrip(".")
                cells.append("0" if text == "-0" else text)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                cells.append(f"{int(v):,}")
            else:
                cells.append("" if v is None or (isinstance(v, float) and v != v) else str(v))
        out.append(cells)
    return out


def _statement_printed(d: UnitDiff, lang: str, title: str):
    """The update statement as a printed document (PDF and Word from one content)."""
    import datetime as dt

    from zoning.export._print import Block, Printed

    zh = lang == "zh"
    date = dt.date.today().isoformat()
    classes, units = _statement_classes(d, lang), _statement_units(d, lang)
    blocks = [
        Block("title", title),
        Block(
            "meta",
            (f"面积：等积投影 EPSG:6933；平面面积：{d.gk_crs}（CGCS2000 高斯-克吕格）")
            if zh
            else f"Areas in the equal-area EPSG:6933; planar areas in {d.gk_crs} "
            "(CGCS2000 Gauss-Krüger)",
        ),
        Block("heading", "一、各类管控单元数量与面积（更新前后）" if zh else "1. Units and areas by class, before and after"),
        Block("table", head=list(classes.columns), rows=_cells(classes), numeric=set(range(1, len(classes.columns)))),
        Block("heading", "二、变更单元清单" if zh else "2. Changed units"),
        Block("table", head=list(units.columns), rows=_cells(units), numeric={0, 6, 7, 8},
              widths=[0.04, 0.08, 0.12, 0.12, 0.08, 0.08, 0.08, 0.08, 0.08, 0.24]),
    ]  # fmt: skip
    if len(d.findings):
        f = d.findings
        blocks += [
            Block("heading", "三、审查检查" if zh else "3. Reviewer's checks"),
            Block(
                "table",
                head=["结果", "检查", "说明"] if zh else ["result", "check", "detail"],
                rows=[
                    [str(r["severity"]), str(r["label_zh" if zh else "label_en"]),
                     str(r["detail_zh" if zh else "detail_en"])]
                    for _, r in f.iterrows()
                ],
                widths=[0.1, 0.25, 0.65],
            ),
        ]  # fmt: skip
    return Printed(lang, title, date, blocks, landscape=True)


def _units_layer(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    out = frame[["code", "unit_class", frame.geometry.name]].copy()
    names = frame["name"] if "name" in frame else pd.Series([None] * len(frame), index=frame.index)
    out["_name"] = names.to_numpy()
    out["_class"] = [UNIT_CLASSES[int(c)].label(lang) for c in frame["unit_class"]]
    return out


def diff_map(
    d: UnitDiff,
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    title: str | None = None,
):
    """An offline :class:`~zoning.export.webmap.WebMap` of the two editions and the changes."""
    from zoning.export.webmap import WebMap
    from zoning.model import normalise_units

    zh = lang == "zh"
    title = title or ("管控单元更新对比" if zh else "Zoning editions compared")
    wm = WebMap(title, lang=lang)
    colors = {c.digit: c.color for c in UNIT_CLASSES.values()}
    labels = {c.digit: c.label(lang) for c in UNIT_CLASSES.values()}
    pop = [
        ("code", "单元编码" if zh else "code"),
        ("_name", "名称" if zh else "name"),
        ("_class", "类别" if zh else "class"),
    ]
    for frame, name, show in (
        (old, "旧版单元" if zh else "old edition", False),
        (new, "新版单元" if zh else "new edition", True),
    ):
        wm.add_layer(
            _units_layer(normalise_units(frame), lang), name, color_by="unit_class", colors=colors,
            popup=pop, tooltip="code", show=show, fill_opacity=0.35, weight=0.6,
            legend=name == ("新版单元" if zh else "new edition"), labels=labels,
        )  # fmt: skip
    ch = d.changes.copy()
    if len(ch):
        ch["_kind"] = [KIND_LABELS[k][0 if zh else 1] for k in ch["kind"]]
        wm.add_layer(
            ch, "变化" if zh else "changes", color_by="kind", colors=KIND_COLORS,
            popup=[("_kind", "变化" if zh else "change"), ("before", "更新前" if zh else "before"),
                   ("after", "更新后" if zh else "after"),
                   ("reason_zh" if zh else "reason_en", "说明" if zh else "reason")],
            tooltip="_kind", fill_opacity=0.55, weight=2, legend=True,
            labels={k: v[0 if zh else 1] for k, v in KIND_LABELS.items()},
        )  # fmt: skip
    return wm


def write_diff(
    d: UnitDiff,
    out: str | PathLike,
    /,
    *,
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    lang: str = "zh",
    sources: dict | None = None,
) -> dict[str, Path]:
    """Write every output of ``zoning diff`` into the folder ``out``; returns name → path."""
    out = Path(out)
    zh = lang == "zh"
    names = {
        "changes": "changes.geojson",
        "transitions": "transitions.csv",
        "units": "units_changed.csv",
        "clauses": "clause_changes.csv",
        "findings": "findings.csv",
        "statement classes": "statement_classes.csv",
        "statement units": "statement_units.csv",
        "summary": "summary.json",
        "map": "diff_map.html",
        "statement": "statement.html",
        "statement pdf": "statement.pdf",
        "statement docx": "statement.docx",
    }
    trans = d.transitions.copy()
    trans.insert(len(trans.columns), "area_crs", f"{d.area_crs} (equal-area)")
    trans.insert(len(trans.columns), "planar_crs", f"{d.gk_crs} (CGCS2000 Gauss-Krüger, planar)")
    summary = {
        "tool": f"zoning {__version__}",
        "sources": sources or {},
        "counts": d.counts,
        "ok": d.ok,
        "findings": d.findings["reason"].value_counts().to_dict() if len(d.findings) else {},
        "classes": d.classes.to_dict(orient="records"),
        "area_crs": d.area_crs,
        "planar_crs": d.gk_crs,
        "notes": d.notes,
        "overlap_rule": "an old and a new unit correspond when their overlap is at least half "
        "of either one's area (see zoning.diff)",
    }
    title = "管控单元更新说明" if zh else "Zoning update statement"
    with atomic_dir(out) as tmp:
        write_geojson(d.changes, tmp / names["changes"], metadata={"counts": d.counts})
        trans.to_csv(tmp / names["transitions"], **_CSV)
        d.units.to_csv(tmp / names["units"], **_CSV)
        d.clauses.to_csv(tmp / names["clauses"], **_CSV)
        d.findings.to_csv(tmp / names["findings"], **_CSV)
        _statement_classes(d, lang).to_csv(tmp / names["statement classes"], **_CSV)
        _statement_units(d, lang).to_csv(tmp / names["statement units"], **_CSV)
        write_json(summary, tmp / names["summary"])
        diff_map(d, old, new, lang=lang).save(tmp / names["map"])
        (tmp / names["statement"]).write_text(_statement_page(d, lang, title), encoding="utf-8")
        from zoning.export import report_docx, report_pdf

        printed = _statement_printed(d, lang, title)
        report_pdf._build(printed, tmp / names["statement pdf"])
        report_docx._build(printed, tmp / names["statement docx"])
    return {k: out / v for k, v in names.items()}
