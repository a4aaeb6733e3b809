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
import logging
import math
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse

from zoning.errors import InputError, SolverError
from zoning.optimize_backends import _SOLVERS, _child, _lp_bound  # noqa: F401 - _SOLVERS: tests
from zoning.optimize_heuristics import _greedy, _lagrangian, _value
from zoning.progress import step

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
            param="cost",
        )
    if not (np.isfinite(b).all() and np.isfinite(c).all()):
        raise InputError("benefit and cost must be finite numbers", param="cost")
    if (c < 0).any():
        raise InputError(
            f"{int((c < 0).sum())} item(s) have a negative cost",
            param="cost",
            fix="costs and areas are >= 0",
        )
    if not (math.isfinite(budget) and budget >= 0):
        raise InputError(f"budget was {budget} but is expected to be a number >= 0", param="budget")
    e = np.zeros((0, 2), dtype="int64") if edges is None else np.asarray(edges, dtype="int64")
    if e.size == 0:
        e = np.zeros((0, 2), dtype="int64")
    if e.ndim != 2 or e.shape[1] != 2 or (e.size and (e.min() < 0 or e.max() >= n)):
        raise InputError(f"edges must be pairs of item indices in 0..{n - 1}", param="edges")
    if bonus is None:
        w = np.zeros(len(e))
    else:
        w = np.broadcast_to(np.asarray(bonus, dtype="float64"), (len(e),)).copy()
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputError("pair bonuses must be finite and >= 0", param="edge_bonus")
    keep = (e[:, 0] != e[:, 1]) & (w > 0)
    e, w = e[keep], w[keep]

    def mask(v, name):
        m = np.zeros(n, dtype=bool)
        if v is None:
            return m
        v = np.asarray(v)
        if v.dtype == bool:
            if v.shape != (n,):
                raise InputError(f"{name} must have one flag per item", param=name)
            return v.copy()
        if v.size and (v.min() < 0 or v.max() >= n):
            raise InputError(f"{name} holds indices outside 0..{n - 1}", param=name)
        m[v.astype("int64")] = True
        return m

    li, lo = mask(locked_in, "locked_in"), mask(locked_out, "locked_out")
    both = np.flatnonzero(li & lo)
    if len(both):
        raise InputError(
            f"item(s) {both[:10].tolist()} are both locked in and locked out",
            param="locked_in",
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
    _check_options(backend, time_limit_s, gap)
    t0 = time.perf_counter()
    b, c, budget, e, w, li, lo = _check(
        benefit, cost, budget, edges, edge_bonus, locked_in, locked_out
    )
    _check_locked_cost(c, li, budget)
    model, rest = _build(b, c, budget, e, w, li, lo)
    with step("selection under the budget", total=None):
        return _solve(
            model, rest, c, li, backend, time_limit_s, gap, grace_s, lp_bound, lagrangian, t0
        )


def _check_options(backend, time_limit_s, gap) -> None:
    if backend not in BACKENDS:
        raise InputError(
            f"`backend` was '{backend}' but is expected in {list(BACKENDS)}", param="backend"
        )
    if not (time_limit_s > 0 and 0 <= gap < 1):
        raise InputError("`time_limit_s` must be > 0 and `gap` in [0, 1)", param="time_limit_s")


def _check_locked_cost(c: np.ndarray, li: np.ndarray, budget: float) -> None:
    locked_cost = float(c[li].sum())
    if locked_cost > budget * (1 + 1e-12) + 1e-9:
        raise InfeasibleBudget(
            f"the {int(li.sum())} locked-in item(s) cost {locked_cost:,.2f}, more than the "
            f"budget {budget:,.2f}",
            param="budget",
            fix="raise the budget or lock in fewer items",
        )


@dataclass
class _Run:
    """What one solve knows as it goes: the model, the start and where the time went."""

    model: _Model
    li: np.ndarray
    c: np.ndarray
    t0: float
    greedy: np.ndarray
    details: dict

    def selection(self, x_free, bound, status, used, message="") -> Selection:
        """The answer for the free items ``x_free`` (locked-in items added)."""
        model = self.model
        sel = self.li.copy()
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
            time.perf_counter() - self.t0,
            self.details["greedy_objective"],
            float(self.c[sel].sum()),
            message,
            self.details,
        )


