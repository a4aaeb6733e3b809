"""``zoning rules diff OLD.yaml NEW.yaml [--out FILE]``: rules added, removed and changed.

This module defines the click command ``diff`` (no ``command`` attribute: it belongs to
the ``zoning rules`` group, which attaches it).  The list goes to stdout as text, or to
``--out`` as CSV (``.csv``) or JSON (``.json``).
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the list as .csv or .json instead of text on stdout.",
)
def diff(old, new, out):
    """List the rules added, removed and changed (scope, condition, outcome, clause)."""
    from zoning.errors import InputError
    from zoning.export.geojson import write_json, write_vector
    from zoning.io.rulefile import read_rules
    from zoning.rulediff import diff_rules

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise InputError(
            f"extension '{out.suffix}' is not supported", source=out, field="--out",
            fix="name a .csv or .json file, or leave --out out for text on stdout",
        )  # fmt: skip
    table = diff_rules(read_rules(old), read_rules(new))
    counts = (
        table.drop_duplicates("rule_id")["change"].value_counts().to_dict() if len(table) else {}
    )
    if out is None:
        for text in table["text"]:
            click.echo(text)
        if not len(table):
            click.echo("no rule changed")
    elif out.suffix.lower() == ".csv":
        write_vector(table, out)
    else:
        write_json(
            {"old": str(old), "new": str(new), "changes": table.to_dict(orient="records")}, out
        )
    click.echo(
        f"rules: {counts.get('added', 0)} added, {counts.get('removed', 0)} removed, "
        f"{counts.get('changed', 0)} changed" + (f" → {out}" if out else ""),
        err=True,
    )
