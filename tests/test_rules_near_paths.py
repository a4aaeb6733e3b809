"""``near`` on many points answers as the measurement itself does, row by row: projected
points through the tree, lon/lat points through candidates from binned sites measured in
each site's own zone."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from zoning.geo import local_crs_codes
from zoning.rules import _leaves, evaluate, parse_rules

CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
X0, Y0 = 400_000.0, 3_300_000.0


def _rules(*near: tuple[str, int], stage: str | None = None):
    lines = ["version: 1", "layers: {red_line: {}, lines: {}}", "rules:"]
    for i, (layer, m) in enumerate(near):
        lines += [
            f"  - id: N{i}",
            "    dimension: spatial",
            "    clause: {zh: 条款, en: clause}",
            "    message: {zh: 消息, en: message}",
            "    outcome: prohibited",
            f"    when: {{all: [{{stage: {stage}}}, {{near: {{layer: {layer}, within_m: {m}}}}}]}}"
            if stage
            else f"    when: {{near: {{layer: {layer}, within_m: {m}}}}}",
        ]
    return parse_rules("\n".join(lines), source="near.yaml")


@pytest.fixture
def scene():
    rng = np.random.default_rng(3)
    c = rng.uniform(0, 40_000, (60, 2))
    red = shapely.buffer(shapely.points(c[:, 0] + X0, c[:, 1] + Y0), rng.uniform(300, 2500, 60))
    red = np.append(red, box(X0 + 5000, Y0 + 5000, X0 + 9000, Y0 + 7000))  # straight edges
    xy = rng.uniform(-2000, 42_000, (6000, 2)) + (X0, Y0)
    # sites on the box's edges and corners, and on the circles' vertices
    edge = np.array([[X0 + 5000, Y0 + 6000], [X0 + 9000, Y0 + 7000], [X0 + 7000, Y0 + 5000]])
    verts = shapely.get_coordinates(red[:5])[::7]
    xy = np.concatenate([xy, edge, verts])
    units = gpd.GeoDataFrame(
        {"code": ["ZH33990120001"], "unit_class": [3]},
        geometry=[box(X0 - 5000, Y0 - 5000, X0 + 45_000, Y0 + 45_000)],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame({"stage": ["existing"] * len(xy)}, geometry=shapely.points(xy), crs=CRS)
    lines = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0, Y0 + 20_000), (X0 + 40_000, Y0 + 21_000)])], crs=CRS
    )
    return units, fac, {"red_line": gpd.GeoDataFrame(geometry=red, crs=CRS), "lines": lines}


def _fired(units, fac, rules, layers):
    ev = evaluate(fac, rules, units=units, unit_index=np.zeros(len(fac), int), layers=layers)
    return ev.fired


@pytest.mark.parametrize("binned", [False, True])
def test_projected_near_equals_brute_force(scene, binned, monkeypatch):
    units, fac, layers = scene
    rules = _rules(("red_line", 0), ("red_line", 250), ("lines", 0), ("lines", 300))
    monkeypatch.setattr(_leaves, "BIN_MIN_ROWS", 1 if binned else 10**9)
    want = _fired(units, fac, rules, layers)
    assert want[:, 0].sum() > 100 and want[:, 0][-len(layers["red_line"]) :].any()
    # brute force: the site touches (or lies within 250 m of) a red-line polygon
    red = np.asarray(layers["red_line"].geometry.values)
    pts = np.asarray(fac.geometry.values)
    touch = shapely.intersects(pts[:, None], red[None, :]).any(axis=1)
    near = shapely.dwithin(pts[:, None], red[None, :], 250).any(axis=1)
    assert (want[:, 0] == touch).all() and (want[:, 1] == near).all()
    line = np.asarray(layers["lines"].geometry.values)[0]
    assert (want[:, 3] == shapely.dwithin(pts, line, 300)).all() and want[:, 3].sum() > 50


@pytest.mark.parametrize("few", [False, True])
def test_lonlat_near_is_measured_in_each_sites_zone(scene, few):
    units, fac, layers = scene
    rules = _rules(("red_line", 0), ("red_line", 400), stage="proposed" if few else None)
    ll_units, ll_fac = units.to_crs("EPSG:4490"), fac.to_crs("EPSG:4490")
    ll_layers = {k: v.to_crs("EPSG:4490") for k, v in layers.items()}
    asked = np.ones(len(ll_fac), dtype=bool)
    if few:  # the rules ask about a few rows only: the bins of those rows
        asked[1::9] = False
        asked = ~asked
        ll_fac["stage"] = np.where(asked, "proposed", "existing")
    got = _fired(ll_units, ll_fac, rules, ll_layers)
    # brute force: every site and every target projected into the site's own zone
    pts = np.asarray(ll_fac.geometry.values)
    zone = local_crs_codes(shapely.get_x(pts), shapely.get_y(pts))
    assert set(zone) == {4549}
    red_z = np.asarray(ll_layers["red_line"].to_crs(CRS).geometry.values)
    pts_z = np.asarray(ll_fac.to_crs(CRS).geometry.values)
    touch = shapely.intersects(pts_z[:, None], red_z[None, :]).any(axis=1)
    near = shapely.dwithin(pts_z[:, None], red_z[None, :], 400).any(axis=1)
    assert (touch & asked).sum() > 10
    assert (got[:, 0] == touch & asked).all() and (got[:, 1] == near & asked).all()


def _near_lonlat(sites, red, within_m: int):
    units = gpd.GeoDataFrame(
        {"code": ["ZH33990120001"], "unit_class": [3]},
        geometry=[box(-180, -89, 180, 89)],
        crs="EPSG:4326",
    )
    fac = gpd.GeoDataFrame({"stage": ["existing"] * len(sites)}, geometry=sites, crs="EPSG:4326")
    layers = {"red_line": gpd.GeoDataFrame(geometry=red, crs="EPSG:4326")}
    ev = evaluate(
        fac,
        _rules(("red_line", within_m)),
        units=units,
        unit_index=np.zeros(len(fac), dtype=int),
        layers=layers,
    )
    return ev.fired[:, 0].tolist()


def test_lonlat_near_finds_a_target_across_the_antimeridian():
    """A site at 179.999°E and a target at 179.999°W are about 220 m apart: lon/lat boxes do
    not wrap at ±180°, so the candidates of such a zone are found in the zone itself."""
    red = [shapely.Point(-179.999, 10.0).buffer(0.0001)]
    points = list(shapely.points([[179.999, 10.0], [179.0, 10.0]]))
    assert _near_lonlat(points, red, 1000) == [True, False]
    line = [shapely.LineString([(179.99, 10), (179.999, 10)]), shapely.Point(179, 10)]
    assert _near_lonlat(line, red, 1000) == [True, False]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_lonlat_near_with_a_site_without_finite_coordinates_answers_for_the_others(bad):
    red = [shapely.Point(120.0, 30.0).buffer(0.001)]
    sites = list(shapely.points([[120.0, 30.0], [bad, 30.0], [120.001, 30.0]]))
    assert _near_lonlat(sites, red, 100) == [True, False, True]
