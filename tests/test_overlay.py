"""Points and footprints to units: boundary rule, outside, missing, CRS, shares."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import make_units
from shapely.geometry import LineString, Point, box

from zoning.errors import CRSError
from zoning.overlay import assign_points, footprint_shares, unit_rank

X0, Y0 = 500000.0, 3300000.0


def pts(*xy, crs="EPSG:4549") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[None if p is None else Point(X0 + p[0], Y0 + p[1]) for p in xy], crs=crs
    )


def test_interior_outside_and_missing(units):
    got = assign_points(units, pts((500, 500), (2500, 1500), (-10, 500), None, (500, 2500)))
    assert got.tolist() == [0, 5, -1, -1, -1]


def test_shared_edge_goes_to_the_stricter_class(units):
    # units 0 (class 1) and 1 (class 2) share x = 1000; units 1 (2) and 2 (3) share x = 2000
    got = assign_points(units, pts((1000, 500), (2000, 500)))
    assert got.tolist() == [0, 1]


def test_same_class_tie_goes_to_the_lowest_code(units):
    same = units.copy()
    same["unit_class"] = 2
    got = assign_points(same, pts((1000, 500), (1000, 1000)))
    codes = same["code"].tolist()
    assert codes[got[0]] == min(codes[0], codes[1])
    assert codes[got[1]] == min(codes[0], codes[1], codes[3], codes[4])


def test_vertex_of_four_units_and_input_order_does_not_matter(units):
    # the corner (1000, 1000) touches units 0 (1), 1 (2), 3 (1), 4 (2): class 1, lowest code
    got = assign_points(units, pts((1000, 1000)))
    shuffled = units.iloc[[4, 3, 1, 0, 2, 5]].reset_index(drop=True)
    got2 = assign_points(shuffled, pts((1000, 1000)))
    assert units["code"][got[0]] == shuffled["code"][got2[0]] == units["code"][0]


def test_rank_orders_class_then_code(units):
    rank = unit_rank(units)
    order = np.argsort(rank)
    classes = units["unit_class"].to_numpy()[order]
    assert (np.diff(classes) >= 0).all()


def test_points_in_another_crs_are_reprojected(units):
    lonlat = pts((500, 500), (1500, 1500)).to_crs("EPSG:4490")
    assert assign_points(units, lonlat).tolist() == [0, 4]


def test_no_crs_is_an_error(units):
    with pytest.raises(CRSError):
        assign_points(units, gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_polygon_and_line_shares(units):
    fp = gpd.GeoDataFrame(
        geometry=[
            box(X0 + 750, Y0 + 250, X0 + 1250, Y0 + 750),  # half in unit 0, half in unit 1
            LineString([(X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 500), (X0 + 1500, Y0 + 1000)]),
            Point(X0 + 2500, Y0 + 500),
            box(X0 + 5000, Y0, X0 + 5100, Y0 + 100),  # outside
        ],
        crs="EPSG:4549",
    )
    sh = footprint_shares(units, fp)
    poly = sh[sh.subject == 0].set_index("unit")["share"]
    assert poly.index.tolist() == [0, 1]
    np.testing.assert_allclose(poly.to_numpy(), [0.5, 0.5], atol=1e-4)
    assert sh[sh.subject == 0]["overlap_m2"].sum() == pytest.approx(250_000, rel=0.02)
    line = sh[sh.subject == 1].set_index("unit")["share"]
    np.testing.assert_allclose(line.loc[[0, 1]].to_numpy(), [0.5 / 1.5, 1.0 / 1.5], atol=1e-3)
    assert sh[sh.subject == 2][["unit", "share"]].values.tolist() == [[2, 1.0]]
    assert 3 not in sh.subject.tolist()
    # shares of a footprint inside the units sum to 1
    assert sh.groupby("subject")["share"].sum().to_numpy() == pytest.approx(1.0, abs=1e-6)


def test_lots_of_points_are_fast_and_all_assigned():
    units = make_units(20, 20, size=100.0)
    rng = np.random.default_rng(1)
    n = 200_000
    p = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(X0 + rng.random(n) * 2000, Y0 + rng.random(n) * 2000),
        crs="EPSG:4549",
    )
    got = assign_points(units, p)
    assert (got >= 0).all()
    # cell arithmetic agrees with the spatial query for interior points
    col = ((p.geometry.x - X0) // 100).astype(int).to_numpy()
    row = ((p.geometry.y - Y0) // 100).astype(int).to_numpy()
    np.testing.assert_array_equal(got, row * 20 + col)


def test_line_lengths_are_true_lengths_not_equal_area_lengths():
    # at 45°N an equal-area CRS stretches east-west lengths by about a fifth
    u = gpd.GeoDataFrame(
        {"code": ["ZH11010110001", "ZH11010120002"], "unit_class": [1, 2]},
        geometry=[box(119.0, 44.9, 119.1, 45.1), box(119.1, 44.9, 119.3, 45.1)],
        crs="EPSG:4326",
    )
    line = gpd.GeoDataFrame(geometry=[LineString([(119.05, 45.0), (119.25, 45.0)])], crs=4326)
    res = footprint_shares(u, line)
    true_length = line.to_crs(line.estimate_utm_crs()).length.iloc[0]
    assert res["overlap_m"].sum() == pytest.approx(true_length, rel=1e-3)
    assert res["share"].tolist() == pytest.approx([0.25, 0.75], abs=1e-4)
