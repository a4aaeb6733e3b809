"""``zoning allocate``: each polluted plot to trees, PV, forest-PV or risk control only.

Writes ``selected.geojson``, ``rejected.geojson`` (with ``use_reason``), ``summary.json``
(totals by use, factors with their sources and year, solver status, bound and gap),
``map.html`` (a legend per use; the layers used and ``--units`` beneath) and ``tradeoff.png`` (sink vs avoided, weighted solves).
"""

from __future__ import annotations

import click

from zoning.cli._allocate_samples import sample_options, with_samples
from zoning.cli.options import out_option, param_flags, parse_pairs
from zoning.cli.pv import assess, map_units, pv_options


def _floats(values, hint) -> dict[str, float]:
    out = {}
    for k, v in parse_pairs(values, hint).items():
        try:
            out[k] = float(v)
        except ValueError:
            raise click.BadParameter(
                f"'{k}={v}': the value is not a number", param_hint=hint
            ) from None
    return out


@click.command("allocate")
@param_flags(cost="--cost-per-ha", locked="--lock", edge_bonus="--adjacency-bonus",
             time_limit_s="--time-limit")  # fmt: skip
@pv_options
@sample_options
@click.option(
    "--ecozone",
    default=None,
    help="IPCC ecological zone for the tree sink (as `zoning afforest --ecozone`).",
)
@click.option("--species", default=None, help="IPCC species group where the table splits.")
@click.option(
    "--sink-rate",
    type=float,
    default=None,
    help="Tree removal rate (t CO2/ha/yr) instead of the IPCC factors.",
)
@click.option(
    "--budget",
    multiple=True,
    metavar="SCOPE:QUANTITY=VALUE",
    help="Budget: SCOPE total|trees|pv|forest_pv, QUANTITY area_ha|cost|mw "
    "(e.g. total:area_ha=200, pv:mw=50). Repeatable.",
)
@click.option("--cost-per-ha", multiple=True, metavar="USE=VALUE", help="Cost per ha of a use.")
@click.option("--cost-per-mw", multiple=True, metavar="USE=VALUE", help="Cost per MW of a use.")
@click.option("--weight-sink", type=float, default=1.0, show_default=True)
@click.option("--weight-avoided", type=float, default=1.0, show_default=True)
@click.option(
    "--adjacency-bonus",
    type=float,
    default=0.0,
    show_default=True,
    help="Objective bonus per pair of neighbouring plots given the same use.",
)
@click.option(
    "--lock",
    multiple=True,
    metavar="ID=USE",
    help="Lock a plot (by --id-field, else 1-based row) to trees|pv|forest_pv|none.",
)
@click.option("--id-field", default=None, help="Plot identifier field.")
@click.option(
    "--backend",
    type=click.Choice(["highs", "cbc", "scipy", "greedy"]),
    default="highs",
    show_default=True,
)
@click.option(
    "--time-limit",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds (hard: the solver is killed 5 s later).",
)
@click.option("--gap", type=float, default=0.001, show_default=True)
@click.option(
    "--tradeoff-steps",
    type=int,
    default=5,
    show_default=True,
    help="Weighted solves for the trade-off curve (0: none).",
)
@out_option(help_text="Output folder.")
def command(
    out,
    lang,
    ecozone,
    species,
    sink_rate,
    budget,
    cost_per_ha,
    cost_per_mw,
    weight_sink,
    weight_avoided,
    adjacency_bonus,
    lock,
    id_field,
    backend,
    time_limit,
    gap,
    tradeoff_steps,
    **kw,
):
    """Allocate every polluted plot to at most one use under budgets."""
    from zoning.allocate import check_search

    check_search(gap=gap, time_limit_s=time_limit, adjacency_bonus=adjacency_bonus)
    sample_kw = {k: kw.pop(k) for k in list(kw) if k in sample_options.keys}
    units = map_units(kw)
    res = with_samples(assess(kw, lang), sample_kw, id_field, lang)
    from zoning.products.allocate import allocate_and_write

    written = allocate_and_write(
        res,
        out,
        lang=lang,
        ecozone=ecozone,
        species=species,
        sink_rate=sink_rate,
        budget=budget,
        cost_per_ha=_floats(cost_per_ha, "--cost-per-ha"),
        cost_per_mw=_floats(cost_per_mw, "--cost-per-mw"),
        weight_sink=weight_sink,
        weight_avoided=weight_avoided,
        adjacency_bonus=adjacency_bonus,
        lock=parse_pairs(lock, "--lock"),
        id_field=id_field,
        backend=backend,
        time_limit=time_limit,
        gap=gap,
        tradeoff_steps=tradeoff_steps,
        units=units,
    )
    for path in written.values():
        click.echo(f"wrote {path}", err=True)
