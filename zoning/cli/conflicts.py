"""``zoning conflicts``: facilities against the access lists of their units.

Writes ``conflicts.geojson`` (RFC 7946), ``conflicts.csv`` (UTF-8 with BOM, WKT in WGS 84),
``conflicts.html`` (offline map coloured by status, popups with the broken clauses) and
``summary.json``; prints the summary (by status, unit class, rule) on stderr.
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
    parse_pairs,
    png_option,
    repair_units_option,
    rules_option,
    rules_path_for,
    scale_options,
    shared_option,
    unit_source_options,
    units_option,
)
from zoning.export.conflicts import MAP_LIMIT, STATUS_COLORS, STATUS_LABELS, summary_text  # noqa: F401
from zoning.products.conflicts import run_conflicts

#: The option that maps a fact onto a column of the facilities (named in the summary).
FIELD_OPTION = "--facilities-field"


def run(units, facilities, rules, *, lang: str = "zh", **kw) -> dict[str, Path]:
    """:func:`zoning.products.conflicts.run_conflicts` (same keywords), its summary
    printed on stderr."""
    paths, summary = run_conflicts(units, facilities, rules, lang=lang, **kw)
    click.echo(summary_text(summary, lang, field_option=FIELD_OPTION), err=True)
    return paths


@click.command("conflicts")
@param_flags(facts="--facility-fact", crs="--facilities-crs")
@param_flags(fields="--facilities-field", layers="--named-layer")
@units_option()
@unit_source_options(aliases=("layer", "field"))
@repair_units_option
@click.option(
    "--facilities",
    "-f",
    required=True,
    help="Facilities: GeoJSON, GPKG, SHP, GeoParquet, or CSV with lon/lat or x/y.",
)
@rules_option()
@grid_option("A grid the rules name, as NAME=PATH (repeatable; overrides the rule file).")
@named_layers_option
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
@png_option
@scale_options
@click.option(
    "--baseline",
    default=None,
    help="An earlier conflicts.csv: list facilities newly conflicting or no longer "
    "conflicting in baseline_changes.csv.",
)
@out_option(help_text="Output folder.")
def command(
    png,
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
    from zoning.io.facilities import read_facilities, with_constant_facts
    from zoning.io.results import read_conflicts_table
    from zoning.io.rulefile import read_rules

    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    base = read_conflicts_table(baseline) if baseline else None  # checked before writing
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
    fac = with_constant_facts(fac, parse_pairs(facility_facts, "--facility-fact"))
    lay, grd, _ = bind_rule_inputs(rule_set, named_layers, grids, layers_crs)
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
        baseline=base,
        png=png,
    )


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The conflicts step of ``zoning demo`` (:func:`zoning.products.conflicts.demo_conflicts`)."""
    from zoning.products.conflicts import demo_conflicts

    paths, summary = demo_conflicts(out_dir, lang)
    click.echo(summary_text(summary, lang, field_option=FIELD_OPTION), err=True)
    return paths
