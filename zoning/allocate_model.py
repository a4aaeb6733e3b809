"""The mixed-integer programme of :func:`zoning.allocate.allocate_arrays` and its search.

Columns: a binary ``x[i,u]`` per plot and allowed use, and for adjacency a ``y`` per pair of
neighbouring plots that may both take use ``u``.  Rows: ``sum_u x[i,u] <= 1`` per plot with
two or more free uses, one per budget, and ``y <= x[i,u]``, ``y <= x[j,u]`` (only the upper
links: the bonus is maximised, so ``y`` rises to ``min(x[i,u], x[j,u])``; the LP of this is
much tighter than splitting each bonus half to each end).  Locked plots are constants.

The search (:func:`_search`), each step on the clock of ``time_limit_s``:

1. the greedy start (benefit per share of the budgets);
2. the LP relaxation by HiGHS (PDLP on large models); its row duals give the bound
   through weak duality (:func:`zoning.optimize_backends._dual_bound`, valid even when the
   LP solver stops early), its solution is rounded, repaired and filled;
3. local search: 1-opt (a plot's use added or changed) and swaps (one plot in, one out),
   pair bonuses counted, best improving move first;
4. when the gap is not met: RINS, a sub-MIP over the plots where the LP and the incumbent
   disagree or the LP is fractional (the rest fixed), then the whole MIP warm-started,
   each in a child process killed at the time limit plus ``grace_s``.

The gap reported is ``(bound - best) / bound`` with the best bound known (the LP's or the
MIP solver's dual bound, whichever is lower).  The status is this module's own check
(:func:`_status`): ``optimal`` / ``gap_reached`` only when the bound proves it,
``gap_not_reached`` otherwise, ``no_bound`` without a finite bound; the MIP solver's own
status is kept in the details as ``mip_status``.  Budgets hold to one tolerance
(:data:`TOL`, in the row bounds).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from scipy import sparse

from zoning.errors import InputError
from zoning.optimize import InfeasibleBudget, _Model, _run_backend
from zoning.optimize_heuristics import _adjacency

log = logging.getLogger(__name__)

USES: tuple[str, ...] = ("trees", "pv", "forest_pv")

#: The one budget tolerance: a budget of cap ``C`` holds up to ``C + TOL * max(1, C)``.  It
#: is added to each budget row's bound once, in :func:`_build`; every later check (the
#: locked choices, greedy, rounding, repair, local search, RINS, the final feasibility
#: check) compares against that row bound with :func:`_fits` (floating-point rounding only).
TOL = 1e-9
_EPS = 1e-12


def _fits(use, ub):
    """``use <= ub`` up to floating-point rounding (the tolerance is in ``ub``)."""
    return np.asarray(use) <= np.asarray(ub) + _EPS * np.maximum(1.0, np.abs(ub))


def _check(benefit, area, mw, cost, budgets, locked, edges=None, bonus=0.0):
    b = np.asarray(benefit, dtype="float64")
    n, k = b.shape
    if k != len(USES):
        raise InputError(f"benefit must have {len(USES)} columns {USES}", param="benefit")
    for (scope, q), cap in budgets.items():
        if not (np.isfinite(cap) and cap >= 0):
            raise InputError(
                f"the {scope}:{q} budget is {cap}; a budget is a finite number >= 0",
                param="budget",
                fix="give a number, or leave that budget out for no limit",
            )
    if not (np.isfinite(bonus) and bonus >= 0):
        raise InputError(
            f"the pair bonus is {bonus}; it must be a finite number >= 0",
            param="edge_bonus",
            fix="give 0 (no bonus) or a positive bonus per neighbouring pair of the same use",
        )
    if edges is not None and len(edges):
        e = np.asarray(edges)
        if e.ndim != 2 or e.shape[1] != 2 or not np.issubdtype(e.dtype, np.integer):
            raise InputError("edges must be (m, 2) integer plot indices", param="edges")
        if (e < 0).any() or (e >= n).any():
            raise InputError(f"edges must be pairs of plot indices in 0..{n - 1}", param="edges")
    area = np.asarray(area, dtype="float64")
    mw = np.zeros((n, k)) if mw is None else np.asarray(mw, dtype="float64")
    cost = None if cost is None else np.asarray(cost, dtype="float64")
    if any(q == "cost" for _, q in budgets) and cost is None:
        raise InputError(
            "a cost budget needs costs per use",
            param="cost",
            fix="give `cost_per_ha` or `cost_per_mw` of the uses",
        )
    lk = np.full(n, -2, dtype="int64") if locked is None else np.asarray(locked, dtype="int64")
    ok = np.isfinite(b)
    bad = (lk >= 0) & ~ok[np.arange(n), np.clip(lk, 0, k - 1)]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"plot {i + 1} (1-based) is locked to '{USES[lk[i]]}', which its land rules do "
            "not allow",
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
        cap_tol = cap + TOL * max(1.0, cap)
        if not _fits(locked_use, cap_tol):
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
        ub.append([cap_tol - locked_use])
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
    return bool(np.all(_fits(model.A @ z, model.row_ub)))


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
        if np.all(_fits(need, left)):
            x[c] = True
            taken[pi[c]] = True
            left -= need
    return x


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


# --- the search ---------------------------------------------------------------------------


def _shares(model: _Model, names):
    """Budget rows as shares of their caps: (plots' columns x budgets, caps)."""
    nx = model.n_x
    brow = [r for _, _, r in names]
    if not brow:
        return np.zeros((nx, 0)), np.zeros(0)
    caps = model.row_ub[brow]
    scale = np.maximum(caps, 1e-12)
    Bt = np.ascontiguousarray((model.A[brow, :nx].toarray() / scale[:, None]).T)
    return Bt, caps / scale


def _repair_fill(model: _Model, pi, Bt, caps, x, drop_key) -> np.ndarray:
    """Drop columns (lowest ``drop_key`` first) until every budget holds, then add columns
    by benefit per budget share while they fit (one use per plot)."""
    nx = model.n_x
    x = x.copy()
    use = Bt[x].sum(axis=0) if len(caps) else np.zeros(0)
    if len(caps) and not _fits(use, caps).all():
        sel = np.flatnonzero(x)
        for j in sel[np.argsort(drop_key[sel], kind="stable")]:
            over = ~_fits(use, caps)
            if not over.any():
                break
            if (Bt[j][over] > 0).any():
                x[j] = False
                use -= Bt[j]
    share = Bt.sum(axis=1)
    order = np.argsort(-model.obj[:nx] / np.maximum(share, 1e-12), kind="stable")
    taken = np.zeros(int(pi.max()) + 1, dtype=bool)
    taken[pi[x]] = True
    left = caps - use
    for j in order[(model.obj[order] > 0) & ~taken[pi[order]]]:
        if taken[pi[j]]:
            continue
        if np.all(_fits(Bt[j], left)):
            x[j] = True
            taken[pi[j]] = True
            left -= Bt[j]
    return x


def _round(model: _Model, pi, Bt, caps, xf) -> np.ndarray:
    """The LP solution rounded: per plot its largest column above 1/2, then repaired."""
    cand = np.flatnonzero(xf > 0.5)
    order = cand[np.argsort(-xf[cand], kind="stable")]
    _, first = np.unique(pi[order], return_index=True)
    x = np.zeros(model.n_x, dtype=bool)
    x[order[first]] = True
    return _repair_fill(model, pi, Bt, caps, x, xf)


def _top(idx, score, k, largest=True):
    if len(idx) <= k:
        return idx
    s = -score if largest else score
    return idx[np.argpartition(s, k)[:k]]


def _local_search(model: _Model, pi, pu, Bt, caps, x, deadline, k: int = 24):
    """1-opt and swap moves, the best improving one each round, until none improves or
    ``deadline``.  A move takes one column in (a plot without a use, or changing its use)
    and at most one out; pair bonuses are counted; every budget must still hold."""
    nx = model.n_x
    adj = _adjacency(model) if len(model.pairs) else sparse.csr_matrix((nx, nx))
    x = x.copy()
    gain = model.obj[:nx] + (adj @ x.astype(float) if adj.nnz else 0.0)
    owner = np.full(int(pi.max()) + 1, -1, dtype="int64")
    owner[pi[x]] = np.flatnonzero(x)
    use = Bt[x].sum(axis=0)
    den = np.maximum(Bt.sum(axis=1), 1e-9)
    zero = np.zeros((1, Bt.shape[1]))
    tol = 1e-9 * max(1.0, float(np.abs(model.obj).sum()))
    moves = 0

    def flip(j, on):
        lo, hi = adj.indptr[j], adj.indptr[j + 1]
        gain[adj.indices[lo:hi]] += adj.data[lo:hi] if on else -adj.data[lo:hi]

    while time.perf_counter() < deadline:
        cin = np.flatnonzero(~x & (gain > 0))
        if not len(cin):
            break
        sel = np.flatnonzero(x)
        ins, outs = [], []
        for u in np.unique(pu):  # per use, so that a swap can trade like for like
            cu, su = cin[pu[cin] == u], sel[pu[sel] == u]
            ins += [_top(cu, gain[cu] / den[cu], k), _top(cu, gain[cu], k)]
            outs += [_top(su, gain[su] / den[su], k, False), _top(su, gain[su], k, False)]
        top = np.unique(np.concatenate(ins))
        own = owner[pi[top]]
        outs = np.unique(np.concatenate([*outs, own[own >= 0]]))
        ext = np.concatenate([outs, [-1]])
        d = gain[top][:, None] - np.concatenate([gain[outs], [0.0]])[None, :]
        if adj.nnz and len(outs):
            d[:, :-1] -= adj[top][:, outs].toarray()
        ok = (own[:, None] == -1) | (own[:, None] == ext[None, :])
        if len(caps):
            after = use - np.concatenate([Bt[outs], zero])[None, :, :] + Bt[top][:, None, :]
            ok &= np.all(_fits(after, caps), axis=2)
        d = np.where(ok, d, -np.inf)
        bi, bj = np.unravel_index(int(np.argmax(d)), d.shape)
        if not d[bi, bj] > tol:
            break
        i, j = int(top[bi]), int(ext[bj])
        if j >= 0:
            x[j] = False
            use -= Bt[j]
            owner[pi[j]] = -1
            flip(j, False)
        x[i] = True
        use += Bt[i]
        owner[pi[i]] = i
        flip(i, True)
        moves += 1
    return x, moves


def _uses_of(n, pi, pu, lk, x) -> np.ndarray:
    use = np.where(lk >= 0, lk, -1)
    use[pi[x]] = pu[x]
    return use


def _rins(arrays, model, pi, pu, x, xf, backend, time_limit_s, grace_s):
    """A sub-MIP over the plots where the LP is fractional or disagrees with ``x``; the
    others fixed to ``x``.  Returns the better full solution (or ``x``) and the status."""
    b, area, mw, cost, budgets, lk, edges, bonus = arrays
    n = len(b)
    inc = _uses_of(n, pi, pu, lk, x)
    frac = np.zeros(n, dtype=bool)
    np.logical_or.at(frac, pi, np.minimum(xf, 1 - xf) > 1e-3)
    lp_use = _uses_of(n, pi, pu, lk, xf > 0.5)
    free = (lk == -2) & (frac | (lp_use != inc))
    if not free.any():
        return x, "rins_nothing_free"
    sub_lk = np.where(lk != -2, lk, np.where(free, -2, inc))
    try:
        sub, spi, spu, _ = _build(b, area, mw, cost, budgets, sub_lk, edges, bonus)
    except InfeasibleBudget as exc:  # the plots RINS fixes are not the user's locks
        log.info("RINS skipped: the incumbent's fixed plots exceed a budget (%s)", exc)
        return x, "rins_fixed_over_budget"
    log.info("RINS: %d of %d plots free, %d columns", int(free.sum()), n, sub.n_x)
    if sub.n_x == 0:
        return x, "rins_nothing_free"
    start = inc[spi] == spu
    best, _, status = _solve(sub, start, backend, time_limit_s, 1e-6, grace_s)
    new = sub_lk.copy()
    new[free] = -1
    new[spi[best]] = spu[best]
    cand = new[pi] == pu
    if _feasible(model, cand) and _value(model, cand) > _value(model, x):
        return cand, status
    return x, status


def _lp(model: _Model, x0, time_limit_s, gap, grace_s):
    """The LP relaxation (HiGHS, in a child process): (bound, fractional x) or Nones.  HiGHS
    may overrun its limit by a few seconds to finish an iteration; it is killed later."""
    grace = max(grace_s, 3.0, 0.1 * time_limit_s)
    found = _run_backend("lp", model, x0, None, time_limit_s, gap, grace, value=lambda x: 0.0)
    if found.outcome is None or found.outcome[0] != "done":
        why = "killed" if found.killed else (found.outcome or ("", "no answer"))[1]
        log.warning("the LP relaxation gave no bound (%s)", why)
        return None, None
    return found.outcome[2], found.outcome[1]


def _search(arrays, backend, time_limit_s, gap, grace_s, t0):
    """Greedy -> LP bound and rounding -> local search -> RINS -> the MIP (see the module
    notes).  Returns (model, pi, pu, x, bound, status, used, details)."""
    b, area, mw, cost, budgets, lk, edges, bonus = arrays
    model, pi, pu, names = _build(b, area, mw, cost, budgets, lk, edges, bonus)
    x0 = _greedy(model, pi, names)
    details = {"greedy_objective": _value(model, x0)}
    if model.n_x == 0:
        return model, pi, pu, x0, details["greedy_objective"], "no_free_choices", "none", details
    end = t0 + time_limit_s
    Bt, caps = _shares(model, names)
    t1 = time.perf_counter()
    bound, xf = _lp(model, x0, 0.35 * time_limit_s, gap, grace_s)
    details.update(lp_bound=bound, lp_s=round(time.perf_counter() - t1, 3))
    if bound is not None and not np.isfinite(bound):
        log.warning("the LP relaxation's bound is %s: no bound", bound)
        bound = details["lp_bound"] = None
    if backend == "greedy":
        return (
            model,
            pi,
            pu,
            x0,
            bound,
            "greedy" if bound is not None else "no_bound",
            "greedy",
            details,
        )
    x = x0
    if xf is not None:
        xr = _round(model, pi, Bt, caps, xf)
        details["lp_rounded_objective"] = _value(model, xr)
        if _value(model, xr) > _value(model, x):
            x = xr
    x, moves = _local_search(model, pi, pu, Bt, caps, x, t0 + 0.5 * time_limit_s)
    details.update(local_search_moves=moves, local_search_objective=_value(model, x))

    def met(x):
        return bound is not None and bound - _value(model, x) <= gap * abs(bound)

    used, status = "lp+local_search", None
    left = end - time.perf_counter()
    if not met(x) and xf is not None and left > 1.0:
        x, sub_status = _rins(arrays, model, pi, pu, x, xf, backend, 0.6 * left, grace_s)
        used = f"lp+local_search+rins({backend})"
        details["rins_status"] = sub_status  # of the sub-MIP, not of the whole problem
        details["rins_objective"] = _value(model, x)
    left = end - time.perf_counter()
    if not met(x) and left > 0.5:
        x, mip_bound, status = _solve(model, x, backend, left, gap, grace_s)
        used = f"{used}+mip({backend})"
        details["mip_status"] = status  # the MIP solver's own word, not a proof
        if mip_bound is not None and np.isfinite(mip_bound):
            bound = mip_bound if bound is None else min(bound, mip_bound)
    if not _feasible(model, x):  # never return what breaks a budget
        z = np.concatenate([x.astype(float), np.zeros(model.A.shape[1] - model.n_x)])
        over = [f"{s}:{q}" for s, q, r in names if not _fits(model.A[r] @ z, model.row_ub[r])[0]]
        why = f"the search's solution breaks the budget(s) {over or '(pair links)'}"
        log.warning("%s; keeping the greedy start", why)
        details["fallback_to_greedy"] = why
        x = x0
    return model, pi, pu, x, bound, _status(bound, _value(model, x), met(x)), used, details


def _status(bound, obj, met) -> str:
    """Only this check says "optimal" or "gap_reached" (a solver's own status is kept in
    the details): no finite bound, no claim."""
    if bound is None or not np.isfinite(bound):
        return "no_bound"
    if bound - obj <= 1e-6 * max(1.0, abs(bound)):
        return "optimal"
    return "gap_reached" if met else "gap_not_reached"
