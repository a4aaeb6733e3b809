"""Photovoltaics on polluted land: candidate plots, capacity, yield and CO2 avoided.

The pipeline reads as check -> rules -> terrain -> distances -> yield -> assemble:

1. every plot's land use (a mapped field) goes through the 2023 PV land-use notice's
   rules, shipped as data (``zoning/data/pv_land_rules.csv``: never on permanent basic
   farmland, basic grassland, Class I protected forest, the Northeast key state forests or
   natural forest; arrays never on cropland; on shrub forest land only forest-PV); plots
   inside an exclusion layer (red line, nature reserves, ... or any layer the user names)
   are rejected;
2. slope and aspect from a DEM (:func:`zoning.siting.slope_degrees`), minimum area,
   distance to a substation / grid-line layer and to roads;
3. capacity from a declared land-use density (ha per MW; the default 1.5 is a case figure,
   not a national indicator, and every output says so), the annual yield through pvlib's
   PVWatts chain (:func:`specific_yield`), CO2 avoided with a chosen grid emission factor
   (:func:`grid_factor`; series, year and region are named in every output).

Every plot is kept; rejected plots carry every reason (``pv_reasons``).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.errors import InputError
from zoning.geo import EQUAL_AREA

log = logging.getLogger(__name__)

_DATA = Path(__file__).resolve().parent / "data"

#: Land-use keys the rules know (the plots' mapped field must use them).
LAND_USES: tuple[str, ...] = (
    "cropland",
    "permanent_basic_farmland",
    "construction",
    "mine",
    "subsidence",
    "unused",
    "grassland",
    "basic_grassland",
    "shrub_forest",
    "natural_forest",
    "protected_forest_1",
    "ne_state_forest",
)

DEFAULT_DENSITY_HA_PER_MW = 1.5
DENSITY_NOTE = (
    "1.5 ha/MW is a case figure (Fushun mine dump about 1.56, Anhui subsidence areas about "
    "1.47 ha/MW), not the national land-use indicator, whose figures could not be verified"
)

_REASONS = {
    "rule": ("{zh}（{rule}）", "{en} ({rule})"),
    "land_use_missing": ("无地类", "no land use"),
    "exclusion": ("位于排除图层 {layer} 内", "inside the exclusion layer {layer}"),
    "min_area": (
        "面积 {a:.2f} ha 小于最小面积 {m:g} ha",
        "area {a:.2f} ha below the minimum {m:g} ha",
    ),
    "slope": ("平均坡度 {s:.1f}° 大于 {m:g}°", "mean slope {s:.1f} deg above {m:g} deg"),
    "slope_unknown": ("DEM 未覆盖，坡度未知", "slope unknown (outside the DEM)"),
    "grid_far": (
        "距电网 {d:.0f} m，超过 {m:g} m",
        "{d:.0f} m from the grid layer, more than {m:g} m",
    ),
    "road_far": ("距道路 {d:.0f} m，超过 {m:g} m", "{d:.0f} m from a road, more than {m:g} m"),
}


def _reason(code: str, lang: str, **kw) -> str:
    zh, en = _REASONS[code]
    return (zh if lang == "zh" else en).format(**kw)


# --- data -----------------------------------------------------------------------------


def read_land_rules(source=None, /) -> pd.DataFrame:
    """The 2023 PV land-use notice's rules as data (bundled copy unless ``source``)."""
    from zoning.io.afforest import _read_csv

    return _read_csv(Path(source) if source else _DATA / "pv_land_rules.csv", "PV land rules")


def read_grid_factors(source=None, /) -> pd.DataFrame:
    """Both series of grid CO2 emission factors (t CO2/MWh = kg CO2/kWh)."""
    from zoning.io.afforest import _read_csv

    t = _read_csv(
        Path(source) if source else _DATA / "grid_emission_factors.csv", "grid emission factors"
    )
    t["year"] = t["year"].astype(str)
    return t


SERIES = {
    "ets": "全国电网平均排放因子 (MEE, power-sector / ETS reporting)",
    "mee_nbs": "电力二氧化碳排放因子 (MEE + NBS, national / regional / provincial, annual)",
}


