"""Product runs in the library: compute, write through ``zoning.export`` and return the
paths and the lines a person reads (in the run's language).  The command line and
``zoning demo`` call these and report the lines; the library itself never prints.

- :func:`run_screening`: screen projects and write the reports;
- :func:`run_coverage`: the rule coverage of the access-list clauses (CSV and HTML);
- :func:`run_diff`: two editions compared, the diff's files and update statement;
- :func:`run_rescreen`: earlier screenings re-run under a new edition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class Run:
    """What a product run wrote (name → path), the lines to report, and its result."""

    paths: dict[str, Path]
    lines: list[str] = field(default_factory=list)
    result: object = None


def run_screening(
    projects,
    units,
    rules,
    *,
    layers,
    grids,
    out,
    lang,
    inputs,
    missing="error",
    formats=("html", "pdf", "docx"),
) -> Run:
    """Screen ``projects`` and write the reports into ``out`` (``report.html`` always, and
    ``report.pdf``/``report.docx`` and a batch ``summary.pdf``/``.docx`` as ``formats``
    say); a line per project."""
    from zoning.export.printed import parse_formats
    from zoning.export.report import write_screening
    from zoning.screen import VERDICTS, screen

    formats = parse_formats(formats)
    result = screen(projects, units, rules, grids, layers, missing=missing)
    # the printed reports are staged with the HTML: every output appears at once, or none
    paths = write_screening(
        result, out, units=units, layers=layers, lang=lang, inputs=inputs, formats=formats
    )
    from zoning.export._print import _missing_facts

    lines = []
    for _, row in result.projects.iterrows():
        label = VERDICTS[row["verdict"]][0 if lang == "zh" else 1]
        extra = (
            (
                f"（{_missing_facts(row['missing_facts'], lang)}）"
                if lang == "zh"
                else f" ({_missing_facts(row['missing_facts'], lang)})"
            )
            if row["missing_facts"]
            else ""
        )
        review = row.get("review_" + lang) or ""
        extra += f"; {review}" if review else ""
        lines.append(f"{row['project_id']}: {label}{extra}")
    return Run(paths, lines, result)


def coverage_text(counts: dict, lang: str) -> str:
    """The coverage counts as a sentence (zh or en)."""
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


def run_coverage(units, rules, out: Path, *, lang: str = "zh") -> Run:
    """Compute the coverage and write the CSV and HTML; dangling references are logged
    as warnings, the counts are the line to report."""
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
    return Run(paths, [coverage_text(counts, lang)], table)


def run_diff(old, new, out: Path, *, lang: str, sources: dict | None = None, **kw) -> Run:
    """Compare two editions and write the diff's files; the summary is the line."""
    from zoning.diff import diff_units
    from zoning.export.diff import write_diff

    d = diff_units(old, new, **kw)
    paths = write_diff(d, out, old=old, new=new, lang=lang, sources=sources)
    return Run(paths, [d.summary(lang)], d)


def run_rescreen(
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
) -> Run:
    """Re-screen ``results`` under a new edition and write the outputs; the counts and a
    line per changed project, with why."""
    from zoning.export.rescreen import write_rescreen
    from zoning.rescreen import rescreen

    rs = rescreen(
        results, units, rules, grids, layers, inputs=inputs, missing=missing, old_rules=old_rules
    )
    paths = write_rescreen(rs, results, out, units=units, layers=layers, lang=lang, inputs=inputs)
    zh = lang == "zh"
    t = rs.table
    changed, verdicts = int(t["changed"].sum()), int(t["verdict_changed"].sum())
    lines = [
        f"{len(t)} 个项目重新研判：{changed} 个有变化，其中结论变化 {verdicts} 个"
        if zh
        else f"{len(t)} projects re-screened: {changed} changed, {verdicts} with a new verdict"
    ]
    for _, row in rs.changed.iterrows():
        lines.append(f"  {row['project_id']}: {row['why_zh' if zh else 'why_en']}")
    return Run(paths, lines, rs)
