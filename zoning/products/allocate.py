"""The allocation of polluted plots as a product run: assess, allocate, write.

:func:`allocate_and_write` is what ``zoning allocate`` runs; :func:`demo_step` runs it on
the demo county's plots (the closed mine, the former factory site and their neighbours).
The maths is in :mod:`zoning.allocate` and :mod:`zoning.pv`, the files are written by
:mod:`zoning.export.allocate`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from zoning.export.allocate import write_allocation, write_pv  # noqa: F401

log = logging.getLogger(__name__)


def allocate_and_write(
    res,
    out: Path,
    *,
    lang="zh",
    ecozone=None,
    species=None,
    sink_rate=None,
    budget=(),
    cost_per_ha=None,
    cost_per_mw=None,
    weight_sink=1.0,
    weight_avoided=1.0,
    adjacency_bonus=0.0,
    lock=None,
    id_field=None,
    backend="highs",
    time_limit=30.0,
    gap=0.001,
    tradeoff_steps=5,
    units=None,
) -> dict[str, Path]:
    """Allocate the assessed plots ``res`` (:class:`zoning.pv.PVResult`) and write; the
    map draws the layers ``res`` used (``res.layers``) and ``units`` beneath the plots."""
    from zoning.allocate import allocate_plots, parse_budget, tradeoff
    from zoning.siting import removal_factors

    if sink_rate is not None:
        factors = {"removal_t_co2_ha_yr": sink_rate, "verified": "user", "formula": "user rate"}
    else:
        factors = removal_factors(ecozone=ecozone, species=species)
    budgets = parse_budget(budget)
    frame, summary, result, arrays = allocate_plots(
        res.plots,
        sink_t_co2_ha_yr=factors["removal_t_co2_ha_yr"],
        sink_factors=factors,
        weights=(weight_sink, weight_avoided),
        budgets=budgets,
        cost_per_ha=cost_per_ha,
        cost_per_mw=cost_per_mw,
        adjacency_bonus=adjacency_bonus,
        locked=lock,
        id_field=id_field,
        backend=backend,
        time_limit_s=time_limit,
        gap=gap,
        lang=lang,
    )
    summary["pv"] = {k: v for k, v in res.meta.items() if k != "samples"}
    if "samples" in res.meta:  # zoning allocate --samples: how plots got their class
        summary["samples"] = res.meta["samples"]
    curve = None
    if tradeoff_steps > 1:
        curve = tradeoff(
            arrays,
            steps=tradeoff_steps,
            backend=backend,
            budgets=budgets,
            time_limit_s=max(2.0, time_limit / tradeoff_steps),
            edge_bonus=adjacency_bonus,
            gap=gap,
        )
    context = {**res.layers, "units": units}
    return write_allocation(frame, summary, out, tradeoff=curve, lang=lang, context=context)


def demo_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """The demo county's closed mine, former factory site and neighbours -> ``allocate/``.

    Demo values (declared, not defaults): clearness 0.5 on pvlib's clear-sky irradiance,
    the ministry's 2023 East China (华东) grid factor, subtropical humid forest, budgets
    of 60 ha in all and 25 MW of PV.  The map shows the red line, substation, road and
    control units beneath the plots.
    """
    from zoning.datasets import demo_path
    from zoning.io.vector import read_vector
    from zoning.pv import assess_pv, grid_factor
    from zoning.soil_construction import attach_worst_class, classify_construction_samples

    plots = read_vector(demo_path("newenergy_plots.gpkg"), what="the plots")
    samples = classify_construction_samples(
        read_vector(demo_path("newenergy_samples.gpkg")), land_class_field="land_class"
    )
    plots = attach_worst_class(plots, samples.samples)
    res = assess_pv(
        plots,
        exclusions={"red_line": read_vector(demo_path("red_line.gpkg"))},
        min_area_ha=5.0,
        grid=read_vector(demo_path("substations.gpkg")),
        max_grid_distance_m=5000.0,
        roads=read_vector(demo_path("roads.gpkg")),
        max_road_distance_m=2000.0,
        clearness=0.5,
        emission_factor=grid_factor("mee_nbs", 2023, "华东"),
        lang=lang,
    )
    res.meta["gb36600"] = samples.meta
    res.meta["demo_values"] = "clearness 0.5 is a demo value, not a default"
    written = allocate_and_write(
        res,
        Path(out_dir) / "allocate",
        lang=lang,
        ecozone="subtropical_humid",
        budget=("total:area_ha=60", "pv:mw=25"),
        id_field="plot_id",
        time_limit=10.0,
        units=read_vector(demo_path("units.gpkg")),
    )
    with open(written["summary.json"], encoding="utf-8") as fh:
        log.info("allocation: %s", json.load(fh)["by_use"])
    return written
