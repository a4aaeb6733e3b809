"""``zoning rescreen RESULT... --units NEW --rules NEW --out DIR``: whose verdict changes.

Re-runs earlier screening results (``result.json`` files or the folders of ``zoning
screen``) against a new edition and writes ``rescreen.csv`` (every project: old and new
verdict, units and fired rules, why), ``rescreen.json`` (the same with the inputs and
their hashes) and the new screening under ``screening/``.  The changed projects are
printed on stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.options import (
    bind_rule_inputs,
    encoding_option,
    fields_option,
    grid_option,
    lang_option,
    layer_option,
    load_units,
    out_option,
    parse_pairs,
    repair_units_option,
    rules_path_for,
    units_coords_option,
    units_option,
)


def run(
    results,
    units,
    rules,
    *,
    layers,
    grids,
    inputs,
    out: Path,
    lang: str,
    missing="error",
    old_rules=None,
):
    """Re-screen and write the outputs; returns name → path."""
    from zoning.export._atomic import atomic_dir
    from zoning.export.geojson import write_json
    from zoning.export.report import write_screening
    from zoning.rescreen import rescreen

    rs = rescreen(
        results, units, rules, grids, layers, inputs=inputs, missing=missing, old_rules=old_rules
    )
    names = {"table": "rescreen.csv", "json": "rescreen.json", "screening": "screening"}
    with atomic_dir(out) as tmp:
        rs.table.to_csv(tmp / names["table"], index=False, encoding="utf-8-sig")
        write_json(
            {
                "inputs": inputs,
                "earlier_results": sorted({r["source"] for r in results}),
                "projects": len(rs.table),
                "changed": int(rs.table["changed"].sum()),
                "verdicts_changed": int(rs.table["verdict_changed"].sum()),
                "rows": rs.table.to_dict(orient="records"),
            },
            tmp / names["json"],
        )
        write_screening(
            rs.result,
            tmp / names["screening"],
            units=units,
            layers=layers,
            lang=lang,
            inputs=inputs,
            maps=False,
        )
    zh = lang == "zh"
    t = rs.table
    click.echo(
        (
            f"{len(t)} 个项目重新研判：{int(t['changed'].sum())} 个有变化，其中结论变化 {int(t['verdict_changed'].sum())} 个"
        )
        if zh
        else f"{len(t)} projects re-screened: {int(t['changed'].sum())} changed, "
        f"{int(t['verdict_changed'].sum())} with a new verdict",
        err=True,
    )
    for _, row in rs.changed.iterrows():
        click.echo(f"  {row['project_id']}: {row['why_zh' if zh else 'why_en']}", err=True)
    return {k: Path(out) / v for k, v in names.items()}, rs


@click.command("rescreen")
@click.argument("results", nargs=-1, required=True)
@units_option()
@units_coords_option
@repair_units_option
@click.option("--rules", "-r", default=None, help="The new edition's YAML rule file.")
@click.option(
    "--old-rules",
    default=None,
    help="The earlier edition's rule file: rules that now fire (or no longer) are explained "
    "by what changed in them.",
)
@grid_option("A grid the rules name, as NAME=PATH (repeatable; overrides the rule file).")
@click.option(
    "--named-layer",
    "named_layers",
    multiple=True,
    metavar="NAME=PATH",
    help="A layer the rules name, as NAME=PATH (repeatable; overrides the rule file).",
)
@click.option(
    "--crs", "assume_crs", default=None, help="CRS to assume for a units file without one."
)
@layer_option
@fields_option
@encoding_option
@lang_option
@out_option(help_text="Output folder.")
def command(
    results,
    units,
    rules,
    old_rules,
    grids,
    named_layers,
    assume_crs,
    layer,
    fields,
    encoding,
    lang,
    out,
):
    """Re-screen earlier results (RESULT: result.json or a `zoning screen` folder) against
    a new edition (--units, --rules) and list every project whose verdict, units or
    triggered rules change, with why."""
    from zoning.datasets import demo_path
    from zoning.io.projects import file_sha256
    from zoning.io.results import read_results
    from zoning.io.rulefile import read_rules

    earlier = read_results(list(results))
    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    units_path = units or demo_path("units.gpkg")
    inputs = {"rules": {"path": str(rules_path), "sha256": file_sha256(rules_path)}}
    if not str(units_path).startswith(("postgresql:", "postgres:")):
        inputs["units"] = {"path": str(units_path), "sha256": file_sha256(units_path)}
    lay, grd, more = bind_rule_inputs(
        rule_set, parse_pairs(named_layers, "--named-layer"), grids, None
    )
    inputs.update(more)
    run(
        earlier, unit_frame, rule_set, layers=lay, grids=grd, inputs=inputs, out=out, lang=lang,
        old_rules=read_rules(old_rules) if old_rules else None,
    )  # fmt: skip
    click.echo(f"wrote {out}", err=True)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The demo's second edition: diff it against the first and re-screen the demo's
    screening results under it (after the screening step)."""
    from zoning.datasets import demo_path
    from zoning.diff import diff_units
    from zoning.export.diff import write_diff
    from zoning.io.projects import file_sha256
    from zoning.io.results import read_results
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units

    out_dir = Path(out_dir)
    old = read_units(demo_path("units.gpkg"))
    new = read_units(demo_path("units_v2.gpkg"))
    d = diff_units(old, new)
    paths = write_diff(
        d, out_dir / "editions" / "diff", old=old, new=new, lang=lang,
        sources={"old": "data/units.gpkg", "new": "data/units_v2.gpkg"},
    )  # fmt: skip
    click.echo(d.summary(lang), err=True)
    outputs = {"diff map": paths["map"], "update statement": paths["statement"]}
    earlier = out_dir / "screening" / "result.json"
    if not earlier.exists():
        return outputs
    rules_path = demo_path("rules_v2.yaml")
    rules = read_rules(rules_path)
    lay, grd, more = bind_rule_inputs(rules, {}, {}, None)
    inputs = {
        "units": {"path": "data/units_v2.gpkg", "sha256": file_sha256(demo_path("units_v2.gpkg"))},
        "rules": {"path": "data/rules_v2.yaml", "sha256": file_sha256(rules_path)},
    }
    for key, val in more.items():
        val["path"] = "data/" + Path(val["path"]).relative_to(rules_path.parent).as_posix()
        inputs[key] = val
    rp, _ = run(
        read_results([earlier]), new, rules, layers=lay, grids=grd, inputs=inputs,
        out=out_dir / "editions" / "rescreen", lang=lang, old_rules=read_rules(demo_path("rules.yaml")),
    )  # fmt: skip
    outputs["rescreen table"] = rp["table"]
    return outputs
