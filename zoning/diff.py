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

import difflib
import logging
import re
from dataclasses import dataclass, field
from enum import Enum

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.errors import InputError, SchemaError
from zoning.geo import EQUAL_AREA, WGS84, local_crs
from zoning.i18n import KIND_COLORS as KIND_COLORS  # re-exported
from zoning.i18n import KIND_LABELS as KIND_LABELS  # re-exported
from zoning.model import DIMENSIONS, UNIT_CLASSES, normalise_units, parse_code

log = logging.getLogger(__name__)

#: Change kinds, strongest first (the ``kind`` of a change is the first that applies).
KINDS: tuple[str, ...] = (
    "split",
    "merged",
    "added",
    "removed",
    "recoded",
    "reshaped",
    "attributes",
    "unchanged",
)
#: Columns compared as whole values (the access lists are compared clause by clause).
ATTRIBUTES: tuple[str, ...] = ("unit_class", "element", "subtype", "name", "name_en") + tuple(
    d.column + "_en" for d in DIMENSIONS
)
#: Class keys of the transition matrix, ``outside`` = not covered by the other edition.
CLASS_KEYS: dict[int, str] = {c.digit: c.key for c in UNIT_CLASSES.values()}
OUTSIDE = "outside"


class Reason(str, Enum):
    """Reason codes of the reviewer's checks."""

    PRIORITY_DECREASE = "priority_decrease"
    CODE_REUSED = "code_reused"
    CODE_GAP = "code_gap"
    NEW_OVERLAP = "new_overlap"
    NEW_GAP = "new_gap"
    CLASS_WITHOUT_ACCESS = "class_change_without_access_change"
    ACCESS_WITHOUT_CLASS = "access_change_without_class_change"


#: (severity, zh, en) of each reason.
REASONS: dict[Reason, tuple[str, str, str]] = {
    Reason.PRIORITY_DECREASE: (
        "fail",
        "优先保护单元面积减少",
        "priority protection area decreased",
    ),
    Reason.CODE_REUSED: ("fail", "重复使用已撤销的单元编码", "a retired code is used again"),
    Reason.CODE_GAP: ("note", "单元编码序号不连续", "a gap in the serial numbers of the codes"),
    Reason.NEW_OVERLAP: ("fail", "新版单元之间新增重叠", "new units overlap"),
    Reason.NEW_GAP: (
        "fail",
        "原有范围在新版中无单元覆盖",
        "part of the old zoning has no new unit",
    ),
    Reason.CLASS_WITHOUT_ACCESS: (
        "fail",
        "管控类别变化但准入清单未变",
        "the class changed but the access list did not",
    ),
    Reason.ACCESS_WITHOUT_CLASS: (
        "note",
        "准入清单变化但管控类别未变",
        "the access list changed but the class did not",
    ),
}

_CLAUSE_START = re.compile(r"(?:^|(?<=[。；;，,\s]))(\d{1,2})[.．、](?!\d)\s*")


# ----------------------------------------------------------------------------------------
# clauses


