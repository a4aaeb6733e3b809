"""The whole-array paths of the conflicts run write what the one-by-one paths wrote."""

from __future__ import annotations

import filecmp

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from zoning.export._mapassets import _encode_geometries, _encode_geometry, _jsval, _jsvals
from zoning.export.geojson import _csv_wkt, _float_text, _for_arrow, write_geojson
from zoning.io._csv import to_numbers


def _shapes():
    rng = np.random.default_rng(3)
    holed = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)], [[(1, 1), (2, 1), (2, 2)], [(5, 5), (6, 5), (6, 6)]]
    )
    return [
        shapely.Point(1.1234567, 2.5),
        shapely.MultiPoint([(3, 4), (5, 6)]),
        shapely.box(0, 0, 1, 1),
        holed,
        shapely.MultiPolygon([shapely.box(20, 20, 21, 21), holed]),
        shapely.LineString([(0, 0), (1, 1), (2, 0.5)]),
        shapely.MultiLineString([[(0, 0), (1, 1)], [(5, 5), (6, 6), (7, 7)]]),
        shapely.GeometryCollection([shapely.box(0, 0, 1, 1)]),
        shapely.Point(1, 2, 3),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.Polygon()]),
        *shapely.buffer(shapely.points(rng.random((50, 2)) * 100), rng.random(50) * 3 + 0.1),
    ]


@pytest.mark.parametrize("scale", [1e5, 1e6])
def test_map_geometries_encoded_in_whole_arrays_as_one_by_one(scale):
    shapes = _shapes()
    kinds, encoded = _encode_geometries(np.array(shapes, dtype=object), scale)
    expected = [_encode_geometry(g, scale) for g in shapes]
    assert kinds == [k for k, _ in expected]
    assert encoded == [e for _, e in expected]
    assert _encode_geometries(np.array([], dtype=object), scale) == ([], [])


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.123456789, np.nan, np.inf, 2.0]),
        pd.Series([1, 2, 3]),
        pd.Series([True, False]),
        pd.Series(["a", None, np.nan, "b"], dtype=object),
        pd.Series(["a", None, "c"], dtype="str"),
        pd.Series(["a", None], dtype="string"),
        pd.Series([1, None], dtype="Int64"),
        pd.Series([None, None]),
        pd.Series(["x", 1, 2.5], dtype=object),
        pd.Series(pd.to_datetime(["2020-01-01", None])),
        pd.Series([True, None], dtype="boolean"),
    ],
)
def test_map_values_of_a_column_as_one_by_one(column):
    fast, slow = _jsvals(column), [_jsval(v) for v in column.tolist()]
    assert fast == slow
    assert [type(v) for v in fast] == [type(v) for v in slow]


@pytest.mark.parametrize(
    "values",
    [
        ["1.5", "2"],
        ["1", "2"],
        ["1", None],
        ["x", "1"],
        ["nan", "1"],
        [" 1", "2"],
        ["007", "+5", "-3"],
        ["1.", ".5", "-2.5e-3", "1E5"],
        ["99999999999999999999", "1"],
        ["-0.0", "1"],
        ["1,5"],
        ["０x10"],
        [None, None],
        ["", "1"],
        ["1e5e5", "1"],
        ["+-1", "2"],
        ["1.5.", "2"],
        ["e5", "."],
        ["-", "1"],
        ["1-2", "3"],
        ["+5", "3"],
        ["0x1F", "2"],
        ["1E+05", ".5e-3", "5.", "+.5"],
        ["123456789012345678901234567890.5", "0.1"],
    ],
)
def test_numbers_from_text_as_pandas_reads_them(values):
    text = pd.Series(values, dtype="str")
    expected = pd.to_numeric(text, errors="coerce")
    got = to_numbers(text)
    assert got.dtype == expected.dtype
    pd.testing.assert_series_equal(got, expected)
    assert np.array_equal(np.signbit(got.to_numpy(float)), np.signbit(expected.to_numpy(float)))


