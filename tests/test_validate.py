"""Validation: one test per reason code, plus the command line."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import LineString, Polygon, box

from zoning.cli import main
from zoning.validate import Reason, validate_units


def reasons(report) -> list[str]:
    return sorted(report.problems["reason"])


def test_clean_layer_has_no_problems(units):
    report = validate_units(units)
    assert report.ok, report.table()
    assert report.n_units == 6


def test_empty_layer():
    report = validate_units(make_units().iloc[:0])
    assert reasons(report) == [Reason.EMPTY_LAYER.value]


def test_missing_crs():
    units = make_units(crs=None, x0=119.5, y0=30.0, size=0.01)
    report = validate_units(units)
    assert reasons(report) == [Reason.MISSING_CRS.value]


def test_missing_geometry(units):
    units.loc[2, "geometry"] = None
    report = validate_units(units)
    assert Reason.MISSING_GEOMETRY.value in reasons(report)
    row = report.problems[report.problems.reason == "missing_geometry"].iloc[0]
    assert row["unit_code"] == units.loc[2, "code"] and row["row"] == 3  # counted from 1


def test_not_polygon(units):
    units.loc[1, "geometry"] = LineString([(500000, 3300000), (501000, 3301000)])
    assert Reason.NOT_POLYGON.value in reasons(validate_units(units))


def test_invalid_geometry_bowtie(units):
    x, y = 500000, 3300000
    units.loc[0, "geometry"] = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    report = validate_units(units)
    bad = report.problems[report.problems.reason == "invalid_geometry"]
    assert len(bad) == 1
    assert "Self-intersection" in bad.iloc[0]["detail"]
    assert bad.iloc[0]["geometry"].geom_type == "Point"  # where it is wrong


def test_missing_code(units):
    units.loc[3, "code"] = ""
    assert Reason.MISSING_CODE.value in reasons(validate_units(units))


@pytest.mark.parametrize("bad", ["ZH3399011001", "ZX33990110001", "ZH33990140001", "zh-1"])
def test_malformed_code(units, bad):
    units.loc[0, "code"] = bad
    report = validate_units(units)
    assert Reason.MALFORMED_CODE.value in reasons(report)
    assert bad in report.table()


def test_duplicate_code(units):
    units.loc[3, "code"] = units.loc[0, "code"]
    units.loc[3, "unit_class"] = units.loc[0, "unit_class"]
    report = validate_units(units)
    dup = report.problems[report.problems.reason == "duplicate_code"]
    assert len(dup) == 1 and "[1, 4]" in dup.iloc[0]["detail"]


def test_unknown_class(units):
    units["unit_class"] = units["unit_class"].astype(object)
    units.loc[1, "unit_class"] = "特殊管控"
    assert Reason.UNKNOWN_CLASS.value in reasons(validate_units(units))


def test_class_labels_are_accepted(units):
    units["unit_class"] = units["unit_class"].map({1: "优先保护单元", 2: "重点管控", 3: "3"})
    assert validate_units(units).ok


def test_class_code_mismatch(units):
    units.loc[0, "unit_class"] = 2  # code ZH339901 1 0001 says priority
    report = validate_units(units)
    assert reasons(report) == [Reason.CLASS_CODE_MISMATCH.value]


def test_overlap_with_area(units):
    # move unit 0 right by 100 m: it overlaps unit 1 by 100 m x 1000 m
    units.loc[0, "geometry"] = box(500100, 3300000, 501100, 3301000)
    report = validate_units(units)
    over = report.problems[report.problems.reason == "overlap"]
    assert len(over) == 1
    # 100 m x 1000 m in EPSG:4549 measured in equal-area EPSG:6933: within 0.5 %
    assert over.iloc[0]["area_m2"] == pytest.approx(100_000, rel=5e-3)
    assert over.iloc[0]["other_code"] == units.loc[1, "code"]
    # the uncovered strip left behind is on the outline, not a hole: no gap without outline
    assert Reason.GAP.value not in reasons(report)


def test_gap_inside_region(units):
    # shrink the middle unit of the bottom row: a hole surrounded by units
    big = make_units(n_cols=3, n_rows=3)
    big.loc[4, "geometry"] = box(501100, 3301100, 501900, 3301900)
    report = validate_units(big)
    gap = report.problems[report.problems.reason == "gap"]
    assert len(gap) == 1
    assert gap.iloc[0]["area_m2"] == pytest.approx(1_000_000 - 640_000, rel=5e-3)
    assert "gaps: 1, 0.360 km² in all (1 ha - 1 km²: 1)" in report.table()


def test_gap_same_whether_or_not_the_layer_is_a_coverage():
    # the gap path merges a valid coverage along shared edges; a layer that is not one
    # (here a unit overlapping its neighbours) goes through the general union: same gap
    big = make_units(n_cols=3, n_rows=3)
    big.loc[4, "geometry"] = box(501100, 3301100, 501900, 3301900)
    assert shapely.coverage_is_valid(big.geometry.values)
    clean = validate_units(big).problems
    big.loc[0, "geometry"] = box(500000, 3300000, 501050, 3301000)  # into unit 1
    assert not shapely.coverage_is_valid(big.geometry.values)
    messy = validate_units(big).problems
    gaps = [p[p.reason == "gap"]["area_m2"].tolist() for p in (clean, messy)]
    # one gap each: checking topology after reprojection used to invent a 1.1 m² sliver
    # where unit 0's longer edge and unit 3's edge bent differently between vertices
    assert len(gaps[0]) == len(gaps[1]) == 1
    assert gaps[0] == pytest.approx(gaps[1], rel=1e-6)
    assert gaps[0][0] == pytest.approx(360_000, rel=5e-3)
    over = messy[messy.reason == "overlap"]["area_m2"].tolist()
    assert over == pytest.approx([50_000], rel=5e-3)


@pytest.mark.parametrize(
    "moved",
    [
        box(501000, 3300000, 502000, 3301000),  # a copy of unit 1
        box(501200, 3300200, 501800, 3300800),  # inside unit 1, touching nothing
        box(501000, 3300000, 501500, 3300500),  # inside unit 1, on two of its edges
    ],
    ids=["duplicate", "inside", "inside-on-edges"],
)
def test_overlaps_found_when_the_layer_is_not_a_coverage(units, moved):
    # a valid coverage skips the overlap search (its interiors are disjoint); these
    # layers are not one, and the overlap is found and measured
    units.loc[0, "geometry"] = moved
    assert not shapely.coverage_is_valid(units.geometry.values)
    over = validate_units(units).problems.query("reason == 'overlap'")
    assert len(over) == 1
    assert over.iloc[0]["area_m2"] == pytest.approx(moved.area, rel=5e-3)


def test_coverage_has_no_overlap_search(units, monkeypatch):
    import zoning.validate as v

    def no_search(*a, **k):
        raise AssertionError("a valid coverage has no overlap to search")

    monkeypatch.setattr(v, "_overlaps", no_search)
    assert shapely.coverage_is_valid(units.geometry.values)
    assert validate_units(units).ok


def test_gap_against_outline(units):
    outline = gpd.GeoDataFrame(geometry=[box(500000, 3300000, 503500, 3302000)], crs=units.crs)
    report = validate_units(units, outline=outline)
    gap = report.problems[report.problems.reason == "gap"]
    assert len(gap) == 1 and gap.iloc[0]["area_m2"] == pytest.approx(1_000_000, rel=5e-3)


def test_every_problem_at_once(units):
    units.loc[0, "code"] = "bad"
    units.loc[1, "unit_class"] = 9
    units.loc[2, "geometry"] = box(502000, 3300000, 503000, 3301000).buffer(50)
    report = validate_units(units)
    assert {"malformed_code", "unknown_class", "overlap"} <= set(report.problems.reason)


def test_cli_validate_exit_codes(tmp_path, units):
    good = tmp_path / "good.gpkg"
    units.to_file(good)
    res = CliRunner().invoke(main, ["validate", str(good), "--out", str(tmp_path / "p.geojson")])
    assert res.exit_code == 0, res.output
    units.loc[0, "code"] = units.loc[1, "code"]
    bad = tmp_path / "bad.gpkg"
    units.to_file(bad)
    out = tmp_path / "problems.geojson"
    res = CliRunner().invoke(main, ["validate", str(bad), "--out", str(out)])
    assert res.exit_code == 1
    assert "duplicate_code" in res.output and "class_code_mismatch" in res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["reason"] for f in doc["features"]} >= {"duplicate_code"}
    assert "crs" not in doc


def test_cli_validate_missing_crs_is_reported(tmp_path):
    units = make_units(crs="EPSG:4326", x0=119.5, y0=30.0, size=0.01)
    path = tmp_path / "nocrs.shp"
    units[["code", "unit_class", "geometry"]].to_file(path)
    path.with_suffix(".prj").unlink()
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 1
    assert "missing_crs" in res.output


def test_cli_unreadable_input_exits_2(tmp_path):
    bad = tmp_path / "broken.geojson"
    bad.write_text("{not json", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "broken.geojson" in res.output and "Traceback" not in res.output


def test_spike_polygon_is_reported_not_a_crash(units):
    x, y = 502000, 3300000
    # a square with a zero-width spike: make_valid leaves a line beside the polygon
    units.loc[2, "geometry"] = Polygon(
        [
            (x, y),
            (x + 1000, y),
            (x + 1000, y + 500),
            (x + 1500, y + 500),
            (x + 1000, y + 500),
            (x + 1000, y + 1000),
            (x, y + 1000),
        ]
    )
    report = validate_units(units)
    assert "invalid_geometry" in set(report.problems.reason)


def test_missing_crs_with_projected_coordinates_skips_topology():
    units = make_units(crs=None)  # Gauss-Krüger metres, no CRS declared
    report = validate_units(units)
    assert reasons(report) == [Reason.MISSING_CRS.value]
    assert "not lon/lat" in report.problems.iloc[0]["detail"]


def test_cli_empty_feature_collection_is_an_empty_layer(tmp_path):
    # no features means no fields to find: the problem is the empty layer, not the fields
    src = tmp_path / "empty.geojson"
    src.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(src)])
    assert res.exit_code == 1, res.output
    assert "empty_layer" in res.output and "code" not in res.output.split("empty_layer")[0]


def test_rows_are_integers(units):
    units.loc[3, "code"] = "bad"
    report = validate_units(units)
    assert str(report.problems["row"].dtype) == "Int64"
    assert report.problems["row"].tolist() == [4]  # the fourth feature, counted from 1