def split_clauses(text) -> list[str]:
    """The clauses of an access-list text, without their numbers (``1. … 2. …``).

    A text without numbering is one clause; an empty text has none.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or pd.isna(text):
        return []
    text = str(text).strip()
    if not text:
        return []
    starts = list(_CLAUSE_START.finditer(text))
    if not starts:
        return [text]
    parts = []
    if starts[0].start() > 0 and text[: starts[0].start()].strip():
        parts.append(text[: starts[0].start()].strip())
    for a, b in zip(starts, [*starts[1:], None], strict=True):
        part = text[a.end() : b.start() if b is not None else len(text)].strip()
        if part:
            parts.append(part)
    return parts


def diff_clauses(old, new, *, reworded_ratio: float = 0.5) -> list[dict]:
    """Clauses added, removed and reworded between two access-list texts.

    Identical clauses (numbers ignored, so renumbering is no change) are unchanged; the
    others are paired greedily by similarity (``difflib`` ratio ≥ ``reworded_ratio``) as
    ``reworded``; what is left is ``added`` or ``removed``.
    """
    a, b = split_clauses(old), split_clauses(new)
    rest_a = [c for c in a if c not in b]
    rest_b = [c for c in b if c not in a]
    pairs = sorted(
        (
            (difflib.SequenceMatcher(None, x, y, autojunk=False).ratio(), i, j)
            for i, x in enumerate(rest_a)
            for j, y in enumerate(rest_b)
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for ratio, i, j in pairs:
        if ratio < reworded_ratio:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append({"change": "reworded", "old": rest_a[i], "new": rest_b[j]})
    out += [
        {"change": "removed", "old": c, "new": None}
        for i, c in enumerate(rest_a)
        if i not in used_a
    ]
    out += [
        {"change": "added", "old": None, "new": c} for j, c in enumerate(rest_b) if j not in used_b
    ]
    return out


# ----------------------------------------------------------------------------------------
# the result


@dataclass
class Finding:
    """One reviewer's check that fired."""

    reason: Reason
    detail_zh: str
    detail_en: str
    codes: tuple[str, ...] = ()
    area_m2: float | None = None

    @property
    def severity(self) -> str:
        return REASONS[self.reason][0]


@dataclass
class UnitDiff:
    """What :func:`diff_units` found.

    Attributes
    ----------
    changes : GeoDataFrame
        One row per change (unchanged units are not listed): ``change_id``, ``kind``,
        ``kinds`` (every kind that applies, ``;``-joined), ``old_codes``, ``new_codes``,
        ``old_class``, ``new_class``, ``area_old_m2``, ``area_new_m2``, ``area_change_m2``,
        ``area_change_pct``, ``attributes`` (changed columns), ``clauses`` (clause changes
        in words), ``reason_zh``/``reason_en``, ``before``/``after`` (for popups); the
        geometry is the new shape (the old one for ``removed``), WGS 84.
    units : DataFrame
        One row per unit of either edition that changed: ``edition`` (old/new), ``code``,
        ``name``, ``unit_class``, ``kind``, ``counterparts`` and the reason.
    clauses : DataFrame
        One row per clause change: ``old_code``, ``new_code``, ``dimension``, ``change``
        (added/removed/reworded), ``old_text``, ``new_text``.
    transitions : DataFrame
        The class transition matrix in long form: ``old_class``, ``new_class`` (priority,
        key, general, outside), ``area_km2`` (EPSG:6933) and ``planar_area_km2`` (the
        Gauss-Krüger zone ``gk_crs``).
    classes : DataFrame
        The update statement's table: per class, the count and area (both measures)
        before and after.
    findings : DataFrame
        The reviewer's checks: ``reason``, ``severity``, ``codes``, ``area_m2``,
        ``detail_zh``, ``detail_en``; geometry-free.
    counts : dict
        Changes by kind (``unchanged`` counts units).
    """

    changes: gpd.GeoDataFrame
    units: pd.DataFrame
    clauses: pd.DataFrame
    transitions: pd.DataFrame
    classes: pd.DataFrame
    findings: pd.DataFrame
    counts: dict[str, int]
    gk_crs: str
    area_crs: str = EQUAL_AREA
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no ``fail`` check fired."""
        return not (self.findings["severity"] == "fail").any() if len(self.findings) else True

    def matrix(self, measure: str = "area_km2") -> pd.DataFrame:
        """The transition matrix as a table: old class rows × new class columns (km²)."""
        keys = [*CLASS_KEYS.values(), OUTSIDE]
        m = self.transitions.pivot_table(
            index="old_class", columns="new_class", values=measure, aggfunc="sum", fill_value=0.0
        )
        return m.reindex(index=keys, columns=keys, fill_value=0.0)

    def summary(self, lang: str = "en") -> str:
        """A few lines for stderr: counts by kind, class areas before/after, the checks."""
        zh = lang == "zh"
        kinds = ", ".join(
            f"{KIND_LABELS[k][0 if zh else 1]} {n}" for k, n in self.counts.items() if n
        )
        lines = [("变化: " if zh else "changes: ") + kinds]
        for _, r in self.classes.iterrows():
            lines.append(
                f"  {r['class_zh'] if zh else r['class_en']}: {r['count_before']} → "
                f"{r['count_after']} {'个单元' if zh else 'units'}, {r['area_before_km2']:.3f} → "
                f"{r['area_after_km2']:.3f} km² (EPSG:6933)"
            )
        if len(self.findings):
            for _, f in self.findings.iterrows():
                lines.append(
                    f"  [{f['severity']}] {f['reason']}: {f['detail_zh' if zh else 'detail_en']}"
                )
        else:
            lines.append("  审查检查全部通过" if zh else "  every reviewer's check passed")
        return "\n".join(lines)


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


def _label(digit_or_key, lang: str) -> str:
    if digit_or_key == OUTSIDE:
        return "范围外" if lang == "zh" else "outside"
    c = UNIT_CLASSES.get(digit_or_key) if isinstance(digit_or_key, int) else None
    if c is None:
        c = next((u for u in UNIT_CLASSES.values() if u.key == digit_or_key), None)
    return c.label(lang) if c else str(digit_or_key)


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
        {k: v for k, v in counts.items() if v},
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


_CHANGE_COLUMNS = [
    "change_id", "kind", "kinds", "old_codes", "new_codes", "old_class", "new_class",
    "area_old_m2", "area_new_m2", "area_change_m2", "area_change_pct", "attributes", "clauses",
    "reason_zh", "reason_en", "before", "after",
]  # fmt: skip
_UNIT_COLUMNS = [
    "edition",
    "code",
    "name",
    "unit_class",
    "change_id",
    "kind",
    "counterparts",
    "reason_zh",
    "reason_en",
]
_CLAUSE_COLUMNS = [
    "old_code",
    "new_code",
    "dimension",
    "dimension_zh",
    "change",
    "old_text",
    "new_text",
]


def _components(n_old, n_new, li, lj, ident):
    """Connected components of the correspondence graph (old i ↔ new j)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    size = n_old + n_new
    g = coo_matrix((np.ones(len(li)), (li, lj + n_old)), shape=(size, size))
    _, lab = connected_components(g, directed=False)
    order = np.argsort(lab, kind="stable")
    bounds = np.flatnonzero(np.diff(lab[order])) + 1
    groups = []
    for members in np.split(order, bounds):
        olds = np.sort(members[members < n_old])
        news = np.sort(members[members >= n_old] - n_old)
        kind = None
        if len(olds) == 1 and len(news) == 1 and ident[olds[0]]:
            kind = "unchanged"  # may still have attribute changes: decided later
        groups.append({"old": olds, "new": news, "kind": kind})
    return groups


