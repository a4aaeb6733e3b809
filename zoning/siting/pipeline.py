"""Candidates, sink and selection in one call (:func:`site_afforestation`)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from zoning.errors import InputError
from zoning.optimize import Selection
from zoning.siting.candidates import Candidates, find_candidates
from zoning.siting.selection import select_sites
from zoning.siting.sink import assign_ecozones, estimate_sink, removal_factors


@dataclass
class SitingResult:
    """The outcome of :func:`site_afforestation`."""

    patches: gpd.GeoDataFrame  # every patch, with ``selected``
    parcels: gpd.GeoDataFrame  # every parcel, with ``candidate``, ``reason``, ``selected``
    selection: Selection
    summary: dict


def site_afforestation(
    parcels: gpd.GeoDataFrame,
    /,
    *,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    horizon_years: float = 20.0,
    rate_t_co2_ha_yr: float | None = None,
    factors: dict | None = None,
    candidates: dict | None = None,
    selection: dict | None = None,
    ecozone_layer: gpd.GeoDataFrame | None = None,
    ecozone_field: str = "ecozone",
    factor_options: dict | None = None,
    found: Candidates | None = None,
) -> SitingResult:
    """Candidates, sink and selection in one call.

    ``candidates`` are keyword arguments of :func:`find_candidates`, ``selection`` those
    of :func:`select_sites` (besides the budget).  Returns patches (with ``selected``),
    every parcel (with ``candidate``, ``reason``, ``patch_id``, ``selected``), the
    :class:`~zoning.optimize.Selection` and a JSON-able summary.

    ``factors`` are those of one ecological zone (:func:`removal_factors`); with
    ``ecozone_layer`` each patch takes the zone covering most of it and the factors of
    that zone (``factor_options``: keyword arguments of :func:`removal_factors` besides
    the zone).  Without either (and without a user rate) the sink is refused.

    ``found`` are candidates already found by :func:`find_candidates` on these parcels
    (with these ``candidates`` options); given, they are used as they are, not found again.
    """
    if ecozone_layer is not None and factors is not None:
        raise InputError(
            "give one ecological zone (`factors`) or a zone layer (`ecozone_layer`), not both",
            param="ecozone_layer",
        )
    cand = found if found is not None else find_candidates(parcels, **(candidates or {}))
    if cand.patches.empty:
        raise InputError(
            "no candidate patch: every parcel was left out (see the reasons)",
            fix="relax the filters (slope, land cover, minimum area) or check the soil classes",
        )
    patches_in = cand.patches
    if ecozone_layer is not None:
        patches_in = patches_in.copy()
        patches_in["ecozone"] = assign_ecozones(patches_in, ecozone_layer, field=ecozone_field)
        factors = {
            z: removal_factors(ecozone=z, **(factor_options or {}))
            for z in sorted(set(patches_in["ecozone"]))
        }
    patches, f = estimate_sink(
        patches_in,
        rate_t_co2_ha_yr=rate_t_co2_ha_yr,
        horizon_years=horizon_years,
        factors=factors,
    )
    patches, sel = select_sites(
        patches, budget_ha=budget_ha, budget_cost=budget_cost, **(selection or {})
    )
    chosen = set(patches.loc[patches["selected"], "patch_id"])
    par = cand.parcels
    par["selected"] = par["patch_id"].isin(chosen)
    chosen_p = patches[patches["selected"]]
    summary = {
        "budget": {"area_ha": budget_ha, "cost": budget_cost},
        "n_parcels": len(par),
        "n_candidate_parcels": int(par["candidate"].sum()),
        "n_patches": len(patches),
        "n_selected_patches": len(chosen_p),
        "selected_area_ha": round(float(chosen_p["area_ha"].sum()), 3),
        "candidate_area_ha": round(float(patches["area_ha"].sum()), 3),
        "sink_t_co2_yr": round(float(chosen_p["sink_t_co2_yr"].sum()), 2),
        "sink_t_co2_horizon": round(float(chosen_p["sink_t_co2_horizon"].sum()), 1),
        "horizon_years": horizon_years,
        "cost": round(float(chosen_p["cost"].sum()), 2),
        "factors": f,
        "factors_verified": f.get("verified", ""),
        "filters": cand.params,
        "rejections": par.loc[~par["candidate"], "reason"]
        .str.split(",")
        .explode()
        .value_counts()
        .to_dict(),
        "solver": sel.summary(),
        "solver_details": {k: v for k, v in sel.details.items()},
    }
    return SitingResult(patches, par, sel, summary)
