"""Verdicts of a screening and the tables behind them: rules per project, the units
touched, the reasons, conditions and missing facts, and the clauses no rule checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.model import DIMENSIONS, normalise_class
from zoning.rules.coverage import clause_label, review_text, unchecked_by_group

_ALWAYS_KNOWN = {"unit", "units", "share"}
_KEEP = {"project_id", "unit_code", "unit_class", "overlap_m2", "overlap_m", "share_pct"}


def _join_unique(values) -> str:
    return ";".join(dict.fromkeys(v for v in values if v))


@dataclass
class Verdicts:
    """Per (project, rule): fired, undecided, in scope; per project: the verdict and
    whether a unit was found; the missing facts per (evaluated row, rule)."""

    fired: np.ndarray
    unknown: np.ndarray
    scope: np.ndarray
    verdict: np.ndarray
    prohibited: np.ndarray
    has_unit: np.ndarray
    missing_row: dict


def _verdicts(n: int, rules, ev, pr: np.ndarray) -> Verdicts:
    """The verdict of every project from the rules evaluated on its (project, unit) pairs."""
    nr = len(rules.rules)
    fired = np.zeros((n, nr), dtype=bool)
    unknown = np.zeros((n, nr), dtype=bool)
    scope = np.zeros((n, nr), dtype=bool)
    if len(pr):
        np.logical_or.at(fired, pr, ev.fired)
        np.logical_or.at(unknown, pr, ev.unknown)
        np.logical_or.at(scope, pr, ev.in_scope)
    unknown &= ~fired
    outcome = np.array([r.outcome for r in rules.rules], dtype=object)
    prohibited = (fired & (outcome == "prohibited")).any(axis=1)
    restricted = (fired & (outcome == "restricted")).any(axis=1)
    needs = unknown.any(axis=1)
    has_unit = np.bincount(pr, minlength=n) > 0
    verdict = np.full(n, "allowed", dtype=object)
    verdict[restricted] = "restricted"
    verdict[needs | ~has_unit] = "needs-information"
    verdict[prohibited] = "prohibited"

    # missing facts per (row, rule) where unknown
    missing_row: dict[int, tuple] = {}
    for j, rule in enumerate(rules.rules):
        rows = np.flatnonzero(ev.unknown[:, j])
        if not len(rows):
            continue
        facts = sorted(f for f in rule.facts() if f not in _ALWAYS_KNOWN)
        cells = []
        for f in facts:
            known = ev.fact_known.get(f)
            miss = np.ones(len(rows), bool) if known is None else ~known[rows]
            cells.append(np.where(miss, f, ""))
        joined = (
            np.array([";".join(t for t in tup if t) for tup in zip(*cells, strict=True)])
            if cells
            else np.full(len(rows), "")
        )
        missing_row[j] = (rows, joined)
    return Verdicts(fired, unknown, scope, verdict, prohibited, has_unit, missing_row)


def _overlap_table(ids, units, ov, pr, ui, share, codes) -> pd.DataFrame:
    """One row per (project, unit touched), with the unit's texts and the overlap."""
    ov_out = pd.DataFrame({"project_id": ids[pr] if len(pr) else []})
    ov_out["unit_code"] = codes[ui]
    for col, src in (
        ("unit_name", "name"),
        ("unit_name_en", "name_en"),
        ("element", "element"),
        ("subtype", "subtype"),
    ):
        ov_out[col] = (
            units[src].iloc[ui].astype("string").to_numpy(dtype=object)
            if src in units.columns
            else None
        )
    ov_out["unit_class"] = np.array(
        [normalise_class(v) or 0 for v in units["unit_class"].iloc[ui]], dtype=np.int64
    )
    ov_out["overlap_m2"] = ov["overlap_m2"].to_numpy() if len(ov) else []
    ov_out["overlap_m"] = ov["overlap_m"].to_numpy() if len(ov) else []
    ov_out["share_pct"] = share * 100.0
    ov_out["on_boundary"] = ov["on_boundary"].to_numpy(dtype=bool) if len(ov) else []
    for d in DIMENSIONS:
        for col in (d.column, d.column + "_en"):
            ov_out[col] = (
                units[col].iloc[ui].astype("string").to_numpy(dtype=object)
                if col in units.columns
                else None
            )
    return ov_out[[c for c in ov_out.columns if ov_out[c].notna().any() or c in _KEEP]]


