"""Afforestation on polluted farmland: candidate patches, carbon sink, selection under a budget.

The pipeline (:func:`site_afforestation`, :mod:`zoning.siting.pipeline`) runs three
steps, each usable alone and each in its own room:

1. :func:`find_candidates` (:mod:`~zoning.siting.candidates`) — strict-control parcels,
   optionally with other polluted plots, filtered by slope, land cover, excluded layers
   and distance limits, merged into patches; every parcel left out carries its reasons.
   What lies under a parcel (mean slope, land-cover classes, people nearby) is measured
   in :mod:`~zoning.siting.cover`.
2. :func:`estimate_sink` (:mod:`~zoning.siting.sink`) — IPCC Tier 1 removal factors by
   ecological zone (:func:`removal_factors`, :func:`assign_ecozones`) or a user rate.
3. :func:`select_sites` (:mod:`~zoning.siting.selection`) — the best patches under an
   area or cost budget, solved by :func:`zoning.optimize.select_under_budget`.

Areas are computed in the equal-area CRS, distances and adjacency in a metric CRS (the
parcels' own when projected in metres, else their UTM zone); outputs keep the parcels' CRS.
"""

from __future__ import annotations

from zoning.siting.candidates import REASONS, Candidates, DistanceLimit, find_candidates
from zoning.siting.cover import (  # noqa: F401 - grid helpers stay reachable here
    Grid,
    _cell_ids,
    _cells_under_points,
    _cover_classes,
    _people_near,
    _zonal_mean,
    slope_degrees,
)
from zoning.siting.pipeline import SitingResult, site_afforestation
from zoning.siting.selection import select_sites
from zoning.siting.sink import (
    CO2_PER_C,
    ECOZONES,
    SPECIES,
    assign_ecozones,
    estimate_sink,
    removal_factors,
)

__all__ = [
    "CO2_PER_C",
    "ECOZONES",
    "REASONS",
    "SPECIES",
    "Candidates",
    "DistanceLimit",
    "Grid",
    "SitingResult",
    "assign_ecozones",
    "estimate_sink",
    "find_candidates",
    "removal_factors",
    "select_sites",
    "site_afforestation",
    "slope_degrees",
]