def _solve(model, rest, c, li, backend, time_limit_s, gap, grace_s, lp_bound, lagrangian, t0):
    """Greedy start → Lagrangian bound (enough when it meets the gap) → the backend."""
    cost_free = c[model.free]
    x_g = _greedy(model, cost_free, rest)
    run = _Run(model, li, c, t0, x_g, {"greedy_objective": _value(model, x_g)})
    if model.n_x == 0:
        return run.selection(
            x_g, run.details["greedy_objective"], "no_free_items", "none", "every item is locked"
        )
    start, lag_bound = x_g, None
    if lagrangian and backend != "greedy":
        start, lag_bound, done = _lagrangian_stage(run, cost_free, rest, gap, time_limit_s)
        if done is not None:
            return done
    if backend == "greedy":
        bound = _lp_bound(model) if lp_bound else None
        return run.selection(x_g, bound, "greedy", "greedy", "greedy benefit-per-cost only")
    time_limit_s = max(1.0, time_limit_s - (time.perf_counter() - t0))
    grace = max(5.0, 0.25 * time_limit_s) if grace_s is None else grace_s
    found = _run_backend(backend, model, start, lag_bound, time_limit_s, gap, grace)
    return _outcome(
        run, found, backend, start, lag_bound, cost_free, rest, lp_bound, time_limit_s, grace
    )


def _lagrangian_stage(run: _Run, cost_free, rest, gap, time_limit_s):
    """The Lagrangian heuristic and bound; returns (start, bound, the answer when the
    bound already meets the gap, else None)."""
    model = run.model
    t1 = time.perf_counter()
    start, lag_bound, iters = _lagrangian(
        model, cost_free, rest, run.greedy, gap, run.t0 + 0.5 * time_limit_s
    )
    obj = _value(model, start)
    run.details.update(
        lagrangian_bound=lag_bound,
        lagrangian_objective=obj,
        lagrangian_iterations=iters,
        lagrangian_s=round(time.perf_counter() - t1, 3),
    )
    if lag_bound - obj > gap * abs(lag_bound):
        return start, lag_bound, None
    status = "optimal" if lag_bound - obj <= 1e-6 * max(1.0, abs(lag_bound)) else "gap_reached"
    done = run.selection(
        start,
        lag_bound,
        status,
        "lagrangian",
        "Lagrangian bound (min cuts) met the gap; no MIP solve needed",
    )
    return start, lag_bound, done


@dataclass
class _Found:
    """What the backend's child process delivered: its final message (or None), the best
    solution seen (the start or an improving incumbent), the best dual bound, killed?"""

    outcome: tuple | None
    best_x: np.ndarray
    best_v: float
    dual: float | None
    killed: bool


def _run_backend(
    backend, model, start, lag_bound, time_limit_s, gap, grace, *, value=None, accept=None
) -> _Found:
    """Solve in a child process, keep its improving solutions, kill it when it overruns
    ``time_limit_s + grace``.  ``value`` (default: this module's objective of ``model``) and
    ``accept`` (default: every incumbent) let another model (zoning.allocate) use it."""
    value = value or (lambda x: _value(model, x))
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(child, backend, model, start, time_limit_s, gap), daemon=True
    )
    proc.start()
    child.close()
    best_x, best_v, dual = start, value(start), lag_bound
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
            v = value(msg[1])
            if v > best_v and (accept is None or accept(msg[1])):
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
    return _Found(outcome, best_x, best_v, dual, killed)


def _outcome(
    run: _Run,
    found: _Found,
    backend,
    start,
    lag_bound,
    cost_free,
    rest,
    lp_bound,
    time_limit_s,
    grace,
):
    """The selection from what the backend delivered (or the best known when it did not)."""
    model, outcome = run.model, found.outcome
    if outcome is not None and outcome[0] == "error":
        raise SolverError(f"the {backend} solver failed: {outcome[1]}")
    if outcome is not None and outcome[1] is not None:
        x, bound, status = outcome[1], outcome[2], outcome[3]
        notes = [] if status == "optimal" else [f"solver stopped: {status}"]
        if _value(model, x) < found.best_v - 1e-9 or cost_free @ x > rest + 1e-6:
            x = found.best_x
            notes.append("kept a better earlier solution (the greedy start or an incumbent)")
        if lag_bound is not None:
            bound = lag_bound if bound is None else min(bound, lag_bound)
        if bound is None and lp_bound:
            bound = _lp_bound(model)
        return run.selection(x, bound, status, backend, "; ".join(notes))
    bound = found.dual if found.dual is not None else (_lp_bound(model) if lp_bound else None)
    why = (
        (
            f"killed after {time_limit_s + grace:.0f} s (time limit {time_limit_s:.0f} s + "
            f"grace {grace:.0f} s)"
        )
        if found.killed
        else "the solver returned no solution"
    )
    kept = (
        "its best improving solution"
        if found.best_v > _value(model, start)
        else (
            "the greedy solution" if start is run.greedy else "the Lagrangian heuristic's solution"
        )
    )
    log.warning("%s solver %s; keeping %s", backend, why, kept)
    return run.selection(
        found.best_x,
        bound,
        "killed" if found.killed else "no_solution",
        backend,
        f"{backend} {why}; kept {kept}",
    )
