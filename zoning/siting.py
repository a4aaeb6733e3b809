"""Afforestation on polluted farmland: candidate patches, carbon sink, selection under a budget.

The pipeline (:func:`site_afforestation`) runs three steps, each usable alone:

1. :func:`find_candidates` — strict-control parcels (GB 15618-2018 classes from
   :func:`zoning.soil.classify_soil`), optionally with other polluted plots, filtered by
   slope (from a DEM), land cover, excluded layers (e.g. red line, water protection) and
   distance limits; neighbouring survivors (within ``merge_gap_m``) are merged into
   patches, and patches below ``min_patch_area_ha`` are dropped.  Every parcel that is not
   in a patch carries its reasons (codes and Chinese/English text).
2. :func:`estimate_sink` — IPCC Tier 1: removal rate (t CO2/ha/yr) = above-ground growth
   G (t d.m./ha/yr) x (1 + root-to-shoot ratio R) x carbon fraction CF x 44/12, from
   ``zoning/data/ipcc_removals.csv`` by climate zone, continent and forest type, or a
   user rate; sink per year and over a horizon.
3. :func:`select_sites` — the best patches under an area or cost budget (sink over the
   horizon plus weighted co-benefits, locked-in/out patches, a bonus for neighbouring
   patches), solved by :func:`zoning.optimize.select_under_budget`.

Areas and distances are computed in a metric CRS (the parcels' own when projected in
metres, else their UTM zone); outputs keep the parcels' CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from zoning.errors import InputError, SchemaError
from zoning.geo import EQUAL_AREA, metric_crs
from zoning.optimize import Backend, Selection, select_under_budget
from zoning.soil import STRICT

log = logging.getLogger(__name__)

#: A raster as (array, Affine transform, CRS); NaN marks nodata.
Grid = tuple[np.ndarray, Affine, object]

CO2_PER_C = 44.0 / 12.0
#: Land-cover codes of the ESA WorldCover-like legend used by the demo.
LANDCOVER_NAMES: dict[int, tuple[str, str]] = {
    10: ("乔木林地", "tree cover"),
    20: ("灌木林地", "shrubland"),
    30: ("草地", "grassland"),
    40: ("耕地", "cropland"),
    50: ("建设用地", "built-up"),
    60: ("裸地", "bare land"),
    70: ("冰雪", "snow and ice"),
    80: ("水体", "water"),
    90: ("湿地", "wetland"),
    95: ("红树林", "mangroves"),
}
#: Land cover where planting is not afforestation or not possible.
DEFAULT_EXCLUDED_LANDCOVER: tuple[int, ...] = (10, 50, 70, 80, 90, 95)

REASONS: dict[str, tuple[str, str]] = {
    "not_strict": ("土壤类别为{v}，非严格管控类", "soil class is {v}, not strict control"),
    "unclassified": ("土壤类别未定（附近无采样点）", "soil class unknown (no sample in reach)"),
    "slope": (
        "平均坡度 {v:.1f}° 超过上限 {lim:g}°",
        "mean slope {v:.1f}° above the limit {lim:g}°",
    ),
    "landcover": ("主要地类为{v}，不宜造林", "main land cover is {v}, not plantable"),
    "excluded": ("位于禁止造林范围「{v}」内", "inside '{v}', where planting is excluded"),
    "too_far": ("距「{v}」{d:.0f} m，超过上限 {lim:g} m", "{d:.0f} m from '{v}', above {lim:g} m"),
    "too_close": (
        "距「{v}」{d:.0f} m，小于下限 {lim:g} m",
        "{d:.0f} m from '{v}', below {lim:g} m",
    ),
    "small_patch": (
        "所在图斑面积 {v:.2f} ha 小于下限 {lim:g} ha",
        "its patch is {v:.2f} ha, below the minimum {lim:g} ha",
    ),
}


@dataclass(frozen=True)
class DistanceLimit:
    """Keep parcels at least ``min_m`` and/or at most ``max_m`` from ``layer``."""

    name: str
    layer: gpd.GeoDataFrame
    min_m: float | None = None
    max_m: float | None = None


@dataclass
class Candidates:
    """Patches and every parcel with its status (``candidate``, ``reason``, ``patch_id``)."""

    patches: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    params: dict = field(default_factory=dict)


@dataclass
class SitingResult:
    """The outcome of :func:`site_afforestation`."""

    patches: gpd.GeoDataFrame  # every patch, with ``selected``
    parcels: gpd.GeoDataFrame  # every parcel, with ``candidate``, ``reason``, ``selected``
    selection: Selection
    summary: dict


# --- helpers ---------------------------------------------------------------------------


def _metric_crs(frame: gpd.GeoDataFrame):
    return metric_crs(frame, "the parcels")


def _reason(code: str, lang: str, **kw) -> str:
    zh, en = REASONS[code]
    return (zh if lang == "zh" else en).format(**kw)


def _zonal(geoms: gpd.GeoSeries, grid: Grid, stat: Literal["mean", "majority"]) -> np.ndarray:
    """Per-geometry mean or majority of a grid (cells by centre; small ones by a point)."""
    from rasterio.features import rasterize

    arr, transform, crs = grid
    g = geoms.to_crs(crs) if crs is not None and geoms.crs != CRS.from_user_input(crs) else geoms
    n = len(g)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    ids = rasterize(
        ((geom, i + 1) for i, geom in enumerate(g.values) if geom is not None),
        out_shape=arr.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    valid = (ids > 0) & np.isfinite(arr)
    idx = ids[valid] - 1
    vals = arr[valid]
    if stat == "mean":
        cnt = np.bincount(idx, minlength=n)
        tot = np.bincount(idx, weights=vals, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(cnt > 0, tot / cnt, np.nan)
    else:
        if len(idx):
            codes = vals.astype("int64")
            pairs = pd.DataFrame({"i": idx, "c": codes}).value_counts().reset_index()
            pairs = pairs.sort_values(["i", "count", "c"], ascending=[True, False, True])
            first = pairs.drop_duplicates("i")
            out[first["i"].to_numpy()] = first["c"].to_numpy()
    missing = np.flatnonzero(np.isnan(out))
    if len(missing):  # geometries smaller than a cell: the cell under a point inside
        pts = g.iloc[missing].representative_point()
        inv = ~transform
        px, py = pts.x.to_numpy(), pts.y.to_numpy()
        cols = inv.c + px * inv.a + py * inv.b
        rows = inv.f + px * inv.d + py * inv.e
        rows, cols = np.floor(rows).astype(int), np.floor(cols).astype(int)
        ok = (rows >= 0) & (rows < arr.shape[0]) & (cols >= 0) & (cols < arr.shape[1])
        out[missing[ok]] = arr[rows[ok], cols[ok]]
    return out


def slope_degrees(dem: Grid, /) -> np.ndarray:
    """Slope in degrees of a DEM (metres), from central differences.

    Cell sizes come from the transform; in a geographic CRS they are converted to metres
    at each row's latitude.
    """
    arr, transform, crs = dem
    z = np.asarray(arr, dtype="float64")
    dx = abs(transform.a)
    dy = abs(transform.e)
    crs = CRS.from_user_input(crs) if crs is not None else None
    if crs is not None and crs.is_geographic:
        lat = transform.f + transform.e * (np.arange(z.shape[0]) + 0.5)
        dx_m = dx * 111_320.0 * np.cos(np.deg2rad(lat))[:, None] * np.ones((1, z.shape[1]))
        dy_m = dy * 110_540.0
    else:
        dx_m, dy_m = dx, dy
    gy, gx = np.gradient(z)
    return np.degrees(np.arctan(np.hypot(gx / dx_m, gy / dy_m)))


# --- 1. candidates -------------------------------------------------------------------------


def find_candidates(
    parcels: gpd.GeoDataFrame,
    /,
    *,
    extra_plots: gpd.GeoDataFrame | None = None,
    dem: Grid | None = None,
    landcover: Grid | None = None,
    exclude: dict[str, gpd.GeoDataFrame] | None = None,
    distance_limits: list[DistanceLimit] | None = None,
    classes: tuple[int, ...] = (STRICT,),
    max_slope_deg: float = 25.0,
    excluded_landcover: tuple[int, ...] = DEFAULT_EXCLUDED_LANDCOVER,
    min_patch_area_ha: float = 1.0,
    merge_gap_m: float = 10.0,
    id_column: str = "parcel_id",
    population: Grid | None = None,
    population_buffer_m: float = 1000.0,
) -> Candidates:
    """Candidate patches for afforestation and the reason every other parcel is left out.

    Parameters
    ----------
    parcels : GeoDataFrame
        Farmland parcels with ``soil_class`` (see :func:`zoning.soil.classify_soil`).
    extra_plots : GeoDataFrame, optional (default: None)
        Other polluted plots (closed mines, waste land) to consider as well, whatever
        their soil class.
    dem, landcover : (array, Affine, CRS), optional (default: None)
        Elevation in metres; land-cover codes (see :data:`LANDCOVER_NAMES`).
    exclude : dict name -> GeoDataFrame, optional (default: None)
        Layers where planting is excluded; a parcel overlapping one by more than 1 m² is
        left out.
    distance_limits : list of DistanceLimit, optional (default: None)
    classes : tuple of int, optional (default: (3,))
        Soil classes that qualify (3 strict control).
    max_slope_deg : float, optional (default: 25)
        Steepest mean slope allowed.
    excluded_landcover : tuple of int, optional (default: tree, built-up, snow, water,
        wetland, mangroves)
        Main land-cover codes that disqualify a parcel.
    min_patch_area_ha : float, optional (default: 1)
        Smallest patch kept.
    merge_gap_m : float, optional (default: 10)
        Parcels this close (field ridges, farm tracks) are one patch.
    id_column : str, optional (default: "parcel_id")
        Identifier of parcels (row numbers when absent).
    population : (array, Affine, CRS), optional (default: None)
        A population grid (people per cell): each patch gets ``population_nearby``, the
        people in cells whose centre lies within ``population_buffer_m`` of it.
    population_buffer_m : float, optional (default: 1000)

    Returns
    -------
    Candidates
        Patches carry ``area_ha``, ``slope_deg``, ``max_ratio_screening`` and
        ``exposure_index`` (sum over its parcels of area_ha x the largest ratio of a
        metal to its screening value: the pollution taken out of food production), which
        :func:`select_sites` can weigh as co-benefits.
    """
    if "soil_class" not in parcels.columns:
        raise SchemaError(
            "the parcels have no soil_class column",
            field="soil_class",
            fix="classify them first (zoning soil, or pass --samples)",
        )
    if not (min_patch_area_ha >= 0 and merge_gap_m >= 0 and max_slope_deg > 0):
        raise InputError(
            "min_patch_area_ha and merge_gap_m must be >= 0 and max_slope_deg > 0",
            field="min_patch_area_ha",
        )
    crs = _metric_crs(parcels)
    frame = parcels.copy()
    frame["source"] = "farmland"
    if id_column not in frame.columns:
        frame[id_column] = [f"P{i + 1:06d}" for i in range(len(frame))]
    frame[id_column] = frame[id_column].astype(str)
    if extra_plots is not None and len(extra_plots):
        extra = extra_plots.to_crs(frame.crs).copy()
        if id_column not in extra.columns:
            extra[id_column] = [f"X{i + 1:05d}" for i in range(len(extra))]
        extra[id_column] = extra[id_column].astype(str)
        extra["source"] = "polluted_plot"
        frame = pd.concat([frame, extra], ignore_index=True)
        frame = gpd.GeoDataFrame(frame, geometry=parcels.geometry.name, crs=parcels.crs)
    frame = frame.reset_index(drop=True)
    m = frame.to_crs(crs) if CRS.from_user_input(frame.crs) != crs else frame
    geoms = m.geometry
    n = len(frame)
    # areas on the ellipsoid (equal-area CRS); distances and adjacency in the metric CRS
    # to the square metre (1e-4 ha), the figure filters and budgets then use
    area_ha = np.round(frame.to_crs(EQUAL_AREA).geometry.area.to_numpy() / 1e4, 4)
    frame["area_ha"] = area_ha
    codes: list[list[str]] = [[] for _ in range(n)]
    zh: list[list[str]] = [[] for _ in range(n)]
    en: list[list[str]] = [[] for _ in range(n)]

    def reject(rows, code, **kw):
        for i in rows:
            kwi = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
            codes[i].append(code)
            zh[i].append(_reason(code, "zh", **kwi))
            en[i].append(_reason(code, "en", **kwi))

    # soil class
    cls = pd.to_numeric(frame["soil_class"], errors="coerce").fillna(0).astype(int).to_numpy()
    farm = (frame["source"] == "farmland").to_numpy()
    from zoning.soil import class_label

    unclassified = farm & (cls == 0)
    reject(np.flatnonzero(unclassified), "unclassified")
    wrong = farm & (cls != 0) & ~np.isin(cls, classes)
    labels_zh = np.array([class_label(c, "zh") for c in cls], dtype=object)
    labels_en = np.array([class_label(c, "en") for c in cls], dtype=object)
    for i in np.flatnonzero(wrong):
        codes[i].append("not_strict")
        zh[i].append(_reason("not_strict", "zh", v=labels_zh[i]))
        en[i].append(_reason("not_strict", "en", v=labels_en[i]))
    # slope
    slope = np.full(n, np.nan)
    if dem is not None:
        slope = _zonal(m.geometry, (slope_degrees(dem), dem[1], dem[2]), "mean")
        steep = np.flatnonzero(slope > max_slope_deg)
        reject(steep, "slope", v=slope, lim=max_slope_deg)
    frame["slope_deg"] = np.round(slope, 2)
    # land cover
    lc = np.full(n, np.nan)
    if landcover is not None:
        lc = _zonal(m.geometry, landcover, "majority")
        bad = np.flatnonzero(np.isin(lc, excluded_landcover))
        for i in bad:
            name = LANDCOVER_NAMES.get(int(lc[i]), (str(int(lc[i])),) * 2)
            codes[i].append("landcover")
            zh[i].append(_reason("landcover", "zh", v=name[0]))
            en[i].append(_reason("landcover", "en", v=name[1]))
    frame["landcover"] = pd.array(np.where(np.isnan(lc), pd.NA, lc), dtype="Int64")
    # excluded layers
    for name, layer in (exclude or {}).items():
        if layer is None or not len(layer):
            continue
        lay = layer.to_crs(crs)
        pi, li = lay.sindex.query(geoms, predicate="intersects")
        if len(pi):
            inter = shapely.area(shapely.intersection(geoms.values[pi], lay.geometry.values[li]))
            over = np.zeros(n)
            np.add.at(over, pi, inter)
            reject(np.flatnonzero(over > 1.0), "excluded", v=name)
    # distance limits
    for lim in distance_limits or []:
        lay = lim.layer.to_crs(crs)
        union = shapely.union_all(lay.geometry.values)
        d = shapely.distance(geoms.values, union)
        if lim.max_m is not None:
            reject(np.flatnonzero(d > lim.max_m), "too_far", v=lim.name, d=d, lim=lim.max_m)
        if lim.min_m is not None:
            reject(np.flatnonzero(d < lim.min_m), "too_close", v=lim.name, d=d, lim=lim.min_m)
    ok = np.array([not c for c in codes])
    # merge neighbouring survivors into patches
    patch_of = np.full(n, -1)
    keep_idx = np.flatnonzero(ok)
    if len(keep_idx):
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        sub = geoms.values[keep_idx]
        tree = shapely.STRtree(sub)
        a, b = tree.query(sub, predicate="dwithin", distance=merge_gap_m)
        k = len(keep_idx)
        graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(k, k))
        _, comp = connected_components(graph, directed=False)
        patch_of[keep_idx] = comp
        area_p = np.bincount(comp, weights=area_ha[keep_idx])
        small = area_p[comp] < min_patch_area_ha
        patch_area = np.zeros(n)
        patch_area[keep_idx] = area_p[comp]
        reject(keep_idx[small], "small_patch", v=patch_area, lim=min_patch_area_ha)
        patch_of[keep_idx[small]] = -1
    frame["candidate"] = patch_of >= 0
    frame["reason"] = [",".join(c) for c in codes]
    frame["reason_zh"] = ["；".join(z) for z in zh]
    frame["reason_en"] = ["; ".join(e) for e in en]
    patches, pid = _patches(frame, m, patch_of, id_column)
    frame["patch_id"] = pid
    if population is not None and len(patches):
        patches["population_nearby"] = _people_near(patches, population, population_buffer_m, crs)
    params = {
        "classes": list(classes),
        "max_slope_deg": max_slope_deg,
        "excluded_landcover": list(excluded_landcover),
        "min_patch_area_ha": min_patch_area_ha,
        "merge_gap_m": merge_gap_m,
        "exclude": sorted(exclude or {}),
        "distance_limits": [(d.name, d.min_m, d.max_m) for d in distance_limits or []],
        "metric_crs": crs.to_string(),
        "area_crs": EQUAL_AREA,
    }
    log.info(
        "%d of %d parcels are candidates, in %d patches",
        int(frame["candidate"].sum()),
        n,
        len(patches),
    )
    return Candidates(patches, frame, params)


def _patches(frame, metric, patch_of, id_column):
    """One row per patch (ordered by area, largest first) and each parcel's patch id."""
    pid = np.full(len(frame), None, dtype=object)
    cols = [
        "patch_id",
        "n_parcels",
        "parcel_ids",
        "area_ha",
        "slope_deg",
        "max_ratio_screening",
        "sources",
        "geometry",
    ]
    if not (patch_of >= 0).any():
        empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry="geometry", crs=frame.crs)
        return empty, pid
    sel = np.flatnonzero(patch_of >= 0)
    df = pd.DataFrame(
        {
            "comp": patch_of[sel],
            "id": frame[id_column].to_numpy()[sel],
            "area": frame["area_ha"].to_numpy(dtype="float64")[sel],
            "slope": frame["slope_deg"].to_numpy(dtype="float64")[sel],
            "ratio": pd.to_numeric(
                frame.get("max_ratio_screening", pd.Series(np.nan, index=frame.index)),
                errors="coerce",
            ).to_numpy()[sel],
            "source": frame["source"].to_numpy()[sel],
            "row": sel,
        }
    )
    df["slope_w"] = df["slope"] * df["area"]
    df["exposure"] = df["area"] * np.nan_to_num(df["ratio"].to_numpy(dtype="float64"))
    g = df.groupby("comp")
    agg = pd.DataFrame(
        {
            "n_parcels": g.size(),
            "parcel_ids": g["id"].agg(lambda s: ",".join(sorted(s))),
            "area_ha": g["area"].sum(),
            "slope_deg": g["slope_w"].sum(min_count=1) / g["area"].sum(),
            "max_ratio_screening": g["ratio"].max(),
            "exposure_index": g["exposure"].sum().round(4),
            "sources": g["source"].agg(lambda s: ",".join(sorted(set(s)))),
        }
    ).sort_values("area_ha", ascending=False)
    agg["patch_id"] = [f"AF{i + 1:04d}" for i in range(len(agg))]
    ids = dict(zip(agg.index, agg["patch_id"], strict=True))
    pid[sel] = [ids[c] for c in patch_of[sel]]
    geom_by = frame.geometry.values
    geoms = [
        shapely.union_all(geom_by[df.loc[df["comp"] == c, "row"].to_numpy()]) for c in agg.index
    ]
    out = gpd.GeoDataFrame(agg.reset_index(drop=True), geometry=geoms, crs=frame.crs)
    out["area_ha"] = out["area_ha"].round(4)
    out["slope_deg"] = out["slope_deg"].round(2)
    return out[cols], pid


