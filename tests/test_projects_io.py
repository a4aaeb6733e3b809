"""Reading project sites: vertex lists (DMS, projected, survey sheets), WKT, KML, zips."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, box

from zoning.errors import CRSError, InputError, SchemaError
from zoning.io.projects import parse_angle, parse_vertices, parse_wkt, read_projects


@pytest.mark.parametrize(
    ("text", "value", "axis"),
    [
        ("119°52'30.5\"E", 119 + 52 / 60 + 30.5 / 3600, "lon"),
        ("东经119度52分30.5秒", 119 + 52 / 60 + 30.5 / 3600, "lon"),
        ("30°02′10″N", 30 + 2 / 60 + 10 / 3600, "lat"),
        ("119d52m30.5s", 119 + 52 / 60 + 30.5 / 3600, None),
        ("119:52:30.5", 119 + 52 / 60 + 30.5 / 3600, None),
        ("33.5S", -33.5, "lat"),
        ("-119.5", -119.5, None),
    ],
)
def test_parse_angle(text, value, axis):
    v, a = parse_angle(text)
    assert v == pytest.approx(value, abs=1e-12)
    assert a == axis


@pytest.mark.parametrize("bad", ["abc", "119°75'00\"E", "1°2'3\"4'"])
def test_parse_angle_refuses(bad):
    with pytest.raises(ValueError):
        parse_angle(bad)


def test_dms_vertex_list_with_header_and_unclosed_ring():
    text = """# 界址点坐标表
点号, 纬度, 经度
J1, 30°02'00.0"N, 119°52'30.0"E
J2, 30°02'00.0"N, 119°52'40.0"E
J3, 30°02'10.0"N, 119°52'40.0"E
J4, 30°02'10.0"N, 119°52'30.0"E
"""
    f = parse_vertices(text, geometry="polygon", facts={"sector": "3981", "nox_t": "0.5"})
    g = f.geometry.iloc[0]
    assert f.crs.to_epsg() == 4490
    assert g.geom_type == "Polygon"
    assert shapely.get_coordinates(g)[0].tolist() == pytest.approx([119.875, 30 + 2 / 60])
    assert g.bounds == pytest.approx(
        (119.875, 30 + 2 / 60, 119.875 + 10 / 3600, 30 + 2 / 60 + 10 / 3600)
    )
    assert "not closed" in f["geometry_note"].iloc[0]
    assert f["nox_t"].iloc[0] == 0.5
    assert f["sector"].iloc[0] == "3981"


def test_lat_lon_order_detected_without_marks():
    f = parse_vertices("30.01 119.80\n30.01 119.81\n30.02 119.81\n", geometry="polygon")
    assert f.geometry.iloc[0].bounds[0] == pytest.approx(119.80)
    assert "swapped" in f["geometry_note"].iloc[0]


def test_projected_survey_sheet_x_north_and_zone_prefix():
    text = """点号 X Y
