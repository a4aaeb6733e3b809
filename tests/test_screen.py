"""Screening: known answers for shares, lengths, boundaries, distances and verdicts."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from zoning.errors import InputError
from zoning.geo import local_crs
from zoning.rules.schema import parse_rules
from zoning.screen import screen

X0, Y0 = 500000.0, 3300000.0  # EPSG:4549, central meridian 120E: local CRS = units CRS

RULES = """
version: 1
layers:
  red_line: {zh: 生态保护红线, en: Red line}
rules:
  - id: RED-01
    dimension: spatial
    clause: {zh: 红线内禁止新建工业项目。, en: No new industry in the red line.}
    message: {zh: 工业项目位于红线内, en: Industry inside the red line}
    outcome: prohibited
    when:
      all:
        - stage: proposed
        - sector: [C]
        - near: {layer: red_line, within_m: 0}
  - id: KEY-01
    dimension: emission
    clause: {zh: 重点管控单元新增NOx倍量替代。, en: New NOx in key units needs a 2:1 offset.}
    message: {zh: 新增NOx须倍量替代, en: New NOx needs a 2:1 offset}
    outcome: restricted
    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}
    scope: {unit_class: 2}
    when:
      all:
        - stage: proposed
        - emission: {pollutant: nox, gt: 0}
