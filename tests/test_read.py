"""Reading unit layers: formats, field mappings, encodings, CRS."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
from conftest import make_units

from zoning.errors import CRSError, DataSourceError, SchemaError
from zoning.io.vector import read_units, read_vector


def _write(frame: gpd.GeoDataFrame, path, fmt: str, encoding: str | None = None):
    if fmt == "shp":  # shapefile field names have at most 10 characters
        frame = frame[["code", "name", "unit_class", "element", "geometry"]]
    if fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "shp":
        frame.to_file(
            path,
            driver="ESRI Shapefile",
            engine="pyogrio",
            **({"encoding": encoding} if encoding else {}),
        )
    else:
        frame.to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt], engine="pyogrio")
    return path


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "parquet"])
def test_read_units_every_format(tmp_path, fmt):
    units = make_units()
    path = _write(units, tmp_path / f"units.{fmt}", fmt)
    got = read_units(path)
    assert list(got["code"]) == list(units["code"])
    assert got.crs.equals(units.crs)
    assert list(got["name"]) == list(units["name"])  # Chinese text survives
    assert got.geometry.area.sum() == pytest.approx(units.geometry.area.sum())


def test_read_zipped_shapefile(tmp_path):
    units = make_units()
    shp = _write(units, tmp_path / "units.shp", "shp")
    archive = tmp_path / "units.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("units.*"):
            if part.suffix != ".zip":
                zf.write(part, f"folder/{part.name}")
    shp.unlink()
    got = read_units(archive)
    assert len(got) == len(units)
    assert got.loc[0, "name"] == "单元1"


@pytest.mark.parametrize("with_cpg", [True, False])
def test_gbk_shapefile(tmp_path, with_cpg):
    units = make_units()
    path = _write(units, tmp_path / "gbk.shp", "shp", encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if with_cpg:
        cpg.write_text("GBK")
    elif cpg.exists():
        cpg.unlink()
    got = read_units(path)  # without .cpg: UTF-8 fails, GBK is tried
    assert got.loc[0, "name"] == "单元1"
    assert got.loc[4, "name"] == "单元5"


def test_gbk_shapefile_with_explicit_encoding(tmp_path):
    path = _write(make_units(), tmp_path / "gbk.shp", "shp", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert read_units(path, encoding="gbk").loc[1, "name"] == "单元2"


def test_utf8_shapefile(tmp_path):
    path = _write(make_units(), tmp_path / "utf8.shp", "shp", encoding="UTF-8")
    assert read_units(path).loc[2, "name"] == "单元3"


def test_missing_crs_is_an_error_unless_named(tmp_path):
    units = make_units()
    path = _write(units, tmp_path / "nocrs.shp", "shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"nocrs\.shp.*declares no coordinate reference.*--crs"):
        read_units(path)
    got = read_units(path, assume_crs="EPSG:4549")
    assert got.crs.to_epsg() == 4549


def test_published_field_names_are_mapped(tmp_path):
    units = make_units().rename(
        columns={
            "code": "HJZHGKDYBM",
            "name": "HJZHGKDYMC",
            "unit_class": "ZHGKDYFL",
            "element": "HJYS",
            "access_spatial": "KJBJYS",
        }
    )
    units["ZHGKDYFL"] = units["ZHGKDYFL"].map(
        {1: "优先保护单元", 2: "重点管控单元", 3: "一般管控单元"}
    )
    got = read_units(_write(units, tmp_path / "pub.gpkg", "gpkg"))
    assert {"code", "name", "unit_class", "element", "access_spatial"} <= set(got.columns)
    assert got.loc[0, "unit_class"] == "优先保护单元"


def test_user_field_mapping(tmp_path):
    units = make_units().rename(columns={"code": "DYBM", "unit_class": "FL"})
    path = _write(units, tmp_path / "custom.geojson", "geojson")
    with pytest.raises(SchemaError, match=r"required unit field.*code.*`fields`") as err:
        read_units(path)
    assert "--" not in str(err.value)
    from click.testing import CliRunner

    from zoning.cli import main
    from zoning.datasets import demo_path

    fix = "map them with --units-field, e.g. code=DYBM"
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and fix in res.output, res.output
    # conflicts maps `fields` of the facilities onto --facilities-field: a units file's
    # error still names the units' flag
    res = CliRunner().invoke(main, ["conflicts", "--units", str(path), "--rules",
                                    str(demo_path("rules.yaml")), "--facilities", str(path),
                                    "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and fix in res.output, res.output
    got = read_units(path, fields={"code": "DYBM", "unit_class": "FL"})
    assert got.loc[0, "code"] == "ZH33990110001"
    with pytest.raises(SchemaError, match="NOPE"):
        read_units(path, fields={"code": "NOPE"})


def test_missing_file_and_empty_layer(tmp_path):
    with pytest.raises(DataSourceError, match="file not found"):
        read_vector(tmp_path / "missing.gpkg")
    empty = make_units().iloc[:0]
    path = _write(empty, tmp_path / "empty.gpkg", "gpkg")
    with pytest.raises(DataSourceError, match="empty"):
        read_vector(path)
    assert len(read_vector(path, allow_empty=True)) == 0


def test_mapping_onto_an_existing_column_replaces_it(tmp_path):
    units = make_units()
    units["DYBM"] = units["code"]
    units["code"] = "old"
    path = tmp_path / "both.gpkg"
    units.to_file(path)
    got = read_units(path, fields={"code": "DYBM"})
    assert list(got["code"]) == list(units["DYBM"])
    assert set(got["code_source"]) == {"old"}
