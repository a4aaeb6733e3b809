"""One allocation of every polluted plot: trees, panels, forest-PV or risk control only.

Each plot gets at most one use (``trees``, ``pv``, ``forest_pv``; none = risk control
only), maximising a declared objective (t CO2/yr sequestered by trees plus t CO2/yr
avoided by PV, with weights, plus an optional bonus for neighbouring plots of the same
use) under per-use and total budgets (area ha, cost, MW) and locked choices.  Which use a
plot may take comes from the rules (:mod:`zoning.pv`: never PV on cropland; forest-PV only
on shrub forest land; ``trees`` column of ``pv_land_rules.csv``).

The mixed-integer programme and its search (greedy start, LP bound by HiGHS, rounding,
local search, RINS and the MIP through the backends of :mod:`zoning.optimize`, each in a
child process killed at a hard time limit) are in :mod:`zoning.allocate_model`; the best
known solution, the bound and the gap are reported.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoning.allocate_model import TOL, USES, _check, _search, _usage, _value
from zoning.errors import InputError

log = logging.getLogger(__name__)

NONE = "risk_control_only"
QUANTITIES: tuple[str, ...] = ("area_ha", "cost", "mw")

__all__ = [
    "USES",
    "Allocation",
    "allocate_arrays",
    "check_search",
    "allocate_plots",
    "parse_budget",
    "tradeoff",
]


@dataclass
class Allocation:
    """The answer of :func:`allocate_arrays`."""

    use: np.ndarray  # int per plot: index into USES, -1 = none
    objective: float
    bound: float | None
    gap: float | None
    status: str
    backend: str
    runtime_s: float
    greedy_objective: float
    used: dict = field(default_factory=dict)
    message: str = ""
    details: dict = field(default_factory=dict)  # the stages' objectives, bound, times

    def summary(self) -> dict:
        """A JSON-able summary (without the per-plot vector)."""
        return {
            "status": self.status,
            "backend": self.backend,
            "objective": round(self.objective, 4),
            "bound": None if self.bound is None else round(self.bound, 4),
            "gap": self.gap,
            "greedy_objective": round(self.greedy_objective, 4),
            "runtime_s": round(self.runtime_s, 3),
            "used": self.used,
            "budget_tolerance": f"a budget C holds up to C + {TOL:g} x max(1, C)",
            "message": self.message,
            "stages": {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.details.items()
            },
        }


def parse_budget(items) -> dict[tuple[str, str], float]:
    """``["total:area_ha=200", "pv:mw=50"]`` -> ``{("total", "area_ha"): 200, ...}``."""
    out: dict[tuple[str, str], float] = {}
    for s in items or ():
        try:
            scope_q, v = str(s).split("=", 1)
            scope, q = scope_q.split(":", 1) if ":" in scope_q else ("total", scope_q)
            val = float(v)
        except ValueError:
            raise InputError(
                f"budget '{s}' is not SCOPE:QUANTITY=VALUE",
                param="budget",
                fix="e.g. total:area_ha=200, pv:mw=50, trees:cost=3e6",
            ) from None
        if scope not in ("total", *USES) or q not in QUANTITIES or not 0 <= val < np.inf:
            raise InputError(
                f"budget '{s}': scope must be in {['total', *USES]}, quantity in "
                f"{list(QUANTITIES)}, value a finite number >= 0 (no budget: leave it out)",
                param="budget",
            )
        out[(scope, q)] = val
    return out


def check_search(*, gap=0.001, time_limit_s=30.0, adjacency_bonus=0.0) -> None:
    """Refuse a negative or non-finite gap or adjacency bonus, or a time limit <= 0."""
    if not (np.isfinite(gap) and gap >= 0):
        raise InputError(f"the gap is {gap}; it must be a number >= 0", param="gap",
                         fix="e.g. 0.001 (0.1 %)")  # fmt: skip
    if not (np.isfinite(time_limit_s) and time_limit_s > 0):
        raise InputError(f"the time limit is {time_limit_s} s; it must be > 0",
                         param="time_limit_s", fix="give seconds, e.g. 30")  # fmt: skip
    if not (np.isfinite(adjacency_bonus) and adjacency_bonus >= 0):
        raise InputError(
            f"the adjacency bonus is {adjacency_bonus}; it must be a number >= 0",
            param="adjacency_bonus",
            fix="give 0 (none) or a positive bonus per neighbouring pair of the same use",
        )


def allocate_arrays(
    benefit,
    /,
    area_ha,
    *,
    mw=None,
    cost=None,
    budgets: dict | None = None,
    edges=None,
    edge_bonus: float = 0.0,
    locked=None,
    backend: str = "highs",
    time_limit_s: float = 30.0,
    gap: float = 0.001,
    grace_s: float = 5.0,
) -> Allocation:
    """Assign each item to at most one use, maximising benefit under budgets.

    Parameters
    ----------
    benefit : (n, 3) array of float
        Benefit of each plot under each of :data:`USES`; NaN where a use is not allowed.
    area_ha : (n,) array; mw, cost : (n, 3) arrays, optional
    budgets : dict (scope, quantity) -> cap, optional
        Scope ``total`` or a use; quantity ``area_ha``, ``cost`` or ``mw`` (see
        :func:`parse_budget`).
    edges : (m, 2) int array, optional; edge_bonus : float
        Neighbouring plots; each pair given the same use earns ``edge_bonus``.
    locked : (n,) int array, optional
        Use index per plot (-1 = locked to none, -2 = free).
    backend : {"highs", "cbc", "scipy", "greedy"}, optional (default: "highs")
    time_limit_s : float (hard: the solver's process is killed ``grace_s`` later)
    gap : float, optional (default: 0.001)
    """
    t0 = time.perf_counter()
    budgets = budgets or {}
    if backend not in ("highs", "cbc", "scipy", "greedy"):
        raise InputError(f"`backend` was '{backend}'", param="backend")
    check_search(gap=gap, time_limit_s=time_limit_s)
    b, area, mw, cost, lk = _check(benefit, area_ha, mw, cost, budgets, locked, edges, edge_bonus)
    arrays = (b, area, mw, cost, budgets, lk, edges, edge_bonus)
    model, pi, pu, x, bound, status, used, details = _search(
        arrays, backend, time_limit_s, gap, grace_s, t0
    )
    obj = _value(model, x)
    if bound is not None and not np.isfinite(bound):
        bound = None  # no finite bound is no bound (the status says no_bound)
    if bound is not None:
        bound = max(float(bound), obj)
    g = None if bound is None else (bound - obj) / max(abs(bound), 1e-12)
    use = np.where(lk >= 0, lk, -1)
    use[pi[x]] = pu[x]
    totals = {}
    for (scope, q), cap in sorted(budgets.items()):
        us = range(len(USES)) if scope == "total" else [USES.index(scope)]
        tot = sum(float(np.nansum(_usage(q, area, mw, cost, u)[use == u])) for u in us)
        totals[f"{scope}:{q}"] = {"used": round(tot, 4), "cap": cap}
    return Allocation(
        use, obj, bound, g, status, used, time.perf_counter() - t0,
        details["greedy_objective"], totals, details.get("fallback_to_greedy", ""),
        details=details,
    )  # fmt: skip


# --- plots ------------------------------------------------------------------------------


def _adjacent_pairs(plots, tol_m: float = 1.0) -> np.ndarray:
    from shapely import STRtree

    from zoning.geo import metric_crs

    g = plots.geometry.to_crs(metric_crs(plots, "the plots")).to_numpy()
    tree = STRtree(g)
    i, j = tree.query(g, predicate="dwithin", distance=tol_m)
    keep = i < j
    return np.column_stack([i[keep], j[keep]])


def allocate_plots(
    pv_plots,
    /,
    *,
    sink_t_co2_ha_yr: float | np.ndarray,
    sink_factors: dict | None = None,
    weights: tuple[float, float] = (1.0, 1.0),
    budgets: dict | None = None,
    cost_per_ha: dict[str, float] | None = None,
    cost_per_mw: dict[str, float] | None = None,
    adjacency_bonus: float = 0.0,
    locked: dict | None = None,
    id_field: str | None = None,
    backend: str = "highs",
    time_limit_s: float = 30.0,
    gap: float = 0.001,
    lang: str = "zh",
):
    """Allocate plots assessed by :func:`zoning.pv.assess_pv` (their ``pv_status``,
    ``land_use_key``, ``area_ha``, ``mw``, ``mwh_yr``, ``avoided_t_co2_yr``).

    ``sink_t_co2_ha_yr`` is the afforestation removal rate (e.g. from
    :func:`zoning.siting.removal_factors`; ``sink_factors`` are recorded).  ``weights``
    are (sink, avoided).  ``locked`` maps plot id -> use or ``"none"``.  Plots with a
    non-empty ``contamination_gate`` (from :func:`zoning.allocate_samples.contamination_of_plots`:
    not polluted by their samples, or unsampled) take no use; the gate is their reason.
    Returns ``(frame, summary)``.
    """
    from zoning.allocate_samples import plot_ids
    from zoning.pv import read_land_rules

    check_search(gap=gap, time_limit_s=time_limit_s, adjacency_bonus=adjacency_bonus)
    rules = read_land_rules().set_index("value")
    f = pv_plots.copy()
    n = len(f)
    area = f["area_ha"].to_numpy(dtype="float64")
    rate = np.broadcast_to(np.asarray(sink_t_co2_ha_yr, dtype="float64"), (n,))
    sink = area * rate
    avoided = f["avoided_t_co2_yr"].to_numpy(dtype="float64")
    st = f["pv_status"].to_numpy()
    lu = f["land_use_key"].astype(object).to_numpy()
    trees_ok = np.array(
        [v is not None and v is not pd.NA and rules.loc[v, "trees"] == "yes" for v in lu]
    )
    ws, wa = weights
    raw = np.full((n, 3), np.nan)
    raw[trees_ok, 0] = sink[trees_ok]
    pv_ok = (st == "candidate") & np.isfinite(avoided)
    fpv_ok = (st == "forest_pv") & np.isfinite(avoided)
    # plots whose samples say they are not polluted (or are unsampled construction land /
    # farmland outside the tree classes) take no use: zoning.allocate_samples
    gate = (
        f["contamination_gate"].fillna("").astype(str).to_numpy()
        if "contamination_gate" in f.columns
        else np.full(n, "", dtype=object)
    )
    gated = gate != ""
    trees_ok &= ~gated
    raw[gated, 0] = np.nan
    pv_ok &= ~gated
    fpv_ok &= ~gated
    raw[pv_ok, 1] = avoided[pv_ok]
    raw[fpv_ok, 2] = avoided[fpv_ok]
    b = raw * np.array([ws, wa, wa])
    mwv = f["mw"].to_numpy(dtype="float64")
    mw = np.column_stack([np.zeros(n), np.nan_to_num(mwv), np.nan_to_num(mwv)])
    cost = None
    if cost_per_ha or cost_per_mw:
        cost = np.zeros((n, 3))
        for u, name in enumerate(USES):
            cost[:, u] += area * (cost_per_ha or {}).get(name, 0.0)
            cost[:, u] += mw[:, u] * (cost_per_mw or {}).get(name, 0.0)
    ids = plot_ids(f, id_field) if id_field else np.arange(1, n + 1).astype(str)
    lk = np.full(n, -2, dtype="int64")
    pos = {v: i for i, v in enumerate(ids)}
    for pid, use in (locked or {}).items():
        if str(pid).strip() not in pos:
            raise InputError(f"locked plot '{pid}' is not among the plots", param="locked")
        if use not in (*USES, "none"):
            raise InputError(f"locked use '{use}' is not one of {[*USES, 'none']}", param="locked")
        i = pos[str(pid).strip()]
        lk[i] = -1 if use == "none" else USES.index(use)
        if lk[i] >= 0 and not np.isfinite(b[i, lk[i]]):
            why = gate[i] or ("land rules do not allow trees" if lk[i] == 0 else "")
            why = why or str(f["pv_reasons"].iat[i] or f"PV status '{st[i]}'")
            raise InputError(
                f"plot '{pid}' is locked to '{use}', which it cannot take ({why})",
                param="locked",
                fix="unlock it or lock it to a use its land rules allow",
            )
    edges = _adjacent_pairs(f) if adjacency_bonus > 0 and n > 1 else None
    res = allocate_arrays(
        b,
        area,
        mw=mw,
        cost=cost,
        budgets=budgets,
        edges=edges,
        edge_bonus=adjacency_bonus,
        locked=lk,
        backend=backend,
        time_limit_s=time_limit_s,
        gap=gap,
    )
    use = np.array([USES[u] if u >= 0 else NONE for u in res.use], dtype=object)
    f["use"] = use
    f["sink_t_co2_yr"] = np.where(use == "trees", np.round(sink, 3), np.nan)
    is_pv = np.isin(use, ["pv", "forest_pv"])
    for c in ("mw", "mwh_yr", "avoided_t_co2_yr"):
        f[c] = np.where(is_pv, f[c], np.nan)
    why = []
    for i in range(n):
        if use[i] != NONE:
            why.append("")
            continue
        parts = [gate[i]] if gated[i] else []
        if lk[i] == -1:
            parts.append("锁定为仅风险管控" if lang == "zh" else "locked to risk control only")
        if not trees_ok[i] and not gated[i]:
            parts.append("地类不允许造林" if lang == "zh" else "land rules do not allow trees")
        if not (pv_ok[i] or fpv_ok[i]) and not (gated[i] and not f["pv_reasons"].iat[i]):
            pv_why = f["pv_reasons"].iat[i] or (
                "无发电量数据" if lang == "zh" else "no yield or emission factor"
            )
            parts.append(("光伏：" if lang == "zh" else "PV: ") + pv_why)
        if not parts:
            parts.append("预算内未入选" if lang == "zh" else "not selected within the budgets")
        why.append("; ".join(parts))
    f["use_reason"] = why
    by_use = {}
    for name in (*USES, NONE):
        m = use == name
        by_use[name] = {
            "plots": int(m.sum()),
            "area_ha": round(float(area[m].sum()), 3),
            "mw": round(float(np.nansum(f["mw"].to_numpy(dtype=float)[m])), 3),
            "mwh_yr": round(float(np.nansum(f["mwh_yr"].to_numpy(dtype=float)[m])), 1),
            "sink_t_co2_yr": round(float(np.nansum(f["sink_t_co2_yr"].to_numpy(float)[m])), 2),
            "avoided_t_co2_yr": round(
                float(np.nansum(f["avoided_t_co2_yr"].to_numpy(float)[m])), 2
            ),
        }
    summary = {
        "objective": "weights x (t CO2/yr sequestered by trees, t CO2/yr avoided by PV)"
        + (" + adjacency bonus per neighbouring pair of the same use" if edges is not None else ""),
        "weights": {"sink": ws, "avoided": wa},
        "adjacency_bonus": adjacency_bonus,
        "budgets": {f"{s}:{q}": v for (s, q), v in (budgets or {}).items()},
        "by_use": by_use,
        "solver": res.summary(),
        "sink_rate_t_co2_ha_yr": float(np.mean(rate)) if n else None,
        "sink_factors": sink_factors,
        "locked": {str(k): v for k, v in (locked or {}).items()},
        "rules": "never PV on cropland or permanent basic farmland; forest-PV only on "
        "shrub forest land (zoning/data/pv_land_rules.csv)",
    }
    return f, summary, res, (raw, area, mw, cost, lk, edges)


def tradeoff(
    arrays,
    *,
    steps: int = 5,
    backend: str = "highs",
    time_limit_s: float = 10.0,
    budgets=None,
    edge_bonus: float = 0.0,
    gap: float = 0.001,
) -> list[dict]:
    """Weighted solves from sink-heavy to avoided-heavy: total sink and avoided of each."""
    b, area, mw, cost, lk, edges = arrays
    sink = np.where(np.isfinite(b[:, 0]), b[:, 0], np.nan)
    av = b[:, 1:]
    pts = []
    for a in np.linspace(0.05, 0.95, steps):
        bb = np.column_stack([a * sink, (1 - a) * av])
        r = allocate_arrays(
            bb,
            area,
            mw=mw,
            cost=cost,
            budgets=budgets,
            edges=edges,
            edge_bonus=edge_bonus,
            locked=lk,
            backend=backend,
            time_limit_s=time_limit_s,
            gap=gap,
        )
        s = float(np.nansum(np.where(r.use == 0, sink, 0)))
        v = float(np.nansum([av[i, r.use[i] - 1] for i in np.flatnonzero(r.use >= 1)]))
        pts.append(
            {
                "weight_sink": round(float(a), 3),
                "sink_t_co2_yr": round(s, 2),
                "avoided_t_co2_yr": round(v, 2),
                "gap": r.gap,
                "status": r.status,
            }
        )
    return pts