def _people_near(patches, grid: Grid, buffer_m: float, crs) -> np.ndarray:
    """People in grid cells whose centre lies within ``buffer_m`` of each patch."""
    arr, transform, gcrs = grid
    rows, cols = np.nonzero(np.isfinite(arr) & (arr > 0))
    out = np.zeros(len(patches))
    if not len(rows):
        return out
    t = transform
    xs = t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b
    ys = t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e
    pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=gcrs).to_crs(crs)
    zones = patches.to_crs(crs).geometry.buffer(buffer_m)
    pi, zi = zones.sindex.query(pts, predicate="intersects")
    np.add.at(out, zi, arr[rows[pi], cols[pi]])
    return np.round(out, 1)


# --- 2. carbon sink ---------------------------------------------------------------------------


def removal_factors(
    *,
    climate_zone: str = "subtropical_humid",
    continent: str = "asia",
    forest_type: str = "planted",
    growth_t_dm_ha_yr: float | None = None,
    root_shoot: float | None = None,
    carbon_fraction: float | None = None,
    table: pd.DataFrame | None = None,
) -> dict:
    """The Tier 1 factors and the removal rate in t CO2/ha/yr (user values override)."""
    if table is None:
        from zoning.io.afforest import read_removals

        table = read_removals()
    row = table[
        (table["climate_zone"] == climate_zone)
        & (table["continent"] == continent)
        & (table["forest_type"] == forest_type)
    ]
    if row.empty and growth_t_dm_ha_yr is None:
        have = sorted(
            set(zip(table["climate_zone"], table["continent"], table["forest_type"], strict=True))
        )
        raise InputError(
            f"no removal factor for ({climate_zone}, {continent}, {forest_type}); the table "
            f"has {have}",
            field="climate_zone",
            fix="pick one of those, or give the growth rate (--growth)",
        )
    r = row.iloc[0] if not row.empty else {}
    g = float(growth_t_dm_ha_yr if growth_t_dm_ha_yr is not None else r["agb_growth_t_dm_ha_yr"])
    rs = float(
        root_shoot if root_shoot is not None else r.get("root_shoot", 0.2) if len(r) else 0.2
    )
    cf = float(
        carbon_fraction
        if carbon_fraction is not None
        else r.get("carbon_fraction", 0.47)
        if len(r)
        else 0.47
    )
    for name, v in (("growth", g), ("root_shoot", rs), ("carbon_fraction", cf)):
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"{name} was {v} but must be a number >= 0", field=name)
    rate = g * (1.0 + rs) * cf * CO2_PER_C
    return {
        "climate_zone": climate_zone,
        "continent": continent,
        "forest_type": forest_type,
        "agb_growth_t_dm_ha_yr": g,
        "root_shoot": rs,
        "carbon_fraction": cf,
        "co2_per_c": round(CO2_PER_C, 6),
        "removal_t_co2_ha_yr": rate,
        "formula": "G x (1 + R) x CF x 44/12",
        "growth_source": str(r.get("growth_source", "user"))
        if growth_t_dm_ha_yr is None
        else "user",
        "verified": str(r.get("verified", "")) if len(r) else "",
    }


