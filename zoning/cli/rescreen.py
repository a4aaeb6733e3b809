"""``zoning rescreen RESULT... --units NEW --rules NEW --out DIR``: whose verdict changes.

Re-runs earlier screening results (``result.json`` files or the folders of ``zoning
screen``) against a new edition and writes ``rescreen.csv`` (every project: old and new
verdict, units and fired rules, why), ``rescreen.json`` (the same with the inputs and
their hashes) and the new screening under ``screening/``.  The changed projects are
printed on stderr.
"""

from __future__ import annotations

import click

from zoning.cli.options import (
    bind_rule_inputs,
    encoding_option,
    fields_option,
    grid_option,
    lang_option,
    layer_option,
    load_units,
    named_layers_option,
    out_option,
    param_flags,
    repair_units_option,
    rules_option,
    rules_path_for,
    units_coords_option,
    units_option,
)


@click.command("rescreen")
@param_flags(layers="--named-layer")
@click.argument("results", nargs=-1, required=True)
@units_option()
@units_coords_option
@repair_units_option
@rules_option("The new edition's YAML rule file.")
@click.option(
    "--old-rules",
    default=None,
    help="The earlier edition's rule file: rules that now fire (or no longer) are explained "
    "by what changed in them.",
)
@grid_option("A grid the rules name, as NAME=PATH (repeatable; overrides the rule file).")
@named_layers_option
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
    from zoning.inputs import run_inputs
    from zoning.io.results import read_results
    from zoning.io.rulefile import read_rules

    earlier = read_results(list(results))
    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    inputs = run_inputs(rules_path, units)
    lay, grd, more = bind_rule_inputs(rule_set, named_layers, grids, None)
    inputs.update(more)
    from zoning.runs import run_rescreen

    r = run_rescreen(
        earlier, unit_frame, rule_set, layers=lay, grids=grd, inputs=inputs, out=out, lang=lang,
        old_rules=read_rules(old_rules) if old_rules else None,
    )  # fmt: skip
    for line in r.lines:
        click.echo(line, err=True)
    click.echo(f"wrote {out}", err=True)
