"""Geometry of screening: cached CRS transformers, overlaps with units, distance targets
and nearest distances (areas in :data:`zoning.geo.EQUAL_AREA`, lengths and distances in a
local metric CRS per project)."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from zoning.errors import CRSError, InputError
from zoning.geo import EQUAL_AREA
from zoning.model import normalise_class
from zoning.overlay import unit_rank
from zoning.rules.schema import RuleSet


def _crs_key(crs) -> str:
    if isinstance(crs, str):
        return crs
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg(min_confidence=100)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


@functools.lru_cache(maxsize=256)
def _transformer(src: str, dst: str) -> Transformer | None:
    """A cached always-xy transformer (building one costs ~0.2 s); None for the same CRS."""
    a, b = CRS.from_user_input(src), CRS.from_user_input(dst)
    if a.equals(b):
        return None
    return Transformer.from_crs(a, b, always_xy=True)


def _transform(geoms: np.ndarray, src, dst) -> np.ndarray:
    """Geometries from ``src`` to ``dst`` (vertex-wise; a no-op for the same CRS)."""
    if len(geoms) == 0:
        return geoms
    tr = _transformer(_crs_key(src), _crs_key(dst))
    if tr is None:
        return geoms

    def fn(xy):
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _overlaps(fp: np.ndarray, dims: np.ndarray, units: gpd.GeoDataFrame, ucrs, lcrs_of, tree):
    """(project, unit) pairs with area (m2, equal-area), length (m, local), share, boundary."""
    ugeoms = np.asarray(units.geometry.values)
    n = len(fp)
    frames = []
    pts = np.flatnonzero(dims == 0)
    if len(pts):
        s_idx, u_idx = tree.query(fp[pts], predicate="intersects")
        subj = pts[s_idx]
        rank = unit_rank(units)
        order = np.lexsort((rank[u_idx], subj))
        subj, u_idx = subj[order], u_idx[order]
        first = np.r_[True, subj[1:] != subj[:-1]] if len(subj) else np.zeros(0, bool)
        counts = np.bincount(subj, minlength=n)
        frames.append(
            pd.DataFrame(
                {
                    "project": subj,
                    "unit": u_idx,
                    "share": np.where(first, 1.0, 0.0),
                    "overlap_m2": np.nan,
                    "overlap_m": np.nan,
                    "on_boundary": counts[subj] > 1,
                }
            )
        )
    rest = np.flatnonzero(dims > 0)
    total_area = np.full(n, np.nan)
    total_len = np.full(n, np.nan)
    if len(rest):
        s_idx, u_idx = tree.query(fp[rest], predicate="intersects")
        subj = rest[s_idx]
        inter = shapely.intersection(fp[subj], ugeoms[u_idx])
        poly = dims[subj] == 2
        area = np.full(len(subj), np.nan)
        length = np.full(len(subj), np.nan)
        if poly.any():
            area[poly] = shapely.area(_transform(inter[poly], ucrs, EQUAL_AREA))
            ppos = rest[dims[rest] == 2]
            total_area[ppos] = shapely.area(_transform(fp[ppos], ucrs, EQUAL_AREA))
        lines = ~poly
        if lines.any():
            lpos = rest[dims[rest] == 1]
            for code in np.unique(lcrs_of[lpos]):
                sel = lines & (lcrs_of[subj] == code)
                length[sel] = shapely.length(_transform(inter[sel], ucrs, f"EPSG:{code}"))
                here = lpos[lcrs_of[lpos] == code]
                total_len[here] = shapely.length(_transform(fp[here], ucrs, f"EPSG:{code}"))
        part = np.where(poly, area, length)
        total = np.where(poly, total_area[subj], total_len[subj])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, part / total, 0.0)
        keep = share > 1e-9
        frames.append(
            pd.DataFrame(
                {
                    "project": subj[keep],
                    "unit": u_idx[keep],
                    "share": share[keep],
                    "overlap_m2": area[keep],
                    "overlap_m": length[keep],
                    "on_boundary": False,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(out):
        out = out.sort_values(["project", "share", "unit"], ascending=[True, False, True])
        out = out.reset_index(drop=True)
    return out, total_area, total_len


def _class_digits(values) -> np.ndarray:
    """``normalise_class(v) or 0`` for each value (int64), worked out once per distinct
    value (a unit layer holds a few spellings of three classes)."""
    if isinstance(values, pd.Series) and (
        values.dtype.kind in "iuf" or isinstance(values.dtype, pd.StringDtype)
    ):  # one type per column: factorize keeps the values apart; missing ones are 0
        codes, uniques = pd.factorize(values)
        lut = np.array([normalise_class(u) or 0 for u in uniques.tolist()] + [0], np.int64)
        return lut[codes]
    seen: dict = {}
    out = []
    for v in values:
        key = (v.__class__, v)
        d = seen.get(key)
        if d is None:
            d = seen[key] = normalise_class(v) or 0
        out.append(d)
    return np.array(out, dtype=np.int64)


def _targets(units: gpd.GeoDataFrame, layers: dict, rules: RuleSet) -> list[tuple]:
    """Distance targets: (key, zh, en, geometries in the units' CRS, labels)."""
    digits = _class_digits(units["unit_class"])
    codes = units["code"].astype("string").fillna("").to_numpy(dtype=object)
    out = [
        (
            "priority_unit",
            "优先保护单元",
            "Priority protection unit",
            np.asarray(units.geometry.values)[digits == 1],
            codes[digits == 1],
        )
    ]
    subtype = (
        units["subtype"].astype("string").fillna("").to_numpy(dtype=object)
        if "subtype" in units.columns
        else np.full(len(units), "", dtype=object)
    )
    for name, layer in (layers or {}).items():
        ref = rules.layers.get(name)
        for column, values in ref.where if ref is not None else ():
            if column not in layer.columns:
                raise InputError(
                    f"the layer '{name}' has no column '{column}' to filter on",
                    field=column,
                    fix="fix the where: filter of the layer in the rule file",
                )
            layer = layer[layer[column].astype("string").isin(values).to_numpy(dtype=bool)]
        if layer.crs is None:
            raise CRSError(f"the layer '{name}' has no CRS", field=name, fix="set its CRS")
        g = _transform(np.asarray(layer.geometry.values), layer.crs, units.crs)
        label = None
        for col in ("name", "id", "zone_id", "code"):
            if col in layer.columns:
                label = layer[col].astype("string").fillna("").to_numpy(dtype=object)
                break
        if label is None:
            label = np.array([f"{name}#{i + 1}" for i in range(len(layer))], dtype=object)
        if "name_en" in layer.columns:
            en_names = layer["name_en"].astype("string").fillna("").to_numpy(dtype=object)
            label = np.array(
                [f"{a}\x1f{b}" if b else a for a, b in zip(label, en_names, strict=True)],
                dtype=object,
            )
        zh = ref.zh if ref is not None and ref.zh else name
        en = ref.en if ref is not None and ref.en else name
        out.append((name, zh, en, g, label))
    given = set(layers or {})
    fallbacks = (
        ("red_line", "red_line", "生态保护红线", "Ecological protection red line"),
        ("drinking_water_source", "water", "饮用水水源保护区", "Drinking-water source zone"),
    )
    for sub, prefix, zh, en in fallbacks:
        if not any(n.startswith(prefix) for n in given) and (subtype == sub).any():
            out.append(
                (
                    f"{sub}_unit",
                    zh + "（单元）",
                    en + " (units)",
                    np.asarray(units.geometry.values)[subtype == sub],
                    codes[subtype == sub],
                )
            )
    return out


def _distances(fp, ucrs, lcrs_of, targets) -> pd.DataFrame:
    """Nearest distance (m, local CRS) from each footprint to each target, vectorised."""
    n = len(fp)
    geographic = CRS.from_user_input(ucrs).is_geographic
    frames = []
    for key, zh, en, geoms, labels in targets:
        dist = np.full(n, np.nan)
        near = np.full(n, None, dtype=object)
        line = np.full(n, None, dtype=object)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else []
        geoms, labels = (geoms[ok], labels[ok]) if len(geoms) else (geoms, labels)
        if len(geoms):
            tree = shapely.STRtree(geoms)
            # inside (intersecting): distance 0; the rest: nearest in the layer's units, then
            # every candidate that can be nearer in metres, measured in the local CRS
            a_s, a_t = tree.query(fp, predicate="intersects")
            out_idx = np.flatnonzero(np.bincount(a_s, minlength=n) == 0)
            reach = np.zeros(n)
            if len(out_idx):
                (pi, _), g0 = tree.query_nearest(
                    fp[out_idx], return_distance=True, all_matches=False
                )
                reach[out_idx[pi]] = g0
            if geographic:
                lat = np.abs(shapely.bounds(fp)[:, [1, 3]]).max(axis=1)
                factor = 1.0 / np.cos(np.radians(np.minimum(lat + 1.0, 89.0)))
            else:
                factor = np.full(n, 1.1)
            b_s, b_t = tree.query(
                fp[out_idx], predicate="dwithin", distance=(reach * factor + 1e-9)[out_idx]
            )
            b_s = out_idx[b_s]
            d = np.full(len(b_s), np.inf)
            for code in np.unique(lcrs_of[b_s]):
                sel = lcrs_of[b_s] == code
                crs = f"EPSG:{code}"
                a = _transform(fp[b_s[sel]], ucrs, crs)
                uniq, inv = np.unique(b_t[sel], return_inverse=True)
                b = _transform(geoms[uniq], ucrs, crs)[inv]
                d[sel] = shapely.distance(a, b)
            s_idx = np.concatenate([a_s, b_s])
            t_idx = np.concatenate([a_t, b_t])
            d = np.concatenate([np.zeros(len(a_s)), d])
            order = np.lexsort((d, s_idx))
            s_o, t_o, d_o = s_idx[order], t_idx[order], d[order]
            first = np.r_[True, s_o[1:] != s_o[:-1]] if len(s_o) else np.zeros(0, bool)
            best_s, best_t, best_d = s_o[first], t_o[first], d_o[first]
            dist[best_s] = best_d
            near[best_s] = labels[best_t]
            outside = best_d > 0
            if outside.any():
                ls = shapely.shortest_line(fp[best_s[outside]], geoms[best_t[outside]])
                line[best_s[outside]] = _transform(ls, ucrs, "EPSG:4326")
        frames.append(
            pd.DataFrame(
                {
                    "project": np.arange(n),
                    "target": key,
                    "label_zh": zh,
                    "label_en": en,
                    "distance_m": dist,
                    "inside": np.where(np.isnan(dist), None, dist == 0),
                    "nearest": near,
                    "geometry": line,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["project", "target", "distance_m", "inside", "geometry"])
    out = pd.concat(frames, ignore_index=True)
    near = out["nearest"].to_numpy(dtype=object)
    out["nearest"] = [v.split("\x1f")[0] if isinstance(v, str) else v for v in near]
    out.insert(
        out.columns.get_loc("nearest") + 1,
        "nearest_en",
        [v.split("\x1f")[-1] if isinstance(v, str) else v for v in near],
    )
    return out.sort_values(["project"], kind="stable").reset_index(drop=True)
