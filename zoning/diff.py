"""What changed between two editions of a zoning (动态更新): ``diff_units(old, new)``.

Units are matched by code and by geometry.  **The overlap rule**: an old unit and a new
unit *correspond* when they overlap by at least ``tolerance_m2`` and the overlap is at least
``min_share`` (default 50 %) of the old unit's area *or* of the new unit's area (the new unit
lies mostly inside the old one, or the old one mostly inside the new one).  Smaller
overlaps are boundary adjustments: they reshape units but do not make them correspond.
The correspondences form groups (connected components); each group is one change:

- one old, one new, same code: ``unchanged``, ``attributes`` (class, element, sub-type,
  name, and per access-list dimension the clauses added, removed or reworded) and/or
  ``reshaped`` (area change in m² and %);
- one old, one new, other code: ``recoded`` (a class change changes the code's class digit);
- one old, several new: ``split``; several old, one new: ``merged``; several of both: a
  ``split`` row for each old unit with several new parts and a ``merged`` row for each new
  unit with several old sources;
- an old unit no new unit corresponds to: ``removed``; a new one: ``added``.

Areas are computed in the equal-area CRS :data:`~zoning.geo.EQUAL_AREA` (EPSG:6933); the
class transition matrix is also given as planar area in one CGCS2000 3-degree
Gauss-Krüger zone (the zone of the editions' centre, or ``gk_crs``), as update filings ask.

The reviewer's checks are findings with a reason code (:class:`Finding`): ``fail`` ones
(priority protection decreased, a retired code reused, new overlaps, new gaps, a class
change without an access-list change) make ``UnitDiff.ok`` false; ``note`` ones (numbering
gaps, an access-list change without a class change) are listed only.

Units that are identical in both editions (same code, same vertices) are matched without
any geometry operation, so an update of a few percent of a national layer is fast.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.diff_changes import (  # noqa: F401  (importable from here, as before)
    _CHANGE_COLUMNS,
    _CLAUSE_COLUMNS,
    _UNIT_COLUMNS,
    _changes,
    _classes,
    _components,
    _transitions,
    _uncovered,
)
from zoning.diff_clauses import _clause_words, diff_clauses, split_clauses  # noqa: F401
from zoning.diff_findings import _code_gaps, _findings  # noqa: F401
from zoning.diff_vocab import (  # noqa: F401  (importable from here, as before)
    ATTRIBUTES,
    CLASS_KEYS,
    KIND_COLORS,
    KIND_LABELS,
    KINDS,
    OUTSIDE,
    REASONS,
    Finding,
    Reason,
    UnitDiff,
    _label,
)
from zoning.errors import InputError, SchemaError
from zoning.geo import EQUAL_AREA, WGS84, local_crs
from zoning.model import normalise_units

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------
# steps


def _check(frame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            f"the {what} edition must be a GeoDataFrame", fix="read it with zoning.read_units"
        )
    if frame.crs is None:
        raise InputError(
            f"the {what} edition has no CRS",
            source=frame.attrs.get("source"),
            fix=f"set one (e.g. --{what}-crs EPSG:4490)",
        )
    for col in ("code", "unit_class"):
        if col not in frame.columns:
            raise SchemaError(
                f"the {what} edition has no '{col}' column",
                source=frame.attrs.get("source"),
                field=col,
                fix=f"map it with --{what}-field {col}=SOURCE",
            )
    out = normalise_units(frame).reset_index(drop=True)
    codes = out["code"].astype("string")
    src = frame.attrs.get("source")
    bad = np.flatnonzero(codes.isna().to_numpy() | (codes.fillna("").str.strip() == "").to_numpy())
    if len(bad):
        raise SchemaError(
            f"{len(bad)} unit(s) of the {what} edition have no code",
            source=src,
            row=int(bad[0]) + 1,
            field="code",
            fix="give every unit its code (run `zoning validate` to list them)",
        )
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise SchemaError(
            f"the code {codes[i]} is used by {int((codes == codes[i]).sum())} units of the "
            f"{what} edition, so units cannot be matched by code",
            source=src,
            row=i + 1,
            field="code",
            fix="give every unit its own code (run `zoning validate`)",
        )
    unknown = np.flatnonzero(out["unit_class"].isna().to_numpy())
    if len(unknown):
        i = int(unknown[0])
        raise SchemaError(
            f"{len(unknown)} unit(s) of the {what} edition have no known class "
            f"(the first, {codes[i]}, has '{frame['unit_class'].iloc[i]}')",
            source=src,
            row=i + 1,
            field="unit_class",
            fix="use 1/2/3 or 优先保护/重点管控/一般管控 (run `zoning validate`)",
        )
    geoms = out.geometry.values
    broken = np.flatnonzero(
        shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~shapely.is_valid(geoms)
    )
    if len(broken):
        i = int(broken[0])
        raise InputError(
            f"{len(broken)} unit(s) of the {what} edition have missing or invalid geometry "
            f"(the first is {codes[i]})",
            source=src,
            row=i + 1,
            fix="run `zoning validate` and repair the shapes (e.g. QGIS Fix geometries)",
        )
    out["code"] = codes.str.strip().astype(object)
    out["unit_class"] = out["unit_class"].astype(int)
    return out


def _gk_crs(old_ll, new_ll, gk_crs):
    from pyproj import CRS

    if gk_crs is not None:
        crs = CRS.from_user_input(gk_crs)
        return crs, []
    b = np.vstack([old_ll.total_bounds, new_ll.total_bounds])
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    crs = local_crs((x0 + x1) / 2, (y0 + y1) / 2)
    notes = []
    cm = 3 * np.floor((x0 + x1) / 2 / 3 + 0.5)
    far = max(abs(x0 - cm), abs(x1 - cm))
    if far > 1.5:
        scale = (np.radians(far) * np.cos(np.radians(max(abs(y0), abs(y1), 0)))) ** 2
        notes.append(
            f"the editions reach {far:.1f}° from the central meridian {cm:.0f}°E of "
            f"{crs.to_string()}: planar areas there are up to {scale * 100:.2f} % larger than true"
        )
    return crs, notes


def _pairs(old_g, new_g, old_idx, new_idx):
    """(old i, new j) pairs whose shapes intersect, for old rows ``old_idx`` against every
    new unit and for new rows ``new_idx`` against every old unit."""
    tree_new = shapely.STRtree(new_g)
    tree_old = shapely.STRtree(old_g)
    a = tree_new.query(old_g[old_idx], predicate="intersects")
    b = tree_old.query(new_g[new_idx], predicate="intersects")
    i = np.concatenate([old_idx[a[0]], b[1]])
    j = np.concatenate([a[1], new_idx[b[0]]])
    if not len(i):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.unique(i.astype(np.int64) * (len(new_g) + 1) + j.astype(np.int64))
    return key // (len(new_g) + 1), key % (len(new_g) + 1)


def _text(v) -> str | None:
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    s = str(v).strip()
    return s or None


def diff_units(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    /,
    *,
    min_share: float = 0.5,
    tolerance_m2: float = 1.0,
    gk_crs=None,
) -> UnitDiff:
    """Compare two editions of a zoning.

    Parameters
    ----------
    old, new : GeoDataFrame
        The two editions with the canonical unit columns (``code``, ``unit_class``, …).
        Every unit needs a code (unique within its edition), a known class and a valid
        polygon; otherwise :class:`~zoning.errors.InputError` names the row.
    min_share : float, optional (default: 0.5)
        The overlap rule: an old and a new unit correspond when their overlap is at least
        this share of either one's area.
    tolerance_m2 : float, optional (default: 1.0)
        Overlaps, gaps and area changes smaller than this (m², EPSG:6933) are ignored.
    gk_crs : CRS-like, optional (default: None)
        The planar CRS of the second measure of the transition matrix; by default the
        CGCS2000 3-degree Gauss-Krüger zone of the editions' centre.

    Returns
    -------
    UnitDiff
    """
    if not 0 < min_share <= 1:
        raise InputError(f"min_share was {min_share} but is expected in (0, 1]", field="min_share")
    o = _check(old, "old")
    n = _check(new, "new")
    o_ll, n_ll = o.to_crs(WGS84), n.to_crs(WGS84)
    gk, notes = _gk_crs(o_ll, n_ll, gk_crs)
    # geometry operations in the editions' own CRS (exact where the edits were made);
    # every area is measured by projecting the result
    work = o.crs if o.crs.equals(n.crs) else WGS84
    og = np.asarray(o.to_crs(work).geometry.values)
    ng = np.asarray(n.to_crs(work).geometry.values)

    def measure(geoms):
        s = gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=work)
        return s.to_crs(EQUAL_AREA).area.to_numpy(), s.to_crs(gk).area.to_numpy()

    geographic = CRS.from_user_input(work).is_geographic

    def work_m2(geoms):
        # the area in the working CRS (degrees² scaled to m² at the latitude): a sliver
        # that is nothing there (a vertex added on an edge, measured after projection as a
        # chord's bulge) is not a gap or an overlap
        a = shapely.area(geoms)
        if not geographic:
            return a
        b = shapely.bounds(geoms)
        lat = np.nan_to_num((b[:, 1] + b[:, 3]) / 2)
        return a * 111_320.0**2 * np.cos(np.radians(lat))

    measure.work_m2 = work_m2

    oa, oa_gk = measure(og)
    na, na_gk = measure(ng)
    ocode, ncode = o["code"].to_numpy(dtype=object), n["code"].to_numpy(dtype=object)
    ocls, ncls = o["unit_class"].to_numpy(), n["unit_class"].to_numpy()

    # 1. identical units (same code, same vertices): matched without geometry operations
    new_pos = pd.Series(np.arange(len(n)), index=ncode)
    same = new_pos.reindex(ocode).to_numpy()
    has = ~np.isnan(same)
    j_same = np.where(has, same, -1).astype(np.int64)
    wkb_o = shapely.to_wkb(shapely.normalize(og))
    wkb_n = shapely.to_wkb(shapely.normalize(ng))
    ident = np.zeros(len(o), bool)
    ident[has] = wkb_o[has] == wkb_n[j_same[has]]
    new_ident = np.zeros(len(n), bool)
    new_ident[j_same[ident]] = True

    # 2. every other pair that intersects, with its overlap in both measures
    ci = np.flatnonzero(~ident)
    cj = np.flatnonzero(~new_ident)
    pi, pj = _pairs(og, ng, ci, cj)
    inter = shapely.intersection(og[pi], ng[pj])
    keep = shapely.area(inter) > 0
    pi, pj, inter = pi[keep], pj[keep], inter[keep]
    pa, pa_gk = measure(inter) if len(pi) else (np.zeros(0), np.zeros(0))
    # identical pairs join the list with their whole area
    ii = np.flatnonzero(ident)
    all_i = np.concatenate([ii, pi])
    all_j = np.concatenate([j_same[ii], pj])
    all_a = np.concatenate([oa[ii], pa])
    all_agk = np.concatenate([oa_gk[ii], pa_gk])

    # 3. correspondences and their groups
    link = (all_a >= tolerance_m2) & (
        (all_a >= min_share * oa[all_i]) | (all_a >= min_share * na[all_j])
    )
    li, lj = all_i[link], all_j[link]
    groups = _components(len(o), len(n), li, lj, ident)

    # 4. the checks need uncovered parts (gaps) of changed old units and overlaps of new ones
    uncovered_o, uncovered_o_gk = _uncovered(og, ng, ci, tolerance_m2, measure)
    uncovered_n, uncovered_n_gk = _uncovered(ng, og, cj, tolerance_m2, measure)

    # 5. transitions
    trans = _transitions(
        ocls, ncls, all_i, all_j, all_a, all_agk, ci, cj, uncovered_o, uncovered_o_gk,
        uncovered_n, uncovered_n_gk,
    )  # fmt: skip

    # 6. changes
    changes, unit_rows, clause_rows, pair_info = _changes(
        o, n, groups, all_i, all_j, all_a, oa, na, tolerance_m2, min_share
    )
    geo = np.empty(len(changes), dtype=object)
    for k, ch in enumerate(changes):
        if ch["kind"] == "removed":
            geo[k] = shapely.union_all(np.asarray(o_ll.geometry.values)[ch["_old"]])
        else:
            geo[k] = shapely.union_all(np.asarray(n_ll.geometry.values)[ch["_new"]])
    changes_frame = pd.DataFrame(
        [{k: v for k, v in c.items() if not k.startswith("_")} for c in changes]
    )
    if not len(changes_frame):
        changes_frame = pd.DataFrame(columns=_CHANGE_COLUMNS)
    changes_gdf = gpd.GeoDataFrame(changes_frame, geometry=gpd.GeoSeries(geo, crs=WGS84), crs=WGS84)

    counts = {k: 0 for k in KINDS}
    for c in changes:
        counts[c["kind"]] += 1
    counts["unchanged"] = int(sum(1 for g in groups if g["kind"] == "unchanged"))

    # 7. findings
    findings = _findings(
        o, n, oa, na, ocls, ncls, all_i, all_j, all_a, uncovered_o, measure, ng, cj, pair_info,
        tolerance_m2, li, lj, groups,
    )  # fmt: skip
    classes = _classes(ocls, ncls, oa, na, oa_gk, na_gk)
    log.info(
        "diff: %d old, %d new units: %s",
        len(o),
        len(n),
        ", ".join(f"{k} {v}" for k, v in counts.items() if v),
    )
    return UnitDiff(
        changes=changes_gdf,
        units=pd.DataFrame(unit_rows, columns=_UNIT_COLUMNS),
        clauses=pd.DataFrame(clause_rows, columns=_CLAUSE_COLUMNS),
        transitions=trans,
        classes=classes,
        findings=findings,
        counts=counts,
        gk_crs=gk.to_string(),
        notes=notes,
    )
