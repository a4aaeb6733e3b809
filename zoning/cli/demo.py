"""``zoning demo [--out DIR]``: the whole pipeline on the bundled demo region."""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.options import lang_option, out_option


@click.command("demo")
@out_option(required=False, default=Path("maps"), help_text="Output folder (default: maps/).")
@lang_option
def command(out, lang):
    """Run every step on the bundled county and print where each output went."""
    from zoning._demo_log import output_label
    from zoning.demo import run_demo

    outputs = run_demo(out, lang=lang, progress=lambda m: click.echo(m, err=True))
    for name, path in outputs.items():
        click.echo(f"{output_label(name, lang, path)}: {path}")
