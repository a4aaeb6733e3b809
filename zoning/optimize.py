"""Selection under a budget as a mixed-integer programme, behind one small interface.

Maximise ``sum(benefit[i] * x[i]) + sum(bonus[e] * y[e])`` over binary ``x`` (select item
``i``) and ``y`` (both ends of pair ``e`` selected; linearised as ``y[e] <= x[i]``,
``y[e] <= x[j]``, which is exact for non-negative bonuses because the solver pushes
``y`` up), subject to ``sum(cost[i] * x[i]) <= budget`` and locked-in / locked-out items.

Locked items are removed before the model is built (their cost comes off the budget,
their benefit and their pairs' bonuses become constants or linear terms), so no backend
ever sees a bound it could override.  The constraint matrix is built once as a
``scipy.sparse`` matrix and handed to one of:

- ``"cbc"``: COIN-OR CBC through PuLP (rows built with ``LpAffineExpression``);
- ``"highs"``: HiGHS through ``highspy`` (with the greedy start and improving-solution
  callbacks, so a stopped run keeps its best solution);
- ``"scipy"``: HiGHS through ``scipy.optimize.milp`` (no start, no callbacks);
- ``"greedy"``: the benefit-per-cost greedy only.

Why CBC is the default (benchmarks/afforest.py, this machine, 2 cores, busy; the plain
MIP, 60 s limit): 10k budget-only CBC 1.1 s, HiGHS 2.1 s; 10k + pairs CBC 65 s, HiGHS 32 s
(both reached the gap); 100k budget-only CBC 34 s to the gap, HiGHS stalled and was killed
with no solution (as shared/FINDINGS.md reports); 100k + pairs neither finished in 60 s.
HiGHS is faster on the small paired case, but only CBC ever solves the large ones, and a
solver that returns nothing is the worse failure.  In practice the Lagrangian stage below
meets the gap first on all four benchmark cases, so the MIP only runs on harder instances.

Every solve starts from the greedy solution and runs in a child process that is killed
when it overruns its time limit by ``grace_s``; the best solution known then (the
solver's last improving one, the greedy at worst) is returned and ``status`` says so.
The bound is the solver's dual bound when it reports one, else the LP relaxation's.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import multiprocessing as mp
import os
import re
import signal
import tempfile
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from zoning.errors import InputError, SolverError

log = logging.getLogger(__name__)

Backend = Literal["cbc", "highs", "scipy", "greedy"]
BACKENDS: tuple[str, ...] = ("cbc", "highs", "scipy", "greedy")
#: Default backend, chosen by measurement (benchmarks/afforest.py; see the module notes).
DEFAULT_BACKEND: Backend = "cbc"


class InfeasibleBudget(InputError):
    """The locked-in items alone cost more than the budget."""


@dataclass
class Selection:
    """The answer of :func:`select_under_budget`."""

    selected: np.ndarray  # bool per item
    objective: float
    bound: float | None
    gap: float | None  # (bound - objective) / |bound|
    status: str  # optimal | gap_reached | time_limit | killed | greedy | no_free_items
    backend: str
    runtime_s: float
    greedy_objective: float
    cost: float
    message: str = ""
    details: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """A JSON-able summary (without the per-item vector)."""
        return {
            "status": self.status,
            "backend": self.backend,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": round(self.runtime_s, 3),
            "greedy_objective": self.greedy_objective,
            "cost": self.cost,
            "n_selected": int(self.selected.sum()),
            "message": self.message,
        }


# --- the model -------------------------------------------------------------------------


@dataclass
class _Model:
    obj: np.ndarray  # per column (x then y)
    A: sparse.csr_matrix  # rows: budget, then 2 per pair
    row_ub: np.ndarray
    n_x: int
    free: np.ndarray  # item index of each x column
    constant: float
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype="int64"))


def _check(benefit, cost, budget, edges, bonus, locked_in, locked_out):
    b = np.asarray(benefit, dtype="float64")
    c = np.asarray(cost, dtype="float64")
    n = len(b)
    if b.ndim != 1 or c.shape != b.shape:
        raise InputError(
            f"benefit and cost must be 1-D of the same length ({b.shape} vs {c.shape})",
            field="cost",
        )
    if not (np.isfinite(b).all() and np.isfinite(c).all()):
        raise InputError("benefit and cost must be finite numbers", field="cost")
    if (c < 0).any():
        raise InputError(
            f"{int((c < 0).sum())} item(s) have a negative cost",
            field="cost",
            fix="costs and areas are >= 0",
        )
    if not (math.isfinite(budget) and budget >= 0):
        raise InputError(f"budget was {budget} but is expected to be a number >= 0", field="budget")
    e = np.zeros((0, 2), dtype="int64") if edges is None else np.asarray(edges, dtype="int64")
    if e.size == 0:
        e = np.zeros((0, 2), dtype="int64")
    if e.ndim != 2 or e.shape[1] != 2 or (e.size and (e.min() < 0 or e.max() >= n)):
        raise InputError(f"edges must be pairs of item indices in 0..{n - 1}", field="edges")
    if bonus is None:
        w = np.zeros(len(e))
    else:
        w = np.broadcast_to(np.asarray(bonus, dtype="float64"), (len(e),)).copy()
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputError("pair bonuses must be finite and >= 0", field="edge_bonus")
    keep = (e[:, 0] != e[:, 1]) & (w > 0)
    e, w = e[keep], w[keep]

    def mask(v, name):
        m = np.zeros(n, dtype=bool)
        if v is None:
            return m
        v = np.asarray(v)
        if v.dtype == bool:
            if v.shape != (n,):
                raise InputError(f"{name} must have one flag per item", field=name)
            return v.copy()
        if v.size and (v.min() < 0 or v.max() >= n):
            raise InputError(f"{name} holds indices outside 0..{n - 1}", field=name)
        m[v.astype("int64")] = True
        return m

    li, lo = mask(locked_in, "locked_in"), mask(locked_out, "locked_out")
    both = np.flatnonzero(li & lo)
    if len(both):
        raise InputError(
            f"item(s) {both[:10].tolist()} are both locked in and locked out",
            field="locked_in",
            fix="lock each item one way",
        )
    return b, c, float(budget), e, w, li, lo


def _build(b, c, budget, e, w, li, lo) -> tuple[_Model, float]:
    """Fix locked items, then build the sparse matrix once."""
    free = np.flatnonzero(~li & ~lo)
    col = np.full(len(b), -1, dtype="int64")
    col[free] = np.arange(len(free))
    constant = float(b[li].sum())
    obj_x = b[free].copy()
    ends_in = li[e[:, 0]] | li[e[:, 1]] if len(e) else np.zeros(0, bool)
    out = lo[e[:, 0]] | lo[e[:, 1]] if len(e) else np.zeros(0, bool)
    both_in = li[e[:, 0]] & li[e[:, 1]] if len(e) else np.zeros(0, bool)
    constant += float(w[both_in & ~out].sum())
    one_in = ends_in & ~both_in & ~out
    for k in np.flatnonzero(one_in):  # bonus becomes linear on the free end
        i, j = e[k]
        other = j if li[i] else i
        obj_x[col[other]] += w[k]
    pair = ~ends_in & ~out
    ep, wp = e[pair], w[pair]
    nx, ny = len(free), len(ep)
    rest = budget - float(c[li].sum())
    # rows: 0 budget; 1..ny  y_e - x_i <= 0; ny+1..2ny  y_e - x_j <= 0
    rows = [np.zeros(nx, dtype="int64")]
    cols = [np.arange(nx)]
    vals = [c[free]]
    if ny:
        r1 = 1 + np.arange(ny)
        r2 = 1 + ny + np.arange(ny)
        ycol = nx + np.arange(ny)
        rows += [r1, r1, r2, r2]
        cols += [ycol, col[ep[:, 0]], ycol, col[ep[:, 1]]]
        vals += [np.ones(ny), -np.ones(ny), np.ones(ny), -np.ones(ny)]
    A = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(1 + 2 * ny, nx + ny),
    )
    row_ub = np.zeros(1 + 2 * ny)
    row_ub[0] = rest
    model = _Model(np.concatenate([obj_x, wp]), A, row_ub, nx, free, constant, col[ep])
    return model, rest


# --- greedy ------------------------------------------------------------------------------


def _value(model: _Model, x: np.ndarray) -> float:
    nx = model.n_x
    v = float(model.obj[:nx] @ x)
    if len(model.pairs):
        v += float(model.obj[nx:] @ (x[model.pairs[:, 0]] & x[model.pairs[:, 1]]))
    return v + model.constant


def _adjacency(model: _Model) -> sparse.csr_matrix:
    """Symmetric item-by-item matrix of pair bonuses (x columns)."""
    nx, p = model.n_x, model.pairs
    w = model.obj[nx:]
    adj = sparse.coo_matrix(
        (
            np.concatenate([w, w]),
            (np.concatenate([p[:, 0], p[:, 1]]), np.concatenate([p[:, 1], p[:, 0]])),
        ),
        shape=(nx, nx),
    )
    return adj.tocsr()


def _fill(model: _Model, adj, cost: np.ndarray, left: float, x: np.ndarray) -> np.ndarray:
    """Add items by marginal benefit per cost (a pair's bonus counts once its partner is in)."""
    x = x.copy()
    nx = model.n_x
    gain = model.obj[:nx].copy()
    if adj.nnz:
        gain += adj @ x.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, gain / cost, np.where(gain > 0, np.inf, -np.inf))
    heap = [
        (-r, i, g) for i, (r, g) in enumerate(zip(ratio, gain, strict=True)) if not x[i] and g > 0
    ]
    heapq.heapify(heap)
    indptr, indices, data = adj.indptr, adj.indices, adj.data
    while heap:
        _, i, g = heapq.heappop(heap)
        if x[i]:
            continue
        if g != gain[i]:  # stale entry: its gain grew since it was pushed
            r = gain[i] / cost[i] if cost[i] > 0 else np.inf
            heapq.heappush(heap, (-r, i, gain[i]))
            continue
        if cost[i] > left + 1e-9:
            continue
        x[i] = True
        left -= cost[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if not x[j]:
                gain[j] += data[k]
                r = gain[j] / cost[j] if cost[j] > 0 else np.inf
                heapq.heappush(heap, (-r, j, gain[j]))
    return x


def _greedy(model: _Model, cost_free: np.ndarray, rest: float) -> np.ndarray:
    """Benefit-per-cost greedy, counting a pair's bonus once both ends are in."""
    return _fill(model, _adjacency(model), cost_free, rest, np.zeros(model.n_x, dtype=bool))


def _cut(model: _Model, adj_coo, cost: np.ndarray, lam: float):
    """Exact (up to a stated rounding) maximiser of the Lagrangian subproblem by min cut.

    max sum_i (b_i - lam c_i) x_i + sum_e w_e x_i x_j; with w >= 0 this is a min cut on
    items + source + sink: unary u_i = -(b_i - lam c_i) - h_i (h_i = half the bonus of
    i's pairs), and arcs i<->j of capacity w_e / 2.  Returns (x, error bound).
    """
    nx = model.n_x
    a = model.obj[:nx] - lam * cost
    if adj_coo.nnz == 0:
        return a > 0, 0.0
    h = (
        np.bincount(adj_coo.row, adj_coo.data, minlength=nx)
        + np.bincount(adj_coo.col, adj_coo.data, minlength=nx)
    ) / 2
    u = -a - h
    src_cap = np.where(u < 0, -u, 0.0)
    snk_cap = np.where(u > 0, u, 0.0)
    total = max(src_cap.sum(), snk_cap.sum(), adj_coo.data.sum() / 2, 1e-12)
    scale = 1.0e9 / total
    s_node, t_node = nx, nx + 1
    items = np.arange(nx)
    rows = np.concatenate([np.full(nx, s_node), items, adj_coo.row, adj_coo.col])
    cols = np.concatenate([items, np.full(nx, t_node), adj_coo.col, adj_coo.row])
    caps = np.concatenate([src_cap, snk_cap, adj_coo.data / 2, adj_coo.data / 2]) * scale
    icap = np.rint(caps).astype(np.int32)
    keep = icap > 0
    graph = sparse.csr_matrix((icap[keep], (rows[keep], cols[keep])), shape=(nx + 2, nx + 2))
    graph.sum_duplicates()
    flow = maximum_flow(graph, s_node, t_node, method="dinic").flow
    resid = (graph - flow).tocsr()
    resid.data = np.where(resid.data > 0, 1, 0).astype(np.int32)
    resid.eliminate_zeros()
    reach = breadth_first_order(resid, s_node, directed=True, return_predecessors=False)
    x = np.zeros(nx + 2, dtype=bool)
    x[reach] = True
    err = 0.5 * len(caps) / scale  # every capacity rounded by at most half a unit
    return x[:nx], err


def _lagrangian(
    model: _Model, cost: np.ndarray, rest: float, start: np.ndarray, gap: float, deadline: float
):
    """Lagrangian dual of the budget by bisection on its multiplier; min cuts inside.

    Returns (best feasible x, best bound, iterations).  The bound equals the LP
    relaxation's (the subproblem is a min cut, whose LP is integral).
    """
    adj = _adjacency(model)
    adj_coo = sparse.triu(adj, k=1).tocoo() if adj.nnz else adj.tocoo()
    best_x, best_v = start, _value(model, start)
    best_bound = np.inf
    nx = model.n_x
    pos = cost > 0
    deg = np.asarray(adj.sum(axis=1)).ravel() if adj.nnz else np.zeros(nx)
    hi = float(np.max((model.obj[:nx] + deg)[pos] / cost[pos])) if pos.any() else 0.0
    lo, it = 0.0, 0
    lam = 0.0
    while it < 60 and time.perf_counter() < deadline:
        x, err = _cut(model, adj_coo, cost, lam)
        it += 1
        used = float(cost @ x)
        bound = lam * (rest - used) + _value(model, x) + 2 * err
        best_bound = min(best_bound, bound)
        if used <= rest + 1e-9:
            cand = _fill(model, adj, cost, rest - used, x)
            v = _value(model, cand)
            if v > best_v:
                best_x, best_v = cand, v
            hi = lam
        else:
            lo = lam
        if best_bound - best_v <= gap * abs(best_bound) or hi - lo <= 1e-12 * max(hi, 1):
            break
        if lam == 0.0 and used <= rest + 1e-9:
            break  # everything worth having fits: optimal
        lam = (lo + hi) / 2
    return best_x, max(best_bound, best_v), it


# --- backends (run in the child) ------------------------------------------------------------


def _y_of(model: _Model, x: np.ndarray) -> np.ndarray:
    if not len(model.pairs):
        return np.zeros(0)
    return (x[model.pairs[:, 0]] & x[model.pairs[:, 1]]).astype(float)


def _solve_highs(model: _Model, start: np.ndarray, time_limit: float, gap: float, report):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(gap))
    A = model.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = model.obj
    lp.col_lower_ = np.zeros(A.shape[1])
    lp.col_upper_ = np.ones(A.shape[1])
    lp.row_lower_ = np.full(A.shape[0], -highspy.kHighsInf)
    lp.row_upper_ = model.row_ub
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * A.shape[1]
    h.passModel(lp)
    sol = highspy.HighsSolution()
    sol.col_value = np.concatenate([start.astype(float), _y_of(model, start)]).tolist()
    sol.value_valid = True
    with contextlib.suppress(Exception):
        h.setSolution(sol)

    def on_improve(event):  # keep the best solution for the parent
        try:
            xs = np.asarray(event.data_out.mip_solution)[: model.n_x] > 0.5
            report(("incumbent", xs, float(event.data_out.mip_dual_bound)))
        except Exception:  # noqa: BLE001 - a callback must never break the solve
            pass

    with contextlib.suppress(Exception):
        h.cbMipImprovingSolution.subscribe(on_improve)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus()).lower()
    x = np.asarray(h.getSolution().col_value)[: model.n_x] > 0.5
    bound = info.mip_dual_bound
    return x, (bound + model.constant) if math.isfinite(bound) else None, status