def _uncovered(ag, bg, rows, tol, measure):
    """Area (both measures) of each of ``rows`` of ``ag`` covered by no ``bg``."""
    area = np.zeros(len(ag))
    area_gk = np.zeros(len(ag))
    if not len(rows):
        return area, area_gk
    q = shapely.STRtree(bg).query(ag[rows], predicate="intersects")
    by = pd.Series(q[1]).groupby(q[0]).agg(list).to_dict()
    rest = np.array(
        [
            ag[r] if k not in by else shapely.difference(ag[r], shapely.union_all(bg[by[k]]))
            for k, r in enumerate(rows)
        ],
        dtype=object,
    )
    a, a_gk = measure(rest)
    big = (a >= tol) & (measure.work_m2(rest) >= tol)
    area[rows[big]] = a[big]
    area_gk[rows[big]] = a_gk[big]
    return area, area_gk


def _transitions(ocls, ncls, all_i, all_j, all_a, all_agk, ci, cj, uo, uo_gk, un, un_gk):
    rows = pd.DataFrame(
        {
            "old_class": [CLASS_KEYS[c] for c in ocls[all_i]],
            "new_class": [CLASS_KEYS[c] for c in ncls[all_j]],
            "area_m2": all_a,
            "planar_area_m2": all_agk,
        }
    )
    extra = []
    for idx in np.flatnonzero(uo > 0):
        extra.append((CLASS_KEYS[ocls[idx]], OUTSIDE, uo[idx], uo_gk[idx]))
    for idx in np.flatnonzero(un > 0):
        extra.append((OUTSIDE, CLASS_KEYS[ncls[idx]], un[idx], un_gk[idx]))
    if extra:
        rows = pd.concat([rows, pd.DataFrame(extra, columns=rows.columns)], ignore_index=True)
    t = rows.groupby(["old_class", "new_class"], as_index=False)[
        ["area_m2", "planar_area_m2"]
    ].sum()
    t["area_km2"] = t["area_m2"] / 1e6
    t["planar_area_km2"] = t["planar_area_m2"] / 1e6
    order = {k: i for i, k in enumerate([*CLASS_KEYS.values(), OUTSIDE])}
    t = t.sort_values(["old_class", "new_class"], key=lambda s: s.map(order)).reset_index(drop=True)
    t["old_class_zh"] = [_label(k, "zh") for k in t["old_class"]]
    t["new_class_zh"] = [_label(k, "zh") for k in t["new_class"]]
    return t[
        [
            "old_class",
            "new_class",
            "old_class_zh",
            "new_class_zh",
            "area_m2",
            "area_km2",
            "planar_area_m2",
            "planar_area_km2",
        ]
    ]