def grid_factor(
    series: str, year: int | str, region: str = "national", *, kind: str = "average"
) -> dict:
    """One grid emission factor with its series, year, region, sources and check level.

    Parameters
    ----------
    series : {"ets", "mee_nbs"}
        ``ets``: the 0.5703 t/MWh factor of power-sector reporting (2022); ``mee_nbs``: the
        ministry's national, regional and provincial annual factors.
    year : int or str
        Data year (e.g. 2023).
    region : str, optional (default: "national")
        ``national``, a regional grid (华北, 东北, 华东, 华中, 西北, 南方, 西南) or a province.
    kind : {"average", "excl_market_nonfossil", "fossil"}, optional (default: "average")
    """
    t = read_grid_factors()
    if series not in SERIES:
        raise InputError(
            f"`series` was '{series}' but is expected in {list(SERIES)}", param="series"
        )
    rows = t[
        (t["series"] == series)
        & (t["year"] == str(year))
        & (t["region"] == region)
        & (t["kind"] == kind)
    ]
    if rows.empty:
        have = t[t["series"] == series]
        avail = sorted({f"{y} {r}" for y, r in zip(have["year"], have["region"], strict=True)})
        raise InputError(
            f"no {series} factor for year {year}, region '{region}' ({kind})",
            param="year",
            fix=f"choose one of: {', '.join(avail[:40])}",
        )
    r = rows.iloc[0]
    return {
        "series": series,
        "series_name": SERIES[series],
        "year": str(year),
        "region": region,
        "kind": kind,
        "t_co2_per_mwh": float(r["t_co2_per_mwh"]),
        "verified": str(r["verified"]),
        "sources": str(r["source_keys"]),
        "note": str(r["note"]),
    }


def chosen_grid_factor(series: str | None, year=None, region: str = "national") -> dict | None:
    """:func:`grid_factor` when a series and a year are given, None when neither is; one
    without the other is refused (no factor is guessed)."""
    if not series and not year:
        return None
    if not (series and year):
        raise InputError(
            "a grid emission factor needs both a series and a year",
            param="year" if series else "series",
            fix="give both `series` and `year`",
        )
    return grid_factor(series, year, region)


#: Units an annual GHI grid may come in, with the factor to kWh/m²/yr.
GHI_UNITS = {"kWh/m2/yr": 1.0, "MJ/m2/yr": 1 / 3.6}


def ghi_kwh(ghi, /, ghi_unit: str | None):
    """The annual GHI grid ``(array, Affine, CRS)`` in kWh/m²/yr; its unit must be given."""
    if ghi_unit not in GHI_UNITS:
        raise InputError(
            "the GHI grid's unit is not given"
            if ghi_unit is None
            else f"`ghi_unit` was '{ghi_unit}' but is expected in {list(GHI_UNITS)}",
            param="ghi_unit",
            fix=f"give `ghi_unit`: one of {', '.join(GHI_UNITS)}",
        )
    return (ghi[0] * GHI_UNITS[ghi_unit], ghi[1], ghi[2])


# --- yield (pvlib) --------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _clearsky(lat: float, lon: float, year: int):
    import pvlib

    times = pd.date_range(f"{year}-01-01 00:30", periods=8760, freq="h", tz="Asia/Shanghai")
    loc = pvlib.location.Location(lat, lon, tz="Asia/Shanghai")
    sp = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sp)
    return times, sp, cs