def _solve_scipy(model: _Model, start, time_limit: float, gap: float, report):
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = model.A.shape[1]
    res = milp(
        -model.obj,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(model.A, -np.inf, model.row_ub),
        options={"time_limit": float(time_limit), "mip_rel_gap": float(gap)},
    )
    if res.x is None:
        return None, None, res.message
    bound = getattr(res, "mip_dual_bound", None)
    bound = -bound + model.constant if bound is not None and math.isfinite(bound) else None
    return res.x[: model.n_x] > 0.5, bound, "optimal" if res.status == 0 else res.message


def _solve_cbc(model: _Model, start, time_limit: float, gap: float, report):
    import pulp

    n, nx = model.A.shape[1], model.n_x
    prob = pulp.LpProblem("selection", pulp.LpMaximize)
    xs = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(nx)]
    ys = [pulp.LpVariable(f"y{k}", lowBound=0, upBound=1) for k in range(n - nx)]
    allv = xs + ys
    prob += pulp.LpAffineExpression(zip(allv, model.obj.tolist(), strict=True))
    A = model.A
    for r in range(A.shape[0]):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            zip([allv[j] for j in A.indices[lo:hi]], A.data[lo:hi].tolist(), strict=True)
        )
        prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}", float(model.row_ub[r]))
    # No MIP start: with PuLP's warmStart (a .mst file) CBC 2.10 returned a non-optimal
    # answer marked optimal on a small test; the parent keeps the start as incumbent.
    with tempfile.TemporaryDirectory(prefix="zoning-cbc-") as tmp:
        logpath = os.path.join(tmp, "cbc.log")
        solver = pulp.PULP_CBC_CMD(
            msg=False, timeLimit=float(time_limit), gapRel=float(gap), logPath=logpath, threads=1
        )
        prob.solve(solver)
        text = ""
        if os.path.exists(logpath):
            with open(logpath, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
    status = pulp.LpStatus[prob.status].lower()
    if status == "optimal" and prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "feasible"
    x = np.array([(v.value() or 0) > 0.5 for v in xs], dtype=bool)
    bound = _cbc_bound(text)
    low = text.lower()
    if status in ("optimal", "feasible") and "stopped on time" in low:
        status = "time_limit"
    elif status in ("optimal", "feasible") and (
        "stopped on gap" in low or "stopped on ratio" in low or "gap tolerance" in low
    ):
        status = "gap_reached"
    return x, (None if bound is None else bound + model.constant), status


def _cbc_bound(text: str) -> float | None:
    """CBC's final dual bound from its log.

    'Lower bound:' (printed when CBC stops early) or the last 'best possible'; after
    'Optimal solution found' without either, the objective value itself.  CBC minimises
    the negated objective of a maximisation, hence the absolute values (objectives here
    are benefits >= 0).
    """
    for pattern in (r"Lower bound:\s*(-?[\d.eE+]+)", r"best possible\s*:?\s*(-?[\d.eE+]+)"):
        found = re.findall(pattern, text)
        if found:
            return abs(float(found[-1].rstrip(".")))
    if "optimal solution found" in text.lower():
        found = re.findall(r"Objective value:\s*(-?[\d.eE+]+)", text)
        if found:
            # stopped on the gap: 'Exiting as integer gap of G less than ...' (absolute)
            g = re.findall(r"integer gap of\s*(-?[\d.eE+]+)", text)
            extra = abs(float(g[-1].rstrip("."))) if g else 0.0
            return abs(float(found[-1].rstrip("."))) + extra
    return None


_SOLVERS = {"highs": _solve_highs, "scipy": _solve_scipy, "cbc": _solve_cbc}


def _child(conn, backend, model, start, time_limit, gap):
    with contextlib.suppress(Exception):
        os.setpgid(0, 0)  # own process group, so the parent can kill CBC with us
    with contextlib.suppress(Exception):
        os.dup2(2, 1)  # solver banners (HiGHS prints one) go to stderr, never to stdout

    def report(msg):
        with contextlib.suppress(Exception):
            conn.send(msg)

    try:
        x, bound, status = _SOLVERS[backend](model, start, time_limit, gap, report)
        report(("done", x, bound, status))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        report(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _lp_bound(model: _Model) -> float | None:
    """The LP relaxation's optimum (a valid upper bound), by HiGHS simplex."""
    try:
        from scipy.optimize import linprog

        res = linprog(
            -model.obj,
            A_ub=model.A,
            b_ub=model.row_ub,
            bounds=(0, 1),
            method="highs",
            options={"time_limit": 30.0},
        )
        return -res.fun + model.constant if res.status == 0 else None
    except Exception:  # noqa: BLE001
        return None


# --- the public verb ---------------------------------------------------------------------


def select_under_budget(
    benefit,
    /,
    cost,
    budget: float,
    *,
    edges=None,
    edge_bonus=None,
    locked_in=None,
    locked_out=None,
    backend: Backend = DEFAULT_BACKEND,
    time_limit_s: float = 60.0,
    gap: float = 0.01,
    grace_s: float | None = None,
    lp_bound: bool = False,
    lagrangian: bool = True,
) -> Selection:
    """Choose items maximising benefit (plus pair bonuses) within a budget.

    Parameters
    ----------
    benefit : array of float
        Benefit of each item (e.g. t CO2 over the horizon, plus weighted co-benefits).
    cost : array of float
        Cost of each item (money, or hectares for an area budget); >= 0.
    budget : float
        The most the selected items may cost together.
    edges : (m, 2) array of int, optional (default: None)
        Pairs of items (e.g. neighbouring patches); each earns ``edge_bonus`` when both
        ends are selected.
    edge_bonus : float or array of float, optional (default: None)
        Bonus per pair (>= 0).
    locked_in, locked_out : array of int or bool mask, optional (default: None)
        Items that must / must not be selected.
    backend : {"cbc", "highs", "scipy", "greedy"}, optional (default: "cbc")
        Solver; see the module notes for why CBC is the default.
    time_limit_s : float, optional (default: 60)
        Time given to the solver.
    gap : float, optional (default: 0.01)
        Relative gap at which the solver may stop.
    grace_s : float, optional (default: max(5, 0.25 * time_limit_s))
        Extra time before the solver's process is killed.
    lp_bound : bool, optional (default: False)
        Compute the LP relaxation (HiGHS) as the bound when nothing else gives one
        (slow on large models with pairs).
    lagrangian : bool, optional (default: True)
        First bound the problem by the Lagrangian dual of the budget (bisection on the
        multiplier, each step an exact min cut) and improve the greedy start from it; when
        that already meets ``gap`` no MIP is solved (``backend`` then reads "lagrangian").

    Returns
    -------
    Selection

    Raises
    ------
    InfeasibleBudget
        When the locked-in items alone exceed the budget.
    SolverError
        When the solver fails outright (the greedy solution is then not returned).
    """
    if backend not in BACKENDS:
        raise InputError(
            f"`backend` was '{backend}' but is expected in {list(BACKENDS)}", field="backend"
        )
    if not (time_limit_s > 0 and 0 <= gap < 1):
        raise InputError("time_limit_s must be > 0 and gap in [0, 1)", field="time_limit_s")
    t0 = time.perf_counter()
    b, c, budget, e, w, li, lo = _check(
        benefit, cost, budget, edges, edge_bonus, locked_in, locked_out
    )
    locked_cost = float(c[li].sum())
    if locked_cost > budget * (1 + 1e-12) + 1e-9:
        raise InfeasibleBudget(
            f"the {int(li.sum())} locked-in item(s) cost {locked_cost:,.2f}, more than the "
            f"budget {budget:,.2f}",
            field="budget",
            fix="raise the budget or lock in fewer items",
        )
    model, rest = _build(b, c, budget, e, w, li, lo)
    cost_free = c[model.free]
    x_g = _greedy(model, cost_free, rest)
    greedy_obj = _value(model, x_g)
    details: dict = {"greedy_objective": greedy_obj}

    def assemble(x_free, bound, status, used, message=""):
        sel = li.copy()
        sel[model.free] = x_free
        obj = _value(model, x_free)
        if bound is not None:
            bound = float(max(bound, obj))
        g = None if bound is None else (bound - obj) / max(abs(bound), 1e-12)
        return Selection(
            sel,
            obj,
            bound,
            g,
            status,
            used,
            time.perf_counter() - t0,
            greedy_obj,
            float(c[sel].sum()),
            message,
            details,
        )

    if model.n_x == 0:
        return assemble(x_g, greedy_obj, "no_free_items", "none", "every item is locked")
    start, lag_bound = x_g, None
    if lagrangian and backend != "greedy":
        t1 = time.perf_counter()
        start, lag_bound, iters = _lagrangian(
            model, cost_free, rest, x_g, gap, t0 + 0.5 * time_limit_s
        )
        details.update(
            lagrangian_bound=lag_bound,
            lagrangian_objective=_value(model, start),
            lagrangian_iterations=iters,
            lagrangian_s=round(time.perf_counter() - t1, 3),
        )
        obj = _value(model, start)
        if lag_bound - obj <= gap * abs(lag_bound):
            status = (
                "optimal" if lag_bound - obj <= 1e-6 * max(1.0, abs(lag_bound)) else "gap_reached"
            )
            return assemble(
                start,
                lag_bound,
                status,
                "lagrangian",
                "Lagrangian bound (min cuts) met the gap; no MIP solve needed",
            )
    if backend == "greedy":
        bound = _lp_bound(model) if lp_bound else None
        return assemble(x_g, bound, "greedy", "greedy", "greedy benefit-per-cost only")
    time_limit_s = max(1.0, time_limit_s - (time.perf_counter() - t0))
    grace = max(5.0, 0.25 * time_limit_s) if grace_s is None else grace_s
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(child, backend, model, start, time_limit_s, gap), daemon=True
    )
    proc.start()
    child.close()
    best_x, best_v, dual = start, _value(model, start), lag_bound
    outcome = None
    deadline = time.perf_counter() + time_limit_s + grace
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        try:
            if not parent.poll(min(left, 0.5)):
                if not proc.is_alive() and not parent.poll(0):
                    break
                continue
            msg = parent.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "incumbent":
            v = _value(model, msg[1])
            if v > best_v:
                best_x, best_v = msg[1], v
            if math.isfinite(msg[2]):
                d = msg[2] + model.constant
                dual = d if dual is None else min(dual, d)
        else:
            outcome = msg
            break
    killed = outcome is None and proc.is_alive()
    if killed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.kill()
    proc.join(5)
    parent.close()

    if outcome is not None and outcome[0] == "error":
        raise SolverError(f"the {backend} solver failed: {outcome[1]}")
    if outcome is not None and outcome[1] is not None:
        x, bound, status = outcome[1], outcome[2], outcome[3]
        notes = [] if status == "optimal" else [f"solver stopped: {status}"]
        if _value(model, x) < best_v - 1e-9 or cost_free @ x > rest + 1e-6:
            x = best_x
            notes.append("kept a better earlier solution (the greedy start or an incumbent)")
        if lag_bound is not None:
            bound = lag_bound if bound is None else min(bound, lag_bound)
        if bound is None and lp_bound:
            bound = _lp_bound(model)
        return assemble(x, bound, status, backend, "; ".join(notes))
    bound = dual if dual is not None else (_lp_bound(model) if lp_bound else None)
    why = (
        (
            f"killed after {time_limit_s + grace:.0f} s (time limit {time_limit_s:.0f} s + "
            f"grace {grace:.0f} s)"
        )
        if killed
        else "the solver returned no solution"
    )
    kept = (
        "its best improving solution"
        if best_v > _value(model, start)
        else ("the greedy solution" if start is x_g else "the Lagrangian heuristic's solution")
    )
    log.warning("%s solver %s; keeping %s", backend, why, kept)
    return assemble(
        best_x,
        bound,
        "killed" if killed else "no_solution",
        backend,
        f"{backend} {why}; kept {kept}",
    )
