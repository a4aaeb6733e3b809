"""The afforestation products as whole runs: frames in, files out.

- :func:`run_soil` — GB 15618-2018 classes of samples and parcels → a parcel layer (and a
  sample layer) (``zoning soil``);
- :func:`run_afforest` — soil classes (when samples are given), candidates, sink and the
  selection under a budget → the afforestation folder (``zoning afforest``);
- :func:`demo_soil`, :func:`demo_afforest` — the same on the bundled demo county
  (``zoning demo``).

The computing is :func:`zoning.soil.classify_soil` and :func:`zoning.siting.site_afforestation`;
the writing is :mod:`zoning.export.soil` and :mod:`zoning.export.afforest`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd

from zoning.errors import InputError
from zoning.export.afforest import write_afforestation
from zoning.export.soil import write_soil
from zoning.siting import Candidates, find_candidates, removal_factors, site_afforestation
from zoning.soil import classify_soil

log = logging.getLogger(__name__)


def run_soil(
    samples: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    out: str | Path,
    /,
    *,
    samples_out: str | Path | None = None,
    default_land_use: str = "paddy",
    max_distance_m: float = 2000.0,
    k: int = 8,
    power: float = 2.0,
    lang: str = "zh",
    soil_map: bool = True,
) -> dict[str, Path]:
    """Classify the samples and parcels and write the parcels (and optionally the
    samples), and with ``soil_map`` the class map beside the parcels (``<out>.html``, in
    ``lang``); returns name → path."""
    res = classify_soil(
        samples,
        parcels,
        default_land_use=default_land_use,
        max_distance_m=max_distance_m,
        k=k,
        power=power,
    )
    written = write_soil(res, out, samples_out=samples_out)
    if soil_map:
        from zoning.export.soil import soil_map_path, write_soil_map

        written["soil_map"] = write_soil_map(res, soil_map_path(out), lang=lang)
    return written


def run_afforest(
    parcels: gpd.GeoDataFrame,
    out_dir: str | Path,
    /,
    *,
    samples: gpd.GeoDataFrame | None = None,
    soil: dict | None = None,
    dem=None,
    landcover=None,
    landcover_legend=None,
    landcover_how: str | None = None,
    budget_ha: float | None = None,
    budget_cost: float | None = None,
    horizon_years: float = 20.0,
    rate_t_co2_ha_yr: float | None = None,
    ecozone: str | None = None,
    ecozone_layer: gpd.GeoDataFrame | None = None,
    ecozone_field: str = "ecozone",
    factors: dict | None = None,
    factor_options: dict | None = None,
    candidates: dict | None = None,
    selection: dict | None = None,
    lang: str = "zh",
    png: bool = False,
    units: gpd.GeoDataFrame | None = None,
    county: gpd.GeoDataFrame | None = None,
    found: Candidates | None = None,
) -> dict[str, Path]:
    """Classify (when ``samples`` are given), site, select and write; returns name → path.

    Parameters
    ----------
    parcels : GeoDataFrame
        Farmland parcels, with ``soil_class`` unless ``samples`` are given (``soil``:
        keyword arguments of :func:`zoning.soil.classify_soil`).
    out_dir : path
        The output folder (written atomically, see :mod:`zoning.export.afforest`).
    dem, landcover : (array, Affine, CRS), optional (default: None)
        Elevation (m) for the slope filter; land-cover codes with their ``landcover_legend``
        (:func:`zoning.io.afforest.read_landcover`; ``landcover_how`` says where the
        legend came from, for the summary).
    budget_ha, budget_cost : float
        Exactly one.
    horizon_years, rate_t_co2_ha_yr
        See :func:`zoning.siting.estimate_sink`.
    ecozone : str, optional (default: None)
        One ecological zone for every patch (:func:`zoning.siting.removal_factors`, with
        ``factor_options``: ``species``, ``growth_t_dm_ha_yr``, ``root_shoot``), or
        ``ecozone_layer`` (the zone of each patch from ``ecozone_field``), or the
        ``factors`` themselves; without any of them (and without a rate) it is refused.
    candidates, selection : dict, optional (default: None)
        Keyword arguments of :func:`zoning.siting.find_candidates` and
        :func:`zoning.siting.select_sites` (besides the budget; ``dem`` and ``landcover``
        are added to ``candidates``).
    lang : {"zh", "en"}, optional (default: "zh")
        Language of the map.
    units, county : GeoDataFrame, optional (default: None)
        Context on the map: the control units, and the county outline it opens on (the
        outline of ``units`` when no ``county`` is given).
    found : Candidates, optional (default: None)
        Candidates already found on these (classified) parcels with these ``candidates``,
        ``dem`` and ``landcover`` (:func:`zoning.siting.find_candidates`); used as they
        are instead of finding them again.
    """
    if ecozone is not None and ecozone_layer is not None:
        raise InputError("give `ecozone` or `ecozone_layer`, not both", param="ecozone_layer")
    options = factor_options or {}
    if factors is None and (ecozone or (ecozone_layer is None and rate_t_co2_ha_yr is None)):
        factors = removal_factors(ecozone=ecozone, **options)  # refuses without a zone
    if samples is not None:
        parcels = classify_soil(samples, parcels, **(soil or {})).parcels
    cand = dict(candidates or {})
    if dem is not None:
        cand["dem"] = dem
    if landcover is not None:
        cand["landcover"] = landcover
        cand["landcover_legend"] = landcover_legend
    result = site_afforestation(
        parcels,
        budget_ha=budget_ha,
        budget_cost=budget_cost,
        horizon_years=horizon_years,
        rate_t_co2_ha_yr=rate_t_co2_ha_yr,
        factors=factors,
        candidates=cand,
        selection=selection,
        ecozone_layer=ecozone_layer,
        ecozone_field=ecozone_field,
        factor_options=options,
        found=found,
    )
    legend = result.summary["filters"].get("landcover_legend")
    if landcover_how and legend:
        legend["from"] = landcover_how
    paths = write_afforestation(result, out_dir, lang=lang, units=units, county=county)
    if png:
        from zoning.export.mapfigures import afforest_png

        target = Path(out_dir) / "afforest.png"
        afforest_png(result, units, path=target, lang=lang, county=county)
        paths = {**paths, "png": target}
    return paths


def demo_soil(out_dir: str | Path, lang: str = "zh") -> dict[str, Path]:
    """Classes of the demo parcels and samples → ``out_dir/"soil"/``."""
    from zoning.datasets import demo_path
    from zoning.io.vector import read_vector

    base = Path(out_dir) / "soil"
    return run_soil(
        read_vector(demo_path("soil_samples.gpkg")),
        read_vector(demo_path("parcels.gpkg")),
        base / "parcels_soil.geojson",
        samples_out=base / "samples_soil.geojson",
        lang=lang,
    )


def demo_afforest(out_dir: str | Path, lang: str = "zh") -> dict[str, Path]:
    """Soil classes of the demo parcels, then candidates and selection →
    ``out_dir/"afforest"/``.

    The budget is half the candidate area (rounded to whole hectares), so the selection
    has something to choose; the red line and the drinking-water protection zones are
    excluded; neighbouring patches (within 200 m) earn a small compactness bonus.  The
    county lies in the subtropical humid forest zone; the land-cover raster declares its
    legend (``LANDCOVER_LEGEND=worldcover``).
    """
    from zoning.datasets import demo_path
    from zoning.io.afforest import read_band, read_landcover
    from zoning.io.vector import read_vector

    parcels = read_vector(demo_path("parcels.gpkg"))
    samples = read_vector(demo_path("soil_samples.gpkg"))
    classified = classify_soil(samples, parcels).parcels
    dem = read_band(demo_path("dem.tif"))
    lc, legend, how = read_landcover(demo_path("landcover.tif"))
    zh = lang == "zh"
    exclude = {
        "生态保护红线" if zh else "ecological red line": read_vector(demo_path("red_line.gpkg")),
        "饮用水水源保护区" if zh else "drinking-water protection": read_vector(
            demo_path("water_protection.gpkg")
        ),
    }
    cand = {"exclude": exclude}
    found = find_candidates(classified, dem=dem, landcover=lc, landcover_legend=legend, **cand)
    budget = max(1.0, round(float(found.patches["area_ha"].sum()) / 2))
    return run_afforest(
        classified,
        Path(out_dir) / "afforest",
        dem=dem,
        landcover=lc,
        landcover_legend=legend,
        landcover_how=how,
        budget_ha=budget,
        lang=lang,
        ecozone="subtropical_humid",
        candidates=cand,
        selection={"adjacency_bonus": 10.0, "time_limit_s": 30.0},
        units=read_vector(demo_path("units.gpkg")),
        county=read_vector(demo_path("outline.geojson")),
        png=True,  # the static twin: the front page's thumbnail
        found=found,  # found once: the budget above needs them first
    )