def specific_yield(
    lat: float,
    lon: float,
    *,
    ghi_kwh_m2_yr: float | None = None,
    clearness: float | None = None,
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    year: int = 2023,
) -> dict:
    """Annual AC yield per kWp (kWh/kWp/yr) through pvlib's PVWatts chain.

    Hourly clear-sky GHI (pvlib ``Location.get_clearsky``, Ineichen) is either scaled so
    that its annual sum equals the grid's ``ghi_kwh_m2_yr`` or multiplied by the user's
    ``clearness`` factor; without either the yield is refused (no default has a source).
    Then ``irradiance.erbs`` (DNI/DHI), ``irradiance.get_total_irradiance`` (isotropic sky,
    fixed ``tilt_deg``, default the latitude), ``pvsystem.pvwatts_dc`` (cell at 25 °C: no
    temperature data, so temperature losses are not modelled), ``pvsystem.pvwatts_losses``
    (pvlib defaults, 14.08 %) and ``inverter.pvwatts`` (eta 0.96).
    """
    import pvlib

    if ghi_kwh_m2_yr is None and clearness is None:
        raise InputError(
            "no irradiance: the yield needs a GHI grid (kWh/m²/yr) or a clearness factor",
            param="clearness",
            fix="give `ghi` (an annual GHI grid) or `clearness` (0-1, scales pvlib's "
            "clear-sky irradiance; it has no default because none has a source)",
        )
    if clearness is not None and not 0 < clearness <= 1:
        raise InputError(f"`clearness` was {clearness} but must be in (0, 1]", param="clearness")
    times, sp, cs = _clearsky(round(float(lat), 2), round(float(lon), 2), int(year))
    cs_sum = float(cs["ghi"].sum()) / 1000.0  # kWh/m2/yr
    if ghi_kwh_m2_yr is not None:
        if not 0 < ghi_kwh_m2_yr <= cs_sum:
            raise InputError(
                f"annual GHI {ghi_kwh_m2_yr:.0f} kWh/m²/yr is outside (0, {cs_sum:.0f}], the "
                f"clear-sky total at ({lat:.2f}, {lon:.2f})",
                param="ghi",
                fix="check the GHI grid's unit (kWh/m²/yr; MJ/m² / 3.6)",
            )
        k = ghi_kwh_m2_yr / cs_sum
        how = f"clear-sky GHI scaled to the grid's {ghi_kwh_m2_yr:.0f} kWh/m²/yr"
    else:
        k = float(clearness)
        how = f"clear-sky GHI x clearness {k:g} (user)"
    ghi = cs["ghi"] * k
    dec = pvlib.irradiance.erbs(ghi, sp["apparent_zenith"], times)
    tilt = abs(float(lat)) if tilt_deg is None else float(tilt_deg)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth_deg, sp["apparent_zenith"], sp["azimuth"], dec["dni"], ghi, dec["dhi"]
    )["poa_global"].fillna(0.0)
    pdc = pvlib.pvsystem.pvwatts_dc(poa, 25.0, 1.0, 0.0)  # kW per kWp
    loss = float(pvlib.pvsystem.pvwatts_losses())
    pdc = pdc * (1 - loss / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, 1.0, eta_inv_nom=0.96).clip(lower=0)
    return {
        "kwh_per_kwp_yr": float(pac.sum()),
        "ghi_kwh_m2_yr": float(ghi.sum()) / 1000.0,
        "irradiance": how,
        "tilt_deg": tilt,
        "tilt_note": "latitude (rule of thumb)" if tilt_deg is None else "user",
        "azimuth_deg": azimuth_deg,
        "losses_pct": round(loss, 2),
        "chain": "pvlib: Location.get_clearsky(ineichen) -> irradiance.erbs -> "
        "get_total_irradiance(isotropic) -> pvsystem.pvwatts_dc (cell 25 °C, no temperature "
        "model) -> pvwatts_losses (defaults) -> inverter.pvwatts (eta 0.96)",
        "pvlib_version": pvlib.__version__,
        "year": int(year),
    }


# --- terrain and zonal values ---------------------------------------------------------


def _zonal_mean(geoms: gpd.GeoSeries, arr: np.ndarray, transform, crs) -> np.ndarray:
    """Mean of the cells whose centres fall in each geometry (the cell under the
    representative point for slivers); NaN where there is none."""
    from rasterio.features import rasterize
    from rasterio.transform import rowcol

    g = geoms.to_crs(crs) if crs is not None and geoms.crs is not None else geoms
    n = len(g)
    ids = rasterize(
        ((geom, i + 1) for i, geom in enumerate(g) if geom is not None and not geom.is_empty),
        out_shape=arr.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    ).ravel()
    v = arr.ravel()
    ok = (ids > 0) & np.isfinite(v)
    s = np.bincount(ids[ok], weights=v[ok], minlength=n + 1)[1:]
    c = np.bincount(ids[ok], minlength=n + 1)[1:]
    out = np.full(n, np.nan)
    out[c > 0] = s[c > 0] / c[c > 0]
    for i in np.flatnonzero(c == 0):
        p = g.iloc[i].representative_point()
        r, col = rowcol(transform, p.x, p.y)
        if 0 <= r < arr.shape[0] and 0 <= col < arr.shape[1]:
            out[i] = arr[r, col]
    return out


