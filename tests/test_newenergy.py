"""GB 36600 classes, PV land rules, terrain, capacity, pvlib yield, grid factors (issue 14)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from zoning.errors import InputError
from zoning.pv import (
    DEFAULT_DENSITY_HA_PER_MW,
    assess_pv,
    grid_factor,
    read_land_rules,
    specific_yield,
)
from zoning.soil_construction import classify_construction_samples

# --- GB 36600-2018 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "land_class, value, expected",
    [
        # Arsenic: class 1 screening 20, intervention 120; class 2: 60, 140
        (1, 20.0, "below_screening"),
        (1, 20.01, "above_screening"),
        (1, 120.0, "above_screening"),
        (1, 120.01, "above_intervention"),
        (2, 60.0, "below_screening"),
        (2, 60.01, "above_screening"),
        (2, 140.0, "above_screening"),
        (2, 140.01, "above_intervention"),
    ],
)
def test_gb36600_arsenic_limits(land_class, value, expected):
    s = pd.DataFrame({"Arsenic": [value]})
    r = classify_construction_samples(s, land_class=land_class)
    assert r.samples["gb36600_class_key"].iat[0] == expected


def test_gb36600_names_and_unclear_use():
    # Cd by Chinese name: class 1 screening 20; class 2 screening 65
    s = pd.DataFrame({"镉": [30.0, 30.0, np.nan], "cls": [1, 2, None]})
    r = classify_construction_samples(s, land_class_field="cls")
    assert list(r.samples["gb36600_class_key"]) == ["above_screening", "below_screening", "unknown"]
    assert r.samples["gb36600_land_class"].iat[2] == 1  # unclear -> class 1 (5.3.1)
    assert "single-source" in r.samples["gb36600_note"].iat[0]


def test_gb36600_refuses_without_items():
    with pytest.raises(InputError, match="no column names a GB 36600"):
        classify_construction_samples(pd.DataFrame({"pH": [7.0]}))


# --- PV land rules ---------------------------------------------------------------------


def _plots(uses, size_m=400.0):
    x0, y0 = 500_000.0, 3_300_000.0
    geoms = [box(x0 + i * 1000, y0, x0 + i * 1000 + size_m, y0 + size_m) for i in range(len(uses))]
    return gpd.GeoDataFrame({"land_use": list(uses)}, geometry=geoms, crs="EPSG:4549")


_EXCLUDED = [r for _, r in read_land_rules().iterrows() if r["applies_to"] == "land_use"]


@pytest.mark.parametrize("rule", [r for r in _EXCLUDED if r["pv"] == "no"], ids=lambda r: r["rule"])
def test_each_land_use_rule_excludes(rule):
    res = assess_pv(_plots([rule["value"], "mine"]), lang="en")
    p = res.plots
    expect = "forest_pv" if rule["forest_pv"] == "yes" else "rejected"
    assert p["pv_status"].iat[0] == expect
    if expect == "rejected":
        assert rule["rule"] in p["pv_reason_codes"].iat[0]
        assert rule["text_en"] in p["pv_reasons"].iat[0]
    assert p["pv_status"].iat[1] == "candidate"
    assert np.isnan(p["mw"].iat[0]) or expect == "forest_pv"


@pytest.mark.parametrize("layer", ["red_line", "nature_reserve", "heritage_line", "sand_closure"])
def test_each_layer_rule_excludes(layer):
    plots = _plots(["mine", "mine"])
    zone = gpd.GeoDataFrame(geometry=[plots.geometry.iat[0].buffer(10)], crs=plots.crs)
    p = assess_pv(plots, exclusions={layer: zone}, lang="en").plots
    assert p["pv_status"].tolist() == ["rejected", "candidate"]
    assert f"layer:{layer}" in p["pv_reason_codes"].iat[0]


def test_unknown_land_use_is_refused_and_map_works():
    with pytest.raises(InputError, match="not rule keys"):
        assess_pv(_plots(["工业用地"]))
    p = assess_pv(_plots(["工业用地"]), land_use_map={"工业用地": "construction"}).plots
    assert p["pv_status"].iat[0] == "candidate"


def test_area_distance_and_slope_limits():
    plots = _plots(["mine", "mine", "mine"])
    plots.loc[2, "geometry"] = box(502_000, 3_300_000, 502_050, 3_300_050)  # 0.25 ha
    sub = gpd.GeoDataFrame(geometry=[Point(500_200, 3_299_000)], crs=plots.crs)
    # DEM: flat west of x=500500, 30 % slope east of it
    tr = from_origin(499_000, 3_302_000, 100, 100)
    xs = 499_050 + 100 * np.arange(50)
    z = np.where(xs > 500_500, (xs - 500_500) * 0.3, 0.0)[None, :].repeat(40, axis=0)
    p = assess_pv(
        plots,
        min_area_ha=1.0,
        grid=sub,
        max_grid_distance_m=1200.0,
        dem=(z, tr, "EPSG:4549"),
        max_slope_deg=10.0,
        lang="en",
    ).plots
    assert p["pv_status"].iat[0] == "candidate"
    assert p["grid_distance_m"].iat[0] == pytest.approx(1000.0, abs=1)
    assert "grid_far" in p["pv_reason_codes"].iat[1] and "slope" in p["pv_reason_codes"].iat[1]
    assert p["slope_deg"].iat[1] == pytest.approx(np.degrees(np.arctan(0.3)), abs=0.5)
    assert 80 < p["aspect_deg"].iat[1] < 100 or 260 < p["aspect_deg"].iat[1] < 280
    assert "min_area" in p["pv_reason_codes"].iat[2]


# --- capacity, yield, CO2 --------------------------------------------------------------


def _ten_ha():
    g = gpd.GeoSeries([box(0, 0, 1000, 100)], crs="EPSG:6933")  # 10 ha, equal-area
    c = gpd.GeoSeries([Point(114.3, 30.6)], crs=4326).to_crs(6933).iloc[0]
    g = g.translate(c.x, c.y).to_crs(4326)
    return gpd.GeoDataFrame({"land_use": ["mine"]}, geometry=g)


def test_ten_ha_capacity_yield_co2_by_hand():
    ef = grid_factor("mee_nbs", 2023)
    res = assess_pv(_ten_ha(), clearness=0.6, emission_factor=ef, tilt_deg=25)
    p = res.plots.iloc[0]
    mw = 10.0 / DEFAULT_DENSITY_HA_PER_MW  # 6.667 MW
    assert p["area_ha"] == pytest.approx(10.0, rel=1e-4)
    assert p["mw"] == pytest.approx(mw, rel=1e-3)
    y = specific_yield(30.6, 114.3, clearness=0.6, tilt_deg=25)["kwh_per_kwp_yr"]
    assert 700 < y < 1600  # plausible kWh/kWp/yr at 30.6 N with k=0.6
    assert p["mwh_yr"] == pytest.approx(mw * y, rel=2e-3)  # MW x kWh/kWp = MWh
    assert p["avoided_t_co2_yr"] == pytest.approx(mw * y * 0.5306, rel=2e-3)
    assert "case figure" in res.meta["density_note"]
    assert res.meta["grid_factor"]["series"] == "mee_nbs"
    assert "mee_nbs 2023 national 0.5306" in p["grid_factor"]


def test_pvlib_clear_sky_against_pvlib_directly():
    import pvlib

    lat, lon, tilt = 39.9, 116.4, 30.0
    got = specific_yield(lat, lon, clearness=1.0, tilt_deg=tilt, year=2023)
    times = pd.date_range("2023-01-01 00:30", periods=8760, freq="h", tz="Asia/Shanghai")
    loc = pvlib.location.Location(lat, lon, tz="Asia/Shanghai")
    sp = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sp)
    # clear-sky GHI on 2023-06-21 against pvlib's own
    day = cs.loc["2023-06-21", "ghi"].sum() / 1000
    assert 7.0 < day < 9.5  # kWh/m2 on a clear solstice day in Beijing
    assert got["ghi_kwh_m2_yr"] == pytest.approx(cs["ghi"].sum() / 1000, rel=1e-9)
    dec = pvlib.irradiance.erbs(cs["ghi"], sp["apparent_zenith"], times)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, 180, sp["apparent_zenith"], sp["azimuth"], dec["dni"], cs["ghi"], dec["dhi"]
    )["poa_global"].fillna(0)
    dc = pvlib.pvsystem.pvwatts_dc(poa, 25.0, 1.0, 0.0) * (
        1 - pvlib.pvsystem.pvwatts_losses() / 100
    )
    ac = pvlib.inverter.pvwatts(dc, 1.0, eta_inv_nom=0.96).clip(lower=0).sum()
    assert got["kwh_per_kwp_yr"] == pytest.approx(ac, rel=1e-9)


def test_yield_refused_without_ghi_or_clearness():
    with pytest.raises(InputError, match="no irradiance"):
        specific_yield(30, 114)
    res = assess_pv(_ten_ha())
    assert np.isnan(res.plots["mwh_yr"].iat[0])  # no value, never 0
    assert "not computed" in res.meta["yield"]


def test_ghi_grid_scales_clear_sky_and_checks_the_unit():
    y = specific_yield(30, 114, ghi_kwh_m2_yr=1300)
    assert y["ghi_kwh_m2_yr"] == pytest.approx(1300, rel=1e-6)
    with pytest.raises(InputError, match="outside"):
        specific_yield(30, 114, ghi_kwh_m2_yr=4680)  # MJ/m2 given as kWh/m2


def test_grid_factor_series():
    assert grid_factor("ets", 2022)["t_co2_per_mwh"] == 0.5703
    assert grid_factor("mee_nbs", 2022)["t_co2_per_mwh"] == 0.5366
    assert grid_factor("mee_nbs", 2023, "华东")["t_co2_per_mwh"] == 0.55
    with pytest.raises(InputError, match="no mee_nbs factor for year 2024"):
        grid_factor("mee_nbs", 2024)
    with pytest.raises(InputError, match="series"):
        grid_factor("ipcc", 2023)


def test_assess_pv_refuses_an_empty_frame_of_plots():
    plots = gpd.GeoDataFrame({"land_use": []}, geometry=[], crs="EPSG:4326")
    with pytest.raises(InputError, match="no plots") as e:
        assess_pv(plots, clearness=0.5)
    assert e.value.param == "plots"