1 3324500.00 40500000.00
2 3324500.00 40500100.00
3 3324600.00 40500100.00
4 3324600.00 40500000.00
1 3324500.00 40500000.00
"""
    f = parse_vertices(text, crs="EPSG:4549")
    g = f.geometry.iloc[0]
    assert g.bounds == pytest.approx((500000, 3324500, 500100, 3324600))
    assert g.area == pytest.approx(10000.0)
    note = f["geometry_note"].iloc[0]
    assert "swapped" in note and "zone prefix 40" in note
    assert "not closed" not in note


def test_projected_without_crs_is_a_clear_error():
    with pytest.raises(CRSError, match="no CRS"):
        parse_vertices("500000 3324500\n500100 3324500\n500100 3324600\n")


def test_wrong_zone_prefix_is_an_error():
    with pytest.raises(CRSError, match="zone prefix 39"):
        parse_vertices("39500000 3324500\n39500100 3324500\n39500100 3324600\n", crs="EPSG:4549")


OPEN_DMS = """J1, 30°02'00"N, 119°52'30"E
J2, 30°02'00"N, 119°52'40"E
J3, 30°02'10"N, 119°52'40"E
J4, 30°02'10"N, 119°52'30"E
"""


def test_open_vertex_list_with_auto_is_refused_naming_both_choices():
    with pytest.raises(InputError, match="open") as info:
        parse_vertices(OPEN_DMS)
    msg = str(info.value)
    assert "`geometry` polygon" in msg and "`geometry` line" in msg
    assert info.value.param == "geometry" and "--" not in msg


@pytest.mark.parametrize(
    ("text", "geometry", "kind", "decided"),
    [
        (OPEN_DMS, "polygon", "Polygon", "--geometry polygon"),
        (OPEN_DMS, "line", "LineString", "--geometry line"),
        (OPEN_DMS + "J1, 30°02'00\"N, 119°52'30\"E\n", "auto", "Polygon", "closed ring"),
        ("119.80,30.00\n119.82,30.01\n", "auto", "LineString", "two vertices"),
        ("119.80 30.00", "auto", "Point", "one vertex"),
    ],
)
def test_vertex_list_geometry_type_and_how_it_was_decided(text, geometry, kind, decided):
    f = parse_vertices(text, geometry=geometry)
    assert f.geometry.iloc[0].geom_type == kind
    assert f["geometry_decided_by"].iloc[0] == decided


def test_wkt_and_file_say_how_the_type_was_decided(tmp_path):
    assert parse_wkt("POINT (119.8 30)")["geometry_decided_by"].iloc[0] == "WKT"
    gpd.GeoDataFrame(geometry=[box(119.8, 30, 119.81, 30.01)], crs=4326).to_file(
        tmp_path / "p.geojson"
    )
    assert read_projects(tmp_path / "p.geojson")["geometry_decided_by"].iloc[0] == "file"


def test_line_and_point():
    line = parse_vertices("119.80,30.00\n119.82,30.01\n", geometry="line")
    assert line.geometry.iloc[0].geom_type == "LineString"
    pt = parse_vertices("119.80 30.00")
    assert pt.geometry.iloc[0].geom_type == "Point"


def test_self_intersection_error_names_the_edges():
    text = "500000 3300000\n500100 3300100\n500100 3300000\n500000 3300100\n"
    with pytest.raises(InputError, match=r"edges 1-2 and 3-4 cross at \(500050, 3300050\)"):
        parse_vertices(text, crs="EPSG:4549", geometry="polygon")


def test_self_intersection_repaired_and_reported():
    text = "500000 3300000\n500100 3300100\n500100 3300000\n500000 3300100\n"
    f = parse_vertices(text, crs="EPSG:4549", geometry="polygon", repair=True)
    g = f.geometry.iloc[0]
    assert g.is_valid
    assert g.area == pytest.approx(5000.0)
    assert "repaired" in f["geometry_note"].iloc[0]


def test_bad_vertex_names_the_line():
    with pytest.raises(InputError, match="line 3"):
        parse_vertices("119.8 30.0\n119.9 30.0\n119.9 thirty\n")


def test_wkt_closes_ring_and_sets_facts():
    f = parse_wkt(
        "POLYGON ((119.80 30.00, 119.81 30.00, 119.81 30.01))",
        facts={"sector": "2614", "stage": "proposed"},
        project_id="W1",
    )
    assert f.geometry.iloc[0].is_valid and f.geometry.iloc[0].geom_type == "Polygon"
    assert "not closed" in f["geometry_note"].iloc[0]
    assert f["project_id"].iloc[0] == "W1" and f["stage"].iloc[0] == "proposed"
    with pytest.raises(InputError, match="not valid WKT"):
        parse_wkt("POLYGON ((1 2, 3")
    with pytest.raises(InputError, match="Self-intersection"):
        parse_wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))", crs="EPSG:4549")


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>化工项目</name><description>拟建</description>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
119.80,30.00,0 119.81,30.00,0 119.81,30.01,0 119.80,30.01,0 119.80,30.00,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>管线</name><LineString><coordinates>119.80,30.0 119.82,30.02</coordinates>
</LineString></Placemark>
</Document></kml>
"""


def test_kml(tmp_path):
    path = tmp_path / "site.kml"
    path.write_text(KML, encoding="utf-8")
    f = read_projects(path, facts={"stage": "proposed"})
    assert len(f) == 2
    assert f["name"].tolist() == ["化工项目", "管线"]
    assert f.geometry.geom_type.tolist() == ["Polygon", "LineString"]
    assert not f.geometry.has_z.any()
    assert f["project_id"].tolist() == ["P1", "P2"]
    assert (f["stage"] == "proposed").all()


def test_zipped_shapefile_and_text_file(tmp_path):
    frame = gpd.GeoDataFrame(
        {"project_id": ["A", "B"], "sector": ["2614", "3981"], "nox_t": [1.5, None]},
        geometry=[box(500000, 3300000, 500100, 3300100), Point(500500, 3300500)],
        crs="EPSG:4549",
    )
    frame.iloc[:1].to_file(tmp_path / "a.shp")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            if (tmp_path / f"a.{ext}").exists():
                zf.write(tmp_path / f"a.{ext}", f"a.{ext}")
    f = read_projects(tmp_path / "a.zip")
    assert f["project_id"].tolist() == ["A"]
    assert f.crs.to_epsg() == 4549
    (tmp_path / "site.txt").write_text(
        "119.80,30.00\n119.81,30.00\n119.81,30.01\n119.80,30.00\n", "gbk"
    )
    t = read_projects(tmp_path / "site.txt", facts={"nox_t": 2})
    assert t["project_id"].iloc[0] == "site" and t["nox_t"].iloc[0] == 2.0


def test_non_numeric_fact_is_a_schema_error():
    with pytest.raises(SchemaError, match="nox_t"):
        parse_wkt("POINT (119.8 30)", facts={"nox_t": "lots"})


def test_invalid_polygon_in_a_file(tmp_path):
    bow = shapely.from_wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))")
    bow = shapely.affinity.translate(bow, 480000, 3320000)  # in EPSG:4549's area of use
    gpd.GeoDataFrame({"project_id": ["X"]}, geometry=[bow], crs="EPSG:4549").to_file(
        tmp_path / "bow.geojson"
    )
    with pytest.raises(InputError, match=r"row 1 \(project X\)"):
        read_projects(tmp_path / "bow.geojson")
    f = read_projects(tmp_path / "bow.geojson", repair=True)
    assert f.geometry.iloc[0].is_valid and "repaired" in f["geometry_note"].iloc[0]
