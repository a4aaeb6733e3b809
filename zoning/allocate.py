"""One allocation of every polluted plot: trees, panels, forest-PV or risk control only.

Each plot gets at most one use (``trees``, ``pv``, ``forest_pv``; none = risk control
only), maximising a declared objective (t CO2/yr sequestered by trees plus t CO2/yr
avoided by PV, with weights, plus an optional bonus for neighbouring plots of the same
use) under per-use and total budgets (area ha, cost, MW) and locked choices.  Which use a
plot may take comes from the rules (:mod:`zoning.pv`: never PV on cropland; forest-PV only
on shrub forest land; ``trees`` column of ``pv_land_rules.csv``).

The mixed-integer programme has a binary ``x[i,u]`` per plot and allowed use, a row
``sum_u x[i,u] <= 1`` per plot, one row per budget and, for adjacency, ``y <= x[i,u]``,
``y <= x[j,u]``.  It is handed to the solvers of :mod:`zoning.optimize` (their model
type and backends), started from a greedy solution, in a child process that is killed
at a hard time limit; the best known solution, the dual bound (else the LP relaxation's)
and the gap are reported.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from zoning.errors import InputError
from zoning.optimize import InfeasibleBudget, _Model, _run_backend

log = logging.getLogger(__name__)

USES: tuple[str, ...] = ("trees", "pv", "forest_pv")
NONE = "risk_control_only"
QUANTITIES: tuple[str, ...] = ("area_ha", "cost", "mw")

__all__ = ["USES", "Allocation", "allocate_arrays", "allocate_plots", "parse_budget", "tradeoff"]


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
            "message": self.message,
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
        if scope not in ("total", *USES) or q not in QUANTITIES or not val >= 0:
            raise InputError(
                f"budget '{s}': scope must be in {['total', *USES]}, quantity in "
                f"{list(QUANTITIES)}, value >= 0",
                param="budget",
            )
        out[(scope, q)] = val
    return out


# --- model ------------------------------------------------------------------------------


def _check(benefit, area, mw, cost, budgets, locked):
    b = np.asarray(benefit, dtype="float64")
    n, k = b.shape
    if k != len(USES):
        raise InputError(f"benefit must have {len(USES)} columns {USES}", param="benefit")
    area = np.asarray(area, dtype="float64")
    mw = np.zeros((n, k)) if mw is None else np.asarray(mw, dtype="float64")
    cost = None if cost is None else np.asarray(cost, dtype="float64")
    if any(q == "cost" for _, q in budgets) and cost is None:
        raise InputError(
            "a cost budget needs costs per use", param="cost", fix="give cost per ha or per MW"
        )
    lk = np.full(n, -2, dtype="int64") if locked is None else np.asarray(locked, dtype="int64")
    ok = np.isfinite(b)
    bad = (lk >= 0) & ~ok[np.arange(n), np.clip(lk, 0, k - 1)]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"plot {i + 1} is locked to '{USES[lk[i]]}', which its land rules do not allow",
            row=i + 1,
            param="locked",
            fix="unlock it or lock it to an allowed use",
        )
    return b, area, mw, cost, lk


def _usage(q, area, mw, cost, u):
    if q == "area_ha":
        return area
    if q == "mw":
        return mw[:, u]
    return cost[:, u]


def _build(b, area, mw, cost, budgets, lk, edges, bonus):
    n, k = b.shape
    ok = np.isfinite(b)
    free_plot = lk == -2
    pi, pu = np.nonzero(ok & free_plot[:, None])  # free columns
    ncol = len(pi)
    colof = np.full((n, k), -1, dtype="int64")
    colof[pi, pu] = np.arange(ncol)
    obj = b[pi, pu].copy()
    li = np.flatnonzero(lk >= 0)
    constant = float(b[li, lk[li]].sum())
    rows, cols, vals, ub, names = [], [], [], [], []
    r = 0
    # one use per plot (only where a plot has two or more free columns)
    cnt = np.bincount(pi, minlength=n)
    multi = cnt[pi] > 1
    if multi.any():
        plots = np.unique(pi[multi])
        rid = np.full(n, -1)
        rid[plots] = np.arange(len(plots))
        rows.append(rid[pi[multi]])
        cols.append(np.flatnonzero(multi))
        vals.append(np.ones(int(multi.sum())))
        ub.append(np.ones(len(plots)))
        r = len(plots)
    for (scope, q), cap in sorted(budgets.items()):
        us = range(k) if scope == "total" else [USES.index(scope)]
        locked_use = 0.0
        coef = np.zeros(ncol)
        for u in us:
            use = _usage(q, area, mw, cost, u)
            sel = pu == u
            coef[sel] = use[pi[sel]]
            lu = li[lk[li] == u]
            locked_use += float(np.nansum(use[lu]))
        if locked_use > cap * (1 + 1e-12) + 1e-9:
            raise InfeasibleBudget(
                f"the locked choices alone use {locked_use:,.2f} {q} of the {scope} budget "
                f"{cap:,.2f}",
                param="budget",
                fix="raise the budget or lock fewer plots",
            )
        nz = np.flatnonzero(coef)
        rows.append(np.full(len(nz), r))
        cols.append(nz)
        vals.append(coef[nz])
        ub.append([cap - locked_use])
        names.append((scope, q, r))
        r += 1
    pairs = np.zeros((0, 2), dtype="int64")
    wy = np.zeros(0)
    if edges is not None and len(edges) and bonus:
        e = np.asarray(edges, dtype="int64")
        pl, pw = [], []
        for u in range(k):
            a, c = colof[e[:, 0], u], colof[e[:, 1], u]
            both = (a >= 0) & (c >= 0)
            pl.append(np.column_stack([a[both], c[both]]))
            pw.append(np.full(int(both.sum()), float(bonus)))
            # one end locked to this use, the other free: the bonus is linear
            for x, y in ((e[:, 0], e[:, 1]), (e[:, 1], e[:, 0])):
                m = (lk[x] == u) & (colof[y, u] >= 0)
                np.add.at(obj, colof[y[m], u], float(bonus))
            constant += float(bonus) * int(((lk[e[:, 0]] == u) & (lk[e[:, 1]] == u)).sum())
        pairs = np.concatenate(pl)
        wy = np.concatenate(pw)
        ny = len(pairs)
        if ny:
            yc = ncol + np.arange(ny)
            r1 = r + np.arange(ny)
            r2 = r + ny + np.arange(ny)
            rows += [r1, r1, r2, r2]
            cols += [yc, pairs[:, 0], yc, pairs[:, 1]]
            vals += [np.ones(ny), -np.ones(ny), np.ones(ny), -np.ones(ny)]
            ub.append(np.zeros(2 * ny))
            r += 2 * ny
    A = sparse.csr_matrix(
        (np.concatenate(vals) if vals else [], (np.concatenate(rows), np.concatenate(cols)))
        if rows
        else ([], ([], [])),
        shape=(max(r, 1), ncol + len(pairs)),
    )
    row_ub = np.concatenate([np.asarray(x, dtype="float64") for x in ub]) if ub else np.zeros(1)
    if len(row_ub) < A.shape[0]:
        row_ub = np.concatenate([row_ub, np.ones(A.shape[0] - len(row_ub))])
    model = _Model(np.concatenate([obj, wy]), A, row_ub, ncol, pi, constant, pairs)
    return model, pi, pu, names


def _value(model: _Model, x: np.ndarray) -> float:
    v = float(model.obj[: model.n_x] @ x) + model.constant
    if len(model.pairs):
        v += float(model.obj[model.n_x :] @ (x[model.pairs[:, 0]] & x[model.pairs[:, 1]]))
    return v


def _feasible(model: _Model, x: np.ndarray) -> bool:
    z = np.concatenate([x.astype(float), np.zeros(model.A.shape[1] - model.n_x)])
    if len(model.pairs):
        z[model.n_x :] = x[model.pairs[:, 0]] & x[model.pairs[:, 1]]
    return bool(np.all(model.A @ z <= model.row_ub + 1e-6))


def _greedy(model: _Model, pi: np.ndarray, names) -> np.ndarray:
    """Best benefit per share of the scarcest budgets first; one use per plot."""
    nx = model.n_x
    A = model.A[:, :nx].tocsc()
    brow = [r for _, _, r in names]
    caps = model.row_ub[brow].copy()
    B = A[brow, :].toarray() if brow else np.zeros((0, nx))
    share = (B / np.maximum(caps, 1e-12)[:, None]).sum(axis=0) if brow else np.zeros(nx)
    score = model.obj[:nx] / np.maximum(share, 1e-12)
    order = np.argsort(-score, kind="stable")
    x = np.zeros(nx, dtype=bool)
    taken = np.zeros(int(pi.max()) + 1 if nx else 0, dtype=bool)
    left = caps.copy()
    for c in order:
        if model.obj[c] <= 0 or taken[pi[c]]:
            continue
        need = B[:, c]
        if np.all(need <= left + 1e-9):
            x[c] = True
            taken[pi[c]] = True
            left -= need
    return x


def _lagrangian(model: _Model, pi, names, x_start, gap, deadline):
    """Bound by the Lagrangian dual of the budget rows (pair bonuses split half to each
    end, a valid relaxation of ``y <= x_i, y <= x_j``), projected subgradient steps;
    each step's choice repaired into a feasible solution (the best is kept)."""
    nx = model.n_x
    brow = [r for _, _, r in names]
    A = model.A[:, :nx].tocsr()
    B = A[brow, :].toarray() if brow else np.zeros((0, nx))
    caps = model.row_ub[brow] if brow else np.zeros(0)
    scale = np.maximum(caps, 1e-12)
    B, caps = B / scale[:, None], caps / scale  # each budget as a share of its cap
    c = model.obj[:nx].copy()
    if len(model.pairs):
        w = model.obj[nx:]
        np.add.at(c, model.pairs[:, 0], 0.5 * w)
        np.add.at(c, model.pairs[:, 1], 0.5 * w)
    nplot = int(pi.max()) + 1 if nx else 0
    best_x, best_v = x_start, _value(model, x_start)
    lam = np.zeros(len(brow))
    best_bound = np.inf
    step, stall = 2.0, 0
    order_cache = None
    for it in range(1000):  # noqa: B007 - reported as the iteration count
        red = c - lam @ B if len(brow) else c
        top = np.full(nplot, 0.0)
        np.maximum.at(top, pi, red)
        pick = (red > 0) & (red >= top[pi])
        # one column per plot (ties: the first)
        cols = np.flatnonzero(pick)
        _, keep = np.unique(pi[cols], return_index=True)
        x = np.zeros(nx, dtype=bool)
        x[cols[keep]] = True
        bound = float(lam @ caps + top.sum()) + model.constant
        if bound < best_bound - 1e-9 * abs(bound):
            best_bound, stall = bound, 0
        else:
            stall += 1
            if stall >= 8:
                step, stall = step * 0.5, 0
        # repair: drop lowest benefit per budget share until feasible, then fill
        use = B @ x if len(brow) else np.zeros(0)
        over = use - caps
        if len(brow) and (over > 1e-9).any():
            share = B.sum(axis=0)
            sel = np.flatnonzero(x)
            order = sel[np.argsort(model.obj[sel] / np.maximum(share[sel], 1e-12))]
            for j in order:
                if not (use - caps > 1e-9).any():
                    break
                x[j] = False
                use -= B[:, j]
        if order_cache is None and len(brow):
            share = B.sum(axis=0)
            order_cache = np.argsort(-model.obj[:nx] / np.maximum(share, 1e-12), kind="stable")
        if order_cache is not None:
            taken = np.zeros(nplot, dtype=bool)
            taken[pi[x]] = True
            left = caps - use
            for j in order_cache:
                if x[j] or taken[pi[j]] or model.obj[j] <= 0:
                    continue
                if np.all(B[:, j] <= left + 1e-9):
                    x[j] = True
                    taken[pi[j]] = True
                    left -= B[:, j]
        v = _value(model, x)
        if v > best_v:
            best_x, best_v = x, v
        if best_bound - best_v <= gap * abs(best_bound) or time.perf_counter() > deadline:
            break
        if not len(brow):
            break
        g = caps - B @ (np.isin(np.arange(nx), cols[keep]))  # subgradient of L
        nrm = float(g @ g)
        if nrm <= 0:
            break
        lam = np.maximum(0.0, lam - step * (bound - best_v) / nrm * g)
        if step < 1e-6:
            break
    return best_x, best_bound, it + 1


