"""The demo's log in one language: library warnings and progress lines said in the run's
language, and the closing listing of outputs with labels in it.

The library logs in English.  While ``zoning demo --lang zh`` runs, :class:`OneLanguage`
(a logging filter on the handlers) rewrites the warnings the demo's data raise and the
names of progress steps into Chinese; :func:`output_label` gives each output of the
closing listing a label in the run's language.  :func:`foreign_lines` finds the lines of a
log that are not in its language (tests run the demo's log through it).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

#: Library warnings the demo raises, English template → Chinese template (same args).
WARNINGS_ZH: dict[str, str] = {
    "rule tag '%s' (%s) matches no facility's tag, so the rule never fires on it; "
    "tag values seen: %s. Fix: %suse the data's tag in the rule file, or map the "
    "column to the tags with read_facilities(fields={'tags': COLUMN})": "规则标签 '%s'（%s）与任何设施的标签都不匹配，"
    "这些规则不会对设施生效；数据中的标签值：「%s」。修正：%s在规则文件中改用数据中的标签，"
    "或用 --facility-field tags=列名 映射标签列",
    "demo grid '%s' is missing; rules on it stay undecided": "演示格网 '%s' 缺失，"
    "依赖它的规则无法判定",
}

#: Progress steps of the library, English name (or its first word) → Chinese.
STEPS_ZH: dict[str, str] = {
    "afforestation candidates": "造林候选图斑",
    "evaluate conflicts": "冲突判定",
    "reproject to WGS 84": "转换为 WGS 84 坐标",
    "selection under the budget": "预算内选址",
    "soil classes of parcels": "地块土壤类别",
}
_VERBS_ZH = {"write": "写出", "read": "读取"}


def _arg_zh(value):
    """An argument of a translated warning: its English fragments in Chinese."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"^did you mean (.*)\? $", r"是否应为「\1」？", value)
    value = re.sub(r" … \((\d+) in all\)$", r" …（共 \1 个）", value)
    return "无" if value == "none" else value


def step_name(name: str, lang: str) -> str:
    """A progress step's name in ``lang`` (file names stay as they are)."""
    if lang != "zh":
        return name
    if name in STEPS_ZH:
        return STEPS_ZH[name]
    verb, _, rest = name.partition(" ")
    return f"{_VERBS_ZH[verb]} {rest}" if verb in _VERBS_ZH and rest else name


