"""Screening reports: ``report.html`` (self-contained, printable), ``result.json``, ``summary.csv``.

:func:`write_screening` writes, for a :class:`zoning.screen.ScreeningResult`,

- one ``report.html`` per project: verdict, reasons, conditions, missing facts, an
  embedded offline map (the site, the units around it, the named layers and the shortest
  lines to the nearest protected areas; a :class:`zoning.export.webmap.WebMap` page inside
  an ``<iframe srcdoc>``), the units touched with overlap and share, the distances, grid
  values, every rule checked with its clause, the four-dimension access list of every unit
  touched, the project's facts, the inputs and a signature block for the reviewer; Chinese
  or English; print CSS for A4;
- ``result.json`` with the same content, the input files' SHA-256, the tool version and
  the rule file's name, format version and hash, so a report can be reproduced;
- ``summary.csv`` (UTF-8 with BOM, for Excel), one row per project.

One project: the files go straight into ``out``; a batch: ``out/<project_id>/report.html``
and ``result.json`` per project (up to ``max_reports``), plus ``out/result.json`` (every
project) and ``out/summary.csv``.  Everything is written atomically.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_json
from zoning.export.report_page import _CSS, _FACT_NAMES, _T, _e, _num, _render  # noqa: F401
from zoning.i18n import VERDICT_COLORS, VERDICTS
from zoning.model import UNIT_CLASSES

if TYPE_CHECKING:
    from zoning.screen import ScreeningResult

log = logging.getLogger(__name__)


def _safe_name(pid: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", str(pid)).strip("._") or "project"


def _folders(ids) -> dict:
    """A distinct folder name per project id (``A/B`` and ``A_B`` must not share one)."""
    used: set[str] = set()
    out = {}
    for pid in ids:
        base = name = _safe_name(pid)
        k = 2
        while name.lower() in used:
            name = f"{base}_{k}"
            k += 1
        used.add(name.lower())
        out[pid] = name
    return out


# ----------------------------------------------------------------------------------------
# the map


def _row_of(result: ScreeningResult, pid: str) -> int:
    """The row of a project id in the projects table (looked up once per result)."""
    rows = result._groups.get("_row")
    if rows is None:
        ids = result.projects["project_id"].tolist()
        rows = result._groups["_row"] = {p: i for i, p in reversed(list(enumerate(ids)))}
    return rows[pid]


def _site_map(result: ScreeningResult, pid: str, units, layers, lang: str) -> str:
    """The WebMap page of one project (site, nearby units and layers, distance lines)."""
    from zoning.export._mapgeo import to_map_crs
    from zoning.export.webmap import WebMap, natural_order

    t = _T[lang]
    zh = lang == "zh"
    i = _row_of(result, pid)
    proj = result.projects.iloc[i : i + 1]
    site = gpd.GeoSeries(result.geometry_wgs84()[i : i + 1], crs="EPSG:4326")
    dist = result.distances[result.distances["project_id"] == pid]
    lines = dist[dist.geometry.notna() & (dist["distance_m"] <= 10_000)]
    parts = [np.asarray(site.values)]
    if len(lines):
        parts.append(np.asarray(lines.geometry.values))
    extent = shapely.envelope(shapely.union_all(np.concatenate(parts)))
    # at least about 1.5 km around the site
    extent = shapely.buffer(extent, 0.015)
    wm = WebMap(f"{pid} {t['map']}", lang=lang)
    if units is not None and len(units):
        ext_u = to_map_crs(gpd.GeoSeries([extent], crs="EPSG:4326"), units.crs).iloc[0]
        near = units.iloc[units.sindex.query(ext_u, predicate="intersects")]
        if len(near):
            wm.add_units(to_map_crs(near, "EPSG:4326"), elements=False)
    for name, layer in natural_order(layers or {}):
        if layer is None or not len(layer) or name.startswith("_"):
            continue
        ext_l = to_map_crs(gpd.GeoSeries([extent], crs="EPSG:4326"), layer.crs).iloc[0]
        sub = layer.iloc[layer.sindex.query(ext_l, predicate="intersects")]
        if len(sub):
            ref = result.rule_set.layers.get(name)
            label = (ref.zh if zh else ref.en) if ref is not None and ref.zh else name
            keep = [c for c in ("name", "grade") if c in sub.columns]
            sub = sub[keep + [sub.geometry.name]]
            if len(sub.geometry.geom_type.unique()) == 1:
                wm.add_layer(
                    sub,
                    label,
                    color="#6a3d9a",
                    fill_opacity=0.12,
                    weight=2,
                    popup=[(c, c) for c in keep],
                    show=True,
                )
    if len(lines):
        lf = gpd.GeoDataFrame(
            {
                "target": lines["label_zh" if zh else "label_en"].to_numpy(),
                "distance": [f"{d:,.0f} m" for d in lines["distance_m"]],
                "nearest": lines["nearest"].to_numpy(),
            },
            geometry=lines.geometry.to_numpy(),
            crs="EPSG:4326",
        )
        wm.add_layer(
            lf,
            t["distances"],
            color="#222222",
            weight=2,
            popup=[("target", t["target"]), ("nearest", t["nearest"]), ("distance", "m")],
            tooltip="distance",
        )
    verdict = proj["verdict"].iloc[0]
    sf = gpd.GeoDataFrame(
        {
            "project_id": [pid],
            "name": [proj["name"].iloc[0] if "name" in proj.columns else ""],
            "verdict": [VERDICTS[verdict][0 if zh else 1]],
            "review": [proj["review_" + lang].iloc[0] if "review_zh" in proj else ""],
        },
        geometry=np.asarray(site.values),
        crs="EPSG:4326",
    )
    wm.add_layer(
        sf,
        t["project"],
        color=VERDICT_COLORS[verdict],
        weight=4,
        fill_opacity=0.35,
        radius=9,
        popup=[
            ("project_id", t["id"]),
            ("name", t["name"]),
            ("verdict", t["verdict"]),
            ("review", t["review"]),
        ],
        tooltip="project_id",
    )
    wm.add_legend(t["project"], [(VERDICT_COLORS[verdict], VERDICTS[verdict][0 if zh else 1])])
    # opens on the extent; the map fits it once its frame has a size (zFit), never before
    wm.focus(gpd.GeoDataFrame(geometry=[extent], crs="EPSG:4326"), margin=0.0)
    return wm.render()


def _static_map(result: ScreeningResult, pid: str, units, layers, lang: str) -> bytes:
    """The static site map of one project (PNG bytes), labels of layers from the rule file."""
    from zoning.export.mapfigures import site_map

    labels = {
        name: (ref.zh, ref.en or ref.zh)
        for name, ref in result.rule_set.layers.items()
        if getattr(ref, "zh", None)
    }
    named = {k: v for k, v in (layers or {}).items() if v is not None and not k.startswith("_")}
    return site_map(result, units, named, lang, project_id=pid, layer_labels=labels)


# ----------------------------------------------------------------------------------------
# the verb


def write_screening(
    result: ScreeningResult,
    out: str | PathLike,
    /,
    *,
    units: gpd.GeoDataFrame | None = None,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: Literal["zh", "en"] = "zh",
    inputs: Mapping[str, Mapping[str, str]] | None = None,
    tool_version: str | None = None,
    max_reports: int = 500,
    maps: bool = True,
    static_maps: bool = True,
    formats: Iterable[str] = ("html",),
) -> dict[str, Path]:
    """Write the screening reports, ``result.json`` and ``summary.csv`` into ``out``.

    Parameters
    ----------
    result : ScreeningResult
        From :func:`zoning.screen.screen`.
    out : path
        Output folder (created; files of other steps in it are left alone).
    units : GeoDataFrame, optional (default: None)
        The control units, drawn on the site maps around each site.
    layers : mapping name → GeoDataFrame, optional (default: None)
        Named layers drawn on the site maps (red line, water source zones …).
    lang : {"zh", "en"}, optional (default: "zh")
        Language of the reports (``result.json`` carries both).
    inputs : mapping, optional (default: None)
        Input files as name → {"path": ..., "sha256": ...}, recorded for reproduction.
    tool_version : str, optional (default: zoning.__version__)
    max_reports : int, optional (default: 500)
        A batch larger than this gets ``result.json`` and ``summary.csv`` only.
    maps : bool, optional (default: True)
        Embed a site map in each report.
    static_maps : bool, optional (default: True)
        With ``maps``: also draw the static site map (:func:`zoning.export.mapfigures.site_map`),
        write it beside each report as ``site_map.png`` and embed it in the report for
        print (the interactive map is hidden in print).
    formats : iterable of {"html", "pdf", "docx"}, optional (default: ("html",))
        ``pdf``/``docx``: also the printed reports beside each ``report.html`` and, for
        a batch, ``summary.pdf``/``summary.docx`` (:mod:`zoning.export.printed`), written
        in the same staging folder as the HTML: every output appears at once, or none.

    Returns
    -------
    dict name → path: ``summary``, ``result``, and ``report`` (one project) or
    ``report:<project_id>`` per project, ``site_map`` or ``site_map:<project_id>``, and
    those of :func:`zoning.export.printed.write_printed_reports`.
    """
    if lang not in _T:
        raise ValueError(f"`lang` was '{lang}' but is expected to be in {sorted(_T)}")
    if tool_version is None:
        from zoning._version import __version__ as tool_version
    out = Path(out)
    rs = result.rule_set
    rule_input = (inputs or {}).get("rules", {})
    meta = {
        "tool": "zoning",
        "tool_version": tool_version,
        "generated_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "rule_set_name": (rs.name.get(lang) if rs.name else None) or (rs.source or ""),
        "rule_file": {
            "name_zh": rs.name.zh if rs.name else None,
            "name_en": rs.name.en if rs.name else None,
            "path": rule_input.get("path", rs.source),
            "sha256": rule_input.get("sha256"),
            "format_version": 1,
            "rules": len(rs.rules),
        },
        "inputs": {k: dict(v) for k, v in (inputs or {}).items()},
        "area_crs": result.area_crs,
        "crs_note": "areas in the equal-area CRS area_crs (m2); lengths and distances in metres "
        "in each project's distance_crs; geometry_wkt_wgs84 in WGS 84 lon/lat",
    }
    ids = [str(p) for p in result.projects["project_id"]]
    single = len(ids) == 1
    write_pages = len(ids) <= max_reports
    if not write_pages:
        log.info(
            "%d projects > max_reports=%d: writing result.json and summary.csv only",
            len(ids),
            max_reports,
        )
    labels = _fact_labels()
    paths: dict[str, Path] = {}
    records = []
    folders = _folders(ids)
    pngs: dict[str, bytes] = {}  # the static map of each site, drawn once for every format
    with atomic_dir(out) as tmp:
        for pid in ids:
            data = result.project(pid)
            records.append(data)
            if not write_pages:
                continue
            folder = Path(".") if single else Path(folders[pid])
            (tmp / folder).mkdir(parents=True, exist_ok=True)
            page_map = _site_map(result, pid, units, layers, lang) if maps else None
            png = _static_map(result, pid, units, layers, lang) if maps and static_maps else None
            if png is not None:
                pngs[pid] = png
                (tmp / folder / "site_map.png").write_bytes(png)
                paths["site_map" if single else f"site_map:{pid}"] = out / folder / "site_map.png"
            page = _render(data, lang, page_map, meta, labels, print_png=png)
            (tmp / folder / "report.html").write_text(page, encoding="utf-8")
            write_json({**_meta_json(meta), "project": data}, tmp / folder / "result.json")
            paths["report" if single else f"report:{pid}"] = out / folder / "report.html"
        if not single or not write_pages:
            write_json({**_meta_json(meta), "projects": records}, tmp / "result.json")
        _summary(result, records, lang, single, write_pages, folders).to_csv(
            tmp / "summary.csv", index=False, encoding="utf-8-sig"
        )
        paths["result"] = out / "result.json"
        paths["summary"] = out / "summary.csv"
        printed = [f for f in formats if f in ("pdf", "docx")]
        if printed and write_pages:
            from zoning.export.printed import write_printed_reports

            staged = {k: tmp / Path(v).relative_to(out) for k, v in paths.items()}
            written = write_printed_reports(staged, lang=lang, formats=printed, site_png=pngs.get)
            paths.update({k: out / Path(v).relative_to(tmp) for k, v in written.items()})
    return paths


def _fact_labels() -> dict[str, tuple[str, str]]:
    from zoning.i18n import FACT_LABELS

    return dict(FACT_LABELS)


def _meta_json(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != "rule_set_name"}


#: Decimals of the summary's measured columns (by the end of the name); others get 6.
_DECIMALS = (("_pct", 2), ("_m2", 1), ("_m", 1))


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded at writing (no 15-digit floats in summary.csv); missing stays missing."""
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            digits = next((d for end, d in _DECIMALS if str(col).endswith(end)), 6)
            frame[col] = frame[col].round(digits)
    return frame


