"""read_facilities on bad input: empty files, swapped columns, field mapping, encodings,
row numbers.  Tiny synthetic files only."""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import Point

from zoning.cli import main
from zoning.conflicts import conflicts
from zoning.errors import DataSourceError, SchemaError
from zoning.io.facilities import normalise_tags, read_facilities
from zoning.rules import parse_rules
from zoning.rules.engine import _parse_tags

X0, Y0 = 500000.0, 3300000.0

RULES = """\
version: 1
rules:
  - id: COAL-01
    dimension: spatial
    clause: {zh: 禁止新建燃煤电厂, en: No new coal plants}
    message: {zh: 燃煤电厂, en: Coal plant}
    outcome: prohibited
    when: {tags: coal}
"""


def lonlat(x, y):
    p = gpd.GeoSeries([Point(X0 + x, Y0 + y)], crs="EPSG:4549").to_crs("EPSG:4326")
    return float(p.x[0]), float(p.y[0])


@pytest.fixture
def env(tmp_path):
    """A units file (six 1 km squares near 120 E, 29.8 N) and a one-rule rule file."""
    make_units().to_crs("EPSG:4490").to_file(tmp_path / "units.gpkg")
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    return tmp_path


def run_cli(env, facilities, *extra):
    out = env / "out"
    res = CliRunner().invoke(
        main,
        [
            "conflicts",
            "-f",
            str(facilities),
            "--rules",
            str(env / "rules.yaml"),
            "-u",
            str(env / "units.gpkg"),
            "-o",
            str(out),
            *extra,
        ],
    )
    return res, out


def points_csv(path, n=4, swapped=0):
    """n facilities inside the units; the last ``swapped`` rows have lat, lon swapped."""
    rows = []
    for i in range(n):
        lon, lat = lonlat(200 + 500 * (i % 6), 500)
        if i >= n - swapped:
            lon, lat = lat, lon
        rows.append({"Name": f"P{i + 1}", "Fuel": "Coal", "Longitude": lon, "Latitude": lat})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# ------------------------------------------------------------ 1. empty inputs


def test_empty_csv_is_one_line_exit_2(env):
    empty = env / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match="empty") as info:
        read_facilities(empty)
    assert info.value.source == str(empty) and info.value.fix
    res, out = run_cli(env, empty)
    assert res.exit_code == 2, res.output
    assert "empty.csv" in res.output and "Traceback" not in res.output
    assert "EmptyDataError" not in res.output
    assert not out.exists()


