"""Rule files: parse and validate the machine-checkable part of access lists.

A rule file is YAML (see ``docs/rules.md``).  It is read with ``yaml.safe_load`` only, so
evaluating it never runs code: tags that would build Python objects (``!!python/...``)
are refused, and so are anchors/aliases and any tag beyond the plain YAML types.  The
file is checked completely before use: :func:`parse_rules` raises one
:class:`~zoning.errors.RuleError` whose ``errors`` list holds every problem, each with the
file, the 1-based line, the field path (e.g. ``rules[2].when.all[1].emission.pollutant``)
and a fix.  Unknown fields, outcomes, dimensions, pollutants, layers and grids are errors.

The result is a :class:`RuleSet` of frozen dataclasses; conditions are small trees of
:class:`All`, :class:`AnyOf`, :class:`Not` and leaf conditions, each able to say which
facts it needs (:meth:`Condition.facts`), so that a missing fact can be reported as
"needs information" rather than silently read as "no".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Literal

import yaml

from zoning.clauses import CLAUSE_ID, LOOKS_LIKE_ID, normalise
from zoning.errors import InputError, RuleError
from zoning.model import DIMENSION_KEYS, ELEMENTS, POLLUTANTS, normalise_class, normalise_element

Outcome = Literal["prohibited", "restricted", "allowed"]
OUTCOMES: tuple[str, ...] = ("prohibited", "restricted", "allowed")
#: Comparison keys of a threshold mapping, e.g. ``{ge: 10, lt: 100}``.
OPS: dict[str, str] = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
STAGES: tuple[str, ...] = ("existing", "proposed")
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

#: Facility columns read by the numeric conditions.
NUMERIC_FACTS: dict[str, str] = {
    "capacity": "capacity",
    "co2": "co2_t",
    "energy": "energy_tce",
    **{f"emission.{p}": f"{p}_t" for p in POLLUTANTS},
}

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SECTOR = re.compile(r"^(?:[A-T]|\d{2,4})$")
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}

# ----------------------------------------------------------------------------------------
# the model


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


@dataclass
class _Loc:
    line: int
    keys: dict[str, tuple[int, _Loc]] | None = None  # mapping: key -> (key line, value loc)
    items: list[_Loc] | None = None  # sequence

    def key_line(self, key: str) -> int:
        if self.keys and key in self.keys:
            return self.keys[key][0]
        return self.line

    def child(self, key) -> _Loc:
        if isinstance(key, int):
            if self.items is not None and 0 <= key < len(self.items):
                return self.items[key]
            return self
        if self.keys and key in self.keys:
            return self.keys[key][1]
        return self


class _Collector:
    def __init__(self, source: str | None):
        self.source = source
        self.errors: list[InputError] = []

    def add(self, line: int | None, path: str, message: str, fix: str | None = None) -> None:
        self.errors.append(
            InputError(message, source=self.source, line=line, field=path or None, fix=fix)
        )


def _locate(node, col: _Collector, path: str = "") -> _Loc:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        if tag == "!!timestamp":
            col.add(
                line,
                path,
                "a date/time value is not expected here",
                fix="quote the value to make it text",
            )
        else:
            col.add(
                line,
                path,
                f"the tag '{tag}' is refused: a rule file holds plain data and never runs code",
                fix="remove the tag; write plain text, numbers, lists and mappings",
            )
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, tuple[int, _Loc]] = {}
        for knode, vnode in node.value:
            key = str(knode.value)
            kline = knode.start_mark.line + 1
            sub = f"{path}.{key}" if path else key
            if key in keys:
                col.add(
                    kline,
                    sub,
                    f"duplicate key '{key}' (first on line {keys[key][0]})",
                    fix="keep one of them",
                )
            keys[key] = (kline, _locate(vnode, col, sub))
        return _Loc(line, keys=keys)
    if isinstance(node, yaml.SequenceNode):
        return _Loc(line, items=[_locate(v, col, f"{path}[{i}]") for i, v in enumerate(node.value)])
    return _Loc(line)


# ----------------------------------------------------------------------------------------
# the validator


def _suggest(word: str, allowed) -> str:
    close = difflib.get_close_matches(str(word), list(allowed), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}allowed: {', '.join(sorted(allowed))}"


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


class _Parser:
    def __init__(self, col: _Collector):
        self.col = col
        self.layers: dict[str, NamedRef] = {}
        self.grids: dict[str, NamedRef] = {}

    # --- helpers ---------------------------------------------------------------------
    def err(self, loc: _Loc, path: str, message: str, fix: str | None = None) -> None:
        self.col.add(loc.line, path, message, fix)

    def mapping(self, value, loc, path, allowed, required=()) -> dict | None:
        if not isinstance(value, dict):
            self.err(
                loc,
                path,
                f"expected a mapping (key: value), got {_kind(value)}",
                fix=f"write the keys {', '.join(allowed)} under '{path}'",
            )
            return None
        for key in value:
            if key not in allowed:
                self.col.add(
                    loc.key_line(str(key)),
                    _join(path, key),
                    f"unknown field '{key}'",
                    fix=_suggest(key, allowed),
                )
        for key in required:
            if key not in value or value[key] is None:
                self.err(
                    loc,
                    _join(path, key),
                    f"the required field '{key}' is missing",
                    fix=f"add '{key}:' to '{path or 'the file'}'",
                )
        return value

    def text(self, value, loc, path) -> Text | None:
        if isinstance(value, str):
            self.err(
                loc,
                path,
                "expected Chinese and English text",
                fix=f"write {path}: {{zh: ..., en: ...}}",
            )
            return None
        m = self.mapping(value, loc, path, ("zh", "en"), required=("zh", "en"))
        if m is None:
            return None
        ok = True
        for lang in ("zh", "en"):
            v = m.get(lang)
            if v is not None and (not isinstance(v, str) or not v.strip()):
                self.col.add(
                    loc.key_line(lang),
                    _join(path, lang),
                    "expected non-empty text",
                    fix="write the text, quoted if needed",
                )
                ok = False
        if not ok or m.get("zh") is None or m.get("en") is None:
            return None
        return Text(m["zh"].strip(), m["en"].strip())

    def str_list(self, value, loc, path, pattern=None, what="text") -> list[tuple[str, _Loc]]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, v in enumerate(items):
            iloc = loc.child(i) if isinstance(value, list) else loc
            ipath = _join(path, i) if isinstance(value, list) else path
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.err(iloc, ipath, f"expected {what}, got {_kind(v)}")
                continue
            s = str(v).strip()
            if pattern is not None and not pattern.match(s):
                self.err(iloc, ipath, f"'{s}' is not valid {what}")
                continue
            out.append((s, iloc))
        if isinstance(value, list) and not value:
            self.err(loc, path, "the list is empty", fix="list at least one value or drop it")
        return out

    def tests(self, value, loc, path, extra=(), lo=None, hi=None):
        allowed = tuple(OPS) + tuple(extra)
        m = self.mapping(value, loc, path, allowed)
        if m is None:
            return None
        tests = []
        for op in OPS:
            if op not in m:
                continue
            v = m[op]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.col.add(
                    loc.key_line(op),
                    _join(path, op),
                    f"expected a number, got {_kind(v)}",
                    fix="write e.g. gt: 10",
                )
                continue
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                self.col.add(
                    loc.key_line(op),
                    _join(path, op),
                    f"{v} is outside the allowed range "
                    + (f"{lo}..{hi}" if hi is not None else f">= {lo}"),
                    fix="amounts, distances and shares are never negative; shares are 0..1",
                )
                continue
            tests.append((op, float(v)))
        if not any(op in m for op in OPS):
            self.err(
                loc, path, "no comparison given", fix=f"add one of {', '.join(OPS)}, e.g. gt: 0"
            )
            return None
        return tuple(tests) if len(tests) == sum(op in m for op in OPS) else None

    # --- named layers and grids ------------------------------------------------------
    def named(self, value, loc, path, kind) -> dict[str, NamedRef]:
        out: dict[str, NamedRef] = {}
        if value is None:
            return out
        if not isinstance(value, dict):
            self.err(
                loc,
                path,
                f"expected a mapping of {kind} names",
                fix=f"write {path}: {{name: {{path: file}}}}",
            )
            return out
        allowed = ("path", "zh", "en") + (("units",) if kind == "grid" else ("where", "coords"))
        for name, spec in value.items():
            sub, sloc = _join(path, name), loc.child(str(name))
            if not _NAME.match(str(name)):
                self.col.add(
                    loc.key_line(str(name)),
                    sub,
                    f"'{name}' is not a valid {kind} name",
                    fix="use letters, digits, _ and -, starting with a letter",
                )
                continue
            spec = {} if spec is None else spec
            m = self.mapping(spec, sloc, sub, allowed)
            if m is None:
                continue
            for k in allowed:
                if k in m and k != "where" and not isinstance(m[k], str):
                    self.col.add(
                        sloc.key_line(k), _join(sub, k), f"expected text, got {_kind(m[k])}"
                    )
            where: list[tuple[str, tuple[str, ...]]] = []
            if "where" in m:
                wpath, wloc = _join(sub, "where"), sloc.child("where")
                if not isinstance(m["where"], dict) or not m["where"]:
                    self.err(
                        wloc,
                        wpath,
                        "expected a mapping column: value(s)",
                        fix="e.g. where: {grade: first}",
                    )
                else:
                    for colname, vals in m["where"].items():
                        got = self.str_list(vals, wloc.child(str(colname)), _join(wpath, colname))
                        where.append((str(colname), tuple(v for v, _ in got)))
            coords = m.get("coords", "wgs84")
            if coords not in ("wgs84", "gcj02", "bd09"):
                self.col.add(
                    sloc.key_line("coords"),
                    _join(sub, "coords"),
                    f"unknown coordinate system '{coords}'",
                    fix="use wgs84, gcj02 (Amap, Tencent, DataV) or bd09 (Baidu)",
                )
                coords = "wgs84"
            out[str(name)] = NamedRef(
                str(name),
                m.get("path"),
                m.get("zh"),
                m.get("en"),
                m.get("units"),
                tuple(where),
                str(coords),
            )
        return out

    # --- conditions ------------------------------------------------------------------
    def condition(self, value, loc, path) -> Condition | None:
        if isinstance(value, list):
            items = [self.condition(v, loc.child(i), _join(path, i)) for i, v in enumerate(value)]
            if not value:
                self.err(loc, path, "empty condition list", fix="drop it or add conditions")
            return All(tuple(items)) if all(i is not None for i in items) and value else None
        if not isinstance(value, dict) or len(value) != 1:
            self.err(
                loc,
                path,
                f"a condition is a mapping with exactly one key, got "
                f"{_kind(value) if not isinstance(value, dict) else list(value)}",
                fix="write one condition per list item under all:/any:, e.g. - stage: proposed",
            )
            return None
        ((key, arg),) = value.items()
        sub, aloc = _join(path, key), loc.child(str(key))
        handler = getattr(self, f"c_{key}", None) if isinstance(key, str) else None
        if handler is None:
            self.col.add(
                loc.key_line(str(key)),
                sub,
                f"unknown condition '{key}'",
                fix=_suggest(key, _CONDITIONS),
            )
            return None
        return handler(arg, aloc, sub)

    def _group(self, arg, loc, path, cls):
        if not isinstance(arg, list) or not arg:
            self.err(
                loc,
                path,
                "expected a non-empty list of conditions",
                fix="write each condition as a list item: - stage: proposed",
            )
            return None
        items = [self.condition(v, loc.child(i), _join(path, i)) for i, v in enumerate(arg)]
        return cls(tuple(items)) if all(i is not None for i in items) else None

    def c_all(self, arg, loc, path):
        return self._group(arg, loc, path, All)

    def c_any(self, arg, loc, path):
        return self._group(arg, loc, path, AnyOf)

    def c_not(self, arg, loc, path):
        inner = self.condition(arg, loc, path)
        return Not(inner) if inner is not None else None

    def c_sector(self, arg, loc, path):
        out, prefixes = [], []
        items = arg if isinstance(arg, list) else [arg]
        for i, v in enumerate(items):
            iloc = loc.child(i) if isinstance(arg, list) else loc
            ipath = _join(path, i) if isinstance(arg, list) else path
            if isinstance(v, int) and not isinstance(v, bool) and v < 10:
                self.err(iloc, ipath, f"sector {v} lost its leading zero", fix=f"quote it: '0{v}'")
                continue
            got = self.str_list(
                v, iloc, ipath, _SECTOR, "a GB/T 4754 section letter (A-T) or 2-4 digit code"
            )
            for s, _ in got:
                out.append(s)
                if s in SECTIONS:
                    a, b = SECTIONS[s]
                    prefixes.extend(f"{d:02d}" for d in range(a, b + 1))
                else:
                    prefixes.append(s)
        if len(out) != len(items):
            return None
        return Sector(tuple(dict.fromkeys(prefixes)), tuple(out))

    def c_tags(self, arg, loc, path):
        mode = "any"
        if isinstance(arg, dict):
            m = self.mapping(arg, loc, path, ("any", "all"))
            if m is None or len(m) != 1:
                if m is not None:
                    self.err(loc, path, "give exactly one of any / all")
                return None
            mode = next(iter(m))
            loc = loc.child(mode)
            path = _join(path, mode)
            arg = m[mode]
        got = self.str_list(arg, loc, path, _TAG, "a tag (lower-case letters, digits, _)")
        n = len(arg) if isinstance(arg, list) else 1
        return Tags(tuple(s for s, _ in got), mode) if len(got) == n and got else None

    def c_stage(self, arg, loc, path):
        got = self.str_list(arg, loc, path, None, "a stage")
        ok = True
        for s, iloc in got:
            if s not in STAGES:
                self.err(iloc, path, f"unknown stage '{s}'", fix=_suggest(s, STAGES))
                ok = False
        n = len(arg) if isinstance(arg, list) else 1
        return Stage(tuple(s for s, _ in got)) if ok and len(got) == n and got else None

    def _amount(self, arg, loc, path, extra=()):
        """Thresholds of an annual amount (t/yr, tce/yr): never negative."""
        return self.tests(arg, loc, path, extra=extra, lo=0)

    def c_capacity(self, arg, loc, path):
        t = self.tests(arg, loc, path, extra=("unit",))
        unit = arg.get("unit") if isinstance(arg, dict) else None
        if unit is not None and not isinstance(unit, str):
            self.col.add(loc.key_line("unit"), _join(path, "unit"), "expected text, e.g. MW")
            return None
        return Compare("capacity", "capacity", t, unit) if t else None

    def c_co2(self, arg, loc, path):
        t = self._amount(arg, loc, path)
        return Compare("co2", NUMERIC_FACTS["co2"], t) if t else None

    def c_energy(self, arg, loc, path):
        t = self._amount(arg, loc, path)
        return Compare("energy", NUMERIC_FACTS["energy"], t) if t else None

    def c_emission(self, arg, loc, path):
        t = self._amount(arg, loc, path, extra=("pollutant",))
        if not isinstance(arg, dict):
            return None
        pol = arg.get("pollutant")
        if pol is None:
            self.err(
                loc,
                _join(path, "pollutant"),
                "the required field 'pollutant' is missing",
                fix=f"add pollutant: one of {', '.join(POLLUTANTS)}",
            )
            return None
        if not isinstance(pol, str) or pol.lower() not in POLLUTANTS:
            self.col.add(
                loc.key_line("pollutant"),
                _join(path, "pollutant"),
                f"unknown pollutant '{pol}'",
                fix=_suggest(pol, POLLUTANTS),
            )
            return None
        p = pol.lower()
        return Compare(f"emission.{p}", NUMERIC_FACTS[f"emission.{p}"], t) if t else None

    def c_inside_unit(self, arg, loc, path):
        if not isinstance(arg, bool):
            self.err(loc, path, f"expected true or false, got {_kind(arg)}")
            return None
        return InsideUnit(arg)

    def c_footprint_share(self, arg, loc, path):
        t = self.tests(arg, loc, path, lo=0, hi=1)
        return Share(t) if t else None

    def c_near(self, arg, loc, path):
        m = self.mapping(
            arg, loc, path, ("layer", "unit_class", "within_m"), required=("within_m",)
        )
        if m is None:
            return None
        ok = True
        d = m.get("within_m")
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float)) or d < 0):
            self.col.add(
                loc.key_line("within_m"),
                _join(path, "within_m"),
                f"expected a distance in metres >= 0, got {d!r}",
                fix="e.g. within_m: 500",
            )
            ok = False
        has_layer, has_class = "layer" in m, "unit_class" in m
        if has_layer == has_class:
            self.err(
                loc,
                path,
                "give exactly one of layer / unit_class",
                fix="e.g. near: {layer: red_line, within_m: 0}",
            )
            return None
        if has_layer:
            name = m["layer"]
            if name not in self.layers:
                self.undeclared("layer", "layers", name, self.layers, loc, path, "layer", "gpkg")
                return None
            return Near(float(d), layer=name) if ok and d is not None else None
        classes = self.unit_classes(
            m["unit_class"], loc.child("unit_class"), _join(path, "unit_class")
        )
        return Near(float(d), unit_class=classes) if ok and classes and d is not None else None

    def undeclared(self, kind, section, name, declared, loc, path, key, ext):
        """Report a layer or grid a condition names but the file does not declare."""
        self.col.add(
            loc.key_line(key),
            _join(path, key),
            f"{kind} '{name}' is not declared under {section}:",
            fix=_suggest(name, declared)
            if declared
            else f"declare it: {section}: {{{name}: {{path: {name}.{ext}}}}}",
        )

    def c_grid(self, arg, loc, path):
        t = self.tests(arg, loc, path, extra=("name", "at"))
        if not isinstance(arg, dict):
            return None
        name, at = arg.get("name"), arg.get("at", "site")
        ok = t is not None
        if name is None:
            self.err(
                loc,
                _join(path, "name"),
                "the required field 'name' is missing",
                fix="name the grid declared under grids:",
            )
            ok = False
        elif name not in self.grids:
            self.undeclared("grid", "grids", name, self.grids, loc, path, "name", "tif")
            ok = False
        if at not in GRID_MODES:
            self.col.add(
                loc.key_line("at"),
                _join(path, "at"),
                f"unknown mode '{at}'",
                fix=_suggest(at, GRID_MODES),
            )
            ok = False
        return GridValue(name, at, t) if ok else None

    # --- scope and rules -------------------------------------------------------------
    def unit_classes(self, value, loc, path) -> tuple[int, ...] | None:
        out = []
        items = value if isinstance(value, list) else [value]
        for i, v in enumerate(items):
            digit = normalise_class(v)
            if digit is None:
                self.err(
                    loc.child(i) if isinstance(value, list) else loc,
                    _join(path, i) if isinstance(value, list) else path,
                    f"unknown unit class {v!r}",
                    fix="use 1/priority, 2/key or 3/general",
                )
                return None
            out.append(digit)
        return tuple(out)

    def scope(self, value, loc, path) -> Scope | None:
        if value is None:
            return Scope()
        fields = (
            "unit_class",
            "element",
            "subtype",
            "unit_code",
            "unit_code_prefix",
            "admin_prefix",
        )
        m = self.mapping(value, loc, path, fields)
        if m is None:
            return None
        n0 = len(self.col.errors)
        kw: dict[str, tuple] = {}
        for key in fields:
            if key not in m:
                continue
            sub, sloc = _join(path, key), loc.child(key)
            if key == "unit_class":
                kw[key] = self.unit_classes(m[key], sloc, sub) or ()
            elif key == "element":
                vals = []
                for s, iloc in self.str_list(m[key], sloc, sub, None, "an element"):
                    e = normalise_element(s)
                    if e not in ELEMENTS:
                        self.err(iloc, sub, f"unknown element '{s}'", fix=_suggest(s, ELEMENTS))
                    vals.append(e)
                kw[key] = tuple(vals)
            elif key in ("admin_prefix",):
                kw[key] = tuple(
                    s
                    for s, _ in self.str_list(
                        m[key], sloc, sub, re.compile(r"^\d{1,6}$"), "1-6 admin-code digits"
                    )
                )
            elif key == "unit_code":
                kw[key] = tuple(
                    s
                    for s, _ in self.str_list(
                        m[key], sloc, sub, re.compile(r"^ZH\d{11}$"), "a 13-character unit code"
                    )
                )
            elif key == "unit_code_prefix":
                kw[key] = tuple(
                    s
                    for s, _ in self.str_list(
                        m[key], sloc, sub, re.compile(r"^ZH\d{0,11}$"), "a unit-code prefix (ZH…)"
                    )
                )
            else:
                kw[key] = tuple(s for s, _ in self.str_list(m[key], sloc, sub))
        return Scope(**kw) if len(self.col.errors) == n0 else None

    def rule(self, value, loc, path) -> Rule | None:
        fields = (
            "id",
            "dimension",
            "clause",
            "message",
            "outcome",
            "requirement",
            "scope",
            "when",
            "overrides",
            "clauses",
            "note",
        )
        m = self.mapping(
            value, loc, path, fields, required=("id", "dimension", "clause", "message", "outcome")
        )
        if m is None:
            return None
        n0 = len(self.col.errors)
        rid = m.get("id")
        if rid is not None and (not isinstance(rid, str) or not _ID.match(rid)):
            self.col.add(
                loc.key_line("id"),
                _join(path, "id"),
                f"'{rid}' is not a valid id",
                fix="use letters, digits, '.', '_' and '-', e.g. SP-01",
            )
        dim = m.get("dimension")
        if dim is not None and dim not in DIMENSION_KEYS:
            self.col.add(
                loc.key_line("dimension"),
                _join(path, "dimension"),
                f"unknown dimension '{dim}'",
                fix=_suggest(dim, DIMENSION_KEYS),
            )
        outcome = m.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            self.col.add(
                loc.key_line("outcome"),
                _join(path, "outcome"),
                f"unknown outcome '{outcome}'",
                fix=_suggest(outcome, OUTCOMES),
            )
        clause = message = requirement = None
        if "clause" in m:
            clause = self.text(m["clause"], loc.child("clause"), _join(path, "clause"))
        if "message" in m:
            message = self.text(m["message"], loc.child("message"), _join(path, "message"))
        if outcome == "restricted" and "requirement" not in m:
            self.err(
                loc,
                _join(path, "requirement"),
                "a restricted rule needs the condition to meet",
                fix="add requirement: {zh: ..., en: ...}, e.g. a 2:1 offset",
            )
        if "requirement" in m:
            if outcome != "restricted":
                self.col.add(
                    loc.key_line("requirement"),
                    _join(path, "requirement"),
                    "only a restricted rule has a requirement",
                    fix="drop it or set outcome: restricted",
                )
            requirement = self.text(
                m["requirement"], loc.child("requirement"), _join(path, "requirement")
            )
        scope = self.scope(m.get("scope"), loc.child("scope"), _join(path, "scope"))
        when = None
        if m.get("when") is not None:
            when = self.condition(m["when"], loc.child("when"), _join(path, "when"))
        overrides: tuple[str, ...] = ()
        if "overrides" in m:
            if outcome != "allowed":
                self.col.add(
                    loc.key_line("overrides"),
                    _join(path, "overrides"),
                    "only an allowed rule overrides others",
                    fix="drop it or set outcome: allowed",
                )
            overrides = tuple(
                s
                for s, _ in self.str_list(
                    m["overrides"],
                    loc.child("overrides"),
                    _join(path, "overrides"),
                    _ID,
                    "a rule id",
                )
            )
        clauses = self.clause_refs(m["clauses"], loc, path) if "clauses" in m else ()
        if len(self.col.errors) != n0:
            return None
        return Rule(
            id=rid,
            dimension=dim,
            clause=clause,
            message=message,
            outcome=outcome,
            scope=scope,
            when=when,
            requirement=requirement,
            overrides=overrides,
            line=loc.line,
            clauses=clauses,
        )

    def clause_refs(self, value, loc, path) -> tuple[str, ...]:
        """``clauses: [...]``: clause ids or exact clause texts, each once."""
        path, loc = _join(path, "clauses"), loc.child("clauses")
        if not isinstance(value, list):
            self.err(
                loc,
                path,
                f"expected a list of clause ids or texts, got {_kind(value)}",
                fix="write clauses: [ZH33990110001:spatial:2, 禁止设置排污口。]",
            )
            return ()
        out: list[str] = []
        seen: dict[str, int] = {}
        for i, (s, iloc) in enumerate(self.str_list(value, loc, path, None, "a clause id or text")):
            ipath = _join(path, i)
            if LOOKS_LIKE_ID.match(s) and not CLAUSE_ID.match(s):
                self.err(
                    iloc,
                    ipath,
                    f"'{s}' is not a clause id",
                    fix="write <13-character unit code>:<spatial|emission|risk|resource>:<n>, "
                    "optionally @<6 hex digits>, e.g. ZH33990110001:spatial:3@66c835 "
                    "(zoning rules coverage lists them)",
                )
                continue
            key = s if CLAUSE_ID.match(s) else normalise(s)
            if not key:
                self.err(iloc, ipath, "the clause text is empty", fix="write the clause or drop it")
                continue
            if key in seen:
                self.err(
                    iloc,
                    ipath,
                    f"the clause is listed twice (also clauses[{seen[key]}])",
                    fix="keep one of them",
                )
                continue
            seen[key] = i
            out.append(s)
        return tuple(out)


_CONDITIONS = tuple(n[2:] for n in dir(_Parser) if n.startswith("c_"))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _raise(col: _Collector) -> None:
    n = len(col.errors)
    col.errors.sort(key=lambda e: (e.line is None, e.line or 0))
    lines = "\n".join(f"  - {e}" for e in col.errors)
    raise RuleError(
        f"{n} problem{'s' if n > 1 else ''} in the rule file:\n{lines}",
        errors=col.errors,
        source=col.source,
    )


def parse_rules(text: str, /, *, source: str | PathLike | None = None) -> RuleSet:
    """Parse and validate the text of a YAML rule file.

    Parameters
    ----------
    text : str
        The YAML text.
    source : str or path, optional (default: None)
        Where the text came from; named in errors and kept in :attr:`RuleSet.source`
        (layer and grid paths are relative to its folder).

    Returns
    -------
    RuleSet

    Raises
    ------
    RuleError
        With ``errors`` listing every problem (file, line, field, fix).
    """
    src = None if source is None else str(source)
    col = _Collector(src)
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
                col.add(
                    token.start_mark.line + 1,
                    None,
                    "anchors and aliases (&, *) are refused",
                    fix="write each value out",
                )
                break
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        code = "python" in str(exc)
        col.add(
            mark.line + 1 if mark else None,
            None,
            (
                "refused: the file asks to build a Python object (" + problem + "); a rule "
                "file never runs code"
            )
            if code
            else f"not valid YAML: {problem}",
            fix="remove the !!python tag"
            if code
            else "check indentation and quoting around that line",
        )
        _raise(col)
    if col.errors:
        _raise(col)
    loc = _locate(node, col) if node is not None else _Loc(1)
    p = _Parser(col)
    top = p.mapping(
        data,
        loc,
        "",
        ("version", "name", "description", "layers", "grids", "rules"),
        required=("rules",),
    )
    if top is None:
        _raise(col)
    if top.get("version", 1) != 1:
        col.add(
            loc.key_line("version"),
            "version",
            f"unsupported version {top['version']!r}",
            fix="write version: 1",
        )
    name = None
    if isinstance(top.get("name"), dict):
        name = p.text(top["name"], loc.child("name"), "name")
    elif top.get("name") is not None:
        name = Text(str(top["name"]), str(top["name"]))
    p.layers = p.named(top.get("layers"), loc.child("layers"), "layers", "layer")
    p.grids = p.named(top.get("grids"), loc.child("grids"), "grids", "grid")
    rules_val, rloc = top.get("rules"), loc.child("rules")
    rules: list[Rule] = []
    if rules_val is not None and not isinstance(rules_val, list):
        p.err(rloc, "rules", "expected a list of rules", fix="write each rule as '- id: ...'")
    elif isinstance(rules_val, list):
        for i, r in enumerate(rules_val):
            rule = p.rule(r, rloc.child(i), f"rules[{i}]")
            if rule is not None:
                rules.append(rule)
    seen: dict[str, int] = {}
    for i, r in enumerate(rules_val if isinstance(rules_val, list) else []):
        rid = r.get("id") if isinstance(r, dict) else None
        if isinstance(rid, str):
            if rid in seen:
                col.add(
                    rloc.child(i).key_line("id"),
                    f"rules[{i}].id",
                    f"duplicate rule id '{rid}' (also rules[{seen[rid]}])",
                    fix="give every rule its own id",
                )
            seen.setdefault(rid, i)
    for i, r in enumerate(rules_val if isinstance(rules_val, list) else []):
        if isinstance(r, dict) and isinstance(r.get("overrides"), list):
            for j, o in enumerate(r["overrides"]):
                if isinstance(o, str) and o not in seen:
                    col.add(
                        rloc.child(i).child("overrides").child(j).line,
                        f"rules[{i}].overrides[{j}]",
                        f"no rule has the id '{o}'",
                        fix=_suggest(o, seen),
                    )
    if col.errors:
        _raise(col)
    return RuleSet(rules=tuple(rules), layers=p.layers, grids=p.grids, name=name, source=src)
