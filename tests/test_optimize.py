"""Selection under a budget: optimum by enumeration, locks, infeasibility, pairs, hard kill."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from zoning import optimize
from zoning.errors import InputError
from zoning.optimize import InfeasibleBudget, select_under_budget


def _enumerate(b, c, budget, edges=(), w=(), locked_in=(), locked_out=()):
    best, best_x = -np.inf, None
    for bits in itertools.product([0, 1], repeat=len(b)):
        x = np.array(bits, dtype=bool)
        if any(not x[i] for i in locked_in) or any(x[i] for i in locked_out):
            continue
        if c @ x > budget + 1e-9:
            continue
        v = b @ x + sum(wk for (i, j), wk in zip(edges, w, strict=True) if x[i] and x[j])
        if v > best:
            best, best_x = v, x
    return best, best_x


@pytest.fixture
def tiny():
    rng = np.random.default_rng(7)
    n = 9
    b = rng.uniform(1, 10, n).round(2)
    c = rng.uniform(1, 5, n).round(2)
    edges = np.array([(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3])
    w = rng.uniform(0.5, 6, len(edges)).round(2)
    return b, c, 0.4 * c.sum(), edges, w


@pytest.mark.parametrize("backend", ["cbc", "highs", "scipy"])
def test_tiny_mip_matches_enumeration(tiny, backend):
    b, c, budget, edges, w = tiny
    best, best_x = _enumerate(b, c, budget, edges, w)
    r = select_under_budget(
        b,
        c,
        budget,
        edges=edges,
        edge_bonus=w,
        backend=backend,
        gap=0.0,
        time_limit_s=20,
        lagrangian=False,
    )
    assert r.objective == pytest.approx(best)
    assert c[r.selected].sum() <= budget + 1e-9
    assert r.bound is not None and r.bound >= best - 1e-6
    assert r.backend == backend
    assert r.status == "optimal"


def test_default_path_matches_enumeration_on_many_tiny_problems():
    rng = np.random.default_rng(3)
    for _ in range(12):
        n = 8
        b, c = rng.uniform(0, 10, n), rng.uniform(1, 5, n)
        budget = c.sum() * rng.uniform(0.2, 0.6)
        edges = np.array(
            [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
        ).reshape(-1, 2)
        w = rng.uniform(0, 6, len(edges))
        best, _ = _enumerate(b, c, budget, edges, w)
        r = select_under_budget(b, c, budget, edges=edges, edge_bonus=w, gap=0.0, time_limit_s=20)
        assert r.objective == pytest.approx(best)
        assert r.bound >= best - 1e-6  # the Lagrangian bound is a valid bound


def test_greedy_is_the_floor_and_reports_itself(tiny):
    b, c, budget, edges, w = tiny
    r = select_under_budget(b, c, budget, edges=edges, edge_bonus=w, backend="greedy")
    assert r.status == "greedy" and r.objective == pytest.approx(r.greedy_objective)
    best, _ = _enumerate(b, c, budget, edges, w)
    assert r.objective <= best + 1e-9


def test_locked_in_and_out(tiny):
    b, c, budget, edges, w = tiny
    _, free_best = _enumerate(b, c, budget, edges, w)
    lock_out = [int(np.flatnonzero(free_best)[0])]
    lock_in = [int(np.flatnonzero(~free_best)[0])]
    best, best_x = _enumerate(b, c, budget, edges, w, lock_in, lock_out)
    for backend in ("cbc", "highs"):
        r = select_under_budget(
            b,
            c,
            budget,
            edges=edges,
            edge_bonus=w,
            locked_in=lock_in,
            locked_out=lock_out,
            backend=backend,
            gap=0.0,
            lagrangian=False,
        )
        assert r.selected[lock_in].all() and not r.selected[lock_out].any()
        assert r.objective == pytest.approx(best)
    # also as boolean masks
    mask = np.zeros(len(b), dtype=bool)
    mask[lock_in] = True
    r = select_under_budget(b, c, budget, edges=edges, edge_bonus=w, locked_in=mask, gap=0.0)
    assert r.selected[lock_in].all()


def test_infeasible_budget_is_a_clear_input_error():
    b, c = np.array([5.0, 4.0, 3.0]), np.array([2.0, 2.0, 2.0])
    with pytest.raises(
        InfeasibleBudget,
        match=r"locked-in item\(s\) cost 4\.00, more than the "
        r"budget 3\.00.*Fix: raise the budget",
    ):
        select_under_budget(b, c, 3.0, locked_in=[0, 1])
    assert issubclass(InfeasibleBudget, InputError)


def test_adjacency_bonus_changes_the_choice():
    # items 0 and 1 are best alone; 2 and 3 are neighbours and win with the bonus
    b = np.array([10.0, 10.0, 8.0, 8.0])
    c = np.ones(4)
    edges = np.array([[2, 3]])
    plain = select_under_budget(b, c, 2.0, edges=edges, edge_bonus=0.0, gap=0.0)
    assert plain.selected.tolist() == [True, True, False, False]
    compact = select_under_budget(b, c, 2.0, edges=edges, edge_bonus=5.0, gap=0.0)
    assert compact.selected.tolist() == [False, False, True, True]
    assert compact.objective == pytest.approx(21.0)


def test_bad_inputs_name_the_argument():
    with pytest.raises(InputError, match="negative cost"):
        select_under_budget([1.0], [-1.0], 1.0)
    with pytest.raises(InputError, match="backend"):
        select_under_budget([1.0], [1.0], 1.0, backend="gurobi")
    with pytest.raises(InputError, match="both locked in and locked out"):
        select_under_budget([1.0, 2.0], [1.0, 1.0], 1.0, locked_in=[0], locked_out=[0])
    with pytest.raises(InputError, match="pairs of item indices"):
        select_under_budget([1.0, 2.0], [1.0, 1.0], 1.0, edges=[[0, 5]], edge_bonus=1.0)


def _sleeper(model, start, time_limit, gap, report):
    time.sleep(60)


def test_a_hung_solver_is_killed_and_the_start_kept(monkeypatch, tiny):
    b, c, budget, edges, w = tiny
    monkeypatch.setitem(optimize._SOLVERS, "cbc", _sleeper)
    t = time.perf_counter()
    r = select_under_budget(
        b,
        c,
        budget,
        edges=edges,
        edge_bonus=w,
        backend="cbc",
        gap=0.0,
        time_limit_s=1.0,
        grace_s=0.5,
        lagrangian=False,
    )
    assert time.perf_counter() - t < 10
    assert r.status == "killed"
    assert "kept the greedy solution" in r.message
    assert r.objective == pytest.approx(r.greedy_objective)
    assert c[r.selected].sum() <= budget + 1e-9
