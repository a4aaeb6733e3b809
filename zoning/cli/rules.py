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


def _counts_text(counts: dict, lang: str) -> str:
    if lang == "zh":
        text = (
            f"{counts['clauses']} 条条款（{counts['units']} 个单元）：{counts['covered']} 条有规则核查，"
            f"{counts['uncovered']} 条无规则核查（禁止类 {counts['uncovered_prohibitions']} 条）；"
            f"不同条款文本 {counts['distinct_texts']} 条，有规则核查 {counts['distinct_covered']} 条"
        )
    else:
        text = (
            f"{counts['clauses']} clauses in {counts['units']} units: {counts['covered']} "
            f"checked by a rule, {counts['uncovered']} not ({counts['uncovered_prohibitions']} "
            f"prohibitions); {counts['distinct_texts']} distinct texts, "
            f"{counts['distinct_covered']} checked"
        )
    if counts["units_without_access_list"]:
        n = counts["units_without_access_list"]
        text += (
            f"\n警告: {n} 个单元无准入清单文本"
            if lang == "zh"
            else f"\nwarning: {n} units have no access-list text"
        )
    return text


def run(units, rules, out: Path, *, lang: str = "zh") -> dict[str, Path]:
    """Compute the coverage and write the CSV and HTML; counts and dangling references
    go to stderr."""
    from zoning.export.coverage import write_coverage
    from zoning.rules.coverage import clause_coverage, coverage_counts

    table, links = clause_coverage(units, rules)
    counts = coverage_counts(table)
    for rid, refs in links.unmatched.items():
        for ref in refs:
            log.warning("rule %s: clauses: '%s' matches no clause of these units", rid, ref)
    for rid, refs in links.stale.items():
        for ref, now in refs:
            log.warning(
                "rule %s: clauses: '%s' no longer matches the clause's text (now %s); "
                "check the clause and update the reference",
                rid,
                ref,
                now,
            )
    paths = write_coverage(
        table, counts, out, lang=lang, unmatched=links.unmatched, stale=links.stale
    )
    click.echo(_counts_text(counts, lang), err=True)
    return paths


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
    paths = run(unit_frame, rule_set, Path(out), lang=lang)
    click.echo(f"wrote {paths['csv']} and {paths['html']}", err=True)


from zoning.cli.rules_diff import diff as _diff  # noqa: E402  (its own module)

command.add_command(_diff)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The coverage of the bundled rules over the demo units: ``rules_coverage.csv/.html``."""
    from zoning.datasets import demo_path
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units

    rules = read_rules(demo_path("rules.yaml"))
    units = read_units(demo_path("units.gpkg"))
    paths = run(units, rules, Path(out_dir) / "rules_coverage.csv", lang=lang)
    return {"coverage table (CSV)": paths["csv"], "coverage table": paths["html"]}
