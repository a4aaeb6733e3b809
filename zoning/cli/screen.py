"""``zoning screen``: screen proposed projects against the zoning and write signable reports.

Writes ``report.html`` (self-contained, printable, offline map), ``result.json`` (same
content, input hashes, tool and rule file versions) and ``summary.csv``; a batch gets one
folder per project.  The verdicts are printed on stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.options import (
    bind_rule_inputs,
    grid_option,
    input_option,
    input_options,
    lang_option,
    load_units,
    named_layers_option,
    out_option,
    param_flags,
    repair_units_option,
    rules_option,
    rules_path_for,
    shared_option,
    unit_source_options,
    units_option,
)


@click.command("screen")
@param_flags(crs="--project-crs", encoding="--encoding", layers="--named-layer")
@click.argument("project", required=False)
@units_option()
@unit_source_options(aliases=("layer", "field"))
@repair_units_option
@rules_option()
@grid_option("A grid as NAME=PATH (repeatable): rule grids and values reported at the site.")
@named_layers_option
@click.option("--wkt", default=None, help="The site as WKT, e.g. 'POINT (119.87 30.04)'.")
@click.option(
    "--vertices",
    default=None,
    type=click.Path(path_type=Path),
    help="The site as a text/CSV list of vertices (lon/lat, DMS, or x/y with --crs).",
)
@click.option(
    "--geometry",
    type=click.Choice(["auto", "point", "line", "polygon"]),
    default="auto",
    show_default=True,
    help="What a vertex list describes (auto: 1 vertex a point, 2 a line, a closed list a "
    "polygon; an open list of 3+ vertices needs polygon or line).",
)
@click.option("--repair", is_flag=True, help="Repair a self-intersecting polygon (reported).")
@input_options(
    "project",
    ("layer", "encoding", "crs"),
    crs={"help": "CRS of --wkt / --vertices coordinates, or of a file that declares none."},
)
@input_option("layers", "crs", help="CRS of the rule layers that declare none.")
@shared_option("crs", {"project_crs": "--project-crs", "assume_crs": "--units-crs"})
@shared_option(
    "encoding", {"project_encoding": "--project-encoding", "encoding": "--units-encoding"}
)
@click.option("--project-id", default=None, help="Id of a --wkt / --vertices project.")
@click.option("--name", default=None, help="Project name (fact).")
@click.option("--sector", default=None, help="GB/T 4754-2017 industry code, e.g. 2614.")
@click.option("--stage", type=click.Choice(["proposed", "existing"]), default=None)
@click.option("--capacity", type=float, default=None)
@click.option("--capacity-unit", default=None)
@click.option("--so2-t", type=float, default=None, help="SO2 emission, t/yr.")
@click.option("--nox-t", type=float, default=None, help="NOx emission, t/yr.")
@click.option("--pm-t", type=float, default=None, help="PM emission, t/yr.")
@click.option("--vocs-t", type=float, default=None, help="VOCs emission, t/yr.")
@click.option("--co2-t", type=float, default=None, help="CO2 emission, t/yr.")
@click.option("--energy-tce", type=float, default=None, help="Energy use, t standard coal/yr.")
@click.option("--two-high/--not-two-high", "two_high", default=None, help="A two-high project.")
@click.option("--tags", default=None, help="Comma-separated tags, e.g. hazardous_chemicals,vocs.")
@click.option(
    "--format",
    "formats",
    default="html,pdf,docx",
    show_default=True,
    help="Report formats, comma-separated: html (always written), pdf, docx.",
)
@lang_option
@out_option(help_text="Output folder.")
def command(
    project,
    units,
    rules,
    grids,
    named_layers,
    wkt,
    vertices,
    geometry,
    repair,
    assume_crs,
    project_layer,
    project_encoding,
    project_crs,
    layers_crs,
    project_id,
    layer,
    fields,
    encoding,
    formats,
    lang,
    out,
    **facts,
):
    """Screen proposed projects (PROJECT file, --wkt or --vertices) against the zoning.

    Verdicts: prohibited, needs-information (naming the missing facts), restricted (with
    the conditions) or allowed.  Fact options (--sector, --stage, --nox-t …) fill or
    override the facts of every project (the options left in ``facts``).
    """
    from zoning.inputs import run_inputs
    from zoning.io.coords import refuse_outside_region
    from zoning.io.projects import parse_wkt, read_projects
    from zoning.io.rulefile import read_rules

    given = [x for x in (project, wkt, vertices) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of PROJECT, --wkt or --vertices")
    facts = {k: v for k, v in facts.items() if v is not None}
    if wkt:
        projects = parse_wkt(
            wkt, crs=project_crs, repair=repair, project_id=project_id or "P1", facts=facts
        )
        src = {"path": "--wkt", "wkt": wkt}
    else:
        src = project or vertices
        projects = read_projects(
            src,
            layer=project_layer,
            crs=project_crs,
            encoding=project_encoding,
            geometry=geometry,
            repair=repair,
            facts=facts,
        )
        if project_id and len(projects) == 1:
            projects["project_id"] = [project_id]
    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    inputs = run_inputs(rules_path, units, project=src)
    refuse_outside_region(projects, unit_frame, source=inputs["project"]["path"], what="projects")
    lay, grd, more = bind_rule_inputs(rule_set, named_layers, grids, layers_crs)
    inputs.update(more)
    click.echo(
        f"{len(projects)} project(s), {len(unit_frame)} units, {len(rule_set)} rules", err=True
    )
    from zoning.runs import run_screening

    r = run_screening(
        projects,
        unit_frame,
        rule_set,
        layers=lay,
        grids=grd,
        out=out,
        lang=lang,
        inputs=inputs,
        formats=formats,
    )
    for line in r.lines:
        click.echo(line, err=True)
    click.echo(f"wrote {r.paths['summary'].parent}", err=True)
