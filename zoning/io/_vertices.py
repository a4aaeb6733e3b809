"""Project sites from text: angles (decimal or degrees-minutes-seconds) and the vertex
lists planners copy from survey sheets (:func:`parse_vertices`; the formats are described
in :mod:`zoning.io.projects`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from os import PathLike
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, InputError
from zoning.io._projectfacts import _with_facts
from zoning.io._sitecheck import _PROJECTED_FIX, _fix_polygon, _refuse_impossible, _survey_xy

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
            param="geometry",
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
                fix="for projected x/y name their CRS, e.g. `crs` EPSG:4549",
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
        param="geometry",
        fix="pass `geometry` polygon for a boundary (the ring is closed for you) or "
        "`geometry` line for a route; or repeat the first vertex at the end to close it",
    )