def _classes(ocls, ncls, oa, na, oa_gk, na_gk) -> pd.DataFrame:
    rows = []
    for d, c in UNIT_CLASSES.items():
        mo, mn = ocls == d, ncls == d
        rows.append(
            {
                "class": c.key,
                "class_zh": c.zh,
                "class_en": c.en,
                "count_before": int(mo.sum()),
                "count_after": int(mn.sum()),
                "count_change": int(mn.sum() - mo.sum()),
                "area_before_km2": float(oa[mo].sum() / 1e6),
                "area_after_km2": float(na[mn].sum() / 1e6),
                "area_change_km2": float((na[mn].sum() - oa[mo].sum()) / 1e6),
                "planar_area_before_km2": float(oa_gk[mo].sum() / 1e6),
                "planar_area_after_km2": float(na_gk[mn].sum() / 1e6),
            }
        )
    total = {
        "class": "total",
        "class_zh": "合计",
        "class_en": "Total",
        **{
            k: sum(r[k] for r in rows)
            for k in rows[0]
            if k not in ("class", "class_zh", "class_en")
        },
    }
    rows.append(total)
    out = pd.DataFrame(rows)
    before = out["area_before_km2"].sum() / 2
    after = out["area_after_km2"].sum() / 2
    out["share_before_pct"] = out["area_before_km2"] / before * 100 if before else np.nan
    out["share_after_pct"] = out["area_after_km2"] / after * 100 if after else np.nan
    return out


def _texts(series: pd.Series) -> list:
    """:func:`_text` of every value, vectorised."""
    missing = series.isna().to_numpy()
    text = series.astype(object).where(~missing, "").astype(str).str.strip()
    out = text.to_numpy(dtype=object)
    out[missing | (out == "")] = None
    return out.tolist()


class _Cols:
    """The compared columns of one edition as lists of texts (fast row access)."""

    def __init__(self, frame):
        self.code = frame["code"].to_numpy(dtype=object)
        self.cols = sorted(set(ATTRIBUTES) | {d.column for d in DIMENSIONS})
        self.values = {
            c: _texts(frame[c]) if c in frame.columns else [None] * len(frame) for c in self.cols
        }
        self.sig = list(zip(*[self.values[c] for c in self.cols], strict=True))


def _attr_changes(oc: _Cols, i: int, nc: _Cols, j: int) -> tuple[list[str], list[dict]]:
    if oc.sig[i] == nc.sig[j]:
        return [], []
    attrs = [c for c in ATTRIBUTES if oc.values[c][i] != nc.values[c][j]]
    clauses = []
    for d in DIMENSIONS:
        a, b = oc.values[d.column][i], nc.values[d.column][j]
        if a == b:
            continue
        found = [{"dimension": d.key, "dimension_zh": d.zh, **c} for c in diff_clauses(a, b)]
        if not found:
            found = [
                {
                    "dimension": d.key,
                    "dimension_zh": d.zh,
                    "change": "renumbered",
                    "old": a,
                    "new": b,
                }
            ]
        clauses += found
        attrs.append(d.column)
    return attrs, clauses