class OneLanguage(logging.Filter):
    """Rewrites warnings and progress records into the run's language (Chinese)."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def filter(self, record: logging.LogRecord) -> bool:
        if self.lang != "zh":
            return True
        info = getattr(record, "zoning_progress", None)
        if info is not None:
            event, name, *rest = info
            record.zoning_progress = (event, step_name(name, "zh"), *rest)
        elif record.levelno >= logging.WARNING and record.msg in WARNINGS_ZH:
            record.msg = WARNINGS_ZH[record.msg]
            if isinstance(record.args, tuple):
                record.args = tuple(_arg_zh(a) for a in record.args)
        return True


#: Labels of output names in the closing listing, name → (zh, en).
LABELS: dict[str, tuple[str, str]] = {
    "zoning map (zh)": ("管控分区图（中文）", "zoning map (Chinese)"),
    "zoning map (en)": ("管控分区图（英文）", "zoning map (English)"),
    "units GeoJSON": ("管控单元 GeoJSON", "units GeoJSON"),
    "units GeoPackage": ("管控单元 GeoPackage", "units GeoPackage"),
    "coverage table (CSV)": ("规则覆盖表（CSV）", "coverage table (CSV)"),
    "coverage table": ("规则覆盖表", "coverage table"),
    "geojson": ("GeoJSON", "GeoJSON"),
    "csv": ("CSV 表", "CSV table"),
    "html": ("网页地图", "web map"),
    "summary": ("汇总", "summary"),
    "result": ("研判结果（JSON）", "results (JSON)"),
    "site_map": ("选址示意图", "site map"),
    "report": ("研判报告", "report"),
    "report.pdf": ("研判报告（PDF）", "report (PDF)"),
    "report.docx": ("研判报告（Word）", "report (Word)"),
    "summary.pdf": ("汇总表（PDF）", "summary (PDF)"),
    "summary.docx": ("汇总表（Word）", "summary (Word)"),
    "unit_stats_csv": ("分单元统计（CSV）", "unit statistics (CSV)"),
    "unit_stats_geojson": ("分单元统计（GeoJSON）", "unit statistics (GeoJSON)"),
    "unit_stats_map": ("分单元统计图", "unit statistics map"),
    "hotspots_geojson": ("热点（GeoJSON）", "hot spots (GeoJSON)"),
    "hotspots_html": ("热点图", "hot-spot map"),
    "hotspots_summary": ("热点汇总", "hot-spot summary"),
    "parcels_soil": ("地块土壤类别（GeoJSON）", "parcel soil classes (GeoJSON)"),
    "samples_soil": ("样点土壤类别（GeoJSON）", "sample soil classes (GeoJSON)"),
    "soil_map": ("土壤类别图", "soil class map"),
    "selected": ("入选图斑", "selected patches"),
    "rejected": ("未入选", "rejected"),
    "map": ("地图", "map"),
    "png": ("静态图（PNG）", "static map (PNG)"),
    "diff map": ("版本对比图", "diff map"),
    "update statement": ("更新说明", "update statement"),
    "rescreen table": ("重新研判表", "rescreen table"),
    "selected.geojson": ("入选地块（GeoJSON）", "selected plots (GeoJSON)"),
    "rejected.geojson": ("未入选地块（GeoJSON）", "rejected plots (GeoJSON)"),
    "summary.json": ("汇总（JSON）", "summary (JSON)"),
    "map.html": ("地图", "map"),
    "tradeoff.png": ("权衡曲线（PNG）", "trade-off curve (PNG)"),
    "index": ("首页", "front page"),
}


def output_label(key: str, lang: str, path: Path | str | None = None) -> str:
    """The label of one output in the closing listing (``title: name[:id]`` keys)."""
    i = 0 if lang == "zh" else 1
    if key in LABELS:
        return LABELS[key][i]
    title, sep, name = key.partition(": ")
    if not sep:
        title, name = "", key
    base, colon, pid = name.partition(":")
    if base in LABELS:
        word = LABELS[base][i] + (f" {pid}" if colon else "")
    elif lang == "zh" and path is not None and not _CJK.search(name):  # unlisted: its file
        word = Path(path).name
    else:
        word = name
    return f"{title}: {word}" if title else word


# ----------------------------------------------------------------------------------------
# the check


_SKIP = re.compile(
    r"(?:[\w.~-]*/[\w./~-]*)"  # paths
    r"|\b[\w-]+\.(?:html|png|csv|json|geojson|gpkg|pdf|docx|tif|yaml|ttc)\b"  # file names
    r"|--[\w-]+(?:=\S+|\s+\w+=\S*)?"  # options (with a NAME=VALUE argument)
    r"|'[^']*'|「[^」]*」"  # quoted data values (tags)
    r"|\b(?:EPSG|CGCS|WGS|GeoJSON|GeoPackage|CSV|PNG|PDF|Word|JSON|HTML|IPCC|Tier|CO2|SO2|NOx"
    r"|VOCs|PM2\.5|ha|km|km²|t|m|s|yr)\b"  # names of formats, CRSs, units of measure
    r"|\b[A-Z]{2,}[-\w]*\b|\b\w*\d\w*\b"  # ids: rule ids, unit codes, P001
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b"  # column names (review_clauses)
)
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_WORD = re.compile(r"[A-Za-z]{3,}")


def foreign_lines(text: str, lang: str, data: tuple[str, ...] = ()) -> list[str]:
    """Lines of a log that are not in ``lang``: English words in a Chinese log (paths,
    file names, options, quoted values, ids, units of measure aside), Chinese in an
    English one (``data``: values such as names that may be Chinese in either)."""
    out = []
    for line in text.splitlines():
        rest = line
        for value in data:
            rest = rest.replace(value, " ")
        if lang == "zh":
            rest = _SKIP.sub(" ", rest)
            # rule expressions quoted from the rule file (…：a → b) are data, not prose
            rest = re.sub(r"(条件|适用范围|结论)：[^；）]*", " ", rest)
            if _WORD.search(rest):
                out.append(line)
        elif _CJK.search(rest):
            out.append(line)
    return out
