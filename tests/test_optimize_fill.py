"""The greedy fill of zoning.optimize_heuristics makes the choices of the one-heap
greedy it replaced (kept here as the reference), float for float."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from zoning.optimize import _build, _check
from zoning.optimize_heuristics import _adjacency, _fill


def _fill_one_heap(model, adj, cost, left, x):
    """The greedy as it was: every candidate in one heap, stale entries pushed again."""
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
        if g != gain[i]:
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


def _instance(seed: int, n: int, pairs: bool, ties: bool):
    rng = np.random.default_rng(seed)
    if ties:  # few distinct ratios, zero costs, some benefits <= 0
        b = rng.integers(-2, 6, n).astype(float)
        c = rng.integers(0, 4, n).astype(float)
    else:
        b = rng.uniform(0, 100, n)
        c = rng.uniform(0.5, 10, n)
    e = rng.integers(0, n, (3 * n, 2)) if pairs else None
    w = rng.choice([0.5, 1.0, 7.0], 3 * n) if pairs else None
    li = rng.choice(n, n // 20, replace=False)
    lo = np.setdiff1d(rng.choice(n, n // 10, replace=False), li)
    budget = float(c[li].sum() + rng.uniform(0.05, 0.6) * c.sum())
    b, c, budget, e, w, li, lo = _check(b, c, budget, e, w, li, lo)
    model, rest = _build(b, c, budget, e, w, li, lo)
    return model, c[model.free], rest, rng


@pytest.mark.parametrize("pairs", [False, True])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_fill_makes_the_one_heap_choices(seed, pairs, ties):
    model, cost, rest, rng = _instance(seed, 400, pairs, ties)
    adj = _adjacency(model)
    starts = [np.zeros(model.n_x, dtype=bool), rng.random(model.n_x) < 0.05]
    for x0 in starts:
        left = rest - float(cost[x0].sum())
        for budget_left in (left, 0.3 * left, 0.0):
            ours = _fill(model, adj, cost, budget_left, x0)
            ref = _fill_one_heap(model, adj, cost, budget_left, x0)
            assert (ours == ref).all()
            assert (ours >= x0).all()  # nothing the start held is dropped
