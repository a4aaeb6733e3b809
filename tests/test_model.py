"""The vocabulary on the ground floor: the model package, i18n, the version, and the old
names that still import (issue 11, item 3)."""

from __future__ import annotations

import importlib

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

import zoning
from zoning import i18n, model
from zoning._version import __version__

#: Every public name ``zoning.model`` offered before it became a package.
OLD_MODEL_NAMES = [
    "PRIORITY",
    "KEY",
    "GENERAL",
    "UnitClass",
    "UNIT_CLASSES",
    "CLASS_ALIASES",
    "Dimension",
    "DIMENSIONS",
    "DIMENSION_KEYS",
    "ELEMENTS",
    "ELEMENT_ALIASES",
    "UNIT_COLUMNS",
    "PUBLISHED_FIELDS",
    "CODE_PATTERN",
    "parse_code",
    "normalise_class",
    "normalise_element",
    "class_label",
    "POLLUTANTS",
    "FACILITY_COLUMNS",
]
#: Every public name ``zoning.rules.schema`` offered before the parser moved out.
OLD_SCHEMA_NAMES = [
    "Outcome",
    "OUTCOMES",
    "OPS",
    "STAGES",
    "GRID_MODES",
    "SECTIONS",
    "NUMERIC_FACTS",
    "Text",
    "Condition",
    "All",
    "AnyOf",
    "Not",
    "Sector",
    "Tags",
    "Stage",
    "Compare",
    "InsideUnit",
    "Near",
    "Share",
    "GridValue",
    "Scope",
    "Rule",
    "NamedRef",
    "RuleSet",
    "parse_rules",
]


def test_version_has_one_home():
    assert zoning.__version__ == __version__
    assert zoning.__all__ == sorted(zoning.__all__, key=lambda n: (not n.startswith("__"), n))


@pytest.mark.parametrize("name", OLD_MODEL_NAMES)
def test_old_model_names_still_import(name):
    assert hasattr(model, name)
    assert name in model.__all__


@pytest.mark.parametrize("name", OLD_SCHEMA_NAMES)
def test_old_schema_names_still_import(name):
    schema = importlib.import_module("zoning.rules.schema")
    assert getattr(schema, name) is (
        getattr(importlib.import_module("zoning.io.rulefile"), name)
        if name == "parse_rules"
        else getattr(model.rules, name)
    )


@pytest.mark.parametrize(
    ("module", "name", "home"),
    [
        ("zoning.screen", "VERDICTS", i18n),
        ("zoning.screen", "VERDICT_COLORS", i18n),
        ("zoning.screen", "FACT_LABELS", i18n),
        ("zoning.hotspots", "CO_CLASSES", i18n),
        ("zoning.soil", "SOIL_CLASSES", i18n),
        ("zoning.diff", "KIND_LABELS", i18n),
        ("zoning.diff", "KIND_COLORS", i18n),
        ("zoning.cli.conflicts", "STATUS_LABELS", i18n),
        ("zoning.cli.conflicts", "STATUS_COLORS", i18n),
        ("zoning.rules.coverage", "item_label", i18n),
        ("zoning.rules.engine", "split_tags", model),
        ("zoning.io.facilities", "normalise_tags", model),
        ("zoning.validate", "normalise_units", model),
        ("zoning.validate", "repair_geometry", model),
        ("zoning.validate", "require_valid_geometry", model),
        ("zoning.clauses", "split_text", model.clauses),
    ],
)
def test_moved_names_are_the_same_objects_at_their_old_address(module, name, home):
    assert getattr(importlib.import_module(module), name) is getattr(home, name)


def test_soil_class_codes_match_the_soil_module():
    from zoning import soil

    assert [i18n.SOIL_CLASSES[c][0] for c in (soil.UNKNOWN, soil.PRIORITY, soil.SAFE)] == [
        "unknown",
        "priority",
        "safe",
    ]
    assert i18n.SOIL_CLASSES[soil.STRICT][0] == "strict"


def test_unit_class_views_follow_the_model():
    assert i18n.UNIT_CLASS_LABELS[1] == ("优先保护单元", "Priority protection")
    assert {c.digit: c.color for c in model.UNIT_CLASSES.values()} == i18n.UNIT_CLASS_COLORS
    assert i18n.class_label(2, "en") == "Key control"


def test_item_label_names_dimension_and_item():
    assert i18n.item_label("spatial", "2", "zh", True) == "[禁止] 空间布局约束 第2项"
    assert i18n.item_label("risk", "", "en") == "Environmental risk prevention"
    assert i18n.item_label("emission", "3", "en") == "Pollutant emission control, item 3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("拟建", "proposed"), (" Existing ", "existing"), ("在建", "existing"), ("x", None)],
)
def test_stages(value, expected):
    assert model.normalise_stage(value) == expected
    assert expected is None or expected in model.STAGES


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("否", False), ("", False), (1.0, True), (0, False), ("maybe", None)],
)
def test_truthy_words(value, expected):
    assert model.truthy(value) is expected


def test_tags_split_and_normalised_once():
    assert model.split_tags("Coal Mine Methane；two_high、coal") == [
        "coal_mine_methane",
        "two_high",
        "coal",
    ]
    norm = model.normalise_tags(pd.Series(["Natural Gas; VOCs", None], name="tags"))
    assert norm.tolist() == ["natural_gas,vocs", None]


def test_normalise_units_classes_and_elements():
    units = gpd.GeoDataFrame(
        {"unit_class": ["优先保护", "3", "x"], "element": ["水环境", "air", None]},
        geometry=[box(0, 0, 1, 1)] * 3,
        crs="EPSG:4326",
    )
    out = model.normalise_units(units)
    assert out["unit_class"].tolist() == [1, 3, pd.NA]
    assert out["element"].tolist()[:2] == ["water", "air"] and pd.isna(out["element"].iloc[2])
    assert units["unit_class"].tolist() == ["优先保护", "3", "x"]  # a copy


def test_geometry_repair_and_refusal():
    from zoning.errors import InputError

    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    units = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), bowtie], crs="EPSG:4326"
    )
    with pytest.raises(InputError, match=r"rows 2\)"):
        model.require_valid_geometry(units, source="u.gpkg")
    fixed = model.repair_geometry(units, source="u.gpkg")
    assert fixed.geometry.is_valid.all()
    model.require_valid_geometry(fixed)


def test_the_rule_ast_builds_without_the_parser():
    rule = model.Rule(
        id="r1",
        dimension="spatial",
        clause=model.Text("禁止", "no"),
        message=model.Text("禁止新建", "no new"),
        outcome="prohibited",
        when=model.All((model.Stage(("proposed",)), model.Tags(("two_high",)))),
    )
    rs = model.RuleSet(rules=(rule,))
    assert rule.facts() == {"stage", "tags"}
    assert len(rs) == 1 and rs.by_id()["r1"] is rule
