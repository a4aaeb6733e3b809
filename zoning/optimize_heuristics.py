"""The heuristics and the bound of :func:`zoning.optimize.select_under_budget`: the
benefit-per-cost greedy (a pair's bonus counted once both ends are in) and the
Lagrangian dual of the budget, whose subproblem is solved exactly as a min cut."""

from __future__ import annotations

import heapq
import time
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

if TYPE_CHECKING:
    from zoning.optimize import _Model


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
    """Add items by marginal benefit per cost (a pair's bonus counts once its partner is in).

    Repeatedly the candidate with the highest gain per cost (ties: the lower index) is
    taken when it fits the budget left, else dropped for good (the budget only shrinks).
    Candidates are the unselected items with a positive gain, and any item whose gain a
    selected partner raised.  The candidates as they start are one sorted array walked
    in blocks (a block of items that cannot fit is skipped in one step); only items whose
    gain grew go through a heap.  The choices are those of a single heap over every
    candidate, float for float (tests/test_optimize_fill.py).
    """
    x = x.copy()
    nx = model.n_x
    gain = model.obj[:nx].copy()
    if adj.nnz:
        gain += adj @ x.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, gain / cost, np.where(gain > 0, np.inf, -np.inf))
    cand = np.flatnonzero(~x & (gain > 0))
    order = cand[np.argsort(-ratio[cand], kind="stable")]  # stable: ties by index
    okey, oitem = (-ratio[order]).tolist(), order.tolist()
    c_of = cost.tolist()
    live = ~x  # start entry still valid: not selected, not dropped, gain as at the start
    sel = bytearray(x.tobytes())
    dropped = bytearray(nx)
    heap: list = []  # (-ratio, item, gain) of items whose gain grew
    paired = adj.nnz > 0
    if paired:
        g_of = gain.tolist()
        indptr, indices, data = adj.indptr.tolist(), adj.indices.tolist(), adj.data.tolist()
    pos, n_order, block = 0, len(order), 64
    while True:
        # the next start candidate that is live and fits (what does not fit never will)
        while pos < n_order:
            i = oitem[pos]
            if live[i] and c_of[i] <= left + 1e-9:
                break
            sl = order[pos : pos + block]
            was = live[sl]
            ok = was & (cost[sl] <= left + 1e-9)
            hit = np.flatnonzero(ok)
            skip = int(hit[0]) if len(hit) else len(sl)
            gone = sl[:skip]
            for j in gone[was[:skip]].tolist():
                dropped[j] = 1
            live[gone] = False
            pos += skip
            if len(hit):
                break
        while heap:
            top = heap[0]
            j = top[1]
            if not (sel[j] or dropped[j] or top[2] != g_of[j]):
                break
            heapq.heappop(heap)  # selected, dropped or stale (a newer entry exists)
        if pos < n_order and (not heap or (okey[pos], oitem[pos]) < heap[0][:2]):
            i = oitem[pos]
            pos += 1
        elif heap:
            i = heapq.heappop(heap)[1]
        else:
            break
        live[i] = False
        ci = c_of[i]
        if ci > left + 1e-9:
            dropped[i] = 1
            continue
        sel[i] = 1
        left -= ci
        if not paired:
            continue
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if not sel[j] and not dropped[j]:
                live[j] = False  # its start entry is stale now
                g = g_of[j] = g_of[j] + data[k]
                cj = c_of[j]
                heapq.heappush(heap, (-(g / cj) if cj > 0 else -np.inf, j, g))
    return np.frombuffer(bytes(sel), dtype=bool).copy()


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
