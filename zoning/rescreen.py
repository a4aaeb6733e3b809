"""Re-screening under a new edition: whose verdict, units or triggered rules change, and why.

``rescreen(results, units, rules)`` re-runs earlier screening results (the projects of
``result.json`` files, :func:`zoning.io.results.read_results`: each holds the project's
site, its facts and the input hashes) through :func:`zoning.screen.screen` against the new
units and rules, and compares project by project.  ``compare_conflicts(baseline, current)``
does the same for two ``conflicts.csv`` tables of ``zoning conflicts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import InputError, SchemaError
from zoning.model import FACILITY_COLUMNS
from zoning.rules.schema import RuleSet
from zoning.screen import VERDICTS, ScreeningResult, screen

log = logging.getLogger(__name__)

RESCREEN_COLUMNS = [
    "project_id", "source", "changed", "verdict_changed", "units_changed", "rules_changed",
    "old_verdict", "new_verdict", "old_units", "new_units", "rules_now_fired",
    "rules_no_longer_fired", "old_missing_facts", "new_missing_facts", "inputs_changed",
    "why_zh", "why_en",
]  # fmt: skip


@dataclass
class Rescreening:
    """What :func:`rescreen` found.

    Attributes
    ----------
    table : DataFrame
        One row per project (:data:`RESCREEN_COLUMNS`): the old and new verdict, units
        (codes with a share > 0, ``;``-joined) and fired rules, what changed and why.
    result : ScreeningResult
        The new screening (write it with :func:`zoning.export.report.write_screening`).
    """

    table: pd.DataFrame
    result: ScreeningResult

    @property
    def changed(self) -> pd.DataFrame:
        return self.table[self.table["changed"]]


def _projects(results: list[dict]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    seen: dict[str, int] = {}
    for r in results:
        p = r["project"]
        pid = str(p["project_id"])
        seen[pid] = seen.get(pid, 0) + 1
        try:
            geom = shapely.from_wkt(p["geometry_wkt_wgs84"])
        except shapely.errors.GEOSException as exc:
            raise InputError(
                f"project {pid}: geometry_wkt_wgs84 is not WKT ({exc})",
                source=r["source"],
                field="geometry_wkt_wgs84",
                fix="re-run `zoning screen` to write the result again",
            ) from exc
        facts = {k: v for k, v in (p.get("facts") or {}).items() if k in FACILITY_COLUMNS}
        rows.append(
            {"project_id": pid, "name": p.get("name"), "name_en": p.get("name_en"), **facts}
        )
        geoms.append(geom)
    # the same id from several result files (e.g. single --wkt screenings, all P1): the
    # result file's folder tells them apart
    for k, r in enumerate(results):
        pid = rows[k]["project_id"]
        if seen[pid] > 1:
            from pathlib import Path

            rows[k]["project_id"] = f"{pid}@{Path(r['source']).parent.name or k + 1}"
    ids = pd.Series([r["project_id"] for r in rows])
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise InputError(
            f"the project id '{dup}' comes twice from the same folder",
            field="project_id",
            fix="re-screen each result file once",
        )
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _codes(units: list[dict]) -> list[str]:
    return sorted({str(u["unit_code"]) for u in units if (u.get("share_pct") or 0) > 0})


def _fired(rules: list[dict]) -> list[str]:
    return sorted({str(r["rule_id"]) for r in rules if r.get("status") == "fired"})


def _why_rule(changed: dict, rule_id: str, lang: str) -> str:
    parts = [p for p in changed.get(rule_id, []) if p[0] in ("condition", "scope", "outcome")]
    if not parts:
        return ""
    if lang == "zh":
        part = {"condition": "条件", "scope": "适用范围", "outcome": "结论"}
        words = "；".join(f"{part[p]}：{a} → {b}" for p, a, b in parts)
        return f"（规则已修改 {words}）"
    words = "; ".join(f"{p}: {a} → {b}" for p, a, b in parts)
    return f" (changed in the new rules: {words})"


def _unit_words(units: list[dict], lang: str = "en") -> str:
    from zoning.model import UNIT_CLASSES

    out = []
    for u in sorted(units, key=lambda u: str(u["unit_code"])):
        if (u.get("share_pct") or 0) <= 0:
            continue
        c = UNIT_CLASSES.get(u.get("unit_class"))
        word = (c.zh if lang == "zh" else c.key) if c else ""
        out.append(f"{u['unit_code']} ({word})" if c else str(u["unit_code"]))
    return ";".join(out)


def _hash_changes(meta: dict, new_inputs: dict) -> list[str]:
    out = []
    old_inputs = meta.get("inputs") or {}
    for key in ("units", "rules"):
        a = (old_inputs.get(key) or {}).get("sha256")
        b = (new_inputs.get(key) or {}).get("sha256")
        if a and b and a != b:
            out.append(key)
    return out


def rescreen(
    results: list[dict],
    units: gpd.GeoDataFrame,
    /,
    rules: RuleSet,
    grids: dict | None = None,
    layers: dict | None = None,
    *,
    inputs: dict | None = None,
    missing: str = "error",
    old_rules: RuleSet | None = None,
) -> Rescreening:
    """Re-run earlier screening results against a new edition and compare.

    Parameters
    ----------
    results : list of dict
        From :func:`zoning.io.results.read_results` (``source``, ``meta``, ``project``).
    units, rules, grids, layers, missing
        The new edition, as for :func:`zoning.screen.screen`.
    old_rules : RuleSet, optional (default: None)
        The earlier edition's rules; with them, a rule that now fires or no longer fires
        is explained by what changed in it (:func:`zoning.rulediff.diff_rules`).
    inputs : dict, optional (default: None)
        The new inputs as name → {"path", "sha256"}; with them, ``inputs_changed`` says
        whether the units and rule files differ from those of each earlier result.

    Returns
    -------
    Rescreening
    """
    if not results:
        raise InputError("no earlier result to re-screen", fix="give result.json files or folders")
    projects = _projects(results)
    changed_rules: dict[str, list[tuple[str, str, str]]] = {}
    if old_rules is not None:
        from zoning.rulediff import diff_rules

        for rec in diff_rules(old_rules, rules).itertuples(index=False):
            if rec.rule_id:
                changed_rules.setdefault(rec.rule_id, []).append((rec.part, rec.before, rec.after))
    new = screen(projects, units, rules, grids, layers, missing=missing)
    rows = []
    for k, r in enumerate(results):
        old = r["project"]
        pid = projects["project_id"].iloc[k]
        now = new.project(pid)
        ou, nu = _codes(old.get("units") or []), _codes(now["units"])
        of, nf = _fired(old.get("rules") or []), _fired(now["rules"])
        added = [x for x in nf if x not in of]
        gone = [x for x in of if x not in nf]
        vc = old["verdict"] != now["verdict"]
        uc = ou != nu
        rc = bool(added or gone)
        hashes = _hash_changes(r["meta"], inputs or {})
        zh, en = [], []
        if vc:
            zh.append(f"结论 {VERDICTS[old['verdict']][0]} → {VERDICTS[now['verdict']][0]}")
            en.append(f"verdict {old['verdict']} → {now['verdict']}")
        msgs = {x["rule_id"]: x for x in now["rules"]}
        for x in added:
            zh.append(
                f"新触发规则 {x}：{msgs[x]['message_zh']}" + _why_rule(changed_rules, x, "zh")
            )
            en.append(
                f"rule {x} now fires: {msgs[x]['message_en']}" + _why_rule(changed_rules, x, "en")
            )
        if gone:
            zh.append(
                "不再触发规则 " + ", ".join(x + _why_rule(changed_rules, x, "zh") for x in gone)
            )
            en.append(
                "rules no longer firing: "
                + ", ".join(x + _why_rule(changed_rules, x, "en") for x in gone)
            )
        if uc:
            ol, nl = _unit_words(old.get("units") or []), _unit_words(now["units"])
            zo, zn = _unit_words(old.get("units") or [], "zh"), _unit_words(now["units"], "zh")
            zh.append(f"所涉单元 {zo or '无'} → {zn or '无'}")
            en.append(f"units {ol or 'none'} → {nl or 'none'}")
        if (old.get("missing_facts") or "") != (now["missing_facts"] or ""):
            zh.append(
                f"缺少信息 “{old.get('missing_facts') or ''}” → “{now['missing_facts'] or ''}”"
            )
            en.append(
                f"missing facts “{old.get('missing_facts') or ''}” → “{now['missing_facts'] or ''}”"
            )
        rows.append(
            {
                "project_id": pid,
                "source": r["source"],
                "changed": bool(vc or uc or rc),
                "verdict_changed": bool(vc),
                "units_changed": bool(uc),
                "rules_changed": rc,
                "old_verdict": old["verdict"],
                "new_verdict": now["verdict"],
                "old_units": ";".join(ou),
                "new_units": ";".join(nu),
                "rules_now_fired": ";".join(added),
                "rules_no_longer_fired": ";".join(gone),
                "old_missing_facts": old.get("missing_facts") or "",
                "new_missing_facts": now["missing_facts"] or "",
                "inputs_changed": ";".join(hashes),
                "why_zh": "；".join(zh) or "无变化",
                "why_en": "; ".join(en) or "no change",
            }
        )
    table = pd.DataFrame(rows, columns=RESCREEN_COLUMNS)
    log.info(
        "rescreen: %d projects, %d changed (%d verdicts)",
        len(table),
        int(table["changed"].sum()),
        int(table["verdict_changed"].sum()),
    )
    return Rescreening(table, new)


# ----------------------------------------------------------------------------------------
# facilities

CONFLICT_CHANGES = (
    "newly_conflicting",
    "no_longer_conflicting",
    "status_changed",
    "rules_changed",
    "unit_changed",
    "unchanged",
    "new_facility",
    "facility_gone",
)
_NEEDED = ("facility_id", "status")


def _norm(table: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise SchemaError(
            f"the {what} table has no column {missing[0]}; it has {list(table.columns)[:12]}",
            field=missing[0],
            fix="give the conflicts.csv written by `zoning conflicts`",
        )
    t = table.copy()
    t["facility_id"] = t["facility_id"].astype(str)
    dup = t["facility_id"].duplicated()
    if dup.any():
        raise SchemaError(
            f"the facility id {t['facility_id'][dup].iloc[0]} is listed twice in the {what} table",
            row=int(np.flatnonzero(dup.to_numpy())[0]) + 1,
            field="facility_id",
            fix="give the conflicts.csv written by `zoning conflicts`",
        )
    for c in ("unit_code", "rule_ids"):
        t[c] = t[c].fillna("").astype(str) if c in t.columns else ""
    return t.set_index("facility_id")


def compare_conflicts(baseline: pd.DataFrame, current: pd.DataFrame, /) -> pd.DataFrame:
    """Facilities whose conflict status, unit or broken rules differ between two runs.

    ``baseline`` and ``current`` are ``conflicts.csv`` tables (``facility_id``,
    ``status``, ``unit_code``, ``rule_ids``).  Returns one row per facility of either:
    ``facility_id``, ``change`` (:data:`CONFLICT_CHANGES`: ``newly_conflicting``,
    ``no_longer_conflicting``, ``status_changed``, ``rules_changed``, ``unit_changed``,
    ``unchanged``, ``new_facility``, ``facility_gone``), old and new status, unit and rules.
    """
    a, b = _norm(baseline, "baseline"), _norm(current, "current")
    ids = list(b.index) + [i for i in a.index if i not in b.index]
    rows = []
    for fid in ids:
        old = a.loc[fid] if fid in a.index else None
        new = b.loc[fid] if fid in b.index else None
        if old is None:
            change = "new_facility"
        elif new is None:
            change = "facility_gone"
        elif old["status"] != "conflict" and new["status"] == "conflict":
            change = "newly_conflicting"
        elif old["status"] == "conflict" and new["status"] != "conflict":
            change = "no_longer_conflicting"
        elif old["status"] != new["status"]:
            change = "status_changed"
        elif old["rule_ids"] != new["rule_ids"]:
            change = "rules_changed"
        elif old["unit_code"] != new["unit_code"]:
            change = "unit_changed"
        else:
            change = "unchanged"
        rows.append(
            {
                "facility_id": fid,
                "change": change,
                "old_status": None if old is None else old["status"],
                "new_status": None if new is None else new["status"],
                "old_unit_code": None if old is None else old["unit_code"],
                "new_unit_code": None if new is None else new["unit_code"],
                "old_rule_ids": None if old is None else old["rule_ids"],
                "new_rule_ids": None if new is None else new["rule_ids"],
            }
        )
    return pd.DataFrame(rows)


def report_baseline(baseline: pd.DataFrame, out) -> pd.DataFrame:
    """``zoning conflicts --baseline``: compare the run just written in ``out`` with the
    baseline table, write ``baseline_changes.csv`` there and log the counts."""
    from pathlib import Path

    from zoning.export.geojson import write_vector
    from zoning.io.results import read_conflicts_table

    changes = compare_conflicts(baseline, read_conflicts_table(Path(out) / "conflicts.csv"))
    write_vector(changes[changes["change"] != "unchanged"], Path(out) / "baseline_changes.csv")
    counts = changes["change"].value_counts().to_dict()
    log.info(
        "against the baseline: %s",
        ", ".join(f"{k} {counts[k]}" for k in CONFLICT_CHANGES if counts.get(k)),
    )
    return changes
