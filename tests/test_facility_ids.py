"""Facility ids: an obvious id column is used (and said), --facilities-field facility_id wins."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_units
from test_facilities_io import RULES, lonlat

from zoning.conflicts import conflicts
from zoning.io.facilities import read_facilities
from zoning.rules import parse_rules


def _id_csv(path, **cols):
    lon, lat = lonlat(500, 500)
    pd.DataFrame({**cols, "lon": [lon] * 3, "lat": [lat] * 3}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("ID", ["a", "b", "c"], ["a", "b", "c"]),
        ("id", [11, 12, 13], ["11", "12", "13"]),
        ("Power Plant ID", ["P1", "P2", "P3"], ["P1", "P2", "P3"]),
        ("编号", ["甲", "乙", "丙"], ["甲", "乙", "丙"]),
        ("排污许可证编号", ["91330100X", "91330100Y", "91330100Z"], None),
        ("ID", ["a", "a", "c"], ["F1", "F2", "F3"]),  # not unique: row numbers
        ("ID", ["a", "", "c"], ["F1", "F2", "F3"]),  # an empty one: row numbers
        ("remark", ["a", "b", "c"], ["F1", "F2", "F3"]),  # not an id column
    ],
)
def test_obvious_id_column_becomes_facility_id(tmp_path, caplog, column, values, expected):
    caplog.set_level("INFO", logger="zoning.io.facilities")
    f = read_facilities(_id_csv(tmp_path / "f.csv", **{column: values}))
    ids = conflicts(make_units(), f, parse_rules(RULES, source="r.yaml")).facility_id.tolist()
    assert ids == (expected or values)
    if ids[0] != "F1":
        assert f"facility ids from column '{column}'" in caplog.text
    elif column != "remark":
        assert f"column '{column}' not used as facility id" in caplog.text


def test_facility_field_facility_id_wins_over_a_detected_column(tmp_path):
    path = _id_csv(tmp_path / "f.csv", ID=["a", "b", "c"], permit=["x", "y", "z"])
    f = read_facilities(path, fields={"facility_id": "permit"})
    assert f["facility_id"].tolist() == ["x", "y", "z"]
