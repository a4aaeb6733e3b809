"""``zoning rules``: commands about rule files.

``zoning rules coverage --units U --rules R --out FILE.csv`` splits every unit's access
list into clauses (:mod:`zoning.clauses`) and lists, per unit and dimension, every clause
and the rules that check it (linked by ``clauses:`` in the rule file, within the rule's
scope); clauses no rule checks stand out.  Writes ``FILE.csv`` and ``FILE.html`` beside
it; the counts go to stderr.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from zoning.cli.options import (
    lang_option,
    load_units,
    out_option,
    repair_units_option,
    rules_path_for,
    unit_source_options,
    units_option,
)
from zoning.errors import InputError

log = logging.getLogger(__name__)


@click.group("rules")
def command() -> None:
    """Rule files: which access-list clauses they check (coverage)."""


@command.command("coverage")
@units_option()
@repair_units_option
@click.option(
    "--rules",
    "-r",
    default=None,
    help="YAML rule file (docs/rules.md); needed with --units, else the bundled demo rules.",
)
@unit_source_options
@lang_option
@out_option(help_text="Output CSV; an HTML table is written beside it (same stem, .html).")
def coverage(units, rules, layer, fields, encoding, assume_crs, lang, out):
    """Every access-list clause of every unit and the rules that check it.

    Rules link clauses with `clauses: [...]` (clause ids or exact texts; docs/rules.md).
    A rule's `clause` text that only resembles a clause is listed as a suggestion, never
    counted as coverage.
    """
    from zoning.io.rulefile import read_rules

    if Path(out).suffix.lower() != ".csv":
        raise InputError(
            f"the output '{out}' is not a .csv file",
            field="--out",
            fix="name a .csv file, e.g. --out coverage.csv (the .html is written beside it)",
        )
    rules_path = rules_path_for(rules, units)
    rule_set = read_rules(rules_path)
    unit_frame = load_units(
        units, layer=layer, fields=fields, encoding=encoding, assume_crs=assume_crs
    )
    click.echo(f"{len(unit_frame)} units, {len(rule_set)} rules", err=True)
    from zoning.runs import run_coverage

    r = run_coverage(unit_frame, rule_set, Path(out), lang=lang)
    for line in r.lines:
        click.echo(line, err=True)
    click.echo(f"wrote {r.paths['csv']} and {r.paths['html']}", err=True)


from zoning.cli.rules_diff import diff as _diff  # noqa: E402  (its own module)

command.add_command(_diff)


from zoning.cli.rules_diff import diff as _diff  # noqa: E402  (its own module)

command.add_command(_diff)
