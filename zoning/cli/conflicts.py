"""``zoning conflicts``: facilities against the access lists of their units.

Writes ``conflicts.geojson`` (RFC 7946), ``conflicts.csv`` (UTF-8 with BOM, WKT in WGS 84),
``conflicts.html`` (offline map coloured by status, popups with the broken clauses) and
``summary.json``; prints the summary (by status, unit class, rule) on stderr.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from zoning.cli.options import (
    bind_rule_inputs,
    grid_option,
    input_option,
    input_options,
    lang_option,
    load_units,
    out_option,
    parse_pairs,
    repair_units_option,
    rules_path_for,
    scale_options,
    shared_option,
    unit_source_options,
    units_option,
)
from zoning.errors import DataSourceError, InputError
from zoning.i18n import STATUS_COLORS, STATUS_LABELS
from zoning.model import class_label

log = logging.getLogger(__name__)

#: Above this many facilities the map shows only those that are not ``ok``.
MAP_LIMIT = 50_000


def _summary_text(summary: dict, lang: str) -> str:
    labels = STATUS_LABELS[lang]
    lines = [("设施" if lang == "zh" else "facilities") + f": {summary['facilities']}"]
    lines.append("  " + ", ".join(f"{labels[s]} {n}" for s, n in summary["by_status"].items()))
    lines.append("按单元类别:" if lang == "zh" else "by unit class:")
    for cls, counts in summary["by_unit_class"].items():
        name = class_label(int(cls), lang) if cls.isdigit() else ("无" if lang == "zh" else cls)
        lines.append(f"  {cls} {name}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    lines.append("按规则:" if lang == "zh" else "by rule:")
    for rid, n in summary["by_rule"].items():
        lines.append(f"  {rid}: {n}")
    und = summary.get("undecided") or {}
    for rid, n in und.get("by_rule", {}).items():
        cols = und.get("missing_columns", {}).get(rid)
        if lang == "zh":
            why = f"设施数据缺少字段 {', '.join(cols)}" if cols else "部分设施缺少所需信息"
            hint = f"（可用 --facility-field {cols[0]}=列名 映射）" if cols else ""
            lines.append(f"警告: 规则 {rid} 对 {n} 个设施无法判定：{why}{hint}")
        else:
            why = (
                f"the facilities have no {', '.join(repr(c) for c in cols)} column"
                if cols
                else "some facilities lack a fact it needs"
            )
            hint = f" (map one with --facility-field {cols[0]}=COLUMN)" if cols else ""
            lines.append(
                f"warning: rule {rid} could not be decided for {n} facilities: {why}{hint}"
            )
    rev = summary.get("review") or {}
    if rev.get("facilities"):
        if lang == "zh":
            lines.append(
                f"人工复核: {rev['facilities']} 个设施所在单元有未经机器核查的条款"
                f"（其中 {rev['ok_with_clauses_to_review']} 个结果为“符合”），见 review_clauses 列"
            )
        else:
            lines.append(
                f"review by hand: {rev['facilities']} facilities are in units with clauses no "
                f"rule checks ({rev['ok_with_clauses_to_review']} of them ok); see the "
                "review_clauses column"
            )
    if rev.get("without_access_list"):
        lines.append(
            f"警告: {rev['without_access_list']} 个设施所在单元在图层中无准入清单文本"
            if lang == "zh"
            else f"warning: {rev['without_access_list']} facilities are in units without "
            "access-list text in the layer"
        )
    return "\n".join(lines)


def _map(result, units, layers, rules, lang: str, path: Path, title: str) -> None:
    from zoning.export.webmap import WebMap

    frame = result[result.geometry.notna()]
    total = len(frame)
    for keep in (("conflict", "restricted", "unzoned"), ("conflict",)):
        if len(frame) > MAP_LIMIT:
            frame = frame[frame["status"].isin(keep)]
    if len(frame) > MAP_LIMIT:
        frame = frame.iloc[:MAP_LIMIT]
    zh = lang == "zh"
    if len(frame) < total:
        log.info(
            "map: showing %d of %d facilities (the CSV and GeoJSON hold all)", len(frame), total
        )
    labels = STATUS_LABELS[lang]
    wm = WebMap(title, lang=lang)
    wm.add_units(units)
    wm.focus(units)  # the region checked; facilities far outside it are a pan away
    for name, layer in layers.items():
        ref = rules.layers.get(name)
        label = (ref.zh if zh else ref.en) if ref is not None else None
        wm.add_layer(
            layer, label or name, color="#6a3d9a", fill_opacity=0.15, weight=1.5, show=False
        )
    cols = [
        "facility_id",
        "name",
        "unit_code",
        "status",
        "rule_ids",
        "messages",
        "clauses",
        "requirements",
        "unknown_rule_ids",
        "review",
        "review_clauses",
    ]
    frame = frame[[c for c in cols if c in frame.columns] + [frame.geometry.name]].copy()
    frame["status_label"] = frame["status"].map(labels)
    popup = [
        ("facility_id", "设施编号" if zh else "Facility"),
        ("name", "名称" if zh else "Name"),
        ("unit_code", "管控单元" if zh else "Unit"),
        ("status_label", "结果" if zh else "Outcome"),
        ("messages", "问题" if zh else "Findings"),
        ("clauses", "违反条款" if zh else "Clauses broken"),
        ("requirements", "须满足" if zh else "Requirements"),
        ("unknown_rule_ids", "待补充信息的规则" if zh else "Rules lacking facts"),
        ("review", "人工复核" if zh else "Review by hand"),
        ("review_clauses", "未经机器核查的条款" if zh else "Clauses no rule checks"),
    ]
    popup = [(c, label) for c, label in popup if c in frame.columns]
    colors = {labels[s]: c for s, c in STATUS_COLORS.items()}
    ok = frame["status"] == "ok"
    # clean facilities small and below; conflicts, restrictions and unzoned on top
    if ok.any():
        wm.add_layer(
            frame[ok],
            labels["ok"],
            color=STATUS_COLORS["ok"],
            popup=popup,
            tooltip="facility_id",
            radius=3,
            fill_opacity=0.7,
        )
    if (~ok).any():
        order = frame[~ok]["status"].map({"unzoned": 0, "restricted": 1, "conflict": 2})
        wm.add_layer(
            frame[~ok].loc[order.sort_values(kind="stable").index],
            "冲突、限制与单元外设施" if zh else "Conflicts, restrictions, unzoned",
            color=STATUS_COLORS["conflict"],
            color_by="status_label",
            colors=colors,
            popup=popup,
            tooltip="facility_id",
            radius=6,
            fill_opacity=0.9,
        )
    wm.add_legend(
        "设施准入判定" if zh else "Facilities by outcome",
        [(c, labels[s]) for s, c in STATUS_COLORS.items()],
    )
    if len(frame) < total:
        note = (
            f"地图仅显示 {len(frame):,} / {total:,} 个设施（优先显示冲突），完整结果见 CSV 与 GeoJSON"
            if zh
            else f"The map shows {len(frame):,} of {total:,} facilities (conflicts "
            "first); the CSV and GeoJSON hold all of them"
        )
        wm.add_html(
            f'<div style="position:fixed;bottom:8px;left:50%;z-index:1000;'
            f'background:#fff;padding:2px 6px">{note}</div>'
        )
    wm.save(path)


def run(
    units,
    facilities,
    rules,
    *,
    layers,
    grids,
    out: Path,
    lang: str,
    sources: dict,
    missing: str = "error",
    scheduler: str | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """Evaluate (on a Dask cluster with ``scheduler``/``workers``) and write the four
    outputs atomically into ``out``."""
    from zoning.conflicts import conflicts, summarize
    from zoning.export._atomic import atomic_dir
    from zoning.export.geojson import write_geojson, write_json, write_vector

    if scheduler or workers:
        from zoning.scale import cluster, conflicts_distributed

        with cluster(scheduler, workers) as client:
            result = conflicts_distributed(
                units,
                facilities,
                rules,
                grids,
                layers=layers,
                lang=lang,
                missing=missing,
                client=client,
            )
    else:
        result = conflicts(
            units, facilities, rules, grids, layers=layers, lang=lang, missing=missing
        )
    if len(result) != len(facilities):  # conservation: every input row exactly once
        raise RuntimeError(f"{len(facilities)} facilities in but {len(result)} rows out")
    summary = summarize(result, rules)
    summary["sources"] = sources
    summary["crs_note"] = (
        "conflicts.geojson and the CSV's wkt_wgs84 are WGS 84 "
        "longitude/latitude; distances were measured in metres in a "
        "projected CRS"
    )
    title = "设施准入冲突" if lang == "zh" else "Access-list conflicts of facilities"
    names = {
        "geojson": "conflicts.geojson",
        "csv": "conflicts.csv",
        "html": "conflicts.html",
        "summary": "summary.json",
    }
    with atomic_dir(out) as tmp:
        write_geojson(
            result,
            tmp / names["geojson"],
            metadata={"summary": {k: summary[k] for k in ("facilities", "by_status")}},
        )
        write_vector(result, tmp / names["csv"])
        _map(result, units, layers, rules, lang, tmp / names["html"], title)
        write_json(summary, tmp / names["summary"])
    click.echo(_summary_text(summary, lang), err=True)
    return {k: Path(out) / v for k, v in names.items()}


def _with_constant_facts(fac, facts: dict[str, str]):
    """``--facility-fact NAME=VALUE``: fill NAME where a facility has no value."""
    from zoning.model import FACILITY_COLUMNS

    allowed = sorted(set(FACILITY_COLUMNS) - {"facility_id", "name", "name_en"})
    for name, value in facts.items():
        if name not in allowed:
            raise InputError(
                f"'{name}' is not a facility fact",
                field="--facility-fact",
                fix=f"use one of {allowed}",
            )
        given: object = value
        if name == "capacity" or name.endswith(("_t", "_tce")):
            try:
                given = float(value)
            except ValueError as exc:
                raise InputError(
                    f"{name}={value} is not a number", field="--facility-fact", fix="give a number"
                ) from exc
        fac = fac.copy(deep=False)
        if name in fac.columns:
            col = fac[name].astype(object)
            blank = col.isna() | (col.astype(str).str.strip() == "")
            fac[name] = col.mask(blank, given)
        else:
            fac[name] = given
    return fac


@click.command("conflicts")
@units_option()
@unit_source_options(aliases=("layer", "field"))
@repair_units_option
@click.option(
    "--facilities",
    "-f",
    required=True,
    help="Facilities: GeoJSON, GPKG, SHP, GeoParquet, or CSV with lon/lat or x/y.",
)
@click.option(
    "--rules",
    "-r",
    default=None,
    help="YAML rule file (docs/rules.md); needed with --units, else the bundled demo rules.",
)
@grid_option("A grid the rules name, as NAME=PATH (repeatable; overrides the rule file).")
@click.option(
    "--named-layer",
    "named_layers",
    multiple=True,
    metavar="NAME=PATH",
    help="A layer the rules name, as NAME=PATH (repeatable; overrides the rule file).",
)
@input_options(
    "facilities",
    field={
        "dest": "facility_fields",
        "aliases": ("--facility-field",),
        "metavar": "FACT=COLUMN",
        "help": "Take a fact the rules use from a column of the facilities, e.g. "
        "--facilities-field tags=Fuel --facilities-field capacity='Capacity (MW)' "
        "(repeatable).",
    },
    crs={"help": "CRS of the facilities' x/y columns, or of a file that declares none."},
    coords={"dest": "coords", "aliases": ("--coords",)},
)
@input_option("layers", "crs", help="CRS of the rule layers that declare none.")
@shared_option(
    "crs",
    {
        "assume_crs": "--units-crs",
        "facilities_crs": "--facilities-crs",
        "layers_crs": "--layers-crs",
    },
)
@shared_option(
    "encoding", {"encoding": "--units-encoding", "facilities_encoding": "--facilities-encoding"}
)
@click.option(
    "--facility-fact",
    "facility_facts",
    multiple=True,
    metavar="FACT=VALUE",
    help="A fact the same for every facility that has none, e.g. --facility-fact "
    "capacity_unit=MW (repeatable).",
)
@click.option("--lon-col", default=None, help="Longitude column of a CSV.")
@click.option("--lat-col", default=None, help="Latitude column of a CSV.")
@click.option("--x-col", default=None, help="Projected x column of a CSV (needs --crs).")
@click.option("--y-col", default=None, help="Projected y column of a CSV (needs --crs).")
@lang_option
@scale_options
@click.option(
    "--baseline",
    default=None,
    help="An earlier conflicts.csv: list facilities newly conflicting or no longer "
    "conflicting in baseline_changes.csv.",
)
@out_option(help_text="Output folder.")
def command(
    units,
    facilities,
    rules,
    grids,
    named_layers,
    facilities_layer,
    coords,
    facility_fields,
    facility_facts,
    lon_col,
    lat_col,
    x_col,
    y_col,
    assume_crs,
    layer,
    fields,
    encoding,
    facilities_encoding,
    facilities_crs,
    layers_crs,
    lang,
    scheduler,
    workers,
    baseline,
    out,
):
    """List every facility with its unit and the access-list clauses it breaks.

    Status: conflict (a prohibition), restricted (conditions to meet), ok, unzoned
    (outside every unit), invalid (bad coordinates).  A point on a shared boundary goes to
    the strictest unit class, then the lowest unit code.
    """
    from zoning.datasets import demo_path
    from zoning.io.facilities import read_facilities
    from zoning.io.rulefile import read_rules

    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    if baseline:  # read (and check) it before anything is written
        from zoning.io.results import read_conflicts_table

        base = read_conflicts_table(baseline)
    fac = read_facilities(
        facilities,
        layer=facilities_layer,
        lon_col=lon_col,
        lat_col=lat_col,
        x_col=x_col,
        y_col=y_col,
        crs=facilities_crs,
        coords=coords,
        encoding=facilities_encoding,
        fields=parse_pairs(facility_fields, "--facilities-field") or None,
        region=unit_frame,
    )
    fac = _with_constant_facts(fac, parse_pairs(facility_facts, "--facility-fact"))
    lay, grd, _ = bind_rule_inputs(
        rule_set, parse_pairs(named_layers, "--named-layer"), grids, layers_crs
    )
    click.echo(f"{len(fac)} facilities, {len(unit_frame)} units, {len(rule_set)} rules", err=True)
    run(
        unit_frame,
        fac,
        rule_set,
        layers=lay,
        grids=grd,
        out=out,
        lang=lang,
        sources={
            "units": str(units or demo_path("units.gpkg")),
            "facilities": str(facilities),
            "rules": str(rules_path),
        },
        scheduler=scheduler,
        workers=workers,
    )
    if baseline:
        from zoning.rescreen import report_baseline

        report_baseline(base, Path(out))


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Run the conflicts step on the bundled demo region into ``out_dir/"conflicts"``."""
    from zoning.datasets import demo_path
    from zoning.io.facilities import read_facilities
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units

    rules = read_rules(demo_path("rules.yaml"))
    units = read_units(demo_path("units.gpkg"))
    fac = read_facilities(demo_path("facilities.gpkg"))
    named = {}
    for name in rules.needed_layers():
        ref = rules.layers[name]
        named[name] = str(demo_path(ref.path))
    grids = {}
    missing = "error"
    for name in rules.needed_grids():
        try:
            grids[name] = str(demo_path(rules.grids[name].path))
        except DataSourceError:
            log.warning("demo grid '%s' is missing; rules on it stay undecided", name)
            missing = "unknown"
    lay, grd, _ = bind_rule_inputs(rules, named, grids, None)
    return run(
        units,
        fac,
        rules,
        layers=lay,
        grids=grd,
        out=Path(out_dir) / "conflicts",
        lang=lang,
        missing=missing,
        sources={
            "units": "data/units.gpkg",
            "facilities": "data/facilities.gpkg",
            "rules": "data/rules.yaml",
        },
    )
