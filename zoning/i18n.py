"""Display labels and colours (Chinese and English) that the writers use.

Ground floor: imports only :mod:`zoning.model`.  Every table maps a key of the product
(a verdict, a status, a class) to its Chinese and English label and, where maps draw it,
its colour.  The core modules that used to hold these tables re-export them under their
old names (``zoning.screen.VERDICTS``, ``zoning.hotspots.CO_CLASSES``, ...); writers in
:mod:`zoning.export` import them from here.  The unit classes, elements and dimensions
carry their own labels in :mod:`zoning.model`; :data:`UNIT_CLASS_LABELS` and
:data:`UNIT_CLASS_COLORS` are views of them.
"""

from __future__ import annotations

from zoning.model.units import DIMENSIONS, UNIT_CLASSES
from zoning.model.units import class_label as class_label  # re-exported

# --- screening -----------------------------------------------------------------------------

#: Verdicts of a screening: key → (Chinese, English).
VERDICTS: dict[str, tuple[str, str]] = {
    "prohibited": ("禁止", "Prohibited"),
    "needs-information": ("需补充信息", "Needs information"),
    "restricted": ("有条件准入（限制）", "Restricted (conditions apply)"),
    "allowed": ("准入", "Allowed"),
}
VERDICT_COLORS = {
    "prohibited": "#d7301f",
    "needs-information": "#6a51a3",
    "restricted": "#fd8d3c",
    "allowed": "#1a9850",
}

#: Readable names of the facts rules ask for (zh, en).
FACT_LABELS: dict[str, tuple[str, str]] = {
    "sector": ("行业代码（GB/T 4754）", "sector code (GB/T 4754)"),
    "stage": ("建设阶段", "stage (existing/proposed)"),
    "tags": ("项目标签（如“两高”）", "tags (e.g. two_high)"),
    "capacity": ("产能", "capacity"),
    "capacity_unit": ("产能单位", "capacity unit"),
    "so2_t": ("SO2排放量（t/a）", "SO2 emission (so2_t, t/yr)"),
    "nox_t": ("NOx排放量（t/a）", "NOx emission (nox_t, t/yr)"),
    "pm_t": ("颗粒物排放量（t/a）", "PM emission (pm_t, t/yr)"),
    "vocs_t": ("VOCs排放量（t/a）", "VOCs emission (vocs_t, t/yr)"),
    "co2_t": ("CO2排放量（t/a）", "CO2 emission (co2_t, t/yr)"),
    "energy_tce": ("综合能耗（tce/a）", "energy use (energy_tce, tce/yr)"),
    "unit": ("所在管控单元", "control unit of the site"),
}

# --- conflicts -----------------------------------------------------------------------------

#: Statuses of a facility in the conflicts table and their map colours.
#: Statuses of a facility in ``zoning conflicts``, in this order.
STATUSES: tuple[str, ...] = ("conflict", "restricted", "ok", "unzoned", "invalid")
STATUS_COLORS = {
    "conflict": "#d7301f",
    "restricted": "#fd8d3c",
    "ok": "#1a9850",
    "unzoned": "#969696",
}
STATUS_LABELS = {
    "zh": {
        "conflict": "冲突（禁止）",
        "restricted": "限制（须满足条件）",
        "ok": "符合",
        "unzoned": "不在管控单元内",
        "invalid": "坐标无效",
    },
    "en": {
        "conflict": "conflict (prohibited)",
        "restricted": "restricted (conditions)",
        "ok": "ok",
        "unzoned": "outside every unit",
        "invalid": "invalid coordinates",
    },
}

#: Stages of a facility or project (:data:`zoning.model.STAGES`) on maps.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "existing": ("现有", "existing"),
    "proposed": ("拟建", "proposed"),
}
STAGE_COLORS = {"existing": "#525252", "proposed": "#e7298a"}

