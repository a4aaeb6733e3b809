"""Export: RFC 7946 GeoJSON checked independently, GeoPackage round trip, atomic writes."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from click.testing import CliRunner
from conftest import make_units
from geojson_pydantic import FeatureCollection
from geojson_rewind import rewind
from shapely.geometry import Polygon, shape

from zoning.cli import main
from zoning.datasets import demo_path
from zoning.errors import CRSError, InputError
from zoning.export.geojson import write_geojson, write_vector
from zoning.export.units import export_units
from zoning.io.coords import convert_geometries
from zoning.io.vector import read_units


def _coords(geom):
    if geom["type"] == "Polygon":
        yield from (pt for ring in geom["coordinates"] for pt in ring)
    elif geom["type"] == "MultiPolygon":
        yield from (pt for poly in geom["coordinates"] for ring in poly for pt in ring)


def check_rfc7946(doc: dict, precision: int) -> None:
    """An RFC 7946 check independent of our writer."""
    FeatureCollection.model_validate(doc)  # structure (geojson-pydantic)
    assert "crs" not in doc  # section 4: no crs member
    assert rewind(copy.deepcopy(doc)) == doc  # winding: exterior CCW, holes CW (geojson-rewind)
    for feat in doc["features"]:
        for lon, lat in _coords(feat["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            for v in (lon, lat):
                assert len(repr(v).split(".")[-1]) <= precision


@pytest.mark.parametrize("precision", [6, 3])
def test_geojson_is_rfc7946(tmp_path, precision):
    units = make_units()
    # a clockwise exterior and a counter-clockwise hole, in a projected CRS
    x, y = 510000, 3300000
    shell = [(x, y), (x, y + 900), (x + 900, y + 900), (x + 900, y)]
    hole = [(x + 100, y + 100), (x + 500, y + 100), (x + 500, y + 500), (x + 100, y + 500)]
    units.loc[len(units)] = {
        **units.iloc[0].to_dict(),
        "code": "ZH33990110099",
        "geometry": Polygon(shell, [hole]),
    }
    assert not units.geometry.iloc[-1].exterior.is_ccw
    out = export_units(units, tmp_path / "u.geojson", precision=precision)
    doc = json.loads(out.read_text(encoding="utf-8"))
    check_rfc7946(doc, precision)
    assert len(doc["features"]) == len(units)
    props = doc["features"][0]["properties"]
    assert props["code"] == "ZH33990110001" and props["class_zh"] == "优先保护单元"
    assert props["area_km2"] == pytest.approx(1.0, rel=5e-3)  # 1 km² in EPSG:6933
    assert doc["metadata"]["crs"].startswith("EPSG:4326")


def test_geopackage_round_trip(tmp_path):
    units = make_units()
    path = export_units(units, tmp_path / "u.gpkg")
    back = read_units(path)
    assert back.crs.equals(units.crs)
    assert list(back["code"]) == list(units["code"])
    assert back.geometry.area.sum() == pytest.approx(units.geometry.area.sum())


def test_unknown_extension_and_no_partial_file(tmp_path):
    with pytest.raises(ValueError, match=r"extension '\.xyz'"):
        write_vector(make_units(), tmp_path / "u.xyz")
    bad = make_units().set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="no CRS"):
        write_geojson(bad, tmp_path / "bad.geojson")
    assert list(tmp_path.iterdir()) == []


def test_cli_export(tmp_path):
    src = tmp_path / "in.gpkg"
    make_units().to_file(src)
    out = tmp_path / "out.geojson"
    res = CliRunner().invoke(main, ["export", str(src), "--out", str(out), "--precision", "5"])
    assert res.exit_code == 0, res.output
    check_rfc7946(json.loads(out.read_text(encoding="utf-8")), 5)


def test_cli_export_refuses_broken_geometry(tmp_path):
    units = make_units()
    x, y = 500000, 3300000
    units.loc[4, "geometry"] = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    src = tmp_path / "in.gpkg"
    units.to_file(src)
    out = tmp_path / "out.geojson"
    res = CliRunner().invoke(main, ["export", str(src), "--out", str(out)])
    assert res.exit_code == 2
    assert "in.gpkg" in res.output and "row 5" in res.output and "Fix:" in res.output
    assert "Self-intersection" in res.output
    assert not out.exists()


def test_csv_metadata_goes_to_a_sidecar(tmp_path):
    out = write_vector(make_units(), tmp_path / "u.csv", metadata={"area_km2": "EPSG:6933"})
    side = json.loads((tmp_path / "u.meta.json").read_text(encoding="utf-8"))
    assert side == {"area_km2": "EPSG:6933"}
    assert "wkt_wgs84" in out.read_text(encoding="utf-8-sig").splitlines()[0]


def test_cli_repair_units_draws_and_exports_a_broken_layer(tmp_path):
    # a published layer with one self-intersection: refused by default, repaired on request
    units = make_units()
    x, y = 501000, 3300000
    units.loc[1, "geometry"] = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    src = tmp_path / "in.gpkg"
    units.to_file(src)
    for cmd, out in (("export", tmp_path / "u.geojson"), ("map", tmp_path / "m.html")):
        res = CliRunner().invoke(main, [cmd, str(src), "--repair-units", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert f"repaired unit {units.code[1]} (row 2)" in res.output
        assert "Self-intersection" in res.output and out.exists()
    doc = json.loads((tmp_path / "u.geojson").read_text(encoding="utf-8"))
    assert len(doc["features"]) == len(units)  # nothing dropped
    fixed = shape(doc["features"][1]["geometry"])
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2


def test_export_keeps_the_layers_own_area(tmp_path):
    units = make_units().assign(area_km2=[1.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    export_units(units, tmp_path / "u.geojson")
    props = [f["properties"] for f in json.loads((tmp_path / "u.geojson").read_text())["features"]]
    assert props[0]["area_km2_source"] == 1.5  # the user's value, untouched
    assert props[0]["area_km2"] == pytest.approx(1.0, rel=5e-3)  # computed in EPSG:6933


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_units_in_gcj02_are_converted(tmp_path):
    units = make_units().to_crs("EPSG:4326")
    gcj = units.copy()
    gcj["geometry"] = convert_geometries(units.geometry.values, "wgs84", "gcj02")
    gcj.set_crs(None, allow_override=True).to_file(tmp_path / "gcj.geojson")  # DataV style
    back = read_units(tmp_path / "gcj.geojson", coords="gcj02")
    assert back.crs == "EPSG:4326" and back.attrs["converted_from"] == "gcj02"
    # the GCJ-02 offset here is ~500 m; back to WGS 84 within 1e-7 degrees (~1 cm)
    assert shapely.hausdorff_distance(gcj.geometry.values, units.geometry.values).min() > 1e-3
    assert shapely.hausdorff_distance(back.geometry.values, units.geometry.values).max() < 1e-7
    out = tmp_path / "u.geojson"
    res = CliRunner().invoke(
        main,
        ["export", str(tmp_path / "gcj.geojson"), "--units-coords", "gcj02", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    with pytest.raises(CRSError, match="need longitude/latitude"):
        read_units(_projected(tmp_path), coords="gcj02")


def _projected(tmp_path):
    make_units().to_file(tmp_path / "proj.gpkg")
    return tmp_path / "proj.gpkg"


def test_repair_refuses_a_unit_that_collapses_and_coords_need_units(tmp_path):
    units = make_units()
    units.loc[2, "geometry"] = Polygon([(502000, 3300000), (502500, 3300000), (503000, 3300000)])
    units.to_file(tmp_path / "flat.gpkg")
    out = tmp_path / "u.geojson"
    res = CliRunner().invoke(
        main, ["export", str(tmp_path / "flat.gpkg"), "--repair-units", "--out", str(out)]
    )
    assert res.exit_code == 2, res.output
    assert "no area left once repaired (rows 3)" in res.output and "Fix:" in res.output
    assert not out.exists()
    res = CliRunner().invoke(main, ["export", "--units-coords", "gcj02", "--out", str(out)])
    assert res.exit_code == 2 and "without --units" in res.output


def test_output_to_a_special_file_writes_into_it_and_never_replaces_it(tmp_path):
    # `--out /dev/null` (or a named pipe) must not be swapped for a regular file
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe.geojson"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    res = CliRunner().invoke(main, ["export", "--out", str(fifo)])
    reader.join(timeout=30)
    assert res.exit_code == 0, res.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe
    assert json.loads(got[0])["type"] == "FeatureCollection"
    # a folder output onto a file, and a file output onto a folder: clear errors
    (tmp_path / "d.geojson").mkdir()
    res = CliRunner().invoke(main, ["export", "--out", str(tmp_path / "d.geojson")])
    assert res.exit_code == 2 and "is a folder" in res.output
    (tmp_path / "f.txt").write_text("x")
    fac = str(demo_path("facilities.gpkg"))
    res = CliRunner().invoke(main, ["conflicts", "-f", fac, "--out", str(tmp_path / "f.txt")])
    assert res.exit_code == 2 and "must be a folder" in res.output
    assert (tmp_path / "f.txt").read_text() == "x"


def _one_bow_tie():
    units = make_units()
    x, y = 501000, 3300000
    units.loc[1, "geometry"] = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    return units


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_export_units_refuses_invalid_units_as_the_cli_does(tmp_path, suffix):
    out = tmp_path / f"u.{suffix}"
    with pytest.raises(InputError, match=r"row 2.*Self-intersection|Self-intersection.*row 2"):
        export_units(_one_bow_tie(), out, source="in.gpkg")
    assert not out.exists()
    missing = make_units()
    missing.loc[3, "geometry"] = None
    with pytest.raises(InputError, match="no geometry"):
        export_units(missing, out)
    assert not out.exists()


def test_export_units_repair_mirrors_repair_units(tmp_path, caplog):
    units = _one_bow_tie()
    out = export_units(units, tmp_path / "u.geojson", repair=True, source="in.gpkg")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == len(units)
    fixed = shape(doc["features"][1]["geometry"])
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    assert f"repaired unit {units.code[1]} (row 2) of in.gpkg" in caplog.text
    assert not units.geometry.iloc[1].is_valid  # the caller's frame is not changed


def test_an_output_given_as_a_symlink_replaces_its_target_not_the_link(tmp_path):
    from zoning.export._atomic import atomic_dir, atomic_file

    target = tmp_path / "real" / "out.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with atomic_file(link) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"
    # a folder given as a link: the files land in its target, the link stays
    folder = tmp_path / "real_dir"
    folder.mkdir()
    dlink = tmp_path / "dlink"
    dlink.symlink_to(folder, target_is_directory=True)
    with atomic_dir(dlink) as tmp:
        (tmp / "a.txt").write_text("a", encoding="utf-8")
    assert dlink.is_symlink() and (folder / "a.txt").read_text(encoding="utf-8") == "a"
