"""The front page of a run (``zoning demo`` writes ``index.html``).

:func:`write_index` writes one page: the headline figures read from the run's own
summaries (verdict counts of the screening, conflict counts, the afforestation and
allocation selections, the rule coverage of the clauses), a card per map with its static
PNG as thumbnail where one was written beside it (``x.html`` → ``x.png``), the screening
reports per project with their verdicts, and the other files.  Chinese or English; a
figure whose summary is missing is left out, never shown as 0.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import os
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from zoning._version import __version__
from zoning.export._atomic import atomic_file
from zoning.i18n import STATUS_COLORS, STATUS_LABELS, VERDICT_COLORS, VERDICTS, format_value

log = logging.getLogger(__name__)

_W = {
    "zh": {
        "title": "青溪县生态环境分区管控示范成果",
        "made": "由 zoning {v} 生成",
        "screening": "项目选址研判",
        "projects": "个项目",
        "conflicts": "准入冲突核查",
        "facilities": "个设施",
        "coverage": "准入条款规则覆盖",
        "clauses": "条款",
        "covered": "有规则核查",
        "uncovered": "无规则核查",
        "uncovered_pro": "其中禁止类",
        "afforest": "污染耕地造林选址",
        "patches": "入选地块",
        "area": "面积（公顷）",
        "sink": "碳汇（吨CO2/年）",
        "cost": "费用",
        "allocate": "新能源与造林配置",
        "plots": "地块",
        "mw": "装机（MW）",
        "avoided": "减排（吨CO2/年）",
        "hotspots": "减污降碳协同热点单元",
        "maps": "地图",
        "no_thumb": "（无静态缩略图）",
        "reports": "逐项目研判报告",
        "files": "其他成果文件",
        "units": "个",
    },
    "en": {
        "title": "Qingxi County zoning demo",
        "made": "Made by zoning {v}",
        "screening": "Project screening",
        "projects": "projects",
        "conflicts": "Access-management conflicts",
        "facilities": "facilities",
        "coverage": "Access-list clauses checked by rules",
        "clauses": "clauses",
        "covered": "checked by a rule",
        "uncovered": "not checked",
        "uncovered_pro": "of them prohibitions",
        "afforest": "Afforestation on polluted farmland",
        "patches": "selected patches",
        "area": "area (ha)",
        "sink": "sink (t CO2/yr)",
        "cost": "cost",
        "allocate": "New energy and trees on polluted plots",
        "plots": "plots",
        "mw": "capacity (MW)",
        "avoided": "avoided (t CO2/yr)",
        "hotspots": "Pollution-carbon co-hot-spot units",
        "maps": "Maps",
        "no_thumb": "(no static thumbnail)",
        "reports": "Screening report per project",
        "files": "Other outputs",
        "units": "units",
    },
}
#: Uses of the allocation (zoning.products.allocate) in the run's language.
_USES = {
    "trees": ("造林", "trees"),
    "pv": ("光伏", "PV"),
    "forest_pv": ("林光互补", "forest PV"),
    "risk_control_only": ("仅风险管控", "risk control only"),
}
_CSS = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;color:#222;"
    "background:#f4f4f0}main{max-width:1150px;margin:0 auto;padding:20px 28px}"
    "h1{font-size:24px}h2{font-size:18px;border-bottom:2px solid #444;margin-top:26px}"
    ".figs{display:flex;flex-wrap:wrap;gap:12px}.fig{background:#fff;border:1px solid #ccc;"
    "border-radius:6px;padding:10px 14px;min-width:220px}.fig h3{font-size:15px;margin:0 0 6px}"
    ".fig table{border-collapse:collapse}.fig td{padding:2px 8px 2px 0}.fig td.n{text-align:right;"
    "font-weight:bold;font-variant-numeric:tabular-nums}.sw{display:inline-block;width:11px;"
    "height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}"
    ".maps{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:14px}"
    ".card{background:#fff;border:1px solid #ccc;border-radius:6px;padding:8px;display:block;"
    "color:#222;text-decoration:none}.card img{width:100%;height:180px;object-fit:contain;"
    "background:#fafafa;border:1px solid #eee}.card .none{height:180px;display:flex;"
    "align-items:center;justify-content:center;color:#888;background:#fafafa}"
    ".card div.t{margin-top:6px;font-weight:bold}.reports a{display:inline-block;margin:3px 6px 3px 0;"
    "padding:3px 8px;border-radius:4px;color:#fff;text-decoration:none;font-size:13px;"
    "text-align:center}.reports img{display:block;width:150px;height:105px;object-fit:contain;"
    "background:#fff;margin-bottom:3px;border-radius:2px}"
    "ul.files{columns:2;font-size:13px}"
)


#: Titles of the maps and pages a run writes, by ``folder/file`` (others by their name).
_MAP_TITLES = {
    "zoning_map.html": ("生态环境管控单元分区图", "Zoning map"),
    "zoning_map_en.html": ("管控单元分区图（英文版）", "Zoning map (English)"),
    "zoning_map_zh.html": ("管控单元分区图（中文版）", "Zoning map (Chinese)"),
    "diff/diff_map.html": ("管控单元版本对比图", "Changes between editions"),
    "diff/statement.html": ("更新情况说明", "Update statement"),
    "rules_coverage.html": ("准入条款规则覆盖表", "Clauses checked by rules"),
    "conflicts/conflicts.html": ("准入冲突图", "Access-management conflicts"),
    "stats/unit_stats.html": ("分单元排放统计图", "Emissions per unit"),
    "hotspots/hotspots.html": ("减污降碳协同热点图", "Pollution-carbon co-hot-spots"),
    "soil/parcels_soil.html": ("农用地土壤类别图", "Soil classes of farmland"),
    "afforest/afforest.html": ("污染耕地造林选址图", "Afforestation sites"),
    "allocate/map.html": ("新能源与造林配置图", "New energy and trees on polluted plots"),
}


def _map_title(target: Path, name: str, lang: str) -> str:
    titles = _MAP_TITLES.get(f"{target.parent.name}/{target.name}") or _MAP_TITLES.get(target.name)
    return titles[0 if lang == "zh" else 1] if titles else name


def _rel(target: Path, base: Path) -> str:
    return Path(os.path.relpath(Path(target).resolve(), base.resolve())).as_posix()


def _find(outputs: Mapping[str, Path], parent: str, name: str) -> Path | None:
    """The output (or a file beside one) named ``parent/name``, if it was written."""
    for p in outputs.values():
        p = Path(p)
        for cand in (p, p.parent / name, p.parent.parent / name):
            if cand.name == name and cand.parent.name == parent and cand.is_file():
                return cand
    return None


def _json(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("front page: %s could not be read (%s); its figures are left out", path, exc)
        return None


def _fig(title: str, rows: list[tuple[str, object, str]]) -> str:
    """One card of figures: rows of (label, value, swatch colour or '')."""
    body = "".join(
        f"<tr><td>{f'<span class=sw style=background:{c}></span>' if c else ''}"
        f"{html.escape(label)}</td><td class='n'>{html.escape(format_value(v))}</td></tr>"
        for label, v, c in rows
        if v is not None
    )
    return f"<div class='fig'><h3>{html.escape(title)}</h3><table>{body}</table></div>"


def _figures(outputs: Mapping[str, Path], lang: str) -> list[str]:
    """The headline figures of the run, from the summaries it wrote."""
    w = _W[lang]
    i = 0 if lang == "zh" else 1
    cards = []
    doc = _json(_find(outputs, "screening", "result.json"))
    if doc and doc.get("projects"):
        counts: dict[str, int] = {}
        for p in doc["projects"]:
            counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        rows = [(VERDICTS[v][i], counts[v], VERDICT_COLORS[v]) for v in VERDICTS if v in counts]
        cards.append(_fig(f"{w['screening']}: {len(doc['projects'])} {w['projects']}", rows))
    conf = _json(_find(outputs, "conflicts", "summary.json"))
    if conf and conf.get("by_status"):
        rows = [
            (STATUS_LABELS[lang].get(k, k), n, STATUS_COLORS.get(k, "#ccc"))
            for k, n in conf["by_status"].items()
        ]
        cards.append(_fig(f"{w['conflicts']}: {conf.get('facilities')} {w['facilities']}", rows))
    cov = _coverage(_coverage_path(outputs))
    if cov:
        rows = [
            (w["clauses"], cov["clauses"], ""),
            (w["covered"], cov["covered"], "#1a9850"),
            (w["uncovered"], cov["uncovered"], "#d7301f"),
            (w["uncovered_pro"], cov["uncovered_pro"], ""),
        ]
        cards.append(_fig(w["coverage"], rows))
    aff = _json(_find(outputs, "afforest", "summary.json"))
    if aff:
        rows = [
            (w["patches"], aff.get("n_selected_patches"), ""),
            (w["area"], aff.get("selected_area_ha"), ""),
            (w["sink"], aff.get("sink_t_co2_yr"), ""),
            (w["cost"], aff.get("cost"), ""),
        ]
        cards.append(_fig(w["afforest"], rows))
    alloc = _json(_find(outputs, "allocate", "summary.json"))
    if alloc and alloc.get("by_use"):
        rows = []
        for use, v in alloc["by_use"].items():
            label = _USES.get(use, (use, use))[i]
            rows.append((f"{label}: {w['plots']}", v.get("plots"), ""))
            if v.get("area_ha"):
                rows.append((f"{label}: {w['area']}", v.get("area_ha"), ""))
            if v.get("mw"):
                rows.append((f"{label}: {w['mw']}", v.get("mw"), ""))
            if v.get("sink_t_co2_yr"):
                rows.append((f"{label}: {w['sink']}", v.get("sink_t_co2_yr"), ""))
            if v.get("avoided_t_co2_yr"):
                rows.append((f"{label}: {w['avoided']}", v.get("avoided_t_co2_yr"), ""))
        cards.append(_fig(w["allocate"], rows))
    hot = _json(_find(outputs, "hotspots", "summary.json"))
    if hot and hot.get("classes"):
        from zoning.i18n import CO_CLASSES

        rows = [
            (CO_CLASSES[k][i], n, CO_CLASSES[k][2])
            for k, n in hot["classes"].items()
            if k in CO_CLASSES
        ]
        cards.append(_fig(w["hotspots"], rows))
    return cards


def _coverage_path(outputs: Mapping[str, Path]) -> Path | None:
    return next((Path(p) for p in outputs.values() if Path(p).name == "rules_coverage.csv"), None)


def _coverage(path: Path | None) -> dict | None:
    """Counts of the coverage table: clauses, covered, uncovered, uncovered prohibitions."""
    if path is None or not path.is_file():
        return None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "covered" not in rows[0]:
        return None
    yes = {"true", "1", "yes"}
    covered = [r["covered"].strip().lower() in yes for r in rows]
    pro = [r.get("prohibition", "").strip().lower() in yes for r in rows]
    return {
        "clauses": len(rows),
        "covered": sum(covered),
        "uncovered": len(rows) - sum(covered),
        "uncovered_pro": sum(p and not c for p, c in zip(pro, covered, strict=True)),
    }


def _thumb(html_path: Path) -> Path | None:
    """The static PNG beside a map page: ``x.html`` → ``x.png``."""
    png = html_path.with_suffix(".png")
    return png if png.is_file() else None


def write_index(
    outputs: Mapping[str, str | PathLike], path: str | PathLike, /, *, lang: str = "zh"
) -> Path:
    """Write the front page of a run's ``outputs`` (name → path), links relative to it.

    Parameters
    ----------
    outputs : mapping name → path
        What the run wrote; the names are shown as written (the run's language).
    path : path
        Where ``index.html`` goes.
    lang : {"zh", "en"}, optional (default: "zh")
    """
    path = Path(path)
    lang = lang if lang in _W else "en"
    w = _W[lang]
    outputs = {k: Path(v) for k, v in outputs.items()}
    base = path.parent
    maps, reports, files = [], [], []
    verdicts = _report_verdicts(outputs)
    report_dirs = {t.parent for t in outputs.values() if t.name == "report.html"}
    for name, target in outputs.items():
        rel = html.escape(_rel(target, base), quote=True)
        if target.name == "report.html":
            pid = target.parent.name
            color = VERDICT_COLORS.get(verdicts.get(pid, ""), "#777")
            site = target.parent / "site_map.png"  # the report's static site map
            img = (
                f"<img src='{html.escape(_rel(site, base), quote=True)}' alt='' loading='lazy'>"
                if site.is_file()
                else ""
            )
            reports.append(
                f"<a href='{rel}' style='background:{color}'>{img}{html.escape(pid)}</a>"
            )
        elif target.suffix == ".html":
            png = _thumb(target)
            img = (
                f"<img src='{html.escape(_rel(png, base), quote=True)}' alt=''>"
                if png
                else f"<div class='none'>{html.escape(w['no_thumb'])}</div>"
            )
            maps.append(
                f"<a class='card' href='{rel}'>{img}<div class='t'>{html.escape(_map_title(target, name, lang))}</div></a>"
            )
        elif target.parent not in report_dirs or target.name == "summary.csv":
            files.append(f"<li><a href='{rel}'>{html.escape(name)}</a></li>")
    body = [
        f"<h1>{html.escape(w['title'])}</h1>",
        "<div class='figs'>",
        *_figures(outputs, lang),
        "</div>",
    ]
    if maps:
        body += [f"<h2>{html.escape(w['maps'])}</h2><div class='maps'>", *maps, "</div>"]
    if reports:
        body += [f"<h2>{html.escape(w['reports'])}</h2><div class='reports'>", *reports, "</div>"]
    if files:
        body += [f"<h2>{html.escape(w['files'])}</h2><ul class='files'>", *files, "</ul>"]
    page = (
        f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head>"
        f"<meta charset='utf-8'><title>{html.escape(w['title'])}</title><style>{_CSS}</style>"
        "</head><body><main>"
        + "".join(body)
        + f"<p>{html.escape(w['made'].format(v=__version__))}</p></main></body></html>"
    )
    with atomic_file(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _report_verdicts(outputs: Mapping[str, Path]) -> dict[str, str]:
    doc = _json(_find(outputs, "screening", "result.json"))
    return {str(p["project_id"]): p["verdict"] for p in (doc or {}).get("projects", [])}