def estimate_sink(
    patches: gpd.GeoDataFrame,
    /,
    *,
    rate_t_co2_ha_yr: float | None = None,
    horizon_years: float = 20.0,
    factors: dict | None = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Carbon sink of each patch per year and over ``horizon_years``.

    ``rate_t_co2_ha_yr`` overrides the Tier 1 rate of ``factors`` (from
    :func:`removal_factors`; the bundled defaults when None).
    """
    if not horizon_years > 0:
        raise InputError(f"horizon_years was {horizon_years} but must be > 0", field="horizon")
    f = dict(factors or removal_factors())
    if rate_t_co2_ha_yr is not None:
        if not rate_t_co2_ha_yr >= 0:
            raise InputError("the removal rate must be >= 0", field="rate_t_co2_ha_yr")
        f.update(removal_t_co2_ha_yr=float(rate_t_co2_ha_yr), formula="user rate")
    rate = f["removal_t_co2_ha_yr"]
    out = patches.copy()
    out["removal_t_co2_ha_yr"] = round(rate, 4)
    out["sink_t_co2_yr"] = (out["area_ha"] * rate).round(3)
    out["sink_t_co2_horizon"] = (out["area_ha"] * rate * horizon_years).round(2)
    f["horizon_years"] = horizon_years
    if horizon_years > 20:
        log.warning(
            "Tier 1 growth rates are for stands up to 20 years; a %g-year horizon may "
            "overstate the sink",
            horizon_years,
        )
    return out, f


# --- 3. selection ------------------------------------------------------------------------------


def _lock_mask(patches, ids, name):
    if not ids:
        return None
    ids = {str(i) for i in ids}
    parcel_sets = [set(s.split(",")) for s in patches["parcel_ids"]]
    mask = np.array(
        [
            pid in ids or bool(ids & ps)
            for pid, ps in zip(patches["patch_id"], parcel_sets, strict=True)
        ]
    )
    known = set(patches["patch_id"]).union(*parcel_sets) if len(patches) else set()
    unknown = sorted(ids - known)
    if unknown:
        raise InputError(
            f"{name} names {unknown[:10]}, which are no candidate patch or parcel",
            field=name,
            fix="use patch ids (AF0001 …) or parcel ids of candidates",
        )
    return mask


def select_sites(
    patches: gpd.GeoDataFrame,
    /,
    *,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    cost_per_ha: float = 30000.0,
    locked_in: list[str] | None = None,
    locked_out: list[str] | None = None,
    adjacency_m: float = 200.0,
    adjacency_bonus: float = 0.0,
    weights: dict[str, float] | None = None,
    backend: Backend | None = None,
    time_limit_s: float = 60.0,
    gap: float = 0.001,
) -> tuple[gpd.GeoDataFrame, Selection]:
    """Choose patches maximising the sink (plus co-benefits) under an area or cost budget.

    Parameters
    ----------
    patches : GeoDataFrame
        Patches with ``area_ha`` and ``sink_t_co2_horizon`` (see :func:`estimate_sink`),
        optionally ``cost`` (else ``area_ha * cost_per_ha``).
    budget_ha, budget_cost : float
        Exactly one: the most area (ha) or money (same unit as the cost) to spend.
    cost_per_ha : float, optional (default: 30000)
        Planting cost per hectare where patches carry no ``cost``; an assumption (about
        2,000 CNY per mu), override it with local figures.
    locked_in, locked_out : list of str, optional (default: None)
        Patch ids, or parcel ids (locking the patch that holds them).
    adjacency_m : float, optional (default: 200)
        Patches this close are neighbours.
    adjacency_bonus : float, optional (default: 0)
        Benefit (t CO2-equivalent) added for each pair of selected neighbours.
    weights : dict column -> weight, optional (default: None)
        Co-benefits added to the sink: ``benefit = sink_t_co2_horizon + sum(w * column)``.
    backend, time_limit_s, gap
        Passed to :func:`zoning.optimize.select_under_budget`.

    Returns
    -------
    (patches with ``cost``, ``benefit``, ``selected``), Selection
    """
    if (budget_ha is None) == (budget_cost is None):
        raise InputError(
            "give exactly one of budget_ha and budget_cost", field="--budget-ha/--budget-cost"
        )
    out = patches.copy()
    if "cost" not in out.columns:
        out["cost"] = (out["area_ha"] * cost_per_ha).round(2)
    benefit = out["sink_t_co2_horizon"].to_numpy(dtype="float64").copy()
    for col, w in (weights or {}).items():
        if col not in out.columns:
            raise InputError(
                f"co-benefit column '{col}' is not a patch column; patches have "
                f"{list(out.columns)}",
                field="weights",
            )
        benefit += w * pd.to_numeric(out[col], errors="coerce").fillna(0).to_numpy()
    out["benefit"] = np.round(benefit, 3)
    cost = out["area_ha" if budget_ha is not None else "cost"].to_numpy(dtype="float64")
    budget = float(budget_ha if budget_ha is not None else budget_cost)
    edges = None
    if adjacency_bonus > 0 and len(out) > 1:
        g = out.to_crs(_metric_crs(out)).geometry
        a, b = g.sindex.query(g, predicate="dwithin", distance=adjacency_m)
        keep = a < b
        edges = np.column_stack([a[keep], b[keep]])
    kw = {} if backend is None else {"backend": backend}
    sel = select_under_budget(
        benefit,
        cost,
        budget,
        edges=edges,
        edge_bonus=adjacency_bonus,
        locked_in=_lock_mask(out, locked_in, "locked_in"),
        locked_out=_lock_mask(out, locked_out, "locked_out"),
        time_limit_s=time_limit_s,
        gap=gap,
        **kw,
    )
    out["selected"] = sel.selected
    out["locked"] = ""
    if locked_in:
        out.loc[_lock_mask(out, locked_in, "locked_in"), "locked"] = "in"
    if locked_out:
        out.loc[_lock_mask(out, locked_out, "locked_out"), "locked"] = "out"
    sel.details["n_adjacent_pairs"] = 0 if edges is None else len(edges)
    return out, sel


# --- the pipeline -------------------------------------------------------------------------------


def site_afforestation(
    parcels: gpd.GeoDataFrame,
    /,
    *,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    horizon_years: float = 20.0,
    rate_t_co2_ha_yr: float | None = None,
    factors: dict | None = None,
    candidates: dict | None = None,
    selection: dict | None = None,
) -> SitingResult:
    """Candidates, sink and selection in one call.

    ``candidates`` are keyword arguments of :func:`find_candidates`, ``selection`` those
    of :func:`select_sites` (besides the budget).  Returns patches (with ``selected``),
    every parcel (with ``candidate``, ``reason``, ``patch_id``, ``selected``), the
    :class:`~zoning.optimize.Selection` and a JSON-able summary.
    """
    cand = find_candidates(parcels, **(candidates or {}))
    if cand.patches.empty:
        raise InputError(
            "no candidate patch: every parcel was left out (see the reasons)",
            fix="relax the filters (slope, land cover, minimum area) or check the soil classes",
        )
    patches, f = estimate_sink(
        cand.patches,
        rate_t_co2_ha_yr=rate_t_co2_ha_yr,
        horizon_years=horizon_years,
        factors=factors,
    )
    patches, sel = select_sites(
        patches, budget_ha=budget_ha, budget_cost=budget_cost, **(selection or {})
    )
    chosen = set(patches.loc[patches["selected"], "patch_id"])
    par = cand.parcels
    par["selected"] = par["patch_id"].isin(chosen)
    chosen_p = patches[patches["selected"]]
    summary = {
        "budget": {"area_ha": budget_ha, "cost": budget_cost},
        "n_parcels": len(par),
        "n_candidate_parcels": int(par["candidate"].sum()),
        "n_patches": len(patches),
        "n_selected_patches": len(chosen_p),
        "selected_area_ha": round(float(chosen_p["area_ha"].sum()), 3),
        "candidate_area_ha": round(float(patches["area_ha"].sum()), 3),
        "sink_t_co2_yr": round(float(chosen_p["sink_t_co2_yr"].sum()), 2),
        "sink_t_co2_horizon": round(float(chosen_p["sink_t_co2_horizon"].sum()), 1),
        "horizon_years": horizon_years,
        "cost": round(float(chosen_p["cost"].sum()), 2),
        "factors": f,
        "filters": cand.params,
        "rejections": par.loc[~par["candidate"], "reason"]
        .str.split(",")
        .explode()
        .value_counts()
        .to_dict(),
        "solver": sel.summary(),
        "solver_details": {k: v for k, v in sel.details.items()},
    }
    return SitingResult(patches, par, sel, summary)
