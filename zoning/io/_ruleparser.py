"""Rule files, the syntax side: YAML located line by line, and the condition parsers.

Used by :mod:`zoning.io.rulefile` (the rules, their scopes and the whole file).  Every
problem is collected (:class:`_Collector`), never raised one at a time.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from zoning.errors import InputError
from zoning.model.facts import POLLUTANTS
from zoning.model.rules import (
    GRID_MODES,
    NUMERIC_FACTS,
    OPS,
    SECTIONS,
    STAGES,
    All,
    AnyOf,
    Compare,
    Condition,
    GridValue,
    InsideUnit,
    NamedRef,
    Near,
    Not,
    Sector,
    Share,
    Stage,
    Tags,
    Text,
)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SECTOR = re.compile(r"^(?:[A-T]|\d{2,4})$")
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


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


class _ParserBase:
    """Helpers, named layers and grids, and conditions; the rules are in rulefile."""

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


_CONDITIONS = tuple(n[2:] for n in dir(_ParserBase) if n.startswith("c_"))
