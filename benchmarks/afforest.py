"""Benchmark: selection under a budget on 10,000 and 100,000 synthetic patches.

Patches sit on a square grid; each has an area (1-20 ha), a sink (area x 5-15 t CO2/ha/yr
x 20 yr) and a cost (area x 1-3); the budget is 10% of the total cost; 15% of patches are
locked out and 1% locked in (as in shared/FINDINGS.md).  "+nb" adds a compactness bonus
(0.3 x the median benefit) for every pair of selected 4-neighbours.

Compared in one process on the same data, each with a 60 s time limit (the child is
killed 15 s later):

- ``zoning``: :func:`zoning.optimize.select_under_budget` as shipped (greedy start,
  Lagrangian bound by min cuts, then CBC only if the gap is not met);
- ``cbc``: the same MIP handed straight to CBC through PuLP (``lagrangian=False``);
- ``highs``: the same MIP handed straight to HiGHS through highspy (``lagrangian=False``).

Targets: 10,000 to a 0.1% gap in under 10 s; 100,000 to a 1% gap in under 60 s.
Run: ``python benchmarks/afforest.py`` (about 6-8 minutes on 2 cores).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from zoning.optimize import select_under_budget


def make(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(n)))
    n = side * side
    area = rng.uniform(1, 20, n)
    benefit = area * rng.uniform(5, 15, n) * 20
    cost = area * rng.uniform(1, 3, n)
    idx = np.arange(n).reshape(side, side)
    edges = np.vstack(
        [
            np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
            np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),
        ]
    )
    order = rng.permutation(n)
    locked_out = order[: int(0.15 * n)]
    locked_in = order[int(0.15 * n) : int(0.16 * n)]
    return benefit, cost, edges, locked_in, locked_out


def run(n: int, nb: bool, gap: float, methods: list[str]) -> None:
    b, c, e, li, lo = make(n)
    bonus = 0.3 * float(np.median(b)) if nb else 0.0
    budget = 0.1 * c.sum()
    case = f"{n // 1000}k{' +nb' if nb else ''}"
    rows = []
    for m in methods:
        backend = "cbc" if m == "zoning" else m
        t = time.perf_counter()
        r = select_under_budget(
            b,
            c,
            budget,
            edges=e if nb else None,
            edge_bonus=bonus,
            locked_in=li,
            locked_out=lo,
            backend=backend,
            gap=gap,
            time_limit_s=60.0,
            lagrangian=(m == "zoning"),
        )
        wall = time.perf_counter() - t
        rows.append((m, wall, r))
        gap_s = "n/a" if r.gap is None else f"{100 * r.gap:.4f}%"
        print(
            f"{case:9s} {m:7s} {wall:8.2f} s  status={r.status:12s} via={r.backend:10s} "
            f"objective={r.objective:,.0f}  bound={'n/a' if r.bound is None else f'{r.bound:,.0f}'}"
            f"  gap={gap_s}  greedy={r.greedy_objective:,.0f}  "
            f"objective/greedy={r.objective / r.greedy_objective:.5f}",
            flush=True,
        )
    ours = rows[0]
    for m, wall, r in rows[1:]:
        print(
            f"{case:9s} {m} / zoning: time x{wall / ours[1]:.1f}, objective "
            f"x{r.objective / ours[2].objective:.5f}",
            flush=True,
        )
    target = {10_000: (0.001, 10.0), 100_000: (0.01, 60.0)}.get(n)
    if target:
        ok = ours[2].gap is not None and ours[2].gap <= target[0] and ours[1] < target[1]
        print(
            f"{case:9s} target gap <= {100 * target[0]:g}% in < {target[1]:g} s: "
            f"{'met' if ok else 'NOT met'}",
            flush=True,
        )


def main() -> int:
    methods = sys.argv[1].split(",") if len(sys.argv) > 1 else ["zoning", "cbc", "highs"]
    if methods[0] != "zoning":
        methods = ["zoning", *methods]
    print("case      method      time   result", flush=True)
    for n, gap in ((10_000, 0.001), (100_000, 0.01)):
        for nb in (False, True):
            run(n, nb, gap, methods)
    return 0


if __name__ == "__main__":
    sys.exit(main())
