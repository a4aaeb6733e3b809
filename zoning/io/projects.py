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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from zoning.errors import CRSError, DataSourceError, InputError, SchemaError
from zoning.io._projectfacts import NUMERIC_FACTS, TEXT_FACTS, _with_facts
from zoning.io._sitecheck import _PROJECTED_FIX, _fix_polygon, _refuse_impossible
from zoning.io._vertices import (
    DECIDED_BY,
    LONLAT,
    GeometryKind,
    parse_angle,
    parse_vertices,
)
from zoning.io.coords import check_coordinates, refuse_impossible
from zoning.io.digest import file_sha256, read_bytes
from zoning.io.vector import read_vector

log = logging.getLogger(__name__)

__all__ = [
    "DECIDED_BY",
    "LONLAT",
    "NUMERIC_FACTS",
    "TEXT_FACTS",
    "file_sha256",
    "parse_angle",
    "parse_vertices",
    "parse_wkt",
    "read_projects",
]


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
                source="`wkt`",
                fix="e.g. `wkt` 'POLYGON ((119.80 30.00, 119.81 30.00, 119.81 30.01, "
                "119.80 30.00))'",
            ) from exc
        notes.append("the ring was not closed: closed it by repeating the first vertex")
    if geom is None or geom.is_empty:
        raise InputError("the WKT geometry is empty", source="`wkt`")
    geom = shapely.force_2d(geom)
    b = shapely.bounds(geom)
    if crs is None:
        xs, ys = np.abs(b[[0, 2]]), np.abs(b[[1, 3]])
        if (xs <= 90).all() and (ys > 90).any() and (ys <= 180).all():
            raise CRSError(
                f"the WKT coordinates look like latitude, longitude (first pair "
                f"{b[0]:.6g} {b[1]:.6g}: {b[1]:.6g} is no latitude)",
                source="`wkt`",
                fix="WKT is longitude first: write each pair as 'lon lat', e.g. "
                f"'{b[1]:.6g} {b[0]:.6g}'",
            )
        if xs.max() > 180 or ys.max() > 90:
            raise CRSError(
                "the WKT coordinates are not degrees and no CRS is named",
                source="`wkt`",
                fix=_PROJECTED_FIX,
            )
        crs = LONLAT
    try:
        the_crs = CRS.from_user_input(crs)
    except ProjCRSError as exc:
        raise CRSError(f"'{crs}' is not a known CRS", param="crs") from exc
    geom, note = _fix_polygon(geom, repair=repair, source="`wkt`", row=project_id)
    if note:
        notes.append(note)
    _refuse_impossible(geom, the_crs, "`wkt`", "geometries")
    frame = gpd.GeoDataFrame(
        {
            "project_id": [project_id],
            "geometry_note": ["; ".join(notes)],
            "geometry_decided_by": ["WKT"],
        },
        geometry=[geom],
        crs=the_crs,
    )
    return _with_facts(frame, facts, "`wkt`")


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
                "the vertex list is neither UTF-8 nor GBK text",
                source=path,
                param="encoding",
                fix="pass the encoding it was written in with `encoding`",
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
