"""Reading a rule file: UTF-8 YAML, validated completely before use.

A rule file is YAML (see ``docs/rules.md``).  It is read with ``yaml.safe_load`` only, so
evaluating it never runs code: tags that would build Python objects (``!!python/...``)
are refused, and so are anchors/aliases and any tag beyond the plain YAML types.  The
file is checked completely before use: :func:`parse_rules` raises one
:class:`~zoning.errors.RuleError` whose ``errors`` list holds every problem, each with the
file, the 1-based line, the field path (e.g. ``rules[2].when.all[1].emission.pollutant``)
and a fix.  Unknown fields, outcomes, dimensions, pollutants, layers and grids are errors.

The result is a :class:`~zoning.model.rules.RuleSet` (the rule AST, :mod:`zoning.model.rules`).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import yaml

from zoning.errors import DataSourceError, RuleError
from zoning.io._ruleparser import (
    _ID,
    _Collector,
    _join,
    _kind,
    _Loc,
    _locate,
    _ParserBase,
    _suggest,
)
from zoning.io.digest import read_bytes
from zoning.model.clauses import CLAUSE_ID, LOOKS_LIKE_ID, normalise
from zoning.model.rules import (
    OUTCOMES,
    Rule,
    RuleSet,
    Scope,
    Text,
)
from zoning.model.units import DIMENSION_KEYS, ELEMENTS, normalise_class, normalise_element


class _Parser(_ParserBase):
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


def read_rules(source: str | PathLike, /) -> RuleSet:
    """Read and validate a YAML rule file (see :func:`parse_rules`)."""
    path = Path(source)
    try:
        text = read_bytes(path).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError as exc:
        raise DataSourceError("rule file not found", source=path, fix="check the path") from exc
    except UnicodeDecodeError as exc:
        raise DataSourceError(
            "the rule file is not UTF-8 text", source=path, fix="save it as UTF-8"
        ) from exc
    return parse_rules(text, source=path)
