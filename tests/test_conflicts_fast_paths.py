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
    import zoning.export.geojson as geojson

    monkeypatch.setattr(geojson, "_CSV_ROWS", 1000)  # several chunks
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
