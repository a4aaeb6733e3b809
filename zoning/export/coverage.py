"""The rule-coverage table: ``FILE.csv`` (every clause of every unit) and ``FILE.html``.

:func:`write_coverage` writes the table of :func:`zoning.rules.coverage.clause_coverage`
as CSV (UTF-8 with BOM, for Excel) and, beside it with the same stem, a short HTML page:
the counts, then one row per distinct clause text (uncovered first, prohibitions first),
with the units it occurs in, the rules that check it and the near-match suggestions
(which are not coverage).  Both files are written atomically.
"""

from __future__ import annotations

import html
from os import PathLike
from pathlib import Path
from typing import Literal

import pandas as pd

from zoning.export._atomic import atomic_file
from zoning.model import DIMENSIONS

_T = {
    "zh": {
        "title": "准入清单条款的规则覆盖情况",
        "counts": "{clauses} 条条款（{units} 个单元）：{covered} 条有规则核查，{uncovered} 条无规则核查"
        "（其中禁止类 {pro} 条）；不同条款文本 {texts} 条，其中 {tcov} 条有规则核查。",
        "no_list": "{n} 个单元在图层中无准入清单文本，需人工核对。",
        "dimension": "维度",
        "item": "项",
        "clause": "条款",
        "units": "所在单元",
        "rules": "核查规则",
        "suggest": "相近的规则条款（仅供参考，不计入覆盖）",
        "none": "无规则核查：需人工复核",
        "pro": "禁止类",
        "unmatched": "规则文件中未匹配到任何条款的引用",
        "stale": "条款文本已改变的引用（哈希不符）",
    },
    "en": {
        "title": "Access-list clauses and the rules that check them",
        "counts": "{clauses} clauses in {units} units: {covered} checked by a rule, {uncovered} "
        "not ({pro} of them prohibitions); {texts} distinct clause texts, {tcov} of them checked.",
        "no_list": "{n} units have no access-list text in the layer: check them by hand.",
        "dimension": "Dimension",
        "item": "Item",
        "clause": "Clause",
        "units": "Units",
        "rules": "Checked by",
        "suggest": "Similar rule clauses (suggestions only, not coverage)",
        "none": "no rule: review by hand",
        "pro": "prohibition",
        "unmatched": "References in the rule file that match no clause",
        "stale": "References whose clause text has changed (hash differs)",
    },
}
_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",Arial,sans-serif;margin:20px;
font-size:14px;color:#222}table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;
padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}
tr.uncovered td{background:#fff3cd}tr.uncovered.pro td{background:#f8d7da;font-weight:bold}
.meta{margin:8px 0 14px}.small{font-size:12px;color:#555}"""


def _e(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    return html.escape(str(v))


def coverage_html(
    table: pd.DataFrame,
    counts: dict,
    /,
    *,
    lang: Literal["zh", "en"] = "zh",
    unmatched: dict | None = None,
    stale: dict | None = None,
) -> str:
    """The HTML page of a coverage table (one row per distinct clause text)."""
    t = _T[lang]
    dim = {d.key: d.label(lang) for d in DIMENSIONS}
    have = table[table["covered"].notna()]
    grouped = []
    for (d, text), g in have.groupby(["dimension", "clause"], sort=False):
        first = g.iloc[0]
        codes = list(dict.fromkeys(g["unit_code"]))
        grouped.append(
            {
                "dimension": d,
                "item": first["item"],
                "clause": first["clause_en"] if lang == "en" and first["clause_en"] else text,
                "units": codes,
                "covered": bool(g["covered"].any()),
                "partly": bool(g["covered"].any() and not g["covered"].all()),
                "pro": bool(first["prohibition"]),
                "rules": ";".join(
                    dict.fromkeys(r for v in g["rule_ids"] for r in v.split(";") if r)
                ),
                "suggest": first["suggestions"] if not g["covered"].all() else "",
            }
        )
    order = {d.key: i for i, d in enumerate(DIMENSIONS)}
    grouped.sort(key=lambda r: (r["covered"], not r["pro"], order.get(r["dimension"], 9)))
    rows = []
    for r in grouped:
        cls = ("uncovered" if not r["covered"] else "") + (" pro" if r["pro"] else "")
        units = " ".join(r["units"][:6]) + (
            f" … ({len(r['units'])})" if len(r["units"]) > 6 else ""
        )
        mark = f"[{t['pro']}] " if r["pro"] else ""
        rules = r["rules"] or t["none"]
        rows.append(
            f'<tr class="{cls.strip()}"><td>{_e(dim.get(r["dimension"], r["dimension"]))}</td>'
            f"<td>{_e(r['item'])}</td><td>{_e(mark)}{_e(r['clause'])}</td>"
            f'<td class="small">{_e(units)}</td><td>{_e(rules)}</td>'
            f'<td class="small">{_e(r["suggest"])}</td></tr>'
        )
    head = "".join(
        f"<th>{_e(t[k])}</th>" for k in ("dimension", "item", "clause", "units", "rules", "suggest")
    )
    meta = t["counts"].format(
        clauses=counts["clauses"],
        units=counts["units"],
        covered=counts["covered"],
        uncovered=counts["uncovered"],
        pro=counts["uncovered_prohibitions"],
        texts=counts["distinct_texts"],
        tcov=counts["distinct_covered"],
    )
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(t['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(t['title'])}</h1>",
        f'<p class="meta" id="counts">{_e(meta)}</p>',
    ]
    if counts.get("units_without_access_list"):
        out.append(f"<p>{_e(t['no_list'].format(n=counts['units_without_access_list']))}</p>")
    out.append(f'<table id="coverage"><thead><tr>{head}</tr></thead><tbody>')
    out.extend(rows)
    out.append("</tbody></table>")
    for key, data in (("unmatched", unmatched), ("stale", stale)):
        if data:
            out.append(f"<h2>{_e(t[key])}</h2><ul>")
            for rid, refs in data.items():
                for ref in refs:
                    shown = " → ".join(ref) if isinstance(ref, tuple) else ref
                    out.append(f"<li>{_e(rid)}: {_e(shown)}</li>")
            out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def write_coverage(
    table: pd.DataFrame,
    counts: dict,
    out: str | PathLike,
    /,
    *,
    lang: Literal["zh", "en"] = "zh",
    unmatched: dict | None = None,
    stale: dict | None = None,
) -> dict[str, Path]:
    """Write ``out`` (CSV) and the HTML page beside it (same stem, ``.html``)."""
    out = Path(out)
    page = out.with_suffix(".html")
    text = coverage_html(table, counts, lang=lang, unmatched=unmatched, stale=stale)
    with atomic_file(out) as tmp_csv, atomic_file(page) as tmp_html:
        table.to_csv(tmp_csv, index=False, encoding="utf-8-sig")
        tmp_html.write_text(text, encoding="utf-8")
    return {"csv": out, "html": page}
