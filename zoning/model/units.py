"""Control units: their codes and classes, access-list dimensions, elements, field mappings.

No I/O here.  A *unit layer* is a GeoDataFrame with the canonical columns below; readers
map published field names onto them (see :data:`PUBLISHED_FIELDS`).

Control-unit codes (环境管控单元编码) have 13 characters: ``ZH`` + 6-digit administrative
code + 1-digit class (1 priority protection, 2 key control, 3 general control) + 4-digit
serial, e.g. ``ZH33990120001``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

# --- classes -------------------------------------------------------------------------

PRIORITY, KEY, GENERAL = 1, 2, 3


@dataclass(frozen=True)
class UnitClass:
    """One of the three control-unit classes."""

    digit: int
    key: str
    zh: str
    en: str
    color: str

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


UNIT_CLASSES: dict[int, UnitClass] = {
    PRIORITY: UnitClass(1, "priority", "优先保护单元", "Priority protection", "#2e8b57"),
    KEY: UnitClass(2, "key", "重点管控单元", "Key control", "#d7301f"),
    GENERAL: UnitClass(3, "general", "一般管控单元", "General control", "#f0c419"),
}

#: Text spellings of the classes seen in published layers, mapped to the class digit.
CLASS_ALIASES: dict[str, int] = {}
for _c in UNIT_CLASSES.values():
    for _alias in (_c.zh, _c.zh.removesuffix("单元"), _c.en, _c.key, str(_c.digit)):
        CLASS_ALIASES[_alias.lower()] = _c.digit
CLASS_ALIASES.update({"优先保护类": 1, "重点管控类": 2, "一般管控类": 3})

# --- access-list dimensions ------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """One of the four dimensions of an access list (生态环境准入清单)."""

    key: str  # rule files use this key
    column: str  # canonical column of the Chinese text; English text is column + "_en"
    zh: str
    en: str
    published: str  # field name in published layers

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("spatial", "access_spatial", "空间布局约束", "Spatial layout constraints", "KJBJYS"),
    Dimension(
        "emission", "access_emission", "污染物排放管控", "Pollutant emission control", "PWWPFGK"
    ),
    Dimension("risk", "access_risk", "环境风险防控", "Environmental risk prevention", "HJFXFK"),
    Dimension(
        "resource", "access_resource", "资源开发效率要求", "Resource-use efficiency", "ZYKFXLYQ"
    ),
)
DIMENSION_KEYS = tuple(d.key for d in DIMENSIONS)

# --- environmental elements -------------------------------------------------------------

#: Element types (环境要素) and their labels.
ELEMENTS: dict[str, tuple[str, str]] = {
    "ecological": ("生态", "Ecological"),
    "water": ("水环境", "Water"),
    "air": ("大气环境", "Air"),
    "soil": ("土壤环境", "Soil"),
    "sea": ("近岸海域", "Near-shore sea"),
    "resource": ("资源利用", "Resource use"),
    "comprehensive": ("综合", "Comprehensive"),
}
ELEMENT_ALIASES: dict[str, str] = {}
for _k, (_zh, _en) in ELEMENTS.items():
    ELEMENT_ALIASES.update({_k: _k, _zh: _k, _en.lower(): _k, _zh.removesuffix("环境"): _k})

# --- canonical columns ------------------------------------------------------------------

#: Canonical columns of a unit layer, with whether they are required.
UNIT_COLUMNS: dict[str, bool] = {
    "code": True,
    "unit_class": True,
    "name": False,
    "name_en": False,
    "admin_code": False,
    "prov": False,
    "city": False,
    "county": False,
    "element": False,
    "subtype": False,
    **{d.column: False for d in DIMENSIONS},
    **{d.column + "_en": False for d in DIMENSIONS},
}

#: Field names of published zoning-platform layers, mapped to canonical columns.
PUBLISHED_FIELDS: dict[str, str] = {
    "HJZHGKDYBM": "code",
    "HJZHGKDYMC": "name",
    "ZHGKDYFL": "unit_class",
    "PROV": "prov",
    "CITY": "city",
    "AREA": "county",
    "HJYS": "element",
    "YSXL": "subtype",
    **{d.published: d.column for d in DIMENSIONS},
}

CODE_PATTERN = re.compile(r"^ZH(?P<admin>\d{6})(?P<cls>[1-3])(?P<serial>\d{4})$")


def parse_code(code: str) -> tuple[str, int, str] | None:
    """Split a unit code into (admin code, class digit, serial); None when malformed."""
    m = CODE_PATTERN.match(str(code)) if code is not None else None
    if not m:
        return None
    return m["admin"], int(m["cls"]), m["serial"]


def normalise_class(value) -> int | None:
    """Class digit (1, 2, 3) from a digit or a published text spelling; None if unknown."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return int(value) if value in UNIT_CLASSES else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if int(value) in UNIT_CLASSES else None
    return CLASS_ALIASES.get(str(value).strip().lower())


def normalise_element(value) -> str | None:
    """Canonical element key from a key or a Chinese/English label; None if empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value) == "":
        return None
    return ELEMENT_ALIASES.get(str(value).strip().lower(), str(value).strip())


def class_label(digit: int, lang: str = "zh") -> str:
    c = UNIT_CLASSES.get(digit)
    return c.label(lang) if c else ("未知" if lang == "zh" else "unknown")


def normalise_units(units: gpd.GeoDataFrame, /) -> gpd.GeoDataFrame:
    """A copy with ``unit_class`` as integers 1-3 (unknown → <NA>) and ``element`` as keys."""
    out = units.copy()
    out["unit_class"] = pd.array(
        [normalise_class(v) for v in out["unit_class"].tolist()], dtype="Int64"
    )
    if "element" in out:
        out["element"] = [normalise_element(v) for v in out["element"].tolist()]
    return out