"""


@pytest.fixture
def rules():
    return parse_rules(RULES)


@pytest.fixture
def red_line():
    # the red line is unit 0 (x 500000-501000, y 3300000-3301000)
    return gpd.GeoDataFrame(
        {"name": ["红线A"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4549"
    )


def _projects(geoms, **facts):
    n = len(geoms)
    data = {"project_id": [f"T{i + 1}" for i in range(n)], "stage": ["proposed"] * n}
    for k, v in facts.items():
        data[k] = v if isinstance(v, list) else [v] * n
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4549")


def test_local_crs_is_gauss_kruger_in_china():
    assert local_crs(120.0, 30.0).to_epsg() == 4549
    # the edges of China's longitudes stay in the CGCS2000 3-degree zones (4534..4554)
    assert local_crs(73.5, 40.0).to_epsg() == 4534 and local_crs(136.5, 45.0).to_epsg() == 4554
    assert local_crs(116.4, 39.9).to_epsg() == 4548
    assert local_crs(2.35, 48.85).to_epsg() == 32631


def test_square_straddling_two_units_30_70(units, rules, red_line):
    sq = box(X0 + 970, Y0 + 400, X0 + 1070, Y0 + 500)
    res = screen(
        _projects([sq], sector="3981", nox_t=0.0), units, rules, layers={"red_line": red_line}
    )
    ov = res.overlaps.set_index("unit_code")
    assert list(ov.index) == ["ZH33990120002", "ZH33990110001"]  # biggest share first
    assert ov.loc["ZH33990110001", "share_pct"] == pytest.approx(30.0, abs=1e-6)
    assert ov.loc["ZH33990120002", "share_pct"] == pytest.approx(70.0, abs=1e-6)
    assert ov["share_pct"].sum() == pytest.approx(100.0, abs=1e-6)
    # equal-area m2 on the central meridian: the plane area to 0.1 %
    assert ov.loc["ZH33990110001", "overlap_m2"] == pytest.approx(3000.0, rel=1e-3)
    assert res.projects["area_m2"].iloc[0] == pytest.approx(10000.0, rel=1e-3)
    assert res.projects["inside_region_pct"].iloc[0] == pytest.approx(100.0)


def test_shares_same_in_geographic_units(units, rules):
    sq = box(X0 + 970, Y0 + 400, X0 + 1070, Y0 + 500)
    res = screen(
        _projects([sq]).to_crs("EPSG:4326"), units.to_crs("EPSG:4490"), rules, missing="unknown"
    )
    shares = sorted(res.overlaps["share_pct"].round(2))
    assert shares == pytest.approx([30.0, 70.0], abs=0.05)


def test_line_lengths_per_unit(units, rules, red_line):
    line = LineString([(X0 + 500, Y0 + 500), (X0 + 2300, Y0 + 500)])  # 500 + 1000 + 300 m
    res = screen(_projects([line], sector="4420"), units, rules, layers={"red_line": red_line})
    ov = res.overlaps.set_index("unit_code")
    assert ov["overlap_m"].to_dict() == pytest.approx(
        {"ZH33990120002": 1000.0, "ZH33990110001": 500.0, "ZH33990130003": 300.0}, abs=1e-6
    )
    assert ov["share_pct"].sum() == pytest.approx(100.0)
    assert res.projects["length_m"].iloc[0] == pytest.approx(1800.0)
    assert res.projects["geom_type"].iloc[0] == "line"


def test_point_on_boundary_goes_to_strictest_class(units, rules, red_line):
    pt = Point(X0 + 1000, Y0 + 500)  # between unit 1 (class 1) and unit 2 (class 2)
    res = screen(
        _projects([pt], sector="3981", nox_t=1.0), units, rules, layers={"red_line": red_line}
    )
    ov = res.overlaps.set_index("unit_code")
    assert ov.loc["ZH33990110001", "share_pct"] == 100.0
    assert ov.loc["ZH33990120002", "share_pct"] == 0.0
    assert ov["on_boundary"].all()
    # both access lists apply: in the red line (prohibited) and key unit (restricted fires)
    assert res.projects["verdict"].iloc[0] == "prohibited"
    fired = set(res.rules.loc[res.rules["status"] == "fired", "rule_id"])
    assert fired == {"RED-01", "KEY-01"}


def test_distance_250_m_from_red_line(units, rules, red_line):
    pt = Point(X0 + 1250, Y0 + 500)
    sq = box(X0 + 1250, Y0 + 100, X0 + 1400, Y0 + 200)
    res = screen(
        _projects([pt, sq], sector="3981", nox_t=0.0), units, rules, layers={"red_line": red_line}
    )
    d = res.distances[res.distances["target"] == "red_line"].set_index("project_id")
    assert d.loc["T1", "distance_m"] == pytest.approx(250.0, abs=1e-6)
    assert d.loc["T2", "distance_m"] == pytest.approx(250.0, abs=1e-6)
    assert not d.loc["T1", "inside"]
    assert d.loc["T1", "nearest"] == "红线A"
    # the shortest line is drawn in WGS 84 and is about 250 m long
    line = gpd.GeoSeries([d.loc["T1", "geometry"]], crs="EPSG:4326").to_crs("EPSG:4549")
    assert line.length.iloc[0] == pytest.approx(250.0, abs=0.01)
    p = res.distances[res.distances["target"] == "priority_unit"].set_index("project_id")
    assert p.loc["T1", "distance_m"] == pytest.approx(250.0, abs=1e-6)


def test_inside_red_line_distance_zero(units, rules, red_line):
    res = screen(
        _projects([Point(X0 + 300, Y0 + 300)], sector="3011", nox_t=0.0),
        units,
        rules,
        layers={"red_line": red_line},
    )
    d = res.distances.set_index("target")
    assert d.loc["red_line", "distance_m"] == 0.0
    assert d.loc["red_line", "inside"]
    assert d.loc["priority_unit", "inside"]


@pytest.mark.parametrize(
    ("where", "facts", "verdict", "missing"),
    [
        ((300, 300), {"sector": "2614", "nox_t": 1.0}, "prohibited", ""),  # red line, industry
        ((1500, 500), {"sector": "3981", "nox_t": 2.0}, "restricted", ""),  # key unit, NOx
        ((2500, 500), {"sector": "3981", "nox_t": 2.0}, "allowed", ""),  # general unit
        ((1500, 500), {"sector": "3981", "nox_t": None}, "needs-information", "nox_t"),
        ((300, 300), {"sector": None, "nox_t": 0.0}, "needs-information", "sector"),
        ((1500, 500), {"sector": "3981", "nox_t": 0.0}, "allowed", ""),
    ],
)
def test_each_verdict(units, rules, red_line, where, facts, verdict, missing):
    pt = Point(X0 + where[0], Y0 + where[1])
    res = screen(_projects([pt], **facts), units, rules, layers={"red_line": red_line})
    row = res.projects.iloc[0]
    assert row["verdict"] == verdict
    assert row["missing_facts"] == missing
    if verdict == "restricted":
        assert "2:1 NOx offset" in row["conditions"]
    if verdict == "prohibited":
        assert "RED-01" in row["reasons"]


def test_missing_column_names_the_fact(units, rules, red_line):
    pt = Point(X0 + 1500, Y0 + 500)
    frame = gpd.GeoDataFrame({"project_id": ["X"]}, geometry=[pt], crs="EPSG:4549")
    res = screen(frame, units, rules, layers={"red_line": red_line})
    assert res.projects["verdict"].iloc[0] == "needs-information"
    assert set(res.projects["missing_facts"].iloc[0].split(";")) == {"stage", "nox_t"}
    unknown = res.rules[res.rules["status"] == "unknown"]
    assert set(unknown["rule_id"]) == {"KEY-01"}


def test_outside_every_unit_needs_information(units, rules, red_line):
    res = screen(
        _projects([Point(X0 - 5000, Y0)], sector="3981"),
        units,
        rules,
        layers={"red_line": red_line},
    )
    assert res.projects["verdict"].iloc[0] == "needs-information"
    assert res.projects["missing_facts"].iloc[0] == "unit"
    assert res.projects["n_units"].iloc[0] == 0


def test_missing_layer_is_an_error_or_undecided(units, rules):
    pt = Point(X0 + 300, Y0 + 300)
    with pytest.raises(InputError, match="red_line"):
        screen(_projects([pt], sector="2614", nox_t=0.0), units, rules)
    res = screen(_projects([pt], sector="2614", nox_t=0.0), units, rules, missing="unknown")
    assert res.projects["verdict"].iloc[0] == "needs-information"
    assert "layer:red_line" in res.projects["missing_facts"].iloc[0]


def test_grid_value_at_site(units, rules, red_line):
    from affine import Affine

    arr = np.arange(6, dtype="float64").reshape(2, 3)  # 1 km cells over the 3 x 2 units
    grid = (arr, Affine(1000, 0, X0, 0, -1000, Y0 + 2000), "EPSG:4549")
    res = screen(
        _projects(
            [Point(X0 + 2500, Y0 + 1500), Point(X0 + 500, Y0 + 500)], nox_t=0.0, sector="3981"
        ),
        units,
        rules,
        grids={"pm25": grid},
        layers={"red_line": red_line},
    )
    assert res.grid_values["value"].tolist() == [2.0, 3.0]


def test_batch_is_vectorised_and_json_ready(units, rules, red_line):
    rng = np.random.default_rng(1)
    xs = rng.uniform(X0, X0 + 2900, 200)
    ys = rng.uniform(Y0, Y0 + 1900, 200)
    geoms = [box(x, y, x + 80, y + 80) for x, y in zip(xs, ys, strict=True)]
    res = screen(
        _projects(geoms, sector="3981", nox_t=1.0), units, rules, layers={"red_line": red_line}
    )
    assert len(res) == 200
    inside = res.projects["inside_region_pct"] > 99.999
    sums = res.overlaps.groupby("project_id")["share_pct"].sum()
    assert np.allclose(sums[res.projects.loc[inside, "project_id"]], 100.0)
    data = res.project("T7")
    json.dumps(data)
    assert data["verdict"] in ("prohibited", "restricted", "allowed", "needs-information")
    assert {u["unit_code"] for u in data["units"]} <= set(units["code"])


def test_bad_inputs(units, rules):
    frame = _projects([Point(X0, Y0)]).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no CRS"):
        screen(frame, units, rules)
    dup = _projects([Point(X0, Y0), Point(X0, Y0)])
    dup["project_id"] = ["A", "A"]
    with pytest.raises(InputError, match="used twice"):
        screen(dup, units, rules, missing="unknown")


def test_distance_in_geographic_layers(units, rules, red_line):
    pt = _projects([Point(X0 + 1250, Y0 + 500)], sector="3981", nox_t=0.0).to_crs("EPSG:4326")
    res = screen(
        pt, units.to_crs("EPSG:4490"), rules, layers={"red_line": red_line.to_crs("EPSG:4490")}
    )
    d = res.distances.set_index("target")
    assert d.loc["red_line", "distance_m"] == pytest.approx(250.0, abs=0.05)
    assert res.projects["distance_crs"].iloc[0] == "EPSG:4549"