def _clause_words(clauses: list[dict], lang: str) -> str:
    out = []
    for c in clauses:
        dim = c["dimension_zh"] if lang == "zh" else c["dimension"]
        if c["change"] == "reworded":
            out.append(
                f"{dim}: {'修改' if lang == 'zh' else 'reworded'} “{c['old']}” → “{c['new']}”"
            )
        elif c["change"] == "added":
            out.append(f"{dim}: {'新增' if lang == 'zh' else 'added'} “{c['new']}”")
        elif c["change"] == "removed":
            out.append(f"{dim}: {'删除' if lang == 'zh' else 'removed'} “{c['old']}”")
        else:
            out.append(f"{dim}: {'重新编号' if lang == 'zh' else 'renumbered'}")
    return "; ".join(out)


def _codes(t, idx) -> str:
    return ";".join(str(t.code[int(i)]) for i in idx)


def _changes(o, n, groups, all_i, all_j, all_a, oa, na, tol, min_share):
    """The change rows, the per-unit rows, the clause rows, and per-pair attribute info."""
    ocls, ncls = o["unit_class"].to_numpy(), n["unit_class"].to_numpy()
    oc, nc = _Cols(o), _Cols(n)
    pair_area: dict[tuple[int, int], float] = {}
    for i, j, a in zip(all_i.tolist(), all_j.tolist(), all_a.tolist(), strict=True):
        pair_area[(i, j)] = pair_area.get((i, j), 0.0) + a
    changes: list[dict] = []
    unit_rows: list[dict] = []
    clause_rows: list[dict] = []
    pair_info: dict[tuple[int, int], dict] = {}

    def pair(i, j):
        if (i, j) not in pair_info:
            attrs, clauses = _attr_changes(oc, i, nc, j)
            pair_info[(i, j)] = {"attrs": attrs, "clauses": clauses}
        return pair_info[(i, j)]

    def add(kind, kinds, olds, news, zh, en, attrs=(), clauses=()):
        cid = f"C{len(changes) + 1:05d}"
        a_old = float(oa[olds].sum()) if len(olds) else 0.0
        a_new = float(na[news].sum()) if len(news) else 0.0
        before = "; ".join(
            f"{oc.code[i]} {_label(int(ocls[i]), 'zh')} {oa[i] / 1e6:.4f} km²" for i in olds
        )
        after = "; ".join(
            f"{nc.code[j]} {_label(int(ncls[j]), 'zh')} {na[j] / 1e6:.4f} km²" for j in news
        )
        changes.append(
            {
                "change_id": cid,
                "kind": kind,
                "kinds": ";".join(k for k in KINDS if k in kinds),
                "old_codes": _codes(oc, olds),
                "new_codes": _codes(nc, news),
                "old_class": ";".join(CLASS_KEYS[int(c)] for c in sorted(set(ocls[olds].tolist()))),
                "new_class": ";".join(CLASS_KEYS[int(c)] for c in sorted(set(ncls[news].tolist()))),
                "area_old_m2": a_old if len(olds) else None,
                "area_new_m2": a_new if len(news) else None,
                "area_change_m2": a_new - a_old,
                "area_change_pct": (a_new - a_old) / a_old * 100 if a_old else None,
                "attributes": ";".join(attrs),
                "clauses": _clause_words(list(clauses), "en"),
                "reason_zh": zh,
                "reason_en": en,
                "before": before or "—",
                "after": after or "—",
                "_old": np.asarray(olds, dtype=np.int64),
                "_new": np.asarray(news, dtype=np.int64),
            }
        )
        for i in olds:
            unit_rows.append(
                {"edition": "old", "code": oc.code[i], "name": oc.values["name"][i],
                 "unit_class": int(ocls[i]), "change_id": cid, "kind": kind,
                 "counterparts": _codes(nc, news), "reason_zh": zh, "reason_en": en}
            )  # fmt: skip
        for j in news:
            unit_rows.append(
                {"edition": "new", "code": nc.code[j], "name": nc.values["name"][j],
                 "unit_class": int(ncls[j]), "change_id": cid, "kind": kind,
                 "counterparts": _codes(oc, olds), "reason_zh": zh, "reason_en": en}
            )  # fmt: skip
        for c in clauses:
            clause_rows.append(
                {"old_code": _codes(oc, olds), "new_code": _codes(nc, news), "dimension": c["dimension"],
                 "dimension_zh": c["dimension_zh"], "change": c["change"], "old_text": c["old"],
                 "new_text": c["new"]}
            )  # fmt: skip

    for g in groups:
        olds, news = g["old"], g["new"]
        if len(olds) == 1 and len(news) == 1:
            i, j = int(olds[0]), int(news[0])
            info = pair(i, j)
            kinds = set()
            zh, en = [], []
            if oc.code[i] != nc.code[j]:
                kinds.add("recoded")
                zh.append(f"编码 {oc.code[i]} → {nc.code[j]}")
                en.append(f"code {oc.code[i]} → {nc.code[j]}")
            if g["kind"] != "unchanged":
                sym = oa[i] + na[j] - 2 * pair_area.get((i, j), 0.0)
                if sym >= tol:
                    kinds.add("reshaped")
                    d = na[j] - oa[i]
                    pct = d / oa[i] * 100 if oa[i] else float("nan")
                    zh.append(f"边界调整，面积 {d:+,.0f} m²（{pct:+.2f}%）")
                    en.append(f"reshaped, area {d:+,.0f} m² ({pct:+.2f} %)")
            if info["attrs"]:
                kinds.add("attributes")
                if "unit_class" in info["attrs"]:
                    zh.append(
                        f"管控类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}"
                    )
                    en.append(f"class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')}")
                other = [a for a in info["attrs"] if a != "unit_class"]
                if other:
                    zh.append("属性变更: " + ", ".join(other))
                    en.append("changed: " + ", ".join(other))
                if info["clauses"]:
                    zh.append(_clause_words(info["clauses"], "zh"))
                    en.append(_clause_words(info["clauses"], "en"))
            if not kinds:
                g["kind"] = "unchanged"
                continue
            kind = next(k for k in KINDS if k in kinds)
            g["kind"] = kind
            add(
                kind,
                kinds,
                olds,
                news,
                "；".join(zh),
                "; ".join(en),
                info["attrs"],
                info["clauses"],
            )
            continue
        if not len(news):
            i = int(olds[0])
            g["kind"] = "removed"
            add("removed", {"removed"}, olds, news, "单元撤销", "unit removed")
            continue
        if not len(olds):
            g["kind"] = "added"
            add("added", {"added"}, olds, news, "新增单元", "unit added")
            continue
        # splits and merges: a row per old unit with several new parts, per new unit with
        # several old sources
        g["kind"] = "split" if len(olds) == 1 else "merged"
        links = {
            (int(i), int(j)) for i in olds for j in news if pair_area.get((int(i), int(j)), 0) > 0
        }
        for i in olds:
            parts = [
                j
                for j in news
                if (int(i), int(j)) in links and _share_ok(pair_area, i, j, oa, na, min_share)
            ]
            if len(parts) >= 2:
                zh = f"拆分为 {len(parts)} 个单元: {_codes(nc, parts)}"
                en = f"split into {len(parts)} units: {_codes(nc, parts)}"
                attrs, zx, ex = _link_changes(
                    [(int(i), int(j)) for j in parts], pair, oc, nc, ocls, ncls
                )
                add("split", {"split"}, np.array([i]), np.array(parts), zh + zx, en + ex, attrs)
        for j in news:
            srcs = [
                i
                for i in olds
                if (int(i), int(j)) in links and _share_ok(pair_area, i, j, oa, na, min_share)
            ]
            if len(srcs) >= 2:
                zh = f"由 {len(srcs)} 个单元合并: {_codes(oc, srcs)}"
                en = f"merged from {len(srcs)} units: {_codes(oc, srcs)}"
                attrs, zx, ex = _link_changes(
                    [(int(i), int(j)) for i in srcs], pair, oc, nc, ocls, ncls
                )
                add("merged", {"merged"}, np.array(srcs), np.array([j]), zh + zx, en + ex, attrs)
    return changes, unit_rows, clause_rows, pair_info