def _rules_table(ids, rules, ev, v: Verdicts, pr, ui, codes) -> tuple[pd.DataFrame, dict]:
    """One row per (project, rule in scope), fired first; and the missing facts per
    (project, rule) left undecided."""
    fired, unknown, scope = v.fired, v.unknown, v.scope
    p_idx, r_idx = np.nonzero(scope)
    status = np.where(
        fired[p_idx, r_idx], "fired", np.where(unknown[p_idx, r_idx], "unknown", "not_triggered")
    )
    # the units where each (project, rule) fired / was unknown / was in scope
    row_state = np.where(ev.fired, 2, np.where(ev.unknown, 1, np.where(ev.in_scope, 0, -1)))
    where: dict[tuple[int, int], list[str]] = {}
    miss_pr: dict[tuple[int, int], str] = {}
    state_pr = np.where(fired, 2, np.where(unknown, 1, 0))
    rr, jj = np.nonzero(row_state >= 0)
    keep = row_state[rr, jj] == state_pr[pr[rr], jj]
    for r, j in zip(rr[keep], jj[keep], strict=True):
        where.setdefault((int(pr[r]), int(j)), []).append(codes[ui[r]])
    for j, (rows, joined) in v.missing_row.items():
        for r, text in zip(rows, joined, strict=True):
            key = (int(pr[r]), j)
            if unknown[key]:
                prev = miss_pr.get(key, "")
                miss_pr[key] = _join_unique((prev + ";" + text).split(";"))
    rl = rules.rules
    rules_out = pd.DataFrame(
        {
            "project_id": ids[p_idx],
            "rule_id": [rl[j].id for j in r_idx],
            "dimension": [rl[j].dimension for j in r_idx],
            "outcome": [rl[j].outcome for j in r_idx],
            "status": status,
            "unit_codes": [
                _join_unique(where.get((int(p), int(j)), []))
                for p, j in zip(p_idx, r_idx, strict=True)
            ],
            "missing_facts": [
                miss_pr.get((int(p), int(j)), "") for p, j in zip(p_idx, r_idx, strict=True)
            ],
            "clause_zh": [rl[j].clause.zh for j in r_idx],
            "clause_en": [rl[j].clause.en for j in r_idx],
            "message_zh": [rl[j].message.zh for j in r_idx],
            "message_en": [rl[j].message.en for j in r_idx],
            "requirement_zh": [rl[j].requirement.zh if rl[j].requirement else "" for j in r_idx],
            "requirement_en": [rl[j].requirement.en if rl[j].requirement else "" for j in r_idx],
        }
    )
    st_order = {"fired": 0, "unknown": 1, "not_triggered": 2}
    oc_order = {"prohibited": 0, "restricted": 1, "allowed": 2}
    rules_out["_k"] = np.array(
        [st_order[a] * 3 + oc_order[b] for a, b in zip(status, rules_out["outcome"], strict=True)],
        dtype=np.int64,
    )
    rules_out["_p"] = p_idx
    rules_out = (
        rules_out.sort_values(["_p", "_k"], kind="stable")
        .drop(columns=["_k", "_p"])
        .reset_index(drop=True)
    )
    return rules_out, miss_pr