def aspect_degrees(dem, /) -> np.ndarray:
    """Aspect (downslope direction, degrees clockwise from north) of a north-up DEM."""
    arr, transform, crs = dem
    from pyproj import CRS

    z = np.asarray(arr, dtype="float64")
    dx, dy = abs(transform.a), abs(transform.e)
    if crs is not None and CRS.from_user_input(crs).is_geographic:
        lat = transform.f + transform.e * (np.arange(z.shape[0]) + 0.5)
        dx = dx * 111_320.0 * np.cos(np.deg2rad(lat))[:, None]
        dy = dy * 110_540.0
    gy, gx = np.gradient(z)
    dzdx = gx / dx
    dzdy = -gy / dy  # rows run south
    return np.degrees(np.arctan2(-dzdx, -dzdy)) % 360


# --- candidates -----------------------------------------------------------------------


@dataclass
class PVResult:
    """Plots with their PV status, capacity, yield and CO2 avoided; the facts used."""

    plots: gpd.GeoDataFrame
    meta: dict = field(default_factory=dict)
    #: the layers the run used (``exclusions`` name -> frame, ``grid``, ``roads``): map context
    layers: dict = field(default_factory=dict)


def _land_use(plots, land_use_field, land_use_map, source):
    if land_use_field not in plots.columns:
        raise InputError(
            f"the plots have no land-use field '{land_use_field}'",
            source=source,
            field=land_use_field,
            param="land_use_field",
            fix=f"name the field that holds the land use; keys: {', '.join(LAND_USES)}",
        )
    raw = plots[land_use_field].astype("string").str.strip()
    mapped = raw.map(lambda v: land_use_map.get(v, v) if land_use_map else v)
    bad = sorted({str(v) for v in mapped.dropna() if v not in LAND_USES})
    if bad:
        first = int(np.flatnonzero(mapped.isin(bad).to_numpy())[0]) + 1
        raise InputError(
            f"land use value(s) {bad[:8]} are not rule keys (a code set is never guessed)",
            source=source,
            row=first,
            field=land_use_field,
            param="land_use_map",
            fix=f"map them onto {', '.join(LAND_USES)}",
        )
    return mapped


def _distance_m(plots_m: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None) -> np.ndarray:
    if layer is None or layer.empty:
        return np.full(len(plots_m), np.nan)
    lay = layer.to_crs(plots_m.crs)
    from shapely import STRtree

    tree = STRtree(lay.geometry.to_numpy())
    idx = tree.query_nearest(plots_m.geometry.to_numpy(), return_distance=True, all_matches=False)
    d = np.full(len(plots_m), np.nan)
    d[idx[0][0]] = idx[1]
    return d


def _inside(plots_m: gpd.GeoDataFrame, layer: gpd.GeoDataFrame) -> np.ndarray:
    """Plots overlapping ``layer`` by more than 1 m² (touching is not inside)."""
    lay = layer.to_crs(plots_m.crs)
    from shapely import STRtree, area, intersection

    tree = STRtree(lay.geometry.to_numpy())
    i, j = tree.query(plots_m.geometry.to_numpy(), predicate="intersects")
    hit = np.zeros(len(plots_m), dtype=bool)
    if len(i):
        a = area(intersection(plots_m.geometry.to_numpy()[i], lay.geometry.to_numpy()[j]))
        hit[np.unique(i[a > 1.0])] = True
    return hit


