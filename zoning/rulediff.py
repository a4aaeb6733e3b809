"""What changed between two rule files: ``diff_rules(old, new)``.

Rules are matched by ``id``.  Each rule added or removed is one row; each changed rule has
one row per changed part: ``dimension``, ``outcome``, ``scope``, ``condition`` (``when``),
``clause``, ``message``, ``requirement``, ``overrides``.  Conditions and scopes are put in
words (``nox_t >= 10``, ``within 500 m of layer red_line``) so a reviewer reads what a
rule checks, not YAML.  Named layers and grids whose file or filter changed are listed
too (rule id empty, part ``layer:NAME`` / ``grid:NAME``).
"""

from __future__ import annotations

import pandas as pd

from zoning.model import UNIT_CLASSES
from zoning.rules.schema import (
    OPS,
    All,
    AnyOf,
    Compare,
    Condition,
    GridValue,
    InsideUnit,
    NamedRef,
    Near,
    Not,
    Rule,
    RuleSet,
    Scope,
    Sector,
    Share,
    Stage,
    Tags,
)

COLUMNS = ["rule_id", "change", "part", "before", "after", "text"]


def _num(v: float) -> str:
    return f"{v:g}"


def _tests(name: str, tests) -> str:
    return " and ".join(f"{name} {OPS[op]} {_num(v)}" for op, v in tests)


def describe_condition(c: Condition | None) -> str:
    """A condition in words, e.g. ``(stage is proposed and nox_t >= 10)``."""
    if c is None:
        return "always"
    if isinstance(c, All):
        return "(" + " and ".join(describe_condition(x) for x in c.items) + ")"
    if isinstance(c, AnyOf):
        return "(" + " or ".join(describe_condition(x) for x in c.items) + ")"
    if isinstance(c, Not):
        return f"not {describe_condition(c.item)}"
    if isinstance(c, Sector):
        return f"sector in {', '.join(c.written)}"
    if isinstance(c, Tags):
        return f"tags {c.mode} of {', '.join(c.tags)}"
    if isinstance(c, Stage):
        return f"stage is {' or '.join(c.values)}"
    if isinstance(c, Compare):
        unit = f" (capacity unit {c.unit})" if c.unit else ""
        return _tests(c.column, c.tests) + unit
    if isinstance(c, InsideUnit):
        return "inside the unit" if c.expected else "outside the unit"
    if isinstance(c, Near):
        what = (
            f"layer {c.layer}"
            if c.layer
            else "units of class " + ", ".join(map(str, c.unit_class or ()))
        )
        return f"inside {what}" if c.within_m == 0 else f"within {_num(c.within_m)} m of {what}"
    if isinstance(c, Share):
        return _tests("share of the footprint in the unit", c.tests)
    if isinstance(c, GridValue):
        return _tests(f"grid {c.grid} ({c.at})", c.tests)
    return repr(c)


def describe_scope(s: Scope) -> str:
    """A scope in words; ``every unit`` when unrestricted."""
    parts = []
    if s.unit_class:
        parts.append(
            "class "
            + ", ".join(
                f"{k} {UNIT_CLASSES[k].en}" if k in UNIT_CLASSES else str(k) for k in s.unit_class
            )
        )
    for name, values in (
        ("element", s.element),
        ("subtype", s.subtype),
        ("unit code", s.unit_code),
        ("unit code prefix", s.unit_code_prefix),
        ("admin code prefix", s.admin_prefix),
    ):
        if values:
            parts.append(f"{name} {', '.join(values)}")
    return "; ".join(parts) or "every unit"


def _parts(r: Rule) -> dict[str, str]:
    return {
        "dimension": r.dimension,
        "outcome": r.outcome,
        "scope": describe_scope(r.scope),
        "condition": describe_condition(r.when),
        "clause": f"{r.clause.zh} / {r.clause.en}",
        "message": f"{r.message.zh} / {r.message.en}",
        "requirement": f"{r.requirement.zh} / {r.requirement.en}" if r.requirement else "",
        "overrides": ", ".join(r.overrides),
    }


def _ref(ref: NamedRef) -> str:
    where = "; ".join(f"{k} in {', '.join(v)}" for k, v in ref.where)
    return (
        f"{ref.path or '(no file)'}"
        + (f" where {where}" if where else "")
        + (f" [{ref.units}]" if ref.units else "")
    )


def diff_rules(old: RuleSet, new: RuleSet, /) -> pd.DataFrame:
    """Rules added, removed and changed between two rule sets (see the module docstring).

    Returns a DataFrame with ``rule_id``, ``change`` (added / removed / changed),
    ``part``, ``before``, ``after`` and ``text`` (one sentence a reviewer reads), in the
    order of the new file (removed rules last).
    """
    a, b = old.by_id(), new.by_id()
    rows = []
    for r in new.rules:
        if r.id not in a:
            p = _parts(r)
            rows.append(
                (r.id, "added", "rule", "", p["condition"],
                 f"{r.id} added ({p['dimension']}, {p['outcome']}): in {p['scope']}, when "
                 f"{p['condition']}. Clause: {r.clause.zh}")
            )  # fmt: skip
            continue
        pa, pb = _parts(a[r.id]), _parts(r)
        for part in pa:
            if pa[part] != pb[part]:
                rows.append(
                    (r.id, "changed", part, pa[part], pb[part],
                     f"{r.id}: {part} changed from “{pa[part] or '—'}” to “{pb[part] or '—'}”")
                )  # fmt: skip
    for r in old.rules:
        if r.id not in b:
            p = _parts(r)
            rows.append(
                (r.id, "removed", "rule", p["condition"], "",
                 f"{r.id} removed ({p['dimension']}, {p['outcome']}; was: in {p['scope']}, when "
                 f"{p['condition']})")
            )  # fmt: skip
    for kind, ra, rb in (("layer", old.layers, new.layers), ("grid", old.grids, new.grids)):
        for name in sorted(set(ra) | set(rb)):
            x = _ref(ra[name]) if name in ra else ""
            y = _ref(rb[name]) if name in rb else ""
            if x != y:
                change = "added" if not x else "removed" if not y else "changed"
                rows.append(
                    ("", change, f"{kind}:{name}", x, y,
                     f"{kind} {name} {change}" + (f": “{x or '—'}” → “{y or '—'}”" if change == "changed" else ""))
                )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)