def _solve(model, start, backend, time_limit_s, gap, grace_s):
    """Run one backend of zoning.optimize in a child process with a hard limit (its
    ``_run_backend``, with this module's objective and feasibility check)."""
    found = _run_backend(
        backend,
        model,
        start,
        None,
        time_limit_s,
        gap,
        grace_s,
        value=lambda x: _value(model, x),
        accept=lambda x: _feasible(model, x),
    )
    best, best_v, dual, outcome, killed = (
        found.best_x, found.best_v, found.dual, found.outcome, found.killed
    )  # fmt: skip
    if outcome is not None and outcome[0] == "done" and outcome[1] is not None:
        x, bound, status = outcome[1], outcome[2], outcome[3]
        if _feasible(model, x) and _value(model, x) >= best_v - 1e-9:
            best = x
        return best, bound if bound is not None else dual, status
    if outcome is not None and outcome[0] == "error":
        log.warning("%s failed: %s; keeping the best known solution", backend, outcome[1])
        return best, dual, "solver_error"
    return best, dual, "killed" if killed else "no_solution"


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
    b, area, mw, cost, lk = _check(benefit, area_ha, mw, cost, budgets, locked)
    model, pi, pu, names = _build(b, area, mw, cost, budgets, lk, edges, edge_bonus)
    x0 = _greedy(model, pi, names)
    g_obj = _value(model, x0)
    lag = None
    if model.n_x == 0:
        x, bound, status, used = x0, g_obj, "no_free_choices", "none"
    else:
        x, lag, iters = _lagrangian(model, pi, names, x0, gap, t0 + 0.5 * time_limit_s)
        obj = _value(model, x)
        if backend == "greedy":
            x, bound, status, used = x0, lag, "greedy", "greedy"
        elif lag - obj <= gap * abs(lag):
            status = "optimal" if lag - obj <= 1e-6 * max(1.0, abs(lag)) else "gap_reached"
            bound, used = lag, "lagrangian"
        else:
            left = max(1.0, time_limit_s - (time.perf_counter() - t0))
            x, bound, status = _solve(model, x, backend, left, gap, grace_s)
            used = backend
            bound = lag if bound is None else min(bound, lag)
    obj = _value(model, x)
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
    return Allocation(use, obj, bound, g, status, used, time.perf_counter() - t0, g_obj, totals)


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
    are (sink, avoided).  ``locked`` maps plot id -> use or ``"none"``.
    Returns ``(frame, summary)``.
    """
    from zoning.pv import read_land_rules

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
    ids = f[id_field].astype(str).to_numpy() if id_field else np.arange(1, n + 1).astype(str)
    lk = np.full(n, -2, dtype="int64")
    pos = {v: i for i, v in enumerate(ids)}
    for pid, use in (locked or {}).items():
        if str(pid) not in pos:
            raise InputError(f"locked plot '{pid}' is not among the plots", param="locked")
        if use not in (*USES, "none"):
            raise InputError(f"locked use '{use}' is not one of {[*USES, 'none']}", param="locked")
        lk[pos[str(pid)]] = -1 if use == "none" else USES.index(use)
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
        parts = []
        if lk[i] == -1:
            parts.append("锁定为仅风险管控" if lang == "zh" else "locked to risk control only")
        if not trees_ok[i]:
            parts.append("地类不允许造林" if lang == "zh" else "land rules do not allow trees")
        if not (pv_ok[i] or fpv_ok[i]):
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
