"""Benchmark: exact per-unit statistics of zoning against exactextract and rasterstats.

40,000 synthetic Voronoi units over a 10,000 x 10,000 float32 GeoTIFF (tiled 512 x 512,
DEFLATE), both created once in ``/tmp/zoning_bench_stats`` (about 400 MB of cells; kept
for reruns).  Each contender runs in its own child process, so its time, CPU seconds (of the call,
with those of the worker processes zoning starts for a large run) and peak memory
(``ru_maxrss`` of that process, imports included; a worker's peak beside it) are its own:

- ``zoning``: :func:`zoning.stats.zonal_stats` (sum and mean, default strategy);
- ``exactextract default``: ``exact_extract(path, units, ["sum", "mean"], output="pandas")``;
- ``exactextract raster-sequential``: the same with ``strategy="raster-sequential"``;
- ``rasterstats``: ``zonal_stats`` on a sample of units, extrapolated to all units (it
  counts a cell by its centre, so its sums differ and are not compared).

Run: ``python benchmarks/stats.py`` (``--units N``, ``--size N`` for a smaller run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path(os.environ.get("ZONING_BENCH_DIR", "/tmp/zoning_bench_stats"))
CRS = "EPSG:4549"
CELL = 100.0
X0, Y0 = 0.0, 3_500_000.0


def _paths(size: int, n_units: int) -> tuple[Path, Path]:
    return WORK / f"grid_{size}.tif", WORK / f"units_{n_units}_{size}.parquet"


def make_grid(path: Path, size: int) -> None:
    """A float32 emission-like field (smooth plumes times noise), written block by block."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(42)
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=from_origin(X0, Y0, CELL, CELL),
        nodata=-9999.0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    )
    centres = rng.uniform(0, size, (60, 2))
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **profile) as ds:
        step = 1024
        for r0 in range(0, size, step):
            nr = min(step, size - r0)
            yy = np.arange(r0, r0 + nr, dtype="float32")[:, None]
            xx = np.arange(size, dtype="float32")[None, :]
            field = np.zeros((nr, size), dtype="float32")
            for cx, cy in centres:
                field += 50.0 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 400.0**2))
            field *= rng.gamma(2.0, 0.5, (nr, size)).astype("float32")
            field = np.round(field, 3)
            field[rng.random((nr, size)) < 0.001] = -9999.0  # a few nodata cells
            ds.write(field, 1, window=Window(0, r0, size, nr))
    tmp.rename(path)


