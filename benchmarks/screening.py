"""Screening benchmark: 10,000 synthetic polygon projects against 40,000 Voronoi units.

Prints the time of the batch (``zoning.screen.screen``: overlaps with areas and shares,
distances to priority units and the red line, rules on every (project, unit) pair,
verdicts), projects per second, the peer (geopandas.overlay for the overlap step alone,
areas in the same equal-area CRS) and the time of one project's report (screen + report
with the embedded map), best of 3, without and with the static site map (``site_map.png``,
issue 12; the report before it had none).  Targets: batch < 10 s, a single project's
report < 1 s (with the static map).

Run: python benchmarks/screening.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _synthetic import voronoi_units

from zoning.export.report import write_screening
from zoning.rules.schema import parse_rules
from zoning.screen import EQUAL_AREA, screen

N_UNITS, N_PROJECTS = 40_000, 10_000
RULES = """
version: 1
layers:
  red_line: {zh: 生态保护红线, en: Red line}
rules:
  - id: RED-01
    dimension: spatial
    clause: {zh: 红线内禁止新建工业项目。, en: No new industry in the red line.}
    message: {zh: 工业项目位于红线内, en: Industry in the red line}
    outcome: prohibited
    when:
      all:
        - stage: proposed
        - sector: [B, C]
        - near: {layer: red_line, within_m: 0}
  - id: PRI-01
    dimension: spatial
    clause: {zh: 优先保护单元禁止新建工业项目。, en: No new industry in priority units.}
    message: {zh: 优先保护单元内拟建工业项目, en: Industry in a priority unit}
    outcome: prohibited
    scope: {unit_class: 1}
    when: {all: [{stage: proposed}, {sector: [C]}]}
  - id: KEY-01
    dimension: emission
    clause: {zh: 重点管控单元新增NOx倍量替代。, en: New NOx in key units needs a 2:1 offset.}
    message: {zh: 新增NOx须倍量替代, en: New NOx needs a 2:1 offset}
    outcome: restricted
    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}
    scope: {unit_class: 2}
    when: {all: [{stage: proposed}, {emission: {pollutant: nox, gt: 0}}]}
  - id: GEN-01
    dimension: resource
    clause: {zh: 高耗能项目能耗等量替代。, en: Energy-intensive projects replace their energy use.}
    message: {zh: 高耗能项目须能耗替代, en: Energy replacement needed}
    outcome: restricted
    requirement: {zh: 能耗等量替代, en: Equal energy replacement}
    when: {all: [{stage: proposed}, {energy: {ge: 10000}}]}
"""


def projects(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(100.5, 121.5, n)
    y = rng.uniform(22.5, 41.5, n)
    half = rng.uniform(0.002, 0.01, n)  # about 400 m to 2 km across
    geoms = shapely.box(x - half, y - half, x + half, y + half)
    return gpd.GeoDataFrame(
        {
            "project_id": [f"P{i:05d}" for i in range(n)],
            "sector": rng.choice(["2614", "3981", "4411", "5920", "0220"], n),
            "stage": "proposed",
            "nox_t": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(0, 50, n)),
            "energy_tce": rng.uniform(0, 30000, n),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def main() -> None:
    t = time.perf_counter()
    units = voronoi_units(N_UNITS)
    prio = units[units["unit_class"] == 1]
    red = gpd.GeoDataFrame(geometry=prio.geometry.iloc[::10].to_numpy(), crs=units.crs)
    red["name"] = [f"red line {i}" for i in range(len(red))]
    rules = parse_rules(RULES)
    proj = projects(N_PROJECTS)
    print(
        f"setup: {len(units)} units, {len(proj)} projects, {len(red)} red-line polygons, "
        f"{time.perf_counter() - t:.1f} s"
    )
    # warm-up on a few projects (PROJ transformers, imports), not timed
    screen(proj.iloc[:5], units, rules, layers={"red_line": red})

    t = time.perf_counter()
    res = screen(proj, units, rules, layers={"red_line": red})
    ours = time.perf_counter() - t
    print(
        f"zoning.screen batch: {ours:.2f} s, {len(proj) / ours:,.0f} projects/s "
        f"({len(res.overlaps)} project-unit pairs, {len(res.rules)} rule rows)"
    )
    print("  verdicts:", res.projects["verdict"].value_counts().to_dict())

    t = time.perf_counter()
    peer = gpd.overlay(
        proj[["project_id", "geometry"]],
        units[["code", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    peer_area = peer.to_crs(EQUAL_AREA).area
    peer_t = time.perf_counter() - t
    print(
        f"peer geopandas.overlay (overlap areas only): {peer_t:.2f} s "
        f"({len(peer)} pieces); ratio zoning/peer = {ours / peer_t:.2f} "
        "(zoning also does distances, rules and verdicts)"
    )
    ours_area = res.overlaps["overlap_m2"].sum()
    print(
        f"  total overlap area: zoning {ours_area / 1e6:,.3f} km2, peer "
        f"{peer_area.sum() / 1e6:,.3f} km2 (rel. diff {abs(ours_area / peer_area.sum() - 1):.1e})"
    )

    one = proj.iloc[[123]]
    kw = {"units": units, "layers": {"red_line": red}, "lang": "zh"}
    with tempfile.TemporaryDirectory() as tmp:
        write_screening(screen(one, units, rules, layers={"red_line": red}), Path(tmp) / "w", **kw)
        # warm-up above; then best of 3, alternating: without the static site map (the work
        # the report did before issue 12) and with it (site_map.png, embedded for print)
        best = {}
        for k in range(3):
            for tag, extra in (("without", {"static_maps": False}), ("with", {})):
                t, c = time.perf_counter(), time.process_time()
                r1 = screen(one, units, rules, layers={"red_line": red})
                write_screening(r1, Path(tmp) / f"{tag}{k}", **kw, **extra)
                wall, cpu = time.perf_counter() - t, time.process_time() - c
                size = (Path(tmp) / f"{tag}{k}" / "report.html").stat().st_size
                old = best.get(tag, (float("inf"), float("inf"), 0))
                best[tag] = (min(old[0], wall), min(old[1], cpu), size)
    for tag in ("without", "with"):
        wall, cpu, size = best[tag]
        print(
            f"single project: screen + report.html/result.json/summary.csv, {tag} the static "
            f"site map: {wall:.2f} s (CPU {cpu:.2f} s; report {size / 1e3:.0f} kB)"
        )
    single = best["with"][0]
    print(f"  verdict {r1.projects['verdict'].iloc[0]}")
    print(
        f"targets: batch < 10 s: {'met' if ours < 10 else 'MISSED'}; "
        f"single report < 1 s: {'met' if single < 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
