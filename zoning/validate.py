"""Check a control-unit layer and report every problem at once, each with a reason code.

``validate_units(units)`` returns a :class:`ValidationReport` whose ``problems`` table has
one row per problem: reason code, unit code, row, detail, area (m², equal-area
EPSG:6933) and the place of the problem as geometry.  Nothing stops at the first problem.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from enum import Enum

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.validation import explain_validity

from zoning.geo import EQUAL_AREA
from zoning.io.coords import check_coordinates
from zoning.model import UNIT_CLASSES, normalise_class, parse_code
from zoning.model.geometry import repair_geometry as repair_geometry  # re-exported
from zoning.model.geometry import require_valid_geometry as require_valid_geometry
from zoning.model.units import normalise_units as normalise_units  # re-exported

log = logging.getLogger(__name__)


class Reason(str, Enum):
    """Reason codes of validation problems."""

    EMPTY_LAYER = "empty_layer"
    MISSING_CRS = "missing_crs"
    MISSING_GEOMETRY = "missing_geometry"
    NOT_POLYGON = "not_polygon"
    INVALID_GEOMETRY = "invalid_geometry"
    MISSING_CODE = "missing_code"
    MALFORMED_CODE = "malformed_code"
    DUPLICATE_CODE = "duplicate_code"
    UNKNOWN_CLASS = "unknown_class"
    CLASS_CODE_MISMATCH = "class_code_mismatch"
    OVERLAP = "overlap"
    GAP = "gap"
    IMPOSSIBLE_COORDINATES = "impossible_coordinates"

    def describe(self, lang: str = "en") -> str:
        return _DESCRIPTIONS[self][0 if lang == "zh" else 1]


_DESCRIPTIONS = {
    Reason.EMPTY_LAYER: ("图层为空", "the layer has no features"),
    Reason.MISSING_CRS: ("缺少坐标系", "the layer declares no CRS"),
    Reason.MISSING_GEOMETRY: ("缺少几何", "the feature has no geometry"),
    Reason.NOT_POLYGON: ("不是面要素", "the geometry is not a polygon"),
    Reason.INVALID_GEOMETRY: ("几何无效", "the geometry is invalid"),
    Reason.MISSING_CODE: ("缺少单元编码", "the unit code is empty"),
    Reason.MALFORMED_CODE: (
        "单元编码格式错误",
        "the code is not ZH + 6-digit admin code + class digit + 4 digits",
    ),
    Reason.DUPLICATE_CODE: ("单元编码重复", "the code is used by more than one unit"),
    Reason.UNKNOWN_CLASS: ("管控类别未知", "the class is not 1, 2, 3 or a known label"),
    Reason.CLASS_CODE_MISMATCH: (
        "编码类别位与类别字段不一致",
        "the class digit of the code disagrees with the class field",
    ),
    Reason.OVERLAP: ("单元重叠", "two units overlap"),
    Reason.GAP: ("单元间空隙", "a gap inside the region is covered by no unit"),
    Reason.IMPOSSIBLE_COORDINATES: (
        "坐标不可能（超出坐标系范围）",
        "the coordinates are impossible for the layer's CRS",
    ),
}

PROBLEM_COLUMNS = ["reason", "unit_code", "row", "other_code", "detail", "area_m2", "geometry"]


@dataclass
class ValidationReport:
    """Every problem found in a unit layer.

    Attributes
    ----------
    problems : GeoDataFrame
        One row per problem (columns ``reason``, ``unit_code``, ``row``, ``other_code``,
        ``detail``, ``area_m2``, geometry in WGS 84).
    n_units : int
        Number of units checked.
    source : str or None
        Where the units came from.
    """

    problems: gpd.GeoDataFrame
    n_units: int
    source: str | None = None
    crs: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return len(self.problems) == 0

    def table(self, max_rows: int = 200) -> str:
        """A plain-text table of the problems (for stderr)."""
        if self.ok:
            return f"{self.n_units} units checked: no problems found."
        frame = pd.DataFrame(self.problems.drop(columns="geometry"))
        frame["area_m2"] = frame["area_m2"].map(lambda v: "" if pd.isna(v) else f"{v:,.1f}")
        frame["row"] = frame["row"].astype(object)
        frame = frame.fillna("")
        shown = frame.head(max_rows).to_string(index=False, max_colwidth=70)
        more = "" if len(frame) <= max_rows else f"\n... and {len(frame) - max_rows} more"
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts.items())
        sizes = self.size_summary()
        sizes = f"\n{sizes}" if sizes else ""
        return f"{len(frame)} problem(s) in {self.n_units} units ({counts}):\n{shown}{more}{sizes}"

    #: Size bands (m²) of :meth:`size_summary`.
    SIZE_BANDS = (
        (0, 100, "< 100 m²"),
        (100, 10_000, "100 m² - 1 ha"),
        (10_000, 1_000_000, "1 ha - 1 km²"),
        (1_000_000, float("inf"), "> 1 km²"),
    )

    def size_summary(self) -> str:
        """Overlaps and gaps by size band with their total area: many small ones are
        usually slivers of boundaries digitised apart (raise ``--tolerance-m2``)."""
        lines = []
        for reason in (Reason.OVERLAP.value, Reason.GAP.value):
            area = self.problems.loc[self.problems["reason"] == reason, "area_m2"].to_numpy()
            if len(area) == 0:
                continue
            bands = ", ".join(
                f"{label}: {int(((area >= lo) & (area < hi)).sum())}"
                for lo, hi, label in self.SIZE_BANDS
                if ((area >= lo) & (area < hi)).any()
            )
            lines.append(f"{reason}s: {len(area)}, {area.sum() / 1e6:,.3f} km² in all ({bands})")
        if lines and len(self.problems) > 50:
            lines.append(
                "many small overlaps/gaps are usually slivers between boundaries digitised "
                "apart; --tolerance-m2 N hides those under N m²"
            )
        return "\n".join(lines)


def _problem(reason: Reason, code=None, row=None, detail="", area=None, geom=None, other=None):
    return {
        "reason": reason.value,
        "unit_code": code,
        "row": row,
        "other_code": other,
        "detail": detail or reason.describe(),
        "area_m2": area,
        "geometry": geom,
    }


def validate_units(
    units: gpd.GeoDataFrame,
    /,
    *,
    outline: gpd.GeoDataFrame | None = None,
    tolerance_m2: float = 1.0,
    source: str | None = None,
) -> ValidationReport:
    """Check a unit layer; collect every problem with a reason code.

    Parameters
    ----------
    units : GeoDataFrame
        Units with canonical columns ``code`` and ``unit_class`` (see
        :func:`zoning.io.vector.read_units`).  A layer without CRS is checked as if it
        were WGS 84 longitude/latitude and gets a ``missing_crs`` problem.
    outline : GeoDataFrame, optional (default: None)
        The region's outline; parts of it covered by no unit are gaps.  Without it, gaps
        are the holes inside the union of the units.
    tolerance_m2 : float, optional (default: 1.0)
        Overlaps and gaps smaller than this (m²) are numerical slivers and not reported.
    source : str, optional (default: None)
        Name of the input, for the report.
    """
    with warnings.catch_warnings():
        # NaN/infinite coordinates are reported as impossible_coordinates; shapely's
        # "invalid value encountered" on them says nothing more
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        return _validate(units, outline, tolerance_m2, source)


def _validate(units, outline, tolerance_m2, source) -> ValidationReport:
    problems: list[dict] = []
    source = source or units.attrs.get("source")
    topology = True
    declared = units.crs
    if units.crs is None:
        lonlat = len(units) == 0 or _looks_lonlat(units.total_bounds)
        problems.append(
            _problem(
                Reason.MISSING_CRS,
                detail="the layer declares no CRS; "
                + (
                    "checked as WGS 84 lon/lat"
                    if lonlat
                    else "its coordinates are not lon/lat, so overlaps and gaps were not checked"
                )
                + ". Fix: add a .prj or pass --crs",
            )
        )
        units = units.set_crs("EPSG:4326", allow_override=True)
        topology = lonlat
    if len(units) == 0:
        problems.append(_problem(Reason.EMPTY_LAYER))
        return _report(problems, 0, source, units.crs)

    frame = units.reset_index(drop=True)
    codes = frame["code"].astype("string")
    geoms = frame.geometry.values
    # a layer without CRS whose coordinates are not lon/lat: only NaN/inf can be judged
    coord_check = check_coordinates(geoms, frame.crs if declared is not None or topology else None)
    impossible = coord_check.bad
    wgs = frame.to_crs("EPSG:4326").geometry.values if not frame.crs.equals("EPSG:4326") else geoms
    if impossible.any():
        wgs = np.asarray(wgs, dtype=object).copy()
        wgs[impossible] = None  # never a place at latitude 300 in the problem places
    for i in np.flatnonzero(impossible):
        problems.append(
            _problem(
                Reason.IMPOSSIBLE_COORDINATES,
                codes[i],
                int(i),
                f"{coord_check.problems[i]}"
                + (f"; likely {coord_check.cause}" if coord_check.cause else "")
                + (f". Fix: {coord_check.fix}" if coord_check.fix else ""),
            )
        )

    # --- geometry, row by row (vectorised) --------------------------------------------
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        problems.append(_problem(Reason.MISSING_GEOMETRY, codes[i], int(i)))
    types = shapely.get_type_id(geoms)
    not_poly = ~missing & ~np.isin(types, [3, 6])
    for i in np.flatnonzero(not_poly):
        problems.append(
            _problem(
                Reason.NOT_POLYGON,
                codes[i],
                int(i),
                f"geometry is a {geoms[i].geom_type}",
                geom=wgs[i],
            )
        )
    invalid = ~missing & ~not_poly & ~impossible
    invalid[invalid] = ~shapely.is_valid(geoms[invalid])  # GEOS raises on NaN vertices
    for i in np.flatnonzero(invalid):
        reason = explain_validity(geoms[i])
        where = None
        if "[" in reason:
            try:
                x, y = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
                where = shapely.points(float(x), float(y))
                where = gpd.GeoSeries([where], crs=frame.crs).to_crs("EPSG:4326").iloc[0]
            except (ValueError, IndexError):
                where = None
        problems.append(
            _problem(
                Reason.INVALID_GEOMETRY,
                codes[i],
                int(i),
                f"{reason}. Fix: repair it (e.g. make_valid / buffer(0)) in the source layer",
                geom=where if where is not None else wgs[i],
            )
        )

    # --- codes and classes --------------------------------------------------------------
    classes = [normalise_class(v) for v in frame["unit_class"].tolist()]
    parsed = [parse_code(c) if not pd.isna(c) else None for c in codes.tolist()]
    for i, code in enumerate(codes.tolist()):
        if pd.isna(code) or str(code).strip() == "":
            problems.append(_problem(Reason.MISSING_CODE, None, i, geom=wgs[i]))
            continue
        if parsed[i] is None:
            problems.append(
                _problem(
                    Reason.MALFORMED_CODE,
                    code,
                    i,
                    f"'{code}' is not ZH + 6-digit admin code + class digit "
                    "(1-3) + 4-digit serial, e.g. ZH33990110001",
                    geom=wgs[i],
                )
            )
    dup = codes.duplicated(keep=False) & codes.notna()
    for code, rows in frame[dup.to_numpy()].groupby(codes[dup]).groups.items():
        rows = list(rows)
        problems.append(
            _problem(
                Reason.DUPLICATE_CODE,
                code,
                int(rows[0]),
                f"'{code}' is used by rows {[r + 1 for r in rows]}",
                geom=shapely.union_all(wgs[rows]),
            )
        )
    for i, (raw, cls) in enumerate(zip(frame["unit_class"].tolist(), classes, strict=True)):
        if cls is None:
            problems.append(
                _problem(
                    Reason.UNKNOWN_CLASS,
                    codes[i],
                    i,
                    f"class '{raw}' is not one of 1/2/3 or {[c.zh for c in UNIT_CLASSES.values()]}",
                    geom=wgs[i],
                )
            )
        elif parsed[i] is not None and parsed[i][1] != cls:
            problems.append(
                _problem(
                    Reason.CLASS_CODE_MISMATCH,
                    codes[i],
                    i,
                    f"code class digit {parsed[i][1]} but class field '{raw}' ({cls})",
                    geom=wgs[i],
                )
            )

    # --- topology: overlaps and gaps --------------------------------------------------
    # Found in the layer's own CRS, where neighbours' shared edges are what the file
    # holds (reprojecting first bends edges between vertices differently and invents
    # slivers); each overlap or gap found is then measured in an equal-area CRS.
    usable = ~missing & ~not_poly & ~impossible
    if topology:
        native = np.asarray(geoms, dtype=object)
        bad = usable & ~shapely.is_valid(native)
        if bad.any():
            native = native.copy()
            native[bad] = shapely.make_valid(native[bad])
        idx = np.flatnonzero(usable)
        coverage = _is_coverage(native[idx])
        if not coverage:  # a valid coverage has disjoint interiors: no overlap to look for
            problems.extend(_overlaps(native, idx, codes, tolerance_m2, frame.crs))
        outline_native = None if outline is None else outline.to_crs(frame.crs)
        problems.extend(_gaps(native[idx], outline_native, tolerance_m2, frame.crs, coverage))
    return _report(problems, len(frame), source, frame.crs)


def _looks_lonlat(bounds) -> bool:
    x0, y0, x1, y1 = bounds
    return bool(np.all(np.isfinite(bounds)) and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90)


def _to_wgs(geom, crs):
    return gpd.GeoSeries([geom], crs=crs).to_crs("EPSG:4326").iloc[0]


def _area_m2(geoms, crs) -> np.ndarray:
    """Areas in m² in the equal-area CRS; edges densified first so that a piece drawn in
    degrees or a conformal projection keeps its shape when reprojected."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    step = 0.001 if CRS.from_user_input(crs).is_geographic else 100.0  # about 100 m
    ea = gpd.GeoSeries(shapely.segmentize(geoms, step), crs=crs).to_crs(EQUAL_AREA)
    return shapely.area(ea.values)


