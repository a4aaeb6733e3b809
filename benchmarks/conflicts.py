"""Benchmark: the whole conflict evaluation against a bare geopandas.sjoin.

1,000,000 synthetic facilities, 40,000 synthetic Voronoi units, 20 rules (every condition
kind: sector, tags, stage, capacity, emissions, CO2, energy, and/or/not, inside the unit,
within a distance of a named layer, grid value at the site and summed over the unit).
Prints our time beside ``geopandas.sjoin(points, units, predicate="within")`` of the same
points and units in the same run (each twice by default, alternating; the best time of each counts),
the ratio, and the peak RSS of the process.

Run:  python benchmarks/conflicts.py [--facilities 1000000] [--units 40000]
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine

from zoning.conflicts import conflicts
from zoning.rules import parse_rules

CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
X0, Y0, SIZE = 300_000.0, 3_000_000.0, 400_000.0  # a 400 km square


def _load() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_units(n: int, rng) -> gpd.GeoDataFrame:
    seeds = shapely.multipoints(
        np.column_stack([X0 + rng.random(n) * SIZE, Y0 + rng.random(n) * SIZE])
    )
    frame = shapely.box(X0, Y0, X0 + SIZE, Y0 + SIZE)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    cls = rng.choice([1, 2, 3], size=len(cells), p=[0.5, 0.3, 0.2])
    admin = rng.choice(["339901", "339902", "339903", "330100"], size=len(cells))
    codes = [f"ZH{a}{c}{i:04d}" for i, (a, c) in enumerate(zip(admin, cls, strict=True))]
    elements = rng.choice(["ecological", "water", "air", "soil", "comprehensive"], len(cells))
    return gpd.GeoDataFrame(
        {"code": codes, "unit_class": cls, "element": elements, "subtype": "", "admin_code": admin},
        geometry=cells,
        crs=CRS,
    )


def make_facilities(n: int, rng) -> gpd.GeoDataFrame:
    x = X0 + rng.random(n) * SIZE
    y = Y0 + rng.random(n) * SIZE
    sectors = np.array(
        [
            "0313",
            "1019",
            "1310",
            "1713",
            "2221",
            "2511",
            "2614",
            "2710",
            "2929",
            "3011",
            "3031",
            "3120",
            "3212",
            "3311",
            "3360",
            "3670",
            "3981",
            "4411",
            "4610",
            "7820",
        ]
    )
    tags = np.array(
        [
            "",
            "vocs",
            "two_high",
            "hazardous_chemicals,vocs",
            "heavy_metals",
            "two_high,coal",
            "water_intensive",
            "livestock",
        ]
    )
    return gpd.GeoDataFrame(
        {
            "facility_id": np.char.add("F", np.arange(n).astype(str)),
            "sector": sectors[rng.integers(0, len(sectors), n)],
            "stage": np.where(rng.random(n) < 0.15, "proposed", "existing"),
            "capacity": rng.lognormal(8, 2, n),
            "so2_t": rng.lognormal(0, 2, n),
            "nox_t": rng.lognormal(0, 2, n),
            "pm_t": rng.lognormal(0, 2, n),
            "vocs_t": rng.lognormal(0, 2, n),
            "co2_t": rng.lognormal(8, 2, n),
            "energy_tce": rng.lognormal(6, 2, n),
            "two_high": rng.random(n) < 0.02,
            "tags": tags[rng.integers(0, len(tags), n)],
        },
        geometry=shapely.points(x, y),
        crs=CRS,
    )


def make_layers(rng) -> dict[str, gpd.GeoDataFrame]:
    c = np.column_stack([X0 + rng.random(200) * SIZE, Y0 + rng.random(200) * SIZE])
    red = shapely.buffer(shapely.points(c), rng.uniform(1_000, 5_000, 200))
    w = np.column_stack([X0 + rng.random(60) * SIZE, Y0 + rng.random(60) * SIZE])
    water = shapely.buffer(shapely.points(w), 1_500)
    return {
        "red_line": gpd.GeoDataFrame(geometry=red, crs=CRS),
        "water": gpd.GeoDataFrame(geometry=water, crs=CRS),
    }


def make_grid(rng):
    arr = rng.gamma(2.0, 18.0, size=(400, 400))  # 1 km cells
    return arr, Affine(1000.0, 0, X0, 0, -1000.0, Y0 + SIZE), CRS


def _rule(i, dim, outcome, when, scope=None, req=True):
    lines = [
        f"  - id: R{i:02d}",
        f"    dimension: {dim}",
        f"    clause: {{zh: 条款{i}, en: clause {i}}}",
        f"    message: {{zh: 消息{i}, en: message {i}}}",
        f"    outcome: {outcome}",
    ]
    if outcome == "restricted" and req:
        lines.append(f"    requirement: {{zh: 条件{i}, en: condition {i}}}")
    if scope:
        lines.append(f"    scope: {scope}")
    lines.append(f"    when: {when}")
    return "\n".join(lines)


RULES = "\n".join(
    [
        "version: 1",
        "layers: {red_line: {}, water: {}}",
        "grids: {pm25: {}, nox_grid: {}}",
        "rules:",
        _rule(
            1,
            "spatial",
            "prohibited",
            "{all: [{stage: proposed}, {sector: [B, C, D]}, "
            "{near: {layer: red_line, within_m: 0}}]}",
        ),
        _rule(
            2,
            "spatial",
            "prohibited",
            "{all: [{stage: existing}, {sector: [B, C]}, {near: {layer: red_line, within_m: 0}}]}",
        ),
        _rule(
            3,
            "spatial",
            "prohibited",
            "{all: [{sector: [A, B, C]}, {near: {layer: water, within_m: 0}}]}",
        ),
        _rule(4, "spatial", "allowed", "{sector: ['461']}"),
        _rule(
            5,
            "spatial",
            "prohibited",
            "{all: [{stage: proposed}, {tags: two_high}, {grid: {name: pm25, at: site, gt: 35}}]}",
            "{unit_class: 2, element: air}",
        ),
        _rule(
            6,
            "spatial",
            "prohibited",
            "{all: [{stage: proposed}, {any: ["
            "{emission: {pollutant: so2, ge: 10}}, {emission: {pollutant: nox, ge: 10}}]}]}",
            "{unit_class: 2, element: air}",
        ),
        _rule(
            7,
            "spatial",
            "prohibited",
            "{all: [{stage: proposed}, {sector: ['26', '31', '32', '3360']}]}",
            "{unit_class: 3}",
        ),
        _rule(
            8,
            "spatial",
            "prohibited",
            "{all: [{stage: proposed}, {sector: ['32', '25', '26']}]}",
            "{unit_class: 1, element: soil}",
        ),
        _rule(
            9,
            "emission",
            "restricted",
            "{all: [{stage: proposed}, {any: ["
            "{emission: {pollutant: so2, gt: 0}}, {emission: {pollutant: nox, gt: 0}}, "
            "{emission: {pollutant: pm, gt: 0}}]}]}",
            "{unit_class: 2}",
        ),
        _rule(
            10,
            "emission",
            "restricted",
            "{all: [{stage: proposed}, {emission: {pollutant: vocs, gt: 0}}]}",
            "{unit_class: 2}",
        ),
        _rule(11, "emission", "restricted", "{all: [{stage: proposed}, {tags: heavy_metals}]}"),
        _rule(
            12,
            "emission",
            "restricted",
            "{all: [{co2: {ge: 50000}}, {stage: proposed}]}",
            "{admin_prefix: ['3399']}",
        ),
        _rule(
            13,
            "emission",
            "prohibited",
            "{all: [{grid: {name: nox_grid, at: unit_sum, "
            "gt: 2000}}, {emission: {pollutant: nox, gt: 100}}, {stage: proposed}]}",
        ),
        _rule(
            14,
            "risk",
            "prohibited",
            "{all: [{stage: proposed}, {tags: hazardous_chemicals}, "
            "{any: [{near: {layer: red_line, within_m: 0}}, {near: {layer: water, "
            "within_m: 0}}]}]}",
        ),
        _rule(
            15,
            "risk",
            "restricted",
            "{all: [{stage: proposed}, {tags: hazardous_chemicals}, "
            "{near: {layer: water, within_m: 1000}}]}",
        ),
        _rule(
            16,
            "resource",
            "restricted",
            "{all: [{stage: proposed}, {any: [{tags: two_high}, {energy: {ge: 10000}}]}]}",
        ),
        _rule(
            17,
            "resource",
            "restricted",
            "{all: [{capacity: {ge: 100000}}, {not: {sector: [D]}}]}",
            "{unit_class: [1, 2]}",
        ),
        _rule(
            18,
            "spatial",
            "prohibited",
            "{all: [{inside_unit: true}, {tags: {all: [two_high, coal]}}, {stage: proposed}]}",
            "{unit_code_prefix: [ZH3399011]}",
        ),
        _rule(
            19,
            "spatial",
            "prohibited",
            "{all: [{near: {unit_class: 1, within_m: 500}}, "
            "{stage: proposed}, {sector: ['2614']}]}",
            "{unit_class: 3}",
        ),
        _rule(
            20,
            "risk",
            "restricted",
            "{all: [{grid: {name: pm25, at: unit_mean, gt: 40}}, {stage: proposed}, {tags: vocs}]}",
            "{unit_class: 2, element: [air, comprehensive]}",
        ),
    ]
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facilities", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=40_000)
    ap.add_argument(
        "--lonlat",
        action="store_true",
        help="facilities and units in WGS 84 lon/lat (as CSV inputs are): distances are "
        "then measured in each site's local Gauss-Kruger zone",
    )
    ap.add_argument(
        "--repeat", type=int, default=2, help="runs of each contender, alternating (best counts)"
    )
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    t = time.perf_counter()
    units = make_units(args.units, rng)
    fac = make_facilities(args.facilities, rng)
    layers = make_layers(rng)
    grids = {"pm25": make_grid(rng), "nox_grid": make_grid(rng)}
    rules = parse_rules(RULES, source="benchmark")
    if args.lonlat:
        fac, units = fac.to_crs("EPSG:4326"), units.to_crs("EPSG:4326")
    print(
        f"data: {len(fac):,} facilities, {len(units):,} units, {len(rules)} rules "
        f"({time.perf_counter() - t:.1f} s to build); RSS after data {peak_rss_mb():,.0f} MB"
    )

    # each contender runs twice, alternating, and its best time counts (the first call
    # also pays one-off costs such as lazy imports and PROJ database look-ups)
    ours_times, bare_times, ours_cpu, bare_cpu = [], [], [], []
    for _ in range(max(args.repeat, 1)):
        t, c = time.perf_counter(), time.process_time()
        result = conflicts(units, fac, rules, grids, layers=layers)
        ours_times.append(time.perf_counter() - t)
        ours_cpu.append(time.process_time() - c)
        rss_ours = peak_rss_mb()
        counts = result["status"].value_counts().to_dict()
        assert len(result) == len(fac)
        del result

        t, c = time.perf_counter(), time.process_time()
        joined = gpd.sjoin(
            fac[["geometry"]], units[["code", "geometry"]], predicate="within", how="left"
        )
        bare_times.append(time.perf_counter() - t)
        bare_cpu.append(time.process_time() - c)
        n_joined = int(joined["index_right"].notna().sum())
        del joined
    ours, bare = min(ours_times), min(bare_times)

    print(f"statuses: {counts}")
    runs = lambda ts: ", ".join(f"{v:.2f}" for v in ts)  # noqa: E731
    print(
        f"zoning.conflicts (overlay + 20 rules + result frame): {ours:6.2f} s "
        f"(best of {runs(ours_times)})"
    )
    print(
        f"geopandas.sjoin (within, bare join; {n_joined:,} matched): {bare:6.2f} s "
        f"(best of {runs(bare_times)})"
    )
    print(f"ratio ours / sjoin: {ours / bare:.2f}x (target <= 1.0x, issue 11)")
    print(
        f"CPU seconds (best): ours {min(ours_cpu):.2f}, sjoin {min(bare_cpu):.2f}, "
        f"ratio {min(ours_cpu) / min(bare_cpu):.2f}x (one thread each); load average {_load()}"
    )
    print(
        f"peak RSS after our evaluation: {rss_ours:,.0f} MB; "
        f"after sjoin: {peak_rss_mb():,.0f} MB (target < 2048 MB)"
    )


if __name__ == "__main__":
    main()