#: Tags of the bundled rule file and the command line's examples (zh, en); others are shown
#: as written.
TAG_LABELS: dict[str, tuple[str, str]] = {
    "two_high": ("两高", "two-high"),
    "coal": ("涉煤", "coal"),
    "vocs": ("涉VOCs", "VOCs"),
    "heavy_metals": ("涉重金属", "heavy metals"),
    "hazardous_chemicals": ("危险化学品", "hazardous chemicals"),
    "hazardous_waste": ("危险废物", "hazardous waste"),
    "mining": ("采矿", "mining"),
    "livestock": ("畜禽养殖", "livestock"),
    "outfall": ("入河排污口", "outfall"),
    "linear_infrastructure": ("线性基础设施", "linear infrastructure"),
    "new_energy": ("新能源", "new energy"),
    "polluted_land": ("污染土地", "polluted land"),
    "afforestation": ("造林", "afforestation"),
    "carbon_sink": ("碳汇", "carbon sink"),
    "water_intensive": ("高耗水", "water-intensive"),
    "energy_intensive": ("高耗能", "energy-intensive"),
}
#: Units of measure of the facts (zh, en); the fact tables give them in brackets.
FACT_UNITS: dict[str, tuple[str, str]] = {
    "so2_t": ("吨/年", "t/yr"),
    "nox_t": ("吨/年", "t/yr"),
    "pm_t": ("吨/年", "t/yr"),
    "vocs_t": ("吨/年", "t/yr"),
    "co2_t": ("吨/年", "t/yr"),
    "energy_tce": ("吨标准煤/年", "tce/yr"),
}
#: Capacity units as the demo and common data write them (zh, en); others as written.
CAPACITY_UNITS: dict[str, tuple[str, str]] = {
    "t/yr": ("吨/年", "t/yr"),
    "t clinker/yr": ("吨熟料/年", "t clinker/yr"),
    "t crude/yr": ("吨原油/年", "t crude/yr"),
    "m3/yr": ("立方米/年", "m3/yr"),
    "m3/d": ("立方米/日", "m3/d"),
    "m2/yr": ("平方米/年", "m2/yr"),
    "10^4 pcs/yr": ("万件/年", "10^4 pcs/yr"),
    "10^4 m/yr": ("万米/年", "10^4 m/yr"),
    "sets/yr": ("套/年", "sets/yr"),
    "head/yr": ("头/年", "head/yr"),
    "km": ("千米", "km"),
    "ha": ("公顷", "ha"),
    "MW": ("兆瓦", "MW"),
    "MW IT load": ("兆瓦（IT负荷）", "MW IT load"),
    "kV": ("千伏", "kV"),
}
#: Yes and no.
YES_NO: dict[str, tuple[str, str]] = {"yes": ("是", "yes"), "no": ("否", "no")}


def _missing(v) -> bool:
    return (
        v is None
        or v == ""
        or (isinstance(v, float) and v != v)
        or v
        in (
            float("inf"),
            float("-inf"),
        )
    )


def format_value(v, lang: str = "zh") -> str:
    """A measured value with sensible precision: 1,000,000 · 35.4 · 0.0123; '' if missing."""
    if _missing(v):
        return ""
    i = 0 if lang == "zh" else 1
    if isinstance(v, bool):
        return YES_NO["yes" if v else "no"][i]
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    a = abs(x)
    digits = 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 1 else 3 if a >= 0.01 else 6
    s = f"{x:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def fact_text(key: str, facts: dict, lang: str = "zh") -> str | None:
    """A project fact in words (stage, yes/no, tags, value with its unit); None if missing."""
    i = 0 if lang == "zh" else 1
    v = facts.get(key)
    if _missing(v):
        return None
    if key == "stage":
        return STAGE_LABELS.get(str(v), (str(v), str(v)))[i]
    if key == "two_high":
        truth = v if isinstance(v, bool) else str(v).strip().lower() in {"true", "1", "yes", "是"}
        return YES_NO["yes" if truth else "no"][i]
    if key == "tags":
        tags = [t.strip() for t in str(v).replace(";", ",").split(",") if t.strip()]
        return ("、" if lang == "zh" else ", ").join(TAG_LABELS.get(t, (t, t))[i] for t in tags)
    if key == "capacity_unit":
        return CAPACITY_UNITS.get(str(v), (str(v), str(v)))[i]
    if key == "capacity":
        unit = facts.get("capacity_unit")
        if _missing(unit):
            return format_value(v, lang) + (
                "（未注明单位）" if lang == "zh" else " (unit not given)"
            )
        return f"{format_value(v, lang)} {CAPACITY_UNITS.get(str(unit), (unit, unit))[i]}"
    if key in FACT_UNITS:
        return f"{format_value(v, lang)} {FACT_UNITS[key][i]}"
    return str(v)