def test_csv_floats_are_the_text_to_csv_writes(tmp_path, monkeypatch):
    import zoning.export._csvtext as csvtext

    monkeypatch.setattr(csvtext, "CHUNK_ROWS", 1000)  # several chunks
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.lognormal(0, 8, 2000),
            -rng.lognormal(0, 8, 2000),
            [0.0, -0.0, 1e16, 1e-5, 5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan],
        ]
    )
    expected = x.astype(str).astype(object)
    expected[np.isnan(x)] = ""
    assert _float_text(x).tolist() == expected.tolist()
    frame = gpd.GeoDataFrame(
        {"v": x, "s": "a"}, geometry=shapely.points(np.zeros((len(x), 2))), crs="EPSG:4326"
    )
    _csv_wkt(frame, tmp_path / "a.csv", 6)
    plain = pd.DataFrame(frame.drop(columns="geometry"))
    plain["wkt_wgs84"] = shapely.to_wkt(frame.geometry.values, rounding_precision=6)
    plain.to_csv(tmp_path / "b.csv", index=False, encoding="utf-8-sig")
    assert filecmp.cmp(tmp_path / "a.csv", tmp_path / "b.csv", shallow=False)


def test_geojson_through_arrow_is_the_same_bytes(tmp_path):
    import pyogrio

    frame = gpd.GeoDataFrame(
        {
            "b": [True, False, True],
            "i": np.array([1, 2, 3]),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "f": [1.5, np.nan, 1e-7],
            "s": ["a", None, "中文"],
            "e": [None] * 3,
            "t": pd.array(["x", None, "y"], dtype="string"),
            "u": pd.Series(["p", None, "q"], dtype="str"),
        },
        geometry=[shapely.Point(1, 2), None, shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )
    assert _for_arrow(frame) is not None
    assert _for_arrow(frame.assign(m=["a", 1, None])) is None  # mixed: the feature path
    assert _for_arrow(frame.assign(B=1)) is None  # 'b' and 'B': GDAL's names are case-blind
    write_geojson(frame, tmp_path / "a.geojson")
    options = {"RFC7946": "YES", "WRITE_NAME": "NO", "WRITE_BBOX": "NO"}
    pyogrio.write_dataframe(
        frame.assign(geometry=shapely.orient_polygons(frame.geometry.values, exterior_cw=False)),
        tmp_path / "b.geojson",
        driver="GeoJSON",
        layer_options=options,
    )
    assert filecmp.cmp(tmp_path / "a.geojson", tmp_path / "b.geojson", shallow=False)


def _csv_as_pandas(frame: pd.DataFrame, tmp_path) -> tuple[bytes, bytes]:
    from zoning.export._csvtext import write_csv_text

    with open(tmp_path / "a.csv", "w", encoding="utf-8-sig", newline="") as fh:
        write_csv_text(frame, fh)
    frame.to_csv(tmp_path / "b.csv", index=False, encoding="utf-8-sig")
    return (tmp_path / "a.csv").read_bytes(), (tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize("rows", [0, 1, 7, 2500])
def test_csv_text_is_the_bytes_to_csv_writes(tmp_path, monkeypatch, rows):
    import zoning.export._csvtext as csvtext

    monkeypatch.setattr(csvtext, "CHUNK_ROWS", 1000)  # several chunks
    rng = np.random.default_rng(rows)
    words = np.array(
        ["a", "", 'say "no"', "x,y", "line\nbreak", "cr\rhere", "中文，全角", " pad ", "a\tb"],
        dtype=object,
    )
    text = words[rng.integers(0, len(words), rows)]
    text[::3] = None
    frame = pd.DataFrame(
        {
            "f": rng.lognormal(0, 9, rows) * np.where(rng.random(rows) < 0.5, -1, 1),
            "round": np.round(rng.normal(0, 1e6, rows)),
            "i": rng.integers(-5, 5, rows),
            "n": pd.Series(rng.integers(0, 9, rows), dtype="Int64").where(
                rng.random(rows) < 0.7, pd.NA
            ),
            "b": rng.random(rows) < 0.5,
            "o": text,
            "e": pd.Series([None] * rows, dtype=object),
            "s": pd.Series(text, dtype="str"),
            "t": pd.Series(text, dtype="string"),
            "q,uoted": "v",
        }
    )
    if rows:
        frame.loc[0, "f"] = np.nan
    a, b = _csv_as_pandas(frame, tmp_path)
    assert a == b
    assert a.startswith(b"\xef\xbb\xbff,round,")


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["x", 1, 2.5], dtype=object),  # mixed objects
        pd.Series(pd.to_datetime(["2020-01-01", None, "2021-05-06"])),
        pd.Series([True, None, False], dtype="boolean"),
        pd.Series([1.5, 2.5, None], dtype="float32"),
        pd.Series(["a", "\ud800", "b"], dtype=object),  # a lone surrogate: to_csv's error
    ],
)
def test_csv_text_of_other_columns_is_to_csv_s(tmp_path, column):
    frame = pd.DataFrame({"k": ["p", "q", "r"], "v": column})
    try:
        a, b = _csv_as_pandas(frame, tmp_path)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            frame.to_csv(tmp_path / "c.csv", index=False, encoding="utf-8-sig")
        return
    assert a == b


