"""Afforestation on polluted farmland: candidate patches, carbon sink, selection under a budget.

The pipeline (:func:`site_afforestation`) runs three steps, each usable alone:

1. :func:`find_candidates` — strict-control parcels (GB 15618-2018 classes from
   :func:`zoning.soil.classify_soil`), optionally with other polluted plots, filtered by
   slope (from a DEM), land cover (majority class under a legend that is never guessed),
   excluded layers (e.g. red line, water protection) and
   distance limits; neighbouring survivors (within ``merge_gap_m``) are merged into
   patches, and patches below ``min_patch_area_ha`` are dropped.  Every parcel that is not
   in a patch carries its reasons (codes and Chinese/English text).
2. :func:`estimate_sink` — IPCC Tier 1: removal rate (t CO2/ha/yr) = above-ground growth
   G (t d.m./ha/yr) x (1 + root-to-shoot ratio R) x carbon fraction CF x 44/12, from
   ``zoning/data/ipcc_tier1_china.csv`` by ecological zone (:func:`removal_factors`;
   one zone, or one per patch from a zone layer: :func:`assign_ecozones`) and species
   group, each factor with its table and verification level, or a user rate; sink per
   year and over a horizon.
3. :func:`select_sites` — the best patches under an area or cost budget (sink over the
   horizon plus weighted co-benefits, locked-in/out patches, a bonus for neighbouring
   patches), solved by :func:`zoning.optimize.select_under_budget`.

Areas and distances are computed in a metric CRS (the parcels' own when projected in
metres, else their UTM zone); outputs keep the parcels' CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.errors import InputError, SchemaError
from zoning.geo import EQUAL_AREA, metric_crs
from zoning.grid import Grid
from zoning.io.afforest import Legend
from zoning.optimize import Backend, Selection, select_under_budget
from zoning.sampling import as_grid, cell_of
from zoning.soil import STRICT

log = logging.getLogger(__name__)

#: A raster as (array, Affine transform, CRS); NaN marks nodata.

CO2_PER_C = 44.0 / 12.0
REASONS: dict[str, tuple[str, str]] = {
    "not_strict": ("土壤类别为{v}，非严格管控类", "soil class is {v}, not strict control"),
    "unclassified": ("土壤类别未定（附近无采样点）", "soil class unknown (no sample in reach)"),
    "slope": (
        "平均坡度 {v:.1f}° 超过上限 {lim:g}°",
        "mean slope {v:.1f}° above the limit {lim:g}°",
    ),
    "landcover": ("主要地类为{v}，不宜造林", "main land cover is {v}, not plantable"),
    "landcover_never": (
        "现有林地、水体和建设用地占 {v:.0%}，过半",
        "{v:.0%} is existing forest, water or built-up land (more than half)",
    ),
    "no_landcover": ("地块下无土地覆盖数据，无法判定", "no land-cover data under it: cannot judge"),
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


def _cell_ids(geoms: gpd.GeoSeries, grid: Grid):
    """The geometries in the grid's CRS and a raster of 1-based geometry numbers (0: none)
    over the grid, each cell taken by its centre."""
    from rasterio.features import rasterize

    grid = as_grid(grid)
    shape, crs = (grid.height, grid.width), grid.crs
    g = geoms.to_crs(crs) if crs is not None and geoms.crs != CRS.from_user_input(crs) else geoms
    if not len(g):
        return g, np.zeros(shape, dtype="int32")
    ids = rasterize(
        ((geom, i + 1) for i, geom in enumerate(g.values) if geom is not None),
        out_shape=shape,
        transform=grid.transform,
        fill=0,
        dtype="int32",
    )
    return g, ids


def _cells_under_points(g: gpd.GeoSeries, which: np.ndarray, grid: Grid):
    """Row, column and in-grid flag of the cell under a point inside each of ``g[which]``
    (for geometries smaller than a cell)."""
    grid = as_grid(grid)
    pts = g.iloc[which].representative_point()
    return cell_of(grid.transform, (grid.height, grid.width), pts.x.to_numpy(), pts.y.to_numpy())


def _zonal_mean(geoms: gpd.GeoSeries, grid: Grid) -> np.ndarray:
    """Per-geometry mean of a grid (cells by centre; small geometries by a point)."""
    grid = as_grid(grid)
    arr = grid.read()
    n = len(geoms)
    if n == 0:
        return np.full(0, np.nan)
    g, ids = _cell_ids(geoms, grid)
    valid = (ids > 0) & np.isfinite(arr)
    idx = ids[valid] - 1
    cnt = np.bincount(idx, minlength=n)
    tot = np.bincount(idx, weights=arr[valid], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cnt > 0, tot / cnt, np.nan)
    missing = np.flatnonzero(np.isnan(out))
    if len(missing):  # geometries smaller than a cell: the cell under a point inside
        rows, cols, ok = _cells_under_points(g, missing, grid)
        out[missing[ok]] = arr[rows[ok], cols[ok]]
    return out


def _cover_classes(geoms: gpd.GeoSeries, grid: Grid, legend: Legend):
    """Per geometry: majority class (None without data), its share, and the share of
    never-plantable classes, counting the cells whose centre is inside (or, for a
    geometry smaller than a cell, the cell under a point inside it)."""
    from zoning.io.afforest import NEVER_PLANTABLE

    grid = as_grid(grid)
    arr = grid.read()
    n = len(geoms)
    # never-plantable classes first, so that a tie goes to them
    names = sorted(set(legend.classes) - {"nodata"}, key=lambda c: (c not in NEVER_PLANTABLE, c))
    k = len(names)
    cls_of_pos = np.array([names.index(c) if c != "nodata" else -1 for c in legend.classes])

    def classes_of(values):
        pos = legend.index_of(values.astype("int64"))
        return np.where(pos >= 0, cls_of_pos[np.maximum(pos, 0)], -1)

    counts = np.zeros((n, max(k, 1)))
    if n and k:
        g, ids = _cell_ids(geoms, grid)
        valid = (ids > 0) & np.isfinite(arr)
        idx = ids[valid] - 1
        cls = classes_of(arr[valid])
        ok = cls >= 0
        counts = np.bincount(idx[ok] * k + cls[ok], minlength=n * k).reshape(n, k)
        counts = counts.astype("float64")
        empty = np.flatnonzero(counts.sum(axis=1) == 0)
        if len(empty):  # smaller than a cell: the cell under a point inside
            rows, cols, inside = _cells_under_points(g, empty, grid)
            vals = np.full(len(empty), np.nan)
            vals[inside] = arr[rows[inside], cols[inside]]
            has = np.isfinite(vals)
            c = np.full(len(empty), -1)
            c[has] = classes_of(vals[has])
            hit = c >= 0
            counts[empty[hit], c[hit]] = 1.0
    total = counts.sum(axis=1)
    major = np.full(n, None, dtype=object)
    share = np.full(n, np.nan)
    never = np.full(n, np.nan)
    has = total > 0
    if has.any():
        best = counts.argmax(axis=1)  # ties: forest, water, built-up first
        major[has] = np.array(names, dtype=object)[best[has]]
        share[has] = counts[has, best[has]] / total[has]
        never_idx = [names.index(c) for c in NEVER_PLANTABLE if c in names]
        never[has] = counts[has][:, never_idx].sum(axis=1) / total[has] if never_idx else 0.0
    return major, share, never


def slope_degrees(dem: Grid, /) -> np.ndarray:
    """Slope in degrees of a DEM (metres), from central differences.

    Cell sizes come from the transform; in a geographic CRS they are converted to metres
    at each row's latitude.
    """
    dem = as_grid(dem)
    transform, crs = dem.transform, dem.crs
    z = dem.read()
    dx = abs(transform.a)
    dy = abs(transform.e)
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
    landcover_legend: Legend | None = None,
    exclude: dict[str, gpd.GeoDataFrame] | None = None,
    distance_limits: list[DistanceLimit] | None = None,
    classes: tuple[int, ...] = (STRICT,),
    max_slope_deg: float = 25.0,
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
        Elevation in metres; land-cover codes.
    landcover_legend : Legend, required with ``landcover``
        What the codes mean (:func:`zoning.io.afforest.read_legend`); never guessed.  A
        raster code the legend does not list is refused.  A parcel is judged by its
        majority cover *class* (cells counted by class, not by code, each cell by its
        centre; a parcel smaller than a cell by the cell under a point inside it; nodata
        cells not counted): it is left out when that class is not plantable, when existing
        forest, water and built-up land together cover more than half of it, or when no
        cell with data lies under it.  Existing forest, water and built-up land are never
        plantable, whatever the legend says.
    exclude : dict name -> GeoDataFrame, optional (default: None)
        Layers where planting is excluded; a parcel overlapping one by more than 1 m² is
        left out.
    distance_limits : list of DistanceLimit, optional (default: None)
    classes : tuple of int, optional (default: (3,))
        Soil classes that qualify (3 strict control).
    max_slope_deg : float, optional (default: 25)
        Steepest mean slope allowed.
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
        dem = as_grid(dem)
        slope = _zonal_mean(m.geometry, (slope_degrees(dem), dem.transform, dem.crs))
        steep = np.flatnonzero(slope > max_slope_deg)
        reject(steep, "slope", v=slope, lim=max_slope_deg)
    frame["slope_deg"] = np.round(slope, 2)
    # land cover, by majority class
    frame["landcover"] = pd.array([None] * n, dtype="string")
    if landcover is not None:
        if landcover_legend is None:
            raise InputError(
                "a land-cover raster was given without its legend; codes mean different "
                "things in different products (50 is built-up in WorldCover, evergreen "
                "broadleaf trees in ESA CCI)",
                field="--landcover-legend",
                fix="pass the legend (zoning.io.afforest.read_legend / --landcover-legend)",
            )
        from zoning.io.afforest import LANDCOVER_CLASSES, NEVER_PLANTABLE, check_codes

        check_codes(landcover[0], landcover_legend)
        major, share, never = _cover_classes(m.geometry, landcover, landcover_legend)
        plantable_cls = {
            c
            for c, p in zip(landcover_legend.classes, landcover_legend.plantable, strict=True)
            if p and c not in NEVER_PLANTABLE
        }
        for i in range(n):
            if major[i] is None:
                reject([i], "no_landcover")
            elif major[i] not in plantable_cls:
                zh_, en_ = LANDCOVER_CLASSES[major[i]]
                codes[i].append("landcover")
                zh[i].append(_reason("landcover", "zh", v=zh_))
                en[i].append(_reason("landcover", "en", v=en_))
            elif never[i] > 0.5:
                reject([i], "landcover_never", v=never[i])
        frame["landcover"] = pd.array(major, dtype="string")
        frame["landcover_share"] = np.round(share, 3)
        frame["landcover_never_share"] = np.round(never, 3)
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
        "landcover_legend": landcover_legend.summary() if landcover_legend is not None else None,
        "landcover_rule": "majority cover class per parcel (cell centres); left out when "
        "that class is not plantable, when forest, water and built-up land cover more than "
        "half, or when no cell has data; forest, water and built-up are never plantable",
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
    grid = as_grid(grid)
    arr, transform, gcrs = grid.read(), grid.transform, grid.crs
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


#: Ecological zones (FAO GEZ, as IPCC 2006/2019 Vol. 4 Ch. 4 name them) that occur in
#: China: key -> (domain, Chinese, English).
ECOZONES: dict[str, tuple[str, str, str]] = {
    "tropical_rainforest": ("tropical", "热带雨林", "tropical rainforest"),
    "tropical_moist": ("tropical", "热带湿润（落叶）林", "tropical moist (deciduous) forest"),
    "tropical_dry": ("tropical", "热带干旱林", "tropical dry forest"),
    "tropical_shrubland": ("tropical", "热带灌丛", "tropical shrubland"),
    "tropical_mountain": ("tropical", "热带山地", "tropical mountain systems"),
    "subtropical_humid": ("subtropical", "亚热带湿润林", "subtropical humid forest"),
    "subtropical_dry": ("subtropical", "亚热带干旱林", "subtropical dry forest"),
    "subtropical_steppe": ("subtropical", "亚热带草原", "subtropical steppe"),
    "subtropical_mountain": ("subtropical", "亚热带山地", "subtropical mountain systems"),
    "temperate_continental": ("temperate", "温带大陆性林", "temperate continental forest"),
    "temperate_mountain": ("temperate", "温带山地", "temperate mountain systems"),
    "temperate_steppe": ("temperate", "温带草原", "temperate steppe"),
    "temperate_desert": ("temperate", "温带荒漠", "temperate desert"),
    "boreal_coniferous": ("boreal", "寒温带针叶林", "boreal coniferous forest"),
    "boreal_tundra_woodland": ("boreal", "寒温带苔原林地", "boreal tundra woodland"),
    "boreal_mountain": ("boreal", "寒温带山地", "boreal mountain systems"),
}
#: Species groups: ``eucalyptus``; ``other`` (every species but Eucalyptus, where Table
#: 4.10 splits them); ``conifer`` and ``broadleaf`` (non-eucalypt broadleaf), which select
#: Table 4.4's planted rows for temperate Asia and Table 4.3's carbon fraction for
#: temperate and boreal forests.
SPECIES = ("eucalyptus", "other", "conifer", "broadleaf")
_LEVEL = {"yes": 2, "single": 1, "no": 0, "user": 1}


def _rows(table, ecozone, quantity):
    zone = table["ecozone"].str.split(";").apply(lambda z: ecozone in z or "all" in z)
    return table[zone & (table["quantity"] == quantity)]


def _pick_growth(table, ecozone, species):
    rows = _rows(table, ecozone, "agb_growth_t_dm_ha_yr")
    rows = rows[rows["table"].isin(["4.10", "4.12"]) & (rows["edition"] == "2019")]
    if rows.empty:
        return None, []
    notes = []
    types = set(rows["forest_type"])
    if types != {"all"}:
        want = {"eucalyptus": "Eucalyptus sp."}.get(species, "other")
        if species is None:
            raise InputError(
                f"IPCC Table 4.10 splits the plantation growth of {ecozone} by species group "
                f"({sorted(types)}): say which",
                field="--species",
                fix="pass --species eucalyptus or --species other (conifer/broadleaf count "
                "as other)",
            )
        pick = rows[rows["forest_type"] == want]
        if pick.empty:
            raise InputError(
                f"IPCC Table 4.10 has no {want} row for {ecozone}; it has {sorted(types)}",
                field="--species",
            )
        rows = pick
    usable = rows[rows["verified"] != "no"]
    if usable.empty:
        raise InputError(
            f"the only Table 4.10 row for {ecozone} / {species} is unverified "
            f"({rows['condition'].iloc[0]})",
            field="--species",
            fix="choose another species group or give --growth",
        )
    rows = usable
    if len(rows) > 1:  # age classes: young plantations (<= 20 y)
        young = rows[rows["condition"].str.contains("<= 20 y")]
        if len(young):
            rows = young
            notes.append("growth: the stand-age <= 20 y row")
    row = rows.iloc[0]
    if row["table"] == "4.12":
        notes.append(
            "growth: IPCC 2019 Table 4.12 only (Table 4.10 has no Asia temperate plantation "
            "row in either edition; the number equals the 2006 Table 4.9 natural-forest "
            "default)"
        )
    return row, notes


def _pick_root_shoot(table, ecozone, species):
    rows = _rows(table, ecozone, "root_shoot_ratio")
    notes = []
    sp = {"conifer": "conifer", "broadleaf": "other broadleaf", "eucalyptus": "other broadleaf"}
    for edition in ("2019", "2006"):
        ed = rows[(rows["edition"] == edition)]
        if ed.empty:
            continue
        types = set(ed["forest_type"])
        if any(t.endswith(("conifer", "other broadleaf")) for t in types):
            if species not in sp:
                raise InputError(
                    f"IPCC Table 4.4 gives {ecozone} root:shoot ratios for conifers and for "
                    "other broadleaf: say which",
                    field="--species",
                    fix="pass --species conifer or --species broadleaf",
                )
            planted = ed[ed["forest_type"] == f"planted {sp[species]}"]
            natural = ed[ed["forest_type"] == f"natural {sp[species]}"]
        elif edition == "2006":
            planted = ed.iloc[0:0]
            natural = ed  # 2006 rows are for all forests of the zone
        else:
            planted = ed[ed["forest_type"] == "planted"]
            natural = ed[ed["forest_type"].isin(["natural", "all"])]
        pick = planted if len(planted) else natural
        if pick.empty:
            continue
        small = pick[pick["condition"].str.contains(r"AGB (?:<=|<) ?(?:125|75|50|20)", regex=True)]
        if len(small):
            pick = small
        row = pick.iloc[0]
        agb = row["condition"].split(";")[0] or "no AGB class"
        if edition == "2006":
            notes.append(
                f"root:shoot: the 2019 Refinement has no Asia row for {ecozone}; the 2006 "
                f"Table 4.4 row for all forests of the zone ({agb}) is used: {row['value']:g}"
            )
        elif row["forest_type"] == "all":
            notes.append(f"root:shoot: one row for all forests of the zone ({agb})")
        elif not row["forest_type"].startswith("planted"):
            notes.append(
                f"root:shoot: IPCC 2019 Table 4.4 has no planted-forest row for {ecozone} "
                f"in Asia; the natural-forest row of the same zone and AGB class ({agb}) "
                f"is used: {row['value']:g}"
            )
        else:
            notes.append(f"root:shoot: planted-forest row, AGB class {agb} (young plantations)")
        if ecozone == "subtropical_steppe":
            notes.append(
                "root:shoot: 2.158 as printed in the Asia cell of 2019 Table 4.4 "
                "('Planted <= 125'); an unusually high ratio: check it before signing"
            )
        return row, notes
    return None, notes


def _pick_carbon(table, ecozone, species):
    domain = ECOZONES[ecozone][0]
    rows = table[(table["quantity"] == "carbon_fraction") & (table["table"] == "4.3")]
    if domain in ("temperate", "boreal") and species in ("conifer", "broadleaf", "eucalyptus"):
        want = "conifers" if species == "conifer" else "broad-leaved"
        pick = rows[
            (rows["climate_zone"] == "Temperate and boreal") & (rows["forest_type"] == want)
        ]
        if len(pick):
            return pick.iloc[0], [f"carbon fraction: Table 4.3 temperate/boreal {want}"]
    pick = rows[rows["climate_zone"] == "Default"]
    return pick.iloc[0], ["carbon fraction: Table 4.3 default for all forests"]


def removal_factors(
    *,
    ecozone: str | None = None,
    species: str | None = None,
    growth_t_dm_ha_yr: float | None = None,
    root_shoot: float | None = None,
    carbon_fraction: float | None = None,
    table: pd.DataFrame | None = None,
) -> dict:
    """The Tier 1 factors of an ecological zone and the removal rate in t CO2/ha/yr.

    Parameters
    ----------
    ecozone : str
        A key of :data:`ECOZONES` (no default: there is no ecological-zone map to derive
        it from, so it is never guessed).
    species : {"eucalyptus", "other", "conifer", "broadleaf"}, optional (default: None)
        Needed where the tables split by species group (an error says so).
    growth_t_dm_ha_yr, root_shoot, carbon_fraction : float, optional (default: None)
        User values that override the table's (marked ``user``).
    table : DataFrame, optional (default: the bundled ``zoning/data/ipcc_tier1_china.csv``)

    Returns
    -------
    dict
        The three factors with, for each, its table, edition, row, sources and
        ``verified`` level; ``verified`` overall (the weakest of the three), ``notes``
        (fallbacks and where each value comes from), the rate and the formula
        ``G x (1 + R) x CF x 44/12``.
    """
    if ecozone is None:
        raise InputError(
            "no ecological zone: the IPCC Tier 1 factors depend on it and there is no "
            "zone map to derive it from",
            field="--ecozone",
            fix="pass --ecozone NAME (e.g. subtropical_humid; `zoning afforest --help` lists "
            f"the {len(ECOZONES)} zones) or --ecozone-layer",
        )
    if ecozone not in ECOZONES:
        raise InputError(
            f"`ecozone` was '{ecozone}' but is expected in {list(ECOZONES)}",
            field="--ecozone",
        )
    if species is not None and species not in SPECIES:
        raise InputError(
            f"`species` was '{species}' but is expected in {list(SPECIES)}", field="--species"
        )
    if table is None:
        from zoning.io.afforest import read_tier1

        table = read_tier1()
    notes: list[str] = []
    parts: dict[str, dict] = {}

    def record(name, row, user_value):
        if user_value is not None:
            parts[name] = {"value": float(user_value), "source": "user", "verified": "user"}
            return float(user_value)
        parts[name] = {
            "value": float(row["value"]),
            "table": f"IPCC {row['edition']} Vol. 4 Ch. 4 Table {row['table']}",
            "ecological_zone": str(row.get("ecological_zone", "")),
            "forest_type": row["forest_type"],
            "condition": row["condition"],
            "sources": str(row.get("sources", "")),
            "verified": str(row.get("verified", "")),
        }
        return float(row["value"])

    g_row = r_row = None
    if growth_t_dm_ha_yr is None:
        g_row, n = _pick_growth(table, ecozone, species)
        if g_row is None:
            raise InputError(
                f"IPCC Tables 4.10 and 4.12 give no plantation growth for {ecozone} in Asia",
                field="--ecozone",
                fix="give a measured or published growth rate with --growth (t d.m./ha/yr)",
            )
        notes += n
    if root_shoot is None:
        r_row, n = _pick_root_shoot(table, ecozone, species)
        if r_row is None:
            raise InputError(
                f"IPCC Table 4.4 gives no root:shoot ratio for {ecozone} (2006: no estimate "
                "available)",
                field="--ecozone",
                fix="give one with --root-shoot",
            )
        notes += n
    cf_row, n = _pick_carbon(table, ecozone, species)
    if carbon_fraction is None:
        notes += n
    g = record("growth", g_row, growth_t_dm_ha_yr)
    rs = record("root_shoot", r_row, root_shoot)
    cf = record("carbon_fraction", cf_row, carbon_fraction)
    for name, v in (("growth", g), ("root_shoot", rs), ("carbon_fraction", cf)):
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"{name} was {v} but must be a number >= 0", field=name)
    levels = [parts[k]["verified"] for k in ("growth", "root_shoot", "carbon_fraction")]
    overall = min(levels, key=lambda v: _LEVEL.get(v, 0))
    rate = g * (1.0 + rs) * cf * CO2_PER_C
    return {
        "ecozone": ecozone,
        "ecozone_zh": ECOZONES[ecozone][1],
        "ecozone_en": ECOZONES[ecozone][2],
        "species": species,
        "agb_growth_t_dm_ha_yr": g,
        "root_shoot": rs,
        "carbon_fraction": cf,
        "co2_per_c": round(CO2_PER_C, 6),
        "removal_t_co2_ha_yr": rate,
        "formula": "G x (1 + R) x CF x 44/12",
        "factors": parts,
        "verified": overall,
        "notes": notes,
    }


def assign_ecozones(
    patches: gpd.GeoDataFrame, /, layer: gpd.GeoDataFrame, *, field: str = "ecozone"
) -> np.ndarray:
    """The ecological zone of each patch from a zone layer: the zone covering most of it.

    ``layer[field]`` holds :data:`ECOZONES` keys.  A patch that no zone touches is refused
    (the zone is never guessed), as are values that are no zone key.
    """
    if field not in layer.columns:
        raise SchemaError(
            f"the ecological-zone layer has no column '{field}'; it has "
            f"{[c for c in layer.columns if c != layer.geometry.name]}",
            field="--ecozone-field",
            fix="name the column holding the zone keys with --ecozone-field",
        )
    keys = layer[field].astype("string").str.strip().str.lower()
    bad = sorted(set(keys.dropna()) - set(ECOZONES)) + (["(empty)"] if keys.isna().any() else [])
    if bad:
        raise SchemaError(
            f"the ecological-zone layer holds {bad[:10]}, which are no zone keys",
            field=field,
            fix=f"use the keys {list(ECOZONES)}",
        )
    crs = _metric_crs(patches)
    pg = patches.to_crs(crs).geometry.values
    lg = layer.to_crs(crs).geometry.values
    pi, li = shapely.STRtree(lg).query(pg, predicate="intersects")
    out = np.full(len(pg), None, dtype=object)
    if len(pi):
        area = shapely.area(shapely.intersection(pg[pi], lg[li]))
        df = pd.DataFrame({"p": pi, "k": keys.to_numpy()[li], "a": area})
        tot = df.groupby(["p", "k"])["a"].sum().reset_index()
        tot = tot.sort_values(["p", "a", "k"], ascending=[True, False, True])
        first = tot.drop_duplicates("p")
        first = first[first["a"] > 0]
        out[first["p"].to_numpy()] = first["k"].to_numpy()
    missing = [str(i) for i, z in zip(patches["patch_id"], out, strict=True) if z is None]
    if missing:
        raise InputError(
            f"{len(missing)} patch(es) lie outside every zone of the ecological-zone layer "
            f"({', '.join(missing[:10])})",
            field="--ecozone-layer",
            fix="give a zone layer that covers every candidate patch, or one --ecozone",
        )
    return out


def estimate_sink(
    patches: gpd.GeoDataFrame,
    /,
    *,
    rate_t_co2_ha_yr: float | None = None,
    horizon_years: float = 20.0,
    factors: dict | None = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Carbon sink of each patch per year and over ``horizon_years``.

    ``factors`` come from :func:`removal_factors` (one zone), or map ecological-zone keys
    to such dicts, the patches then carrying ``ecozone`` (see :func:`assign_ecozones`).
    ``rate_t_co2_ha_yr`` is a user rate instead.  Without either the sink is refused:
    the Tier 1 factors depend on the ecological zone, which is never guessed.
    """
    if not horizon_years > 0:
        raise InputError(f"horizon_years was {horizon_years} but must be > 0", field="horizon")
    out = patches.copy()
    if rate_t_co2_ha_yr is not None:
        if not rate_t_co2_ha_yr >= 0:
            raise InputError("the removal rate must be >= 0", field="rate_t_co2_ha_yr")
        base = dict(factors) if factors and "removal_t_co2_ha_yr" in factors else {}
        f = {**base, "removal_t_co2_ha_yr": float(rate_t_co2_ha_yr), "formula": "user rate"}
        f["verified"] = "user"
        rate = np.full(len(out), float(rate_t_co2_ha_yr))
    elif not factors:
        removal_factors()  # raises: no ecological zone
        raise AssertionError("unreachable")
    elif "removal_t_co2_ha_yr" in factors:
        f = dict(factors)
        rate = np.full(len(out), float(f["removal_t_co2_ha_yr"]))
        if f.get("ecozone"):
            out["ecozone"] = f["ecozone"]
    else:
        if "ecozone" not in out.columns:
            raise InputError(
                "factors are given per ecological zone but the patches have no ecozone",
                field="--ecozone-layer",
            )
        zones = out["ecozone"].astype(str).to_numpy()
        missing = sorted(set(zones) - set(factors))
        if missing:
            raise InputError(f"no factors for the ecological zone(s) {missing}", field="--ecozone")
        rate = np.array([factors[z]["removal_t_co2_ha_yr"] for z in zones], dtype="float64")
        used = {z: factors[z] for z in sorted(set(zones))}
        levels = [v.get("verified", "") for v in used.values()]
        f = {
            "by_ecozone": used,
            "verified": min(levels, key=lambda v: _LEVEL.get(v, 0)),
            "formula": "G x (1 + R) x CF x 44/12",
            "notes": [f"{z}: {n}" for z, v in used.items() for n in v.get("notes", [])],
        }
    out["removal_t_co2_ha_yr"] = np.round(rate, 4)
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
    ecozone_layer: gpd.GeoDataFrame | None = None,
    ecozone_field: str = "ecozone",
    factor_options: dict | None = None,
) -> SitingResult:
    """Candidates, sink and selection in one call.

    ``candidates`` are keyword arguments of :func:`find_candidates`, ``selection`` those
    of :func:`select_sites` (besides the budget).  Returns patches (with ``selected``),
    every parcel (with ``candidate``, ``reason``, ``patch_id``, ``selected``), the
    :class:`~zoning.optimize.Selection` and a JSON-able summary.

    ``factors`` are those of one ecological zone (:func:`removal_factors`); with
    ``ecozone_layer`` each patch takes the zone covering most of it and the factors of
    that zone (``factor_options``: keyword arguments of :func:`removal_factors` besides
    the zone).  Without either (and without a user rate) the sink is refused.
    """
    if ecozone_layer is not None and factors is not None:
        raise InputError(
            "give one ecological zone or a zone layer, not both",
            field="--ecozone/--ecozone-layer",
        )
    cand = find_candidates(parcels, **(candidates or {}))
    if cand.patches.empty:
        raise InputError(
            "no candidate patch: every parcel was left out (see the reasons)",
            fix="relax the filters (slope, land cover, minimum area) or check the soil classes",
        )
    patches_in = cand.patches
    if ecozone_layer is not None:
        patches_in = patches_in.copy()
        patches_in["ecozone"] = assign_ecozones(patches_in, ecozone_layer, field=ecozone_field)
        factors = {
            z: removal_factors(ecozone=z, **(factor_options or {}))
            for z in sorted(set(patches_in["ecozone"]))
        }
    patches, f = estimate_sink(
        patches_in,
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
        "factors_verified": f.get("verified", ""),
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
