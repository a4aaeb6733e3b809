"""Benchmark: conflicts on a local Dask cluster against the single-machine path.

The data and the 20 rules of ``benchmarks/conflicts.py`` (1,000,000 facilities, 40,000
units by default).  Prints the single-process time, the time on a LocalCluster of
``--workers`` processes (cluster start-up counted apart), the ratio, and checks that both
results are equal row for row.  On one small machine the cluster is expected to be slower
(the inputs are sent to every worker); the point of the Dask path is several machines or
a facility table larger than one machine's memory.

Run:  python benchmarks/scale.py [--facilities 1000000] [--units 40000] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from conflicts import RULES, make_facilities, make_grid, make_layers, make_units  # noqa: E402

from zoning.conflicts import conflicts  # noqa: E402
from zoning.rules import parse_rules  # noqa: E402
from zoning.scale import cluster, conflicts_distributed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facilities", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=40_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=250_000)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    units = make_units(args.units, rng)
    fac = make_facilities(args.facilities, rng)
    layers = make_layers(rng)
    grids = {"pm25": make_grid(rng), "nox_grid": make_grid(rng)}
    rules = parse_rules(RULES, source="benchmark")
    print(f"data: {len(fac):,} facilities, {len(units):,} units, {len(rules)} rules")

    t = time.perf_counter()
    one = conflicts(units, fac, rules, grids, layers=layers)
    t_one = time.perf_counter() - t
    print(f"single process:            {t_one:6.2f} s")

    t = time.perf_counter()
    with cluster(workers=args.workers) as client:
        t_start = time.perf_counter() - t
        t = time.perf_counter()
        many = conflicts_distributed(
            units, fac, rules, grids, layers=layers, client=client, chunk_size=args.chunk_size
        )
        t_many = time.perf_counter() - t
    pd.testing.assert_frame_equal(one, many)
    print(f"LocalCluster start-up:     {t_start:6.2f} s ({args.workers} worker processes)")
    print(
        f"Dask, {args.workers} workers:           {t_many:6.2f} s "
        f"({-(-len(fac) // args.chunk_size)} chunks of <= {args.chunk_size:,})"
    )
    print(f"ratio Dask / single:       {t_many / t_one:6.2f}x   results equal row for row: yes")


if __name__ == "__main__":
    main()