def test_csv_text_of_one_column_is_to_csv_s(tmp_path):
    a, b = _csv_as_pandas(pd.DataFrame({"only": ["", "x", None]}), tmp_path)
    assert a == b
    assert b'\n""\n' in a  # csv quotes a row of one empty field


_CSVS = {
    "plain": b"a,b\n1,2\n3,4\n",
    "bom": b"\xef\xbb\xbfa,b\n1,2\n",
    "crlf": b"a,b\r\n1,2\r\n",
    "cr": b"a,b\r1,2\r3,4",
    "blank line": b"a,b\n1,2\n\n3,4\n",
    "line of spaces": b"a,b\n1,2\n   \n3,4\n",
    "fields of spaces": b"a, b\n 1 ,2 \n , \n",
    "longer row": b"a,b\n1,2,3\n",
    "shorter row": b"a,b\n1\n",
    "index column": b"a,b\nx,1,2\n",
    "quoted newline": b'a,b\n"x\ny",2\n',
    "quoted empty": b'a,b\n"",2\n',
    "quotes": b'a,b\n"x,""q""",2\nx"y,3\n',
    "unterminated quote": b'a,b\n"x,2\n',
    "header only": b"a,b\n",
    "repeated names": b"a,a\n1,2\n",
    "empty name": b"a,\n1,2\n",
    "trailing delimiter": b"a,b,\n1,2,\n",
    "quoted header": b'"a","b"\n1,2\n',
    "no final newline": b"a,b\n1,2",
    "na words": b"a,b\nNA,null\nNaN,N/A\n",
    "leading zeros": b"a,b\n00123,1e5\n",
    "one column": b"a\n1\n   \n2\n",
    "not utf-8": b"a,b\n\xff\xfe,2\n",
    "chinese": "经度,纬度,名称\n120.1,30.2,化工厂\n".encode(),
}


@pytest.mark.parametrize("name", sorted(_CSVS))
def test_csv_read_by_arrow_is_the_frame_pandas_reads(tmp_path, name):
    from zoning.io._csv import _read_csv_arrow

    path = tmp_path / "f.csv"
    path.write_bytes(_CSVS[name])
    got = _read_csv_arrow(path, ",", "utf-8-sig")
    if got is None:  # pandas reads it (or words the error)
        return
    expected = pd.read_csv(
        path, sep=",", encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""]
    )
    pd.testing.assert_frame_equal(got, expected)
    assert list(got.columns) == list(expected.columns)


