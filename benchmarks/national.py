"""Benchmark: a national run end to end, against the design target.

Target (README, design): "a national run (about 45k units, 3.6 million pollution sources,
1 km grids over 9.6 million km²) must fit in memory and run in about a minute on 2 cores".

Synthetic data, seeded, built first in the same process and timed apart (not part of the
target):

- land: a rough hand-drawn outline of mainland China (about 100 vertices, 9.36 million km²
  in EPSG:6933), densified to 0.05°; 400 synthetic "cities" (denser in the east) shape
  where units, facilities, water sources and emissions concentrate;
- 45,000 control units: Voronoi cells of seeds (half spread over the land, half around the
  cities) in WGS 84 lon/lat, clipped to the outline; valid codes (province from the
  nearest capital, Zhejiang's city digits ``99`` so the ``3399`` scopes of the rules
  apply), class, element, name, access-list text;
- 3,600,000 facilities in lon/lat: the attributes of ``make_facilities`` of
  ``benchmarks/conflicts.py``, sites placed nationally (60 % around the cities, 40 % over
  the land);
- the 20 rules of ``benchmarks/conflicts.py`` with national layers (12,000 red-line
  patches of 1-5 km radius, 3,600 water-source zones of 1.5 km) and national rule grids on
  the 1 km grid (``pm25``: a concentration in ug/m3; ``nox_grid``: the NOx emission grid);
- 5 emission grids (nox, so2, pm25, vocs, co2) of amounts in t/cell/yr with national
  totals of the right order (10 Mt NOx ... 11 Gt CO2): float32 GeoTIFFs, tiled 512 x 512,
  DEFLATE, in the equal-area EPSG:6933 with 1000 m cells (5,896 x 3,356 cells, 9.3 million
  on land), nodata outside the land (a cell is land when it lies wholly inside the
  outline, so every valid cell lies wholly inside the units), in a temporary folder.

The national run, each step timed (wall clock, and the CPU seconds of the process: on a
shared machine the wall clock also counts the waits for a core, so the load average is
printed before and after) with the peak RSS during it (``ru_maxrss``, reset before each
step through ``/proc/self/clear_refs`` where Linux allows, else the process peak):

1. ``zoning.validate.validate_units(units, outline=...)``;
2. ``zoning.conflicts.conflicts(units, facilities, rules, grids, layers=...)``: overlay and
   the 20 rules for every facility;
3. ``zoning.stats.zonal_stats(units, {5 grid files})``: default statistics, one call;
4. ``zoning.hotspots.co_hotspots(units, {"nox": file}, {"co2": file})``: Gi* and FDR (it
   sums the two grids per unit again: it takes grids, not sums).

Prints the step table with the total against the 60 s target, and the conservation of each
grid: |sum over units of its unit sums - its total over the land| / that total.

Run:  python benchmarks/national.py [--units 45000] [--facilities 3600000] [--cell-m 1000]
      python benchmarks/national.py --quick   # 1/20 of the units, facilities and layers,
                                              # 5 km cells: a smoke test under a minute
      python benchmarks/national.py --steps validate,stats,hotspots   # some steps only
                                              # (the same data; the total is of those)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).parent))
from conflicts import RULES, make_facilities  # noqa: E402

from zoning.conflicts import conflicts  # noqa: E402
from zoning.hotspots import co_hotspots  # noqa: E402
from zoning.io.raster import open_grid  # noqa: E402
from zoning.rules import parse_rules  # noqa: E402
from zoning.stats import zonal_stats  # noqa: E402
from zoning.validate import validate_units  # noqa: E402

EA = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global, equal-area (zoning.geo.EQUAL_AREA)
LL = "EPSG:4326"
TARGET_S = 60.0

# mainland China, hand-drawn and rough (lon, lat): the land of the benchmark, not a boundary
OUTLINE = [
    (122.5, 53.5), (125.5, 53.0), (127.5, 49.8), (130.6, 48.9), (134.7, 48.3), (133.1, 45.1),
    (131.0, 44.9), (131.3, 42.9), (130.6, 42.4), (128.0, 42.0), (126.5, 41.4), (124.4, 40.0),
    (122.0, 39.6), (121.2, 38.8), (122.2, 40.5), (121.0, 40.8), (119.5, 39.8), (117.8, 39.1),
    (118.9, 37.6), (119.9, 37.2), (121.2, 37.6), (122.6, 37.4), (120.3, 36.0), (119.2, 34.7),
    (120.8, 32.6), (121.9, 31.7), (121.9, 30.9), (121.0, 30.5), (122.0, 29.9), (121.5, 28.3),
    (120.7, 27.5), (119.6, 26.0), (118.1, 24.5), (116.7, 23.3), (114.3, 22.3), (113.5, 22.2),
    (112.0, 21.7), (110.4, 21.0), (110.2, 20.3), (109.6, 21.5), (108.0, 21.6), (106.7, 22.8),
    (105.5, 23.3), (103.9, 22.6), (102.1, 22.4), (101.6, 21.2), (100.2, 21.5), (99.2, 22.1),
    (98.7, 24.1), (97.5, 23.9), (97.8, 25.4), (98.7, 27.5), (98.2, 28.2), (97.3, 28.2),
    (96.6, 29.0), (94.0, 27.8), (92.0, 27.8), (89.0, 27.9), (88.0, 27.9), (86.0, 28.0),
    (84.0, 28.6), (81.1, 30.0), (79.0, 31.0), (78.5, 32.5), (79.3, 34.3), (78.0, 35.5),
    (75.0, 37.0), (74.5, 37.3), (74.9, 38.5), (73.6, 39.5), (75.0, 40.3), (76.5, 40.4),
    (78.0, 41.0), (80.2, 42.0), (80.3, 43.0), (80.8, 45.0), (82.5, 45.3), (83.0, 47.0),
    (85.5, 47.1), (87.3, 49.1), (88.0, 48.5), (90.0, 47.7), (91.0, 46.0), (90.7, 45.3),
    (93.5, 44.9), (95.5, 44.2), (96.4, 42.7), (100.0, 42.6), (101.8, 42.5), (105.0, 41.6),
    (107.0, 42.3), (110.4, 42.7), (111.9, 43.7), (113.8, 44.9), (116.5, 46.3), (117.8, 46.5),
    (119.9, 46.7), (118.0, 47.9), (115.5, 47.9), (117.3, 49.6), (119.7, 50.2), (120.8, 52.5),
]  # fmt: skip

# province code -> capital (lon, lat): a unit's province is that of the nearest capital
CAPITALS = {
    11: (116.4, 39.9), 12: (117.2, 39.1), 13: (114.5, 38.0), 14: (112.5, 37.9),
    15: (111.7, 40.8), 21: (123.4, 41.8), 22: (125.3, 43.9), 23: (126.6, 45.8),
    31: (121.5, 31.2), 32: (118.8, 32.1), 33: (120.2, 30.3), 34: (117.3, 31.8),
    35: (119.3, 26.1), 36: (115.9, 28.7), 37: (117.0, 36.7), 41: (113.6, 34.7),
    42: (114.3, 30.6), 43: (113.0, 28.2), 44: (113.3, 23.1), 45: (108.3, 22.8),
    50: (106.5, 29.6), 51: (104.1, 30.7), 52: (106.7, 26.6), 53: (102.7, 25.0),
    54: (91.1, 29.7), 61: (108.9, 34.3), 62: (103.8, 36.1), 63: (101.8, 36.6),
    64: (106.3, 38.5), 65: (87.6, 43.8),
}  # fmt: skip

# national totals (t/yr), the order of magnitude of recent inventories
TOTALS = {"nox": 10e6, "so2": 2.5e6, "pm25": 5e6, "vocs": 25e6, "co2": 11e9}
ACCESS = {
    1: "1. 禁止新建、扩建工业项目。2. 严格保护生态空间。",
    2: "1. 新建项目实行污染物排放倍量削减替代。2. 严格控制两高项目。",
    3: "1. 落实生态环境保护基本要求。",
}

TO_LL = Transformer.from_crs(EA, LL, always_xy=True)


STEPS = ("validate", "conflicts", "stats", "hotspots")


def load() -> str:
    """The 1, 5 and 15 minute load averages (other processes competing for the cores)."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def children_cpu_s() -> float:
    """CPU seconds of the finished child processes (zoning.exact's worker processes)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ch.ru_utime + ch.ru_stime


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux >= 4.0), so ru_maxrss measures what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- land, cities, sites --------------------------------------------------------------------


def land() -> tuple[shapely.Polygon, shapely.Polygon]:
    """The outline in lon/lat (densified to 0.05°) and the same vertices in EPSG:6933."""
    ll = shapely.segmentize(shapely.Polygon(OUTLINE), 0.05)
    ea = shapely.transform(
        ll, Transformer.from_crs(LL, EA, always_xy=True).transform, interleaved=False
    )
    return ll, ea


def make_cities(rng, outline_ea, n: int = 400) -> pd.DataFrame:
    """City centres in EPSG:6933, denser towards the east, with a size and a spread."""
    x0, y0, x1, y1 = outline_ea.bounds
    xs, ys = [], []
    while sum(map(len, xs)) < n:
        x, y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        lon = TO_LL.transform(x, y)[0]
        keep = shapely.contains_xy(outline_ea, x, y) & (
            rng.random(len(x)) < np.clip((lon - 85.0) / 35.0, 0.03, 1.0)
        )
        xs.append(x[keep])
        ys.append(y[keep])
    return pd.DataFrame(
        {
            "x": np.concatenate(xs)[:n],
            "y": np.concatenate(ys)[:n],
            "size": rng.pareto(1.2, n) + 1.0,
            "sigma_m": rng.uniform(15_000, 60_000, n),
        }
    )


def sample_sites(n: int, rng, outline_ea, cities: pd.DataFrame, clustered: float, spread=1.0):
    """n points (EPSG:6933) on the land: ``clustered`` of them around the cities (picked by
    size, normal offsets of ``spread`` x the city's sigma), the rest uniform."""
    x0, y0, x1, y1 = outline_ea.bounds
    p = cities["size"].to_numpy() / cities["size"].sum()
    shapely.prepare(outline_ea)
    xs, ys, got = [], [], 0
    while got < n:
        m = int((n - got) * 1.3) + 100
        near = rng.random(m) < clustered
        c = rng.choice(len(cities), size=m, p=p)
        s = cities["sigma_m"].to_numpy()[c] * spread
        cx = cities["x"].to_numpy()[c] + rng.normal(0, 1, m) * s
        cy = cities["y"].to_numpy()[c] + rng.normal(0, 1, m) * s
        x = np.where(near, cx, rng.uniform(x0, x1, m))
        y = np.where(near, cy, rng.uniform(y0, y1, m))
        keep = shapely.contains_xy(outline_ea, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


# --- units, facilities, layers --------------------------------------------------------------


def _polygonal(g):
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts)


def make_units(n: int, rng, outline_ll, outline_ea, cities) -> gpd.GeoDataFrame:
    """n Voronoi units in lon/lat tiling the outline, with canonical columns."""
    x, y = sample_sites(n, rng, outline_ea, cities, clustered=0.5, spread=3.0)
    lon, lat = TO_LL.transform(x, y)
    frame = shapely.box(*outline_ll.bounds).buffer(1.0)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(np.column_stack([lon, lat])), extend_to=frame)
    )
    shapely.prepare(outline_ll)
    inside = shapely.contains(outline_ll, cells)
    cells[~inside] = shapely.intersection(cells[~inside], outline_ll)
    cells = np.array([_polygonal(g) for g in cells], dtype=object)
    cells = cells[~shapely.is_empty(cells)]
    m = len(cells)
    # province of the nearest capital (distances on a lon/lat plane scaled by cos lat)
    c = shapely.centroid(cells)
    cx, cy = shapely.get_x(c), shapely.get_y(c)
    caps = np.array(list(CAPITALS.values()))
    d2 = ((cx[:, None] - caps[None, :, 0]) * np.cos(np.radians(cy))[:, None]) ** 2 + (
        cy[:, None] - caps[None, :, 1]
    ) ** 2
    prov = np.array(list(CAPITALS))[np.argmin(d2, axis=1)]
    rank = pd.Series(prov).groupby(prov).cumcount().to_numpy()
    county = 1 + (rank // 150) % 99
    city = np.where(prov == 33, 99, 1 + (rank // (150 * 99)) % 99)
    admin = np.char.add(
        np.char.add(prov.astype(str), np.char.zfill(city.astype(str), 2)),
        np.char.zfill(county.astype(str), 2),
    )
    cls = rng.choice([1, 2, 3], size=m, p=[0.5, 0.3, 0.2])
    serial = pd.DataFrame({"a": admin, "c": cls}).groupby(["a", "c"]).cumcount().to_numpy() + 1
    codes = [f"ZH{a}{k}{s:04d}" for a, k, s in zip(admin, cls, serial, strict=True)]
    elements = rng.choice(["ecological", "water", "air", "soil", "comprehensive"], m)
    text = np.array([ACCESS[k] for k in cls], dtype=object)
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "unit_class": cls,
            "name": [f"单元{i:05d}" for i in range(m)],
            "element": elements,
            "subtype": "",
            "admin_code": admin.astype(object),
            "access_spatial": text,
            "access_emission": text,
        },
        geometry=cells,
        crs=LL,
    )


def make_national_facilities(n: int, rng, outline_ea, cities) -> gpd.GeoDataFrame:
    """The attributes of benchmarks/conflicts.py make_facilities, sites in lon/lat."""
    attrs = pd.DataFrame(make_facilities(n, rng).drop(columns="geometry"))
    x, y = sample_sites(n, rng, outline_ea, cities, clustered=0.6)
    lon, lat = TO_LL.transform(x, y)
    return gpd.GeoDataFrame(attrs, geometry=shapely.points(lon, lat), crs=LL)


def make_layers(rng, outline_ea, cities, scale: float) -> dict[str, gpd.GeoDataFrame]:
    """Red-line patches over the land and water-source zones near the cities (lon/lat)."""
    n_red, n_water = max(10, round(12_000 * scale)), max(10, round(3_600 * scale))
    x, y = sample_sites(n_red, rng, outline_ea, cities, clustered=0.0)
    red = shapely.buffer(shapely.points(x, y), rng.uniform(1_000, 5_000, n_red), quad_segs=8)
    x, y = sample_sites(n_water, rng, outline_ea, cities, clustered=1.0)
    water = shapely.buffer(shapely.points(x, y), 1_500, quad_segs=8)
    return {
        "red_line": gpd.GeoDataFrame(geometry=red, crs=EA).to_crs(LL),
        "water": gpd.GeoDataFrame(geometry=water, crs=EA).to_crs(LL),
    }


# --- grids ----------------------------------------------------------------------------------


def grid_frame(outline_ea, cell: float) -> tuple[Affine, int, int]:
    x0, y0, x1, y1 = outline_ea.bounds
    x0, y1 = np.floor(x0 / cell) * cell, np.ceil(y1 / cell) * cell
    width = int(np.ceil((x1 - x0) / cell))
    height = int(np.ceil((y1 - y0) / cell))
    return Affine(cell, 0, x0, 0, -cell, y1), width, height


def city_field(cities, weights, transform, width, height, coarse: int) -> np.ndarray:
    """Sum of Gaussian plumes (mass ``weights``) on a grid ``coarse`` times coarser, then
    interpolated (bilinear) onto the cells: a smooth field, per cell."""
    from scipy.ndimage import zoom

    cc = transform.a * coarse
    cw, ch = -(-width // coarse), -(-height // coarse)
    xc = transform.c + (np.arange(cw) + 0.5) * cc
    yc = transform.f - (np.arange(ch) + 0.5) * cc
    field = np.zeros((ch, cw), dtype="float64")
    for cx, cy, s, w in zip(cities["x"], cities["y"], cities["sigma_m"], weights, strict=True):
        c0, c1 = np.searchsorted(xc, [cx - 4 * s, cx + 4 * s])
        r0, r1 = np.searchsorted(-yc, [-(cy + 4 * s), -(cy - 4 * s)])
        if c1 <= c0 or r1 <= r0:
            continue
        gx = np.exp(-((xc[c0:c1] - cx) ** 2) / (2 * s * s))
        gy = np.exp(-((yc[r0:r1] - cy) ** 2) / (2 * s * s))
        field[r0:r1, c0:c1] += w * np.outer(gy, gx) / (2 * np.pi * s * s)
    fine = zoom(field, coarse, order=1, grid_mode=True, mode="nearest")
    out = np.zeros((height, width), dtype="float32")
    h, w = min(height, fine.shape[0]), min(width, fine.shape[1])
    out[:h, :w] = fine[:h, :w]
    return out


def land_mask(outline_ea, transform, width, height) -> np.ndarray:
    """Cells lying wholly inside the outline (centre inside the outline shrunk by a cell)."""
    from rasterio.features import rasterize

    inner = outline_ea.buffer(-abs(transform.a))
    return rasterize(
        [(inner, 1)], out_shape=(height, width), transform=transform, fill=0, dtype="uint8"
    ).astype(bool)


def write_tif(path: Path, arr: np.ndarray, transform, units: str) -> None:
    import rasterio

    profile = dict(
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="float32",
        crs=EA,
        transform=transform,
        nodata=-9999.0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr, 1)
        ds.update_tags(1, units=units)


def make_grids(rng, outline_ea, cities, cell: float, folder: Path):
    """The 5 emission GeoTIFFs (t/cell/yr) and the rules' in-memory grids."""
    transform, width, height = grid_frame(outline_ea, cell)
    mask = land_mask(outline_ea, transform, width, height)
    coarse = max(1, round(8_000 / cell))
    size = cities["size"].to_numpy()
    paths, rule_grids = {}, {}
    for name, total in TOTALS.items():
        w = size * rng.lognormal(0.0, 0.6, len(size))
        arr = city_field(cities, w / w.sum(), transform, width, height, coarse)
        arr += 0.05 * arr[mask].mean()  # background
        arr *= rng.lognormal(-0.5, 1.0, arr.shape).astype("float32")  # mean 1
        arr *= np.float32(total / float(arr[mask].sum(dtype="float64")))
        arr = np.round(arr, 4 if name != "co2" else 1)
        if name == "nox":
            rule_grids["nox_grid"] = (np.where(mask, arr, np.nan), transform, EA)
        arr[~mask] = -9999.0
        paths[name] = folder / f"{name}.tif"
        write_tif(paths[name], arr, transform, "t/cell/yr")
        del arr
    smooth = city_field(cities, size / size.sum(), transform, width, height, coarse)
    smooth = smooth / np.quantile(smooth[mask], 0.99)
    conc = (12.0 + 45.0 * np.sqrt(np.clip(smooth, 0, 1.5))) * rng.gamma(
        16.0, 1 / 16.0, smooth.shape
    ).astype("float32")
    rule_grids["pm25"] = (np.where(mask, conc, np.nan).astype("float32"), transform, EA)
    return paths, rule_grids, (width, height, int(mask.sum()))


def grid_total(path: Path) -> float:
    total = 0.0
    with open_grid(path, quantity="amount") as g:
        for r0 in range(0, g.height, 1024):
            total += float(np.nansum(g.read(r0, 0, min(1024, g.height - r0), g.width)))
    return total


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=45_000)
    ap.add_argument("--facilities", type=int, default=3_600_000)
    ap.add_argument("--cell-m", type=float, default=1000.0, help="grid cell (m, EPSG:6933)")
    ap.add_argument("--quick", action="store_true", help="1/20 of the sizes, 5 km cells")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", type=Path, default=None, help="write the grids here and keep them")
    ap.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated steps to time, some of {','.join(STEPS)} (default: all)",
    )
    args = ap.parse_args()
    only = [s.strip() for s in args.steps.split(",") if s.strip()]
    if not only or set(only) - set(STEPS):
        ap.error(f"--steps was {args.steps!r}; expected some of {','.join(STEPS)}")
    scale = 1.0
    if args.quick:
        scale = 1 / 20
        args.units, args.facilities = args.units // 20, args.facilities // 20
        args.cell_m = max(args.cell_m, 5000.0)

    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="zoning_national_")
        folder = Path(tmp.name)
    else:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)

    # --- data (timed apart) ------------------------------------------------------------
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    outline_ll, outline_ea = land()
    cities = make_cities(rng, outline_ea)
    units = make_units(args.units, rng, outline_ll, outline_ea, cities)
    fac = make_national_facilities(args.facilities, rng, outline_ea, cities)
    layers = make_layers(rng, outline_ea, cities, scale)
    paths, rule_grids, (gw, gh, n_land) = make_grids(rng, outline_ea, cities, args.cell_m, folder)
    rules = parse_rules(RULES, source="benchmark")
    outline = gpd.GeoDataFrame(geometry=[outline_ll], crs=LL)
    land_km2 = gpd.GeoSeries([outline_ll], crs=LL).to_crs(EA).area.iloc[0] / 1e6
    t_data = time.perf_counter() - t0
    print(
        f"data ({t_data:.0f} s to build, not timed below; process peak RSS "
        f"{peak_rss_mb():,.0f} MB):\n"
        f"  {len(units):,} units and {len(fac):,} facilities in lon/lat over "
        f"{land_km2 / 1e6:.2f} million km²; {len(rules)} rules, layers "
        + ", ".join(f"{k} {len(v):,}" for k, v in layers.items())
        + f"\n  5 grids {', '.join(paths)}: float32 tiled DEFLATE GeoTIFF, EPSG:6933, "
        f"{args.cell_m:,.0f} m cells, {gw:,} x {gh:,} ({n_land:,} on land), in {folder}",
        flush=True,
    )

    # --- the national run ----------------------------------------------------------------
    steps: list[tuple[str, float, float, float]] = []
    per_step = True
    load_before = load()

    def timed(label: str, fn):
        nonlocal per_step
        per_step &= reset_peak_rss()
        t, c = time.perf_counter(), time.process_time() + children_cpu_s()
        out = fn()
        # CPU seconds of this process and of the worker processes it started
        c = time.process_time() + children_cpu_s() - c
        steps.append((label, time.perf_counter() - t, c, peak_rss_mb()))
        print(f"  done: {label} in {steps[-1][1]:.1f} s", file=sys.stderr, flush=True)
        return out

    report = result = stats = hot = None
    if "validate" in only:
        report = timed(
            f"validate_units ({len(units):,} units, outline)",
            lambda: validate_units(units, outline=outline),
        )
    if "conflicts" in only:
        result = timed(
            f"conflicts ({len(fac):,} facilities, 20 rules)",
            lambda: conflicts(units, fac, rules, rule_grids, layers=layers),
        )
        statuses = result["status"].value_counts().to_dict()
        fired = (
            result["rule_ids"].str.split(";").explode().loc[lambda s: s.astype(bool)].value_counts()
        )
        del result
    if "stats" in only:
        stats = timed(
            "zonal_stats (5 grids, default statistics)",
            lambda: zonal_stats(
                units, {n: open_grid(p, name=n, quantity="amount") for n, p in paths.items()}
            ),
        )
    if "hotspots" in only:
        hot = timed(
            "co_hotspots (nox x co2, queen, FDR)",
            lambda: co_hotspots(
                units,
                {"nox": open_grid(paths["nox"], name="nox")},
                {"co2": open_grid(paths["co2"], name="co2")},
            ),
        )

    # --- report ----------------------------------------------------------------------------
    total = sum(s for _, s, _, _ in steps)
    cpu = sum(c for _, _, c, _ in steps)
    peak = max(m for *_, m in steps)
    rss_label = "peak RSS in step" if per_step else "process peak RSS"
    print(f"\n{'step':46s} {'seconds':>8s} {'CPU s':>7s} {rss_label + ' (MB)':>24s}")
    for label, sec, c, mb in steps:
        print(f"{label:46s} {sec:8.1f} {c:7.1f} {mb:24,.0f}")
    verdict = "meets" if total <= TARGET_S else "misses"
    of = "" if len(only) == len(STEPS) else f" (steps {','.join(only)} only)"
    print(
        f"{'total':46s} {total:8.1f} {cpu:7.1f} {peak:24,.0f}\n"
        f"target: about {TARGET_S:.0f} s on 2 cores -> {total / TARGET_S:.2f}x of it ({verdict})"
        f"{of}; peak {peak / 1024:.1f} GiB\n"
        f"load average (1, 5, 15 min) before the steps {load_before}, after {load()}"
    )
    from zoning.exact import worker_peaks_mb

    if worker_peaks_mb:
        peaks = ", ".join(f"{m:,.0f}" for m in worker_peaks_mb)
        print(
            f"(CPU s include zoning.exact's worker processes: {children_cpu_s():.1f} s in "
            f"all; peak RSS of the latest run's workers {peaks} MB, beside this process's)"
        )
    if report is not None:
        print(f"\nvalidation: {report.counts or 'no problems'}")
    if "conflicts" in only:
        print(f"conflicts: {statuses}")
        print("rules fired: " + ", ".join(f"{k} {v:,}" for k, v in sorted(fired.items())))
    if hot is not None:
        print(f"co-hot-spots: {hot.attrs['summary']['classes']}")
    if stats is not None:
        print("conservation, |sum over units of unit sums - grid total on land| / grid total:")
        for name, path in paths.items():
            g_total = grid_total(path)
            u_total = float(stats[f"{name}_sum"].sum())
            print(
                f"  {name:5s} grid {g_total:16,.1f} t  units {u_total:16,.1f} t  "
                f"rel. difference {abs(u_total - g_total) / g_total:.2e}"
            )
    if stats is not None and hot is not None:
        same = np.allclose(hot["pollutant_t"], stats["nox_sum"], rtol=1e-9, atol=0)
        print(f"co_hotspots' nox sums equal zonal_stats' nox_sum: {same}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