def test_header_only_csv_is_an_error(env):
    path = env / "header.csv"
    path.write_text("Name,Fuel,Longitude,Latitude\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="has no rows"):
        read_facilities(path)
    res, out = run_cli(env, path)
    assert res.exit_code == 2, res.output
    assert "has no rows" in res.output and "check the export" in res.output
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_empty_layer_is_an_error(env, suffix):
    path = env / f"empty{suffix}"
    gpd.GeoDataFrame({"facility_id": []}, geometry=[], crs="EPSG:4326").to_file(path)
    with pytest.raises(DataSourceError, match="empty"):
        read_facilities(path)
    res, out = run_cli(env, path)
    assert res.exit_code == 2 and path.name in res.output
    assert not out.exists()


# ------------------------------------------------------------ 2. swapped columns


def test_swapped_columns_exit_2_naming_both(env):
    path = points_csv(env / "f.csv", n=4)
    res, out = run_cli(env, path, "--lon-col", "Latitude", "--lat-col", "Longitude")
    assert res.exit_code == 2, res.output
    assert "4 of 4 rows" in res.output
    assert "'Latitude'" in res.output and "'Longitude'" in res.output
    assert "--lon-col 'Longitude' --lat-col 'Latitude'" in res.output
    assert not out.exists()
    res, out = run_cli(env, path, "--lon-col", "Longitude", "--lat-col", "Latitude")
    assert res.exit_code == 0, res.output
    assert out.exists()


def test_more_than_half_swapped_is_an_error(tmp_path):
    path = points_csv(tmp_path / "f.csv", n=5, swapped=3)
    with pytest.raises(SchemaError, match="look swapped") as info:
        read_facilities(path)
    assert "3 of 5 rows" in str(info.value) and "first: row 3" in str(info.value)


def test_a_few_swapped_rows_are_only_flagged(tmp_path):
    # exactly half is not "more than half": the rows are kept and flagged
    f = read_facilities(points_csv(tmp_path / "f.csv", n=4, swapped=2))
    assert len(f) == 4
    assert f.coord_problem.isna().tolist() == [True, True, False, False]
    assert all("columns swapped?" in p for p in f.coord_problem[2:])


def test_rows_without_coordinates_do_not_count_for_swapping(tmp_path):
    lon, lat = lonlat(500, 500)
    pd.DataFrame(
        {"lon": [lat, None, None, "x"], "lat": [lon, None, None, "y"]}  # 1 of 1 usable
    ).to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(SchemaError, match="1 of 1 rows"):
        read_facilities(tmp_path / "f.csv")


# ------------------------------------------------------------ 3. field mapping


def plants_csv(path):
    lon, lat = lonlat(500, 500)
    pd.DataFrame(
        {
            "Plant ID": ["A7", "B8", "C9"],
            "Name": ["Coal plant", "Gas plant", "Mixed"],
            "Fuel": ["Coal", "Natural Gas", " GAS; coal "],
            "Capacity (MW)": ["600", "300.5", ""],
            "name": ["煤电", "气电", "混合"],
            "Longitude": [lon] * 3,
            "Latitude": [lat] * 3,
        }
    ).to_csv(path, index=False)
    return path


def test_fields_map_source_columns(tmp_path):
    f = read_facilities(
        plants_csv(tmp_path / "p.csv"),
        fields={
            "facility_id": "Plant ID",
            "name": "Name",
            "tags": "fuel",  # case-insensitive
            "capacity": "Capacity (MW)",
        },
    )
    assert f.facility_id.tolist() == ["A7", "B8", "C9"]
    assert f.name.tolist() == ["Coal plant", "Gas plant", "Mixed"]
    assert f.name_source.tolist() == ["煤电", "气电", "混合"]  # the clashing column is kept
    assert f.tags.tolist() == ["coal", "natural_gas", "gas,coal"]
    assert f.capacity.dtype.kind == "f" and f.capacity.tolist()[:2] == [600.0, 300.5]
    assert pd.isna(f.capacity[2])
    assert "Fuel" not in f.columns and "Capacity (MW)" not in f.columns


def test_mapped_tags_match_lower_case_rules(tmp_path):
    units = make_units()
    f = read_facilities(plants_csv(tmp_path / "p.csv"), fields={"tags": "Fuel"})
    out = conflicts(units, f, parse_rules(RULES, source="rules.yaml"))
    assert out.status.tolist() == ["conflict", "ok", "conflict"]
    assert out.facility_id.tolist() == ["A7", "B8", "C9"]  # the obvious id column "Plant ID"


def test_one_source_column_for_two_fields(tmp_path):
    f = read_facilities(plants_csv(tmp_path / "p.csv"), fields={"name": "Name", "name_en": "Name"})
    assert f.name.tolist() == f.name_en.tolist() == ["Coal plant", "Gas plant", "Mixed"]


def test_unknown_canonical_name_lists_the_valid_ones(tmp_path):
    with pytest.raises(SchemaError) as info:
        read_facilities(plants_csv(tmp_path / "p.csv"), fields={"energy": "Fuel"})
    msg = str(info.value)
    assert info.value.field == "energy" and "did you mean 'energy_tce'" in msg
    for name in ("facility_id", "sector", "stage", "capacity", "nox_t", "co2_t", "tags"):
        assert name in msg


def test_missing_source_column_is_named(tmp_path):
    with pytest.raises(SchemaError, match="'Fule' \\(for 'tags'\\) is not in the file") as info:
        read_facilities(plants_csv(tmp_path / "p.csv"), fields={"tags": "Fule"})
    assert info.value.field == "Fule" and "Capacity (MW)" in str(info.value)


def test_fields_are_applied_to_vector_layers(tmp_path):
    lon, lat = lonlat(500, 500)
    gpd.GeoDataFrame(
        {"ID": ["x1"], "Fuel": ["Coal"]}, geometry=[Point(lon, lat)], crs="EPSG:4326"
    ).to_file(tmp_path / "f.gpkg")
    f = read_facilities(tmp_path / "f.gpkg", fields={"facility_id": "ID", "tags": "Fuel"})
    assert f.facility_id.tolist() == ["x1"] and f.tags.tolist() == ["coal"]
    with pytest.raises(SchemaError, match="'Fule'") as info:
        read_facilities(tmp_path / "f.gpkg", fields={"tags": "Fule"})
    assert "['ID', 'Fuel']" in str(info.value)  # the geometry column is not offered


@pytest.mark.parametrize(
    "raw", ["Coal", "two_high; VOCs", "a,,b", "煤炭、钢铁", "Coal Mine Methane", "", "x|X|x"]
)
def test_normalised_tags_read_the_same_to_the_rules(raw):
    norm = normalise_tags(pd.Series([raw, None]))
    assert norm[0] == norm[0].lower() and pd.isna(norm[1])
    assert _parse_tags(norm[0]) == _parse_tags(raw)
    assert len(norm[0].split(",")) == len(_parse_tags(raw)) or raw == ""


def test_tag_lists_are_joined():
    norm = normalise_tags(pd.Series([["Coal", "two_high"], None, "Gas"], dtype=object))
    assert norm.tolist() == ["coal,two_high", None, "gas"]


# ------------------------------------------------------------ 4. encodings


def test_latin1_with_cr_endings_suggests_encodings(env):
    path = env / "eprtr.csv"
    lon, lat = lonlat(500, 500)
    path.write_bytes(f"Name,Lat,Long\rUsine Génération,{lat},{lon}\r".encode("latin-1"))
    with pytest.raises(DataSourceError) as info:
        read_facilities(path)
    msg = str(info.value)
    assert info.value.line == 2 and "0xe9" in msg and "unlikely Chinese" in msg
    for enc in ("gb18030", "cp1252", "latin-1"):
        assert enc in info.value.fix
    assert info.value.fix.index("cp1252") < info.value.fix.index("gb18030")
    assert "decodes as cp1252 and latin-1" in info.value.fix
    res, out = run_cli(env, path)
    assert res.exit_code == 2 and "cp1252" in res.output and not out.exists()
    f = read_facilities(path, encoding="latin-1")
    assert f.Name.tolist() == ["Usine Génération"] and f.coord_problem.isna().all()


def test_neither_utf8_nor_gbk_names_the_line(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"name,lon,lat\r\nok,120,30\r\n\x81 bad,120,30\r\n")
    with pytest.raises(DataSourceError, match="neither UTF-8 nor gbk text") as info:
        read_facilities(path)
    assert info.value.line == 3 and "0x81" in str(info.value)
    assert "gb18030" in info.value.fix


def test_gbk_is_still_found_automatically(tmp_path):
    lon, lat = lonlat(500, 500)
    names = ["华能国际电力股份有限公司燃煤发电厂", "臺灣電力公司興達發電廠", "Café 咖啡"]
    table = pd.DataFrame({"名称": names, "经度": [lon] * 3, "纬度": [lat] * 3})
    table.to_csv(tmp_path / "f.csv", index=False, encoding="gbk")
    f = read_facilities(tmp_path / "f.csv")
    assert f["名称"].tolist() == names and f.coord_problem.isna().all()


def test_unknown_encoding_name_is_an_input_error(tmp_path):
    path = points_csv(tmp_path / "f.csv", n=1)
    with pytest.raises(DataSourceError, match="not a known text encoding"):
        read_facilities(path, encoding="latin-9000")


# ------------------------------------------------------------ 5. row numbers


def test_rows_in_messages_are_1_based_like_the_ids(tmp_path, caplog):
    lon, lat = lonlat(500, 500)
    pd.DataFrame({"lon": [lon, lon, None, lon], "lat": [lat, lat, lat, lat]}).to_csv(
        tmp_path / "f.csv", index=False
    )
    with caplog.at_level(logging.WARNING, logger="zoning.io.facilities"):
        f = read_facilities(tmp_path / "f.csv")
    assert "first: row 3," in caplog.text
    out = conflicts(make_units(), f, parse_rules(RULES, source="rules.yaml"))
    assert out.facility_id[2] == "F3" and out.status[2] == "invalid"


def test_tags_with_spaces_stay_one_tag():
    # "Coal Mine Methane" is not coal: a rule `tags: coal` must not catch it
    from zoning.rules.engine import split_tags

    assert split_tags("Coal Mine Methane") == ["coal_mine_methane"]
    assert split_tags(" Coal ;two_high、VOCs |coal") == ["coal", "two_high", "vocs"]
    assert split_tags("") == []
