"""The vocabulary and result of an edition diff: change kinds, reason codes, findings
and :class:`UnitDiff`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import geopandas as gpd
import pandas as pd

from zoning.geo import EQUAL_AREA
from zoning.i18n import KIND_COLORS as KIND_COLORS  # re-exported
from zoning.i18n import KIND_LABELS as KIND_LABELS  # re-exported
from zoning.model import DIMENSIONS, UNIT_CLASSES

#: Change kinds, strongest first (the ``kind`` of a change is the first that applies).
KINDS: tuple[str, ...] = (
    "split",
    "merged",
    "added",
    "removed",
    "recoded",
    "reshaped",
    "attributes",
    "unchanged",
)
#: Columns compared as whole values (the access lists are compared clause by clause).
ATTRIBUTES: tuple[str, ...] = ("unit_class", "element", "subtype", "name", "name_en") + tuple(
    d.column + "_en" for d in DIMENSIONS
)
#: Class keys of the transition matrix, ``outside`` = not covered by the other edition.
CLASS_KEYS: dict[int, str] = {c.digit: c.key for c in UNIT_CLASSES.values()}
OUTSIDE = "outside"


class Reason(str, Enum):
    """Reason codes of the reviewer's checks."""

    PRIORITY_DECREASE = "priority_decrease"
    CODE_REUSED = "code_reused"
    CODE_GAP = "code_gap"
    NEW_OVERLAP = "new_overlap"
    NEW_GAP = "new_gap"
    CLASS_WITHOUT_ACCESS = "class_change_without_access_change"
    ACCESS_WITHOUT_CLASS = "access_change_without_class_change"


#: (severity, zh, en) of each reason.
REASONS: dict[Reason, tuple[str, str, str]] = {
    Reason.PRIORITY_DECREASE: (
        "fail",
        "优先保护单元面积减少",
        "priority protection area decreased",
    ),
    Reason.CODE_REUSED: ("fail", "重复使用已撤销的单元编码", "a retired code is used again"),
    Reason.CODE_GAP: ("note", "单元编码序号不连续", "a gap in the serial numbers of the codes"),
    Reason.NEW_OVERLAP: ("fail", "新版单元之间新增重叠", "new units overlap"),
    Reason.NEW_GAP: (
        "fail",
        "原有范围在新版中无单元覆盖",
        "part of the old zoning has no new unit",
    ),
    Reason.CLASS_WITHOUT_ACCESS: (
        "fail",
        "管控类别变化但准入清单未变",
        "the class changed but the access list did not",
    ),
    Reason.ACCESS_WITHOUT_CLASS: (
        "note",
        "准入清单变化但管控类别未变",
        "the access list changed but the class did not",
    ),
}


# ----------------------------------------------------------------------------------------
# the result


@dataclass
class Finding:
    """One reviewer's check that fired."""

    reason: Reason
    detail_zh: str
    detail_en: str
    codes: tuple[str, ...] = ()
    area_m2: float | None = None

    @property
    def severity(self) -> str:
        return REASONS[self.reason][0]


@dataclass
class UnitDiff:
    """What :func:`diff_units` found.

    Attributes
    ----------
    changes : GeoDataFrame
        One row per change (unchanged units are not listed): ``change_id``, ``kind``,
        ``kinds`` (every kind that applies, ``;``-joined), ``old_codes``, ``new_codes``,
        ``old_class``, ``new_class``, ``area_old_m2``, ``area_new_m2``, ``area_change_m2``,
        ``area_change_pct``, ``attributes`` (changed columns), ``clauses`` (clause changes
        in words), ``reason_zh``/``reason_en``, ``before``/``after`` (for popups); the
        geometry is the new shape (the old one for ``removed``), WGS 84.
    units : DataFrame
        One row per unit of either edition that changed: ``edition`` (old/new), ``code``,
        ``name``, ``unit_class``, ``kind``, ``counterparts`` and the reason.
    clauses : DataFrame
        One row per clause change: ``old_code``, ``new_code``, ``dimension``, ``change``
        (added/removed/reworded), ``old_text``, ``new_text``.
    transitions : DataFrame
        The class transition matrix in long form: ``old_class``, ``new_class`` (priority,
        key, general, outside), ``area_km2`` (EPSG:6933) and ``planar_area_km2`` (the
        Gauss-Krüger zone ``gk_crs``).
    classes : DataFrame
        The update statement's table: per class, the count and area (both measures)
        before and after.
    findings : DataFrame
        The reviewer's checks: ``reason``, ``severity``, ``codes``, ``area_m2``,
        ``detail_zh``, ``detail_en``; geometry-free.
    counts : dict
        Changes by kind (``unchanged`` counts units).
    """

    changes: gpd.GeoDataFrame
    units: pd.DataFrame
    clauses: pd.DataFrame
    transitions: pd.DataFrame
    classes: pd.DataFrame
    findings: pd.DataFrame
    counts: dict[str, int]
    gk_crs: str
    area_crs: str = EQUAL_AREA
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no ``fail`` check fired."""
        return not (self.findings["severity"] == "fail").any() if len(self.findings) else True

    def matrix(self, measure: str = "area_km2") -> pd.DataFrame:
        """The transition matrix as a table: old class rows × new class columns (km²)."""
        keys = [*CLASS_KEYS.values(), OUTSIDE]
        m = self.transitions.pivot_table(
            index="old_class", columns="new_class", values=measure, aggfunc="sum", fill_value=0.0
        )
        return m.reindex(index=keys, columns=keys, fill_value=0.0)

    def summary(self, lang: str = "en") -> str:
        """A few lines for stderr: counts by kind, class areas before/after, the checks."""
        zh = lang == "zh"
        kinds = ", ".join(
            f"{KIND_LABELS[k][0 if zh else 1]} {n}" for k, n in self.counts.items() if n
        )
        lines = [("变化: " if zh else "changes: ") + kinds]
        for _, r in self.classes.iterrows():
            lines.append(
                f"  {r['class_zh'] if zh else r['class_en']}: {r['count_before']} → "
                f"{r['count_after']} {'个单元' if zh else 'units'}, {r['area_before_km2']:.3f} → "
                f"{r['area_after_km2']:.3f} km² (EPSG:6933)"
            )
        if len(self.findings):
            for _, f in self.findings.iterrows():
                if zh:  # the reason code is for machines; the detail says it in words
                    word = {"fail": "不通过", "note": "提示"}.get(f["severity"], f["severity"])
                    lines.append(f"  [{word}] {f['detail_zh']}")
                    continue
                lines.append(f"  [{f['severity']}] {f['reason']}: {f['detail_en']}")
        else:
            lines.append("  审查检查全部通过" if zh else "  every reviewer's check passed")
        return "\n".join(lines)


def _label(digit_or_key, lang: str) -> str:
    if digit_or_key == OUTSIDE:
        return "范围外" if lang == "zh" else "outside"
    c = UNIT_CLASSES.get(digit_or_key) if isinstance(digit_or_key, int) else None
    if c is None:
        c = next((u for u in UNIT_CLASSES.values() if u.key == digit_or_key), None)
    return c.label(lang) if c else str(digit_or_key)
