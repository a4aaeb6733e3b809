"""The result of a screening (:class:`ScreeningResult`) and its JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import InputError
from zoning.geo import EQUAL_AREA
from zoning.i18n import VERDICTS
from zoning.model import FACILITY_COLUMNS
from zoning.rules.schema import RuleSet
from zoning.screening_geometry import _transform


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

    def geometry_wgs84(self) -> np.ndarray:
        """The project geometries in WGS 84 lon/lat, reprojected once and kept."""
        if "_wgs84" not in self._groups:
            self._groups["_wgs84"] = _transform(
                np.asarray(self.projects.geometry.values), self.projects.crs, "EPSG:4326"
            )
        return self._groups["_wgs84"]

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
        wgs = self.geometry_wgs84()[int(hit[0])]
        return {
            "project_id": project_id,
            "name": _json_value(row.get("name")),
            "name_en": _json_value(row.get("name_en")),
            "description": _json_value(row.get("description")),
            "description_en": _json_value(row.get("description_en")),
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
