"""Benchmark: the whole ``zoning conflicts`` process against the same job in geopandas.

1,000,000 facilities in a CSV with lon/lat (the attributes of ``benchmarks/conflicts.py``)
and 40,000 synthetic Voronoi units in a GeoPackage, with the 20 rules, layers and grids of
``benchmarks/conflicts.py``.  Each contender runs in a fresh process, alternating (ours,
theirs, ours, theirs); the best time of each counts and the peak RSS of its process is
quoted.

- ours: ``read_units`` + ``read_facilities`` (CSV, every row checked) +
  :func:`zoning.products.conflicts.run_conflicts` (evaluate 20 rules, write
  ``conflicts.csv``, ``conflicts.geojson``, ``conflicts.html`` and ``summary.json``);
- theirs: ``geopandas.read_file`` + ``pandas.read_csv`` + ``points_from_xy`` +
  ``geopandas.sjoin`` (within) + ``to_csv`` (WKT column) + pyogrio's GeoJSON driver with
  ``RFC7946=YES``.

Besides the wall time of each run, the CPU seconds (this process and its children: ours
writes the GeoJSON's last rows in a second process) and the peak memory of the second
process are quoted; ``--data DIR`` keeps the generated files there (reused next time).

Run:  python benchmarks/conflicts_process.py [--facilities 1000000] [--units 40000]
      [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _make(folder: Path, n_fac: int, n_units: int) -> None:
    import numpy as np

    sys.path.insert(0, str(HERE))
    from conflicts import make_facilities, make_units

    rng = np.random.default_rng(42)
    units = make_units(n_units, rng)
    fac = make_facilities(n_fac, rng).to_crs("EPSG:4326")
    units.to_crs("EPSG:4326").to_file(folder / "units.gpkg", engine="pyogrio")
    table = fac.drop(columns="geometry")
    table.insert(1, "lon", fac.geometry.x.round(6))
    table.insert(2, "lat", fac.geometry.y.round(6))
    table.to_csv(folder / "facilities.csv", index=False)


def _ours(folder: Path) -> None:
    import numpy as np

    sys.path.insert(0, str(HERE))
    from conflicts import RULES, make_grid, make_layers

    from zoning.io.facilities import read_facilities
    from zoning.io.vector import read_units
    from zoning.rules import parse_rules

    try:
        from zoning.products.conflicts import run_conflicts
    except ImportError:  # a checkout from before the library run: the command's run()
        from zoning.cli.conflicts import run

        def run_conflicts(units, fac, rules, **kw):
            return run(units, fac, rules, lang="zh", sources={}, **kw)

    rng = np.random.default_rng(7)
    layers = make_layers(rng)
    grids = {"pm25": make_grid(rng), "nox_grid": make_grid(rng)}
    rules = parse_rules(RULES, source="benchmark")
    child = _ChildPeak()
    logging.getLogger("zoning").addHandler(child)
    logging.getLogger("zoning").setLevel(logging.DEBUG)
    t, cpu = time.perf_counter(), _cpu()
    units = read_units(folder / "units.gpkg")
    fac = read_facilities(folder / "facilities.csv", region=units)
    run_conflicts(units, fac, rules, out=folder / "ours", layers=layers, grids=grids)
    _report(time.perf_counter() - t, _cpu() - cpu, child.peak_mb)


def _theirs(folder: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    t, cpu = time.perf_counter(), _cpu()
    units = gpd.read_file(folder / "units.gpkg", engine="pyogrio")
    table = pd.read_csv(folder / "facilities.csv")
    fac = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )
    joined = gpd.sjoin(fac, units[["code", "unit_class", "geometry"]], predicate="within")
    out = folder / "theirs"
    out.mkdir(exist_ok=True)
    csv = pd.DataFrame(joined.drop(columns="geometry"))
    csv["wkt_wgs84"] = shapely.to_wkt(joined.geometry.values, rounding_precision=6)
    csv.to_csv(out / "conflicts.csv", index=False)
    pyogrio.write_dataframe(
        joined, out / "conflicts.geojson", driver="GeoJSON", layer_options={"RFC7946": "YES"}
    )
    _report(time.perf_counter() - t, _cpu() - cpu)


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class _ChildPeak(logging.Handler):
    """The peak memory of the process that wrote the GeoJSON's last rows (logged by
    ``zoning.export._gdaljson``; ``RUSAGE_CHILDREN`` would count this process's memory
    at the fork)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.peak_mb = 0.0

    def emit(self, record):
        kb = getattr(record, "zoning_child_peak_kb", None)
        if kb:
            self.peak_mb = max(self.peak_mb, kb / 1024.0)


def _report(seconds: float, cpu: float, child_mb: float = 0.0) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"s": seconds, "cpu": cpu, "rss_mb": rss, "child_mb": child_mb}))


def _run(role: str, folder: Path) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, "--role", role, "--folder", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facilities", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=40_000)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each contender")
    ap.add_argument("--role", choices=("ours", "theirs"), default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, default=None, help="keep (and reuse) the data here")
    args = ap.parse_args()
    if args.role:
        (_ours if args.role == "ours" else _theirs)(args.folder)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not ((folder / "units.gpkg").exists() and (folder / "facilities.csv").exists()):
            t = time.perf_counter()
            _make(folder, args.facilities, args.units)
            print(f"data made in {time.perf_counter() - t:.1f} s")
        print(
            f"data: {args.facilities:,} facilities (CSV lon/lat), {args.units:,} units "
            f"(GeoPackage) in {folder}"
        )
        runs: dict[str, list[dict]] = {"ours": [], "theirs": []}
        for _ in range(args.repeat):
            for role in ("ours", "theirs"):
                runs[role].append(_run(role, folder))
        best = {k: min(r["s"] for r in v) for k, v in runs.items()}
        cpu = {k: min(r.get("cpu", 0.0) for r in v) for k, v in runs.items()}
        rss = {k: max(r["rss_mb"] for r in v) for k, v in runs.items()}
        child = {k: max(r.get("child_mb", 0.0) for r in v) for k, v in runs.items()}
        for role, label in (
            ("ours", "zoning (read, 20 rules, CSV + GeoJSON + map + summary)"),
            ("theirs", "geopandas (read, sjoin, to_csv, pyogrio RFC 7946 GeoJSON)"),
        ):
            times = ", ".join(f"{r['s']:.2f}" for r in runs[role])
            second = f"; second process {child[role]:,.0f} MB" if child[role] else ""
            print(
                f"{label}: {best[role]:6.2f} s (best of {times}); CPU {cpu[role]:.1f} s; "
                f"peak RSS {rss[role]:,.0f} MB{second}"
            )
        print(
            f"ratio ours / geopandas: {best['ours'] / best['theirs']:.2f}x (target <= 1.0x); "
            f"CPU {cpu['ours'] / cpu['theirs']:.2f}x; "
            f"our peak RSS {rss['ours']:,.0f} MB (target < 2048 MB)"
        )


if __name__ == "__main__":
    main()
