"""The rule AST: machine-checkable access-list rules as frozen dataclasses.

A :class:`RuleSet` holds :class:`Rule` objects; a rule's condition is a small tree of
:class:`All`, :class:`AnyOf`, :class:`Not` and leaf conditions, each able to say which
facts it needs (:meth:`Condition.facts`), so that a missing fact can be reported as
"needs information" rather than silently read as "no".  No I/O and no parsing here: rule
files are read and validated by :func:`zoning.io.rulefile.parse_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zoning.model.facts import NUMERIC_FACTS as NUMERIC_FACTS  # re-exported
from zoning.model.facts import STAGES as STAGES  # re-exported

Outcome = Literal["prohibited", "restricted", "allowed"]
OUTCOMES: tuple[str, ...] = ("prohibited", "restricted", "allowed")
#: Comparison keys of a threshold mapping, e.g. ``{ge: 10, lt: 100}``.
OPS: dict[str, str] = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
GRID_MODES: tuple[str, ...] = ("site", "unit_sum", "unit_mean")

#: GB/T 4754-2017 sections (门类) and their two-digit divisions (大类).
SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


@dataclass(frozen=True)
class Text:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class Condition:
    """Base of condition nodes."""

    def facts(self) -> set[str]:
        """Facts (facility columns, ``layer:NAME``, ``grid:NAME``, ``unit``) it needs."""
        return set()

    def children(self) -> tuple[Condition, ...]:
        return ()


@dataclass(frozen=True)
class _Items(Condition):
    """A condition over several items (``all`` / ``any``)."""

    items: tuple[Condition, ...]

    def facts(self) -> set[str]:
        return set().union(*(c.facts() for c in self.items)) if self.items else set()

    def children(self) -> tuple[Condition, ...]:
        return self.items


@dataclass(frozen=True)
class All(_Items):
    """True when every item is true (Kleene logic for unknowns)."""


@dataclass(frozen=True)
class AnyOf(_Items):
    """True when at least one item is true."""


@dataclass(frozen=True)
class Not(Condition):
    """Negation."""

    item: Condition

    def facts(self) -> set[str]:
        return self.item.facts()

    def children(self) -> tuple[Condition, ...]:
        return (self.item,)


@dataclass(frozen=True)
class Sector(Condition):
    """The GB/T 4754 code starts with one of ``prefixes`` (sections expanded to digits)."""

    prefixes: tuple[str, ...]
    written: tuple[str, ...]

    def facts(self) -> set[str]:
        return {"sector"}


@dataclass(frozen=True)
class Tags(Condition):
    """The facility carries any (or all) of ``tags`` (``two_high`` also reads that column)."""

    tags: tuple[str, ...]
    mode: Literal["any", "all"] = "any"

    def facts(self) -> set[str]:
        return {"tags"}


@dataclass(frozen=True)
class Stage(Condition):
    """The stage is one of ``values`` (existing / proposed)."""

    values: tuple[str, ...]

    def facts(self) -> set[str]:
        return {"stage"}


@dataclass(frozen=True)
class Compare(Condition):
    """A numeric fact compared with thresholds, e.g. ``nox_t > 10``; all tests must hold."""

    fact: str  # capacity, co2, energy, emission.nox ...
    column: str
    tests: tuple[tuple[str, float], ...]
    unit: str | None = None  # capacity_unit that must match, if given

    def facts(self) -> set[str]:
        return {self.column} | ({"capacity_unit"} if self.unit else set())


@dataclass(frozen=True)
class InsideUnit(Condition):
    """The subject lies in (touches) the unit of the row."""

    expected: bool = True

    def facts(self) -> set[str]:
        return {"unit"}


@dataclass(frozen=True)
class Near(Condition):
    """The subject is within ``within_m`` metres of a named layer or of units of a class."""

    within_m: float
    layer: str | None = None
    unit_class: tuple[int, ...] | None = None

    def facts(self) -> set[str]:
        return {f"layer:{self.layer}"} if self.layer else {"units"}


@dataclass(frozen=True)
class Share(Condition):
    """The share (0..1) of the subject's footprint inside the unit meets the tests."""

    tests: tuple[tuple[str, float], ...]

    def facts(self) -> set[str]:
        return {"share"}


@dataclass(frozen=True)
class GridValue(Condition):
    """A named grid's value at the site, or summed / averaged over the unit, vs tests."""

    grid: str
    at: Literal["site", "unit_sum", "unit_mean"]
    tests: tuple[tuple[str, float], ...]

    def facts(self) -> set[str]:
        return {f"grid:{self.grid}"}


@dataclass(frozen=True)
class Scope:
    """Which units a rule applies to; an empty field means no restriction."""

    unit_class: tuple[int, ...] = ()
    element: tuple[str, ...] = ()
    subtype: tuple[str, ...] = ()
    unit_code: tuple[str, ...] = ()
    unit_code_prefix: tuple[str, ...] = ()
    admin_prefix: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One machine-checkable clause of an access list."""

    id: str
    dimension: str
    clause: Text
    message: Text
    outcome: str
    scope: Scope = field(default_factory=Scope)
    when: Condition | None = None
    requirement: Text | None = None
    overrides: tuple[str, ...] = ()
    line: int | None = None
    #: Access-list clauses the rule checks: clause ids (``<code>:<dim>:<n>[@hash]``) or
    #: exact clause texts (compared by :func:`zoning.clauses.normalise`).
    clauses: tuple[str, ...] = ()

    def facts(self) -> set[str]:
        """Every fact the rule's condition needs."""
        return self.when.facts() if self.when is not None else set()


@dataclass(frozen=True)
class NamedRef:
    """A named layer or grid a rule file refers to; ``path`` is relative to the file."""

    name: str
    path: str | None = None
    zh: str | None = None
    en: str | None = None
    units: str | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, allowed values) filters
    coords: str = "wgs84"  # a layer's lon/lat system: wgs84, gcj02 (Amap) or bd09 (Baidu)


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file."""

    rules: tuple[Rule, ...]
    layers: dict[str, NamedRef] = field(default_factory=dict)
    grids: dict[str, NamedRef] = field(default_factory=dict)
    name: Text | None = None
    source: str | None = None

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def needed_layers(self) -> set[str]:
        return {f[6:] for r in self.rules for f in r.facts() if f.startswith("layer:")}

    def needed_grids(self) -> set[str]:
        return {f[5:] for r in self.rules for f in r.facts() if f.startswith("grid:")}


# ----------------------------------------------------------------------------------------
# located YAML: line numbers of every key and item
