"""The MIP backends of :func:`zoning.optimize.select_under_budget`, each run in a child
process: CBC through PuLP, HiGHS through highspy (improving solutions reported to the
parent), HiGHS through ``scipy.optimize.milp``; and the LP relaxation as a bound."""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from zoning.optimize import _Model


def _y_of(model: _Model, x: np.ndarray) -> np.ndarray:
    if not len(model.pairs):
        return np.zeros(0)
    return (x[model.pairs[:, 0]] & x[model.pairs[:, 1]]).astype(float)


def _highs_lp(model: _Model, *, integer: bool):
    """The model as a HiGHS ``HighsLp``: maximise, rows ``A @ z <= row_ub``, ``0 <= z <= 1``
    (binary when ``integer``)."""
    import highspy

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
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * A.shape[1]
    return lp


def _dual_bound(model: _Model, row_dual: np.ndarray) -> float:
    """Upper bound on the maximum from any row multipliers ``r`` (clipped to >= 0):
    ``row_ub @ r + sum(max(0, obj - A.T @ r))`` (weak LP duality with ``0 <= z <= 1``), so it
    holds whether or not the LP solver converged."""
    r = np.maximum(np.asarray(row_dual, dtype="float64"), 0.0)
    red = model.obj - model.A.T @ r
    return float(model.row_ub @ r + np.maximum(red, 0.0).sum()) + model.constant


def _solve_lp(model: _Model, start, time_limit: float, gap: float, report, *, big: int = 5000):
    """The LP relaxation by HiGHS: (fractional x or None, bound or None, status).

    Run like the MIP backends, in a child process (HiGHS's threads do not survive a fork,
    so the parent never starts them).  Large models (more than ``big`` columns) go to
    HiGHS's first-order PDLP (relative tolerance ``gap / 10`` in [1e-5, 1e-3]), small ones
    to its simplex.  The bound is
    :func:`_dual_bound` of the row duals HiGHS returns, valid even when PDLP stops early.
    """
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.2)))
    if model.A.shape[1] > big:
        h.setOptionValue("solver", "pdlp")
        tol = min(1e-3, max(1e-5, gap / 10))
        # the bound is read from the duals by weak duality and the primal is repaired,
        # so loose feasibility tolerances cost no validity
        for opt in ("pdlp_optimality_tolerance", "primal_feasibility_tolerance"):
            h.setOptionValue(opt, tol)
        h.setOptionValue("dual_feasibility_tolerance", tol)
    h.passModel(_highs_lp(model, integer=False))
    h.run()
    sol = h.getSolution()
    status = h.modelStatusToString(h.getModelStatus()).lower()
    if not sol.dual_valid:
        return None, None, status
    duals = np.asarray(sol.row_dual)
    # HiGHS's sign convention for a maximisation: take the better of both readings (each
    # is a valid bound, see _dual_bound)
    bound = min(_dual_bound(model, duals), _dual_bound(model, -duals))
    x = np.asarray(sol.col_value)[: model.n_x] if sol.value_valid else None
    return x, bound, status


def _solve_highs(model: _Model, start: np.ndarray, time_limit: float, gap: float, report):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.passModel(_highs_lp(model, integer=True))
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


_SOLVERS = {"highs": _solve_highs, "scipy": _solve_scipy, "cbc": _solve_cbc, "lp": _solve_lp}


def _child(conn, backend, model, start, time_limit, gap):
    with contextlib.suppress(Exception):
        os.setpgid(0, 0)  # own process group, so the parent can kill CBC with us
    with contextlib.suppress(Exception):
        # solver banners (HiGHS prints one at start) and logs are dropped: status, bound,
        # gap and runtime are reported through `conn`; stdout stays the caller's
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)

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
