"""Benchmark: diff two editions of 45,000 units (about 5 % changed), against a bare
``geopandas.overlay(old, new)`` of the same layers.

Target (issue 13): the diff in under 30 s on this machine.

Synthetic, seeded: the old edition is 45,000 Voronoi units in WGS 84 lon/lat over eastern
China (``benchmarks/_synthetic.py``); the new one changes about 5 % of them: 500
reclassified (class, code and access list), 500 with an access-list clause reworded, 300
split in two along the meridian through their centre, 300 pairs of neighbours merged, 300
pairs of neighbours with a boundary moved (a strip of one given to the other).

Prints the two times and their ratio, and the diff's counts.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _synthetic import voronoi_units  # noqa: E402

from zoning.diff import diff_units  # noqa: E402

N = 45_000


def second_edition(old: gpd.GeoDataFrame, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms = np.asarray(old.geometry.values)
    tree = shapely.STRtree(geoms)
    order = rng.permutation(len(old))
    used = np.zeros(len(old), bool)
    rows = old.drop(columns="geometry").to_dict("records")
    for r, g in zip(rows, geoms, strict=True):
        r["geometry"] = g
    drop: set[int] = set()
    extra: list[dict] = []
    it = iter(order)

    def take():
        for i in it:
            if not used[i]:
                used[i] = True
                return int(i)
        raise RuntimeError("ran out of units")

    def neighbour(i):
        for j in tree.query(geoms[i], predicate="touches"):
            if not used[j] and shapely.intersection(geoms[i], geoms[j]).length > 0:
                used[j] = True
                return int(j)
        return None

    serial = 9000
    for _ in range(500):  # reclassified: class digit of the code and the access list
        i = take()
        r = rows[i]
        c = 1 if r["unit_class"] != 1 else 2
        r["unit_class"] = c
        r["code"] = r["code"][:8] + str(c) + r["code"][9:]
        r["access_spatial"] = r["access_spatial"] + "3. 按新类别管控。"
    for _ in range(500):  # a clause reworded
        r = rows[take()]
        r["access_emission"] = r["access_emission"].replace("。", "，并定期评估。", 1)
    for _ in range(300):  # split along the meridian through the centre
        i = take()
        g = geoms[i]
        x0, y0, x1, y1 = g.bounds
        cut = shapely.box(x0 - 1, y0 - 1, g.centroid.x, y1 + 1)
        rows[i]["geometry"] = shapely.intersection(g, cut)
        serial += 1
        extra.append(
            dict(
                rows[i],
                code=rows[i]["code"][:9] + f"{serial % 10000:04d}",
                geometry=shapely.difference(g, cut),
            )
        )
    done = 0
    while done < 300:  # merged with a neighbour
        i = take()
        j = neighbour(i)
        if j is None:
            continue
        rows[i]["geometry"] = shapely.union(geoms[i], geoms[j])
        drop.add(j)
        done += 1
    done = 0
    while done < 300:  # a boundary moved: a strip of i goes to its neighbour j
        i = take()
        j = neighbour(i)
        if j is None:
            continue
        strip = shapely.intersection(geoms[i], shapely.buffer(geoms[j], 0.005))
        rows[i]["geometry"] = shapely.difference(geoms[i], strip)
        rows[j]["geometry"] = shapely.union(geoms[j], strip)
        done += 1
    keep = [r for k, r in enumerate(rows) if k not in drop] + extra
    new = gpd.GeoDataFrame(keep, geometry="geometry", crs=old.crs)
    # codes stay unique: a reclassified code that collides gets a code of admin 99xxxx
    dup = new["code"].duplicated(keep="first")
    new.loc[dup, "code"] = [
        f"ZH{990000 + k // 9999:06d}{c[8]}{k % 9999 + 1:04d}"
        for k, c in enumerate(new.loc[dup, "code"])
    ]
    return new


def main() -> int:
    t = time.perf_counter()
    old = voronoi_units(N, seed=3)
    new = second_edition(old)
    print(f"built {len(old):,} old / {len(new):,} new units in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    d = diff_units(old, new)
    t_diff = time.perf_counter() - t
    print(f"zoning.diff_units: {t_diff:.1f} s  (target < 30 s)")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in d.counts.items()))
    print(f"  findings: {d.findings['reason'].value_counts().to_dict()}")

    t = time.perf_counter()
    ov = gpd.overlay(old, new, how="intersection", keep_geom_type=True)
    t_ov = time.perf_counter() - t
    print(f"geopandas.overlay(old, new): {t_ov:.1f} s ({len(ov):,} pieces)")
    print(f"ratio overlay / diff: {t_ov / t_diff:.1f}x")
    return 0 if t_diff < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