def _overlaps(geoms, idx, codes, tol, crs) -> list[dict]:
    if len(idx) < 2:
        return []
    sub = geoms[idx]
    tree = shapely.STRtree(sub)
    left, right = tree.query(sub, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return []
    interiors = shapely.relate_pattern(sub[left], sub[right], "T********")
    left, right = left[interiors], right[interiors]
    inter = shapely.intersection(sub[left], sub[right])
    areas = _area_m2(inter, crs)
    out = []
    for a, b, g, area in zip(left, right, inter, areas, strict=True):
        if area < tol:
            continue
        i, j = int(idx[a]), int(idx[b])
        out.append(
            _problem(
                Reason.OVERLAP,
                codes[i],
                i,
                f"overlaps {codes[j]} (row {j + 1}) by {area:,.1f} m²",
                float(area),
                _to_wgs(g, crs),
                other=codes[j],
            )
        )
    return out


def _is_coverage(geoms) -> bool:
    """Whether the units form a valid polygonal coverage (GEOS: interiors disjoint, no two
    alike, shared edges matching vertex for vertex; the usual case for a published
    layer): then no two units overlap, and their union merges the shared edges."""
    if len(geoms) == 0:
        return False
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # a repaired unit may be a collection
    return bool(polygonal.all() and shapely.coverage_is_valid(geoms))


def _union(geoms, coverage: bool):
    """The union of the units; a valid coverage is merged along its shared edges, about
    2x faster than a general union for 40,000 units, with the same result."""
    if coverage:
        return shapely.coverage_union_all(geoms)
    return shapely.union_all(geoms)


def _gaps(geoms, outline, tol, crs, coverage: bool) -> list[dict]:
    if len(geoms) == 0:
        return []
    union = _union(geoms, coverage)
    if outline is not None and len(outline):
        region = shapely.union_all(outline.geometry.values)
        holes = shapely.difference(region, union)
    else:
        # a repaired unit may leave lines or points in the union: only polygons have holes
        polys = [p for p in shapely.get_parts(union) if p.geom_type == "Polygon"]
        rings = [shapely.Polygon(r) for p in polys for r in p.interiors]
        # a hole may hold an island unit: only what no unit covers is a gap
        holes = shapely.difference(shapely.union_all(rings), union) if rings else shapely.Polygon()
    out = []
    parts = [p for p in shapely.get_parts(holes) if p.geom_type == "Polygon"]
    for part, area in zip(parts, _area_m2(parts, crs), strict=True):
        area = float(area)
        if area < tol:
            continue
        c = _to_wgs(part.representative_point(), crs)
        out.append(
            _problem(
                Reason.GAP,
                None,
                None,
                f"a gap of {area:,.1f} m² near {c.x:.5f}E {c.y:.5f}N is covered by no unit",
                area,
                _to_wgs(part, crs),
            )
        )
    return out


def _report(problems, n, source, crs) -> ValidationReport:
    frame = gpd.GeoDataFrame(
        problems, columns=PROBLEM_COLUMNS, geometry="geometry", crs="EPSG:4326"
    )
    frame["area_m2"] = frame["area_m2"].astype(float)
    # rows as people count them (the first feature is row 1), never 71.0
    frame["row"] = pd.array(frame["row"], dtype="Int64") + 1
    counts = frame["reason"].value_counts().to_dict() if len(frame) else {}
    return ValidationReport(
        frame,
        n,
        source,
        None if crs is None else crs.to_string(),
        {str(k): int(v) for k, v in counts.items()},
    )
