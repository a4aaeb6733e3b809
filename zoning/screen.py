"""Screen proposed projects (选址研判) against the control units and their access lists.

``screen(projects, units, rules)`` answers, for every project (point, line or polygon):

- every unit its footprint touches, with the overlapped area (m2, in the equal-area CRS
  :data:`EQUAL_AREA`) and share of the footprint (%), or the length (m, in a local
  Gauss-Krüger / UTM CRS, :func:`local_crs`) for lines.  The shares of a footprint that
  lies fully inside the region add up to 100 %.  A point counts in every unit that
  *covers* it; on a shared boundary it is assigned (share 100 %) to the strictest class,
  then the lowest code (:mod:`zoning.overlay`), and the other units it touches are listed
  with share 0 and ``on_boundary`` — their access lists are checked too (conservative);
- the distance (m, local CRS) from the footprint to the nearest priority-protection unit,
  to each named layer (ecological red line, drinking-water source protection zones …) and
  whether the footprint is inside it (distance 0);
- every rule in scope of a unit touched, with its status: ``fired`` (the condition
  holds), ``unknown`` (a fact is missing, named) or ``not_triggered``; the clause text and
  the four-dimension access list of every unit touched;
- grid values at the site (a point on the footprint's surface);
- a verdict: ``prohibited`` (a prohibiting rule fired), ``needs-information`` (no
  prohibition fired but a rule could not be decided for lack of a fact; the facts are
  named), ``restricted`` (restricting rules fired; their requirements are the conditions)
  or ``allowed``.  A site outside every unit needs information (the units of its region).

Everything is vectorised over the batch: one spatial-index query per step, one rule
evaluation over all (project, unit) pairs; Python loops run per rule, per target layer
and per local CRS zone, never per project.
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.errors import CRSError, InputError, SchemaError
from zoning.geo import EQUAL_AREA  # noqa: F401  (importable from here, as before)
from zoning.geo import local_crs_codes as _local_codes
from zoning.i18n import FACT_LABELS as FACT_LABELS  # re-exported
from zoning.i18n import VERDICT_COLORS as VERDICT_COLORS  # re-exported
from zoning.i18n import VERDICTS as VERDICTS  # re-exported
from zoning.rules.engine import Grid, evaluate
from zoning.rules.schema import RuleSet
from zoning.sampling import as_grid, sample_points
from zoning.screening_geometry import (  # noqa: F401  (importable from here, as before)
    _crs_key,
    _distances,
    _overlaps,
    _targets,
    _transform,
    _transformer,
)
from zoning.screening_result import ScreeningResult, _json_value, _records  # noqa: F401
from zoning.screening_verdicts import (  # noqa: F401  (importable from here, as before)
    _ALWAYS_KNOWN,
    _KEEP,
    Verdicts,
    _join_unique,
    _overlap_table,
    _review,
    _rules_table,
    _texts,
    _verdicts,
)

log = logging.getLogger(__name__)

#: Equal-area CRS for areas and shares (WGS 84 / NSIDC EASE-Grid 2.0 Global).

Verdict = Literal["prohibited", "restricted", "allowed", "needs-information"]
_ID_COLUMNS = ("project_id", "facility_id", "id", "ID", "编号", "项目编号")


# ----------------------------------------------------------------------------------------
# steps


def _check(projects, units, rules) -> None:
    if not isinstance(projects, gpd.GeoDataFrame) or not isinstance(units, gpd.GeoDataFrame):
        raise InputError(
            "projects and units must be GeoDataFrames",
            fix="read them with zoning.io.projects.read_projects / zoning.io.vector.read_units",
        )
    if not isinstance(rules, RuleSet):
        raise InputError(
            f"rules must be a RuleSet, got {type(rules).__name__}",
            fix="read the rule file with zoning.io.rulefile.read_rules",
        )
    missing = [c for c in ("code", "unit_class") if c not in units.columns]
    if missing:
        raise SchemaError(
            f"the unit layer lacks {missing}",
            field=missing[0],
            fix="read it with zoning.io.vector.read_units (field mapping)",
        )
    if projects.crs is None:
        raise CRSError(
            "the projects have no CRS",
            fix="set the CRS of the projects (e.g. EPSG:4490) where they are read",
        )
    if units.crs is None:
        raise CRSError("the unit layer has no CRS", fix="set the CRS of the units")
    g = np.asarray(projects.geometry.values)
    bad = shapely.is_missing(g) | shapely.is_empty(g)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} project(s) have no geometry",
            row=_ids(projects)[i],
            field="geometry",
            fix="give every project a point, line or polygon",
        )
    mixed = shapely.get_type_id(g) == 7
    if mixed.any():
        raise InputError(
            "a project geometry is a GeometryCollection",
            row=_ids(projects)[int(np.flatnonzero(mixed)[0])],
            field="geometry",
            fix="give one point, line or polygon (or a multi-part of one kind) per project",
        )


def _ids(projects: gpd.GeoDataFrame) -> np.ndarray:
    for col in _ID_COLUMNS:
        if col in projects.columns:
            ids = projects[col].astype("string").to_numpy(dtype=object)
            na = pd.isna(ids)
            if na.any():
                ids = ids.copy()
                ids[na] = [f"P{i + 1}" for i in np.flatnonzero(na)]
            return ids.astype(object)
    return np.array([f"P{i + 1}" for i in range(len(projects))], dtype=object)


def _grid_values(sites: np.ndarray, ucrs, grids: dict, rules: RuleSet) -> pd.DataFrame:
    """Value of each grid at each site point (NaN outside the grid or on no-data: no
    value, never 0), with the units the rule file declares (``units unknown`` if none)."""
    from zoning.io.raster import declared_units_label

    n = len(sites)
    frames = []
    x0, y0 = shapely.get_x(sites), shapely.get_y(sites)
    for name, grid in (grids or {}).items():
        grid = as_grid(grid, str(name))
        x, y = x0, y0
        tr = _transformer(_crs_key(ucrs), _crs_key(grid.crs))
        if tr is not None:
            x, y = tr.transform(x0, y0)
        vals = sample_points(grid, x, y)
        ref = rules.grids.get(name)
        frames.append(
            pd.DataFrame(
                {
                    "project": np.arange(n),
                    "grid": name,
                    "label_zh": ref.zh if ref is not None and ref.zh else name,
                    "label_en": ref.en if ref is not None and ref.en else name,
                    "value": vals,
                    "units": declared_units_label(ref.units if ref is not None else None),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["project", "grid", "label_zh", "label_en", "value", "units"])
    return pd.concat(frames, ignore_index=True).sort_values("project", kind="stable")


# ----------------------------------------------------------------------------------------
# the verb


def screen(
    projects: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    /,
    rules: RuleSet,
    grids: dict[str, Grid] | None = None,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    *,
    missing: Literal["error", "unknown"] = "error",
) -> ScreeningResult:
    """Screen proposed projects against the control units and the rules.

    Parameters
    ----------
    projects : GeoDataFrame
        Project sites (points, lines, polygons) with the facts as columns
        (:data:`zoning.model.FACILITY_COLUMNS`: ``sector``, ``stage``, ``tags``,
        ``two_high``, ``capacity``, ``<pollutant>_t``, ``energy_tce`` …) and a
        ``project_id`` (``P<row>`` when missing).  A missing column or empty cell is an
        unknown fact.
    units : GeoDataFrame
        Control units with the canonical columns (``code``, ``unit_class``, ``name``,
        ``element``, ``subtype``, ``access_*``).
    rules : RuleSet
        A validated rule set (:func:`zoning.io.rulefile.read_rules`).
    grids : dict name → (array, Affine, crs), optional (default: None)
        Grids the rules refer to and any others to report at the site (NaN = no data).
    layers : dict name → GeoDataFrame, optional (default: None)
        Named layers the rules refer to (red line, water source zones …); each is also a
        distance target (the rule file's ``where`` filter applied).  Without a red-line or
        water layer, units of subtype ``red_line`` / ``drinking_water_source`` are used.
    missing : {"error", "unknown"}, optional (default: "error")
        A layer or grid the rules need but not given: an error, or undecided rules (a
        ``needs-information`` verdict naming the layer or grid).

    Returns
    -------
    ScreeningResult
    """
    _check(projects, units, rules)
    if missing not in ("error", "unknown"):
        raise InputError(f"`missing` was '{missing}' but is expected to be 'error' or 'unknown'")
    proj, units, ids = _prepare(projects, units)
    n = len(proj)
    ucrs = CRS.from_user_input(units.crs)
    fp, dims, lcrs_of = _footprints(proj, ucrs)
    # the units' own spatial index (geopandas keeps it with the caller's frame: built once
    # for every project screened against the same units, and shared with the site maps)
    ov, total_area, total_len = _overlaps(fp, dims, units, ucrs, lcrs_of, units.sindex)
    log.debug("screen: %d (project, unit) pairs", len(ov))
    pr, ui, share = _pairs(ov)
    ev = _evaluate(proj, units, rules, pr, ui, share, layers, grids, missing)
    v = _verdicts(n, rules, ev, pr)
    codes = units["code"].astype("string").to_numpy(dtype=object)
    ov_out = _overlap_table(ids, units, ov, pr, ui, share, codes)
    rules_out, miss_pr = _rules_table(ids, rules, ev, v, pr, ui, codes)
    reasons, conditions, missing_facts = _texts(n, rules, v, miss_pr)
    review, review_count, review_zh, review_en, review_list = _review(
        units, rules, ids, pr, ui, v.has_unit
    )
    dist = _distance_table(ids, fp, ucrs, lcrs_of, _targets(units, layers or {}, rules))
    gv = _site_values(ids, fp, dims, ucrs, grids, rules)
    inside = np.bincount(pr, weights=share, minlength=n) * 100.0 if len(pr) else np.zeros(n)
    lead = pd.DataFrame(
        {
            "project_id": ids,
            "name": proj["name"].to_numpy() if "name" in proj.columns else None,
            "geom_type": np.array(["point", "line", "polygon"], dtype=object)[np.clip(dims, 0, 2)],
            "verdict": v.verdict,
            "reasons": reasons,
            "conditions": conditions,
            "missing_facts": missing_facts,
            "review_count": review_count,
            "review_zh": review_zh,
            "review_en": review_en,
            "review_clauses": review_list,
            "n_units": np.bincount(pr[share > 0], minlength=n) if len(pr) else 0,
            "area_m2": total_area,
            "length_m": total_len,
            "inside_region_pct": np.minimum(inside, 100.0),
            "distance_crs": [f"EPSG:{c}" for c in lcrs_of],
        }
    )
    rest = proj.drop(columns=[c for c in lead.columns if c in proj.columns])
    out = gpd.GeoDataFrame(
        pd.concat([lead, rest], axis=1), geometry=proj.geometry.name, crs=proj.crs
    )
    log.info(
        "screen: %d projects: %s",
        n,
        ", ".join(f"{k} {int((v.verdict == k).sum())}" for k in VERDICTS),
    )
    return ScreeningResult(out, ov_out, rules_out, dist, gv, rules, review=review)


def _prepare(projects, units):
    """Projects and units with a plain index; the project ids (unique, else an error)."""
    proj = projects.reset_index(drop=True)
    units.sindex  # noqa: B018 - built (once) on the caller's frame; the copy below shares it
    units = units.reset_index(drop=True)
    ids = _ids(proj)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise InputError(
            f"the project id '{ids[int(np.flatnonzero(dup)[0])]}' is used twice",
            field="project_id",
            fix="give every project its own id",
        )
    return proj, units, ids


def _footprints(proj, ucrs):
    """Footprints in the units' CRS (2-D), their dimension, and the local metric CRS
    (EPSG code) of each project, from the footprint's centre in lon/lat."""
    fp = _transform(np.asarray(proj.geometry.values), proj.crs, ucrs)
    fp = shapely.force_2d(fp)
    dims = shapely.get_dimensions(fp)
    centre = _transform(shapely.centroid(fp), ucrs, "EPSG:4326")
    lcrs_of = _local_codes(shapely.get_x(centre), shapely.get_y(centre))
    return fp, dims, lcrs_of


def _pairs(ov):
    """(project, unit) index pairs and shares of the overlap table."""
    if not len(ov):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return (
        ov["project"].to_numpy(dtype=np.int64),
        ov["unit"].to_numpy(dtype=np.int64),
        ov["share"].to_numpy(dtype="float64"),
    )


def _evaluate(proj, units, rules, pr, ui, share, layers, grids, missing):
    """The rules on every (project, unit) pair; a unit the site touches only on a
    boundary still applies (share > 0 for InsideUnit)."""
    subjects = gpd.GeoDataFrame(
        proj.drop(columns=proj.geometry.name).iloc[pr].reset_index(drop=True),
        geometry=gpd.GeoSeries(np.asarray(proj.geometry.values)[pr], crs=proj.crs),
        crs=proj.crs,
    )
    return evaluate(
        subjects,
        rules,
        units=units,
        unit_index=ui,
        share=np.where(share > 0, share, 1e-12),
        layers=layers,
        grids=grids,
        missing=missing,
    )


def _distance_table(ids, fp, ucrs, lcrs_of, targets) -> gpd.GeoDataFrame:
    """One row per (project, target), the shortest line in EPSG:4326."""
    dist = _distances(fp, ucrs, lcrs_of, targets)
    dist.insert(0, "project_id", ids[dist["project"].to_numpy(dtype=np.int64)])
    return gpd.GeoDataFrame(dist.drop(columns="project"), geometry="geometry", crs="EPSG:4326")


def _site_values(ids, fp, dims, ucrs, grids, rules) -> pd.DataFrame:
    """Grid values at each site: the point itself, else a point on the footprint."""
    sites = np.where(dims == 0, fp, shapely.point_on_surface(fp))
    sites = np.where(shapely.get_type_id(sites) == 4, shapely.get_geometry(sites, 0), sites)
    gv = _grid_values(sites, ucrs, grids or {}, rules)
    gv.insert(0, "project_id", ids[gv["project"].to_numpy(dtype=np.int64)])
    return gv.drop(columns="project").reset_index(drop=True)