def _texts(n: int, rules, v: Verdicts, miss_pr: dict):
    """Per project: the reasons (rule ids and messages), conditions and missing facts."""
    rl = rules.rules
    fired, unknown, prohibited = v.fired, v.unknown, v.prohibited
    reasons = np.full(n, "", dtype=object)
    conditions = np.full(n, "", dtype=object)
    missing_facts = np.full(n, "", dtype=object)
    fp_i, fr_i = np.nonzero(fired | unknown)
    for p, j in zip(fp_i, fr_i, strict=True):
        r = rl[j]
        if fired[p, j]:
            if r.outcome == "prohibited" or (r.outcome == "restricted" and not prohibited[p]):
                reasons[p] += f"[{r.id}] {r.message.zh} / {r.message.en}\n"
            if r.outcome == "restricted" and r.requirement is not None:
                conditions[p] += f"[{r.id}] {r.requirement.zh} / {r.requirement.en}\n"
        else:
            facts = miss_pr.get((int(p), int(j)), "")
            missing_facts[p] = _join_unique((missing_facts[p] + ";" + facts).split(";"))
    missing_facts[~v.has_unit] = "unit"
    reasons = np.array([s.strip() for s in reasons], dtype=object)
    conditions = np.array([s.strip() for s in conditions], dtype=object)
    return reasons, conditions, missing_facts


def _review(units, rules, ids, pr, ui, has_unit):
    """The access-list clauses of the units each project touches that no rule checks.

    Returns the long table, and per project the count (``<NA>`` when a unit touched has
    no access-list text, or there is no unit), the sentences (zh, en) and the clauses
    as text (prohibitions first).
    """
    n = len(ids)
    touched = np.unique(ui) if len(ui) else np.zeros(0, np.int64)
    group, left = (
        unchecked_by_group(units.iloc[touched], rules) if len(touched) else (np.zeros(0), [])
    )
    per_unit = {u: left[g] for u, g in zip(touched.tolist(), group.tolist(), strict=True)}
    codes = units["code"].astype("string").to_numpy(dtype=object)
    groups: list[dict] = [{} for _ in range(n)]
    no_text: list[list[str]] = [[] for _ in range(n)]
    for p, u in zip(pr.tolist(), ui.tolist(), strict=True):
        cs = per_unit.get(u)
        if cs is None:
            no_text[p].append(codes[u])
            continue
        for c in cs:
            g = groups[p].setdefault((c.dimension, c.text), {"clause": c, "units": [], "ids": []})
            if codes[u] not in g["units"]:
                g["units"].append(codes[u])
                g["ids"].append(f"{codes[u]}:{c.dimension}:{c.n}@{c.hash}")
    rows = []
    count = pd.array([pd.NA] * n, dtype="Int64")
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    listed = np.full(n, "", dtype=object)
    for p in range(n):
        items = list(groups[p].values())  # already prohibitions first within each unit
        items.sort(key=lambda g: not g["clause"].prohibition)
        for g in items:
            c = g["clause"]
            rows.append(
                {
                    "project_id": ids[p],
                    "dimension": c.dimension,
                    "n": c.n,
                    "item": c.item,
                    "prohibition": c.prohibition,
                    "clause_zh": c.text,
                    "clause_en": c.text_en or "",
                    "unit_codes": ";".join(g["units"]),
                    "clause_ids": ";".join(g["ids"]),
                }
            )
        if has_unit[p] and not no_text[p]:
            count[p] = len(items)
        parts_zh = [review_text(len(items), "zh")] if items else []
        parts_en = [review_text(len(items), "en")] if items else []
        if no_text[p]:
            units_txt = ", ".join(dict.fromkeys(no_text[p]))
            parts_zh.append(f"{review_text(None, 'zh')}（{units_txt}）")
            parts_en.append(f"{review_text(None, 'en')} ({units_txt})")
        zh[p], en[p] = "；".join(parts_zh), "; ".join(parts_en)
        listed[p] = " | ".join(clause_label(g["clause"], "zh") for g in items)
    cols = [
        "project_id",
        "dimension",
        "n",
        "item",
        "prohibition",
        "clause_zh",
        "clause_en",
        "unit_codes",
        "clause_ids",
    ]
    return pd.DataFrame(rows, columns=cols), count, zh, en, listed