def _link_changes(links, pair, oc, nc, ocls, ncls) -> tuple[list[str], str, str]:
    """Attributes changed across the links of a split or merge (each link's attributes
    are also kept for the class/access-list checks), and the class changes in words."""
    attrs: list[str] = []
    zh, en = "", ""
    for i, j in links:
        info = pair(i, j)
        attrs += [a for a in info["attrs"] if a not in attrs and a not in ("name", "name_en")]
        if int(ocls[i]) != int(ncls[j]):
            zh += f"；{oc.code[i]} → {nc.code[j]} 类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}"
            en += f"; {oc.code[i]} → {nc.code[j]} class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')}"
    return attrs, zh, en


def _share_ok(pair_area, i, j, oa, na, min_share) -> bool:
    a = pair_area.get((int(i), int(j)), 0.0)
    return a >= min_share * oa[i] or a >= min_share * na[j]


def _findings(
    o,
    n,
    oa,
    na,
    ocls,
    ncls,
    all_i,
    all_j,
    all_a,
    uncovered_o,
    measure,
    ng,
    cj,
    pair_info,
    tol,
    li,
    lj,
    groups,
):
    rows: list[Finding] = []
    ocode, ncode = o["code"].to_numpy(dtype=object), n["code"].to_numpy(dtype=object)
    # priority protection area
    lost = {}
    pri_o = ocls == 1
    mask = pri_o[all_i] & (ncls[all_j] != 1)
    for i, a in zip(all_i[mask], all_a[mask], strict=True):
        lost[int(i)] = lost.get(int(i), 0.0) + float(a)
    for i in np.flatnonzero(pri_o & (uncovered_o > 0)):
        lost[int(i)] = lost.get(int(i), 0.0) + float(uncovered_o[i])
    net = float(oa[pri_o].sum() - na[ncls == 1].sum())
    if net >= tol:
        top = sorted(lost.items(), key=lambda kv: -kv[1])
        listed = ", ".join(f"{ocode[i]} {a / 1e6:.4f} km²" for i, a in top[:20])
        more = f" … (+{len(top) - 20})" if len(top) > 20 else ""
        rows.append(
            Finding(
                Reason.PRIORITY_DECREASE,
                f"优先保护单元面积净减少 {net / 1e6:.4f} km²（EPSG:6933）；转出单元: {listed}{more}",
                f"priority protection area decreased by {net / 1e6:.4f} km² net (EPSG:6933); "
                f"area lost by: {listed}{more}",
                tuple(ocode[i] for i, _ in top),
                net,
            )
        )
    # retired codes used again: a new unit bears an old code but does not correspond to it
    old_pos = {c: k for k, c in enumerate(ocode)}
    linked = set(zip(li.tolist(), lj.tolist(), strict=True))
    for j, code in enumerate(ncode):
        i = old_pos.get(code)
        if i is None or (i, j) in linked:
            continue
        rows.append(
            Finding(
                Reason.CODE_REUSED,
                f"新版单元 {code} 使用了旧版另一位置单元的编码（两者不对应）",
                f"new unit {code} bears the code of an old unit elsewhere (they do not correspond)",
                (str(code),),
            )
        )
    # numbering gaps: serials skipped in the new edition that neither edition uses
    rows += _code_gaps(ocode, ncode)
    # new overlaps among changed new units
    if len(cj):
        tree = shapely.STRtree(ng)
        a, b = tree.query(ng[cj], predicate="intersects")
        a = cj[a]
        m = a != b
        a, b = a[m], b[m]
        m = (a < b) | ~np.isin(b, cj)
        a, b = a[m], b[m]
        if len(a):
            inter = shapely.intersection(ng[a], ng[b])
            area = np.where(measure.work_m2(inter) >= tol, measure(inter)[0], 0.0)
            for x, y, ar in zip(a[area >= tol], b[area >= tol], area[area >= tol], strict=True):
                rows.append(
                    Finding(
                        Reason.NEW_OVERLAP,
                        f"新版单元 {ncode[x]} 与 {ncode[y]} 重叠 {ar:,.1f} m²",
                        f"new units {ncode[x]} and {ncode[y]} overlap by {ar:,.1f} m²",
                        (str(ncode[x]), str(ncode[y])),
                        float(ar),
                    )
                )
    for i in np.flatnonzero(uncovered_o > 0):
        ar = float(uncovered_o[i])
        rows.append(
            Finding(
                Reason.NEW_GAP,
                f"旧版单元 {ocode[i]} 有 {ar:,.1f} m² 在新版中无单元覆盖",
                f"{ar:,.1f} m² of old unit {ocode[i]} is covered by no new unit",
                (str(ocode[i]),),
                ar,
            )
        )
    # class versus access list, for every corresponding pair
    for (i, j), info in sorted(pair_info.items()):
        if (i, j) not in linked:
            continue
        dims = [d.column for d in DIMENSIONS]
        access = any(c in info["attrs"] for c in dims)
        klass = int(ocls[i]) != int(ncls[j])
        if klass and not access:
            rows.append(
                Finding(
                    Reason.CLASS_WITHOUT_ACCESS,
                    f"{ocode[i]} → {ncode[j]}: 类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}，准入清单未变",
                    f"{ocode[i]} → {ncode[j]}: class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')} "
                    "with the same access list",
                    (str(ocode[i]), str(ncode[j])),
                )
            )
        elif access and not klass:
            rows.append(
                Finding(
                    Reason.ACCESS_WITHOUT_CLASS,
                    f"{ocode[i]} → {ncode[j]}: 准入清单变化，类别仍为 {_label(int(ncls[j]), 'zh')}",
                    f"{ocode[i]} → {ncode[j]}: access list changed, class stays {_label(int(ncls[j]), 'en')}",
                    (str(ocode[i]), str(ncode[j])),
                )
            )
    return pd.DataFrame(
        [
            {
                "reason": f.reason.value,
                "severity": f.severity,
                "label_zh": REASONS[f.reason][1],
                "label_en": REASONS[f.reason][2],
                "codes": ";".join(f.codes),
                "area_m2": f.area_m2,
                "detail_zh": f.detail_zh,
                "detail_en": f.detail_en,
            }
            for f in rows
        ],
        columns=[
            "reason",
            "severity",
            "label_zh",
            "label_en",
            "codes",
            "area_m2",
            "detail_zh",
            "detail_en",
        ],
    )


def _code_gaps(ocode, ncode) -> list[Finding]:
    used: dict[tuple[str, int], set[int]] = {}
    for code in list(ocode) + list(ncode):
        p = parse_code(code)
        if p:
            used.setdefault((p[0], p[1]), set()).add(int(p[2]))
    new_used: dict[tuple[str, int], set[int]] = {}
    for code in ncode:
        p = parse_code(code)
        if p:
            new_used.setdefault((p[0], p[1]), set()).add(int(p[2]))
    out = []
    for (admin, cls), serials in sorted(new_used.items()):
        top = max(serials)
        missing = [s for s in range(1, top) if s not in used[(admin, cls)]]
        if missing:
            shown = ", ".join(f"ZH{admin}{cls}{s:04d}" for s in missing[:10])
            more = f" … (+{len(missing) - 10})" if len(missing) > 10 else ""
            out.append(
                Finding(
                    Reason.CODE_GAP,
                    f"ZH{admin}{cls} 序号缺号（两版均未使用）: {shown}{more}",
                    f"serials of ZH{admin}{cls} skipped (used by neither edition): {shown}{more}",
                    tuple(f"ZH{admin}{cls}{s:04d}" for s in missing),
                )
            )
    return out
