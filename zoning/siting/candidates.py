"""Candidate patches for afforestation and the reason every other parcel is left out.

Strict-control parcels (GB 15618-2018 classes from :func:`zoning.soil.classify_soil`),
optionally with other polluted plots, filtered by slope (from a DEM), land cover
(majority class under a legend that is never guessed), excluded layers (e.g. red line,
water protection) and distance limits; neighbouring survivors (within ``merge_gap_m``)
are merged into patches, and patches below ``min_patch_area_ha`` are dropped.  Every
parcel that is not in a patch carries its reasons (codes and Chinese/English text).
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
from zoning.io.afforest import Legend
from zoning.progress import step
from zoning.sampling import as_grid
from zoning.siting.cover import Grid, _cover_classes, _people_near, _zonal_mean, slope_degrees
from zoning.soil import STRICT

log = logging.getLogger(__name__)

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


def _metric_crs(frame: gpd.GeoDataFrame):
    return metric_crs(frame, "the parcels")


def _reason(code: str, lang: str, **kw) -> str:
    zh, en = REASONS[code]
    return (zh if lang == "zh" else en).format(**kw)


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
    _check_options(parcels, min_patch_area_ha, merge_gap_m, max_slope_deg)
    with step("afforestation candidates", total=len(parcels)) as progress:
        crs = _metric_crs(parcels)
        frame = _plots(parcels, extra_plots, id_column)
        m = frame.to_crs(crs) if CRS.from_user_input(frame.crs) != crs else frame
        geoms = m.geometry
        # areas on the ellipsoid (equal-area CRS); distances and adjacency in the metric
        # CRS to the square metre (1e-4 ha), the figure filters and budgets then use
        area_ha = np.round(frame.to_crs(EQUAL_AREA).geometry.area.to_numpy() / 1e4, 4)
        frame["area_ha"] = area_ha
        why = _Reasons(len(frame))
        _by_soil(frame, classes, why)
        frame["slope_deg"] = np.round(_by_slope(geoms, dem, max_slope_deg, why), 2)
        _by_landcover(frame, geoms, landcover, landcover_legend, why)
        _by_exclusion(geoms, exclude, crs, why)
        _by_distance(geoms, distance_limits, crs, why)
        patch_of = _merge(geoms, area_ha, why, merge_gap_m, min_patch_area_ha)
        frame["candidate"] = patch_of >= 0
        frame["reason"] = [",".join(c) for c in why.codes]
        frame["reason_zh"] = ["；".join(z) for z in why.zh]
        frame["reason_en"] = ["; ".join(e) for e in why.en]
        patches, pid = _patches(frame, m, patch_of, id_column)
        frame["patch_id"] = pid
        if population is not None and len(patches):
            patches["population_nearby"] = _people_near(
                patches, population, population_buffer_m, crs
            )
        progress.advance(len(frame))
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
        len(frame),
        len(patches),
    )
    return Candidates(patches, frame, params)


class _Reasons:
    """Why each plot is left out: codes and Chinese/English texts, per plot."""

    def __init__(self, n: int):
        self.codes: list[list[str]] = [[] for _ in range(n)]
        self.zh: list[list[str]] = [[] for _ in range(n)]
        self.en: list[list[str]] = [[] for _ in range(n)]

    def add(self, i: int, code: str, zh: str, en: str) -> None:
        self.codes[i].append(code)
        self.zh[i].append(zh)
        self.en[i].append(en)

    def reject(self, rows, code: str, **kw) -> None:
        """Leave out ``rows`` for ``code``; array values in ``kw`` are taken per row."""
        for i in rows:
            kwi = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
            self.add(i, code, _reason(code, "zh", **kwi), _reason(code, "en", **kwi))

    def ok(self) -> np.ndarray:
        return np.array([not c for c in self.codes], dtype=bool)


def _check_options(parcels, min_patch_area_ha, merge_gap_m, max_slope_deg) -> None:
    if "soil_class" not in parcels.columns:
        raise SchemaError(
            "the parcels have no soil_class column",
            field="soil_class",
            fix="classify them first (zoning.soil.classify_soil, or pass `samples`)",
        )
    if not (min_patch_area_ha >= 0 and merge_gap_m >= 0 and max_slope_deg > 0):
        raise InputError(
            "`min_patch_area_ha` and `merge_gap_m` must be >= 0 and `max_slope_deg` > 0",
            param="min_patch_area_ha",
        )


def _plots(parcels, extra_plots, id_column) -> gpd.GeoDataFrame:
    """The parcels (``source`` farmland) and the extra plots (``polluted_plot``), with ids."""
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
    return frame.reset_index(drop=True)


def _by_soil(frame, classes, why: _Reasons) -> None:
    """Farmland whose soil class is unknown or does not qualify."""
    from zoning.soil import class_label

    cls = pd.to_numeric(frame["soil_class"], errors="coerce").fillna(0).astype(int).to_numpy()
    farm = (frame["source"] == "farmland").to_numpy()
    why.reject(np.flatnonzero(farm & (cls == 0)), "unclassified")
    wrong = farm & (cls != 0) & ~np.isin(cls, classes)
    labels_zh = np.array([class_label(c, "zh") for c in cls], dtype=object)
    labels_en = np.array([class_label(c, "en") for c in cls], dtype=object)
    for i in np.flatnonzero(wrong):
        why.add(
            i,
            "not_strict",
            _reason("not_strict", "zh", v=labels_zh[i]),
            _reason("not_strict", "en", v=labels_en[i]),
        )


def _by_slope(geoms, dem: Grid | None, max_slope_deg: float, why: _Reasons) -> np.ndarray:
    """Mean slope of each plot (NaN without a DEM); steeper ones are left out."""
    slope = np.full(len(geoms), np.nan)
    if dem is not None:
        dem = as_grid(dem)
        slope = _zonal_mean(geoms, (slope_degrees(dem), dem.transform, dem.crs))
        steep = np.flatnonzero(slope > max_slope_deg)
        why.reject(steep, "slope", v=slope, lim=max_slope_deg)
    return slope


def _by_landcover(frame, geoms, landcover, legend, why: _Reasons) -> None:
    """The majority cover class of each plot; plots not plantable are left out."""
    n = len(frame)
    frame["landcover"] = pd.array([None] * n, dtype="string")
    if landcover is None:
        return
    if legend is None:
        raise InputError(
            "a land-cover raster was given without its legend; codes mean different "
            "things in different products (50 is built-up in WorldCover, evergreen "
            "broadleaf trees in ESA CCI)",
            param="landcover_legend",
            fix="pass the legend (zoning.io.afforest.read_legend) as `landcover_legend`",
        )
    from zoning.io.afforest import LANDCOVER_CLASSES, NEVER_PLANTABLE, check_codes

    check_codes(landcover[0], legend)
    major, share, never = _cover_classes(geoms, landcover, legend)
    plantable_cls = {
        c
        for c, p in zip(legend.classes, legend.plantable, strict=True)
        if p and c not in NEVER_PLANTABLE
    }
    for i in range(n):
        if major[i] is None:
            why.reject([i], "no_landcover")
        elif major[i] not in plantable_cls:
            zh_, en_ = LANDCOVER_CLASSES[major[i]]
            why.add(
                i,
                "landcover",
                _reason("landcover", "zh", v=zh_),
                _reason("landcover", "en", v=en_),
            )
        elif never[i] > 0.5:
            why.reject([i], "landcover_never", v=never[i])
    frame["landcover"] = pd.array(major, dtype="string")
    frame["landcover_share"] = np.round(share, 3)
    frame["landcover_never_share"] = np.round(never, 3)


def _by_exclusion(geoms, exclude, crs, why: _Reasons) -> None:
    """Plots overlapping an excluded layer by more than 1 m²."""
    n = len(geoms)
    for name, layer in (exclude or {}).items():
        if layer is None or not len(layer):
            continue
        lay = layer.to_crs(crs)
        pi, li = lay.sindex.query(geoms, predicate="intersects")
        if len(pi):
            inter = shapely.area(shapely.intersection(geoms.values[pi], lay.geometry.values[li]))
            over = np.zeros(n)
            np.add.at(over, pi, inter)
            why.reject(np.flatnonzero(over > 1.0), "excluded", v=name)


def _by_distance(geoms, distance_limits, crs, why: _Reasons) -> None:
    """Plots too far from or too close to a layer."""
    for lim in distance_limits or []:
        lay = lim.layer.to_crs(crs)
        union = shapely.union_all(lay.geometry.values)
        d = shapely.distance(geoms.values, union)
        if lim.max_m is not None:
            why.reject(np.flatnonzero(d > lim.max_m), "too_far", v=lim.name, d=d, lim=lim.max_m)
        if lim.min_m is not None:
            why.reject(np.flatnonzero(d < lim.min_m), "too_close", v=lim.name, d=d, lim=lim.min_m)


def _merge(geoms, area_ha, why: _Reasons, merge_gap_m, min_patch_area_ha) -> np.ndarray:
    """The patch number of each surviving plot (neighbours within ``merge_gap_m`` form one
    patch; patches below ``min_patch_area_ha`` are left out), -1 for the others."""
    n = len(geoms)
    patch_of = np.full(n, -1)
    keep_idx = np.flatnonzero(why.ok())
    if not len(keep_idx):
        return patch_of
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
    why.reject(keep_idx[small], "small_patch", v=patch_area, lim=min_patch_area_ha)
    patch_of[keep_idx[small]] = -1
    return patch_of


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