# --- co-control hot spots ------------------------------------------------------------------

#: Co-control classes: key → (Chinese label, English label, colour).
CO_CLASSES: dict[str, tuple[str, str, str]] = {
    "both": ("减污降碳协同热点", "Pollution and carbon hot spot", "#b2182b"),
    "pollution": ("仅污染物热点", "Pollution hot spot only", "#ef8a62"),
    "carbon": ("仅碳排放热点", "Carbon hot spot only", "#67a9cf"),
    "neither": ("非热点", "Neither", "#e8e8e8"),
    "no_data": ("无数据（未参与检验）", "No data (not tested)", "#ffffff"),
}

# --- soil (GB 15618-2018) ------------------------------------------------------------------

#: Soil class code (0 unknown, 1 priority, 2 safe, 3 strict; :mod:`zoning.soil`) →
#: (key, Chinese label, English label, colour).
SOIL_CLASSES: dict[int, tuple[str, str, str, str]] = {
    0: ("unknown", "未定类", "Unclassified", "#9e9e9e"),
    1: ("priority", "优先保护类", "Priority protection", "#1a9850"),
    2: ("safe", "安全利用类", "Safe utilisation", "#fee08b"),
    3: ("strict", "严格管控类", "Strict control", "#d73027"),
}

# --- editions ------------------------------------------------------------------------------

#: Kinds of change between two editions of a unit layer: key → (Chinese, English).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "split": ("拆分", "split"),
    "merged": ("合并", "merged"),
    "added": ("新增", "added"),
    "removed": ("撤销", "removed"),
    "recoded": ("编码变更", "recoded"),
    "reshaped": ("边界调整", "reshaped"),
    "attributes": ("属性变更", "attributes changed"),
    "unchanged": ("未变化", "unchanged"),
}
KIND_COLORS = {
    "split": "#6a3d9a",
    "merged": "#1f78b4",
    "added": "#33a02c",
    "removed": "#e31a1c",
    "recoded": "#ff7f00",
    "reshaped": "#b15928",
    "attributes": "#fb9a99",
}

# --- unit classes and access lists ---------------------------------------------------------

#: Unit class digit → (Chinese, English) label (views of :data:`zoning.model.UNIT_CLASSES`).
UNIT_CLASS_LABELS: dict[int, tuple[str, str]] = {
    c.digit: (c.zh, c.en) for c in UNIT_CLASSES.values()
}
UNIT_CLASS_COLORS: dict[int, str] = {c.digit: c.color for c in UNIT_CLASSES.values()}


def item_label(dimension: str, item: str, lang: str = "zh", prohibition: bool = False) -> str:
    """Where a clause is in the list as written: dimension and item number."""
    dim = next((d.label(lang) for d in DIMENSIONS if d.key == dimension), dimension)
    mark = ("[禁止] " if lang == "zh" else "[prohibition] ") if prohibition else ""
    if not item:
        return f"{mark}{dim}"
    return f"{mark}{dim} 第{item}项" if lang == "zh" else f"{mark}{dim}, item {item}"
