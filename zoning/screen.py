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

import functools
import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from zoning.errors import CRSError, InputError, SchemaError
from zoning.geo import EQUAL_AREA
from zoning.geo import local_crs_codes as _local_codes
from zoning.i18n import FACT_LABELS as FACT_LABELS  # re-exported
from zoning.i18n import VERDICT_COLORS as VERDICT_COLORS  # re-exported
from zoning.i18n import VERDICTS as VERDICTS  # re-exported
from zoning.model import DIMENSIONS, FACILITY_COLUMNS, normalise_class
from zoning.overlay import unit_rank
from zoning.rules.coverage import clause_label, review_text, unchecked_by_group
from zoning.rules.engine import Grid, evaluate
from zoning.rules.schema import RuleSet
from zoning.sampling import as_grid, sample_points

log = logging.getLogger(__name__)

#: Equal-area CRS for areas and shares (WGS 84 / NSIDC EASE-Grid 2.0 Global).

Verdict = Literal["prohibited", "restricted", "allowed", "needs-information"]
_ALWAYS_KNOWN = {"unit", "units", "share"}
_ID_COLUMNS = ("project_id", "facility_id", "id", "ID", "编号", "项目编号")


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


# ----------------------------------------------------------------------------------------
# the result


@dataclass
class ScreeningResult:
    """What :func:`screen` found; one row per project in ``projects``, long tables else.

    Attributes
    ----------
    projects : GeoDataFrame
        One row per project, in input order: ``project_id``, ``name``, ``geom_type``
        (point/line/polygon), ``verdict``, ``reasons`` (rule ids and messages),
        ``conditions`` (requirements of restricting rules), ``missing_facts``,
        ``n_units``, ``area_m2`` / ``length_m`` of the footprint, ``inside_region_pct``,
        ``distance_crs``, ``geometry_note``, ``geometry_decided_by`` (how the type was
        decided: closed ring, --geometry polygon, WKT, file …), the facts, and the
        geometry (input CRS).
    overlaps : DataFrame
        One row per (project, unit touched): ``project_id``, ``unit_code``,
        ``unit_name``, ``unit_class``, ``element``, ``subtype``, ``overlap_m2``,
        ``overlap_m``, ``share_pct``, ``on_boundary`` and the access-list columns.
    rules : DataFrame
        One row per (project, rule in scope of a unit touched): ``project_id``,
        ``rule_id``, ``dimension``, ``outcome``, ``status`` (fired / unknown /
        not_triggered), ``unit_codes`` (where it fired or was undecided, else where in
        scope), ``missing_facts`` and the texts ``clause_zh``/``_en``, ``message_*``,
        ``requirement_*``.
    distances : GeoDataFrame
        One row per (project, target): ``project_id``, ``target``, ``label_zh``,
        ``label_en``, ``distance_m``, ``inside``, ``nearest`` (code or name of the
        nearest feature); the geometry is the shortest line (EPSG:4326), empty when inside.
    grid_values : DataFrame
        One row per (project, grid): ``project_id``, ``grid``, ``value`` (at the site),
        ``units``.
    rule_set : RuleSet
        The rules used.
    review : DataFrame
        One row per (project, access-list clause of a unit touched that no rule checks),
        prohibitions first: ``project_id``, ``dimension``, ``n``, ``item`` (as written),
        ``prohibition``,
        ``clause_zh``, ``clause_en``, ``unit_codes``, ``clause_ids`` (``;``-separated; a
        text shared by several units is one row).  The projects table carries
        ``review_count`` (empty when a unit touched has no access-list text) and
        ``review_clauses``.
    """

    projects: gpd.GeoDataFrame
    overlaps: pd.DataFrame
    rules: pd.DataFrame
    distances: gpd.GeoDataFrame
    grid_values: pd.DataFrame
    rule_set: RuleSet
    area_crs: str = EQUAL_AREA
    review: pd.DataFrame | None = None
    _groups: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.projects)

    @property
    def verdicts(self) -> pd.Series:
        """Verdict per project id."""
        return pd.Series(
            self.projects["verdict"].to_numpy(), index=self.projects["project_id"].to_numpy()
        )

    def _rows(self, name: str, pid: str) -> pd.DataFrame:
        if name not in self._groups:
            frame = getattr(self, name)
            self._groups[name] = frame.groupby("project_id", sort=False).indices
        idx = self._groups[name].get(pid)
        frame = getattr(self, name)
        return frame.iloc[idx] if idx is not None else frame.iloc[0:0]

    def _review_rows(self, pid: str) -> pd.DataFrame:
        if self.review is None:
            return pd.DataFrame()
        return self._rows("review", pid).drop(columns=["project_id"])

    def project(self, project_id: str, /) -> dict:
        """Everything about one project as a JSON-ready dict."""
        hit = np.flatnonzero(self.projects["project_id"].to_numpy() == project_id)
        if not len(hit):
            raise InputError(
                f"no project '{project_id}'; there are {list(self.projects['project_id'][:10])}…",
                field="project_id",
            )
        row = self.projects.iloc[int(hit[0])]
        facts = {c: _json_value(row[c]) for c in FACILITY_COLUMNS if c in row.index and c != "name"}
        facts.pop("facility_id", None)
        geom = row.geometry
        wgs = _transform(np.array([geom], dtype=object), self.projects.crs, "EPSG:4326")[0]
        return {
            "project_id": project_id,
            "name": _json_value(row.get("name")),
            "name_en": _json_value(row.get("name_en")),
            "description": _json_value(row.get("description")),
            "geom_type": row["geom_type"],
            "geometry_decided_by": _json_value(row.get("geometry_decided_by")),
            "geometry_wkt_wgs84": shapely.to_wkt(wgs, rounding_precision=7),
            "geometry_note": _json_value(row.get("geometry_note")),
            "area_m2": _json_value(row["area_m2"]),
            "length_m": _json_value(row["length_m"]),
            "inside_region_pct": _json_value(row["inside_region_pct"]),
            "distance_crs": row["distance_crs"],
            "area_crs": self.area_crs,
            "verdict": row["verdict"],
            "verdict_zh": VERDICTS[row["verdict"]][0],
            "verdict_en": VERDICTS[row["verdict"]][1],
            "reasons": row["reasons"],
            "conditions": row["conditions"],
            "missing_facts": row["missing_facts"],
            "review_count": _json_value(row.get("review_count")),
            "review_zh": _json_value(row.get("review_zh")),
            "review_en": _json_value(row.get("review_en")),
            "review_clauses": _records(self._review_rows(project_id)),
            "facts": facts,
            "units": _records(self._rows("overlaps", project_id).drop(columns=["project_id"])),
            "distances": _records(
                pd.DataFrame(self._rows("distances", project_id).drop(columns="geometry")).drop(
                    columns=["project_id"]
                )
            ),
            "rules": _records(self._rows("rules", project_id).drop(columns=["project_id"])),
            "grid_values": _records(
                self._rows("grid_values", project_id).drop(columns=["project_id"])
            ),
        }