def make_units(path: Path, n: int, size: int) -> None:
    """n Voronoi polygons of random points, clipped to the grid's extent."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(7)
    ext = size * CELL
    pts = shapely.points(rng.uniform(X0, X0 + ext, n), rng.uniform(Y0 - ext, Y0, n))
    frame = shapely.box(X0, Y0 - ext, X0 + ext, Y0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    units = gpd.GeoDataFrame(
        {"code": [f"U{i:06d}" for i in range(len(cells))]}, geometry=cells, crs=CRS
    )
    units.to_parquet(path)


# --- contenders, each run in a child ----------------------------------------------------------


def run_zoning(grid: Path, units, out: Path) -> dict:
    from zoning.io.raster import open_grid
    from zoning.stats import zonal_stats

    t, c = time.perf_counter(), _cpu_s()
    with open_grid(grid, name="g", quantity="amount") as g:
        res = zonal_stats(units, {"g": g}, stats=["sum", "mean"])
    dt, cpu = time.perf_counter() - t, _cpu_s() - c
    np.save(out, np.c_[res["g_sum"].to_numpy(), res["g_mean"].to_numpy()])
    # conservation (after timing): the units tile the grid, so their sums add up to its total
    total = 0.0
    with open_grid(grid, quantity="amount") as g:
        for r0 in range(0, g.height, 1024):
            total += float(np.nansum(g.read(r0, 0, min(1024, g.height - r0), g.width)))
    conservation = abs(res["g_sum"].sum() - total) / total
    return {"seconds": dt, "cpu_s": cpu, "units": len(units), "conservation": conservation}


def _run_ee(grid: Path, units, out: Path, strategy: str | None) -> dict:
    from exactextract import exact_extract

    kw = {} if strategy is None else {"strategy": strategy}
    t, c = time.perf_counter(), _cpu_s()
    res = exact_extract(str(grid), units, ["sum", "mean"], output="pandas", **kw)
    dt, cpu = time.perf_counter() - t, _cpu_s() - c
    np.save(out, np.c_[res["sum"].to_numpy(), res["mean"].to_numpy()])
    return {"seconds": dt, "cpu_s": cpu, "units": len(units)}


def run_ee_default(grid, units, out):
    return _run_ee(grid, units, out, None)


def run_ee_rs(grid, units, out):
    return _run_ee(grid, units, out, "raster-sequential")


def run_rasterstats(grid: Path, units, out: Path, sample: int = 400) -> dict:
    from rasterstats import zonal_stats as rs_zonal_stats

    idx = np.random.default_rng(3).choice(len(units), size=min(sample, len(units)), replace=False)
    part = units.iloc[np.sort(idx)]
    t, c = time.perf_counter(), _cpu_s()
    rs_zonal_stats(list(part.geometry), str(grid), stats=["sum", "mean"])
    dt, cpu = time.perf_counter() - t, _cpu_s() - c
    return {
        "seconds": dt * len(units) / len(part),
        "cpu_s": cpu * len(units) / len(part),
        "sample": len(part),
        "sample_seconds": dt,
        "units": len(units),
        "extrapolated": True,
    }


CONTENDERS = {
    "zoning": run_zoning,
    "exactextract default": run_ee_default,
    "exactextract raster-sequential": run_ee_rs,
    "rasterstats": run_rasterstats,
}


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (zoning's workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def _child(name: str, size: int, n_units: int) -> None:
    import geopandas as gpd

    grid, units_path = _paths(size, n_units)
    units = gpd.read_parquet(units_path)
    out = WORK / f"result_{name.replace(' ', '_')}.npy"
    info = CONTENDERS[name](grid, units, out)
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if name == "zoning":
        from zoning.exact import worker_peaks_mb

        info["worker_peak_rss_mb"] = max(worker_peaks_mb, default=0.0)
    print(json.dumps(info))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=10_000, help="grid side in cells")
    ap.add_argument("--units", type=int, default=40_000, help="number of units")
    ap.add_argument("--only", action="append", choices=list(CONTENDERS), default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.size, args.units)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    grid, units_path = _paths(args.size, args.units)
    if not grid.exists():
        t = time.perf_counter()
        make_grid(grid, args.size)
        print(
            f"made {grid} ({grid.stat().st_size / 1e6:.0f} MB on disk) in "
            f"{time.perf_counter() - t:.0f} s",
            file=sys.stderr,
        )
    if not units_path.exists():
        make_units(units_path, args.units, args.size)
    env = dict(os.environ, OMP_NUM_THREADS="1", GDAL_NUM_THREADS="1")
    results = {}
    for name in args.only or list(CONTENDERS):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                name,
                "--size",
                str(args.size),
                "--units",
                str(args.units),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            print(f"{name}: FAILED\n{proc.stderr[-2000:]}")
            continue
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"{args.units} units over a {args.size} x {args.size} float32 tiled DEFLATE GeoTIFF "
        f"(sum and mean; one child process each)"
    )
    base = results.get("exactextract default", {}).get("seconds")
    for name, r in results.items():
        ratio = f"{r['seconds'] / base:5.2f}x of exactextract default" if base else ""
        extra = (
            f"  [EXTRAPOLATED from {r['sample']} units in {r['sample_seconds']:.1f} s]"
            if r.get("extrapolated")
            else ""
        )
        workers = (
            f" + worker {r['worker_peak_rss_mb']:.0f} MB" if r.get("worker_peak_rss_mb") else ""
        )
        print(
            f"  {name:32s} {r['seconds']:8.1f} s  CPU {r['cpu_s']:6.1f} s  peak RSS "
            f"{r['peak_rss_mb']:7.0f} MB{workers}  {ratio}{extra}"
        )
    if "conservation" in results.get("zoning", {}):
        print(
            f"  conservation: |sum over units - grid total| / grid total = "
            f"{results['zoning']['conservation']:.2e}"
        )
    ours, ref = WORK / "result_zoning.npy", WORK / "result_exactextract_default.npy"
    if "zoning" in results and "exactextract default" in results:
        a, b = np.load(ours), np.load(ref)
        for k, label in enumerate(("sum", "mean")):
            x, y = a[:, k], b[:, k]
            both = np.isfinite(x) & np.isfinite(y)
            same_nan = np.array_equal(np.isnan(x), np.isnan(y))
            rel = np.abs(x[both] - y[both]) / np.maximum(np.abs(y[both]), 1e-300)
            print(
                f"  agreement with exactextract default, {label}: max relative difference "
                f"{rel.max():.2e} over {both.sum()} units (same empty units: {same_nan})"
            )


if __name__ == "__main__":
    main()
