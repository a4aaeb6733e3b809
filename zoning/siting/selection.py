"""The best patches under an area or cost budget (:func:`select_sites`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.errors import InputError
from zoning.optimize import Backend, Selection, select_under_budget
from zoning.siting.candidates import _metric_crs


def _lock_mask(patches, ids, name):
    if not ids:
        return None
    ids = {str(i) for i in ids}
    parcel_sets = [set(s.split(",")) for s in patches["parcel_ids"]]
    mask = np.array(
        [
            pid in ids or bool(ids & ps)
            for pid, ps in zip(patches["patch_id"], parcel_sets, strict=True)
        ]
    )
    known = set(patches["patch_id"]).union(*parcel_sets) if len(patches) else set()
    unknown = sorted(ids - known)
    if unknown:
        raise InputError(
            f"{name} names {unknown[:10]}, which are no candidate patch or parcel",
            param=name,
            fix="use patch ids (AF0001 …) or parcel ids of candidates",
        )
    return mask


def select_sites(
    patches: gpd.GeoDataFrame,
    /,
    *,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    cost_per_ha: float = 30000.0,
    locked_in: list[str] | None = None,
    locked_out: list[str] | None = None,
    adjacency_m: float = 200.0,
    adjacency_bonus: float = 0.0,
    weights: dict[str, float] | None = None,
    backend: Backend | None = None,
    time_limit_s: float = 60.0,
    gap: float = 0.001,
) -> tuple[gpd.GeoDataFrame, Selection]:
    """Choose patches maximising the sink (plus co-benefits) under an area or cost budget.

    Parameters
    ----------
    patches : GeoDataFrame
        Patches with ``area_ha`` and ``sink_t_co2_horizon`` (see :func:`estimate_sink`),
        optionally ``cost`` (else ``area_ha * cost_per_ha``).
    budget_ha, budget_cost : float
        Exactly one: the most area (ha) or money (same unit as the cost) to spend.
    cost_per_ha : float, optional (default: 30000)
        Planting cost per hectare where patches carry no ``cost``; an assumption (about
        2,000 CNY per mu), override it with local figures.
    locked_in, locked_out : list of str, optional (default: None)
        Patch ids, or parcel ids (locking the patch that holds them).
    adjacency_m : float, optional (default: 200)
        Patches this close are neighbours.
    adjacency_bonus : float, optional (default: 0)
        Benefit (t CO2-equivalent) added for each pair of selected neighbours.
    weights : dict column -> weight, optional (default: None)
        Co-benefits added to the sink: ``benefit = sink_t_co2_horizon + sum(w * column)``.
    backend, time_limit_s, gap
        Passed to :func:`zoning.optimize.select_under_budget`.

    Returns
    -------
    (patches with ``cost``, ``benefit``, ``selected``), Selection
    """
    if (budget_ha is None) == (budget_cost is None):
        raise InputError("give exactly one of `budget_ha` and `budget_cost`", param="budget_ha")
    out = patches.copy()
    if "cost" not in out.columns:
        out["cost"] = (out["area_ha"] * cost_per_ha).round(2)
    benefit = out["sink_t_co2_horizon"].to_numpy(dtype="float64").copy()
    for col, w in (weights or {}).items():
        if col not in out.columns:
            raise InputError(
                f"co-benefit column '{col}' is not a patch column; patches have "
                f"{list(out.columns)}",
                param="weights",
            )
        benefit += w * pd.to_numeric(out[col], errors="coerce").fillna(0).to_numpy()
    out["benefit"] = np.round(benefit, 3)
    cost = out["area_ha" if budget_ha is not None else "cost"].to_numpy(dtype="float64")
    budget = float(budget_ha if budget_ha is not None else budget_cost)
    edges = None
    if adjacency_bonus > 0 and len(out) > 1:
        g = out.to_crs(_metric_crs(out)).geometry
        a, b = g.sindex.query(g, predicate="dwithin", distance=adjacency_m)
        keep = a < b
        edges = np.column_stack([a[keep], b[keep]])
    kw = {} if backend is None else {"backend": backend}
    sel = select_under_budget(
        benefit,
        cost,
        budget,
        edges=edges,
        edge_bonus=adjacency_bonus,
        locked_in=_lock_mask(out, locked_in, "locked_in"),
        locked_out=_lock_mask(out, locked_out, "locked_out"),
        time_limit_s=time_limit_s,
        gap=gap,
        **kw,
    )
    out["selected"] = sel.selected
    out["locked"] = ""
    if locked_in:
        out.loc[_lock_mask(out, locked_in, "locked_in"), "locked"] = "in"
    if locked_out:
        out.loc[_lock_mask(out, locked_out, "locked_out"), "locked"] = "out"
    sel.details["n_adjacent_pairs"] = 0 if edges is None else len(edges)
    return out, sel
