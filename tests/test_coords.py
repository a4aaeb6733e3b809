"""GCJ-02 / BD-09 conversion against published reference conversions, and round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning.errors import InputError
from zoning.io.coords import convert

REF = pd.read_csv(Path(__file__).parent / "data" / "coords_reference.csv")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Small distances on the sphere (R = 6371 km), good to < 0.1% below 10 km."""
    r = 6_371_000.0
    dx = np.radians(np.asarray(lon2) - lon1) * np.cos(np.radians(lat1)) * r
    dy = np.radians(np.asarray(lat2) - lat1) * r
    return np.hypot(dx, dy)


def test_forward_matches_exact_references():
    """eviltransform and coordtransform publish the exact forward formula: < 5 cm."""
    rows = REF[REF["err_w2g_m"] < 0.01]
    assert len(rows) == 4
    glon, glat = convert(rows.wgs_lon, rows.wgs_lat, "wgs84", "gcj02")
    assert metres(glon, glat, rows.gcj_lon, rows.gcj_lat).max() < 0.05


def test_forward_matches_gcoord_within_its_known_bias():
    """gcoord's fixture carries a constant ~0.67 m bias (shared/domain README): < 1 m."""
    rows = REF[REF["source"].str.contains("gcoord")]
    assert len(rows) == 10
    glon, glat = convert(rows.wgs_lon, rows.wgs_lat, "wgs84", "gcj02")
    d = metres(glon, glat, rows.gcj_lon, rows.gcj_lat)
    assert d.max() < 1.0
    assert d.min() > 0.5  # the bias is really there: we did not just copy the fixture


def test_gcj_to_bd_matches_references():
    rows = REF.dropna(subset=["bd_lon"])
    assert len(rows) == 11
    blon, blat = convert(rows.gcj_lon, rows.gcj_lat, "gcj02", "bd09")
    assert metres(blon, blat, rows.bd_lon, rows.bd_lat).max() < 0.1


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_inverse_recovers_published_wgs84(source):
    """Published WGS 84 values come back within 1 m (the references' own error)."""
    rows = REF.dropna(subset=["bd_lon"] if source == "bd09" else ["gcj_lon"])
    rows = rows[rows["err_w2g_m"] < 1.0]
    lon = rows.bd_lon if source == "bd09" else rows.gcj_lon
    lat = rows.bd_lat if source == "bd09" else rows.gcj_lat
    wlon, wlat = convert(lon, lat, source, "wgs84")
    assert metres(wlon, wlat, rows.wgs_lon, rows.wgs_lat).max() < 1.0


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_round_trip_across_china_is_millimetric(system):
    rng = np.random.default_rng(7)
    lon = rng.uniform(73.7, 134.8, 20_000)
    lat = rng.uniform(18.2, 53.5, 20_000)
    olon, olat = convert(lon, lat, "wgs84", system)
    assert metres(lon, lat, olon, olat).min() > 1.0  # the shift is real (hundreds of m)
    blon, blat = convert(olon, olat, system, "wgs84")
    assert metres(lon, lat, blon, blat).max() < 0.001


def test_one_step_inverse_would_not_do():
    """Guard: the iteration matters (the one-step inverse is metres off)."""
    lon, lat = np.array([116.39]), np.array([39.91])
    glon, glat = convert(lon, lat, "wgs84", "gcj02")
    one_step = (
        2 * glon - convert(glon, glat, "wgs84", "gcj02")[0],
        2 * glat - convert(glon, glat, "wgs84", "gcj02")[1],
    )
    exact = convert(glon, glat, "gcj02", "wgs84")
    assert metres(lon, lat, *exact)[0] < 0.001
    assert metres(lon, lat, *one_step)[0] > 0.01


def test_outside_china_and_nan_unchanged():
    lon = np.array([2.35, -74.0, np.nan, 116.4])
    lat = np.array([48.86, 40.7, 30.0, np.nan])
    glon, glat = convert(lon, lat, "wgs84", "gcj02")
    np.testing.assert_array_equal(glon[:2], lon[:2])
    np.testing.assert_array_equal(glat[:2], lat[:2])
    assert np.isnan(glon[2]) and np.isnan(glat[3])
    wlon, wlat = convert(glon[:2], glat[:2], "gcj02", "wgs84")
    np.testing.assert_allclose(wlon, lon[:2])


def test_unknown_system_is_an_input_error():
    with pytest.raises(InputError, match="expected to be in"):
        convert([120.0], [30.0], "wgs1984", "gcj02")


def test_scalars_convert_both_ways():
    from zoning.io.coords import convert

    lon, lat = convert(120.0, 30.0, "wgs84", "gcj02")
    back = convert(lon, lat, "gcj02", "wgs84")
    assert abs(float(back[0]) - 120.0) < 1e-8 and abs(float(back[1]) - 30.0) < 1e-8
    bd = convert(120.0, 30.0, "wgs84", "bd09")
    assert abs(float(convert(*bd, "bd09", "wgs84")[0]) - 120.0) < 1e-8


@pytest.mark.parametrize("source", ["EPSG:4326", "EPSG:4490"])
def test_local_zone_pipelines_equal_proj_database_transforms(source):
    # the fast path (the zone's own PROJ pipeline) gives PROJ's own answer
    from pyproj import Transformer

    from zoning.geo import local_crs_codes, lonlat_to_local

    lon = np.array([74.2, 87.6, 103.9, 116.4, 121.5, 126.6, 134.9, 10.0, 151.2, -70.6])
    lat = np.array([39.5, 43.8, 30.7, 39.9, 31.2, 45.8, 48.3, 53.5, -33.9, -33.4])
    for code in np.unique(local_crs_codes(lon, lat)):
        fast = lonlat_to_local(code, source)
        slow = Transformer.from_crs(source, f"EPSG:{code}", always_xy=True)
        assert "pipeline" in fast.definition or source != "EPSG:4326"
        np.testing.assert_allclose(fast.transform(lon, lat), slow.transform(lon, lat), atol=1e-6)