def assess_pv(
    plots: gpd.GeoDataFrame,
    /,
    *,
    land_use_field: str = "land_use",
    land_use_map: dict[str, str] | None = None,
    exclusions: dict[str, gpd.GeoDataFrame] | None = None,
    dem=None,
    max_slope_deg: float | None = None,
    min_area_ha: float = 0.0,
    grid: gpd.GeoDataFrame | None = None,
    max_grid_distance_m: float | None = None,
    roads: gpd.GeoDataFrame | None = None,
    max_road_distance_m: float | None = None,
    density_ha_per_mw: float | None = None,
    ghi=None,
    clearness: float | None = None,
    emission_factor: dict | None = None,
    tilt_deg: float | None = None,
    year: int = 2023,
    lang: str = "zh",
    source: str | None = None,
) -> PVResult:
    """PV status of every plot, with capacity (MW), yield (MWh/yr) and CO2 avoided.

    Parameters
    ----------
    plots : GeoDataFrame
        Polluted plots with their land use in ``land_use_field`` (keys of
        :data:`LAND_USES`, after ``land_use_map``).
    exclusions : dict name -> GeoDataFrame, optional
        Layers to keep arrays out of; names of the rules' layers (``red_line``,
        ``nature_reserve``, ``heritage_line``, ``sand_closure``) cite the rule.
    dem : (array, Affine, CRS), optional
        A DEM in metres (e.g. from :func:`zoning.io.afforest.read_band`): mean slope and
        aspect per plot. ``max_slope_deg`` has no default: the notice sets no slope limit.
    grid, roads : GeoDataFrame, optional
        Substations / grid lines and roads; the distance to the nearest is reported and
        checked against ``max_grid_distance_m`` / ``max_road_distance_m``.
    density_ha_per_mw : float, optional (default: 1.5, a case figure; marked as such)
    ghi : (array, Affine, CRS), optional
        Annual GHI in kWh/m²/yr; else ``clearness`` scales pvlib's clear-sky irradiance.
        Without either, capacity is given but yield and CO2 are refused.
    emission_factor : dict, optional
        From :func:`grid_factor`; without it CO2 avoided is not computed.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"`lang` was '{lang}' but is expected in ['zh', 'en']", param="lang")
    if len(plots) == 0:
        raise InputError(
            "there are no plots to assess (the frame is empty)",
            param="plots",
            fix="give the polluted plot polygons (check the layer and any filter before)",
        )
    if max_grid_distance_m is not None and grid is None:
        raise InputError("a grid distance limit needs a grid layer", param="grid")
    if max_road_distance_m is not None and roads is None:
        raise InputError("a road distance limit needs a road layer", param="roads")
    if max_slope_deg is not None and dem is None:
        raise InputError("a slope limit needs a DEM", param="dem", fix="give `dem` too")
    density = DEFAULT_DENSITY_HA_PER_MW if density_ha_per_mw is None else density_ha_per_mw
    if not density > 0:
        raise InputError(
            f"`density_ha_per_mw` was {density} but must be > 0", param="density_ha_per_mw"
        )
    rules = read_land_rules()
    out = plots.copy()
    lu = _land_use(out, land_use_field, land_use_map, source)
    out["land_use_key"] = lu.to_numpy()
    out["area_ha"] = out.geometry.to_crs(EQUAL_AREA).area.to_numpy() / 1e4
    n = len(out)
    reasons: list[list[str]] = [[] for _ in range(n)]
    codes: list[list[str]] = [[] for _ in range(n)]
    forest_pv = np.zeros(n, dtype=bool)
    by_lu = rules[rules["applies_to"] == "land_use"].set_index("value")
    for i, v in enumerate(lu):
        if v is pd.NA or v is None:
            reasons[i].append(_reason("land_use_missing", lang))
            codes[i].append("land_use_missing")
            continue
        r = by_lu.loc[v]
        if r["pv"] != "yes":
            if r["forest_pv"] == "yes":
                forest_pv[i] = True
            else:
                reasons[i].append(
                    _reason("rule", lang, zh=r["text_zh"], en=r["text_en"], rule=r["rule"])
                )
                codes[i].append(str(r["rule"]))
    from zoning.geo import metric_crs

    pm = out.to_crs(metric_crs(out, "the plots")) if n else out
    by_layer = rules[rules["applies_to"] == "layer"].set_index("value")
    for name, layer in (exclusions or {}).items():
        hit = _inside(pm, layer)
        if name in by_layer.index:
            r = by_layer.loc[name]
            text = _reason("rule", lang, zh=r["text_zh"], en=r["text_en"], rule=r["rule"])
        else:
            text = _reason("exclusion", lang, layer=name)
        for i in np.flatnonzero(hit):
            reasons[i].append(text)
            codes[i].append(f"layer:{name}")
    for i in np.flatnonzero(out["area_ha"].to_numpy() < min_area_ha):
        reasons[i].append(_reason("min_area", lang, a=out["area_ha"].iat[i], m=min_area_ha))
        codes[i].append("min_area")
    if dem is not None:
        from zoning.siting import slope_degrees

        out["slope_deg"] = np.round(
            _zonal_mean(out.geometry, slope_degrees(dem), dem[1], dem[2]), 2
        )
        asp = aspect_degrees(dem)
        sx = _zonal_mean(out.geometry, np.sin(np.radians(asp)), dem[1], dem[2])
        cx = _zonal_mean(out.geometry, np.cos(np.radians(asp)), dem[1], dem[2])
        out["aspect_deg"] = np.round(np.degrees(np.arctan2(sx, cx)) % 360, 1)
        if max_slope_deg is not None:
            s = out["slope_deg"].to_numpy()
            for i in range(n):
                if np.isnan(s[i]):
                    reasons[i].append(_reason("slope_unknown", lang))
                    codes[i].append("slope_unknown")
                elif s[i] > max_slope_deg:
                    reasons[i].append(_reason("slope", lang, s=s[i], m=max_slope_deg))
                    codes[i].append("slope")
    for name, layer, limit, code in (
        ("grid_distance_m", grid, max_grid_distance_m, "grid_far"),
        ("road_distance_m", roads, max_road_distance_m, "road_far"),
    ):
        if layer is None:
            continue
        d = _distance_m(pm, layer)
        out[name] = np.round(d, 1)
        if limit is not None:
            for i in np.flatnonzero(d > limit):
                reasons[i].append(_reason(code, lang, d=d[i], m=limit))
                codes[i].append(code)
    ok = np.array([not r for r in reasons])
    out["pv_status"] = np.where(~ok, "rejected", np.where(forest_pv, "forest_pv", "candidate"))
    out["pv_reasons"] = ["; ".join(r) for r in reasons]
    out["pv_reason_codes"] = [";".join(c) for c in codes]
    mw = np.where(ok, out["area_ha"].to_numpy() / density, np.nan)
    out["mw"] = np.round(mw, 4)
    meta: dict = {
        "land_rules": "自然资办发〔2023〕12号 (zoning/data/pv_land_rules.csv)",
        "density_ha_per_mw": density,
        "density_note": DENSITY_NOTE if density_ha_per_mw is None else "user value",
        "max_slope_deg": max_slope_deg,
        "slope_note": "the 2023 notice sets no slope limit; a limit is the user's",
        "min_area_ha": min_area_ha,
        "max_grid_distance_m": max_grid_distance_m,
        "max_road_distance_m": max_road_distance_m,
        "exclusion_layers": sorted(exclusions or {}),
        "counts": pd.Series(out["pv_status"]).value_counts().to_dict(),
    }
    yld = np.full(n, np.nan)
    if ghi is not None or clearness is not None:
        ll = out.geometry.to_crs(4326).representative_point()
        g = _zonal_mean(out.geometry, ghi[0], ghi[1], ghi[2]) if ghi is not None else None
        facts = None
        for i in np.flatnonzero(ok):
            if g is not None and np.isnan(g[i]):
                continue  # no GHI here: no value
            facts = specific_yield(
                ll.iat[i].y,
                ll.iat[i].x,
                ghi_kwh_m2_yr=None if g is None else float(g[i]),
                clearness=clearness if g is None else None,
                tilt_deg=tilt_deg,
                year=year,
            )
            yld[i] = facts["kwh_per_kwp_yr"]
        meta["yield"] = {k: v for k, v in (facts or {}).items() if k not in ("kwh_per_kwp_yr",)}
        meta["yield"]["unit"] = "kWh/kWp/yr (AC)"
    else:
        meta["yield"] = "not computed: no GHI grid and no clearness factor"
    out["kwh_per_kwp_yr"] = np.round(yld, 1)
    out["mwh_yr"] = np.round(mw * yld, 2)  # MW x kWh/kWp = MWh
    if emission_factor is not None:
        out["avoided_t_co2_yr"] = np.round(
            out["mwh_yr"].to_numpy() * emission_factor["t_co2_per_mwh"], 2
        )
        out["grid_factor"] = (
            f"{emission_factor['series']} {emission_factor['year']} {emission_factor['region']} "
            f"{emission_factor['t_co2_per_mwh']} t/MWh ({emission_factor['verified']})"
        )
        meta["grid_factor"] = emission_factor
    else:
        out["avoided_t_co2_yr"] = np.nan
        meta["grid_factor"] = "not computed: no grid emission factor chosen"
    out["density_ha_per_mw"] = density
    if density_ha_per_mw is None:
        out["density_note"] = "case figure, not an indicator"
    log.info("PV: %s", meta["counts"])
    used = {"exclusions": dict(exclusions or {}) or None, "grid": grid, "roads": roads}
    return PVResult(out, meta, {k: v for k, v in used.items() if v is not None})