def test_csv_read_by_arrow_in_gbk_and_with_semicolons(tmp_path):
    from zoning.io._csv import _read_csv_arrow

    path = tmp_path / "f.csv"
    path.write_bytes("经度;纬度;名称\n120.1;30.2;化工厂\n121;31;\n".encode("gbk"))
    got = _read_csv_arrow(path, ";", "gbk")
    expected = pd.read_csv(
        path, sep=";", encoding="gbk", dtype=str, keep_default_na=False, na_values=[""]
    )
    pd.testing.assert_frame_equal(got, expected)
    assert got["名称"].tolist()[0] == "化工厂"
    assert _read_csv_arrow(path, ";", "utf-8-sig") is None  # not UTF-8: pandas says where


def _mixed_frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(n)
    geoms = shapely.points(np.round(rng.random((n, 2)) * [5, 4] + [118, 27], 6))
    geoms[::97] = None
    text = np.array(["a", "中文", 'q"uote', "x,y"], dtype=object)[rng.integers(0, 4, n)]
    text[::5] = None
    return gpd.GeoDataFrame(
        {
            "f": rng.lognormal(0, 5, n),
            "i": rng.integers(0, 9, n),
            "n": pd.Series(rng.integers(0, 9, n), dtype="Int64").where(rng.random(n) < 0.8),
            "s": text,
            "u": pd.Series(text, dtype="str"),
            "b": rng.random(n) < 0.5,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


@pytest.fixture
def two_processes(monkeypatch):
    import zoning.export._gdaljson as gdaljson

    monkeypatch.setattr(gdaljson, "PARALLEL_ROWS", 100)
    monkeypatch.setattr(gdaljson, "BATCH_ROWS", 64)
    monkeypatch.setattr(gdaljson, "_two_cores", lambda: True)
    return gdaljson


@pytest.mark.parametrize("share", [0.01, 0.35, 0.5, 0.99])
def test_geojson_in_two_processes_is_the_bytes_of_one(tmp_path, two_processes, share, caplog):
    import logging

    from zoning.export.geojson import writing_geojson

    caplog.set_level(logging.DEBUG, logger="zoning.export._gdaljson")

    frame = _mixed_frame(1000)
    meta = {"summary": {"facilities": 1000}}
    with writing_geojson(frame, tmp_path / "a.geojson", metadata=meta, share=share) as path:
        assert not path.exists()  # complete (and in place) when the block ends
    assert path.exists()
    assert "rows written by process" in caplog.text  # by the second one, not here
    assert "written in this process" not in caplog.text
    two_processes.PARALLEL_ROWS = 10**9
    write_geojson(frame, tmp_path / "b.geojson", metadata=meta)
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.geojson", "b.geojson"]


def test_geojson_tail_is_written_here_when_the_second_process_fails(
    tmp_path, two_processes, monkeypatch, caplog
):
    frame = _mixed_frame(500)
    write_geojson(frame, tmp_path / "b.geojson")
    monkeypatch.setattr(two_processes, "_CHILD", "import sys; sys.exit('no GDAL here')")
    write_geojson(frame, tmp_path / "a.geojson")
    assert "second one: no GDAL here" in caplog.text
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()


def test_geojson_second_process_ends_with_an_error_in_the_block(tmp_path, two_processes):
    from zoning.export.geojson import writing_geojson

    with (
        pytest.raises(RuntimeError, match="the CSV failed"),
        writing_geojson(_mixed_frame(500), tmp_path / "a.geojson"),
    ):
        raise RuntimeError("the CSV failed")
    assert list(tmp_path.iterdir()) == []  # nothing partial, no scratch left


def test_geojson_in_one_process_when_no_second_one_starts(
    tmp_path, two_processes, monkeypatch, caplog
):
    frame = _mixed_frame(500)
    write_geojson(frame, tmp_path / "b.geojson")
    monkeypatch.setattr(two_processes.sys, "executable", str(tmp_path / "no-python"))
    write_geojson(frame, tmp_path / "a.geojson")
    assert "GeoJSON written in this process only" in caplog.text
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()
