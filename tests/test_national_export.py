"""The filing package (`zoning export --schema national`) and `--to-crs`."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from zoning.cli import main
from zoning.errors import InputError
from zoning.export.national import DBF_LIMIT, write_national
from zoning.io.national import read_national
from zoning.validate import normalise_units

LONG = "".join(
    f"{k}. 禁止新建、扩建排放重金属污染物的建设项目，现有企业限期搬迁（第{k}条）。"
    for k in range(1, 61)
)
COMPARED = ["code", "name", "prov", "city", "county", "unit_class", "element", "subtype",
            "access_spatial", "access_emission", "access_risk", "access_resource"]  # fmt: skip


@pytest.fixture
def units():
    rows = []
    for k, (cls, elem) in enumerate([(1, "ecological"), (2, "air"), (3, "comprehensive")]):
        rows.append(
            {
                "code": f"ZH339901{cls}{k + 1:04d}",
                "name": f"青溪县测试{k + 1}号单元",
                "prov": "浙江省",
                "city": "青州市",
                "county": "青溪县",
                "unit_class": cls,
                "element": elem,
                "subtype": "red_line" if cls == 1 else "general",
                "access_spatial": LONG if k == 0 else "1. 禁止新建化工项目。",
                "access_emission": "1. 污染物排放总量控制（NOx、VOCs）。",
                "access_risk": "1. 建立应急预案。" if k != 2 else None,
                "access_resource": "1. 严格用水总量控制。",
                "geometry": box(120 + k * 0.01, 30, 120 + (k + 1) * 0.01, 30.01),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4490")


def _same(a, b):
    a, b = normalise_units(a), normalise_units(b)
    for col in COMPARED:
        left = [None if pd.isna(v) else v for v in a[col].tolist()]
        right = [None if pd.isna(v) else v for v in b[col].tolist()]
        if col == "unit_class":
            left, right = [int(v) for v in left], [int(v) for v in right]
        assert left == right, col
    ga = shapely.normalize(a.geometry.values)
    gb = shapely.normalize(b.to_crs(a.crs).geometry.values)
    assert shapely.equals_exact(ga, gb, 1e-9).all()  # the same vertices (ring order aside)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_round_trip_with_side_table(tmp_path, units, encoding):
    assert len(LONG) > 2000
    paths = write_national(units, tmp_path / "pkg", encoding=encoding)
    shp = paths["shapefile"]
    assert (tmp_path / "pkg" / "units.cpg").read_text().strip().upper() == encoding.upper()
    raw = pyogrio.read_dataframe(shp)  # the .cpg tells GDAL the encoding
    assert list(raw.columns[:-1]) == ["HJZHGKDYBM", "HJZHGKDYMC", "PROV", "CITY", "AREA", "ZHGKDYFL",
                                      "HJYS", "YSXL", "KJBJYS", "PWWPFGK", "HJFXFK", "ZYKFXLYQ"]  # fmt: skip
    assert raw["ZHGKDYFL"].tolist() == ["优先保护单元", "重点管控单元", "一般管控单元"]
    assert raw["KJBJYS"].iloc[0].startswith("见附表 units_long_text.csv")
    side = pd.read_csv(paths["side table"], encoding="utf-8-sig")
    assert side[["HJZHGKDYBM", "field"]].values.tolist() == [["ZH33990110001", "KJBJYS"]]
    assert side["text"].iloc[0] == LONG  # whole, not cut
    _same(units, read_national(tmp_path / "pkg"))


def test_field_widths_are_what_the_data_need(tmp_path, units):
    write_national(units, tmp_path / "pkg", encoding="gbk")
    info = {}
    with open(tmp_path / "pkg" / "units.dbf", "rb") as fh:
        head = fh.read(32 + 32 * 12)
    for k in range(12):
        d = head[32 + 32 * k : 64 + 32 * k]
        info[d[:11].rstrip(b"\0").decode()] = d[16]
    # 12 Chinese characters in GBK are 24 bytes; no field is wider than the dBase limit
    assert info["HJZHGKDYMC"] == len("青溪县测试1号单元".encode("gbk"))
    assert info["ZHGKDYFL"] == 12
    assert max(info.values()) <= DBF_LIMIT


def test_zip_and_gauss_kruger(tmp_path, units):
    out = tmp_path / "filing.zip"
    write_national(units, out, to_crs="EPSG:4549")
    names = zipfile.ZipFile(out).namelist()
    assert {"units.shp", "units.dbf", "units.cpg", "units.prj", "units_long_text.csv"} <= set(names)
    back = read_national(out)
    assert back.crs.to_epsg() == 4549
    _same(units, back.to_crs(4490))


def test_refusals(tmp_path, units):
    with pytest.raises(InputError, match="CGCS2000"):
        write_national(units, tmp_path / "a", to_crs="EPSG:3857")
    odd = units.copy()
    odd.loc[1, "name"] = "单元\U0001f600"
    with pytest.raises(InputError, match="cannot be written in GBK") as exc:
        write_national(odd, tmp_path / "b")
    assert exc.value.row == 2 and exc.value.field == "name"
    assert not (tmp_path / "b").exists()
    write_national(odd, tmp_path / "c", encoding="utf-8")  # UTF-8 writes it


def test_cli_export_national_and_to_crs(tmp_path, units):
    units.to_file(tmp_path / "u.gpkg")
    res = CliRunner().invoke(main, ["export", str(tmp_path / "u.gpkg"), "--schema", "national",
                                    "--out", str(tmp_path / "pkg")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "side table" in res.output
    _same(units, read_national(tmp_path / "pkg"))
    res = CliRunner().invoke(main, ["export", str(tmp_path / "u.gpkg"), "--to-crs", "EPSG:4549",
                                    "--out", str(tmp_path / "gk.gpkg")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert gpd.read_file(tmp_path / "gk.gpkg").crs.to_epsg() == 4549
    res = CliRunner().invoke(main, ["export", str(tmp_path / "u.gpkg"), "--to-crs", "EPSG:4549",
                                    "--out", str(tmp_path / "x.geojson")])  # fmt: skip
    assert res.exit_code == 2 and "RFC 7946" in res.output
    assert not (tmp_path / "x.geojson").exists()
