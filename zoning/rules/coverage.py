"""Which access-list clauses the rules check, and which are left to a person.

A rule checks a clause only when its rule file says so: ``clauses: [...]`` holds clause
ids (``<code>:<dimension>:<n>``, optionally ``@<hash>``; see :mod:`zoning.clauses`) or
exact clause texts (compared after :func:`zoning.clauses.normalise`), and the clause's
unit is in the rule's ``scope``.  A rule's ``clause:`` text that merely resembles a
clause is offered as a *suggestion* (``difflib`` ratio), never counted as coverage.

- :func:`clause_coverage`: one row per clause of every unit, with the rules that check
  it (``zoning rules coverage``);
- :func:`unchecked_clauses`: per unit, the clauses no rule checks, prohibitions first
  (the review field of screening and conflicts);
- :func:`review_text`: the sentence a reviewer reads beside a verdict.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoning.i18n import item_label as item_label  # re-exported
from zoning.model import DIMENSIONS
from zoning.model.clauses import CLAUSE_ID, Clause, has_access_text, normalise, split_text
from zoning.rules.engine import _scope_mask, _unit_attrs, row_groups
from zoning.rules.schema import RuleSet

log = logging.getLogger(__name__)

#: Lowest difflib ratio of a suggestion.
SUGGEST_RATIO = 0.6
_DIM_ORDER = {d.key: i for i, d in enumerate(DIMENSIONS)}


@dataclass
class Links:
    """Clauses of every unit and the rules linked to each.

    Units with the same access-list texts and the same rules in scope (and no clause
    linked by id) form one *group*, split and linked once: ``clauses``, ``rules`` and
    ``out_of_scope`` are per group (the clauses carry the code of the group's first
    unit), ``group`` maps each unit to its group; :meth:`unit_clauses` gives one unit's.
    """

    codes: list[str]  # per unit
    group: np.ndarray  # per unit: its group
    clauses: list[list[Clause]]  # per group
    rules: list[list[tuple[str, ...]]]  # per group, per clause: ids of the rules checking it
    out_of_scope: list[list[tuple[str, ...]]]  # per group, per clause: linked, scope not
    has_text: np.ndarray  # per unit: any access-list text at all
    unmatched: dict[str, list[str]] = field(default_factory=dict)  # rule id -> references
    stale: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> (ref, now)

    def unit_clauses(self, i: int) -> list[Clause]:
        """The clauses of unit ``i`` (row order), with its own code."""
        code = self.codes[i]
        return [
            c if c.unit_code == code else dataclasses.replace(c, unit_code=code)
            for c in self.clauses[self.group[i]]
        ]


def _texts(units: pd.DataFrame, english: bool) -> list[tuple[str, str]]:
    """Per dimension column: (zh, en) texts per unit as lists."""
    n = len(units)
    out = []
    for d in DIMENSIONS:
        zh = units[d.column].astype("string").fillna("").tolist() if d.column in units else [""] * n
        col = d.column + "_en"
        en = (
            units[col].astype("string").fillna("").tolist()
            if english and col in units
            else [""] * n
        )
        out.append((zh, en))
    return out


def link(
    units: pd.DataFrame, rules: RuleSet, /, *, english: bool = True, scope: np.ndarray | None = None
) -> Links:
    """Split every unit's access list and link each clause to the rules that check it
    (``english=False``: without the English twins of the clauses).  ``scope`` (units,
    rules): which rules apply in each unit, when known already (the engine's
    ``Evaluation.unit_scope`` of these units)."""
    units = units.reset_index(drop=True)
    n = len(units)
    codes = units["code"].astype("string").fillna("").tolist() if "code" in units else [""] * n
    has = has_access_text(units).to_numpy(dtype=bool)
    if scope is not None and np.shape(scope) == (n, len(rules.rules)):
        scope = np.asarray(scope, dtype=bool)
    else:
        scope = np.zeros((n, len(rules.rules)), dtype=bool)
        if n and len(rules.rules) and "unit_class" in units.columns:
            u = _unit_attrs(units)
            for j, r in enumerate(rules.rules):
                scope[:, j] = _scope_mask(r, u)[:-1]
    by_text: dict[str, list[int]] = {}
    by_key: dict[str, list[tuple[int, str | None, str]]] = {}
    for j, r in enumerate(rules.rules):
        for ref in r.clauses:
            m = CLAUSE_ID.match(ref)
            if m:
                by_key.setdefault(f"{m['code']}:{m['dim']}:{m['n']}", []).append(
                    (j, m["hash"], ref)
                )
            else:
                by_text.setdefault(normalise(ref), []).append(j)
    id_codes = {k.split(":", 1)[0] for k in by_key}
    # groups: same texts, same rules in scope; a unit named by an id link is its own group
    texts = _texts(units, english)
    scope_ids, _ = row_groups(scope)
    # the group of a unit: its (texts…, scope, id-linked code) numbered in order of first
    # appearance, column by column in integers (no joined string per unit)
    columns = [t for pair in texts for t in pair] + [
        [c if c in id_codes else "" for c in codes] if id_codes else [""] * n
    ]
    group = np.asarray(scope_ids, dtype=np.int64)
    for col in columns:
        values, cats = pd.factorize(pd.Series(col, dtype=object))
        group, _ = pd.factorize(group * len(cats) + np.asarray(values, dtype=np.int64))
    group = np.asarray(group, dtype=np.int64)
    first_of = np.full(int(group.max()) + 1 if n else 0, -1, dtype=np.int64)
    first_of[group[::-1]] = np.arange(n - 1, -1, -1)
    cache: dict[tuple[str, str, str], list[Clause]] = {}
    norm: dict[str, str] = {}
    stale: dict[str, list[tuple[str, str]]] = {}
    unit_keys: set[str] = set()
    g_clauses, g_rules, g_off = [], [], []
    for i in first_of.tolist():
        cs: list[Clause] = []
        for d, (zh, en) in zip(DIMENSIONS, texts, strict=True):
            k = (d.key, zh[i], en[i])
            if k not in cache:
                cache[k] = split_text(zh[i], dimension=d.key, text_en=en[i] or None)
            cs.extend(dataclasses.replace(c, unit_code=codes[i]) for c in cache[k])
        linked, off = [], []
        for c in cs:
            key = norm.get(c.text)
            if key is None:
                key = norm[c.text] = normalise(c.text)
            js = list(by_text.get(key, ()))
            if codes[i] in id_codes:
                unit_keys.add(c.key)
                for j, h, ref in by_key.get(c.key, ()):
                    if h is not None and h != c.hash:
                        stale.setdefault(rules.rules[j].id, []).append((ref, c.id))
                        continue
                    js.append(j)
            js = sorted(set(js))
            linked.append(tuple(rules.rules[j].id for j in js if scope[i, j]))
            off.append(tuple(rules.rules[j].id for j in js if not scope[i, j]))
        g_clauses.append(cs)
        g_rules.append(linked)
        g_off.append(off)
    found_texts = set(norm.values())
    unmatched: dict[str, list[str]] = {}
    for r in rules.rules:
        for ref in r.clauses:
            m = CLAUSE_ID.match(ref)
            hit = (
                f"{m['code']}:{m['dim']}:{m['n']}" in unit_keys
                if m
                else normalise(ref) in found_texts
            )
            if not hit:
                unmatched.setdefault(r.id, []).append(ref)
    return Links(codes, group, g_clauses, g_rules, g_off, has, unmatched, stale)


def _suggestions(text: str, rules: RuleSet, cache: dict) -> str:
    """Rules whose ``clause`` text resembles ``text`` (never coverage), best first."""
    key = normalise(text)
    if key not in cache:
        found = []
        for r in rules.rules:
            other = normalise(r.clause.zh)
            sm = difflib.SequenceMatcher(None, key, other, autojunk=False)
            if sm.real_quick_ratio() < SUGGEST_RATIO or sm.quick_ratio() < SUGGEST_RATIO:
                continue
            ratio = sm.ratio()
            if ratio >= SUGGEST_RATIO:
                found.append((ratio, r.id))
        found.sort(key=lambda t: (-t[0], t[1]))
        cache[key] = ";".join(f"{rid} ({ratio:.2f})" for ratio, rid in found[:3])
    return cache[key]


def clause_coverage(units: pd.DataFrame, rules: RuleSet, /, *, suggest: bool = True):
    """One row per clause of every unit, with the rules that check it.

    Returns
    -------
    (DataFrame, Links)
        Columns ``unit_code``, ``unit_name``, ``unit_class``, ``dimension``, ``n``,
        ``item``, ``clause_id``, ``prohibition``, ``covered``, ``rule_ids`` (``;``),
        ``suggestions`` (rules whose ``clause`` text resembles it, with the ratio; not
        coverage), ``linked_out_of_scope`` (rules that name it but whose scope leaves the
        unit out), ``clause``, ``clause_en``.  A unit without any access-list text has one
        row with ``dimension`` empty and ``covered`` empty (nothing to check is not
        "checked").
    """
    units = units.reset_index(drop=True)
    ln = link(units, rules)
    names = units["name"].astype("string").tolist() if "name" in units.columns else None
    codes = units["code"].astype("string").tolist()
    cls = units["unit_class"].tolist() if "unit_class" in units.columns else [None] * len(units)
    cache: dict = {}
    rows = []
    for i in range(len(units)):
        g = ln.group[i]
        cs = ln.unit_clauses(i)
        base = {
            "unit_code": codes[i],
            "unit_name": names[i] if names else None,
            "unit_class": cls[i],
        }
        if not ln.has_text[i]:
            rows.append({**base, "dimension": "", "covered": None, "clause": ""})
            continue
        for c, rids, off in zip(cs, ln.rules[g], ln.out_of_scope[g], strict=True):
            rows.append(
                {
                    **base,
                    "dimension": c.dimension,
                    "n": c.n,
                    "item": c.item,
                    "clause_id": c.id,
                    "prohibition": c.prohibition,
                    "covered": bool(rids),
                    "rule_ids": ";".join(rids),
                    "suggestions": ""
                    if rids or not suggest
                    else _suggestions(c.text, rules, cache),
                    "linked_out_of_scope": ";".join(off),
                    "clause": c.text,
                    "clause_en": c.text_en or "",
                }
            )
    cols = [
        "unit_code",
        "unit_name",
        "unit_class",
        "dimension",
        "n",
        "item",
        "clause_id",
        "prohibition",
        "covered",
        "rule_ids",
        "suggestions",
        "linked_out_of_scope",
        "clause",
        "clause_en",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["n"] = frame["n"].astype("Int64")
    frame["covered"] = frame["covered"].astype("boolean")
    frame["prohibition"] = frame["prohibition"].astype("boolean")
    return frame, ln


def coverage_counts(frame: pd.DataFrame) -> dict:
    """Counts of a :func:`clause_coverage` table: clauses, covered, uncovered (and how
    many of those are prohibitions), distinct texts, units without an access list."""
    has = frame["covered"].notna()
    cov = frame.loc[has, "covered"].astype(bool)
    pro = frame.loc[has, "prohibition"].astype(bool)
    texts = frame.loc[has].drop_duplicates(["dimension", "clause"])
    tcov = texts["covered"].astype(bool)
    return {
        "units": int(frame["unit_code"].nunique()),
        "units_without_access_list": int((~has).sum()),
        "clauses": int(has.sum()),
        "covered": int(cov.sum()),
        "uncovered": int((~cov).sum()),
        "uncovered_prohibitions": int((~cov & pro).sum()),
        "distinct_texts": len(texts),
        "distinct_covered": int(tcov.sum()),
        "distinct_uncovered": int((~tcov).sum()),
    }


def unchecked_by_group(
    units: pd.DataFrame,
    rules: RuleSet,
    /,
    *,
    english: bool = True,
    scope: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[Clause] | None]]:
    """(group of each unit, per group the clauses no rule checks): see
    :func:`unchecked_clauses`; the clauses carry the code of the group's first unit
    (``scope``: as for :func:`link`)."""
    ln = link(units, rules, english=english, scope=scope)
    first = np.full(len(ln.clauses), -1, dtype=np.int64)
    first[ln.group[::-1]] = np.arange(len(ln.group) - 1, -1, -1)
    out: list[list[Clause] | None] = []
    for g, cs in enumerate(ln.clauses):
        if not cs:
            out.append([] if ln.has_text[first[g]] else None)
            continue
        left = [c for c, rids in zip(cs, ln.rules[g], strict=True) if not rids]
        left.sort(key=lambda c: (not c.prohibition, _DIM_ORDER.get(c.dimension, 9), c.n))
        out.append(left)
    if ln.unmatched:
        log.debug("clause references matching no clause of these units: %s", ln.unmatched)
    return ln.group, out


def unchecked_clauses(
    units: pd.DataFrame, rules: RuleSet, /, *, english: bool = True
) -> list[list[Clause] | None]:
    """Per unit (row order), the clauses no rule checks, prohibitions first (then by
    dimension and position); ``None`` for a unit without any access-list text (its list
    is not in the layer: nothing is known, which is not "nothing to review").
    ``english=False`` leaves out the English twins (faster)."""
    group, per_group = unchecked_by_group(units, rules, english=english)
    codes = units["code"].astype("string").fillna("").tolist()
    out: list[list[Clause] | None] = []
    for i, g in enumerate(group.tolist()):
        cs = per_group[g]
        out.append(None if cs is None else [dataclasses.replace(c, unit_code=codes[i]) for c in cs])
    return out


def review_text(count, lang: str = "zh") -> str:
    """``N clauses not machine-checked: review by hand`` (or the Chinese), or the note
    for a unit layer without access lists (``count`` None); empty for 0."""
    if count is None or (isinstance(count, float) and np.isnan(count)) or count is pd.NA:
        return (
            "单元图层无准入清单文本，需人工核对准入清单"
            if lang == "zh"
            else "no access-list text in the unit layer: check the access list by hand"
        )
    if int(count) == 0:
        return ""
    if lang == "zh":
        return f"{int(count)} 条条款未经机器核查，需人工复核"
    return (
        f"{int(count)} clause{'s' if int(count) != 1 else ''} not machine-checked: review by hand"
    )


@functools.lru_cache(maxsize=1 << 16)
def clause_label(c: Clause, lang: str = "zh") -> str:
    """``[禁止] 空间布局约束 第2项: text`` / ``[prohibition] Spatial layout constraints,
    item 2: text`` (the item number as written in the list)."""
    return f"{item_label(c.dimension, c.item, lang, c.prohibition)}: {c.get(lang)}"
