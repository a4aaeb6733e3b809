"""Synthetic layers for benchmarks: Voronoi units over a national-scale extent."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def voronoi_units(
    n: int = 40_000, seed: int = 0, bounds=(100.0, 22.0, 122.0, 42.0), crs: str = "EPSG:4326"
) -> gpd.GeoDataFrame:
    """``n`` Voronoi polygons tiling ``bounds`` with valid unit codes and access-list text."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    region = shapely.box(x0, y0, x1, y1)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=region))
    cells = shapely.intersection(cells, region)
    classes = rng.choice([1, 2, 3], size=len(cells), p=[0.45, 0.25, 0.30])
    codes = [
        f"ZH{110101 + (i // 9999) % 880000:06d}{c}{i % 9999 + 1:04d}" for i, c in enumerate(classes)
    ]
    texts = {
        1: "1. 禁止新建、扩建工业项目。2. 严格保护生态空间。",
        2: "1. 新建项目实行污染物排放倍量削减替代。2. 严格控制两高项目。",
        3: "1. 落实生态环境保护基本要求。",
    }
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "unit_class": classes,
            "name": [f"单元{i}" for i in range(len(cells))],
            "element": "comprehensive",
            "access_spatial": [texts[c] for c in classes],
            "access_emission": [texts[c] for c in classes],
        },
        geometry=cells,
        crs=crs,
    )
