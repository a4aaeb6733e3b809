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
