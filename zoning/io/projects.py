"""Reading proposed project sites and their facts.

A project is a point (a plant), a line (pipeline, road, power line) or a polygon (a site
boundary).  :func:`read_projects` reads

- GeoJSON, GeoPackage, KML, Shapefile (also zipped), GeoParquet through
  :func:`zoning.io.vector.read_vector` (several projects in one file are a batch);
- a plain text / CSV list of boundary vertices as planners copy them from survey sheets
  (``.txt``, ``.csv``): one vertex per line, optionally a point label first
  (``J1, 119.873, 30.041``) and a header line; longitude/latitude in decimal degrees or
  degrees-minutes-seconds (``119°52'30.5"E``, ``119d52m30.5s``, ``119:52:30.5``,
  ``东经119度52分30.5秒``), or projected x/y with a named CRS (``crs="EPSG:4549"``).
  Survey sheets write X for the northing and Y for the easting: a swapped pair is
  detected and swapped back, and a Gauss-Krüger zone prefix (``40512345.6``) is removed
  when it matches the CRS; both are reported in ``geometry_note``.  One vertex is a
  point, two a line, a closed list (the last vertex repeats the first) a polygon; an open
  list of three or more is a boundary or a route only when ``geometry=`` says which.
  ``geometry_decided_by`` records how the type was decided (:data:`DECIDED_BY`).

:func:`parse_wkt` reads WKT given on the command line.  A ring that is not closed is
closed; a self-intersecting polygon is an error naming the crossing edges, or, with
``repair=True``, is repaired (:func:`shapely.make_valid`) and reported as such in
``geometry_note``.  Facts (sector, stage, capacity, emissions, energy, tags) come from the
file's attributes; ``facts=`` (e.g. from command-line options) fills or overrides them
for every project.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, InputError, SchemaError
from zoning.io.coords import check_coordinates, refuse_impossible
from zoning.io.digest import file_sha256, read_bytes  # noqa: F401  (file_sha256: its old home)
from zoning.io.vector import read_vector

log = logging.getLogger(__name__)

GeometryKind = Literal["auto", "point", "line", "polygon"]
#: How the geometry type of a project was decided (``geometry_decided_by``), zh / en.
DECIDED_BY = {
    "closed ring": ("闭合的顶点列表", "closed ring"),
    "one vertex": ("单个顶点", "one vertex"),
    "two vertices": ("两个顶点", "two vertices"),
    "--geometry point": ("--geometry point（用户指定）", "--geometry point"),
    "--geometry line": ("--geometry line（用户指定）", "--geometry line"),
    "--geometry polygon": ("--geometry polygon（用户指定）", "--geometry polygon"),
    "WKT": ("WKT 几何类型", "WKT"),
    "file": ("文件中的几何类型", "file"),
}
#: Default CRS of longitude/latitude without one (CGCS2000).
LONLAT = "EPSG:4490"

NUMERIC_FACTS = (
    "capacity",
    "so2_t",
    "nox_t",
    "pm_t",
    "vocs_t",
    "co2_t",
    "energy_tce",
)
TEXT_FACTS = ("sector", "stage", "capacity_unit", "tags", "two_high", "name", "name_en")
_ALIASES = {
    "Name": "name",
    "NAME": "name",
    "Description": "description",
    "id": "project_id",
    "ID": "project_id",
    "facility_id": "project_id",
    "项目编号": "project_id",
    "项目名称": "name",
    "行业代码": "sector",
}
_LON = ("lon", "lng", "long", "longitude", "经度", "东经", "e", "east")
_LAT = ("lat", "latitude", "纬度", "北纬", "n", "north")
_X = ("x", "x坐标", "easting", "东坐标")
_Y = ("y", "y坐标", "northing", "北坐标")
_SPLIT = re.compile(r"\s*[,;\t，；]\s*")
_NUM = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_ANGLE_MARKS = re.compile(r"[°º˚度'′’‘分\"″”“秒:dDmMsS\s]")
_HEMI = {
    "N": 1,
    "E": 1,
    "S": -1,
    "W": -1,
    "北纬": 1,
    "东经": 1,
    "南纬": -1,
    "西经": -1,
    "北": 1,
    "东": 1,
    "南": -1,
    "西": -1,
}


# ----------------------------------------------------------------------------------------
# angles


def parse_angle(text: str, /) -> tuple[float, str | None]:
    """A decimal or degrees-minutes-seconds angle as (degrees, axis or None).

    ``axis`` is ``"lon"`` for an E/W (东经/西经) hemisphere mark, ``"lat"`` for N/S, else
    None.  ``119°52'30.5"E`` → (119.875138…, "lon"); ``-30.5`` → (-30.5, None).

    Raises
    ------
    ValueError
        When the text is not an angle (minutes or seconds of 60 or more included).
    """
    s = str(text).strip().replace("＂", '"').replace("＇", "'")
    if not s:
        raise ValueError("empty")
    try:
        return float(s), None
    except ValueError:
        pass
    sign, axis = 1, None
    # hemisphere letters are upper case (or n/e/w): a lower-case "s" is seconds
    probe = s[0].upper() + s[1:-1] + (s[-1] if s[-1] == "s" else s[-1].upper())
    for mark in sorted(_HEMI, key=len, reverse=True):
        if probe.startswith(mark) or probe.endswith(mark):
            sign = _HEMI[mark]
            axis = "lon" if mark in ("E", "W", "东经", "西经", "东", "西") else "lat"
            s = s[len(mark) :] if probe.startswith(mark) else s[: -len(mark)]
            s = s.strip()
            break
    if s.startswith(("-", "+")):
        sign *= -1 if s[0] == "-" else 1
        s = s[1:].strip()
    nums = _NUM.findall(s)
    rest = _NUM.sub("", s)
    if not nums or len(nums) > 3 or _ANGLE_MARKS.sub("", rest):
        raise ValueError(f"'{text}' is not an angle")
    parts = [float(n) for n in nums] + [0.0] * (3 - len(nums))
    if parts[1] >= 60 or parts[2] >= 60:
        raise ValueError(f"'{text}': minutes and seconds must be below 60")
    return sign * (parts[0] + parts[1] / 60 + parts[2] / 3600), axis


# ----------------------------------------------------------------------------------------
# geometry checks


def _crossings(ring: np.ndarray) -> str:
    """Which edges of a ring cross, e.g. 'edges 1-2 and 3-4 cross at (x, y)'."""
    segs = shapely.linestrings(np.stack([ring[:-1], ring[1:]], axis=1))
    tree = shapely.STRtree(segs)
    a, b = tree.query(segs, predicate="intersects")
    m = (b > a + 1) & ~((a == 0) & (b == len(segs) - 1))
    if not m.any():
        return ""
    i, j = int(a[m][0]), int(b[m][0])
    p = shapely.intersection(segs[i], segs[j])
    c = shapely.get_coordinates(p)[0]
    return (
        f"edges {i + 1}-{i + 2} and {j + 1}-{j + 2 if j + 2 <= len(segs) else 1} "
        f"cross at ({c[0]:.7g}, {c[1]:.7g})"
    )


def _fix_polygon(geom, *, repair: bool, source, row) -> tuple[object, str]:
    """Check a polygon; repair it (make_valid) when asked.  Returns (geometry, note)."""
    if geom is None or shapely.get_dimensions(geom) != 2 or shapely.is_valid(geom):
        return geom, ""
    reason = shapely.is_valid_reason(geom)
    where = ""
    for poly in shapely.get_parts(geom):
        where = _crossings(shapely.get_coordinates(shapely.get_exterior_ring(poly)))
        if where:
            break
    if not repair:
        raise InputError(
            f"the polygon is not valid: {reason}" + (f"; {where}" if where else ""),
            source=source,
            row=row,
            field="geometry",
            fix="list the vertices once around the boundary in order (the edges must not "
            "cross), or pass --repair to split the polygon at the crossing",
        )
    fixed = shapely.make_valid(geom)
    polys = [p for p in shapely.get_parts(fixed) if shapely.get_dimensions(p) == 2]
    if not polys:
        raise InputError(
            f"the polygon is not valid ({reason}) and cannot be repaired",
            source=source,
            row=row,
            field="geometry",
            fix="check the vertices",
        )
    out = shapely.union_all(polys)
    n = len(shapely.get_parts(out))
    note = (
        f"repaired: the polygon was not valid ({reason}"
        + (f"; {where}" if where else "")
        + f"); repaired footprint has {n} part(s)"
    )
    log.warning("%s: %s", source or "project", note)
    return out, note


# ----------------------------------------------------------------------------------------
# vertex lists


def _header(fields: list[str]) -> dict[str, int] | None:
    """Column positions of a header line, or None when the line holds data."""
    for f in fields:
        try:
            parse_angle(f)
            return None
        except ValueError:
            continue
    low = [f.strip().lower().replace(" ", "") for f in fields]
    cols: dict[str, int] = {}
    for key, names in (("lon", _LON), ("lat", _LAT), ("x", _X), ("y", _Y)):
        for i, name in enumerate(low):
            if name in names and i not in cols.values():
                cols[key] = i
                break
    return cols


def _is_number(text: str) -> bool:
    try:
        parse_angle(text)
        return True
    except ValueError:
        return False


def parse_vertices(
    text: str,
    /,
    *,
    crs: str | CRS | None = None,
    geometry: GeometryKind = "auto",
    repair: bool = False,
    source: str | PathLike | None = None,
    project_id: str = "P1",
    facts: Mapping[str, object] | None = None,
) -> gpd.GeoDataFrame:
    """One project from a text list of vertices (see the module docstring).

    Parameters
    ----------
    text : str
        The list: one vertex per line, fields separated by commas, semicolons, tabs or
        spaces; ``#`` starts a comment.
    crs : str or CRS, optional (default: EPSG:4490 for degrees)
        CRS of the coordinates; required for projected x/y.
    geometry : {"auto", "point", "line", "polygon"}, optional (default: "auto")
        What the vertices describe; ``auto``: 1 vertex a point, 2 a line, a closed list
        (the last vertex repeats the first) a polygon; an open list of 3 or more vertices
        is refused (:class:`InputError` naming ``polygon`` and ``line``), never guessed.
    repair : bool, optional (default: False)
        Repair a self-intersecting polygon instead of raising.
    source : str or path, optional (default: None)
        Named in errors.
    project_id : str, optional (default: "P1")
    facts : mapping, optional (default: None)
        Facts of the project (``sector``, ``stage``, ``nox_t`` …).

    Returns
    -------
    GeoDataFrame with one row (``project_id``, ``geometry_note``,
    ``geometry_decided_by``, the facts).
    """
    if geometry not in ("auto", "point", "line", "polygon"):
        raise InputError(
            f"`geometry` was '{geometry}' but is expected to be in auto, point, line, polygon",
            field="--geometry",
        )
    rows: list[tuple[int, list[str]]] = []
    cols: dict[str, int] | None = None
    for lineno, raw in enumerate(str(text).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        if _SPLIT.search(line):
            fields = [f for f in _SPLIT.split(line) if f != ""]
        else:
            fields = re.sub(r"([°º˚度'′’分])\s+", r"\1", line).split()
        if not rows and cols is None:
            head = _header(fields)
            if head is not None:
                cols = head
                continue
        rows.append((lineno, fields))
    if not rows:
        raise DataSourceError(
            "no vertices found", source=source, fix="list one vertex per line: x, y"
        )
    notes: list[str] = []
    xs, ys, axes_seen = [], [], set()
    for lineno, fields in rows:
        if cols and ("lon" in cols or "x" in cols) and ("lat" in cols or "y" in cols):
            ix = cols.get("lon", cols.get("x"))
            iy = cols.get("lat", cols.get("y"))
            pair = [fields[ix] if ix < len(fields) else "", fields[iy] if iy < len(fields) else ""]
        else:
            nums = [f for f in fields if _is_number(f)]
            if len(fields) >= 3 and len(nums) >= 3 and "." not in fields[0]:
                nums = nums[1:]  # a numeric point label first: 1, x, y
            pair = nums[:2]
        if len(pair) < 2:
            raise InputError(
                f"expected two coordinates, found {fields}",
                source=source,
                line=lineno,
                fix="write one vertex per line: [label,] x, y",
            )
        vals = []
        for f in pair:
            try:
                vals.append(parse_angle(f))
            except ValueError as exc:
                raise InputError(
                    f"'{f}' is not a number or a degrees-minutes-seconds angle",
                    source=source,
                    line=lineno,
                    fix="write decimal degrees (119.875), 119°52'30.5\"E, or projected x/y",
                ) from exc
        (a, ax_a), (b, ax_b) = vals
        if ax_a == "lat" or ax_b == "lon":
            a, b = b, a
            axes_seen.add("swapped")
        xs.append(a)
        ys.append(b)
    x = np.array(xs, dtype="float64")
    y = np.array(ys, dtype="float64")
    if "swapped" in axes_seen:
        notes.append("latitude/longitude order taken from the N/S/E/W marks")
    degrees = bool((np.abs(x) <= 180).all() and (np.abs(y) <= 180).all())
    if crs is None:
        if not degrees:
            raise CRSError(
                "the coordinates are not degrees and no CRS is named",
                source=source,
                fix=_PROJECTED_FIX,
            )
        crs = LONLAT
    try:
        the_crs = CRS.from_user_input(crs)
    except ProjCRSError as exc:
        raise CRSError(
            f"'{crs}' is not a known CRS", source=source, fix="give an EPSG code, e.g. EPSG:4549"
        ) from exc
    if the_crs.is_geographic:
        if (np.abs(x) <= 90).all() and (np.abs(y) > 90).any():
            x, y = y, x
            notes.append("columns were latitude, longitude: swapped to longitude, latitude")
        if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
            raise CRSError(
                f"coordinates out of range for longitude/latitude ({the_crs.name})",
                source=source,
                fix="for projected x/y name their CRS, e.g. --crs EPSG:4549",
            )
    else:
        x, y = _survey_xy(x, y, the_crs, notes, source)
    _refuse_impossible(shapely.points(x, y), the_crs, source, "vertices")
    coords = np.column_stack([x, y])
    kind, decided_by = _vertex_geometry(coords, geometry, source)
    if kind == "point":
        if len(coords) != 1:
            raise InputError(
                f"a point needs one vertex, got {len(coords)}", source=source, field="geometry"
            )
        geom = shapely.points(coords[0])
    elif kind == "line":
        if len(coords) < 2:
            raise InputError("a line needs at least two vertices", source=source)
        geom = shapely.linestrings(coords)
    else:
        closed = len(coords) > 1 and np.array_equal(coords[0], coords[-1])
        distinct = len(np.unique(coords[:-1] if closed else coords, axis=0))
        if distinct < 3:
            raise InputError(
                f"a polygon needs at least three distinct vertices, got {distinct}",
                source=source,
                field="geometry",
                fix="list every corner of the boundary",
            )
        if not closed:
            coords = np.vstack([coords, coords[:1]])
            notes.append("the ring was not closed: closed it by repeating the first vertex")
        geom = shapely.polygons(coords)
        geom, note = _fix_polygon(geom, repair=repair, source=source, row=project_id)
        if note:
            notes.append(note)
    frame = gpd.GeoDataFrame(
        {
            "project_id": [project_id],
            "geometry_note": ["; ".join(notes)],
            "geometry_decided_by": [decided_by],
        },
        geometry=[geom],
        crs=the_crs,
    )
    return _with_facts(frame, facts, source)


def _vertex_geometry(coords: np.ndarray, geometry: GeometryKind, source) -> tuple[str, str]:
    """What a vertex list describes, and how that was decided (see :data:`DECIDED_BY`).

    ``auto``: one vertex is a point, two a line, a closed list (last vertex = first) a
    polygon; an open list of three or more could be a boundary or a route, so it is
    refused rather than guessed.
    """
    if geometry != "auto":
        return geometry, f"--geometry {geometry}"
    if len(coords) == 1:
        return "point", "one vertex"
    if len(coords) == 2:
        return "line", "two vertices"
    if np.array_equal(coords[0], coords[-1]):
        return "polygon", "closed ring"
    raise InputError(
        f"the vertex list is open ({len(coords)} vertices, the last is not the first): "
        "it may be a site boundary or a route (pipeline, road, power line), and the tool "
        "does not guess which",
        source=source,
        field="--geometry",
        fix="pass --geometry polygon for a boundary (the ring is closed for you) or "
        "--geometry line for a route; or repeat the first vertex at the end to close it",
    )


#: The fix when projected coordinates come without a CRS (no zone can be guessed).
_PROJECTED_FIX = (
    "name the CRS the x/y were surveyed in with --crs; CGCS2000 Gauss-Krüger zones are "
    "EPSG:4491-4554 (e.g. EPSG:4549 is the 3-degree zone with central meridian 120E, "
    "eastings without the zone prefix)"
)


def _refuse_impossible(geoms, crs, source, what: str) -> None:
    """Refuse coordinates impossible for ``crs``, naming the likely cause."""
    check = check_coordinates(np.atleast_1d(np.asarray(geoms, dtype=object)), crs)
    if not check.any():
        return
    bad = np.flatnonzero(check.bad)
    many = len(check.problems) > 1
    raise CRSError(
        (f"{check.cause}: " if check.cause else "coordinates impossible for the CRS: ")
        + (
            f"{len(bad)} of {len(check.problems)} {what} (first: {bad[0] + 1}, "
            f"{check.problems[bad[0]]})"
            if many
            else str(check.problems[0])
        ),
        source=source,
        fix=check.fix or "check the CRS (--crs)",
    )


def _survey_xy(x, y, crs: CRS, notes: list[str], source):
    """Survey-sheet conventions: X = northing (swap back), zone-prefixed eastings."""

    def is_north(v):
        return (v >= 1e6) & (v < 1e7)

    if is_north(x).all() and not is_north(y).any():
        x, y = y, x
        notes.append("X held northings and Y eastings (surveying convention): swapped")
    if (x >= 1e7).all():
        epsg = crs.to_epsg() or 0
        zone = np.floor(x / 1e6)
        if 4534 <= epsg <= 4554 and (zone == (75 + 3 * (epsg - 4534)) // 3).all():
            x = x - zone * 1e6
            notes.append(f"removed the Gauss-Krüger zone prefix {int(zone[0])} from the eastings")
        elif not (4513 <= epsg <= 4533 or 4491 <= epsg <= 4501):
            raise CRSError(
                f"the eastings carry a zone prefix {int(zone[0])} that does not match {crs.name}",
                source=source,
                fix=f"name the CRS of zone {int(zone[0])}, e.g. the CGCS2000 3-degree "
                "Gauss-Krüger zone with that central meridian",
            )
    return x, y


# ----------------------------------------------------------------------------------------
# facts


def _with_facts(frame: gpd.GeoDataFrame, facts, source) -> gpd.GeoDataFrame:
    """Canonical columns, typed facts; ``facts`` fill or override every row."""
    frame = frame.rename(columns={k: v for k, v in _ALIASES.items() if k in frame.columns})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for key, value in (facts or {}).items():
        if value is None:
            continue
        frame[key] = [value] * len(frame)
    if "project_id" not in frame.columns:
        frame.insert(0, "project_id", [f"P{i + 1}" for i in range(len(frame))])
    else:
        ids = frame["project_id"].astype("string")
        ids = ids.where(ids.notna() & (ids != ""), [f"P{i + 1}" for i in range(len(frame))])
        frame["project_id"] = ids.to_numpy(dtype=object)
    for col in NUMERIC_FACTS:
        if col in frame.columns:
            raw = frame[col]
            num = pd.to_numeric(raw, errors="coerce")
            bad = num.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise SchemaError(
                    f"'{raw.iloc[i]}' is not a number",
                    source=source,
                    row=str(frame["project_id"].iloc[i]),
                    field=col,
                    fix=f"give {col} as a number (t/yr, tce/yr) or leave it empty",
                )
            frame[col] = num.astype("float64")
    if "sector" in frame.columns:
        s = frame["sector"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        frame["sector"] = s.where(s != "", None)
    if "geometry_note" not in frame.columns:
        frame["geometry_note"] = ""
    return frame


# ----------------------------------------------------------------------------------------
# WKT and files


def parse_wkt(
    wkt: str,
    /,
    *,
    crs: str | CRS | None = None,
    repair: bool = False,
    project_id: str = "P1",
    facts: Mapping[str, object] | None = None,
) -> gpd.GeoDataFrame:
    """One project from WKT (``POINT (119.87 30.04)``, ``POLYGON ((...))`` …).

    ``crs`` defaults to EPSG:4490 when the coordinates are degrees; projected
    coordinates need it.  An unclosed polygon ring is closed (noted in
    ``geometry_note``); a self-intersecting polygon raises, or is repaired with
    ``repair=True``.
    """
    text = str(wkt).strip()
    notes: list[str] = []
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        closed = _close_wkt(text)
        try:
            geom = shapely.from_wkt(closed) if closed is not None else None
        except shapely.errors.GEOSException:
            geom = None
        if geom is None:
            raise InputError(
                f"not valid WKT ({exc})",
                source="--wkt",
                fix="e.g. --wkt 'POLYGON ((119.80 30.00, 119.81 30.00, 119.81 30.01, "
                "119.80 30.00))'",
            ) from exc
        notes.append("the ring was not closed: closed it by repeating the first vertex")
    if geom is None or geom.is_empty:
        raise InputError("the WKT geometry is empty", source="--wkt")
    geom = shapely.force_2d(geom)
    b = shapely.bounds(geom)
    if crs is None:
        xs, ys = np.abs(b[[0, 2]]), np.abs(b[[1, 3]])
        if (xs <= 90).all() and (ys > 90).any() and (ys <= 180).all():
            raise CRSError(
                f"the WKT coordinates look like latitude, longitude (first pair "
                f"{b[0]:.6g} {b[1]:.6g}: {b[1]:.6g} is no latitude)",
                source="--wkt",
                fix="WKT is longitude first: write each pair as 'lon lat', e.g. "
                f"'{b[1]:.6g} {b[0]:.6g}'",
            )
        if xs.max() > 180 or ys.max() > 90:
            raise CRSError(
                "the WKT coordinates are not degrees and no CRS is named",
                source="--wkt",
                fix=_PROJECTED_FIX,
            )
        crs = LONLAT
    try:
        the_crs = CRS.from_user_input(crs)
    except ProjCRSError as exc:
        raise CRSError(f"'{crs}' is not a known CRS", source="--crs") from exc
    geom, note = _fix_polygon(geom, repair=repair, source="--wkt", row=project_id)
    if note:
        notes.append(note)
    _refuse_impossible(geom, the_crs, "--wkt", "geometries")
    frame = gpd.GeoDataFrame(
        {
            "project_id": [project_id],
            "geometry_note": ["; ".join(notes)],
            "geometry_decided_by": ["WKT"],
        },
        geometry=[geom],
        crs=the_crs,
    )
    return _with_facts(frame, facts, "--wkt")


def _close_wkt(text: str) -> str | None:
    """Close every unclosed ring of a POLYGON / MULTIPOLYGON WKT text; None if not one."""
    if not re.match(r"^\s*(MULTI)?POLYGON", text, re.I):
        return None

    def close(m: re.Match) -> str:
        pts = [p.strip() for p in m.group(1).split(",")]
        if pts and pts[0].split() != pts[-1].split():
            pts.append(pts[0])
        return "(" + ", ".join(pts) + ")"

    return re.sub(r"\(([^()]+)\)", close, text)


def read_projects(
    source: str | PathLike,
    /,
    *,
    layer: str | None = None,
    crs: str | CRS | None = None,
    encoding: str | None = None,
    geometry: GeometryKind = "auto",
    repair: bool = False,
    facts: Mapping[str, object] | None = None,
) -> gpd.GeoDataFrame:
    """Read project sites and facts from a file.

    Parameters
    ----------
    source : path
        GeoJSON, GeoPackage, KML, Shapefile (also ``.zip``), GeoParquet; or a ``.txt`` /
        ``.csv`` vertex list (one project, see :func:`parse_vertices`).
    layer : str, optional (default: None)
        Layer of a multi-layer file.
    crs : str or CRS, optional (default: None)
        CRS of a vertex list, or the CRS to assume for a layer that declares none.
    encoding : str, optional (default: None)
        Text encoding (vertex lists: UTF-8 then GBK; shapefiles: see read_vector).
    geometry : {"auto", "point", "line", "polygon"}, optional (default: "auto")
        What a vertex list describes.
    repair : bool, optional (default: False)
        Repair self-intersecting polygons (noted in ``geometry_note``) instead of raising.
    facts : mapping, optional (default: None)
        Facts to set on every project (override the file's attributes).

    Returns
    -------
    GeoDataFrame with ``project_id``, ``geometry_note``, the facts and the geometry, in the
    source's CRS.
    """
    path = Path(source)
    if path.suffix.lower() in {".txt", ".csv"}:
        if not path.exists():
            raise DataSourceError("file not found", source=path, fix="check the path")
        raw = read_bytes(path)
        text = None
        for enc in [encoding] if encoding else ["utf-8-sig", "gbk"]:
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise DataSourceError(
                "the vertex list is neither UTF-8 nor GBK text", source=path, fix="--encoding"
            )
        return parse_vertices(
            text,
            crs=crs,
            geometry=geometry,
            repair=repair,
            source=path,
            project_id=path.stem,
            facts=facts,
        )
    frame = read_vector(source, layer=layer, encoding=encoding, assume_crs=crs, check_coords=False)
    frame = frame.reset_index(drop=True)
    g = shapely.force_2d(np.asarray(frame.geometry.values))
    notes = np.full(len(frame), "", dtype=object)
    if "project_id" in frame.columns:
        ids = frame["project_id"].astype("string").fillna("").to_numpy(dtype=object)
    else:
        ids = np.full(len(frame), "", dtype=object)
    named = pd.Series(ids, dtype=object)
    dup = named.duplicated(keep=False) & (named != "")
    if dup.any():
        first = str(named[dup].iloc[0])
        rows = [i + 1 for i in np.flatnonzero((named == first).to_numpy())]
        raise SchemaError(
            f"{int(named[dup].nunique())} project id(s) are used by more than one row "
            f"(first: '{first}' in rows {', '.join(map(str, rows))}); each project's report "
            "would overwrite the other's",
            source=source,
            field="project_id",
            fix="give every project its own project_id",
        )
    for i in np.flatnonzero(~shapely.is_valid(g) & (shapely.get_dimensions(g) == 2)):
        # the row as people count it (from 1), and the project's id when it has one
        row = f"{i + 1} (project {ids[i]})" if ids[i] else i + 1
        g[i], notes[i] = _fix_polygon(g[i], repair=repair, source=path, row=row)
    frame = frame.set_geometry(gpd.GeoSeries(g, index=frame.index, crs=frame.crs))
    refuse_impossible(check_coordinates(g, frame.crs), source=source, what="projects")
    frame["geometry_note"] = notes
    frame["geometry_decided_by"] = "file"
    out = _with_facts(frame, facts, path)
    out.attrs["source"] = str(source)
    return out
