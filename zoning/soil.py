"""Soil classes of farmland per GB 15618-2018, for samples and for parcels.

A sample is *priority protection* (优先保护类) when every metal is at or below its risk
screening value, *safe utilisation* (安全利用类) when some metal is above its screening
value but none above its intervention value, and *strict control* (严格管控类) when any
metal is above its intervention value.  Values depend on the pH band and on the land use
(paddy 水田, other 其他; orchard 果园 for Cu; paddy/dry rotation takes the paddy values).

A parcel takes the worst class of the samples inside it.  A parcel without samples gets
pH and metal contents interpolated at its representative point by inverse distance
weighting (IDW) of the ``k`` nearest samples within ``max_distance_m``, and is classified
from them; the nearest and farthest distances used are reported.  Without any sample in
reach it is ``unknown``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from zoning.errors import SchemaError
from zoning.geo import metric_crs
from zoning.i18n import SOIL_CLASSES as SOIL_CLASSES  # re-exported
from zoning.progress import step

log = logging.getLogger(__name__)

#: Metals of GB 15618-2018 Table 1 (basic items); the first five have intervention values.
METALS: tuple[str, ...] = ("Cd", "Hg", "As", "Pb", "Cr", "Cu", "Ni", "Zn")
REQUIRED_METALS: tuple[str, ...] = ("Cd", "Hg", "As", "Pb", "Cr")
#: Upper edges of the pH bands: pH <= 5.5, 5.5 < pH <= 6.5, 6.5 < pH <= 7.5, pH > 7.5.
PH_EDGES: tuple[float, float, float] = (5.5, 6.5, 7.5)

UNKNOWN, PRIORITY, SAFE, STRICT = 0, 1, 2, 3

LandUse = Literal["paddy", "other", "orchard", "rotation"]
_LAND_ALIASES = {
    "paddy": "paddy",
    "水田": "paddy",
    "rice": "paddy",
    "rotation": "paddy",
    "水旱轮作": "paddy",
    "other": "other",
    "其他": "other",
    "旱地": "other",
    "dry": "other",
    "upland": "other",
    "水浇地": "other",
    "菜地": "other",
    "orchard": "orchard",
    "果园": "orchard",
}
_TABLE_LAND = {"水田": "paddy", "其他": "other", "果园": "orchard", "all": "all"}


@dataclass(frozen=True)
class SoilResult:
    """Classified samples and (when parcels were given) parcels."""

    samples: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame | None

    def metadata(self) -> dict:
        """The standard, the classes, the parcel rule, the interpolation and the counts
        (what the written layers carry as metadata)."""
        parcels = self.parcels if self.parcels is not None else self.samples
        meta = {
            "standard": "GB 15618-2018 Table 1 (screening) and Table 3 (intervention), mg/kg",
            "classes": {
                str(c): {"key": key, "zh": zh, "en": en}
                for c, (key, zh, en, _) in SOIL_CLASSES.items()
            },
            "parcel_rule": "worst class of the samples inside; else inverse-distance "
            "interpolation of pH and contents at the parcel's representative point",
            "idw": parcels.attrs.get("idw", {}),
            "counts": parcels["soil_class_key"].value_counts().to_dict(),
        }
        if "class_method" in parcels.columns:
            meta["methods"] = parcels["class_method"].value_counts().to_dict()
        return meta


def class_label(code: int, lang: str = "zh") -> str:
    """Label of a soil class code in Chinese or English."""
    key, zh, en, _ = SOIL_CLASSES.get(int(code), SOIL_CLASSES[UNKNOWN])
    return zh if lang == "zh" else en


# --- limits -------------------------------------------------------------------------


def _limits(table: pd.DataFrame) -> tuple[dict, dict]:
    """screening[(metal, land)] -> 4 values; intervention[metal] -> 4 values."""
    screening: dict[tuple[str, str], np.ndarray] = {}
    intervention: dict[str, np.ndarray] = {}
    bands = [c for c in table.columns if c not in ("table", "element", "land_use")]
    for i, row in table.iterrows():
        values = pd.to_numeric(row[bands], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(values).any() or (values <= 0).any():
            raise SchemaError(
                f"limit values {list(row[bands])} are not positive numbers",
                row=i + 1,
                fix="check the limits table",
            )
        land = _TABLE_LAND.get(str(row["land_use"]).strip())
        if land is None:
            raise SchemaError(
                f"land use '{row['land_use']}' is not one of {list(_TABLE_LAND)}",
                row=i + 1,
                field="land_use",
            )
        metal = str(row["element"]).strip()
        if str(row["table"]).startswith("T1"):
            if land == "all":
                for lu in ("paddy", "other", "orchard"):
                    screening[(metal, lu)] = values
            else:
                screening[(metal, land)] = values
        else:
            intervention[metal] = values
    for metal in METALS:  # Table 1 rows 其他 cover every land use it does not name
        for lu in ("paddy", "orchard"):
            if (metal, lu) not in screening and (metal, "other") in screening:
                screening[(metal, lu)] = screening[(metal, "other")]
    return screening, intervention


# --- columns and checks ----------------------------------------------------------------


def _find_column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _metal_columns(frame: pd.DataFrame) -> dict[str, str]:
    found = {}
    for m in METALS:
        col = _find_column(frame, (m, f"{m}_mg_kg", f"{m}_mgkg"))
        if col is not None:
            found[m] = col
    return found


def _land_codes(frame: pd.DataFrame, default: str, source: str, problems: list[str]):
    col = _find_column(frame, ("land_use", "landuse", "土地利用", "用地类型"))
    if col is None:
        return np.full(len(frame), default, dtype=object), None
    raw = frame[col].astype("string").str.strip().str.lower()
    mapped = raw.map(lambda v: _LAND_ALIASES.get(v) if isinstance(v, str) else None)
    missing = raw.isna()
    out = mapped.astype(object).where(~missing, default).to_numpy()
    bad = np.flatnonzero(pd.isna(out))
    for i in bad[:20]:
        problems.append(
            f"row {i + 1}: land use '{frame[col].iloc[i]}' is not one of "
            f"{sorted(set(_LAND_ALIASES))}"
        )
    return out, col


def _metric_crs(frame: gpd.GeoDataFrame):
    return metric_crs(frame, "the layer")


def _check_samples(samples: gpd.GeoDataFrame, default_land: str):
    problems: list[str] = []
    source = samples.attrs.get("source")  # set by the readers
    metals = _metal_columns(samples)
    missing = [m for m in REQUIRED_METALS if m not in metals]
    if missing:
        raise SchemaError(
            f"soil samples lack the metal column(s) {missing}; they have "
            f"{[c for c in samples.columns if c != samples.geometry.name]}",
            source=source,
            field=missing[0],
            fix="name the columns Cd, Hg, As, Pb, Cr (mg/kg), optionally Cu, Ni, Zn",
        )
    ph_col = _find_column(samples, ("pH", "ph", "ph_value"))
    if ph_col is None:
        raise SchemaError(
            "soil samples lack a pH column", source=source, field="pH", fix="add a column named pH"
        )
    ph = pd.to_numeric(samples[ph_col], errors="coerce").to_numpy(dtype="float64")
    for i in np.flatnonzero(~((ph >= 0) & (ph <= 14)))[:20]:
        problems.append(f"row {i + 1}: pH '{samples[ph_col].iloc[i]}' is not a number in 0..14")
    values = {}
    for m, col in metals.items():
        v = pd.to_numeric(samples[col], errors="coerce").to_numpy(dtype="float64")
        text_bad = samples[col].notna().to_numpy() & np.isnan(v)
        for i in np.flatnonzero(text_bad | (v < 0))[:20]:
            problems.append(
                f"row {i + 1}: {m} '{samples[col].iloc[i]}' is not a non-negative number (mg/kg)"
            )
        values[m] = v
    land, _ = _land_codes(samples, default_land, "samples", problems)
    none_assessed = np.all([np.isnan(values[m]) for m in REQUIRED_METALS], axis=0)
    for i in np.flatnonzero(none_assessed)[:20]:
        problems.append(f"row {i + 1}: no value for any of {list(REQUIRED_METALS)}")
    if problems:
        raise SchemaError(
            f"{len(problems)} problem(s) in the soil samples: " + "; ".join(problems[:20]),
            source=source,
            field=None,
            fix="correct the rows listed (pH 0..14, contents in mg/kg, land use "
            "paddy/other/orchard/rotation or 水田/其他/果园/水旱轮作)",
        )
    return ph, values, land


# --- classification --------------------------------------------------------------------


def _classify(ph, values: dict[str, np.ndarray], land, screening, intervention):
    """Per-row class code, exceedance lists and the worst ratio to a screening value."""
    n = len(ph)
    band = np.digitize(ph, PH_EDGES, right=True)  # 5.5 -> 0, 5.51 -> 1, 7.5 -> 2, 7.51 -> 3
    cls = np.full(n, PRIORITY, dtype="int64")
    over_s = [[] for _ in range(n)]
    over_i = [[] for _ in range(n)]
    worst_ratio = np.zeros(n)
    worst_metal = np.full(n, "", dtype=object)
    for m, v in values.items():
        s = np.full(n, np.nan)
        for lu in ("paddy", "other", "orchard"):
            sel = land == lu
            if sel.any() and (m, lu) in screening:
                s[sel] = screening[(m, lu)][band[sel]]
        ratio = np.where(np.isnan(v) | np.isnan(s), 0.0, v / s)
        better = ratio > worst_ratio
        worst_ratio = np.where(better, ratio, worst_ratio)
        worst_metal = np.where(better, m, worst_metal)
        above_s = v > s  # NaN compares False: a missing value is not an exceedance
        cls = np.where(above_s, np.maximum(cls, SAFE), cls)
        for i in np.flatnonzero(above_s):
            over_s[i].append(m)
        if m in intervention:
            above_i = v > intervention[m][band]
            cls = np.where(above_i, STRICT, cls)
            for i in np.flatnonzero(above_i):
                over_i[i].append(m)
    return (
        band,
        cls,
        [",".join(x) for x in over_s],
        [",".join(x) for x in over_i],
        worst_ratio,
        worst_metal,
    )


def _attach(frame, band, cls, over_s, over_i, ratio, metal):
    frame["ph_band"] = band
    frame["soil_class"] = cls
    frame["soil_class_key"] = [SOIL_CLASSES[c][0] for c in cls]
    frame["soil_class_zh"] = [SOIL_CLASSES[c][1] for c in cls]
    frame["soil_class_en"] = [SOIL_CLASSES[c][2] for c in cls]
    frame["exceeds_screening"] = over_s
    frame["exceeds_intervention"] = over_i
    frame["max_ratio_screening"] = np.round(ratio, 4)
    frame["max_ratio_metal"] = metal
    return frame


def classify_soil(
    samples: gpd.GeoDataFrame,
    /,
    parcels: gpd.GeoDataFrame | None = None,
    *,
    default_land_use: LandUse = "paddy",
    max_distance_m: float = 2000.0,
    k: int = 8,
    power: float = 2.0,
    limits: pd.DataFrame | None = None,
) -> SoilResult:
    """Classify soil samples, and parcels from them, per GB 15618-2018.

    Parameters
    ----------
    samples : GeoDataFrame
        Points with ``pH``, ``Cd``, ``Hg``, ``As``, ``Pb``, ``Cr`` (mg/kg; optionally
        ``Cu``, ``Ni``, ``Zn``; names case-insensitive, ``_mg_kg`` suffix allowed) and
        optionally ``land_use`` (paddy/other/orchard/rotation or 水田/其他/果园/水旱轮作).
        A missing value of one metal leaves that metal unassessed.
    parcels : GeoDataFrame, optional (default: None)
        Farmland polygons, optionally with ``land_use``; every parcel is returned.
    default_land_use : {"paddy", "other", "orchard", "rotation"}, optional (default: "paddy")
        Land use where none is given; paddy has the stricter Cd/Hg/As values.
    max_distance_m : float, optional (default: 2000)
        Farthest sample used to interpolate a parcel without samples.
    k : int, optional (default: 8)
        Number of nearest samples used by the interpolation.
    power : float, optional (default: 2)
        Inverse-distance power.
    limits : DataFrame, optional (default: None)
        A limits table like :func:`zoning.io.afforest.read_gb15618` returns (the bundled
        GB 15618-2018 table when None).

    Returns
    -------
    SoilResult
        ``samples`` with ``ph_band`` (0-3), ``soil_class`` (1 priority, 2 safe,
        3 strict), its key and labels, ``exceeds_screening``, ``exceeds_intervention``,
        ``max_ratio_screening`` and ``max_ratio_metal``; ``parcels`` (or None) with the
        same plus ``class_method`` (``samples``, ``idw`` or ``none``), ``n_samples``,
        ``idw_n``, ``idw_nearest_m``, ``idw_farthest_m``.
    """
    if default_land_use not in ("paddy", "other", "orchard", "rotation"):
        raise SchemaError(
            f"`default_land_use` was '{default_land_use}' but is expected in "
            "['paddy', 'other', 'orchard', 'rotation']",
            param="default_land_use",
        )
    if not (max_distance_m > 0 and k >= 1 and power > 0):
        raise SchemaError(
            "`max_distance_m` and `power` must be > 0 and `k` >= 1", param="max_distance_m"
        )
    if limits is None:
        from zoning.io.afforest import read_gb15618

        limits = read_gb15618()
    screening, intervention = _limits(limits)
    default = _LAND_ALIASES[default_land_use]
    ph, values, land = _check_samples(samples, default)
    out = samples.copy()
    _attach(out, *_classify(ph, values, land, screening, intervention))
    if parcels is None:
        return SoilResult(out, None)
    with step("soil classes of parcels", total=len(parcels)) as progress:
        classified = _classify_parcels(
            parcels, out, ph, values, default, screening, intervention, max_distance_m, k, power
        )
        progress.advance(len(parcels))
    return SoilResult(out, classified)


def _classify_parcels(
    parcels, samples, ph, values, default, screening, intervention, max_distance_m, k, power
):
    crs = _metric_crs(parcels)
    p = parcels.to_crs(crs) if parcels.crs != crs else parcels
    s = samples.to_crs(crs) if samples.crs != crs else samples
    n = len(p)
    out = parcels.copy()
    geoms_p = p.geometry.reset_index(drop=True)
    pts = s.geometry.reset_index(drop=True)
    # samples inside parcels: worst class wins
    left, right = geoms_p.sindex.query(pts, predicate="intersects") if len(pts) else ([], [])
    # query(pts) returns (input idx = sample, tree idx = parcel); a sample on a shared
    # boundary counts for both parcels
    sample_idx, parcel_idx = np.asarray(left, dtype=int), np.asarray(right, dtype=int)
    cls_s = samples["soil_class"].to_numpy()
    cls = np.zeros(n, dtype="int64")
    np.maximum.at(cls, parcel_idx, cls_s[sample_idx])
    count = np.bincount(parcel_idx, minlength=n)
    over_s = [set() for _ in range(n)]
    over_i = [set() for _ in range(n)]
    ratio = np.zeros(n)
    metal = np.full(n, "", dtype=object)
    ex_s = samples["exceeds_screening"].to_numpy()
    ex_i = samples["exceeds_intervention"].to_numpy()
    r_s = samples["max_ratio_screening"].to_numpy()
    m_s = samples["max_ratio_metal"].to_numpy()
    for si, pi in zip(sample_idx, parcel_idx, strict=True):
        over_s[pi].update(x for x in ex_s[si].split(",") if x)
        over_i[pi].update(x for x in ex_i[si].split(",") if x)
        if r_s[si] > ratio[pi]:
            ratio[pi], metal[pi] = r_s[si], m_s[si]
    method = np.where(count > 0, "samples", "none").astype(object)
    band = np.full(n, -1, dtype="int64")
    idw_n = np.zeros(n, dtype="int64")
    near = np.full(n, np.nan)
    far = np.full(n, np.nan)
    todo = np.flatnonzero(count == 0)
    if len(todo) and len(pts):
        xy_s = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        # samples or parcels without a usable geometry take no part (their rows stay)
        s_map = np.flatnonzero(np.isfinite(xy_s).all(axis=1))
        xy_s = xy_s[s_map]
        rp = geoms_p.iloc[todo].representative_point()
        xy_p = np.column_stack([rp.x.to_numpy(), rp.y.to_numpy()])
        placed = np.isfinite(xy_p).all(axis=1)
        todo, xy_p = todo[placed], xy_p[placed]
    if len(todo) and len(pts) and len(xy_s):
        kk = min(k, len(xy_s))
        dist, idx = cKDTree(xy_s).query(xy_p, k=kk, distance_upper_bound=max_distance_m)
        dist = dist.reshape(len(todo), kk)
        idx = idx.reshape(len(todo), kk)
        ok = np.isfinite(dist)
        reach = ok.any(axis=1)
        if reach.any():
            d = np.where(ok, np.maximum(dist, 1e-9), np.inf)
            w = np.where(ok, 1.0 / d**power, 0.0)
            exact = ok & (dist < 1e-9)
            w = np.where(exact.any(axis=1, keepdims=True), exact.astype(float), w)
            safe_idx = np.where(ok, s_map[np.where(ok, idx, 0)], 0)
            land_p, _ = _land_codes(p.iloc[todo], default, "parcels", [])
            land_p = np.where(pd.isna(land_p), default, land_p)
            ph_i = _idw(ph, safe_idx, w)
            vals_i = {m: _idw(v, safe_idx, w) for m, v in values.items()}
            sub = reach
            b, c, os_, oi, r, mm = _classify(
                ph_i[sub],
                {m: v[sub] for m, v in vals_i.items()},
                land_p[sub],
                screening,
                intervention,
            )
            rows = todo[sub]
            cls[rows], band[rows], ratio[rows], metal[rows] = c, b, r, mm
            for j, row in enumerate(rows):
                over_s[row].update(x for x in os_[j].split(",") if x)
                over_i[row].update(x for x in oi[j].split(",") if x)
            method[rows] = "idw"
            idw_n[rows] = ok[sub].sum(axis=1)
            near[rows] = np.where(ok[sub], dist[sub], np.inf).min(axis=1)
            far[rows] = np.where(ok[sub], dist[sub], -np.inf).max(axis=1)
            out["ph_idw"] = np.nan
            out.iloc[rows, out.columns.get_loc("ph_idw")] = np.round(ph_i[sub], 2)
    if count.any():
        sample_band = samples["ph_band"].to_numpy()
        # band of the worst sample is not meaningful for several samples; keep -1 there
        single = np.flatnonzero(count == 1)
        first = {pi: si for si, pi in zip(sample_idx, parcel_idx, strict=True)}
        for pi in single:
            band[pi] = sample_band[first[pi]]
    if (method == "none").any():
        log.warning(
            "%d parcel(s) have no sample inside and none within %.0f m: unclassified",
            int((method == "none").sum()),
            max_distance_m,
        )
    out["soil_class"] = cls
    out["soil_class_key"] = [SOIL_CLASSES[c][0] for c in cls]
    out["soil_class_zh"] = [SOIL_CLASSES[c][1] for c in cls]
    out["soil_class_en"] = [SOIL_CLASSES[c][2] for c in cls]
    out["class_method"] = method
    out["n_samples"] = count
    out["ph_band"] = band
    out["exceeds_screening"] = [",".join(sorted(x)) for x in over_s]
    out["exceeds_intervention"] = [",".join(sorted(x)) for x in over_i]
    out["max_ratio_screening"] = np.round(ratio, 4)
    out["max_ratio_metal"] = metal
    out["idw_n"] = idw_n
    out["idw_nearest_m"] = np.round(near, 1)
    out["idw_farthest_m"] = np.round(far, 1)
    out.attrs["idw"] = {
        "k": k,
        "power": power,
        "max_distance_m": max_distance_m,
        "crs": crs.to_string(),
    }
    return out


def _idw(v: np.ndarray, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    vals = v[idx]
    ww = np.where(np.isnan(vals), 0.0, w)
    tot = ww.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (np.nan_to_num(vals) * ww).sum(axis=1) / tot, np.nan)