def _summary(result, records, lang, single, pages, folders) -> pd.DataFrame:
    rows = []
    for data in records:
        dist = {d["target"]: d for d in data["distances"]}
        units = data["units"]
        row = {
            "project_id": data["project_id"],
            "name": data.get("name"),
            "geom_type": data["geom_type"],
            "geometry_decided_by": data.get("geometry_decided_by"),
            "verdict": data["verdict"],
            "verdict_label": data["verdict_zh" if lang == "zh" else "verdict_en"],
            "fired_rules": ";".join(r["rule_id"] for r in data["rules"] if r["status"] == "fired"),
            "missing_facts": data["missing_facts"],
            "conditions": data["conditions"].replace("\n", " | "),
            "review_count": data.get("review_count"),
            "review": data.get("review_" + lang) or "",
            "review_clauses": " | ".join(
                ("[禁止] " if lang == "zh" else "[prohibition] ") * bool(c.get("prohibition"))
                + ((c.get("clause_en") if lang == "en" else None) or c.get("clause_zh") or "")
                for c in data.get("review_clauses") or []
            ),
            "unit_codes": ";".join(u["unit_code"] for u in units if u["share_pct"] > 0),
            "strictest_class": min((u["unit_class"] for u in units), default=None),
            "area_m2": data["area_m2"],
            "length_m": data["length_m"],
            "inside_region_pct": data["inside_region_pct"],
        }
        for key, d in dist.items():
            row[f"{key}_distance_m"] = d.get("distance_m")
            row[f"{key}_inside"] = d.get("inside")
        if pages:
            row["report"] = (
                "report.html" if single else f"{folders[data['project_id']]}/report.html"
            )
        rows.append(row)
    frame = _rounded(pd.DataFrame(rows))
    if "review_count" in frame:
        frame["review_count"] = frame["review_count"].astype("Int64")
    if "strictest_class" in frame:
        frame["strictest_class_label"] = [
            UNIT_CLASSES[int(c)].label(lang) if pd.notna(c) and int(c) in UNIT_CLASSES else ""
            for c in frame["strictest_class"]
        ]
    return frame