def _json_value(v):
    if v is None:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v if isinstance(v, (str, int, list, dict)) else str(v)


def _records(frame: pd.DataFrame) -> list[dict]:
    cols = list(frame.columns)
    return [{c: _json_value(v) for c, v in zip(cols, vals, strict=True)} for vals in frame.values]


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
        raise CRSError("the projects have no CRS", fix="set one (e.g. --crs EPSG:4490)")
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


def _targets(units: gpd.GeoDataFrame, layers: dict, rules: RuleSet) -> list[tuple]:
    """Distance targets: (key, zh, en, geometries in the units' CRS, labels)."""
    digits = np.array([normalise_class(v) or 0 for v in units["unit_class"]])
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


def _join_unique(values) -> str:
    return ";".join(dict.fromkeys(v for v in values if v))


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
    n = len(projects)
    proj = projects.reset_index(drop=True)
    units = units.reset_index(drop=True)
    ids = _ids(proj)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise InputError(
            f"the project id '{ids[int(np.flatnonzero(dup)[0])]}' is used twice",
            field="project_id",
            fix="give every project its own id",
        )
    ucrs = CRS.from_user_input(units.crs)
    fp = _transform(np.asarray(proj.geometry.values), proj.crs, ucrs)
    fp = shapely.force_2d(fp)
    dims = shapely.get_dimensions(fp)
    # local metric CRS per project (EPSG code), from the footprint's centre in lon/lat
    centre = _transform(shapely.centroid(fp), ucrs, "EPSG:4326")
    lon, lat = shapely.get_x(centre), shapely.get_y(centre)
    lcrs_of = _local_codes(lon, lat)
    tree = shapely.STRtree(np.asarray(units.geometry.values))

    # 1. overlaps -------------------------------------------------------------------------
    ov, total_area, total_len = _overlaps(fp, dims, units, ucrs, lcrs_of, tree)
    log.debug("screen: %d (project, unit) pairs", len(ov))

    # 2. rules on every (project, unit) pair ---------------------------------------------
    pr = ov["project"].to_numpy(dtype=np.int64) if len(ov) else np.zeros(0, np.int64)
    ui = ov["unit"].to_numpy(dtype=np.int64) if len(ov) else np.zeros(0, np.int64)
    share = ov["share"].to_numpy(dtype="float64") if len(ov) else np.zeros(0)
    # a unit the site touches only on a boundary still applies (share>0 for InsideUnit)
    eval_share = np.where(share > 0, share, 1e-12)
    subjects = gpd.GeoDataFrame(
        proj.drop(columns=proj.geometry.name).iloc[pr].reset_index(drop=True),
        geometry=gpd.GeoSeries(np.asarray(proj.geometry.values)[pr], crs=proj.crs),
        crs=proj.crs,
    )
    ev = evaluate(
        subjects,
        rules,
        units=units,
        unit_index=ui,
        share=eval_share,
        layers=layers,
        grids=grids,
        missing=missing,
    )
    nr = len(rules.rules)
    fired = np.zeros((n, nr), dtype=bool)
    unknown = np.zeros((n, nr), dtype=bool)
    scope = np.zeros((n, nr), dtype=bool)
    if len(pr):
        np.logical_or.at(fired, pr, ev.fired)
        np.logical_or.at(unknown, pr, ev.unknown)
        np.logical_or.at(scope, pr, ev.in_scope)
    unknown &= ~fired
    outcome = np.array([r.outcome for r in rules.rules], dtype=object)
    prohibited = (fired & (outcome == "prohibited")).any(axis=1)
    restricted = (fired & (outcome == "restricted")).any(axis=1)
    needs = unknown.any(axis=1)
    has_unit = np.bincount(pr, minlength=n) > 0
    verdict = np.full(n, "allowed", dtype=object)
    verdict[restricted] = "restricted"
    verdict[needs | ~has_unit] = "needs-information"
    verdict[prohibited] = "prohibited"

    # missing facts per (row, rule) where unknown
    missing_row: dict[int, np.ndarray] = {}
    for j, rule in enumerate(rules.rules):
        rows = np.flatnonzero(ev.unknown[:, j])
        if not len(rows):
            continue
        facts = sorted(f for f in rule.facts() if f not in _ALWAYS_KNOWN)
        cells = []
        for f in facts:
            known = ev.fact_known.get(f)
            miss = np.ones(len(rows), bool) if known is None else ~known[rows]
            cells.append(np.where(miss, f, ""))
        joined = (
            np.array([";".join(t for t in tup if t) for tup in zip(*cells, strict=True)])
            if cells
            else np.full(len(rows), "")
        )
        missing_row[j] = (rows, joined)

    # 3. tables ---------------------------------------------------------------------------
    codes = units["code"].astype("string").to_numpy(dtype=object)
    ov_out = pd.DataFrame({"project_id": ids[pr] if len(pr) else []})
    ov_out["unit_code"] = codes[ui]
    for col, src in (
        ("unit_name", "name"),
        ("unit_name_en", "name_en"),
        ("element", "element"),
        ("subtype", "subtype"),
    ):
        ov_out[col] = (
            units[src].astype("string").to_numpy(dtype=object)[ui] if src in units.columns else None
        )
    ov_out["unit_class"] = np.array(
        [normalise_class(v) or 0 for v in units["unit_class"]], dtype=np.int64
    )[ui]
    ov_out["overlap_m2"] = ov["overlap_m2"].to_numpy() if len(ov) else []
    ov_out["overlap_m"] = ov["overlap_m"].to_numpy() if len(ov) else []
    ov_out["share_pct"] = share * 100.0
    ov_out["on_boundary"] = ov["on_boundary"].to_numpy(dtype=bool) if len(ov) else []
    for d in DIMENSIONS:
        for col in (d.column, d.column + "_en"):
            ov_out[col] = (
                units[col].astype("string").to_numpy(dtype=object)[ui]
                if col in units.columns
                else None
            )
    ov_out = ov_out[[c for c in ov_out.columns if ov_out[c].notna().any() or c in _KEEP]]

    # rules table: (project, rule) where in scope
    p_idx, r_idx = np.nonzero(scope)
    status = np.where(
        fired[p_idx, r_idx], "fired", np.where(unknown[p_idx, r_idx], "unknown", "not_triggered")
    )
    # the units where each (project, rule) fired / was unknown / was in scope
    row_state = np.where(ev.fired, 2, np.where(ev.unknown, 1, np.where(ev.in_scope, 0, -1)))
    where: dict[tuple[int, int], list[str]] = {}
    miss_pr: dict[tuple[int, int], str] = {}
    state_pr = np.where(fired, 2, np.where(unknown, 1, 0))
    rr, jj = np.nonzero(row_state >= 0)
    keep = row_state[rr, jj] == state_pr[pr[rr], jj]
    for r, j in zip(rr[keep], jj[keep], strict=True):
        where.setdefault((int(pr[r]), int(j)), []).append(codes[ui[r]])
    for j, (rows, joined) in missing_row.items():
        for r, text in zip(rows, joined, strict=True):
            key = (int(pr[r]), j)
            if unknown[key]:
                prev = miss_pr.get(key, "")
                miss_pr[key] = _join_unique((prev + ";" + text).split(";"))
    rl = rules.rules
    rules_out = pd.DataFrame(
        {
            "project_id": ids[p_idx],
            "rule_id": [rl[j].id for j in r_idx],
            "dimension": [rl[j].dimension for j in r_idx],
            "outcome": [rl[j].outcome for j in r_idx],
            "status": status,
            "unit_codes": [
                _join_unique(where.get((int(p), int(j)), []))
                for p, j in zip(p_idx, r_idx, strict=True)
            ],
            "missing_facts": [
                miss_pr.get((int(p), int(j)), "") for p, j in zip(p_idx, r_idx, strict=True)
            ],
            "clause_zh": [rl[j].clause.zh for j in r_idx],
            "clause_en": [rl[j].clause.en for j in r_idx],
            "message_zh": [rl[j].message.zh for j in r_idx],
            "message_en": [rl[j].message.en for j in r_idx],
            "requirement_zh": [rl[j].requirement.zh if rl[j].requirement else "" for j in r_idx],
            "requirement_en": [rl[j].requirement.en if rl[j].requirement else "" for j in r_idx],
        }
    )
    st_order = {"fired": 0, "unknown": 1, "not_triggered": 2}
    oc_order = {"prohibited": 0, "restricted": 1, "allowed": 2}
    rules_out["_k"] = np.array(
        [st_order[a] * 3 + oc_order[b] for a, b in zip(status, rules_out["outcome"], strict=True)],
        dtype=np.int64,
    )
    rules_out["_p"] = p_idx
    rules_out = (
        rules_out.sort_values(["_p", "_k"], kind="stable")
        .drop(columns=["_k", "_p"])
        .reset_index(drop=True)
    )

    # per-project texts
    reasons = np.full(n, "", dtype=object)
    conditions = np.full(n, "", dtype=object)
    missing_facts = np.full(n, "", dtype=object)
    fp_i, fr_i = np.nonzero(fired | unknown)
    for p, j in zip(fp_i, fr_i, strict=True):
        r = rl[j]
        if fired[p, j]:
            if r.outcome == "prohibited" or (r.outcome == "restricted" and not prohibited[p]):
                reasons[p] += f"[{r.id}] {r.message.zh} / {r.message.en}\n"
            if r.outcome == "restricted" and r.requirement is not None:
                conditions[p] += f"[{r.id}] {r.requirement.zh} / {r.requirement.en}\n"
        else:
            facts = miss_pr.get((int(p), int(j)), "")
            missing_facts[p] = _join_unique((missing_facts[p] + ";" + facts).split(";"))
    no_unit = ~has_unit
    missing_facts[no_unit] = "unit"
    reasons = np.array([s.strip() for s in reasons], dtype=object)
    conditions = np.array([s.strip() for s in conditions], dtype=object)

    review, review_count, review_zh, review_en, review_list = _review(
        units, rules, ids, pr, ui, has_unit
    )

    # 4. distances and grids ----------------------------------------------------------------
    dist = _distances(fp, ucrs, lcrs_of, _targets(units, layers or {}, rules))
    dist.insert(0, "project_id", ids[dist["project"].to_numpy(dtype=np.int64)])
    dist = gpd.GeoDataFrame(dist.drop(columns="project"), geometry="geometry", crs="EPSG:4326")
    sites = np.where(dims == 0, fp, shapely.point_on_surface(fp))
    sites = np.where(shapely.get_type_id(sites) == 4, shapely.get_geometry(sites, 0), sites)
    gv = _grid_values(sites, ucrs, grids or {}, rules)
    gv.insert(0, "project_id", ids[gv["project"].to_numpy(dtype=np.int64)])
    gv = gv.drop(columns="project").reset_index(drop=True)

    # 5. projects table -----------------------------------------------------------------------
    inside = np.bincount(pr, weights=share, minlength=n) * 100.0 if len(pr) else np.zeros(n)
    gtype = np.array(["point", "line", "polygon"], dtype=object)[np.clip(dims, 0, 2)]
    lead = pd.DataFrame(
        {
            "project_id": ids,
            "name": proj["name"].to_numpy() if "name" in proj.columns else None,
            "geom_type": gtype,
            "verdict": verdict,
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
        {v: int((verdict == v).sum()) for v in VERDICTS},
    )
    return ScreeningResult(out, ov_out, rules_out, dist, gv, rules, review=review)


def _review(units, rules, ids, pr, ui, has_unit):
    """The access-list clauses of the units each project touches that no rule checks.

    Returns the long table, and per project the count (``<NA>`` when a unit touched has
    no access-list text, or there is no unit), the sentences (zh, en) and the clauses
    as text (prohibitions first).
    """
    n = len(ids)
    touched = np.unique(ui) if len(ui) else np.zeros(0, np.int64)
    group, left = (
        unchecked_by_group(units.iloc[touched], rules) if len(touched) else (np.zeros(0), [])
    )
    per_unit = {u: left[g] for u, g in zip(touched.tolist(), group.tolist(), strict=True)}
    codes = units["code"].astype("string").to_numpy(dtype=object)
    groups: list[dict] = [{} for _ in range(n)]
    no_text: list[list[str]] = [[] for _ in range(n)]
    for p, u in zip(pr.tolist(), ui.tolist(), strict=True):
        cs = per_unit.get(u)
        if cs is None:
            no_text[p].append(codes[u])
            continue
        for c in cs:
            g = groups[p].setdefault((c.dimension, c.text), {"clause": c, "units": [], "ids": []})
            if codes[u] not in g["units"]:
                g["units"].append(codes[u])
                g["ids"].append(f"{codes[u]}:{c.dimension}:{c.n}@{c.hash}")
    rows = []
    count = pd.array([pd.NA] * n, dtype="Int64")
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    listed = np.full(n, "", dtype=object)
    for p in range(n):
        items = list(groups[p].values())  # already prohibitions first within each unit
        items.sort(key=lambda g: not g["clause"].prohibition)
        for g in items:
            c = g["clause"]
            rows.append(
                {
                    "project_id": ids[p],
                    "dimension": c.dimension,
                    "n": c.n,
                    "item": c.item,
                    "prohibition": c.prohibition,
                    "clause_zh": c.text,
                    "clause_en": c.text_en or "",
                    "unit_codes": ";".join(g["units"]),
                    "clause_ids": ";".join(g["ids"]),
                }
            )
        if has_unit[p] and not no_text[p]:
            count[p] = len(items)
        parts_zh = [review_text(len(items), "zh")] if items else []
        parts_en = [review_text(len(items), "en")] if items else []
        if no_text[p]:
            units_txt = ", ".join(dict.fromkeys(no_text[p]))
            parts_zh.append(f"{review_text(None, 'zh')}（{units_txt}）")
            parts_en.append(f"{review_text(None, 'en')} ({units_txt})")
        zh[p], en[p] = "；".join(parts_zh), "; ".join(parts_en)
        listed[p] = " | ".join(clause_label(g["clause"], "zh") for g in items)
    cols = [
        "project_id",
        "dimension",
        "n",
        "item",
        "prohibition",
        "clause_zh",
        "clause_en",
        "unit_codes",
        "clause_ids",
    ]
    return pd.DataFrame(rows, columns=cols), count, zh, en, listed


_KEEP = {"project_id", "unit_code", "unit_class", "overlap_m2", "overlap_m", "share_pct"}
